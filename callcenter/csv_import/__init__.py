"""``callcenter import``: customers and orders from CSV files."""
