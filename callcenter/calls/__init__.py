"""Calls: the AMI bridge inside the service (one pump per PBX), the call log it writes,
click-to-call, and the call log's API."""
