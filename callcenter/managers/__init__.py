"""Managers, the users: accounts, roles, presence, API tokens, logging in."""
