"""Recordings inside the service: ingest jobs over the pure ``recordings`` package, the
API, the player page."""
