"""Benchmarks run by hand; figures go in issue notes, never in pass/fail tests."""
