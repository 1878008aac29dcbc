"""Glucose effectiveness: the hyperglycaemic pancreatic clamp and the glucostat terms for glucose's own
action above basal (docs/model.md 'Glucose effectiveness'; docs/validation.md 'Glucose effectiveness').
Each published number is cited where it is used."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import glucostat as gs
from glucostat import clinical
from glucostat.cli import main
from glucostat.errors import InvalidInputError
from glucostat.model import N_INPUTS, N_OUTPUTS, N_STATES, F, P, S, evaluate


@pytest.fixture(scope="module")
def clamps():
    return {name: clinical.glucose_effectiveness_clamp(name) for name in ("healthy", "t2d", "dalla-man-2007-normal")}


def test_pancreatic_clamp_holds_the_hormones_at_basal(clamps):
    """Somatostatin with basal replacement: insulin and glucagon stay at basal while glucose doubles,
    endogenous C-peptide falls (DM2007's printed parameters leave its basal insulin steady only within
    their round-off), and glucose is held within 5 % of the target with a CV under 5 %."""
    for name, r in clamps.items():
        res, pat = r.results, gs.Patient.from_preset(name)
        assert res.status[0] == "ok"
        ins = res.get("Plasma insulin [pmol/L]")
        glc = res.get("Plasma glucagon [pg/mL]")
        tol = 5e-3 if name.startswith("dalla-man") else 1e-6  # DM2007's printed digits: steady within round-off
        assert np.max(np.abs(ins - pat.values["Ib"])) < tol * pat.values["Ib"], name
        assert np.max(np.abs(glc - pat.values["Hb"])) < 1e-6 * pat.values["Hb"], name
        cp = res.get("Plasma C-peptide [pmol/L]")
        assert cp[-1] < 0.1 * cp[0], name
        i = r.indices
        assert i["Steady state reached [1]"] == 1.0, name
        assert i["Hyperglycaemic glucose [mg/dL]"] == pytest.approx(r.target_mg_dl, rel=0.05)
        assert r.target_mg_dl == pytest.approx(pat.basal_glucose_mg_dl + 90.0)


def test_healthy_and_type_2_against_hawkins_2003(clamps):
    """Glucose raised from 5 to 10 mmol/L at basal insulin, glucagon and GH (Hawkins M et al. Diabetes
    2003;52:2748-2758): glucose production -48 % and uptake +97 % in 9 nondiabetic adults; -7 % and +26 %
    in 9 poorly controlled type 2 patients (HbA1c 10.1 %; -8 +- 7 % in 19 such patients, Kehlenbrink S
    et al. Diabetes 2006;55:1761-1768, where 15 nondiabetic references suppressed by ~ 41 %). glucostat
    calibrates the healthy set's two terms to the nondiabetic means; `t2d` keeps DM2007's type 2 values."""
    h, d = clamps["healthy"].indices, clamps["t2d"].indices
    assert -58.0 < h["EGP change [%]"] < -38.0
    assert 80.0 < h["Glucose uptake change [%]"] < 115.0
    assert -20.0 < d["EGP change [%]"] < 0.0
    assert 12.0 < d["Glucose uptake change [%]"] < 40.0
    assert d["Hepatic glucose effectiveness [mL/kg/min]"] < 0.3 * h["Hepatic glucose effectiveness [mL/kg/min]"]
    assert d["Peripheral glucose effectiveness [mL/kg/min]"] < 0.5 * h["Peripheral glucose effectiveness [mL/kg/min]"]


def test_total_effectiveness_matches_the_two_compartment_minimal_model(clamps):
    """An independent estimate: the Bayesian two-compartment minimal model gives glucose effectiveness
    2.81 +- 0.29 (SE, n = 22; SD ~ 1.4) mL/kg/min in normal subjects, where the one-compartment model
    overestimates it (4.27 +- 0.33; Cobelli C, Caumo A, Omenetto M. Am J Physiol 1999;277:E481-E488).
    The clamp's -dEGP/dG + dRd/dG of the healthy set lies within one SD of it; DM2007's normal subject,
    without the glucostat terms, lies below it."""
    def total(r):
        return (r.indices["Hepatic glucose effectiveness [mL/kg/min]"]
                + r.indices["Peripheral glucose effectiveness [mL/kg/min]"])

    assert 2.81 - 1.4 < total(clamps["healthy"]) < 2.81 + 1.4
    assert total(clamps["dalla-man-2007-normal"]) < 2.81 - 1.4


@pytest.mark.parametrize("name", ["healthy", "prediabetes", "nafld"])
def test_terms_vanish_at_and_below_basal(name):
    """Both terms act on glucose above basal only: at and below basal every derivative and output is the
    same to the last bit with and without them (the basal state, the fast and hypoglycaemia keep their
    calibrations); above basal they lower glucose production and raise uptake by exactly k (Gp - Gpb)."""
    pat = gs.Patient.from_preset(name)
    p1 = pat.parameter_vector()
    p0 = p1.copy()
    p0[P.hepatic_glucose_effectiveness] = 0.0
    p0[P.glucose_uptake_effectiveness] = 0.0
    assert p1[P.hepatic_glucose_effectiveness] > 0 and p1[P.glucose_uptake_effectiveness] > 0
    y = np.asarray(pat.initial_state, float)
    u = np.zeros(N_INPUTS)
    gpb = p1[P.Gb] * p1[P.VG]
    for g_factor in (1.0, 0.8, 0.5):
        yy = y.copy()
        yy[S.plasma_glucose] = g_factor * gpb
        d0, o0, d1, o1 = np.empty(N_STATES), np.empty(N_OUTPUTS), np.empty(N_STATES), np.empty(N_OUTPUTS)
        evaluate(0.0, yy, u, p0, d0, o0)
        evaluate(0.0, yy, u, p1, d1, o1)
        assert np.array_equal(d0, d1) and np.array_equal(o0, o1, equal_nan=True)
    yy = y.copy()
    yy[S.plasma_glucose] = 1.5 * gpb
    d0, o0, d1, o1 = np.empty(N_STATES), np.empty(N_OUTPUTS), np.empty(N_STATES), np.empty(N_OUTPUTS)
    evaluate(0.0, yy, u, p0, d0, o0)
    evaluate(0.0, yy, u, p1, d1, o1)
    excess = 0.5 * gpb
    assert o1[F.uid] - o0[F.uid] == pytest.approx(p1[P.glucose_uptake_effectiveness] * excess, rel=1e-9)
    if o0[F.egp] > p1[P.hepatic_glucose_effectiveness] * excess:  # not at the zero floor of the output
        assert o0[F.egp] - o1[F.egp] == pytest.approx(p1[P.hepatic_glucose_effectiveness] * excess, rel=1e-6)
    # the plasma glucose balance closes with the new uptake inside the muscle-and-fat output
    balance = o1[F.egp] + o1[F.ra] - o1[F.uii] - o1[F.renal] - p1[P.k1] * yy[S.plasma_glucose] \
        + p1[P.k2] * yy[S.tissue_glucose]
    tissue = d1[S.tissue_glucose]
    # dGp + dGt = EGP + Ra - Uii - E - (muscle and fat uptake + liver uptake of plasma glucose)
    assert d1[S.plasma_glucose] + tissue == pytest.approx(
        balance + p1[P.k1] * yy[S.plasma_glucose] - p1[P.k2] * yy[S.tissue_glucose]
        - o1[F.uid] - o1[F.hepatic_plasma_uptake], abs=1e-9)


def test_published_sets_do_not_have_the_terms():
    """DM2007 exactly as published (and the simglucose-compatible type 1 sets built on it) keep
    glucose effectiveness as kp2 and the saturating Uid only; so do the type 2 sets (glucose
    effectiveness is lost in type 2 diabetes, Hawkins 2003) and cirrhosis (pending data)."""
    for name in ("dalla-man-2007-normal", "dalla-man-2007-t2d", "t1d", "t2d", "t2d-dawn", "t2d-hepatic",
                 "t2d-peripheral", "t2d-beta-cell", "cirrhosis"):
        v = gs.Patient.from_preset(name).values
        assert v["hepatic_glucose_effectiveness"] == 0.0 and v["glucose_uptake_effectiveness"] == 0.0, name


def test_bad_input_names_the_field():
    with pytest.raises(InvalidInputError, match="target_mg_dl"):
        clinical.glucose_effectiveness_clamp("healthy", target_mg_dl=100.0)
    with pytest.raises(InvalidInputError, match="duration_min"):
        clinical.glucose_effectiveness_clamp("healthy", duration_min=62.0)
    with pytest.raises(InvalidInputError, match="basal_min"):
        clinical.glucose_effectiveness_clamp("healthy", basal_min=-5.0)
    with pytest.raises(InvalidInputError, match="target_mg_dl"):
        clinical.glucose_effectiveness_clamp("healthy", target_mg_dl=float("nan"))


def test_cli_json_and_files(tmp_path):
    out = CliRunner().invoke(main, ["glucose-effectiveness", "-p", "healthy", "--json", "--out", str(tmp_path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["indices"]["EGP change [%]"] < -38.0
    assert data["Target glucose [mg/dL]"] == pytest.approx(91.76 + 90.0)
    for kind in ("json", "parquet", "figure"):
        assert (tmp_path / {"json": "glucose-effectiveness.json", "parquet": "glucose-effectiveness.parquet",
                            "figure": "glucose-effectiveness.png"}[kind]).exists()
    bad = CliRunner().invoke(main, ["glucose-effectiveness", "--target", "50"])
    assert bad.exit_code == 2 and "target_mg_dl" in bad.output
