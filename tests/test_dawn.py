"""Dawn phenomenon: the liver's insulin sensitivity falls in the early morning (physiology/liver.py,
``dawn_insulin_sensitivity``; preset ``t2d-dawn``; docs/model.md, 'Dawn phenomenon')."""

import numpy as np
import pytest

import glucostat as gs
from glucostat import engine
from glucostat.model import P, S
from glucostat.physiology import liver
from glucostat.solver import integrate_reference

# breakfast at 08:00, as the calibration (Monnier 2013 measured up to the pre-breakfast reading)
_DAYS = gs.Scenario.day(days=3, meals={"08:00": 50, "12:30": 70, "18:30": 80})


def test_dawn_profile():
    """1 - R at the peak clock time, R/2 lost 2.25 h either side, periodic over 24 h, exactly 1 when
    off, and below 1e-5 at midnight (the basal state, exact at t = 0, stays so)."""
    f = liver.dawn_insulin_sensitivity
    assert f(510.0, 0.7, 510.0) == pytest.approx(0.3, abs=1e-12)
    assert f(510.0 + 3 * 1440.0, 0.7, 510.0) == pytest.approx(0.3, abs=1e-9)
    for dt in (-135.0, 135.0):
        assert f(510.0 + dt, 0.7, 510.0) == pytest.approx(1.0 - 0.35, abs=0.01)
    t = np.arange(0.0, 2 * 1440.0, 7.0)
    s = np.array([f(x, 0.7, 510.0) for x in t])
    assert s.min() >= 0.3 - 1e-12 and s.max() <= 1.0
    np.testing.assert_allclose(s, [f(x + 1440.0, 0.7, 510.0) for x in t], atol=1e-9)
    assert all(f(x, 0.0, 510.0) == 1.0 for x in t)
    assert 1.0 - f(0.0, 0.7, 510.0) < 1e-5


def _night(name, **overrides):
    """Rise from the nocturnal nadir (00:00-07:55) to 07:55 on day 3, and liver output and insulin at
    03:00 and 07:55."""
    res = gs.simulate(gs.Patient.from_preset(name, **overrides), _DAYS, dt_min=5.0)
    t = res.time_min
    g = res.get("Plasma glucose [mg/dL]")
    egp = res.get("Liver glucose production [mg/kg/min]")
    ins = res.get("Plasma insulin [pmol/L]")
    d = 2 * 1440.0
    night = (t >= d) & (t <= d + 475.0)
    k3, k8 = int(np.searchsorted(t, d + 180.0)), int(np.searchsorted(t, d + 475.0))
    return g[k8] - g[night].min(), (egp[k3], egp[k8]), (ins[k3], ins[k8]), g[t >= d].mean()


def test_type2_dawn_rise_is_the_published_median():
    """t2d-dawn: glucose rises from its nocturnal nadir to before breakfast by the median 16 mg/dL
    (IQR 0-31.5) of people with type 2 diabetes not on insulin (Monnier L et al. Diabetes Care
    2013;36:4057; model 15.5-16), through a rise of glucose production from 03:00 to 08:00 (by 0.42
    mg/kg/min in poorly controlled patients, Diabetes 1989;38:580; model +0.14) that type 2 beta cells
    do not offset. Without the clock ('t2d') glucose is flat overnight."""
    rise, (egp3, egp8), _, mean = _night("t2d-dawn")
    assert 10.0 < rise < 31.5
    assert 0.05 < egp8 - egp3 < 0.42
    rise0, (e3, e8), _, mean0 = _night("t2d")
    assert rise0 < 5.0 and e8 < e3
    # the morning excess raises the day's mean glucose a little (Monnier's 12.4 mg/dL is between people
    # with and without a dawn phenomenon, who differ in more than the dawn)
    assert 0.0 < mean - mean0 < 12.4


def test_healthy_beta_cells_offset_the_same_dawn_resistance():
    """In normal volunteers the early-morning rise in glucose production is met by insulin secretion, so
    glucose hardly rises (Bolli GB et al. Diabetes 1984;33:1150): the healthy preset given t2d-dawn's
    resistance keeps its pre-breakfast glucose within 3 mg/dL of its nadir and secretes more insulin."""
    rise, _, (i3, i8), _ = _night("healthy", hepatic_dawn_resistance=0.7)
    _, _, (j3, j8), _ = _night("healthy")
    assert rise < 3.0
    assert i8 > 1.05 * j8


def test_clock_dependent_liver_in_the_lanes_matches_solve_ivp():
    """The dawn profile makes the right-hand side depend on clock time; the full-model lanes evaluate it
    at each stage time: a block of t2d-dawn patients of different weights within 0.1 mg/dL of solve_ivp."""
    pats = [gs.Patient.from_preset("t2d-dawn", body_weight_kg=60.0 + 4.0 * i) for i in range(16)]
    b = engine.simulate_batch(pats, [_DAYS] * 16, output_every_min=5.0, kernel="full")
    assert b.ok
    for i in (0, 9, 15):
        ys = integrate_reference(np.asarray(pats[i].initial_state, float), pats[i].parameter_vector(),
                                 _DAYS.compile_for(pats[i]), b.time_min, rtol=1e-10, atol=1e-10)
        g = ys[:, S.plasma_glucose] / pats[i].parameter_vector()[P.VG]
        assert np.max(np.abs(g - b.glucose_mg_dl[i])) < 0.1
