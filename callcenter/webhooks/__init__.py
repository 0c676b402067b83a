"""Webhooks: signed events to the shop's endpoints from a durable outbox in the database."""
