"""Command-line handling and demo seeding: what an operator types, outside the domain (cli → core → store)."""
