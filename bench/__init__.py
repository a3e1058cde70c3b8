"""Benchmarks: each prints ratios against its bare baseline measured in the same run."""
