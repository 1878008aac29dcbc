"""Kidney: renal glucose excretion above a threshold.

DM2007 eq. (27). The renal part of insulin degradation is lumped into the
peripheral insulin clearance m4 (see :mod:`glucostat.physiology.plasma`).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def renal_excretion(gp, ke1, ke2):
    """Renal glucose excretion E [mg/kg/min].

    DM2007 eq. (27): ``E = ke1 (Gp - ke2)`` if ``Gp > ke2`` else 0, with ke1 the
    glomerular filtration rate [1/min] and ke2 the renal threshold [mg/kg]
    (ke2/VG = 180 mg/dL for the normal subject).
    """
    if gp > ke2:
        return ke1 * (gp - ke2)
    return 0.0
