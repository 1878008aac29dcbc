"""The basal (fasting) steady state of the organ model.

Dalla Man, Rizza & Cobelli 2007 (doi:10.1109/TBME.2007.893506) constrain
several parameters by requiring the basal state to be a steady state. Given
basal glucose Gb, insulin Ib, glucose production EGPb and Table I, the basal
quantities follow in this order (docs/model.md, 'Basal state'):

1. ``Sb = (m6 - HEb)/m5`` (from HE(0) = HEb, DM2007 eq. (4)), or, for a set that gives Sb
   (conditions with changed secretion) and derives, ``m6 = HEb + m5 Sb``; ``Ipob = Sb/gamma``; ``Ipb = Ib VI``.
2. ``m4 = 0.4 (Sb/Ipb)(1 - HEb)``; ``m2 = (Sb/Ipb - m4/(1 - HEb))(1 - HEb)/HEb``
   (peripheral share of insulin clearance, DM2007 Sec. II-B).
3. ``Ilb = Ipb (m2 + m4)/m1``.
4. ``Gpb = Gb VG``; ``Eb = ke1 max(0, Gpb - ke2)``; ``Gtb = (Fcns + Eb - EGPb + k1 Gpb)/k2``.
5. ``Vm0 = (EGPb - Fcns - Eb)(Km0 + Gtb)/Gtb``; ``kp1 = EGPb + kp2 Gpb + kp3 Ib + kp4 Ipob``.
6. ``I1 = Id = Ib``; ``X = Y = 0``; stomach and gut empty.

With ``derive=True`` (the glucostat sets 'healthy' and 't2d') steps 2 and 5
replace the printed m2, m4, Vm0 and kp1, so that the state is exactly steady.
With ``derive=False`` (published variants) the printed values are kept and
only the initial state is computed from these formulas.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .model import N_STATES, S
from .physiology import kidney, liver, plasma

DERIVED_PARAMETERS = ("m2", "m4", "kp1", "Vm0")


def basal_secretion(v: Mapping[str, float]) -> float:
    """Basal insulin secretion Sb [pmol/kg/min]: given, or (m6 - HEb)/m5."""
    if "Sb" in v:
        return v["Sb"]
    return (v["m6"] - v["HEb"]) / v["m5"]


def derive_basal(values: Mapping[str, float], derive: bool, type1: bool = False
                 ) -> tuple[dict[str, float], np.ndarray, dict[str, tuple[float, float]]]:
    """Return (complete parameter values, basal initial state, re-derived values).

    The third item maps each re-derived parameter to ``(printed, derived)``.
    """
    v = dict(values)
    changed: dict[str, tuple[float, float]] = {}
    if type1:
        return _derive_type1(v, derive, changed)
    sb = basal_secretion(v)
    if derive and "Sb" in values:
        # a set that gives Sb (a condition with changed secretion) gets m6 from HE(Sb) = HEb, DM2007 eq. (4)
        m6 = v["HEb"] + v["m5"] * sb
        changed["m6"] = (v["m6"], m6)
        v["m6"] = m6
    v["Sb"] = sb
    ipob = sb / v["gamma"]
    ipb = v["Ib"] * v["VI"]
    if derive:
        m4 = 0.4 * (sb / ipb) * (1.0 - v["HEb"])
        m2 = (sb / ipb - m4 / (1.0 - v["HEb"])) * (1.0 - v["HEb"]) / v["HEb"]
        changed["m4"] = (v["m4"], m4)
        changed["m2"] = (v["m2"], m2)
        v["m4"], v["m2"] = m4, m2
    ilb = ipb * (v["m2"] + v["m4"]) / v["m1"]
    y0 = _glucose_balance_and_state(v, derive, changed, ipb, ilb, ipob)
    return v, y0, changed


def _derive_type1(v: dict, derive: bool, changed: dict):
    """Type 1 diabetes basal state (UVA/Padova S2008 structure; Dalla Man 2014 eqs. A2, A16).

    No endogenous secretion (Sb = K = beta = 0; kp4 = 0 because portal insulin is
    absent; constant hepatic clearance m30 = HEb m1/(1 - HEb), expressed as m5 = 0,
    m6 = HEb). The basal subcutaneous insulin u2ss that holds plasma insulin at Ib
    follows from the insulin balance::

        Ilb = m2 Ipb/(m1 + m30);  u2ss = (m2 + m4) Ipb - m1 Ilb
        Isc1 = u2ss/(kd + ka1);   Isc2 = kd Isc1/ka2

    and, with ``derive``, kp1 and Vm0 from the glucose balance as for the other sets.
    """
    for k in ("Sb", "K", "beta", "kp4", "m5"):
        v[k] = 0.0
    v["m6"] = v["HEb"]
    m30 = v["HEb"] * v["m1"] / (1.0 - v["HEb"])
    ipb = v["Ib"] * v["VI"]
    ilb = v["m2"] * ipb / (v["m1"] + m30)
    u2ss = (v["m2"] + v["m4"]) * ipb - v["m1"] * ilb
    changed["u2ss"] = (v.get("u2ss", 0.0), u2ss)
    v["u2ss"] = u2ss
    y0 = _glucose_balance_and_state(v, derive, changed, ipb, ilb, 0.0)
    y0[S.sc_insulin_1] = u2ss / (v["kd"] + v["ka1"])
    y0[S.sc_insulin_2] = v["kd"] * y0[S.sc_insulin_1] / v["ka2"]
    return v, y0, changed


def _glucose_balance_and_state(v: dict, derive: bool, changed: dict, ipb: float, ilb: float, ipob: float) -> np.ndarray:
    """Steps 4-6: basal glucose masses, the re-derived Vm0 and kp1 (with ``derive``), and the
    basal state vector for the given plasma, liver and portal insulin."""
    gpb = v["Gb"] * v["VG"]
    eb = kidney.urinary_glucose(gpb, v["VG"], v["BW"], v["ke1"], v["ke2"], v["renal_excretion_enabled"],
                                v["renal_model"], v["GFR"], v["TmG"], v["renal_splay"])
    gtb = (v["Fcns"] + eb - v["EGPb"] + v["k1"] * gpb) / v["k2"]
    if derive:
        vm0 = (v["EGPb"] - v["Fcns"] - eb) * (v["Km0"] + gtb) / gtb / v["uid_fraction"]
        kp1 = v["EGPb"] + v["kp2"] * gpb + v["kp3"] * v["Ib"] + v["kp4"] * ipob
        changed["Vm0"] = (v["Vm0"], vm0)
        changed["kp1"] = (v["kp1"], kp1)
        v["Vm0"], v["kp1"] = vm0, kp1
    y0 = np.zeros(N_STATES)
    y0[S.plasma_glucose] = gpb
    y0[S.tissue_glucose] = gtb
    y0[S.interstitial_glucose] = gpb
    y0[S.plasma_insulin] = ipb
    y0[S.liver_insulin] = ilb
    y0[S.insulin_signal_1] = v["Ib"]
    y0[S.insulin_signal_liver] = v["Ib"]
    y0[S.portal_insulin] = ipob
    organ_extensions_state(v, y0, ilb)
    return y0


def organ_extensions_state(v: Mapping[str, float], y0: np.ndarray, ilb: float) -> None:
    """Basal values of the glucostat organ extensions (docs/model.md, 'Basal state').

    Glucagon at Hb with no fading; glycogen at Glyb and the fasting adaptation at its target
    for that store; C-peptide at the steady state of the Van Cauter 1992 model for basal
    secretion Sb (``C1 = Sb/(V k3)``, ``C2 = k1 C1/k2``; zero without beta cells); IGF-1 at
    its daily mean for the basal liver insulin; the adipose insulin signal at Ib and plasma FFA at
    ffa_basal (the lipolytic capacity is derived to make it steady, physiology/adipose.py); the beta
    cell's glucose memory at Gb (weight 1: the gut is empty). The glycogen store is not stationary at
    basal: the overnight-fasted liver is drawing it down, as it does in a prolonged fast.
    """
    y0[S.plasma_glucagon] = v["Hb"]
    y0[S.glucagon_fading] = 0.0
    y0[S.liver_glycogen] = v["Glyb"]
    y0[S.fasting_adaptation] = liver.fasting_adaptation_target(v["Glyb"], v["fasting_glycogen_half"])
    k1, k2, k3 = plasma.c_peptide_rate_constants(v["cp_half_life_short"], v["cp_half_life_long"],
                                                 v["cp_fraction_short"])
    c1 = v.get("Sb", 0.0) / (v["VCP"] * k3)
    y0[S.c_peptide] = c1
    y0[S.c_peptide_peripheral] = k1 * c1 / k2
    pins = liver.portal_insulin_effect(ilb, v["igf1_insulin_reference"], v["igf1_insulin_half"])
    y0[S.igf1] = v["igf1_reference"] * v["liver_function"] * pins
    y0[S.gh_signal] = 1.0
    y0[S.adrenaline] = v["adrenaline_basal"]
    y0[S.adipose_insulin_1] = v["Ib"]
    y0[S.adipose_insulin] = v["Ib"]
    y0[S.plasma_ffa] = v["ffa_basal"]
    y0[S.beta_memory_glucose] = v["Gb"]  # the gut is empty at basal: weight 1
    y0[S.beta_memory_weight] = 1.0
