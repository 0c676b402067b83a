"""The audit log's API; entries are written by every feature through ``Ctx.audit``."""
