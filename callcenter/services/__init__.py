"""Business logic: plain async functions over a session; no HTTP here."""
