"""Dial lists: rules over the customer base, lists built from them, and the managers
working them."""
