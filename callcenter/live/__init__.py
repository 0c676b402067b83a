"""The supervisors' live board, and listening to a live call in the browser."""
