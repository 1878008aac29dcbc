"""Liver: endogenous glucose production and hepatic insulin extraction.

DM2007 eqs. (4), (5), (10), (11). Endogenous glucose production (EGP) here is
the net hepatic output, lumping glycogenolysis and gluconeogenesis; it is
suppressed by glucose (kp2), by a delayed insulin signal Id (kp3) and by portal
insulin Ipo (kp4).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def endogenous_glucose_production(gp, i_d, i_po, kp1, kp2, kp3, kp4, clip_at_zero):
    """Endogenous glucose production EGP [mg/kg/min].

    DM2007 eq. (10): ``EGP = kp1 - kp2 Gp - kp3 Id - kp4 Ipo``, constrained to be
    non-negative (the paper's EGP >= 0). ``clip_at_zero`` = 0 disables the
    constraint (only the BioModels-compatible variant does this).
    """
    egp = kp1 - kp2 * gp - kp3 * i_d - kp4 * i_po
    if clip_at_zero > 0.5 and egp < 0.0:
        return 0.0
    return egp


@njit(cache=True)
def delayed_insulin_derivatives(i1, i_d, insulin, ki):
    """(dI1/dt, dId/dt) [pmol/L/min], DM2007 eq. (11).

    Two-compartment delay between plasma insulin I [pmol/L] and its action on
    the liver: ``dI1/dt = -ki (I1 - I)``, ``dId/dt = -ki (Id - I1)``.
    """
    return -ki * (i1 - insulin), -ki * (i_d - i1)


@njit(cache=True)
def hepatic_insulin_extraction(secretion_to_liver, m5, m6):
    """Fraction of insulin reaching the liver that it extracts, HE [-].

    DM2007 eq. (4): ``HE = -m5 S + m6`` with S the insulin secretion reaching
    the liver [pmol/kg/min]. It falls from HEb ~ 0.6 at basal to ~ 0.4 at peak
    postprandial secretion, as measured by Campioni et al. 2009
    (Am J Physiol Endocrinol Metab 297:E941). glucostat bounds it below by 0
    (a negative extraction has no meaning); with the published parameters the
    bound is never reached in meal or OGTT scenarios (tests check this).
    """
    he = -m5 * secretion_to_liver + m6
    if he < 0.0:
        return 0.0
    return he


@njit(cache=True)
def hepatic_insulin_clearance_rate(he, m1):
    """Rate constant of hepatic insulin degradation m3 [1/min], DM2007 eq. (5).

    ``m3 = HE m1 / (1 - HE)``.
    """
    return he * m1 / (1.0 - he)
