"""Persistence: tables, engine, sessions, queries and migrations. No business rules here."""
