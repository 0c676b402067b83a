"""Tasks and missed-call callbacks, with deadlines."""
