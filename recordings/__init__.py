"""Call recordings: ingest, transcode, store, stream. Never imports callcenter."""
