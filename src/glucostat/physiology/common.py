"""Small numeric helpers shared by the organ modules (compiled, inlined).

Not physiology: exact arithmetic shortcuts. ``x ** n`` with a float exponent compiles to a
call of the C library's ``pow`` (about 20-40 ns), which took about a third of the full
right-hand side's time; the Hill exponents of the parameter sets are small whole numbers,
for which repeated multiplication gives the same value to within one rounding.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def power(x, n):
    """``x ** n``; by multiplication when ``n`` is 1, 2, 3 or 4 (within one rounding of ``pow``)."""
    if n == 2.0:
        return x * x
    if n == 3.0:
        return x * x * x
    if n == 1.0:
        return x
    if n == 4.0:
        x2 = x * x
        return x2 * x2
    return x ** n


@njit(cache=True, inline="always")
def hill(x, k, n):
    """``x^n / (x^n + k^n)`` [-], 0 for ``x <= 0``."""
    if x <= 0.0:
        return 0.0
    return 1.0 / (1.0 + power(k / x, n))
