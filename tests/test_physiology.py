"""Simulated outcomes against published human data.

Each range is cited; tolerances are explained beside them. Glucose in mg/dL,
insulin in pmol/L (1 uU/mL = 6 pmol/L).
"""

import numpy as np

import glucostat as gs


def _meal(grams, duration_min=15, t=60, total=60 + 480):
    return gs.Scenario(events=(gs.Meal(time=t, carbs_g=grams, duration_min=duration_min),), duration_min=total)


def test_healthy_fasting_glucose_and_insulin():
    """ADA Standards of Care (Diabetes Care 2024;47 Suppl 1:S20, Table 2.5): normal FPG < 100.
    CARRS normoglycaemic cohort (Diabetes Care 2024;47:858, Table 1): 90.0 +/- 7.1 mg/dL.
    Tohidi et al. 2014 (Clin Biochem 47:432): fasting insulin 95 % interval 2.11-12.49 uU/mL,
    HOMA1-IR 0.63-2.68 in healthy non-obese adults."""
    o = gs.ogtt("healthy")
    fpg = o.indices["Fasting plasma glucose [mg/dL]"]
    assert 70 <= fpg < 100
    assert abs(fpg - 90.0) <= 2 * 7.1
    assert 2.11 <= o.indices["Fasting plasma insulin [uU/mL]"] <= 12.49
    assert 0.63 <= o.indices["HOMA1-IR [1]"] <= 2.68


def test_t2d_fasting():
    """ADA: diabetes FPG >= 126. Monnier et al. 2002 (Diabetes Care 25:737): fasting 159 mg/dL
    (8.8 mmol/L) in 200 non-insulin-treated T2D. HOMA1-IR above the healthy 95 % interval (Tohidi 2014)."""
    o = gs.ogtt("t2d")
    fpg = o.indices["Fasting plasma glucose [mg/dL]"]
    assert 126 <= fpg <= 200
    assert o.indices["HOMA1-IR [1]"] > 2.68


def test_healthy_ogtt_against_cohort():
    """CARRS normoglycaemic cohort, 75 g OGTT (Table 1): 30 min 140.7 +/- 28.2, 2 h 94.7 +/- 20.9 mg/dL;
    each simulated value within mean +/- 2 SD. Eelderink et al. 2019 (Am J Clin Nutr 109:1555, Table 5):
    glucose peak at 61 +/- 21 min; simulated peak within mean +/- 2 SD.
    Note: the 2-h value (about 134) sits near the upper edge; DM2007's normal subject is less glucose
    tolerant than this lean cohort (docs/validation.md)."""
    o = gs.ogtt("healthy")
    g = o.glucose_mg_dl
    assert abs(g[1] - 140.7) <= 2 * 28.2
    assert abs(g[4] - 94.7) <= 2 * 20.9
    res = o.results
    t_peak = res.time_min[np.argmax(res.get("Plasma glucose [mg/dL]"))]
    assert abs(t_peak - 61) <= 2 * 21


def test_healthy_mixed_meal():
    """Freckmann et al. 2007 (J Diabetes Sci Technol 1:695): in healthy people, peak glucose after
    50 g carbohydrate meals 99-137 mg/dL (means), breakfast peaks 132 +/- 17 (range 101-168) mg/dL.
    Glucose back to within 20 mg/dL of baseline by 3 h, insulin several-fold above basal.
    The model's time to peak (about 75-80 min from the meal start) is later than Freckmann's CGM
    means of 46-50 min: a known limitation of DM2007's gut parameters, asserted here loosely
    (<= 90 min) and documented as a calibration target in docs/validation.md."""
    res = gs.simulate("healthy", _meal(50))
    t = res.time_min - 60
    g = res.get("Plasma glucose [mg/dL]")
    i = res.get("Plasma insulin [pmol/L]")
    assert 101 <= g.max() <= 168
    assert 20 <= t[np.argmax(g)] <= 90
    assert abs(np.interp(180, t, g) - g[0]) <= 20
    assert i.max() >= 3 * i[0]


def test_t2d_mixed_meal_higher_later_longer():
    """Rizza 2010 (Banting Lecture, Diabetes 59:2697): in T2D delayed secretion gives higher peaks and
    insulin resistance prolongs hyperglycaemia. Monnier et al. 2002: 3 h after breakfast 216 mg/dL
    (12.0 mmol/L) from a fasting 159; asserted as 180-260 mg/dL at 3 h."""
    h = gs.simulate("healthy", _meal(50))
    d = gs.simulate("t2d", _meal(50))
    t = h.time_min - 60
    gh, gd = h.get("Plasma glucose [mg/dL]"), d.get("Plasma glucose [mg/dL]")
    assert gd.max() > gh.max() + 50
    assert t[np.argmax(gd)] > t[np.argmax(gh)]
    assert 180 <= np.interp(180, t, gd) <= 260
    assert np.interp(240, t, gd) - gd[0] > np.interp(240, t, gh) - gh[0]


def test_basal_glucose_production():
    """Post-absorptive EGP about 1.8-2.0 mg/kg/min in health (10-11 umol/kg/min; Critical Care review
    doi:10.1186/cc1517); higher in T2D (2.92 vs 2.55 mg/kg/min, Singhal et al. 2002, Am J Physiol
    Endocrinol Metab 283:E275). Asserted: healthy 1.6-2.6 and T2D >= healthy."""
    res = gs.simulate(["healthy", "t2d"], gs.Scenario(duration_min=60))
    egp = res["Liver glucose production [mg/kg/min]"][:, 0]
    assert 1.6 <= egp[0] <= 2.6
    assert egp[1] >= egp[0]


def test_meal_suppresses_liver_glucose_output_less_in_t2d():
    """After a ~1 g/kg meal EGP falls by more than half in health (Dalla Man 2007 triple-tracer data,
    1.92 to about 0.5 mg/kg/min; Singhal 2002: about 50 % of basal within 30 min); in T2D suppression
    is impaired (Rizza 2010; Singhal 2002: EGP over 60-240 min 47 % higher than in controls)."""
    h = gs.simulate("healthy", _meal(78))
    d = gs.simulate("t2d", _meal(91))
    eh = h.get("Liver glucose production [mg/kg/min]")
    ed = d.get("Liver glucose production [mg/kg/min]")
    assert eh.min() <= 0.5 * eh[0]
    assert ed.min() / ed[0] > eh.min() / eh[0]


def test_published_renal_glucose_only_above_threshold():
    """DM2007 eq. (27), kept in the published variants: excretion only above ke2/VG = 180 mg/dL."""
    res = gs.simulate(["dalla-man-2007-normal", "dalla-man-2007-t2d"], gs.Scenario.day())
    for k in range(2):
        g = res.get("Plasma glucose [mg/dL]", k)
        e = res.get("Urinary glucose excretion [mg/kg/min]", k)
        assert np.all(e[g < 179.9] == 0.0)
    assert res.get("Urinary glucose excretion [mg/kg/min]", 0).max() == 0.0
    assert res.get("Urinary glucose excretion [mg/kg/min]", 1).max() > 0.0


def test_first_pass_hepatic_insulin_extraction():
    """About half of newly secreted insulin is removed on its first pass through the liver (Piccinini &
    Bergman 2020, Diabetes Care 43:2296); 20-80 % between people (Bergman et al. 2019, Diabetes 68:1709).
    In DM2007, HE is the fraction of insulin entering the liver that it degrades (m3/(m1 + m3)), so the
    first-pass extraction of secreted insulin over a day is HE weighted by secretion reaching the liver."""
    res = gs.simulate("healthy", gs.Scenario.day(), dt_min=0.5)
    t = res.time_min
    s = res.get("Insulin delivery to liver [pmol/kg/min]")
    he = res.get("Hepatic insulin extraction [fraction]")
    first_pass = np.trapezoid(he * s, t) / np.trapezoid(s, t)
    assert 0.2 <= first_pass <= 0.8
    assert abs(first_pass - 0.5) < 0.1


def test_brain_uptake_per_day():
    """Brain and red cells use about 1 mg/kg/min (DM2007 Fcns), i.e. about 110-130 g/day in adults."""
    res = gs.simulate("healthy", gs.Scenario.day())
    assert 100 <= res.summary().loc["healthy", "Brain glucose uptake [g]"] <= 130
