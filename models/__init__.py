"""Records (SQL tables), value lists and the schemas that cross boundaries.

Imports nothing of ours but the clock (core/clock.py, standard library only).
"""
