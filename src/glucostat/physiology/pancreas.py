"""Pancreas (beta cells) and portal vein: insulin secretion.

DM2007 Sec. II-F, eqs. (22)-(26) (numbers per open transcriptions, see
docs/model.md): secretion into the portal vein Spo has a static component Y
that follows glucose above the basal level with delay 1/alpha (second phase),
and a dynamic component proportional to the rate of rise of glucose (first
phase, K). Portal insulin Ipo reaches the liver at rate gamma.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def portal_secretion(y, dg_dt, k, sb, first_phase_only_rising):
    """Insulin secretion into the portal vein Spo [pmol/kg/min].

    ``Spo = Y + K dG/dt + Sb`` if ``dG/dt > 0`` else ``Y + Sb``.
    y static secretion [pmol/kg/min]; dg_dt plasma glucose rate [mg/dL/min];
    k first-phase responsivity [pmol/kg per mg/dL]; sb basal secretion
    [pmol/kg/min]. ``first_phase_only_rising`` = 0 drops the dG/dt > 0 condition
    (BioModels-compatible variant only). Secretion is non-negative.
    """
    s = y + sb
    if dg_dt > 0.0 or first_phase_only_rising < 0.5:
        s += k * dg_dt
    if s < 0.0:
        return 0.0
    return s


@njit(cache=True)
def static_secretion_derivative(y, g, alpha, beta, h, sb, floor_enabled):
    """dY/dt [pmol/kg/min^2], static (second-phase) secretion.

    ``dY/dt = -alpha [Y - beta (G - h)]`` if ``beta (G - h) >= -Sb``,
    else ``-alpha Y - alpha Sb``, with the threshold h = Gb [mg/dL], alpha the
    delay [1/min] and beta the glucose responsivity [pmol/kg/min per mg/dL].
    ``floor_enabled`` = 0 drops the second branch (BioModels-compatible variant).
    """
    target = beta * (g - h)
    if floor_enabled > 0.5 and target < -sb:
        return -alpha * y - alpha * sb
    return -alpha * (y - target)


@njit(cache=True)
def portal_insulin_derivative(i_po, spo, gamma):
    """dIpo/dt [pmol/kg/min]: ``-gamma Ipo + Spo``; ``S = gamma Ipo`` reaches the liver."""
    return -gamma * i_po + spo
