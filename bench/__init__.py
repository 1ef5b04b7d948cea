"""Benchmarks: one module per subject, each runnable as `python -m bench.<name>`, printing a table that compares
phusong against a baseline measured in the same run. `python -m bench` runs them all."""
