"""Issue 4: glucagon, glycogen and gluconeogenesis, C-peptide, kidney, IGF-1 and the conditions.

Reference numbers are published human data (cited per test); the model values they are compared with
were obtained by running glucostat (docs/validation.md, 'Liver and pancreas').
"""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import glucostat as gs
from glucostat import clinical, protocols
from glucostat.cli import main
from glucostat.compare import DEFAULT_CONDITIONS
from glucostat.physiology import kidney, pituitary


@pytest.fixture(scope="module")
def fast():
    """Healthy: the overnight-fasted basal state (14 h) continued without food to 72 h."""
    return gs.simulate("healthy", gs.Scenario(duration_min=58 * 60), dt_min=60)


def test_healthy_table_has_the_organ_columns():
    df = gs.simulate("healthy", gs.Scenario.day(), dt_min=30).to_pandas()
    for col in ["Plasma glucagon [pg/mL]", "Plasma C-peptide [pmol/L]", "Liver glycogen [g]",
                "Gluconeogenesis [mg/kg/min]", "Glycogenolysis [mg/kg/min]", "Urinary glucose excretion [mg/kg/min]",
                "Plasma IGF-1 [ng/mL]", "Hepatic glucose uptake [mg/kg/min]", "Glycogen synthesis [mg/kg/min]",
                "Hepatic insulin extraction [fraction]", "C-peptide to insulin molar ratio [-]"]:
        assert col in df.columns
        assert np.all(np.isfinite(df[col]))


def test_prolonged_fast_gluconeogenesis_share(fast):
    """Landau et al. 1996 (J Clin Invest 98:378, deuterated water): gluconeogenesis 47 +- 4 % of glucose
    production at 14 h, 67 +- 4 % at 22 h, 93 +- 2 % at 42 h of fasting. Model: 47, 62, 95 %."""
    egp = fast.get("Liver glucose production [mg/kg/min]")
    gng = fast.get("Gluconeogenesis [mg/kg/min]")
    share = 100 * gng / egp
    assert share[0] == pytest.approx(47, abs=1)
    assert 55 < share[8] < 75
    assert 85 < share[28] <= 100
    # glycogenolysis falls roughly first-order (1.04 -> 0.54 -> 0.09 mg/kg/min in Landau 1996)
    gly = fast.get("Glycogenolysis [mg/kg/min]")
    assert gly[0] == pytest.approx(1.02, abs=0.05) and 0.3 < gly[8] < 0.9 and gly[28] < 0.2


def test_prolonged_fast_glucose_glycogen_and_glucagon(fast):
    """72-h fast in healthy men: lowest plasma glucose 66 +- 3 mg/dL and glucagon up ~56 % (Merimee &
    Fineberg 1973, J Clin Endocrinol Metab 37:698); 100 -> 75 mg/dL from 12 to 72 h (Klein et al. 1993).
    Liver glycogen falls by over 80 % (Rothman et al. 1991, Science 254:573). Model: 66-73 mg/dL."""
    g = fast.get("Plasma glucose [mg/dL]")
    assert 60 < g[-1] < 80 and 60 < g.min() < 80
    glycogen = fast.get("Liver glycogen [g]")
    assert glycogen[-1] < 0.2 * glycogen[0]
    h = fast.get("Plasma glucagon [pg/mL]")
    assert h.max() > 1.1 * h[0]
    assert fast.get("Fasting adaptation [-]")[-1] > 0.7


def test_liver_glycogen_after_a_mixed_meal():
    """Taylor et al. 1996 (J Clin Invest 97:126): liver glycogen 207 -> 316 mmol/L after a mixed meal,
    +28.3 +- 3.7 g (19 % of its ~150 g carbohydrate), peak at 318 +- 31 min. Model: +31.7 g at 340 min
    (first-pass glucose, the liver's share of insulin-stimulated disposal and gluconeogenic glucose)."""
    sc = gs.Scenario(events=(gs.Meal(time=0, carbs_g=150, duration_min=20),), duration_min=600)
    res = gs.simulate("healthy", sc, dt_min=5)
    gly = res.get("Liver glycogen [g]")
    assert 40 < gly[0] < 70
    assert 28.3 - 2 * 3.7 < gly.max() - gly[0] < 28.3 + 2 * 3.7
    assert 318 - 2 * 31 < res.time_min[np.argmax(gly)] < 318 + 2 * 31
    assert res.get("Liver uptake of plasma glucose [mg/kg/min]").max() > 0.5


def test_postprandial_hepatic_glycogen_synthesis_lower_in_type2():
    """Krssak et al. 2004 (Diabetes 53:3048, 13C NMR): net hepatic glycogen synthesis after a mixed meal
    1.36 +- 0.15 mg/kg/min in controls, 0.76 +- 0.16 in type 2 diabetes (56 %). Model (80-g meal, rate
    to the glycogen peak): 1.15 and 0.63 (55 %)."""
    sc = gs.Scenario(events=(gs.Meal(time=0, carbs_g=80, duration_min=15),), duration_min=300)
    rate = {}
    for name in ("healthy", "t2d"):
        res = gs.simulate(name, sc, dt_min=5)
        gly = res.get("Liver glycogen [g]")
        k = int(np.argmax(gly))
        rate[name] = (gly[k] - gly[0]) * 1000 / gs.Patient.from_preset(name).body_weight_kg / res.time_min[k]
    assert 1.36 - 2 * 0.15 < rate["healthy"] < 1.36 + 2 * 0.15
    assert 0.76 - 2 * 0.16 < rate["t2d"] < 0.76 + 2 * 0.16
    assert 0.4 < rate["t2d"] / rate["healthy"] < 0.75


def test_glycogen_and_liver_mass_balances_close():
    res = gs.simulate("healthy", gs.Scenario.day(days=2), dt_min=5)
    st = res.states[0]
    from glucostat.model import S
    d = st[-1] - st[0]
    assert d[S.liver_glycogen] == pytest.approx(d[S.cum_glycogen_synthesis] - d[S.cum_glycogenolysis], rel=1e-6)
    # direct pathway: first-pass and plasma glucose taken up by the liver, less what it glycolysed
    direct = d[S.cum_splanchnic_retention] + d[S.cum_hepatic_plasma_uptake] - d[S.cum_hepatic_glycolysis]
    indirect = d[S.cum_glycogen_synthesis] - direct
    assert indirect > 0 and direct > 0
    # liver output = gluconeogenesis released + glycogenolysis
    assert d[S.cum_egp] == pytest.approx(d[S.cum_gng] - indirect + d[S.cum_glycogenolysis], rel=1e-6)
    # daily cycle: the store fills after meals and is drawn down overnight, and repeats
    gly = res.get("Liver glycogen [g]")
    day1, day2 = gly[: len(gly) // 2], gly[len(gly) // 2:]
    assert day1.max() - day1.min() > 10
    assert abs(day2.max() - day1.max()) < 15


@pytest.mark.parametrize("target, low, high", [(85, 0.95, 1.08), (68, 1.05, 1.35), (55, 1.3, 2.0)])
def test_glucagon_counterregulation_threshold(target, low, high):
    """Hyperinsulinaemic stepped clamps: glucagon threshold 68 +- 1 mg/dL (Mitrakou et al. 1991, Am J
    Physiol 260:E67); at 55 mg/dL glucagon 28 -> 43 pmol/L, +55 % (Raju & Cryer 2005, Diabetes 54:757),
    +47 % over euglycaemia (Banarer et al. 2002, Diabetes 51:958); unchanged at euglycaemia."""
    c = clinical.clamp("healthy", 40.0, target_mg_dl=target, duration_min=120)
    h = c.results.get("Plasma glucagon [pg/mL]")
    assert low < h[-1] / h[0] < high


def test_type1_has_no_glucagon_response_to_hypoglycaemia():
    """Gerich et al. 1973 (Science 182:171); Bolli et al. 1983 (Diabetes 32:134)."""
    c = clinical.clamp("t1d", 40.0, target_mg_dl=55, duration_min=120)
    h = c.results.get("Plasma glucagon [pg/mL]")
    assert np.ptp(h) < 1e-6


def test_glucagon_in_ogtt_healthy_vs_t2d():
    """Faerch et al. 2016 (Diabetes 65:3473; n = 1,437): fasting glucagon ~30 % higher in type 2
    diabetes and hardly suppressed over the first 30 min (-6 to +2 %); in health glucagon falls after
    oral glucose (Unger et al. 1970: 108 -> 57 pg/mL with hyperglycaemia), and at 120 min more in
    screen-detected type 2 diabetes than in normal glucose tolerance (37-54 %, most where 2-h glucose
    is highest; Faerch 2016 Table 2). Model: healthy -33 / -30 %, T2D -7 / -36 % at 30 / 120 min (the
    late part from glucose above basal, pancreas.glucagon_secretion)."""
    h = {}
    for name in ("healthy", "t2d"):
        res = gs.simulate(name, gs.Scenario(events=(gs.OralGlucose(time=0, grams=75),), duration_min=120), dt_min=1)
        h[name] = res.get("Plasma glucagon [pg/mL]")
    assert h["t2d"][0] / h["healthy"][0] == pytest.approx(1.3, abs=0.01)
    assert -0.5 < h["healthy"][120] / h["healthy"][0] - 1 < -0.2
    assert abs(h["t2d"][30] / h["t2d"][0] - 1) < 0.1
    assert 0.3 < 1 - h["t2d"][120] / h["t2d"][0] < 0.6
    assert h["t2d"][120] / h["t2d"][0] < h["healthy"][120] / h["healthy"][0]


def test_c_peptide_kinetics_and_ratio():
    """Van Cauter et al. 1992 (Diabetes 41:368) kinetics; fasting C-peptide 0.26-1.03 nmol/L (clinical
    range; 0.56 in controls of a cirrhosis series); C-peptide MCR 2.96 +- 0.24 mL/min/kg (Kruszynska et al.
    1991, Hepatology 14:103), unchanged in cirrhosis where the C-peptide:insulin ratio falls (5.4 vs 6.4;
    4.0 vs 7.0) because the liver clears less insulin."""
    from glucostat.physiology.plasma import c_peptide_rate_constants
    p = gs.Patient.from_preset("healthy")
    v = p.values
    k1, k2, k3 = c_peptide_rate_constants(v["cp_half_life_short"], v["cp_half_life_long"], v["cp_fraction_short"])
    mcr = v["VCP"] * k3 * 1000.0  # mL/min/kg
    assert 2.5 < mcr < 4.5
    cp0 = p.initial_state[gs.model.S.c_peptide]
    assert 260 < cp0 < 1030
    cirr = gs.Patient.from_preset("cirrhosis")
    ratio = lambda q: q.initial_state[gs.model.S.c_peptide] / q.values["Ib"]  # noqa: E731
    assert 0.5 < ratio(cirr) / ratio(p) < 0.85
    # secretion about twice normal (2.13 vs 1.09 U/h), so C-peptide about twice normal at the same MCR
    assert cirr.initial_state[gs.model.S.c_peptide] / cp0 == pytest.approx(2.0, rel=0.05)
    assert 2.0 < cirr.values["Ib"] / v["Ib"] < 6.0
    # type 1 diabetes: no C-peptide
    assert gs.Patient.from_preset("t1d").initial_state[gs.model.S.c_peptide] == 0.0


def test_kidney_titration_curve():
    """Renal threshold ~180-200 mg/dL, TmG 337 +- 25 (non-diabetic) and 459 +- 53 mg/min (type 2)
    (Al-Jobori et al.); type 2 urinary glucose 4.5-29 mg/min at 11 mmol/L (Wolf et al. 2009, Horm Metab
    Res 41:600); normal urine glucose under ~300 mg/day."""
    h = gs.Patient.from_preset("healthy").values
    t = gs.Patient.from_preset("t2d").values
    u = lambda g, v: kidney.urinary_glucose_tm(g, v["GFR"], v["TmG"], v["renal_splay"])  # noqa: E731
    assert u(92.0, h) * 1440 < 300
    assert u(180.0, h) < 2.0
    assert u(400.0, h) == pytest.approx(h["GFR"] * 4.0 - h["TmG"], abs=10)  # saturated: FL - Tm
    assert 4.5 < u(198.0, t) < 29
    assert np.all(np.diff([u(g, h) for g in range(50, 500, 10)]) >= 0)


def test_igf1_levels():
    """Adult total IGF-1 ~100-300 ng/mL; lower in type 1 diabetes on subcutaneous insulin (148 vs 178,
    -17 %, Hedman et al. 2004; -39 %, Ekman et al. 2000); low in cirrhosis (~16 % of normal in advanced
    alcoholic cirrhosis, Caufriez et al. 1991; 30-50 % in Child B). GH surge after sleep onset."""
    def mean_igf(name):
        p = gs.Patient.from_preset(name)
        basal = ((gs.InsulinInfusion(time=0, duration_min=2880, rate_u_per_h=p.basal_insulin_u_per_h),)
                 if p.parameter_set.type1 else ())
        scen = gs.Scenario(events=basal, duration_min=2880) if basal else gs.Scenario.day(days=2)
        igf = gs.simulate(p, scen, dt_min=30).get("Plasma IGF-1 [ng/mL]")[48:]
        assert np.ptp(igf) < 0.2 * igf.mean()  # small diurnal swing (14-h half-life)
        return igf.mean()
    healthy = mean_igf("healthy")
    assert 100 < healthy < 300
    assert 0.55 < mean_igf("t1d") / healthy < 0.9
    assert 0.15 < mean_igf("cirrhosis") / healthy < 0.6
    t = np.arange(0, 1440.0)
    gh = np.array([pituitary.growth_hormone_drive(x, 0.6, 60.0, 180.0) for x in t])
    assert gh.mean() == pytest.approx(1.0, abs=1e-3)
    assert 0 <= t[np.argmax(gh)] <= 120


def test_conditions_reproduce_their_ogtt_patterns():
    """ADA 2024 criteria; IFG-first (hepatic) vs IGT-first (peripheral) pathways (Ha & Sherman 2020;
    Abdul-Ghani et al. 2006): the hepatic phenotype is diabetic by fasting glucose, the peripheral one by
    2-h glucose; beta-cell failure has the lowest insulinogenic index."""
    cmp = gs.compare(("healthy", "prediabetes", "t2d-hepatic", "t2d-peripheral", "t2d-beta-cell"))
    t = cmp.table()
    fpg, g2 = t["Fasting plasma glucose [mg/dL]"], t["2-h plasma glucose [mg/dL]"]
    assert t.loc["healthy", "ADA category"] == "normal"
    assert 100 <= fpg["prediabetes"] < 126 and 140 <= g2["prediabetes"] < 200
    assert fpg["t2d-hepatic"] >= 126 and g2["t2d-hepatic"] < 200
    assert fpg["t2d-peripheral"] < 126 and g2["t2d-peripheral"] >= 200
    assert t["Insulinogenic index [uU/mL per mg/dL]"].idxmin() == "t2d-beta-cell"
    assert t.loc["t2d-hepatic", "Liver glucose output [g]"] > t.loc["healthy", "Liver glucose output [g]"]
    assert t.loc["t2d-peripheral", "Muscle and fat glucose uptake [g]"] < t.loc["healthy", "Muscle and fat glucose uptake [g]"]


def test_compare_cli_json_and_bad_input(tmp_path):
    r = CliRunner().invoke(main, ["compare", "--json", "-c", "healthy", "-c", "cirrhosis", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data["conditions"]) == {"healthy", "cirrhosis"}
    row = data["conditions"]["cirrhosis"]
    assert row["Fasting plasma insulin [pmol/L]"] > 2 * data["conditions"]["healthy"]["Fasting plasma insulin [pmol/L]"]
    assert (tmp_path / "compare.png").stat().st_size > 0 and (tmp_path / "compare.csv").exists()
    r = CliRunner().invoke(main, ["compare", "-c", "nobody"])
    assert r.exit_code != 0 and "nobody" in r.output
    with pytest.raises(gs.UnknownNameError):
        gs.compare(["healthy"], protocol="marathon")
    for c in DEFAULT_CONDITIONS:
        assert c in gs.PRESETS


def test_cirrhosis_glucose_intolerance_with_hyperinsulinaemia():
    """Non-diabetic-by-history cirrhosis: impaired glucose tolerance in 46-80 % (J Evid Based Med Healthc
    2017;4:3724; Nishida et al. 2017) with normal fasting glucose, fasting insulin 2-6 x control and
    OGTT insulin 2-3 x (Kruszynska et al. 1991, Hepatology 14:103); clamp M-value about half of normal
    (4.1 +- 0.1 vs 8.1 +- 0.5 mg/kg/min). Model: 92 / 144 mg/dL, insulin x3.5 fasting, M 4.2 vs 8.2 (92 / 149, M 3.5 vs 6.9 before session 18)."""
    h, c = gs.ogtt("healthy"), gs.ogtt("cirrhosis")
    assert c.glucose_mg_dl[0] < 100 and 140 <= c.glucose_mg_dl[-1] < 200
    assert c.classification == "impaired_glucose_tolerance"
    ratio = np.array(c.insulin_pmol_l[1:]) / np.array(h.insulin_pmol_l[1:])
    assert np.all((1.5 < ratio) & (ratio < 4.0))
    m = clinical.clamp("cirrhosis").indices["M-value [mg/kg/min]"] / clinical.clamp("healthy").indices["M-value [mg/kg/min]"]
    assert 0.35 < m < 0.65


@pytest.mark.parametrize("target, low, high", [(85, -0.01, 0.05), (60, 10.0, 35.0), (50, 25.0, 55.0)])
def test_adrenaline_in_hypoglycaemic_clamps(target, low, high):
    """Epinephrine secretion starts at 68 +- 1 mg/dL of glucose (Mitrakou et al. 1991, Am J Physiol 260:E67);
    infusions mimicking hypoglycaemia of 60 and 50 mg/dL raised it by 532 +- 41 and 1011 +- 12 pg/mL from
    ~ 25 (Diabetes 2018;67 Suppl 1:198-OR; basal 23 +- 4 pg/mL, Hamburg et al. 1980). Model: x1 at 85,
    x15 at 60 (366 pg/mL), x33 at 50 mg/dL (829 pg/mL) (relative rise asserted)."""
    c = clinical.clamp("healthy", 40.0, target_mg_dl=target, duration_min=120)
    e = c.results.get("Plasma adrenaline [pg/mL]")
    assert e[0] == pytest.approx(25.0)
    assert low < e[-1] / e[0] - 1.0 < high


def test_adrenaline_speeds_recovery_from_insulin_hypoglycaemia():
    """Adrenaline compensates for deficient glucagon and limits hypoglycaemia (DeRosa & Cryer 1984, J Clin
    Invest 73:405): in the insulin tolerance test it raises the nadir and brings it earlier; without the
    adrenomedullary response (as in type 1 diabetes with hypoglycaemia-associated autonomic failure) the
    nadir is deeper and later."""
    with_ = protocols.itt("healthy").indices
    without = protocols.itt(gs.Patient.from_preset("healthy", adrenaline_response=0.0)).indices
    assert with_["Glucose nadir [mg/dL]"] > without["Glucose nadir [mg/dL]"] + 5.0
    assert with_["Time of nadir [min]"] < without["Time of nadir [min]"]
    assert 30.0 < with_["Glucose nadir [mg/dL]"] < 50.0 and with_["Time of nadir [min]"] <= 40.0
