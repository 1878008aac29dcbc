"""Closed loop in batch (compiled controllers and devices) against the adaptive closed loop."""

import numpy as np
import pytest

import glucostat as gs
from glucostat import cgm_metrics
from glucostat.batch import sensor_errors, simulate_closed_loop_batch
from glucostat.closed_loop import simulate_closed_loop
from glucostat.cohorts import generate_cohort
from glucostat.control import PID, Action
from glucostat.devices import CGM_PRESETS, Pump
from glucostat.errors import InvalidInputError

SCENARIO = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80}, days=2)


@pytest.fixture(scope="module")
def cohort():
    c = generate_cohort("t1d-adult", 4, seed=1)
    return c.patients, c.therapies()


@pytest.mark.parametrize("controller", ["basal-bolus", "pid", "mdi"])
def test_batch_closed_loop_matches_adaptive_reference(cohort, controller):
    """Same sensor noise (same seed), same rules: the compiled batch and the adaptive-step
    Python loop agree: plasma glucose within 0.05 mg/dL, deliveries equal (a CGM reading may
    round the other way at an x.5 boundary, moving that reading by 1 mg/dL: with glucose ~0.02 mg/dL
    apart, a few of the 2,300 readings do)."""
    pats, th = cohort
    warm = 1 if controller == "mdi" else 0
    b = simulate_closed_loop_batch(pats, SCENARIO, controller, th, cgm="GuardianRT", seed=3, warmup_days=warm)
    r = simulate_closed_loop(pats, SCENARIO, controller, th, cgm="GuardianRT", seed=3, warmup_days=warm, dt_min=5.0)
    assert b.ok
    plasma = np.array([r.results.get("Plasma glucose [mg/dL]", i) for i in range(len(pats))])
    assert np.max(np.abs(b.plasma_glucose_mg_dl - plasma)) < 0.05
    assert np.count_nonzero(b.cgm_mg_dl != r.cgm_mg_dl) <= 6
    assert np.max(np.abs(b.cgm_mg_dl - r.cgm_mg_dl)) <= 1.0
    assert np.max(np.abs(b.bolus_u - r.bolus_u)) <= 0.05
    assert np.max(np.abs(b.long_acting_u - r.long_acting_u)) <= 0.5
    mb, mr = b.metrics(), r.metrics()
    assert np.allclose(mb["Mean glucose [mg/dL]"], mr["Mean glucose [mg/dL]"], atol=0.05)
    assert np.allclose(mb["Total insulin [U]"], mr["Total insulin [U]"], atol=0.2)


class _Custom:
    """A Python controller (not compiled): PID-like basal, bolus from the profile."""

    name = "custom"

    def initial_state(self, therapy):
        return None

    def step(self, obs, state):
        bolus = obs.announced_carbs_g / obs.therapy.carb_ratio_g_per_u
        return Action(obs.therapy.basal_u_per_h, bolus), state


def test_custom_python_controller_runs_in_batch(cohort):
    """A custom controller goes through the Python loop with the same physiology kernel:
    a basal-bolus twin gives the compiled basal-bolus result (no correction: glucose is set high)."""
    pats, th = cohort
    th = [type(t)(t.basal_u_per_h, t.carb_ratio_g_per_u, t.correction_factor_mg_dl_per_u,
                  correction_threshold_mg_dl=400.0) for t in th]
    a = simulate_closed_loop_batch(pats, SCENARIO, _Custom(), th, cgm="Dexcom", seed=5)
    b = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, cgm="Dexcom", seed=5, kernel="rk4")
    assert a.ok and a.controller == "custom"
    np.testing.assert_allclose(a.plasma_glucose_mg_dl, b.plasma_glucose_mg_dl, atol=1e-9)
    np.testing.assert_array_equal(a.bolus_u, b.bolus_u)
    # the compiled controller on the lean type 1 kernel: same deliveries, glucose within its tolerance
    c = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, cgm="Dexcom", seed=5)
    np.testing.assert_allclose(c.plasma_glucose_mg_dl, b.plasma_glucose_mg_dl, atol=0.02)  # RK4 0.5-min error level
    np.testing.assert_array_equal(c.bolus_u, b.bolus_u)


def test_lean_closed_loop_passes_over_unannounced_samples(cohort):
    """Between announced meals the basal-bolus controller's action is constant, so the lean kernel
    integrates from one announcement to the next and reads the sensor from the dense output: every
    sample is still recorded with the delivered basal and the pump's clipping (here the pump clips the
    basal request at every sample), as when stepping sample by sample (the RK4 kernel)."""
    pats, th = cohort
    pump = Pump(name="tight", max_basal_u_per_h=0.5)
    lean_run = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, pump=pump, seed=2)
    step_run = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, pump=pump, seed=2, kernel="rk4")
    assert lean_run.ok and step_run.ok
    assert (lean_run.pump_clips > 0).sum() >= 2
    np.testing.assert_array_equal(lean_run.pump_clips, step_run.pump_clips)
    np.testing.assert_array_equal(lean_run.basal_u_per_h, step_run.basal_u_per_h)
    np.testing.assert_array_equal(lean_run.bolus_u, step_run.bolus_u)
    np.testing.assert_allclose(lean_run.plasma_glucose_mg_dl, step_run.plasma_glucose_mg_dl, atol=0.02)
    assert np.max(np.abs(lean_run.cgm_mg_dl - step_run.cgm_mg_dl)) <= 1.0


def test_noise_stream_follows_the_patient_not_the_batch(cohort):
    """Patient i draws from SeedSequence(seed, spawn_key=(i,)): running patient 2 alone with
    patient_indices=[2] draws its sensor errors of the full run (what trial chunks rely on). Its
    glucose then agrees within the step tolerance (lanes of a block share steps, so a different
    block gives a different, equally accurate step sequence; a reading may round the other way)."""
    pats, th = cohort
    t = np.arange(0.0, SCENARIO.duration_min + 1e-9, 5.0)
    cgm = CGM_PRESETS["GuardianRT"]
    np.testing.assert_array_equal(sensor_errors(cgm, t, 11, [2])[0][0], sensor_errors(cgm, t, 11, range(4))[0][2])
    full = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, seed=11)
    alone = simulate_closed_loop_batch([pats[2]], SCENARIO, "basal-bolus", [th[2]], seed=11, patient_indices=[2])
    np.testing.assert_allclose(alone.plasma_glucose_mg_dl[0], full.plasma_glucose_mg_dl[2], atol=0.05)
    assert np.max(np.abs(alone.cgm_mg_dl[0] - full.cgm_mg_dl[2])) <= 1.0
    assert np.mean(alone.cgm_mg_dl[0] == full.cgm_mg_dl[2]) > 0.95
    again = simulate_closed_loop_batch(pats, SCENARIO, "basal-bolus", th, seed=11)
    np.testing.assert_array_equal(again.cgm_mg_dl, full.cgm_mg_dl)


def test_controller_that_returns_nan_is_refused(cohort):
    pats, th = cohort

    class Bad(_Custom):
        def step(self, obs, state):
            return Action(float("nan")), state

    with pytest.raises(InvalidInputError, match="controller basal"):
        simulate_closed_loop_batch(pats[:1], SCENARIO, Bad(), th[:1])


def test_pump_limits_clip_and_count(cohort):
    """A PID with an absurd gain asks for more than the pump's maximum: deliveries stay
    within the limits and every clip is counted."""
    pats, th = cohort
    b = simulate_closed_loop_batch(pats[:2], SCENARIO, PID(kp=5.0, meal_bolus=False), th[:2], pump="Insulet")
    assert b.basal_u_per_h.max() <= 30.0 and b.basal_u_per_h.min() >= 0.0
    assert (b.pump_clips > 0).all()


def test_batch_metrics_equal_single_trace_metrics():
    rng = np.random.default_rng(0)
    g = rng.uniform(40, 350, size=(3, 500))
    g[1, ::7] = np.nan
    batch = cgm_metrics.consensus_metrics_batch(g)
    for i in range(3):
        single = cgm_metrics.consensus_metrics(g[i])
        for k, v in single.items():
            assert batch[k][i] == pytest.approx(v, rel=1e-12), k
    assert np.isnan(cgm_metrics.consensus_metrics_batch(np.full((1, 4), np.nan))["Mean glucose [mg/dL]"][0])
