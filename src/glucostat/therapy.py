"""Therapy profiles derived the way a clinician would, without the model's hidden parameters.

Two methods, both starting from a **basal test**: the clinician titrates the pump's
basal rate until glucose stays flat through a fast. glucostat runs 24-h fasts at
trial rates and bisects for the rate whose glucose after 24 h equals the fasting
target (default 120 mg/dL); only glucose a clinician can measure is used.

``method="meal-test"`` (default): the CGM-titrated protocol of King & Armstrong
(King AB, Armstrong DU. A prospective evaluation of insulin dosing recommendations
in patients with type 1 diabetes at near normal glucose control: bolus dosing.
J Diabetes Sci Technol 2007;1(1):42-46; pooled results in King AB, Diabetes
2019;68(Suppl 1):1108-P). On the titrated basal rate, a test meal is eaten with a
bolus of carbs/CIR at its start, and the carb ratio CIR is adjusted until the
glucose 2-4 h after the meal is within 80-120 % of pre-meal glucose (King's
criterion). glucostat takes the largest bolus for which the mean glucose 2-4 h
after the meal is not below pre-meal and glucose never falls more than 10 %
below pre-meal (nor below 70 mg/dL) in the 6 h after the meal, so that the
bolus does not carry hypoglycaemia into the next meal. The total daily dose is
24 x basal + daily carbohydrate / CIR; the correction factor is 1700/TDD
(Davidson 2008).

``method="davidson-2008"``: the rules of Davidson PC, Hebblewhite HR, Steed RD,
Bode BW. Analysis of guidelines for basal-bolus insulin dosing: basal insulin,
correction factor, and carbohydrate-to-insulin ratio. Endocr Pract
2008;14(9):1095-1101: basal = 50 % of TDD; CF = 1700/TDD [mg/dL per U];
CIR = 2.8 x body weight [lb]/TDD [g/U].
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .devices import TherapyProfile
from .errors import InvalidInputError
from .patients import Patient, resolve
from .scenario import InsulinBolus, InsulinInfusion, Meal, Scenario

LB_PER_KG = 2.20462
BASAL_FRACTION_OF_TDD = 0.5
CF_RULE = 1700.0
CIR_RULE = 2.8
METHODS = ("meal-test", "davidson-2008")
#: King & Armstrong 2007: the post-meal window judged against pre-meal glucose [min after the meal].
MEAL_TEST_WINDOW_MIN = (120.0, 240.0)
#: No value below this in the 6 h after the test meal [mg/dL] (ADA level 1 hypoglycaemia) ...
MEAL_TEST_HYPO_MG_DL = 70.0
#: ... nor below this fraction of pre-meal glucose (glucostat design: the bolus ends near pre-meal glucose).
MEAL_TEST_NADIR_FRACTION = 0.9
MEAL_TEST_OBSERVE_MIN = 360.0


def _quiet_simulate(patient, scenario, t_eval):
    from .simulation import simulate

    with warnings.catch_warnings():
        # trial doses that overshoot into hypoglycaemia may end early; they count as "too much"
        warnings.simplefilter("ignore", RuntimeWarning)
        res = simulate(patient, scenario, t_eval=t_eval)
    g = np.asarray(res.get("Plasma glucose [mg/dL]"), dtype=float)
    return np.where(np.isfinite(g), g, 0.0)


def _fasting_glucose_after(patient: Patient, rate_u_h: float, hours: float) -> float:
    events = (InsulinInfusion(time=0.0, duration_min=hours * 60.0, rate_u_per_h=rate_u_h),) if rate_u_h > 0 else ()
    return float(_quiet_simulate(patient, Scenario(events=events, duration_min=hours * 60.0), [hours * 60.0])[-1])


def _bisect(too_much, lo: float, hi: float, tol: float) -> float:
    """Largest dose in [lo, hi] (to ``tol``) that is not ``too_much`` (a monotone predicate)."""
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if too_much(mid):
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


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


def meal_test_bolus(patient: Patient | str, basal_u_per_h: float, carbs_g: float = 50.0,
                    max_bolus_u: float | None = None) -> float:
    """Meal bolus [U] found by a simulated meal test (King & Armstrong 2007).

    From the fasting state on ``basal_u_per_h``, ``carbs_g`` are eaten in 15 min with
    the bolus given at the start; the bolus is the largest for which the mean glucose
    120-240 min after the meal is not below the pre-meal glucose and no value in the
    6 h after the meal falls below 90 % of pre-meal or below 70 mg/dL. Only
    measurable glucose is used.
    """
    pat = resolve(patient)
    if not (math.isfinite(carbs_g) and 5.0 <= carbs_g <= 200.0):
        raise InvalidInputError("carbs_g", carbs_g, "a number in [5, 200] g")
    if not (math.isfinite(basal_u_per_h) and 0.0 < basal_u_per_h <= 20.0):
        raise InvalidInputError("basal_u_per_h", basal_u_per_h, "a number in (0, 20] U/h")
    t0 = 60.0
    end = t0 + MEAL_TEST_OBSERVE_MIN
    t_eval = np.arange(0.0, end + 0.5, 5.0)
    window = (t_eval >= t0 + MEAL_TEST_WINDOW_MIN[0]) & (t_eval <= t0 + MEAL_TEST_WINDOW_MIN[1])
    after = t_eval >= t0
    base = (InsulinInfusion(time=0.0, duration_min=end, rate_u_per_h=basal_u_per_h),
            Meal(time=t0, carbs_g=carbs_g, duration_min=15.0))

    def too_much(units: float) -> bool:
        events = base + ((InsulinBolus(time=t0, units=units),) if units > 0 else ())
        g = _quiet_simulate(pat, Scenario(events=events, duration_min=end), t_eval)
        pre = g[t_eval <= t0][-1]
        nadir = g[after].min()
        return bool(g[window].mean() < pre or nadir < MEAL_TEST_HYPO_MG_DL or nadir < MEAL_TEST_NADIR_FRACTION * pre)

    hi = carbs_g / 2.0 if max_bolus_u is None else max_bolus_u  # CIR >= 2 g/U
    return _bisect(too_much, 0.0, min(hi, 100.0), tol=0.01)


def derive_therapy(patient: Patient | str, target_mg_dl: float = 120.0, method: str = "meal-test",
                   meal_test_carbs_g: float | None = None, daily_carbs_g: float = 200.0) -> TherapyProfile:
    """Basal by simulated basal test; carb ratio by a simulated meal test (default) or Davidson 2008.

    ``meal_test_carbs_g`` defaults to 50 g, or 1 g/kg below 50 kg of body weight;
    ``daily_carbs_g`` (the patient's usual daily carbohydrate) turns the carb ratio into
    a total daily dose for the correction factor 1700/TDD.
    """
    pat = resolve(patient)
    if method not in METHODS:
        raise InvalidInputError("method", method, f"one of {', '.join(METHODS)}")
    if not (math.isfinite(daily_carbs_g) and 20.0 <= daily_carbs_g <= 600.0):
        raise InvalidInputError("daily_carbs_g", daily_carbs_g, "a number in [20, 600] g/day")
    basal = titrate_basal(pat, target_mg_dl)
    if basal <= 0:
        raise InvalidInputError("basal titration", basal, "a positive basal rate (patient without insulin need?)")
    if method == "davidson-2008":
        tdd = 24.0 * basal / BASAL_FRACTION_OF_TDD
        cir = CIR_RULE * pat.body_weight_kg * LB_PER_KG / tdd
        notes = {"method": "basal test + Davidson 2008 rules"}
    else:
        carbs = meal_test_carbs_g if meal_test_carbs_g is not None else min(50.0, round(pat.body_weight_kg))
        bolus = meal_test_bolus(pat, basal, carbs)
        if bolus < 0.02:
            raise InvalidInputError("meal test", bolus, "a patient whose test meal needs a bolus")
        cir = carbs / bolus
        tdd = 24.0 * basal + daily_carbs_g / cir
        notes = {"method": "basal test + meal test (King & Armstrong 2007) + CF 1700/TDD",
                 "meal test carbohydrate [g]": carbs, "meal test bolus [U]": bolus,
                 "daily carbohydrate [g]": daily_carbs_g}
    notes = {"total daily dose [U]": tdd, "basal share of TDD [%]": 100.0 * 24.0 * basal / tdd, **notes}
    return TherapyProfile(
        basal_u_per_h=round(basal, 3),
        carb_ratio_g_per_u=cir,
        correction_factor_mg_dl_per_u=CF_RULE / tdd,
        target_mg_dl=target_mg_dl,
        notes=notes,
    )


def therapy_from_values(basal_u_per_h: float, carb_ratio_g_per_u: float, correction_factor_mg_dl_per_u: float,
                        target_mg_dl: float = 120.0) -> TherapyProfile:
    """A therapy profile from known settings (e.g. simglucose's Quest.csv)."""
    return TherapyProfile(float(basal_u_per_h), float(carb_ratio_g_per_u), float(correction_factor_mg_dl_per_u),
                          float(target_mg_dl))


__all__ = ["derive_therapy", "meal_test_bolus", "titrate_basal", "therapy_from_values", "METHODS"]
