"""Clinical protocols: hyperinsulinaemic-euglycaemic clamp, frequently sampled IVGTT, minimal-model fit.

Published values are cited where they are used. Where glucostat's model (Dalla Man 2007 as calibrated)
falls outside a published range, the test pins what the model gives, with the tolerance and the
reason written next to it, and docs/validation.md ('Clinical protocols: clamp and IVGTT') says so.
"""

import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.integrate import solve_ivp

import glucostat as gs
from glucostat import clinical
from glucostat.cli import main
from glucostat.errors import InvalidInputError
from glucostat.model import S
from glucostat.simulation import advance


@pytest.fixture(scope="module")
def clamps():
    return {p: clinical.clamp(p) for p in ("healthy", "t2d")}


@pytest.fixture(scope="module")
def ivgtts():
    return {p: clinical.ivgtt(p) for p in ("healthy", "t2d")}


# --------------------------------------------------------------------------------------------- minimal model
def _reference_glucose(t_out, ti, ii, sg, si, p2, g0, gb, ib, ra_t=(), ra=()):
    """The minimal model integrated independently (scipy DOP853, tight tolerances, kinks as breakpoints);
    optional glucose input ra [mg/dL/min] held from each time of ra_t to the next."""
    ra_t, ra = np.asarray(ra_t, dtype=float), np.asarray(ra, dtype=float)

    def rhs(t, z):
        d = np.interp(t, ti, ii) - ib
        k = np.searchsorted(ra_t, t, side="right") - 1
        inp = ra[k] if ra_t.size and k >= 0 else 0.0
        return [-(sg + z[1]) * z[0] + sg * gb + inp, -p2 * z[1] + p2 * si * d]

    knots = np.unique(np.concatenate(([0.0], ti[ti > 0], ra_t[ra_t > 0], [t_out.max()])))
    z, out = [g0, 0.0], {}
    for a, b in zip(knots[:-1], knots[1:]):
        te = t_out[(t_out > a) & (t_out < b)]
        sol = solve_ivp(rhs, (a, b), z, method="DOP853", rtol=1e-12, atol=1e-12, t_eval=np.append(te, b))
        out.update(zip(te, sol.y[0, :-1]))
        out[b] = sol.y[0, -1]
        z = sol.y[:, -1]
    return np.array([out.get(t, g0) for t in t_out])


def _fsigt_insulin(ib, first_phase, bolus):
    """An insulin-modified FSIGT insulin profile [uU/mL] on the standard sample times."""
    t = np.array(clinical.FSIGT_SAMPLE_TIMES_MIN)
    first = first_phase * (t > 0) * (t / 4.0) * np.exp(1.0 - t / 4.0)
    second = 0.3 * first_phase * (t > 10) * np.exp(-(t - 10.0) / 60.0)
    injected = bolus * (t >= 22) * np.exp(-np.clip(t - 23.0, 0, None) / 6.0)
    ins = ib + first + second + injected
    return t, ins


TRUE_SETS = {
    # healthy-like (SI 5e-4, SG 0.025; Pacini et al. 1998 normal means ~7e-4 and 0.026-0.036)
    "normal": dict(sg=0.025, si=5.0e-4, p2=0.03, g0=280.0, gb=90.0, ib=8.0, first=80.0, bolus=150.0),
    # type 2-like (low SI, high basal glucose, small first phase)
    "t2d": dict(sg=0.015, si=1.0e-4, p2=0.02, g0=330.0, gb=160.0, ib=15.0, first=10.0, bolus=150.0),
}


def _synthetic(name):
    p = TRUE_SETS[name]
    t, ins = _fsigt_insulin(p["ib"], p["first"], p["bolus"])
    g = _reference_glucose(t, t, ins, p["sg"], p["si"], p["p2"], p["g0"], p["gb"], p["ib"])
    g[t <= 0] = p["gb"]
    return t, g, ins, p


def test_minimal_model_integrator_matches_scipy():
    t, g_ref, ins, p = _synthetic("normal")
    g = clinical.minimal_model_glucose(t, t, ins, p["sg"], p["si"], p["p2"], p["g0"], p["gb"], p["ib"])
    fit_part = t > 0
    assert np.max(np.abs(g[fit_part] - g_ref[fit_part])) < 1e-6


@pytest.mark.parametrize("name", ["normal", "t2d"])
def test_minimal_model_fit_recovers_known_parameters(name):
    """Noise-free data from the minimal model itself (independent integrator): SI, SG, p2, G0 within 1 %."""
    t, g, ins, p = _synthetic(name)
    fit = clinical.fit_minimal_model(t, g, ins)
    assert fit.gb_mg_dl == pytest.approx(p["gb"]) and fit.ib_uu_ml == pytest.approx(p["ib"])
    assert fit.si_per_min_per_uu_ml == pytest.approx(p["si"], rel=0.01)
    assert fit.sg_per_min == pytest.approx(p["sg"], rel=0.01)
    assert fit.p2_per_min == pytest.approx(p["p2"], rel=0.01)
    assert fit.g0_mg_dl == pytest.approx(p["g0"], rel=0.01)
    assert fit.identifiable and fit.residual_rms_pct < 0.01
    idx = fit.indices()
    assert idx["SI [10^-4/min per uU/mL]"] == pytest.approx(p["si"] * 1e4, rel=0.01)


def test_minimal_model_fit_with_dextrose_input():
    """An IVGTT held up by dextrose (J Clin Endocrinol Metab 2006;91:2272): dG/dt gains Ra(t)/V with
    V = dose/(G0 - Gb). The compiled integrator with the input agrees with solve_ivp, the fit recovers
    the four parameters from noise-free data within 1 %, and ignoring the dextrose biases SI."""
    p = TRUE_SETS["normal"]
    t, ins = _fsigt_insulin(p["ib"], p["first"], p["bolus"])
    dose = 300.0  # mg/kg, so V = 300 / (280 - 90) = 1.58 dL/kg
    dex_t = np.arange(0.0, 180.0, 5.0)
    dex = np.where(dex_t >= 35.0, 3.0 + 2.0 * np.sin(dex_t / 20.0), 0.0)  # mg/kg/min
    v = dose / (p["g0"] - p["gb"])
    g = _reference_glucose(t, t, ins, p["sg"], p["si"], p["p2"], p["g0"], p["gb"], p["ib"], dex_t, dex / v)
    g[t <= 0] = p["gb"]
    knots = np.union1d(t[t >= 0], dex_t)
    ri = dex[np.clip(np.searchsorted(dex_t, knots, side="right") - 1, 0, None)] / v
    mine = clinical.minimal_model_glucose(t, knots, np.interp(knots, t, ins), p["sg"], p["si"], p["p2"], p["g0"],
                                          p["gb"], p["ib"], glucose_input_mg_dl_min=ri)
    assert np.max(np.abs(mine[t > 0] - g[t > 0])) < 1e-6
    fit = clinical.fit_minimal_model(t, g, ins, dextrose_t_min=dex_t, dextrose_mg_kg_min=dex, glucose_dose_mg_kg=dose)
    for got, want in ((fit.si_per_min_per_uu_ml, p["si"]), (fit.sg_per_min, p["sg"]), (fit.p2_per_min, p["p2"]),
                      (fit.g0_mg_dl, p["g0"])):
        assert got == pytest.approx(want, rel=0.01)
    assert fit.identifiable and fit.residual_rms_pct < 0.1
    naive = clinical.fit_minimal_model(t, g, ins)
    assert naive.residual_rms_pct > 0.5 and abs(naive.si_per_min_per_uu_ml / p["si"] - 1.0) > 0.1
    with pytest.raises(gs.InvalidInputError, match="glucose_dose_mg_kg"):
        clinical.fit_minimal_model(t, g, ins, dextrose_t_min=dex_t, dextrose_mg_kg_min=dex)
    with pytest.raises(gs.InvalidInputError, match="dextrose_t_min"):
        clinical.fit_minimal_model(t, g, ins, dextrose_t_min=dex_t[::-1], dextrose_mg_kg_min=dex,
                                   glucose_dose_mg_kg=dose)


def test_minimal_model_fit_with_assay_noise_and_precision():
    """1.5 % CV glucose noise (a typical assay), seeded: estimates within 3 reported CVs of the truth."""
    t, g, ins, p = _synthetic("normal")
    rng = np.random.default_rng(7)
    g_noisy = g * (1.0 + 0.015 * rng.standard_normal(g.size))
    g_noisy[t <= 0] = p["gb"]
    fit = clinical.fit_minimal_model(t, g_noisy, ins, gb_mg_dl=p["gb"], ib_uu_ml=p["ib"])
    assert 0.5 < fit.residual_rms_pct < 3.0
    for key, est, true in (("SI", fit.si_per_min_per_uu_ml, p["si"]), ("SG", fit.sg_per_min, p["sg"])):
        cv = fit.cv_pct[key] / 100.0
        assert 0 < cv < 0.5
        assert abs(math.log(est / true)) < 3.0 * cv, (key, est, true, cv)


def test_minimal_model_fit_bad_input():
    t, g, ins, _ = _synthetic("normal")
    with pytest.raises(InvalidInputError, match="t_min, glucose_mg_dl, insulin_uu_ml"):
        clinical.fit_minimal_model(t, g[:-1], ins)
    with pytest.raises(InvalidInputError, match="t_min"):
        clinical.fit_minimal_model(t[1:], g[1:], ins[1:])  # no basal sample and no gb/ib
    with pytest.raises(InvalidInputError, match="t_min"):
        clinical.fit_minimal_model(t[::-1], g[::-1], ins[::-1])
    with pytest.raises(InvalidInputError, match="glucose_mg_dl"):
        clinical.fit_minimal_model(t, -g, ins)
    with pytest.raises(InvalidInputError, match="fit_start_min"):
        clinical.fit_minimal_model(t, g, ins, fit_start_min=170)


# --------------------------------------------------------------------------------------------- stepping helper
def test_advance_in_control_intervals_equals_one_integration():
    """Stepping a scenario in 5-min pieces applies every meal impulse once and matches simulate()."""
    pat = gs.Patient.from_preset("healthy")
    scen = gs.Scenario.day(meals={"07:00": 50, "07:32": 10}, duration_min=15)
    ref = gs.simulate(pat, scen, t_eval=np.arange(400.0, 600.0, 1.0))
    comp = scen.compile_for(pat)
    p = pat.parameter_vector()
    y = np.array(pat.initial_state)
    y, *_ = advance(y, p, comp, 0.0, 400.0)
    got = []
    for t0 in np.arange(400.0, 600.0, 5.0):
        y, ys, outs, code, _ = advance(y, p, comp, t0, t0 + 5.0, None, np.arange(t0, t0 + 5.0, 1.0))
        assert code == 0
        got.append(ys)
    got = np.concatenate(got)
    assert np.max(np.abs(got[:, S.plasma_glucose] - ref.states[0, :, S.plasma_glucose])) < 1e-4
    assert np.max(np.abs(got[:, S.cum_ingested] - ref.states[0, :, S.cum_ingested])) < 1e-6


# --------------------------------------------------------------------------------------------- clamp
def test_clamp_holds_glucose_at_target(clamps):
    """The DeFronzo feedback holds glucose within 10 % of target after the first 10 min (its 5-min
    recursion lags while the dextrose need climbs to 8 mg/kg/min: an undershoot of ~ 9 % at 35-40 min)
    and with a CV below 5 % in the last 30 min (the usual quality criterion; e.g. a median end-of-clamp
    CV of 4.1 %, range 1.4-12 %, in Matthews, Edge & Dunger 1990, 26 overnight clamps)."""
    h = clamps["healthy"]
    assert h.target_mg_dl == pytest.approx(gs.Patient.from_preset("healthy").basal_glucose_mg_dl)
    g = h.samples["Plasma glucose [mg/dL]"]
    dev = (g[g.index >= 10] - h.target_mg_dl).abs() / h.target_mg_dl
    assert dev.max() < 0.10
    ix = h.indices
    assert ix["Glucose CV [%]"] < 5.0 and abs(ix["Glucose deviation from target [%]"]) < 5.0
    assert ix["Steady state reached [1]"] == 1.0
    # isoglycaemic clamp in type 2 diabetes (target = fasting glucose) is held too
    iso = clinical.clamp("t2d", target_mg_dl=gs.Patient.from_preset("t2d").basal_glucose_mg_dl)
    assert iso.indices["Glucose CV [%]"] < 5.0 and abs(iso.indices["Glucose deviation from target [%]"]) < 5.0


def test_clamp_insulin_dose_matches_linear_kinetics(clamps):
    """40 mU/m2/min x BSA (Mosteller) gives the steady-state insulin rise of the model's linear insulin
    kinetics, R / (m4 + m2 m3 / (m1 + m3)) / VI with m3 at basal extraction (DM2007 eqs. 2-5): checks
    the unit chain mU/m2/min -> pmol/kg/min."""
    h = clamps["healthy"]
    pat = gs.Patient.from_preset("healthy")
    v = pat.values
    bsa = clinical.body_surface_area_m2(v["BW"], 175.0)
    assert bsa == pytest.approx(math.sqrt(175.0 * 78.0 / 3600.0))
    rate = 40.0 * bsa / v["BW"] * 6.0  # pmol/kg/min
    m3 = v["HEb"] * v["m1"] / (1.0 - v["HEb"])
    rise = rate / (v["m4"] + v["m2"] * m3 / (v["m1"] + m3)) / v["VI"]
    assert h.indices["Steady-state insulin [pmol/L]"] - v["Ib"] == pytest.approx(rise, rel=0.05)
    assert h.indices["Steady-state insulin [uU/mL]"] == pytest.approx(h.indices["Steady-state insulin [pmol/L]"] / 6)


def test_clamp_indices_are_consistent(clamps):
    for r in clamps.values():
        ix = r.indices
        s = r.samples
        w = (s.index >= 90) & (s.index < 120)
        assert ix["M-value [mg/kg/min]"] == pytest.approx(s["Glucose infusion rate [mg/kg/min]"][w].mean())
        assert ix["M/I [mg/kg/min per uU/mL]"] == pytest.approx(
            ix["M-value [mg/kg/min]"] / ix["Steady-state insulin [uU/mL]"])
        egp = ix["Endogenous glucose production [mg/kg/min]"]
        egp_b = ix["Basal endogenous glucose production [mg/kg/min]"]
        assert ix["EGP suppression [%]"] == pytest.approx(100 * (1 - egp / egp_b))
        # at steady state, disposal = dextrose + liver production (mass balance, 5 %)
        if ix["Steady state reached [1]"]:
            assert ix["Glucose disposal Rd [mg/kg/min]"] == pytest.approx(
                ix["M-value [mg/kg/min]"] + ix["Endogenous glucose production [mg/kg/min]"], rel=0.05)
        bw = gs.Patient.from_preset(r.patient).body_weight_kg
        assert s["Dextrose 20 % infusion [mL/h]"].to_numpy() == pytest.approx(
            s["Glucose infusion rate [mg/kg/min]"].to_numpy() * bw * 60 / 200)
        d = r.to_dict()
        json.dumps(d, allow_nan=True)
        assert all(isinstance(v, float) for v in d["indices"].values())
        assert "M-value [mg/kg/min]" in d["indices"] and len(d["samples"]) == 25


def test_clamp_against_published_values(clamps):
    """Published at 40 mU/m2/min (≈ 1 mU/kg/min): M-value 8.3 ± 0.6 (SEM) mg/kg/min in normal glucose
    tolerance and 4.7 ± 0.4 in mild diabetes (Diabetes 2001;50:1449, n = 57 Swedish men); EGP suppressed
    by ≈ 70 % in controls and ≈ 53 % in type 2 diabetes (Gastaldelli et al., Diabetes 2001;50:1807,
    2H-glucose, last 40 min of a 2-h clamp), completely at ≈ 60 uU/mL (Rizza et al. 1981, Am J Physiol
    240:E630); insulin metabolic clearance 511 ± 74 mL/m2/min (Diabetes 1982;31:132), i.e. a ≈ 78 uU/mL
    rise at 40 mU/m2/min.

    The recalibrated sets (docs/validation.md, 'Recalibration of insulin kinetics and action'): healthy
    M 8.2 (6.9 before session 18's maximal insulin action), insulin 89 uU/mL (rise 81), EGP suppression 90 %; type 2 M 2.2 at 100 mg/dL, 4.0 isoglycaemic,
    EGP suppression 52 %. The published DM2007 normal subject, kept as it was printed, clears infused
    insulin about twice as fast (rise ≈ 40 uU/mL).
    """
    h, d = clamps["healthy"].indices, clamps["t2d"].indices
    assert d["M-value [mg/kg/min]"] < h["M-value [mg/kg/min]"]
    assert d["EGP suppression [%]"] < h["EGP suppression [%]"]
    assert 7.1 < h["M-value [mg/kg/min]"] < 9.5  # 8.3 ± 0.6 (SEM, n = 57): mean ± 2 SEM
    insulin_rise = h["Steady-state insulin [uU/mL]"] - gs.Patient.from_preset("healthy").basal_insulin_pmol_l / 6
    assert 65.0 < insulin_rise < 95.0  # ≈ 78 from 511 ± 74 mL/m2/min
    assert h["EGP suppression [%]"] > 70.0
    assert 0.06 < h["M/I [mg/kg/min per uU/mL]"] < 0.12  # ≈ 8.3 / 85
    assert 40.0 < d["EGP suppression [%]"] < 65.0  # ≈ 53 %
    assert 1.0 < d["M-value [mg/kg/min]"] < 4.0  # at 100 mg/dL, below the isoglycaemic value
    assert d["Steady state reached [1]"] == 1.0
    # at the fasting glucose (isoglycaemic, favoured by mass action), as in the published mild diabetes
    iso = clinical.clamp("t2d", target_mg_dl=164.18).indices
    assert 3.0 < iso["M-value [mg/kg/min]"] < 6.0  # 4.7 ± 0.4
    assert iso["M/I [mg/kg/min per uU/mL]"] < 0.7 * h["M/I [mg/kg/min per uU/mL]"]
    # the published DM2007 normal subject keeps its faster insulin clearance (≈ 2x)
    dm = clinical.clamp("dalla-man-2007-normal").indices
    rise_dm = dm["Steady-state insulin [uU/mL]"] - 25.49 / 6
    assert 1.7 < 78.0 / rise_dm < 2.3


def test_insulin_dose_response_of_glucose_disposal():
    """Rizza, Mandarino & Gerich 1981 (Am J Physiol 240:E630), sequential 2-h insulin steps in 15 healthy
    subjects: glucose utilisation maximal (10-11 mg/kg/min) at 200-700 uU/mL of plasma insulin and
    half-maximal at 55 ± 7 uU/mL. Model (healthy): Rd 10.0 and 10.2 at ~ 500 and 1,240 uU/mL; the
    half-maximal rise of Rd between the two clamps that bracket it (~ 49 and 89 uU/mL)."""
    steps = [clinical.clamp("healthy", rate).indices for rate in (10, 20, 40, 240, 600)]
    ins = np.array([s["Steady-state insulin [uU/mL]"] for s in steps])
    rd = np.array([s["Glucose disposal Rd [mg/kg/min]"] for s in steps])
    assert np.all(np.diff(rd) > 0)
    assert 200.0 < ins[3] < 700.0 and 9.5 < rd[3] <= rd[4] < 11.5
    assert rd[4] - rd[3] < 0.05 * rd[4]  # a plateau
    half = steps[0]["Basal glucose disposal Rd [mg/kg/min]"] + 0.5 * (rd[4] - steps[0]["Basal glucose disposal Rd [mg/kg/min]"])
    ec50 = float(np.interp(half, rd, ins))
    assert 41.0 < ec50 < 69.0  # 55 ± 7 (SEM, n = 15): mean ± 2 SEM


def test_clamp_two_steps():
    r = clinical.clamp("healthy", insulin_mu_per_m2_min=[10, 40], duration_min=120)
    lo, hi = r.steps
    assert lo["Insulin infusion rate [mU/m2/min]"] == 10 and hi["Insulin infusion rate [mU/m2/min]"] == 40
    assert lo["Steady-state window end [min]"] == 120 and hi["Steady-state window end [min]"] == 240
    assert lo["Steady-state insulin [uU/mL]"] < hi["Steady-state insulin [uU/mL]"]
    assert lo["M-value [mg/kg/min]"] < hi["M-value [mg/kg/min]"]
    assert lo["EGP suppression [%]"] < hi["EGP suppression [%]"]
    assert r.indices is r.steps[-1]
    rates = r.samples["Insulin infusion rate [mU/m2/min]"]
    # primes: 4x the increase in the first minute of each step
    assert rates.loc[0.0] == pytest.approx(40.0) and rates.loc[120.0] == pytest.approx(40 + 3 * 30)
    assert rates.loc[60.0] == pytest.approx(10.0) and rates.loc[200.0] == pytest.approx(40.0)


def test_clamp_run_in_normalises_type2_glucose_first():
    """An overnight IV insulin run-in brings type 2 fasting glucose (164 mg/dL) to the 100 mg/dL target by
    the clamp's start, as clamps of type 2 diabetes do; the dextrose then starts at once, the clamp reaches
    steady state, and the M-value stays in the type 2 range (2.1 vs 2.3 without the run-in, published 4.7 +-
    0.4 in mild diabetes, lower in obese; Diabetes 2001;50:1449), with glucose production suppressed from
    its run-in level."""
    r = clinical.clamp("t2d", run_in_min=480)
    g0 = r.samples["Plasma glucose [mg/dL]"].iloc[0]
    assert abs(g0 - 100.0) <= 0.5
    i = r.indices
    assert i["Time to target [min]"] == 5.0 and i["Steady state reached [1]"] == 1.0
    assert 1.0 < i["M-value [mg/kg/min]"] < 5.0
    assert i["Basal endogenous glucose production [mg/kg/min]"] < 2.01  # the run-in insulin lowered it
    data = r.to_dict()
    assert data["Run-in [min]"] == 480.0 and 0.05 < data["Run-in insulin [mU/kg/min]"] < 1.0
    assert clinical.clamp("t2d").to_dict()["Run-in insulin [mU/kg/min]"] == 0.0
    out = CliRunner().invoke(main, ["clamp", "-p", "t2d", "--run-in", "480", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["Run-in [min]"] == 480.0


@pytest.mark.parametrize("kwargs, field", [
    (dict(insulin_mu_per_m2_min=-40), "insulin_mu_per_m2_min"),
    (dict(insulin_mu_per_m2_min=2000), "insulin_mu_per_m2_min"),
    (dict(insulin_mu_per_m2_min=[10, 0]), "insulin_mu_per_m2_min[1]"),
    (dict(insulin_mu_per_m2_min=[40] * 7), "insulin_mu_per_m2_min"),
    (dict(target_mg_dl=30), "target_mg_dl"),
    (dict(target_mg_dl=400), "target_mg_dl"),
    (dict(target_mg_dl=float("nan")), "target_mg_dl"),
    (dict(duration_min=30), "duration_min"),
    (dict(duration_min=62), "duration_min"),
    (dict(height_cm=50), "height_cm"),
    (dict(run_in_min=30), "run_in_min"),
    (dict(run_in_min=482), "run_in_min"),
    (dict(run_in_min=480), "run_in_min"),  # healthy basal glucose is the target: nothing to bring down
])
def test_clamp_bad_input(kwargs, field):
    with pytest.raises(InvalidInputError) as exc:
        clinical.clamp("healthy", **kwargs)
    assert exc.value.field == field
    assert "allowed" in str(exc.value)


# --------------------------------------------------------------------------------------------- IVGTT
def test_ivgtt_protocol_and_hand_computed_indices(ivgtts):
    r = ivgtts["healthy"]
    s = r.samples
    assert list(s.index) == list(clinical.FSIGT_SAMPLE_TIMES_MIN) and len(s) == 30
    g, i = s["Plasma glucose [mg/dL]"], s["Plasma insulin [uU/mL]"]
    pat = gs.Patient.from_preset("healthy")
    assert g.loc[-1.0] == pytest.approx(pat.basal_glucose_mg_dl, rel=1e-3)  # glycogen drawn down before the test
    assert i.loc[-1.0] == pytest.approx(pat.basal_insulin_pmol_l / 6, rel=1e-3)
    # 0.3 g/kg over 1 min into VG: the 1-min sample is ≈ basal + 300/VG minus what left in that minute
    assert g.loc[1.0] == pytest.approx(pat.basal_glucose_mg_dl + 300.0 / pat.values["VG"], rel=0.03)
    w = [10.0, 12.0, 14.0, 16.0, 19.0]
    kg = -100 * np.polyfit(w, np.log(g.loc[w]), 1)[0]
    assert r.indices["Kg [%/min]"] == pytest.approx(kg)
    ta = [0.0, 1, 2, 3, 4, 5, 6, 7, 8, 10]
    ia = [0.0] + list(i.loc[ta[1:]] - i.loc[-1.0])
    assert r.indices["AIRg [uU/mL x min]"] == pytest.approx(np.trapezoid(ia, ta))
    assert r.indices["Disposition index DI [1]"] == pytest.approx(
        r.indices["AIRg [uU/mL x min]"] * r.indices["SI [10^-4/min per uU/mL]"])
    # the insulin bolus at 20-25 min shows in the samples
    assert i.loc[25.0] > 3 * i.loc[19.0]
    d = r.to_dict()
    assert d["protocol"].startswith("insulin-modified") and len(d["samples"]) == 30
    assert all(isinstance(v, float) for v in d["indices"].values())


def test_ivgtt_against_published_values(ivgtts):
    """Published: Kg ≥ 1.2 %/min is normal (classic IVGTT criterion); first-phase insulin secretion to IV
    glucose is lost early in type 2 diabetes (Diabet Med 1994;11:432; the minimal-model summary table
    'Physiologic parameters emerging from the minimal model', Diabetes: AIRg normal 59.6 ± 54.8 vs
    type 2 6.7 ± 18.5, SI 2.62 ± 2.21 vs 0.57 ± 0.82 x10^-4, SG 0.021 ± 0.008 vs 0.015 ± 0.011 /min);
    in 16 normal subjects SI 6.96 ± 0.83 (SEM) x10^-4/min per uU/mL and SG 0.036 ± 0.005 /min on the
    insulin-modified FSIGT (Pacini et al. 1998, Am J Physiol 274:E592).

    What holds: healthy Kg is normal and above type 2; AIRg in type 2 is about a tenth to a fifth of the
    healthy one (the glucostat sets split DM2007's beta cell into an incretin-potentiated part and a
    saturating first phase, docs/model.md); SI is inside the published ranges and lower in type 2 (ratio
    0.87; published ratio ~ 0.2). What does not (docs/validation.md): SG stays low (0.008 vs 0.036); the
    healthy glucose dips to ~ 50 mg/dL after the insulin dose and glucagon and adrenaline bring it back, a
    counter-regulation the minimal model does not have, so the healthy fit leaves ~ 5 % RMS residuals and its
    SI is biased low (2.7, at the low edge of the published range). Since the glucose effectiveness above
    basal (session 17, calibrated to pancreatic clamps) the fit gives the faster disappearance above basal to
    insulin (p2 0.04 -> 0.05) and healthy SI fell from 2.8 to 2.7: the ratio bound went from 0.85 to 0.9.
    """
    h, d = ivgtts["healthy"].indices, ivgtts["t2d"].indices
    assert h["Kg [%/min]"] >= 1.2
    assert d["Kg [%/min]"] < 1.2 and d["Kg [%/min]"] < h["Kg [%/min]"]
    assert d["AIRg [uU/mL x min]"] < h["AIRg [uU/mL x min]"]
    assert h["Fit identifiable [1]"] == 1.0 and h["SI CV [%]"] < 100 and h["Fit residual RMS [%]"] < 6
    assert d["Fit identifiable [1]"] == 1.0 and d["Fit residual RMS [%]"] < 2
    assert d["SI [10^-4/min per uU/mL]"] < 0.9 * h["SI [10^-4/min per uU/mL]"]
    # the model, as calibrated (tolerances: ±15 % of the values printed in docs/validation.md)
    # 1.43 before the glucose effectiveness above basal (session 17), 1.80 before the maximal insulin action (18)
    assert h["Kg [%/min]"] == pytest.approx(1.99, rel=0.15)
    assert d["Kg [%/min]"] == pytest.approx(0.76, rel=0.15)
    assert h["AIRg [uU/mL x min]"] == pytest.approx(750, rel=0.15)
    assert 0.05 < d["AIRg [uU/mL x min]"] / h["AIRg [uU/mL x min]"] < 0.25  # published ratio ≈ 0.1
    assert 2.6 < h["SI [10^-4/min per uU/mL]"] < 10.3  # published 7.0 ± 3.3 (SD); 2.62 ± 2.21
    assert h["SI [10^-4/min per uU/mL]"] == pytest.approx(2.8, rel=0.15)
    # published 0.036 ± 0.021 (SD); a known gap (docs/validation.md, 'IVGTT'): 0.0096 before session 17's glucose
    # effectiveness and 0.0081 before session 18's maximal insulin action, each of which the one-compartment fit
    # reads as insulin action
    assert h["SG [1/min]"] == pytest.approx(0.0072, rel=0.2)
    # post-insulin dip: nadir 50 ± 3 mg/dL (SEM, n = 13, so SD ~ 11) at 60 min in lean young adults
    # (J Clin Endocrinol Metab 2006;91:2272); model 45 mg/dL at 59 min
    assert 39.0 < h["Minimum glucose [mg/dL]"] < 61.0


def test_ivgtt_standard_test_and_bad_input():
    r = clinical.ivgtt("healthy", insulin_u_per_kg=0.0)
    assert r.to_dict()["protocol"].endswith("(standard)")
    i = r.samples["Plasma insulin [uU/mL]"]
    assert i.loc[25.0] < i.loc[19.0]  # no insulin bolus
    bad = [(dict(glucose_g_per_kg=-0.3), "glucose_g_per_kg"), (dict(glucose_g_per_kg=0), "glucose_g_per_kg"),
           (dict(glucose_g_per_kg=2), "glucose_g_per_kg"), (dict(insulin_u_per_kg=-0.03), "insulin_u_per_kg"),
           (dict(insulin_u_per_kg=1.0), "insulin_u_per_kg"), (dict(insulin_time_min=5), "insulin_time_min"),
           (dict(duration_min=30), "duration_min"), (dict(glucose_floor_mg_dl=30), "glucose_floor_mg_dl"),
           (dict(glucose_floor_mg_dl=float("nan")), "glucose_floor_mg_dl"),
           (dict(glucose_floor_mg_dl=90, duration_min=182), "duration_min")]
    for kwargs, field in bad:
        with pytest.raises(InvalidInputError) as exc:
            clinical.ivgtt("healthy", **kwargs)
        assert exc.value.field == field


def test_ivgtt_with_a_glucose_floor_against_the_vienna_study(ivgtts):
    """IM-FSIGT with and without dextrose holding glucose at euglycaemia in 13 lean young adults (J Clin
    Endocrinol Metab 2006;91:2272; mean ± SEM): nadir 50 ± 3 mg/dL without; dextrose 4.6 ± 0.5 mg/kg/min
    from 30 to 180 min with; SI 3.40 ± 0.36 -> 10.71 ± 1.06 (x 3.15), SG 0.024 -> 0.021 (n.s.).
    Model (floor = basal): dextrose 3.9, lowest glucose 67 (the 5-min feedback lags the fall), SI 2.9 ->
    4.8 (x 1.6), SG 0.007 -> 0.012, fit residual 4.4 -> 1.4 %: counter-regulation hides a third of the
    model's SI, two thirds of people's (a documented gap: docs/validation.md, 'Maximal insulin action')."""
    plain = ivgtts["healthy"].indices
    r = clinical.ivgtt("healthy", glucose_floor_mg_dl=gs.Patient.from_preset("healthy").basal_glucose_mg_dl)
    held = r.indices
    assert 1.0 < held["Mean dextrose from 30 min [mg/kg/min]"] < 8.2  # 4.6 ± 2 SD (SD = 0.5 x sqrt(13))
    assert held["Minimum glucose [mg/dL]"] > plain["Minimum glucose [mg/dL]"] + 15.0
    assert held["SI [10^-4/min per uU/mL]"] > 1.3 * plain["SI [10^-4/min per uU/mL]"]
    assert held["SG [1/min]"] > plain["SG [1/min]"]
    assert held["Fit residual RMS [%]"] < 2.0 < plain["Fit residual RMS [%]"] and held["Fit identifiable [1]"] == 1.0
    s = r.samples
    assert (s["Dextrose infusion [mg/kg/min]"].loc[:19.0] == 0).all() and s["Dextrose infusion [mg/kg/min]"].max() > 0
    assert "glucose held" in r.to_dict()["protocol"] and "Glucose floor [mg/dL]" not in plain
    # a floor 30 mg/dL above basal keeps the dip above basal (the 5-min feedback undershoots by ~ 20 mg/dL)
    high = clinical.ivgtt("healthy", glucose_floor_mg_dl=121.76).results
    g = high.get("Plasma glucose [mg/dL]")[high.time_min >= 1.0]
    assert 121.76 - 25.0 < g.min() < 121.76


def test_protocol_parameters_have_units_and_sources():
    table = clinical.protocol_parameters()
    assert {"clamp", "ivgtt", "glucose-effectiveness"} == set(table["Protocol"])
    assert (table["Unit"].str.len() > 0).all() and (table["Source"].str.len() > 10).all()


# --------------------------------------------------------------------------------------------- CLI
def test_cli_clamp_and_ivgtt_json(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["clamp", "--patient", "healthy", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert isinstance(data["indices"]["M-value [mg/kg/min]"], float)
    assert isinstance(data["indices"]["EGP suppression [%]"], float)
    res = runner.invoke(main, ["ivgtt", "--patient", "t2d", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    for key in ("SI [10^-4/min per uU/mL]", "SG [1/min]", "Kg [%/min]", "AIRg [uU/mL x min]",
                "Disposition index DI [1]"):
        assert isinstance(data["indices"][key], float)
    res = runner.invoke(main, ["ivgtt", "-p", "healthy", "--floor", "basal", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["indices"]["Glucose floor [mg/dL]"] == pytest.approx(91.76, abs=0.01)
    res = runner.invoke(main, ["ivgtt", "--floor", "low"])
    assert res.exit_code == 2 and "--floor" in res.output
    out = tmp_path / "iv"
    res = runner.invoke(main, ["ivgtt", "-p", "healthy", "--insulin", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out / "ivgtt.parquet")
    assert {"Patient", "Time [min]", "Plasma glucose [mg/dL]"} <= set(df.columns) and len(df) == 30
    assert (out / "ivgtt.png").stat().st_size > 10_000 and json.loads((out / "ivgtt.json").read_text())["indices"]
    out = tmp_path / "cl"
    res = runner.invoke(main, ["clamp", "-p", "t2d", "--insulin", "10", "--insulin", "40", "--target", "164",
                               "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "M-value [mg/kg/min]" in res.output
    assert len(pd.read_parquet(out / "clamp.parquet")) == 49 and (out / "clamp.png").stat().st_size > 10_000


def test_cli_bad_input_exits_2_naming_the_field(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["clamp", "--insulin", "-40", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "insulin_mu_per_m2_min" in res.output
    assert not (tmp_path / "x").exists()
    res = runner.invoke(main, ["ivgtt", "--glucose", "-0.3"])
    assert res.exit_code == 2 and "glucose_g_per_kg" in res.output
    res = runner.invoke(main, ["clamp", "--target", "500"])
    assert res.exit_code == 2 and "target_mg_dl" in res.output
