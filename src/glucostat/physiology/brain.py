"""Brain and red blood cells: insulin-independent glucose utilisation.

DM2007 eq. (14): ``Uii = Fcns``, constant [mg/kg/min]. The central nervous
system and erythrocytes take up glucose through insulin-independent
transporters (GLUT1/GLUT3) at a rate that is constant in the glycaemic range
the model covers.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_independent_utilisation(fcns):
    """Insulin-independent glucose utilisation Uii [mg/kg/min] (DM2007 eq. (14))."""
    return fcns


@njit(cache=True, forceinline=True, error_model="numpy")
def ketone_sparing(fasting, sparing):
    """Fraction of the brain's fed-state glucose use still taken as glucose [-]: ``1 - u Z``.

    glucostat design: in a prolonged fast ketone bodies replace part of the brain's glucose
    (Owen et al. 1967 J Clin Invest 46:1589); Z is the slow fasting adaptation (0 fed, 1
    after glycogen depletion, :func:`glucostat.physiology.liver.fasting_adaptation_target`)
    and u its share at full adaptation (docs/model.md).
    """
    return 1.0 - sparing * fasting
