"""Therapy profiles derived the way a clinician would, without the model's hidden parameters.

1. **Basal rate** by a (simulated) basal test: the clinician titrates the pump's
   basal rate until glucose stays flat through a fast. glucostat runs 24-h fasts at
   trial rates and bisects for the rate whose glucose after 24 h equals the fasting
   target (default 120 mg/dL); only the glucose a clinician can measure is used.
2. **Total daily dose, carb ratio, correction factor** by the published dosing
   rules of Davidson PC, Hebblewhite HR, Steed RD, Bode BW. Analysis of guidelines
   for basal-bolus insulin dosing: basal insulin, correction factor, and
   carbohydrate-to-insulin ratio. Endocr Pract 2008;14(9):1095-1101:
   basal = 50 % of TDD; CF = 1700/TDD [mg/dL per U]; CIR = 2.8 x body weight [lb]/TDD [g/U].
"""

from __future__ import annotations

import math

from .devices import TherapyProfile
from .errors import InvalidInputError
from .patients import Patient, resolve
from .scenario import InsulinInfusion, Scenario

LB_PER_KG = 2.20462
BASAL_FRACTION_OF_TDD = 0.5
CF_RULE = 1700.0
CIR_RULE = 2.8


def _fasting_glucose_after(patient: Patient, rate_u_h: float, hours: float) -> float:
    import warnings

    from .simulation import simulate

    events = (InsulinInfusion(time=0.0, duration_min=hours * 60.0, rate_u_per_h=rate_u_h),) if rate_u_h > 0 else ()
    with warnings.catch_warnings():
        # trial rates that overshoot into hypoglycaemia end early; they count as "too much"
        warnings.simplefilter("ignore", RuntimeWarning)
        res = simulate(patient, Scenario(events=events, duration_min=hours * 60.0), t_eval=[hours * 60.0])
    g = float(res.get("Plasma glucose [mg/dL]")[-1])
    return g if math.isfinite(g) else 0.0


def titrate_basal(patient: Patient | str, target_mg_dl: float = 120.0, hours: float = 24.0,
                  max_rate_u_h: float = 10.0, tolerance_mg_dl: float = 1.0) -> float:
    """Basal rate [U/h] that brings fasting glucose to ``target_mg_dl`` after ``hours``."""
    pat = resolve(patient)
    if not 70 <= target_mg_dl <= 200:
        raise InvalidInputError("target_mg_dl", target_mg_dl, "a number in [70, 200] mg/dL")
    lo, hi = 0.0, max_rate_u_h
    if _fasting_glucose_after(pat, hi, hours) > target_mg_dl:
        raise InvalidInputError("basal titration", f"> {max_rate_u_h} U/h", "a patient whose fasting glucose a basal "
                                "rate up to max_rate_u_h can bring to target")
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        g = _fasting_glucose_after(pat, mid, hours)
        if abs(g - target_mg_dl) < tolerance_mg_dl:
            return mid
        if g > target_mg_dl:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def derive_therapy(patient: Patient | str, target_mg_dl: float = 120.0) -> TherapyProfile:
    """Basal by simulated basal test; TDD, CF and CIR by Davidson 2008's rules."""
    pat = resolve(patient)
    basal = titrate_basal(pat, target_mg_dl)
    tdd = 24.0 * basal / BASAL_FRACTION_OF_TDD
    if tdd <= 0:
        raise InvalidInputError("basal titration", basal, "a positive basal rate (patient without insulin need?)")
    return TherapyProfile(
        basal_u_per_h=round(basal, 3),
        carb_ratio_g_per_u=CIR_RULE * pat.body_weight_kg * LB_PER_KG / tdd,
        correction_factor_mg_dl_per_u=CF_RULE / tdd,
        target_mg_dl=target_mg_dl,
        notes={"total daily dose [U]": tdd, "method": "basal test + Davidson 2008 rules"},
    )


def therapy_from_values(basal_u_per_h: float, carb_ratio_g_per_u: float, correction_factor_mg_dl_per_u: float,
                        target_mg_dl: float = 120.0) -> TherapyProfile:
    """A therapy profile from known settings (e.g. simglucose's Quest.csv)."""
    return TherapyProfile(float(basal_u_per_h), float(carb_ratio_g_per_u), float(correction_factor_mg_dl_per_u),
                          float(target_mg_dl))


__all__ = ["derive_therapy", "titrate_basal", "therapy_from_values"]
