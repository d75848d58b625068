"""The lead record: its field declaration, its dedupe identity and normalisers, the user actions on
a lead, near-duplicates and merging."""
