"""The basal state is an exact steady state (issue: 'stays at its basal glucose and insulin for days').

Since the liver has a glycogen store (issue 4), the overnight-fasted basal state draws it down: a healthy
person who stops eating is fasting, and after about a day glucose follows the published prolonged-fast
data (tests/test_liver.py). Every other state is exactly stationary at basal.
"""

import numpy as np
import pytest

import glucostat as gs
from glucostat.model import N_INPUTS, N_OUTPUTS, N_STATES, S, evaluate


#: States that are not stationary in the overnight-fasted basal state: the liver draws on its glycogen
#: (and the slow fasting adaptation follows the store), and IGF-1 follows the clock-driven GH drive.
NOT_STATIONARY = (S.liver_glycogen, S.fasting_adaptation, S.igf1, S.gh_signal)


@pytest.mark.parametrize("name", ["healthy", "t2d", "prediabetes", "t2d-hepatic", "t2d-peripheral",
                                  "t2d-beta-cell", "nafld", "cirrhosis"])
def test_rhs_is_zero_at_basal(name):
    p = gs.Patient.from_preset(name)
    dy = np.empty(N_STATES)
    out = np.empty(N_OUTPUTS)
    evaluate(0.0, p.initial_state.copy(), np.zeros(N_INPUTS), p.parameter_vector(), dy, out)
    skip = [s for s in S if s.name.startswith("cum_")] + list(NOT_STATIONARY)
    dyn = np.delete(dy, skip)
    assert np.max(np.abs(dyn)) < 1e-12
    assert out[0] == pytest.approx(p.values["Gb"]) and out[1] == pytest.approx(p.values["Ib"])
    # the overnight-fasted liver releases glucose from glycogen at basal EGP minus gluconeogenesis
    v = p.values
    assert dy[S.liver_glycogen] == pytest.approx(-(v["EGPb"] * (1 - v["gng_fraction_basal"])))


def test_without_glycogen_limit_stays_basal_for_five_days():
    """With the glycogen store not limiting the liver (as in the published variants), no inputs keep
    the exact basal state for days: every other extension is stationary at basal."""
    p = gs.Patient.from_preset("healthy", glycogen_model=0)
    res = gs.simulate(p, gs.Scenario(duration_min=5 * 1440), dt_min=10)
    assert np.max(np.abs(res.get("Plasma glucose [mg/dL]") - p.values["Gb"])) < 1e-6
    assert np.max(np.abs(res.get("Plasma insulin [pmol/L]") - p.values["Ib"])) < 1e-5
    assert np.max(np.abs(res.get("Plasma glucagon [pg/mL]") - p.values["Hb"])) < 1e-6


def test_extended_overnight_fast():
    """Extending the overnight fast (basal = 14 h fasted) by 8 h: healthy glucose falls by under
    12 mg/dL as glycogen still covers most of the liver's output (Landau et al. 1996, 14 -> 22 h);
    in type 2 diabetes fasting glucose falls more (158 -> 104 mg/dL over 11 h in Gannon et al. 1996,
    Metabolism), here by 5-60 mg/dL."""
    healthy = gs.simulate("healthy", gs.Scenario(duration_min=8 * 60), dt_min=10).get("Plasma glucose [mg/dL]")
    assert 0 < healthy[0] - healthy[-1] < 12.0
    t2d = gs.simulate("t2d", gs.Scenario(duration_min=8 * 60), dt_min=10).get("Plasma glucose [mg/dL]")
    assert 5.0 < t2d[0] - t2d[-1] < 60.0


def test_published_t2d_drifts_as_documented():
    """As printed, DM2007 T2D is not at steady state: it drifts to about 162 mg/dL,
    57 pmol/L within a day (docs/model.md; reproduced by running the model)."""
    res = gs.simulate("dalla-man-2007-t2d", gs.Scenario(duration_min=2 * 1440), dt_min=10)
    g = res.get("Plasma glucose [mg/dL]")
    i = res.get("Plasma insulin [pmol/L]")
    assert abs(g[-1] - 162) < 2.0
    assert abs(i[-1] - 57) < 2.0
    assert abs(g[-1] - g[-10]) < 0.2  # settled
