"""Unit conversions and physical constants: the only place they live.

Internal units follow Dalla Man, Rizza & Cobelli 2007 (doi:10.1109/TBME.2007.893506):
time in min, glucose mass in mg/kg and concentration in mg/dL, insulin mass in
pmol/kg and concentration in pmol/L, fluxes in mg/kg/min and pmol/kg/min.
Conversions happen only at the boundary (scenario input, result output).
"""

from __future__ import annotations

#: Insulin: 1 µU/mL = 6 pmol/L. The UVA/Padova codes and Dalla Man 2007 use 6;
#: some papers use 6.945 (Volund 1993). glucostat uses 6 everywhere.
PMOL_PER_L_PER_UU_PER_ML = 6.0

#: Insulin: 1 U = 6000 pmol (consistent with the factor above).
PMOL_PER_U = 6000.0

#: Glucose molar mass 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL.
MG_DL_PER_MMOL_L = 18.0156

#: Glucose: grams to milligrams.
MG_PER_G = 1000.0

MIN_PER_H = 60.0
MIN_PER_DAY = 1440.0


def insulin_pmol_l_to_uu_ml(x):
    """Plasma insulin [pmol/L] -> [µU/mL] (= mU/L)."""
    return x / PMOL_PER_L_PER_UU_PER_ML


def insulin_uu_ml_to_pmol_l(x):
    """Plasma insulin [µU/mL] -> [pmol/L]."""
    return x * PMOL_PER_L_PER_UU_PER_ML


def glucose_mg_dl_to_mmol_l(x):
    """Glucose [mg/dL] -> [mmol/L]."""
    return x / MG_DL_PER_MMOL_L


def glucose_mmol_l_to_mg_dl(x):
    """Glucose [mmol/L] -> [mg/dL]."""
    return x * MG_DL_PER_MMOL_L


def insulin_mu_per_min_to_pmol_per_kg_min(rate_mu_min, body_weight_kg):
    """Insulin infusion [mU/min] -> [pmol/kg/min] for a body weight [kg]."""
    return rate_mu_min * (PMOL_PER_U / 1000.0) / body_weight_kg


def insulin_u_per_h_to_pmol_per_kg_min(rate_u_h, body_weight_kg):
    """Insulin infusion [U/h] -> [pmol/kg/min] for a body weight [kg]."""
    return rate_u_h * PMOL_PER_U / MIN_PER_H / body_weight_kg
