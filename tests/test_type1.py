"""Type 1 diabetes: SC insulin, devices, controllers, closed loop, CGM metrics."""

import numpy as np
import pytest

import glucostat as gs
from glucostat import cgm_metrics
from glucostat.closed_loop import simulate_closed_loop
from glucostat.control import PID, Action, BasalBolus, Observation
from glucostat.devices import CGM, CGM_PRESETS, Pump, TherapyProfile
from glucostat.errors import InvalidInputError
from glucostat.therapy import derive_therapy


def test_t1d_preset_has_no_secretion_and_is_steady_on_basal():
    p = gs.Patient.from_preset("t1d")
    assert p.values["Sb"] == 0 and p.values["K"] == 0 and p.values["beta"] == 0 and p.values["kp4"] == 0
    basal = p.basal_insulin_u_per_h
    assert 0.2 < basal < 2.0
    sc = gs.Scenario(events=(gs.InsulinInfusion(time=0, duration_min=2880, rate_u_per_h=basal),), duration_min=2880)
    res = gs.simulate(p, sc, dt_min=30)
    assert np.max(np.abs(res.get("Plasma glucose [mg/dL]") - 120.0)) < 1e-6
    assert res.get("Pancreatic insulin secretion [pmol/kg/min]").max() == 0.0
    # without insulin glucose rises (no beta cells); a meal without bolus goes high
    res = gs.simulate(p, gs.Scenario.day(), dt_min=10)
    assert res.get("Plasma glucose [mg/dL]")[-1] > 250


def test_rapid_acting_insulin_profile():
    """UVA/Padova SC kinetics (GIM 2007): after an SC bolus, insulin appearance peaks at
    about 50-55 min since kd + ka1 = ka2 (docs: Isc2 ~ t exp(-0.0182 t)); label: lispro
    Tmax 30-90 min, duration 3-5 h (Humalog prescribing information)."""
    p = gs.Patient.from_preset("t1d")
    sc = gs.Scenario(events=(gs.InsulinBolus(time=0, units=5),), duration_min=600)
    res = gs.simulate(p, sc, dt_min=0.5)
    # the bolus's own contribution: the basal depot of the initial state washes out in both runs
    none = gs.simulate(p, gs.Scenario(duration_min=600), dt_min=0.5)
    rai = res.get("Subcutaneous insulin appearance [pmol/kg/min]") - none.get("Subcutaneous insulin appearance [pmol/kg/min]")
    ins = res.get("Plasma insulin [pmol/L]") - none.get("Plasma insulin [pmol/L]")
    t = res.time_min
    assert 45 <= t[np.argmax(rai)] <= 60
    assert 30 <= t[np.argmax(ins)] <= 90
    # 5 U delivered: the depot and appearance account for it
    st = res.states[0]
    delivered = st[-1, gs.model.S.cum_sc_insulin] * p.body_weight_kg / 6000
    assert delivered == pytest.approx(5.0, rel=1e-6)


def test_cgm_noise_is_seeded_and_realistic():
    cgm = CGM_PRESETS["Dexcom"]
    t = np.arange(0, 14 * 1440, cgm.sample_time_min)
    a = cgm.noise_trace(t, np.random.default_rng(3))
    b = cgm.noise_trace(t, np.random.default_rng(3))
    c = cgm.noise_trace(t, np.random.default_rng(4))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # Breton & Kovatchev 2008: Johnson S_U error with mean about xi + small offset; spread ~ 10-20 mg/dL
    assert -10 < a.mean() < 5
    assert 5 < a.std() < 25
    assert np.all(cgm.read(np.full(3, 700.0)) == 600.0) and np.all(cgm.read(np.full(3, 10.0)) == 39.0)
    with pytest.raises(InvalidInputError, match="sample_time_min"):
        CGM(sample_time_min=0)


def test_pump_limits_and_bad_requests():
    pump = Pump(max_basal_u_per_h=5, max_bolus_u=10)
    assert pump.deliver(1.234, 2.0)[:2] == (pytest.approx(1.2), pytest.approx(2.0))
    b, bol, notes = pump.deliver(-1.0, 50.0)
    assert b == 0 and bol == pytest.approx(10.0) and len(notes) == 2
    with pytest.raises(InvalidInputError, match="controller basal"):
        pump.deliver(float("nan"), 0)


def test_controllers_see_only_device_data():
    th = TherapyProfile(1.0, 10.0, 40.0, target_mg_dl=120.0)
    a, _ = BasalBolus().step(Observation(0, 200.0, 50.0, th, 5.0), None)
    assert a == Action(1.0, pytest.approx(5.0 + 2.0))
    a, _ = BasalBolus().step(Observation(0, 140.0, 0.0, th, 5.0), None)
    assert a.bolus_u == 0
    pid = PID(kp=0.01, ki=0.0, kd=0.0)
    a, st = pid.step(Observation(0, 220.0, 0.0, th, 5.0), pid.initial_state(th))
    assert a.basal_u_per_h == pytest.approx(1.0 + 0.01 * 100)
    with pytest.raises(InvalidInputError, match="PID.target_mg_dl"):
        PID(target_mg_dl=20)


def test_therapy_derived_by_basal_test():
    p = gs.Patient.from_preset("t1d")
    th = derive_therapy(p, target_mg_dl=120)
    assert th.basal_u_per_h == pytest.approx(p.basal_insulin_u_per_h, rel=0.02)  # Gb is 120 for this preset
    tdd = th.notes["total daily dose [U]"]
    assert th.correction_factor_mg_dl_per_u == pytest.approx(1700 / tdd)


def test_closed_loop_reproducible_and_effective():
    p = gs.Patient.from_preset("t1d")
    sc = gs.Scenario.random_days(2, seed=5)
    a = simulate_closed_loop(p, sc, "basal-bolus", seed=7)
    b = simulate_closed_loop(p, sc, "basal-bolus", seed=7)
    c = simulate_closed_loop(p, sc, "basal-bolus", seed=8)
    assert np.array_equal(a.cgm_mg_dl, b.cgm_mg_dl) and not np.array_equal(a.cgm_mg_dl, c.cgm_mg_dl)
    assert a.results.ok
    none = simulate_closed_loop(p, sc, "basal-only", seed=7)
    m_bb, m_none = a.metrics().iloc[0], none.metrics().iloc[0]
    assert m_bb["Mean glucose [mg/dL]"] < m_none["Mean glucose [mg/dL]"]
    assert m_bb["Time in range 70-180 [%]"] > m_none["Time in range 70-180 [%]"]
    assert a.bolus_u.sum() > 0 and none.bolus_u.sum() == 0
    # insulin delivered by the pump reaches the patient
    delivered = a.results.states[0, -1, gs.model.S.cum_sc_insulin] * p.body_weight_kg / 6000
    assert delivered == pytest.approx(a.metrics().iloc[0]["Total insulin [U]"], rel=1e-3)


def test_missed_and_late_bolus():
    p = gs.Patient.from_preset("t1d")
    th = derive_therapy(p)
    on_time = gs.Scenario(events=(gs.Meal(time=60, carbs_g=60),), duration_min=480)
    late = gs.Scenario(events=(gs.Meal(time=60, carbs_g=60, bolus_delay_min=45),), duration_min=480)
    missed = gs.Scenario(events=(gs.Meal(time=60, carbs_g=60, announced=False),), duration_min=480)
    peaks = [simulate_closed_loop(p, s, therapy=th, cgm="ideal").results.get("Plasma glucose [mg/dL]").max()
             for s in (on_time, late, missed)]
    assert peaks[0] < peaks[1] < peaks[2]


def test_random_days_like_simglucose():
    a = gs.Scenario.random_days(30, seed=2)
    assert a == gs.Scenario.random_days(30, seed=2)
    assert a != gs.Scenario.random_days(30, seed=3)
    big = [e for e in a.events if e.carbs_g > 25]
    assert 0.85 * 90 <= len(big) <= 90  # three main meals with probability 0.95
    assert all(5 * 60 <= e.time % 1440 <= 23 * 60 for e in a.events)


def test_consensus_metrics_hand_values():
    g = np.array([50, 60, 100, 150, 190, 260, 120, 110, 100, 90], dtype=float)
    m = cgm_metrics.consensus_metrics(g)
    assert m["Time in range 70-180 [%]"] == pytest.approx(60.0)
    assert m["Time below 70 [%]"] == pytest.approx(20.0)
    assert m["Time below 54 [%]"] == pytest.approx(10.0)
    assert m["Time above 180 [%]"] == pytest.approx(20.0)
    assert m["Time above 250 [%]"] == pytest.approx(10.0)
    assert m["GMI [%]"] == pytest.approx(3.31 + 0.02392 * g.mean())
    # Kovatchev 1997: f(112.5) ~ 0 (the symmetrisation centre), risk 100 at the extremes
    assert abs(cgm_metrics.risk_function(112.5)) < 0.01
    assert 10 * cgm_metrics.risk_function(600.0) ** 2 == pytest.approx(100, rel=0.05)
    lbgi, hbgi, ri = cgm_metrics.risk_indices(g)
    assert lbgi > 0 and hbgi > 0 and ri == pytest.approx(lbgi + hbgi)
    with pytest.raises(InvalidInputError):
        cgm_metrics.consensus_metrics([np.nan])


@pytest.mark.parametrize("lo, hi, zone", [
    (100, 150, "A"), (80, 150, "Lower B"), (100, 200, "Upper B"), (80, 200, "B"), (60, 150, "Lower C"),
    (100, 350, "Upper C"), (60, 250, "Lower D"), (80, 350, "Upper D"), (60, 350, "E"), (40, 500, "E"),
])
def test_cvga_zones(lo, hi, zone):
    """Magni et al. 2008 grid: min split at 90/70, max at 180/300."""
    assert cgm_metrics.cvga_zone(lo, hi) == zone


def test_agp_and_figures(tmp_path):
    from glucostat.plotting import plot_agp, plot_cvga

    t = np.arange(0, 3 * 1440, 5.0)
    g = 120 + 40 * np.sin(2 * np.pi * t / 1440)
    prof = cgm_metrics.agp_percentiles(t, g)
    assert len(prof) == 96 and list(prof.columns)[2] == "P50 [mg/dL]"
    assert np.all(prof.iloc[:, 0] <= prof.iloc[:, 4])
    cl = simulate_closed_loop(["t1d", "t1d"], gs.Scenario.random_days(1, seed=1), seed=2)
    plot_agp(cl, path=tmp_path / "agp.png")
    plot_cvga(cl, path=tmp_path / "cvga.png")
    assert (tmp_path / "agp.png").stat().st_size > 5000 and (tmp_path / "cvga.png").stat().st_size > 5000


def test_mdi_with_pens_and_warmup():
    """Multiple daily injections: one glargine injection a day (24 x basal rate) plus pen
    boluses; the pen rounds doses to 0.5 U and never infuses. A 3-day warm-up brings the
    long-acting regimen to steady state, so fasting glucose stays near the basal target."""
    from glucostat.devices import Pen

    p = gs.Patient.from_preset("t1d")
    th = derive_therapy(p)
    fast = gs.Scenario(duration_min=1440)
    cl = simulate_closed_loop(p, fast, "mdi", therapy=th, pump="pen", cgm="ideal", warmup_days=3)
    assert cl.long_acting_u.sum() == pytest.approx(round(24 * th.basal_u_per_h / 0.5) * 0.5)
    assert cl.basal_u_per_h.max() == 0
    g = cl.results.get("Plasma glucose [mg/dL]")
    assert 80 < g.min() and g.max() < 180
    no_warmup = simulate_closed_loop(p, fast, "mdi", therapy=th, pump="pen", cgm="ideal")
    assert no_warmup.results.get("Plasma glucose [mg/dL]").max() > g.max()
    assert Pen().dial(2.26)[0] == 2.5 and Pen().deliver(1.0, 3.0)[0] == 0.0
    with pytest.raises(InvalidInputError, match="warmup_days"):
        simulate_closed_loop(p, fast, "mdi", warmup_days=-1)


def _ar2_variance(a1, a2, var):
    """Stationary variance of x_k = a1 x_{k-1} + a2 x_{k-2} + w_k (Box & Jenkins)."""
    return var * (1 - a2) / ((1 + a2) * ((1 - a2) ** 2 - a1**2))


def test_facchinetti_2014_sensor_error():
    """Facchinetti et al. 2014 (IEEE TBME 61:620): CGM = a(t) IG + b(t) + v + cc. With the
    population-mean calibration error the bias at IG = 120 is (1.1 - 1) 120 - 14.8 = -2.8 mg/dL
    right after calibration; the noise variance is that of the two AR(2) processes."""
    from glucostat.devices import FACCHINETTI_2014 as F

    cgm = CGM_PRESETS["SEVENPlus"]
    t = np.arange(0, 60 * 1440, 5.0)
    off = cgm.noise_trace(t, np.random.default_rng(1))
    assert np.array_equal(off, cgm.noise_trace(t, np.random.default_rng(1)))
    assert not np.array_equal(off, cgm.noise_trace(t, np.random.default_rng(2)))
    gain = cgm.gain_trace(t)
    assert gain[0] == pytest.approx(1.1) and gain.max() < 1.1 + 2e-4  # drift restarts every 12 h
    td = np.mod(t, 720.0) / 1440.0
    drift_free = off - (F["b0"] + F["b1"] * td)
    expected_var = _ar2_variance(F["v_a1"], F["v_a2"], F["v_var"]) + _ar2_variance(F["cc_a1"], F["cc_a2"], F["cc_var"])
    assert drift_free.var() == pytest.approx(expected_var, rel=0.15)
    assert abs(drift_free.mean()) < 1.0
    err = cgm.read(np.full(t.size, 120.0), off, gain) - 120.0
    assert err.mean() == pytest.approx(1.1 * 120 - 14.8 - 120, abs=1.0)
    assert cgm.read(1000.0, 0.0, 1.1) == 400.0
    with pytest.raises(InvalidInputError, match="error_model"):
        type(cgm)(error_model="magic")


def test_closed_loop_with_facchinetti_sensor():
    cl = simulate_closed_loop("t1d", gs.Scenario.random_days(1, seed=3), cgm="SEVENPlus", seed=4)
    assert cl.results.ok
    ig = cl.results.get("Interstitial glucose [mg/dL]")
    assert np.nanmax(np.abs(cl.cgm_mg_dl[0] - np.interp(cl.control_time_min, cl.results.time_min, ig))) < 80


def test_batched_therapy_derivation_matches_one_at_a_time():
    """Cohort therapies come from one batch per test round; each patient gets what it gets alone."""
    from glucostat.cohorts import generate_cohort
    from glucostat.therapy import derive_therapies

    c = generate_cohort("t1d-all", 6, seed=21)
    together = derive_therapies(c.patients, meal_test_carbs_g=40.0)
    for p, t in zip(c.patients, together):
        alone = derive_therapy(p, meal_test_carbs_g=40.0)
        assert abs(alone.basal_u_per_h - t.basal_u_per_h) <= 0.002
        assert alone.carb_ratio_g_per_u == pytest.approx(t.carb_ratio_g_per_u, rel=5e-3)
