"""Benchmarks and evaluation sets (not shipped in the package)."""
