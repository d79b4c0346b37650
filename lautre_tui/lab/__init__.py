"""The simulated lab: L'Autre Net on 127.0.0.1, speaking the real protocols.

Product code, not test code: `lautre-tui demo` and `lautre-tui lab` run it, and
the tests and benchmarks use the same servers.
"""
