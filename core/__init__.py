"""Plumbing shared by the worker, the API and the tools.

Settings, logs, the Temporal client, the database.
"""
