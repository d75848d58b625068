"""The reports: every figure defined once, the panels, money, and exports to CSV/XLSX."""
