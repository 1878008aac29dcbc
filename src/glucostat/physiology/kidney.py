"""Kidney: renal glucose excretion above a threshold.

DM2007 eq. (27). The renal part of insulin degradation is lumped into the
peripheral insulin clearance m4 (see :mod:`glucostat.physiology.plasma`).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, forceinline=True, error_model="numpy")
def renal_excretion(gp, ke1, ke2):
    """Renal glucose excretion E [mg/kg/min].

    DM2007 eq. (27): ``E = ke1 (Gp - ke2)`` if ``Gp > ke2`` else 0, with ke1 the
    glomerular filtration rate [1/min] and ke2 the renal threshold [mg/kg]
    (ke2/VG = 180 mg/dL for the normal subject).
    """
    if gp > ke2:
        return ke1 * (gp - ke2)
    return 0.0


@njit(cache=True, forceinline=True, error_model="numpy")
def urinary_glucose_tm(g, gfr, tm, splay):
    """Urinary glucose excretion [mg/min] with a transport maximum and splay.

    Filtered load ``FL = GFR G`` (GFR [mL/min] / 100 -> dL/min, G [mg/dL]); proximal-tubule
    reabsorption saturates at TmG [mg/min] along a non-rectangular hyperbola with curvature
    theta = ``splay`` (0 < theta < 1; theta -> 1 is the ideal 'threshold' kidney, smaller
    values widen the splay)::

        R = [(FL + Tm) - sqrt((FL + Tm)^2 - 4 theta FL Tm)] / (2 theta),   excretion = FL - R

    The classical titration curve (Smith 1951; Farber et al. 1951 J Clin Invest 30:125): no
    glucose in urine at normal plasma glucose, appearance near 180-200 mg/dL (the 'renal
    threshold', below Tm/GFR because nephrons differ: the splay), and excretion rising in
    parallel with the filtered load once every nephron is saturated. glucostat design of the
    smooth form; calibration in docs/validation.md.
    """
    fl = gfr * 0.01 * g
    if fl <= 0.0:
        return 0.0
    s = fl + tm
    disc = s * s - 4.0 * splay * fl * tm
    if disc < 0.0:
        disc = 0.0
    r = (s - np.sqrt(disc)) / (2.0 * splay)
    e = fl - r
    if e < 0.0:
        return 0.0
    return e


@njit(cache=True, forceinline=True, error_model="numpy")
def urinary_glucose(gp, vg, bw, ke1, ke2, enabled, tm_model, gfr, tm, splay):
    """Urinary glucose excretion E [mg/kg/min] by the patient's renal model.

    ``tm_model`` = 0: DM2007 eq. (27) (linear above a threshold); 1: transport maximum with
    splay (:func:`urinary_glucose_tm`). ``enabled`` = 0 switches excretion off (the
    BioModels-compatible variant).
    """
    if enabled < 0.5:
        return 0.0
    if tm_model > 0.5:
        return urinary_glucose_tm(gp / vg, gfr, tm, splay) / bw
    return renal_excretion(gp, ke1, ke2)
