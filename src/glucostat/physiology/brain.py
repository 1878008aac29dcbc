"""Brain and red blood cells: insulin-independent glucose utilisation.

DM2007 eq. (14): ``Uii = Fcns``, constant [mg/kg/min]. The central nervous
system and erythrocytes take up glucose through insulin-independent
transporters (GLUT1/GLUT3) at a rate that is constant in the glycaemic range
the model covers.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def insulin_independent_utilisation(fcns):
    """Insulin-independent glucose utilisation Uii [mg/kg/min] (DM2007 eq. (14))."""
    return fcns
