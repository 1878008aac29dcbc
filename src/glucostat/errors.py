"""Exceptions raised by glucostat.

Every error names the offending field, the value received and what is allowed.
"""

from __future__ import annotations


class GlucostatError(ValueError):
    """Base class for glucostat input errors (a ``ValueError``)."""


class InvalidInputError(GlucostatError):
    """A field has a value outside what the model allows."""

    def __init__(self, field: str, value, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


class UnknownNameError(GlucostatError):
    """A patient, parameter set or variable name that does not exist."""

    def __init__(self, field: str, value, known):
        self.field = field
        self.value = value
        self.known = sorted(known)
        super().__init__(f"{field}: unknown name {value!r}; known: {', '.join(self.known)}")


class SimulationError(RuntimeError):
    """The integrator could not complete (status carried in the message)."""
