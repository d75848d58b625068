"""Admin-defined fields (自定义字段): their definitions (`values.Definition`, stored in `custom_fields`),
the check and normalisation of a record's `custom` values by type, and the admin's actions on them
(define, relabel, retire, restore), for leads, opportunities and customers: a record's values written
by an action (`records.py`) and when a field must be filled beyond capture (`requirements.py`)."""
