"""Full-model SIMD lanes (glucostat.lanes): the same equations as one patient at a time, IMEX steps.

- the lane right-hand side is :func:`glucostat.model.evaluate` in every lane (the same source,
  ``model.rhs_at``), for patients of every kind with drugs, exercise and insulin acting;
- the call-free helpers it relies on (tanh, cos, whole powers) agree with the C library;
- the implicit part holds the fast modes, its stage solve inverts it, and the error scales follow
  their rule;
- a batch in lanes agrees with the one-patient integrator (Dormand-Prince) and with ``solve_ivp``
  (rtol 1e-10) well inside issue 6's 0.2 mg/dL, with patients of several scenarios, body weights and
  conditions, a generated type 1 cohort with children, full and partly filled blocks and patients left
  to the scalar integrator;
- a lane that fails leaves the others running.
"""

import math

import numpy as np
import pytest

import glucostat as gs
from glucostat import engine, lanes
from glucostat.cohorts import generate_cohort
from glucostat.errors import InvalidInputError
from glucostat.interop.simglucose import simglucose_patient
from glucostat.model import F, N_INPUTS, N_OUTPUTS, N_STATES, S, evaluate
from glucostat.physiology import common
from glucostat.solver import integrate_reference

W = lanes.LANES


def test_call_free_helpers_match_the_c_library():
    x = np.concatenate([np.linspace(-25.0, 25.0, 5001), np.logspace(-9, 1.3, 300), -np.logspace(-9, 1.3, 300)])
    assert max(abs(common.tanh(v) - math.tanh(v)) for v in x) < 5e-15
    assert max(abs(common.cos(v) - math.cos(v)) for v in np.linspace(-2e4, 2e4, 4001)) < 1e-11
    for n in range(1, common.MAX_POWER + 1):
        for v in (0.0, 1e-3, 0.37, 1.0, 2.5, 60.0, 600.0):
            assert common.power(v, float(n)) == pytest.approx(v ** n, rel=1e-15, abs=0.0)
    z = np.linspace(0.0, 38.0, 3001)
    assert max(abs(common.exp_neg(v) / math.exp(-v) - 1.0) for v in z) < 1e-13
    assert common.hill(0.0, 2.0, 3.0) == 0.0 and common.hill(-1.0, 2.0, 3.0) == 0.0
    assert common.hill(2.0, 2.0, 3.0) == 0.5


def test_hill_exponents_are_whole_numbers():
    with pytest.raises(InvalidInputError, match="insulin_uptake_hill.*whole number from 1 to 8"):
        gs.Patient.from_preset("healthy", insulin_uptake_hill=1.5)
    assert gs.Patient.from_preset("healthy", insulin_uptake_hill=3).values["insulin_uptake_hill"] == 3.0


def _busy_day():
    """Meals, metformin, a sulfonylurea, exercise, glucagon and IV glucose: every organ acting."""
    return gs.Scenario(events=(
        gs.Meal(time="07:00", carbs_g=60), gs.Metformin(time="07:30", dose_mg=1000),
        gs.Sulfonylurea(time="08:00", drug="glimepiride", dose_mg=2),
        gs.Exercise(time="10:00", duration_min=45, intensity_pct_vo2max=55),
        gs.Meal(time="12:30", carbs_g=70), gs.GlucagonInjection(time="15:00", dose_mg=0.5, route="sc"),
        gs.IVGlucoseBolus(time="16:00", grams=10), gs.Meal(time="18:30", carbs_g=80)), duration_min=1440)


def test_lane_right_hand_side_is_evaluate_in_every_lane():
    rng = np.random.default_rng(3)
    day = _busy_day()
    t1 = gs.Patient.from_preset("t1d")
    extra = (gs.InsulinInfusion(time=0, duration_min=1440, rate_u_per_h=t1.basal_insulin_u_per_h),
             gs.InsulinBolus(time="07:00", units=6), gs.InsulinBolus(time="22:00", units=10, product="glargine"))
    t1_day = gs.Scenario(events=tuple(sorted((*day.events, *extra), key=lambda e: e.time)), duration_min=1440)
    cases = [(gs.Patient.from_preset(n), day) for n in ("healthy", "t2d", "cirrhosis", "prediabetes", "nafld")]
    cases.append((t1, t1_day))
    samples = []  # (t, y, u, p)
    for pat, sc in cases:
        comp = sc.compile_for(pat)
        res = gs.simulate(pat, sc, dt_min=7.0)
        for j in rng.choice(res.time_min.size, 4, replace=False):
            t = float(res.time_min[j])
            seg = min(int(np.searchsorted(comp.breakpoints, t, side="right")) - 1, comp.inputs.shape[0] - 1)
            samples.append((t, res.states[0, j], comp.inputs[seg], pat.parameter_vector()))
    for start in range(0, len(samples) - W + 1, 4):
        block = samples[start:start + W]
        if len(block) < W:
            break
        t = block[0][0]  # the model is autonomous except for the growth-hormone clock
        y = np.stack([b[1] for b in block], axis=1).reshape(-1).copy()
        u = np.stack([b[2] for b in block], axis=1).reshape(-1).copy()
        p = np.stack([b[3] for b in block], axis=1).reshape(-1).copy()
        dy, out = np.empty(N_STATES * W), np.empty(N_OUTPUTS * W)
        lanes.rhs_block(t, y, u, p, dy, out)
        for l_, (_, ys, us, ps) in enumerate(block):
            d1, o1 = np.empty(N_STATES), np.empty(N_OUTPUTS)
            evaluate(t, ys, us, ps, d1, o1)
            np.testing.assert_allclose(dy[l_::W], d1, rtol=1e-14, atol=1e-300)
            np.testing.assert_allclose(out[l_::W], o1, rtol=1e-14, atol=1e-300)
    assert N_INPUTS == len(gs.model.U)


def _mixed_batch():
    meals = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80})
    busy = _busy_day()
    names = ("healthy", "t2d", "prediabetes", "t2d-beta-cell", "cirrhosis")
    pats, scens = [], []
    for i in range(24):  # one full block and a partly filled one (8 lanes): all in lanes
        pats.append(gs.Patient.from_preset(names[i % 5], body_weight_kg=60.0 + 2.0 * i))
        scens.append(meals)
    for i in range(19):  # a full block and 3 patients left to the scalar integrator
        pats.append(gs.Patient.from_preset(names[(i + 2) % 5]))
        scens.append(busy)
    return pats, scens


def test_lane_batch_matches_one_patient_integrator_and_solve_ivp():
    pats, scens = _mixed_batch()
    y0, params, packed, _ = engine.prepare(pats, scens)
    block_pat, block_record, rest = lanes.pack_blocks(packed, np.arange(len(pats)), params)
    assert block_pat.shape == (3, W) and block_record.sum() == 40 and rest.size == 3
    b = engine.simulate_batch(pats, scens, output_every_min=5.0, kernel="full", keep_outputs=True)
    assert b.ok and b.outputs.shape == (43, 289, N_OUTPUTS)
    np.testing.assert_array_equal(b.outputs[:, :, F.glucose], b.glucose_mg_dl)
    # without outputs the blocks integrate only the states that feed back (model.N_DYNAMIC_STATES, or
    # N_CORE_STATES without treatments); the cumulative counters only report, so glucose is the same
    np.testing.assert_array_equal(engine.simulate_batch(pats, scens, output_every_min=5.0, kernel="full").glucose_mg_dl,
                                  b.glucose_mg_dl)
    # the one-patient-at-a-time adaptive integrator, the same method and tolerance
    g1, _, st1 = engine.integrate_batch_adaptive(y0, params, packed.segments, packed.breakpoints, packed.inputs,
                                                 *packed.jump_arrays, packed.meal_reset, b.time_min, 1e-4,
                                                 int(F.glucose), False)
    assert (st1 == 0).all()
    # each within ~0.05 of solve_ivp (measured: lanes <= 0.051, one-patient <= 0.021 at its rtol 1e-4)
    assert np.max(np.abs(g1 - b.glucose_mg_dl)) < 0.1
    # the tight reference: lanes of both groups, a partly filled block and a patient left over
    for i in (0, 7, 20, 30, 42):
        ys = integrate_reference(y0[i], params[i], scens[i].compile_for(pats[i]), b.time_min,
                                 rtol=1e-10, atol=1e-10)
        # measured <= 0.051 at the default rtol 3e-4
        assert np.max(np.abs(ys[:, S.plasma_glucose] / params[i, gs.model.P.VG] - b.glucose_mg_dl[i])) < 0.1, i
    # 'auto' takes the lanes too (other blocks, other common steps: equal within the tolerance)
    auto = engine.simulate_batch(pats[:16], scens[:16], output_every_min=5.0)
    # (both within 0.1 of the tight reference above; the kink at basal glucose of the glucose-effectiveness
    # terms, session 17, took their mutual difference from ~0.04 to 0.051)
    assert auto.ok and np.max(np.abs(auto.glucose_mg_dl - b.glucose_mg_dl[:16])) < 0.1


def test_default_tolerance_across_conditions_weights_and_treatments():
    """Two blocks of six conditions and body weights 55-148 kg through a day with metformin, a
    sulfonylurea, exercise, glucagon and IV glucose (measured <= 0.070 mg/dL, type 2 at 58 kg), and a
    25-g IV glucose bolus (<= 0.035): within 0.15 mg/dL of solve_ivp (rtol 1e-10) at the default tolerance."""
    names = ("healthy", "t2d", "prediabetes", "t2d-beta-cell", "cirrhosis", "nafld")
    ivgtt = gs.Scenario(events=(gs.IVGlucoseBolus(time=60, grams=25),), duration_min=300)
    for sc in (_busy_day(), ivgtt):
        pats = [gs.Patient.from_preset(names[i % 6], body_weight_kg=55.0 + 3 * i) for i in range(2 * W)]
        b = engine.simulate_batch(pats, [sc] * len(pats), output_every_min=5.0, kernel="full")
        assert b.ok
        for i in (0, 1, 4, 13, 26, 31):
            ys = integrate_reference(np.asarray(pats[i].initial_state, float), pats[i].parameter_vector(),
                                     sc.compile_for(pats[i]), b.time_min, rtol=1e-10, atol=1e-10)
            vg = pats[i].values["VG"]
            assert np.max(np.abs(ys[:, S.plasma_glucose] / vg - b.glucose_mg_dl[i])) < 0.15, (sc.duration_min, i)


def test_type1_cohort_on_the_full_model():
    """Generated type 1 adults, adolescents and children (children's glucose turns over 2.4 times faster per
    kg) on the full-model lanes (kernel="full": what type 1 patients with drugs or exercise get): every
    patient within 0.1 mg/dL of solve_ivp at the default tolerance (measured <= 0.038, children)."""
    c = generate_cohort("t1d-all", W, seed=5)
    pats = list(c.patients)
    scens = []
    for p, group in zip(pats, c.groups):
        ratio = 20.0 if group == "child" else 10.0  # carb ratio [g/U]
        events = [gs.InsulinInfusion(time=0.0, duration_min=1440.0, rate_u_per_h=p.basal_insulin_u_per_h)]
        for t, g in ((420, 45.0), (720, 70.0), (1080, 80.0)):
            events += [gs.Meal(time=t, carbs_g=g, rate_g_per_min=5.0), gs.InsulinBolus(time=t, units=g / ratio)]
        scens.append(gs.Scenario(events=tuple(events), duration_min=1440.0))
    b = engine.simulate_batch(pats, scens, output_every_min=5.0, kernel="full")
    assert b.ok
    for i, p in enumerate(pats):
        ys = integrate_reference(np.asarray(p.initial_state, float), p.parameter_vector(),
                                 scens[i].compile_for(p), b.time_min, rtol=1e-10, atol=1e-10)
        assert np.max(np.abs(ys[:, S.plasma_glucose] / p.values["VG"] - b.glucose_mg_dl[i])) < 0.1, c.groups[i]


def test_a_failing_lane_leaves_the_others_running():
    day = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80})
    pats = [gs.Patient.from_preset("healthy", body_weight_kg=70.0 + i) for i in range(W)]
    y0, params, packed, _ = engine.prepare(pats, [day] * W)
    t_out = np.arange(0.0, 1440.1, 10.0)
    args = (packed.segments, packed.breakpoints, packed.inputs, *packed.jump_arrays, packed.meal_reset, t_out, 1e-4,
            30.0, 10_000_000, int(F.glucose), False)
    bp, br, rest = lanes.pack_blocks(packed, np.arange(W))
    good, _, st_good, _ = lanes.integrate_blocks(y0, params, *args, bp, br)
    bad_y0 = y0.copy()
    bad_y0[5, S.plasma_insulin] = np.nan
    g, _, st, _ = lanes.integrate_blocks(bad_y0, params, *args, bp, br)
    assert st[5] == gs.solver.STATUS_NOT_FINITE and (np.delete(st, 5) == 0).all() and (st_good == 0).all()
    assert np.isnan(g[5, -1])
    assert np.max(np.abs(np.delete(g, 5, axis=0) - np.delete(good, 5, axis=0))) < 0.05


def test_lane_error_norm_keeps_a_nan():
    """A lane whose error is NaN in one state stays NaN whatever the later states hold (the step
    control must see it and retire the lane)."""
    f = np.ones((6, N_STATES * W))
    y = np.ones(N_STATES * W)
    f[3, 0 * W + 3] = np.nan  # lane 3, first state
    lane_err, y_new = np.empty(W), np.empty(N_STATES * W)
    lanes._combine_errors(N_STATES, 0.5, y, f, y_new, 1e-4, lane_err)
    assert np.isnan(lane_err[3]) and np.isfinite(np.delete(lane_err, 3)).all()


def _jacobian(name):
    """The full model's Jacobian at a preset's steady state (central differences), and the state."""
    pat = simglucose_patient(name) if "#" in name else gs.Patient.from_preset(name)
    y, p = np.asarray(pat.initial_state, float), pat.parameter_vector()
    u = gs.Scenario.day().compile_for(pat).inputs[0]
    jac = np.empty((N_STATES, N_STATES))
    for j in range(N_STATES):
        d = 1e-6 * (1.0 + abs(y[j]))
        up, dn = y.copy(), y.copy()
        up[j] += d
        dn[j] -= d
        f_up, f_dn, out = np.empty(N_STATES), np.empty(N_STATES), np.empty(N_OUTPUTS)
        evaluate(0.0, up, u, p, f_up, out)
        evaluate(0.0, dn, u, p, f_dn, out)
        jac[:, j] = (f_up - f_dn) / (2 * d)
    return jac, y, p, u


@pytest.mark.parametrize("name", ["healthy", "t2d", "t1d", "cirrhosis", "nafld", "adolescent#002", "child#001"])
def test_implicit_part_holds_the_fast_modes(name):
    """Every state the implicit stages leave explicit has an own rate below 0.09/min (the fast modes,
    down to -1.1/min, are the implicit states'), and the explicit remainder J - A of the Jacobian has
    no eigenvalue faster than 0.3/min: what limits an explicit step to ~10 min instead of ~3."""
    jac, y, p, u = _jacobian(name)
    explicit = np.setdiff1d(np.arange(N_STATES), lanes.IMPLICIT)
    assert np.max(np.abs(np.diag(jac)[explicit])) < 0.09
    a = _implicit_matrix(y, u, p)
    rest = jac.copy()
    rest[np.ix_(lanes.IMPLICIT, lanes.IMPLICIT)] -= a
    assert np.max(np.abs(np.linalg.eigvals(jac))) > 0.5  # there are fast modes to take
    assert np.max(np.abs(np.linalg.eigvals(rest))) < 0.3


def _implicit_matrix(y, u, p):
    """The implicit part's matrix (NI x NI) of lane 0, as the kernel computes it (lanes._linear_part)."""
    from numba import njit

    @njit
    def linear(y, u, p):
        a = np.empty(lanes.NA * W)
        f0, f1, yp, out = np.empty(lanes.NS), np.empty(lanes.NS), np.empty(lanes.NS), np.empty(N_OUTPUTS * W)
        lanes._linear_part(False, 0.0, y, u, p, a, f0, f1, yp, out)
        return a

    a = linear(np.repeat(y, W), np.repeat(u, W), np.repeat(p, W)).reshape(lanes.NA, W)[:, 0]
    m = np.diag(a[:lanes.NI])
    for k, (i, j) in enumerate(lanes.OFF_DIAGONAL):
        m[i, j] = a[lanes.NI + k]
    return m


def test_implicit_stage_solve_inverts_the_implicit_part():
    """_solve gives z with z_I - c A z_I = r_I (other states z = r) in every lane, for short and long steps."""
    rng = np.random.default_rng(2)
    mats = []
    for name in ("healthy", "t2d", "cirrhosis", "t1d"):
        _, y, p, u = _jacobian(name)
        mats.append(_implicit_matrix(y, u, p))
    a = np.empty(lanes.NA * W)
    for l_ in range(W):
        m = mats[l_ % 4] * rng.uniform(0.5, 2.0)  # lanes differ
        a[l_:lanes.NI * W:W] = np.diag(m)
        for k, (i, j) in enumerate(lanes.OFF_DIAGONAL):
            a[(lanes.NI + k) * W + l_] = m[i, j]
    r = rng.uniform(0.0, 200.0, lanes.NS)
    rows = (lanes.IMPLICIT[:, None] * W + np.arange(W)).reshape(-1)
    others = np.setdiff1d(np.arange(lanes.NS), rows)
    for c in (0.01, 1.0, 30.0):
        q = np.empty(lanes.NA * W)
        lanes._factor(a, c, q)
        z = np.empty(lanes.NS)
        lanes._solve(lanes.NS, a, c, q, r, z)
        g = np.empty(lanes.NI * W)
        lanes._implicit_rates(a, z, g)
        np.testing.assert_allclose(z[rows] - c * g, r[rows], rtol=1e-12, atol=1e-9)
        np.testing.assert_array_equal(z[others], r[others])


def test_error_scales_follow_their_rule():
    """lanes.ERROR_SCALE is each state's largest magnitude over the reference day (healthy and type 2,
    three meals), rounded up, at least 1 (the stomach and gut: 1 g; portal insulin: 5x its range): checked
    against the model as it is now (within a factor of 3, so that a recalibration that moves a state's range
    far shows here)."""
    day = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80})
    mags = np.zeros(N_STATES)
    for name in ("healthy", "t2d"):
        pat = gs.Patient.from_preset(name)
        ys = integrate_reference(np.asarray(pat.initial_state, float), pat.parameter_vector(),
                                 day.compile_for(pat), np.arange(0.0, 1441.0, 10.0), rtol=1e-8, atol=1e-8)
        mags = np.maximum(mags, np.max(np.abs(ys), axis=0))
    ratio = lanes.ERROR_SCALE / np.maximum(mags, 1.0)
    gut = [S.stomach_solid, S.stomach_liquid, S.gut]
    assert (lanes.ERROR_SCALE[gut] == 1e3).all()
    ratio[gut] = 1.0
    ratio[S.portal_insulin] /= 5.0
    bad = {S(i).name: (float(lanes.ERROR_SCALE[i]), float(mags[i])) for i in np.flatnonzero((ratio < 1 / 3) | (ratio > 3))}
    assert not bad


def test_lanes_with_different_breakpoints_per_patient():
    """A block of patients whose scenarios all differ (random meal times) stops at every lane's
    breakpoints, each lane entering its own segments there. (pack_blocks leaves such patients to the
    scalar integrator, measured as fast; the kernel must still be right for any block.)"""
    pats = [gs.Patient.from_preset(("healthy", "t2d", "prediabetes")[i % 3]) for i in range(W)]
    scens = [gs.Scenario.random_days(days=1, seed=i) for i in range(W)]
    y0, params, packed, _ = engine.prepare(pats, scens)
    block_pat, block_record, rest = lanes.pack_blocks(packed, np.arange(W), params)
    assert block_pat.shape == (0, W) and rest.size == W  # no two share their breakpoints
    block_pat, block_record = lanes._block_arrays([np.arange(W)])
    t_out = np.arange(0.0, 1440.1, 5.0)
    g, _, st, _ = lanes.integrate_blocks(y0, params, packed.segments, packed.breakpoints, packed.inputs,
                                         *packed.jump_arrays, packed.meal_reset, t_out, 1e-4, 30.0, 10_000_000,
                                         int(F.glucose), False, block_pat, block_record)
    assert (st == 0).all()
    g1, _, _ = engine.integrate_batch_adaptive(y0, params, packed.segments, packed.breakpoints, packed.inputs,
                                               *packed.jump_arrays, packed.meal_reset, t_out, 1e-4,
                                               int(F.glucose), False)
    assert np.max(np.abs(g1 - g)) < 0.05
    for i in (0, 7, 15):
        ys = integrate_reference(y0[i], params[i], scens[i].compile_for(pats[i]), t_out,
                                 rtol=1e-10, atol=1e-10)
        assert np.max(np.abs(ys[:, S.plasma_glucose] / params[i, gs.model.P.VG] - g[i])) < 0.2, i


def test_core_right_hand_side_leaves_out_only_the_treatments_and_the_dawn_clock():
    """lanes.core_derivative_block (rhs_at(..., extras=False)) gives bit for bit the derivatives of the
    full one whenever the treatment states and inputs (model.TREATMENT_STATES, TREATMENT_INPUTS) and the
    dawn resistance are 0, for random values of every other state and input: nothing else is left out.
    (A state listed there needlessly would only make lanes._uses_extras choose the full one more often.)"""
    from glucostat.model import TREATMENT_INPUTS, TREATMENT_STATES, P, U

    rng = np.random.default_rng(7)
    names = ("healthy", "t2d", "t1d", "cirrhosis")
    pv = np.stack([gs.Patient.from_preset(names[l % 4]).parameter_vector() for l in range(W)], axis=1)
    pv[P.hepatic_dawn_resistance] = 0.0
    y0 = np.stack([np.asarray(gs.Patient.from_preset(names[l % 4]).initial_state, float) for l in range(W)], axis=1)
    other_inputs = [q for q in U if q not in TREATMENT_INPUTS]
    for trial in range(5):
        y = y0 * rng.uniform(0.5, 1.5, size=y0.shape)
        y[TREATMENT_STATES] = 0.0
        u = np.zeros((N_INPUTS, W))
        u[other_inputs] = rng.uniform(0.0, 5.0, size=(len(other_inputs), W))
        args = (360.0 + 97.0 * trial, y.reshape(-1).copy(), u.reshape(-1).copy(), pv.reshape(-1).copy())
        full, core = np.empty(N_STATES * W), np.full(N_STATES * W, np.nan)
        lanes.derivative_block(*args, full, np.empty(N_OUTPUTS * W))
        lanes.core_derivative_block(*args, core, np.empty(N_OUTPUTS * W))
        np.testing.assert_array_equal(core, full)


def test_blocks_without_extras_take_the_core_right_hand_side_with_the_same_result():
    """A block of healthy and type 2 patients on a meal day runs the core right-hand side; a dawn
    resistance of 1e-300 (no effect in floating point, but a reason to run the full one) gives the same
    glucose bit for bit. A block with metformin runs the full one (and agrees with solve_ivp)."""
    day = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80})
    names = ("healthy", "t2d")
    core = [gs.Patient.from_preset(names[i % 2], body_weight_kg=60.0 + 3 * i) for i in range(W)]
    full = [gs.Patient.from_preset(names[i % 2], body_weight_kg=60.0 + 3 * i, hepatic_dawn_resistance=1e-300)
            for i in range(W)]
    a = engine.simulate_batch(core, [day] * W, output_every_min=5.0, kernel="full")
    b = engine.simulate_batch(full, [day] * W, output_every_min=5.0, kernel="full")
    assert a.ok and b.ok
    np.testing.assert_array_equal(a.glucose_mg_dl, b.glucose_mg_dl)
    y0, params, packed, _ = engine.prepare(core, [day] * W)
    bp, _, _ = lanes.pack_blocks(packed, np.arange(W), params)
    assert not lanes._uses_extras(bp[0], y0, params, packed.segments, packed.inputs, *packed.jump_arrays)
    met = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80}, daily=[gs.Metformin(time="08:00", dose_mg=1000)])
    y0, params, packed, _ = engine.prepare(core, [met] * W)
    bp, _, _ = lanes.pack_blocks(packed, np.arange(W), params)
    assert lanes._uses_extras(bp[0], y0, params, packed.segments, packed.inputs, *packed.jump_arrays)
    c = engine.simulate_batch(core, [met] * W, output_every_min=5.0, kernel="full")
    for i in (0, 5):
        ys = integrate_reference(np.asarray(core[i].initial_state, float), core[i].parameter_vector(),
                                 met.compile_for(core[i]), c.time_min, rtol=1e-10, atol=1e-10)
        assert np.max(np.abs(ys[:, S.plasma_glucose] / core[i].values["VG"] - c.glucose_mg_dl[i])) < 0.1


def test_nothing_reads_the_cumulative_counters():
    """The counters after model.N_DYNAMIC_STATES only report: random values in them change no other
    state's derivative and no output but their own (so blocks that keep no outputs may leave them out)."""
    from glucostat.model import N_DYNAMIC_STATES

    rng = np.random.default_rng(11)
    pat = gs.Patient.from_preset("t2d")
    y, p = np.asarray(pat.initial_state, float).copy(), pat.parameter_vector()
    u = np.zeros(N_INPUTS)
    u[0] = 3000.0
    dy0, out0 = np.empty(N_STATES), np.empty(N_OUTPUTS)
    evaluate(600.0, y, u, p, dy0, out0)
    y[N_DYNAMIC_STATES:] = rng.uniform(0.0, 1e4, N_STATES - N_DYNAMIC_STATES)
    dy1, out1 = np.empty(N_STATES), np.empty(N_OUTPUTS)
    evaluate(600.0, y, u, p, dy1, out1)
    np.testing.assert_array_equal(dy1, dy0)
    np.testing.assert_array_equal(out1, out0)
