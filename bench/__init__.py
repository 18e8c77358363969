"""Benchmarks (``make bench``): figures are printed, never asserted."""
