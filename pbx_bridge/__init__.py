"""pbx_bridge."""
