"""The header's search: one box finding leads, opportunities and customers by name, company, phone
(any spelling, last four digits), email and searchable custom fields, within what the actor may see.
The index it reads is a projection of the unit of work (core/projections.py, store/search_index.py)."""
