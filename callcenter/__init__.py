"""Contact centre for online shops, on Asterisk."""

__version__ = "0.1.0"
