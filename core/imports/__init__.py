"""Importing a file of leads as a recorded job: reading the file, mapping columns, the worker
process, the views the pages read."""
