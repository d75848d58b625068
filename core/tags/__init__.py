"""Tags (标签): the team's catalogue of coloured, bilingual tags that admins and managers keep
(`catalog.py`: define, rename, recolour, retire, restore; `TagSet`, the lookup every channel uses)
and the tags on leads, opportunities and customers (`records.py`: add and remove, one audited
transaction each; the lists' "any of these tags" filter). Stored in `tags` and `record_tags`."""
