"""Operating a desk: the data folder's permissions and start-up exposure checks."""
