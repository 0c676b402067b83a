"""Who gets a call, and dial-list rules: pure decisions. Never imports callcenter."""
