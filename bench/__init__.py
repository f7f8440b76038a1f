"""Benchmarks: scripts that measure, not tests (run with python -m bench.NAME)."""
