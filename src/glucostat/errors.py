"""Exceptions raised by glucostat.

Every error names the offending field, the value received and what is allowed.
"""

from __future__ import annotations

import math


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


def require_number(field_name: str, value, lo: float, hi: float, allowed: str | None = None,
                   lo_open: bool = False) -> float:
    """A finite float in [lo, hi] (or (lo, hi] with ``lo_open``), else InvalidInputError naming the field."""
    allowed = allowed or (f"a number {'>' if lo_open else '>='} {lo:g} and <= {hi:g}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(field_name, value, allowed) from None
    if isinstance(value, bool) or not math.isfinite(v) or v > hi or (v <= lo if lo_open else v < lo):
        raise InvalidInputError(field_name, value, allowed)
    return v
