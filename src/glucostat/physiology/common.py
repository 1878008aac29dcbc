"""Numeric helpers shared by the organ modules: branch-free, call-free, exact to round-off.

Not physiology. The organ functions are inlined into one right-hand side, which is compiled
twice: for one patient (:func:`glucostat.model.evaluate`) and for a block of patients in SIMD
lanes (:mod:`glucostat.lanes`). LLVM vectorises the lane loop only if it contains no calls, so
the C library's ``pow``, ``tanh`` and ``cos`` are replaced here by polynomial and
multiplication forms (docs/architecture.md, 'Full-model lanes'):

- :func:`power`: ``x ** n`` for whole ``n`` from 1 to 8 by binary multiplication (the Hill
  exponents of the catalogue are whole numbers for this reason);
- :func:`exp_neg`: ``exp(-z)`` as ``exp(-z/64)^64`` with a degree-14 Taylor polynomial (relative
  error ~ 1e-14);
- :func:`tanh`: ``(1 - e)/(1 + e)``, ``e = exp(-2|x|)``, absolute error < 1e-15;
- :func:`cos`: reduced to [-pi, pi], a Taylor polynomial at a quarter angle and two
  double-angle steps, absolute error ~ 1e-15 near 0 and ~ 2.5e-12 at |x| = 2e4.
"""

from __future__ import annotations

import math

from numba import njit

#: Largest whole-number exponent :func:`power` supports.
MAX_POWER = 8


@njit(cache=True, forceinline=True, error_model="numpy")
def power(x, n):
    """``x ** n`` for whole ``n`` in 1-8 (the caller guarantees it), by binary multiplication."""
    x2 = x * x
    x4 = x2 * x2
    k = n
    r = 1.0
    if k >= 8.0:
        r = x4 * x4
        k -= 8.0
    if k >= 4.0:
        r = r * x4
        k -= 4.0
    if k >= 2.0:
        r = r * x2
        k -= 2.0
    if k >= 1.0:
        r = r * x
    return r


@njit(cache=True, forceinline=True, error_model="numpy")
def hill(x, k, n):
    """``x^n / (x^n + k^n)`` [-], 0 for ``x <= 0`` (whole ``n`` in 1-8)."""
    r = 1.0 / (1.0 + power(k / x, n))
    if x <= 0.0:
        r = 0.0
    return r


@njit(cache=True, forceinline=True, error_model="numpy")
def exp_neg(z):
    """``exp(-z)`` for 0 <= z <= 38 (clamped): ``exp(-z/64)^64``, degree-14 Taylor, six squarings."""
    if z > 38.0:
        z = 38.0
    x = -z * (1.0 / 64.0)
    e = 1.0 + x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (
        1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0 + x * (
            1.0 / 3628800.0 + x * (1.0 / 39916800.0 + x * (1.0 / 479001600.0 + x * (
                1.0 / 6227020800.0 + x * (1.0 / 87178291200.0))))))))))))))
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    return e * e


@njit(cache=True, forceinline=True, error_model="numpy")
def tanh(x):
    """Hyperbolic tangent, ``sign(x) (1 - e)/(1 + e)`` with ``e = exp(-2|x|)`` (absolute error < 1e-15)."""
    e = exp_neg(2.0 * abs(x))
    t = (1.0 - e) / (1.0 + e)
    if x < 0.0:
        t = -t
    return t


_TWO_PI = 2.0 * math.pi


@njit(cache=True, forceinline=True, error_model="numpy")
def cos(x):
    """Cosine: ``x`` reduced to r in [-pi, pi], ``cos(r/4)`` by Taylor series to degree 16, then
    ``cos 2a = 2 cos^2 a - 1`` twice. Absolute error ~ 1e-15 near 0, growing with the rounding of
    the argument reduction to ~ 2.5e-12 at |x| = 2e4 (the growth-hormone clock of a year-long run)."""
    r = x - _TWO_PI * math.floor(x / _TWO_PI + 0.5)
    a = 0.25 * r
    a2 = a * a
    c = 1.0 + a2 * (-1.0 / 2.0 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0 + a2 * (
        -1.0 / 3628800.0 + a2 * (1.0 / 479001600.0 + a2 * (-1.0 / 87178291200.0 + a2 * (
            1.0 / 20922789888000.0))))))))
    c = 2.0 * c * c - 1.0
    return 2.0 * c * c - 1.0


@njit(cache=True, forceinline=True, error_model="numpy")
def power_8(b):
    """``b ** 8`` by multiplication (``** int`` compiles to a loop, which stops SIMD vectorisation);
    ``power_8((1 + cos x)/2)`` is the raised-cosine pulse of growth hormone's daytime pulses and of the
    liver's dawn profile."""
    b2 = b * b
    b4 = b2 * b2
    return b4 * b4
