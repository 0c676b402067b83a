"""Supervisor reports: the figures a shop runs its contact centre by, over any period."""
