"""The desk: an operator's start page."""
