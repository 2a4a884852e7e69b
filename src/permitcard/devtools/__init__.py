"""Tools for developers and benchmarks: the synthetic population generator."""
