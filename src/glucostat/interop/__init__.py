"""Interoperability with other simulators (optional dependencies)."""
