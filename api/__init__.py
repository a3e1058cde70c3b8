"""The caseworkers' HTTP API (FastAPI). Every message a user reads is in French."""
