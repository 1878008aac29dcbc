"""Stomach and intestine: gastric emptying and glucose rate of appearance.

Dalla Man C, Camilleri M, Cobelli C. A system model of oral glucose absorption:
validation on gold standard data. IEEE Trans Biomed Eng 2006;53(12):2472-2478
(doi:10.1109/TBME.2006.883792), as used in DM2007 eq. (13).

States: stomach solid phase Qsto1 [mg], stomach liquid phase Qsto2 [mg],
intestine Qgut [mg]. The exocrine pancreas (digestive enzymes) is not simulated:
its role is folded into the grinding, emptying and absorption rates.
"""

from __future__ import annotations

from numba import njit

from .common import tanh


@njit(cache=True, forceinline=True, error_model="numpy")
def gastric_emptying_rate(q_sto, meal_size, kmax, kmin, b, d):
    """Rate constant of gastric emptying kempt [1/min].

    DM2007 eq. (13) / Dalla Man 2006::

        kempt = kmin + (kmax - kmin)/2 * {tanh[a (Qsto - b D)] - tanh[c (Qsto - d D)] + 2}
        a = 5 / (2 D (1 - b)),  c = 5 / (2 D d)

    Parameters
    ----------
    q_sto : float
        Glucose in the stomach, Qsto1 + Qsto2 [mg].
    meal_size : float
        Meal size D [mg] that sets the emptying curve. With D = 0 (no meal eaten
        yet) a and c are infinite; the limit is kempt = kmax, returned directly.
    kmax, kmin : float
        Maximal and minimal emptying rate [1/min].
    b, d : float
        Fractions of D at which kempt falls to (kmax+kmin)/2 and rises back [-].
    """
    if meal_size <= 0.0:
        return kmax
    a = 5.0 / (2.0 * meal_size * (1.0 - b))
    c = 5.0 / (2.0 * meal_size * d)
    return kmin + 0.5 * (kmax - kmin) * (
        tanh(a * (q_sto - b * meal_size)) - tanh(c * (q_sto - d * meal_size)) + 2.0
    )


@njit(cache=True, forceinline=True, error_model="numpy")
def rate_of_appearance(q_gut, f, kabs, body_weight):
    """Rate of appearance of ingested glucose in plasma Ra [mg/kg/min].

    DM2007 eq. (13): ``Ra = f * kabs * Qgut / BW``; f is the fraction of the
    intestinal absorption that appears in plasma (the rest is retained by the
    splanchnic bed on first pass).
    """
    return f * kabs * q_gut / body_weight
