"""Benchmarks. Each prints its figures and a ratio to a baseline measured in the same
run, so a busy machine moves both. `python -m bench` runs them at a small scale."""
