"""Population engine: the batched fixed-step kernel against the adaptive integrator and solve_ivp.

Accuracy bound asserted across whole cohorts, including simglucose's fastest-absorbing
adolescents (kabs up to 1.23 /min): glucose within 0.2 mg/dL (issue 6's 'accuracy that
matters') of the tight reference for the default 1-min step.
"""

import numpy as np
import pytest
from simglucose_harness import quest

import glucostat as gs
from glucostat.cohorts import generate_cohort
from glucostat.engine import estimate_bytes, simulate_batch
from glucostat.errors import InvalidInputError
from glucostat.interop.simglucose import simglucose_patient, simglucose_patient_names, simglucose_scenario
from glucostat.solver import integrate_reference

MEALS = {420: 45.0, 720: 70.0, 1080: 80.0}


def _simglucose_day(name):
    p = simglucose_patient(name)
    return p, simglucose_scenario(p, MEALS, {t: g / quest(name).CR for t, g in MEALS.items()})


@pytest.mark.parametrize("kernel", ["auto", "full", "rk4"])  # auto: the lean SIMD kernel for these type 1 patients
def test_batch_matches_adaptive_for_all_simglucose_patients(kernel):
    pairs = [_simglucose_day(n) for n in simglucose_patient_names()]
    pats, scens = [p for p, _ in pairs], [s for _, s in pairs]
    b = simulate_batch(pats, scens, output_every_min=1.0, signal="interstitial", kernel=kernel)
    assert b.ok and b.glucose_mg_dl.shape == (30, 1441)
    ref = np.array([gs.simulate(p, s, t_eval=b.time_min).get("Interstitial glucose [mg/dL]")
                    for p, s in pairs])
    assert np.max(np.abs(ref - b.glucose_mg_dl)) < 0.2


@pytest.mark.parametrize("kernel", ["auto", "full", "rk4"])
def test_batch_matches_solve_ivp_on_fastest_patients(kernel):
    names = sorted(simglucose_patient_names(), key=lambda n: -simglucose_patient(n).values["kabs"])[:3]
    for name in names:
        p, sc = _simglucose_day(name)
        b = simulate_batch([p], sc, output_every_min=10.0, kernel=kernel)
        ys = integrate_reference(np.asarray(p.initial_state, float), p.parameter_vector(), sc.compile_for(p),
                                 b.time_min, rtol=1e-10, atol=1e-10)
        g_ref = ys[:, gs.model.S.plasma_glucose] / p.values["VG"]
        assert np.max(np.abs(g_ref - b.glucose_mg_dl[0])) < 0.2, name


def test_batch_generated_cohort_and_full_model():
    c = generate_cohort("t1d-all", 6, seed=2)
    sc = gs.Scenario.day(meals={"07:00": 50, "12:00": 60, "19:00": 70})
    pats = [*c.patients, "healthy", "t2d"]
    scens = [gs.Scenario(events=(gs.InsulinInfusion(time=0, duration_min=1440, rate_u_per_h=p.basal_insulin_u_per_h),
                                 *sorted((*sc.events, *(gs.InsulinBolus(time=e.time, units=e.carbs_g / 10)
                                                        for e in sc.events)), key=lambda e: e.time)),
                         duration_min=1440) for p in c.patients] + [sc, sc]
    b = simulate_batch(pats, scens, output_every_min=5.0, keep_outputs=True)
    assert b.ok and b.outputs.shape[:2] == (8, 289)
    for i, (p, s) in enumerate(zip(pats, scens)):
        ref = gs.simulate(p, s, t_eval=b.time_min).get("Plasma glucose [mg/dL]")
        assert np.max(np.abs(ref - b.glucose_mg_dl[i])) < 0.2
    assert b.patients[-2:] == ("healthy", "t2d")


def test_batch_refuses_oversized_runs_before_work():
    need = estimate_bytes(100_000, 14 * 288 + 1, keep_outputs=True)
    with pytest.raises(InvalidInputError, match="GiB"):
        simulate_batch(["healthy"] * 10, gs.Scenario(duration_min=1440), memory_limit_bytes=1000)
    assert need > 2 * 1024**3
    with pytest.raises(InvalidInputError, match="step_min"):
        simulate_batch(["healthy"], gs.Scenario(duration_min=60), step_min=0)
    with pytest.raises(InvalidInputError, match="scenario"):
        simulate_batch(["healthy", "t2d"], [gs.Scenario(duration_min=60)])


def test_batch_takes_compiled_scenarios_and_shares_packed_rows():
    """A scenario compiled for each patient's body weight gives the same glucose as the scenario
    itself; patients sharing one compiled scenario share its packed rows (one copy per scenario)."""
    from glucostat.engine import pack_compiled

    pats = [gs.Patient.from_preset("t1d"), gs.Patient.from_preset("healthy"),
            *generate_cohort("t1d-adult", 2, seed=6).patients]
    sc = gs.Scenario.day(meals={"07:00": 50, "12:00": 70})
    a = simulate_batch(pats, sc)
    b = simulate_batch(pats, [sc.compile_for(p) for p in pats])
    np.testing.assert_array_equal(a.glucose_mg_dl, b.glucose_mg_dl)
    one = sc.compile(70.0)
    packed = pack_compiled([one] * 5)
    assert packed.inputs.shape[0] == one.inputs.shape[0] and packed.breakpoints.size == one.breakpoints.size
    assert (packed.segments == packed.segments[0]).all()
    sub = packed.subset([4, 2])
    assert sub.segments.shape == (2, 3) and sub.inputs is packed.inputs
