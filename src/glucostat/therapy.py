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

The tests are simulated in batches: every patient's trial fast (or trial meal) of one
bisection round runs in one parallel call of :func:`glucostat.engine.simulate_batch`
(:func:`derive_therapies`; a single patient is a batch of one), so deriving a cohort's
therapies costs about as much as one patient's.

``method="davidson-2008"``: the rules of Davidson PC, Hebblewhite HR, Steed RD,
Bode BW. Analysis of guidelines for basal-bolus insulin dosing: basal insulin,
correction factor, and carbohydrate-to-insulin ratio. Endocr Pract
2008;14(9):1095-1101: basal = 50 % of TDD; CF = 1700/TDD [mg/dL per U];
CIR = 2.8 x body weight [lb]/TDD [g/U].
"""

from __future__ import annotations

import math

import numpy as np

from .devices import TherapyProfile
from .errors import InvalidInputError
from .patients import Patient, resolve
from .scenario import CompiledScenario, InsulinBolus, InsulinInfusion, Meal, Scenario

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


#: Tolerance of the simulations behind the tests (the batch engine's; glucose within ~1e-4 mg/dL).
SIMULATION_RTOL = 1e-7


def _glucose(patients: list[Patient], scenarios: list[Scenario], every_min: float) -> np.ndarray:
    """Plasma glucose (N, n_out) [mg/dL] every ``every_min`` from 0, one scenario per patient, in one
    parallel batch (:func:`glucostat.engine.simulate_batch`). A trial dose that drives glucose to zero
    ends that simulation; its missing values count as 0 mg/dL ("too much")."""
    from .engine import simulate_batch

    g = simulate_batch(patients, scenarios, output_every_min=every_min, rtol=SIMULATION_RTOL).glucose_mg_dl
    return np.where(np.isfinite(g), g, 0.0)


def _scaled(template: CompiledScenario, factor: float, zero: CompiledScenario | None = None) -> CompiledScenario:
    """``zero + factor (template - zero)`` in the inputs: a compiled scenario whose inputs are linear in
    one dose (a basal rate, a bolus), built from its compilations at dose 1 (``template``) and dose 0
    (``zero``; default no inputs), which share breakpoints and impulses. A bisection simulates dozens of
    doses per patient; this replaces a validated Scenario and its compilation per trial dose."""
    inputs = template.inputs * factor if zero is None else zero.inputs + factor * (template.inputs - zero.inputs)
    return CompiledScenario(template.breakpoints, inputs, template.jumps, template.meal_reset)


def _fasting_glucose_after(patients: list[Patient], templates: list[CompiledScenario], rates_u_h: np.ndarray,
                           hours: float) -> np.ndarray:
    """Glucose [mg/dL] after ``hours`` of fasting on each basal rate (``templates``: :func:`_basal_templates`)."""
    return _glucose(patients, [_scaled(c, float(r)) for c, r in zip(templates, rates_u_h)], hours * 60.0)[:, -1]


def _basal_templates(patients: list[Patient], hours: float) -> list[CompiledScenario]:
    """Each patient's fast on 1 U/h, compiled (rates scale it, :func:`_scaled`)."""
    unit = Scenario(events=(InsulinInfusion(time=0.0, duration_min=hours * 60.0, rate_u_per_h=1.0),),
                    duration_min=hours * 60.0)
    return [unit.compile_for(p) for p in patients]


def titrate_basal_batch(patients, target_mg_dl: float = 120.0, hours: float = 24.0, max_rate_u_h: float = 10.0,
                        tolerance_mg_dl: float = 1.0) -> np.ndarray:
    """Basal rates [U/h] (N,) that bring each patient's fasting glucose to ``target_mg_dl`` after ``hours``.

    Bisection per patient, all patients' trial fasts of one bisection round in one batch.
    """
    pats = [resolve(p) for p in patients]
    if not 70 <= target_mg_dl <= 200:
        raise InvalidInputError("target_mg_dl", target_mg_dl, "a number in [70, 200] mg/dL")
    n = len(pats)
    lo, hi = np.zeros(n), np.full(n, float(max_rate_u_h))
    templates = _basal_templates(pats, hours)
    g_max = _fasting_glucose_after(pats, templates, hi, hours)
    if np.any(g_max > target_mg_dl):
        i = int(np.argmax(g_max > target_mg_dl))
        raise InvalidInputError("basal titration", f"{pats[i].name}: > {max_rate_u_h} U/h",
                                "a patient whose fasting glucose a basal rate up to max_rate_u_h can bring to target")
    rate = np.full(n, np.nan)
    active = np.ones(n, dtype=bool)
    for _ in range(40):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        mid = 0.5 * (lo[idx] + hi[idx])
        g = _fasting_glucose_after([pats[i] for i in idx], [templates[i] for i in idx], mid, hours)
        done = np.abs(g - target_mg_dl) < tolerance_mg_dl
        rate[idx[done]] = mid[done]
        active[idx[done]] = False
        high = ~done & (g > target_mg_dl)
        low = ~done & ~high
        lo[idx[high]] = mid[high]
        hi[idx[low]] = mid[low]
    rate[active] = 0.5 * (lo[active] + hi[active])
    return rate


def titrate_basal(patient: Patient | str, target_mg_dl: float = 120.0, hours: float = 24.0,
                  max_rate_u_h: float = 10.0, tolerance_mg_dl: float = 1.0) -> float:
    """Basal rate [U/h] that brings fasting glucose to ``target_mg_dl`` after ``hours``."""
    return float(titrate_basal_batch([patient], target_mg_dl, hours, max_rate_u_h, tolerance_mg_dl)[0])


def meal_test_bolus_batch(patients, basal_u_per_h, carbs_g, max_bolus_u=None) -> np.ndarray:
    """Meal boluses [U] (N,) by simulated meal tests (King & Armstrong 2007), as :func:`meal_test_bolus`.

    Bisection per patient to 0.01 U, all patients' trial meals of one round in one batch.
    """
    pats = [resolve(p) for p in patients]
    n = len(pats)
    basal = np.broadcast_to(np.asarray(basal_u_per_h, dtype=float), (n,))
    carbs = np.broadcast_to(np.asarray(carbs_g, dtype=float), (n,))
    for c in carbs:
        if not (math.isfinite(c) and 5.0 <= c <= 200.0):
            raise InvalidInputError("carbs_g", float(c), "a number in [5, 200] g")
    for b in basal:
        if not (math.isfinite(b) and 0.0 < b <= 20.0):
            raise InvalidInputError("basal_u_per_h", float(b), "a number in (0, 20] U/h")
    t0 = 60.0
    end = t0 + MEAL_TEST_OBSERVE_MIN
    t_eval = np.arange(0.0, end + 0.5, 5.0)
    window = (t_eval >= t0 + MEAL_TEST_WINDOW_MIN[0]) & (t_eval <= t0 + MEAL_TEST_WINDOW_MIN[1])
    after = t_eval >= t0
    pre_col = np.flatnonzero(t_eval <= t0)[-1]

    def meal_test(i: int, units: float) -> Scenario:
        events = (InsulinInfusion(time=0.0, duration_min=end, rate_u_per_h=float(basal[i])),
                  Meal(time=t0, carbs_g=float(carbs[i]), duration_min=15.0))
        if units > 0:
            events += (InsulinBolus(time=t0, units=float(units)),)
        return Scenario(events=events, duration_min=end)

    # each patient's test compiled without and with a 1-U bolus; a trial bolus scales the difference
    zero = [meal_test(i, 0.0).compile_for(p) for i, p in enumerate(pats)]
    unit = [meal_test(i, 1.0).compile_for(p) for i, p in enumerate(pats)]
    for z, o in zip(zero, unit):
        assert np.array_equal(z.breakpoints, o.breakpoints) and np.array_equal(z.jumps, o.jumps)

    def too_much(idx: np.ndarray, units: np.ndarray) -> np.ndarray:
        scen = [_scaled(unit[i], float(u), zero[i]) for i, u in zip(idx, units)]
        g = _glucose([pats[i] for i in idx], scen, 5.0)
        pre = g[:, pre_col]
        nadir = g[:, after].min(axis=1)
        return (g[:, window].mean(axis=1) < pre) | (nadir < MEAL_TEST_HYPO_MG_DL) | (
            nadir < MEAL_TEST_NADIR_FRACTION * pre)

    hi_default = carbs / 2.0  # CIR >= 2 g/U
    hi = np.minimum(hi_default if max_bolus_u is None else np.broadcast_to(float(max_bolus_u), (n,)), 100.0)
    lo = np.zeros(n)
    hi = hi.astype(float).copy()
    while True:
        idx = np.flatnonzero(hi - lo > 0.01)
        if idx.size == 0:
            break
        mid = 0.5 * (lo[idx] + hi[idx])
        over = too_much(idx, mid)
        hi[idx[over]] = mid[over]
        lo[idx[~over]] = mid[~over]
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
    return float(meal_test_bolus_batch([patient], basal_u_per_h, carbs_g, max_bolus_u)[0])


def derive_therapies(patients, target_mg_dl: float = 120.0, method: str = "meal-test", meal_test_carbs_g=None,
                     daily_carbs_g=200.0) -> tuple[TherapyProfile, ...]:
    """:func:`derive_therapy` for many patients, each test round simulated as one parallel batch.

    ``meal_test_carbs_g`` and ``daily_carbs_g`` are one value for all or one per patient.
    """
    pats = [resolve(p) for p in patients]
    n = len(pats)
    if method not in METHODS:
        raise InvalidInputError("method", method, f"one of {', '.join(METHODS)}")
    daily = np.broadcast_to(np.asarray(daily_carbs_g, dtype=float), (n,))
    for d in daily:
        if not (math.isfinite(d) and 20.0 <= d <= 600.0):
            raise InvalidInputError("daily_carbs_g", float(d), "a number in [20, 600] g/day")
    basal = titrate_basal_batch(pats, target_mg_dl)
    if np.any(basal <= 0):
        i = int(np.argmax(basal <= 0))
        raise InvalidInputError("basal titration", f"{pats[i].name}: {basal[i]}",
                                "a positive basal rate (patient without insulin need?)")
    if method == "davidson-2008":
        tdd = 24.0 * basal / BASAL_FRACTION_OF_TDD
        cir = CIR_RULE * np.array([p.body_weight_kg for p in pats]) * LB_PER_KG / tdd
        notes = [{"method": "basal test + Davidson 2008 rules"} for _ in pats]
    else:
        if meal_test_carbs_g is None:
            carbs = np.array([min(50.0, round(p.body_weight_kg)) for p in pats], dtype=float)
        else:
            carbs = np.broadcast_to(np.asarray(meal_test_carbs_g, dtype=float), (n,)).copy()
        bolus = meal_test_bolus_batch(pats, basal, carbs)
        if np.any(bolus < 0.02):
            i = int(np.argmax(bolus < 0.02))
            raise InvalidInputError("meal test", f"{pats[i].name}: {bolus[i]}", "a patient whose test meal needs a bolus")
        cir = carbs / bolus
        tdd = 24.0 * basal + daily / cir
        notes = [{"method": "basal test + meal test (King & Armstrong 2007) + CF 1700/TDD",
                  "meal test carbohydrate [g]": float(carbs[i]), "meal test bolus [U]": float(bolus[i]),
                  "daily carbohydrate [g]": float(daily[i])} for i in range(n)]
    return tuple(TherapyProfile(
        basal_u_per_h=round(float(basal[i]), 3),
        carb_ratio_g_per_u=float(cir[i]),
        correction_factor_mg_dl_per_u=float(CF_RULE / tdd[i]),
        target_mg_dl=target_mg_dl,
        notes={"total daily dose [U]": float(tdd[i]), "basal share of TDD [%]": float(100.0 * 24.0 * basal[i] / tdd[i]),
               **notes[i]},
    ) for i in range(n))


def derive_therapy(patient: Patient | str, target_mg_dl: float = 120.0, method: str = "meal-test",
                   meal_test_carbs_g: float | None = None, daily_carbs_g: float = 200.0) -> TherapyProfile:
    """Basal by simulated basal test; carb ratio by a simulated meal test (default) or Davidson 2008.

    ``meal_test_carbs_g`` defaults to 50 g, or 1 g/kg below 50 kg of body weight;
    ``daily_carbs_g`` (the patient's usual daily carbohydrate) turns the carb ratio into
    a total daily dose for the correction factor 1700/TDD.
    """
    return derive_therapies([patient], target_mg_dl, method, meal_test_carbs_g, daily_carbs_g)[0]


def therapy_from_values(basal_u_per_h: float, carb_ratio_g_per_u: float, correction_factor_mg_dl_per_u: float,
                        target_mg_dl: float = 120.0) -> TherapyProfile:
    """A therapy profile from known settings (e.g. simglucose's Quest.csv)."""
    return TherapyProfile(float(basal_u_per_h), float(carb_ratio_g_per_u), float(correction_factor_mg_dl_per_u),
                          float(target_mg_dl))


__all__ = ["derive_therapy", "derive_therapies", "meal_test_bolus", "meal_test_bolus_batch", "titrate_basal",
           "titrate_basal_batch", "therapy_from_values", "METHODS"]
