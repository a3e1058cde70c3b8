"""Deterministic orchestration only: no I/O, no clock but workflow.now(), no rules engine."""
