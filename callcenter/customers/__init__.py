"""Customers: search, the card, create and edit; the REST API and the pages."""
