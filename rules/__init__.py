"""Policy files and (later) the rules engine. Knows nothing of Temporal or FastAPI."""
