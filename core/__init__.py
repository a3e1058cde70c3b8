"""Plumbing shared by the worker, the API and the tools: settings, logs, Temporal client, database."""
