"""Lean type 1 kernel: same equations as the full model, SIMD blocks, adaptive lockstep steps.

The lean kernel (glucostat.lean) integrates only the 19 states a type 1 patient moves.
These tests check that its right-hand side is the full model's (to round-off), that it
selects exactly the patients for which that is true, that a block's lanes do not
disturb each other (failures stay in their lane; a patient's glucose does not depend on
its block companions beyond the step-control tolerance), and its accuracy against
solve_ivp (DOP853, rtol 1e-10), far inside issue 6's 0.2 mg/dL.
"""

import numpy as np
import pytest

import glucostat as gs
from glucostat import lean
from glucostat.cohorts import generate_cohort
from glucostat.engine import prepare, simulate_batch
from glucostat.errors import InvalidInputError
from glucostat.model import N_OUTPUTS, N_STATES, S, U, evaluate
from glucostat.solver import integrate_reference


def _t1d_day(p, carbs=(50.0, 70.0, 80.0), ratio=9.0):
    """Basal and three meals with boluses at ``ratio`` g/U for a 70-kg adult, scaled to body weight
    (a child's ratio is higher: a fixed adult ratio would drive a 29-kg child to zero glucose)."""
    ratio *= 70.0 / p.body_weight_kg
    events = [gs.InsulinInfusion(time=0, duration_min=1440, rate_u_per_h=p.basal_insulin_u_per_h)]
    for t, g in zip((420, 720, 1080), carbs):
        events += [gs.Meal(time=t, carbs_g=g), gs.InsulinBolus(time=t, units=g / ratio)]
    return gs.Scenario(events=tuple(events), duration_min=1440)


def _day_with_one_dose(p, time, units, product):
    """``_t1d_day`` with its basal infusion replaced by one SC dose of ``product`` at ``time`` [min]."""
    events = [e for e in _t1d_day(p).events if not isinstance(e, gs.InsulinInfusion)]
    events.insert(0, gs.InsulinBolus(time=time, units=units, product=product))
    return gs.Scenario(events=tuple(events), duration_min=1440)


def _assert_batch_agrees_with_solve_ivp(patients, scens):
    """The batch runs, and every patient's glucose is within 0.05 mg/dL of solve_ivp at tight tolerance."""
    b = simulate_batch(patients, scens, output_every_min=5.0)
    assert b.ok
    for p, sc, g in zip(patients, scens, b.glucose_mg_dl):
        ref = integrate_reference(np.asarray(p.initial_state, float), p.parameter_vector(), sc.compile_for(p),
                                  b.time_min, rtol=1e-10, atol=1e-10)
        assert np.max(np.abs(ref[:, S.plasma_glucose] / p.values["VG"] - g)) < 0.05


def test_rhs_is_the_full_models_rhs():
    """Random lean states and inputs in every lane: derivatives equal evaluate()'s to round-off."""
    rng = np.random.default_rng(5)
    pats = list(generate_cohort("t1d-all", lean.LANES, seed=3).patients)
    y0 = np.stack([p.initial_state for p in pats]).astype(float)
    params = np.stack([p.parameter_vector() for p in pats])
    y = y0.copy()
    y[:, lean.FULL_STATE] *= rng.uniform(0.3, 3.0, (lean.LANES, lean.NL))
    y[:, S.remote_insulin] = rng.uniform(-20, 80, lean.LANES)
    y[:, S.stomach_solid] = rng.uniform(0, 6e4, lean.LANES)
    y[:, S.stomach_liquid] = rng.uniform(0, 3e4, lean.LANES)
    y[:, S.meal_size] = np.where(np.arange(lean.LANES) % 4 == 0, 0.0, rng.uniform(2e4, 1e5, lean.LANES))
    u = rng.uniform(0, 5, (lean.LANES, len(U)))
    ys, lp, _, _ = lean.pack_blocks(y, params, np.arange(lean.LANES))
    meal = np.zeros(5 * lean.LANES)
    for l in range(lean.LANES):
        _set = lean._set_meal.py_func
        _set(y[l, S.meal_size], lp[0], meal, l)
    dy_lean = np.zeros(lean.NL * lean.LANES)
    lean.rhs_block(ys[0], np.ascontiguousarray(u.T).ravel(), lp[0], meal, dy_lean)
    dy_lean = dy_lean.reshape(lean.NL, lean.LANES).T
    for l in range(lean.LANES):
        dy = np.zeros(N_STATES)
        evaluate(0.0, y[l], u[l], params[l], dy, np.zeros(N_OUTPUTS))
        ref = dy[lean.FULL_STATE]
        np.testing.assert_allclose(dy_lean[l], ref, rtol=1e-12, atol=1e-12 * np.max(np.abs(ref)))


def test_eligibility():
    pats = [gs.Patient.from_preset("t1d"), gs.Patient.from_preset("healthy"), gs.Patient.from_preset("t2d"),
            gs.Patient.from_preset("dalla-man-2007-normal"), *generate_cohort("t1d-adult", 2, seed=1).patients]
    scen = [gs.Scenario.day()] * len(pats)
    y0, params, packed, _ = prepare(pats, scen)
    assert lean.eligible(y0, params, packed).tolist() == [True, False, False, False, True, True]
    # a jump on a state the lean kernel does not move (here: glucagon) sends the patient to the full model
    k = int(np.nonzero(np.diff(packed.jump_offset[:packed.segments[0, 1] + 1]))[0][0])  # patient 0's first impulse
    packed.jump_state[packed.jump_offset[k]] = S.plasma_glucagon
    assert not lean.eligible(y0, params, packed)[0]
    assert lean.eligible(y0, params, packed)[1:].tolist() == [False, False, False, True, True]


def test_lean_matches_solve_ivp_and_full_kernel():
    c = generate_cohort("t1d-all", 12, seed=11)
    pats = list(c.patients)
    fast = max(pats, key=lambda p: p.values["kabs"])
    scens = [_t1d_day(p) for p in pats]
    b = simulate_batch(pats, scens, output_every_min=5.0)
    f = simulate_batch(pats, scens, output_every_min=5.0, kernel="rk4", step_min=0.125)
    assert b.ok and f.ok
    # children's glucose turnover per kg is 2.4x the adults' (faster dynamics): ~0.05 mg/dL there at the
    # default rtol 3e-4, ~0.02 in adults and adolescents; the goal is 0.2
    assert np.max(np.abs(b.glucose_mg_dl - f.glucose_mg_dl)) < 0.1
    adults = [k for k, g in enumerate(c.groups) if g != "child"]
    assert np.max(np.abs(b.glucose_mg_dl[adults] - f.glucose_mg_dl[adults])) < 0.05
    i = pats.index(fast)
    ys = integrate_reference(np.asarray(fast.initial_state, float), fast.parameter_vector(),
                             scens[i].compile_for(fast), b.time_min, rtol=1e-10, atol=1e-10)
    assert np.max(np.abs(ys[:, S.plasma_glucose] / fast.values["VG"] - b.glucose_mg_dl[i])) < 0.05


def test_insulin_products_and_skipped_depot_rows():
    """Blocks whose lanes neither hold nor receive regular or long-acting insulin skip those depots'
    rows (they stay exactly zero); a block where one lane injects glargine, another regular and a
    third degludec integrates all rows, and every lane stays within 0.05 mg/dL of solve_ivp."""
    c = list(generate_cohort("t1d-adult", 4, seed=21).patients)
    rapid = _t1d_day(c[0])
    y0, params, packed, _ = prepare([c[0]] * lean.LANES, [rapid] * lean.LANES)
    ys, _, _, lane_pat = lean.pack_blocks(y0, params, np.arange(lean.LANES))
    args = (lane_pat[0], packed.segments, packed.inputs, packed.jump_offset, packed.jump_state)
    assert lean.block_rows(ys[0], *args, False) == lean.N_CORE
    assert lean.block_rows(ys[0], *args, True) == lean.NL  # a controller that may inject long-acting insulin
    held = ys[0].copy()
    held[lean.L.glargine_tissue * lean.LANES + 3] = 1.0
    assert lean.block_rows(held, *args, False) == lean.NL
    scens = [rapid]
    for k, product in enumerate(("regular", "glargine", "degludec"), start=1):
        p = c[k]
        units = 24 * p.basal_insulin_u_per_h if product != "regular" else 6.0
        scens.append(_day_with_one_dose(p, 60, units, product))
    y0, params, packed, _ = prepare(c, scens)
    ys, _, _, lane_pat = lean.pack_blocks(y0, params, np.arange(4))
    assert lean.block_rows(ys[0], lane_pat[0], packed.segments, packed.inputs, packed.jump_offset,
                           packed.jump_state, False) == lean.NL
    _assert_batch_agrees_with_solve_ivp(c, scens)


def test_mixed_batch_and_lane_independence():
    """Type 1 lanes in blocks, others on the full kernel; a patient's glucose is the same alone or in a crowd."""
    c = list(generate_cohort("t1d-adult", 20, seed=4).patients)
    pats = [*c[:9], gs.Patient.from_preset("healthy"), *c[9:]]
    scens = [_t1d_day(p) if p.values["Sb"] == 0 else gs.Scenario.day() for p in pats]
    b = simulate_batch(pats, scens)
    assert b.ok
    for i in (0, 9, 20):
        alone = simulate_batch([pats[i]], scens[i])
        assert np.max(np.abs(alone.glucose_mg_dl[0] - b.glucose_mg_dl[i])) < 0.05


def test_failure_stays_in_its_lane():
    """An insulin overdose drives one patient's glucose to zero: that lane fails, the others run on."""
    c = list(generate_cohort("t1d-adult", 5, seed=8).patients)
    scens = [_t1d_day(p) for p in c]
    extra = gs.IVInsulinInfusion(time=60, duration_min=900, rate_mu_per_kg_min=20.0)
    overdose = gs.Scenario(events=tuple(sorted((*scens[2].events, extra), key=lambda e: e.time)), duration_min=1440)
    b = simulate_batch(c, [*scens[:2], overdose, *scens[3:]])
    assert b.status[2] != 0 and np.isnan(b.glucose_mg_dl[2, -1]) and np.nanmin(b.glucose_mg_dl[2]) >= 0
    assert (np.delete(b.status, 2) == 0).all()
    ref = simulate_batch([c[0], c[1], c[3], c[4]], [scens[0], scens[1], scens[3], scens[4]])
    assert np.max(np.abs(ref.glucose_mg_dl - np.delete(b.glucose_mg_dl, 2, axis=0))) < 0.02


def test_lean_inputs_rejected_clearly():
    with pytest.raises(InvalidInputError, match="kernel"):
        simulate_batch(["t1d"], gs.Scenario(duration_min=60), kernel="fast")
    with pytest.raises(InvalidInputError, match="rtol"):
        simulate_batch(["t1d"], gs.Scenario(duration_min=60), rtol=0.5)


def test_iv_inputs_and_interstitial_signal():
    """IV glucose and insulin infusions and the CGM signal go through the lean kernel too."""
    p = gs.Patient.from_preset("t1d")
    sc = gs.Scenario(events=(gs.InsulinInfusion(time=0, duration_min=600, rate_u_per_h=p.basal_insulin_u_per_h),
                             gs.IVGlucoseInfusion(time=60, duration_min=120, rate_mg_per_kg_min=4.0),
                             gs.IVInsulinInfusion(time=90, duration_min=60, rate_mu_per_kg_min=1.0),
                             gs.IVGlucoseBolus(time=300, grams=20.0)), duration_min=600)
    for signal, col in (("plasma", "Plasma glucose [mg/dL]"), ("interstitial", "Interstitial glucose [mg/dL]")):
        b = simulate_batch([p], sc, signal=signal, output_every_min=2.0)
        ref = gs.simulate(p, sc, t_eval=b.time_min).get(col)
        # the 20-g IV bolus spike (~150 mg/dL) is the hardest case for interpolated outputs (~0.12 at rtol 3e-4)
        assert np.max(np.abs(ref - b.glucose_mg_dl[0])) < 0.15


def test_implicit_solve_inverts_the_linear_part():
    """solve_linear gives z with z - c J z = r (J = linear_part) in every lane, for short and long steps."""
    rng = np.random.default_rng(9)
    pats = list(generate_cohort("t1d-all", lean.LANES, seed=6).patients)
    y0 = np.stack([p.initial_state for p in pats]).astype(float)
    params = np.stack([p.parameter_vector() for p in pats])
    _, lp, _, _ = lean.pack_blocks(y0, params, np.arange(lean.LANES))
    p = lp[0]
    r = rng.uniform(0.0, 200.0, lean.NL * lean.LANES)
    for c in (0.01, 1.0, 30.0):
        q = np.zeros(lean.NQ * lean.LANES)
        lean.solve_factors(p, c, q)
        z = np.zeros_like(r)
        lean.solve_linear(r, p, c, q, z)
        jz = np.zeros_like(r)
        lean.linear_part(z, p, jz)
        np.testing.assert_allclose(z - c * jz, r, rtol=1e-12, atol=1e-9)


def test_error_norm_reduction_keeps_nan():
    """The step control finds failing lanes through a NaN error norm: the per-lane reduction must
    not drop NaN or infinite errors of live lanes, and ignores failed lanes."""
    from numba import njit

    from glucostat.solver import STATUS_NEGATIVE, STATUS_OK

    @njit
    def norm(err, y, y_new, status):
        return lean._error_norm(err, y, y_new, 1e-4, status, np.empty(lean.W), np.empty(lean.W), lean.NL)

    n = lean.NL * lean.W
    y = np.full(n, 100.0)
    err = np.full(n, 1e-3)
    ok = np.full(lean.W, STATUS_OK)
    scale = lean.ERROR_SCALE[np.arange(n) // lean.W]
    assert norm(err, y, y, ok) == pytest.approx(np.max(1e-3 / (1e-4 * (scale + 100.0))))
    for bad in (np.nan, np.inf):
        e = err.copy()
        e[5 * lean.W + 7] = bad  # lane 7
        assert np.isnan(norm(e, y, y, ok))
        dead = ok.copy()
        dead[7] = STATUS_NEGATIVE
        assert np.isfinite(norm(e, y, y, dead))
    e = err.copy()
    e[3 * lean.W + 2] = 0.5  # the largest ratio is found whatever its lane
    assert norm(e, y, y, ok) == pytest.approx(0.5 / (1e-4 * (lean.ERROR_SCALE[3] + 100.0)))


def test_organ_extensions_leave_the_lean_kernel():
    """A type 1 patient with a glucostat mechanism the lean kernel does not carry switched on (the
    adrenaline response, the liver's share of uptake, saturating insulin action) is left to the full model."""
    import glucostat as gs
    from glucostat import engine

    base = gs.Patient.from_preset("t1d")
    packed = engine.pack([gs.Scenario(duration_min=60)], [base.body_weight_kg])
    for ov in ({}, {"adrenaline_response": 1.0}, {"hepatic_uptake_share": 0.2}, {"insulin_uptake_ec50": 600.0},
               {"hepatic_insulin_max_suppression": 3.0}):
        p = base.with_overrides(**ov)
        ok = lean.eligible(p.initial_state[None, :], p.parameter_vector()[None, :], packed)[0]
        assert ok == (not ov), ov


def test_alike_patients_share_blocks_and_results_keep_the_callers_order():
    """lean.similar_order groups copies of a patient into the same blocks (the kernel then steps as for
    that patient alone) and sorts by breakpoints first; results come back in the caller's order: two
    patients alternating over 32 entries give, entry by entry, bit for bit the glucose of 16 copies of
    each run on their own."""
    from glucostat.interop.simglucose import simglucose_patient

    a, b = simglucose_patient("adult#001"), simglucose_patient("adolescent#003")
    day_a, day_b = _t1d_day(a), _t1d_day(b, carbs=(40.0, 60.0, 60.0))
    pats, scens = [a, b] * 16, [day_a, day_b] * 16
    y0, params, packed, _ = prepare(pats, scens)
    order = lean.similar_order(params, packed, np.arange(32))
    assert sorted(order.tolist()) == list(range(32))
    groups = {frozenset(order[:16].tolist()), frozenset(order[16:].tolist())}
    assert groups == {frozenset(range(0, 32, 2)), frozenset(range(1, 32, 2))}
    mixed = simulate_batch(pats, scens).glucose_mg_dl
    np.testing.assert_array_equal(mixed[0::2], simulate_batch([a] * 16, day_a).glucose_mg_dl)
    np.testing.assert_array_equal(mixed[1::2], simulate_batch([b] * 16, day_b).glucose_mg_dl)


def test_breakpoint_groups_follow_the_breakpoints_not_the_scenario_objects():
    """Scenarios compiled for different body weights share their breakpoints (one group); a meal moved by
    an hour makes another."""
    from glucostat.interop.simglucose import simglucose_patient

    a, b = simglucose_patient("adult#001"), simglucose_patient("adult#002")
    day = _t1d_day(a)
    moved = [gs.Meal(time=e.time + 60, carbs_g=e.carbs_g) if isinstance(e, gs.Meal) else e for e in day.events]
    late = gs.Scenario(events=tuple(sorted(moved, key=lambda e: e.time)), duration_min=1440)
    _, _, packed, _ = prepare([a, b, a, b], [day, day, late, day])
    groups = lean.breakpoint_groups(packed, np.arange(4))
    assert a.body_weight_kg != b.body_weight_kg and len(np.unique(packed.segments[:, 2])) == 3
    assert groups[0] == groups[1] == groups[3] != groups[2]


def test_nph_insulin_leaves_the_lean_kernel():
    """The lean kernel does not carry the NPH depot: a type 1 patient given NPH (bedtime, 0.3 U/kg, no basal
    infusion) is integrated by the full model, and the batch still agrees with solve_ivp within 0.05 mg/dL."""
    c = list(generate_cohort("t1d-adult", 2, seed=5).patients)
    scens = [_t1d_day(c[0]), _day_with_one_dose(c[1], 0, round(0.3 * c[1].body_weight_kg, 1), "nph")]
    y0, params, packed, _ = prepare(c, scens)
    assert lean.eligible(y0, params, packed).tolist() == [True, False]
    _assert_batch_agrees_with_solve_ivp(c, scens)
