"""Full organ model in SIMD lanes: blocks of patients integrated in lockstep.

The full model's right-hand side (:func:`glucostat.model.rhs_at`, the same source as
:func:`glucostat.model.evaluate`) is evaluated for :data:`LANES` patients at once: states,
parameters, inputs and outputs are interleaved (entry ``k`` of patient ``l`` at ``k * LANES + l``)
and the loop over lanes compiles to SIMD instructions, because the organ functions are inlined
and free of calls and loops (``physiology.common``: polynomial ``tanh`` and ``cos``,
whole-number powers) and their branches become selects. LLVM's loop vectoriser needs runtime
checks that the arrays do not overlap, more than its default limit allows; :func:`_allow_alias_checks`
raises the limit (docs/architecture.md, 'Full-model lanes').

A block steps with the Dormand-Prince 5(4) pair of :func:`glucostat.solver.integrate` (same
tableau, error norm, step control and dense output), with one step size for all its lanes: the
error is the maximum over states and lanes, so every lane meets the tolerance. A block stops at
every lane's breakpoints, where the lanes that reach one enter their next segment (inputs, meal
reset, impulses); :func:`pack_blocks` fills blocks with patients that share their breakpoints, so
that the stops are the scenario's own (each lane keeps its own inputs and impulses, which depend on
body weight). A lane whose state turns non-finite or negative gets its failure status and leaves
the step control; the others run on.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .model import N_INPUTS, N_OUTPUTS, N_PARAMS, N_STATES, NONNEGATIVE_STATES, F, P, S, rhs_at
from .solver import (_E1, _E3, _E4, _E5, _E6, _E7, NEGATIVE_TOLERANCE_PER_ATOL, STATUS_MAX_STEPS, STATUS_NEGATIVE,
                     STATUS_NOT_FINITE, STATUS_STEP_TOO_SMALL, clamp_step, dense_output, dp_stages, next_step)

#: Patients per block. LLVM treats loops of fewer than 16 iterations as too short for runtime alias
#: checks, so 16 is the smallest count it vectorises (4 AVX2 or 2 AVX-512 vectors of float64).
LANES = 16
W = LANES
NS = N_STATES * W
#: Default step tolerance (rtol = atol) of the full model in a batch (glucose within ~0.01 mg/dL of
#: solve_ivp; its step count is set by stability, not by this tolerance: docs/architecture.md).
DEFAULT_RTOL = 1e-4


def _allow_alias_checks():
    """Let LLVM's loop vectoriser emit the runtime overlap checks the lane loop needs.

    The right-hand side reads four arrays and writes two, at ~200 distinct rows; the default limit
    (8 checks) refuses it. These are LLVM command-line options of the process (they only allow
    more checks; code that needs none is unchanged), set before any glucostat kernel compiles.
    """
    import llvmlite.binding as llvm

    llvm.set_option("glucostat", "-runtime-memory-check-threshold=4096")
    llvm.set_option("glucostat", "-memory-check-merge-threshold=4096")


_allow_alias_checks()


@njit(cache=True, error_model="numpy")
def rhs_block(t, y, u, p, dy, out):
    """Right-hand side and outputs of a block of :data:`LANES` patients (interleaved vectors), in place."""
    for l in range(W):
        rhs_at(t, y, u, p, dy, out, l, W, True)


@njit(cache=True, error_model="numpy")
def derivative_block(t, y, u, p, dy, out):
    """:func:`rhs_block` without the outputs (``out`` untouched): what the integrator's stages need."""
    for l in range(W):
        rhs_at(t, y, u, p, dy, out, l, W, False)


@njit(cache=True, inline="always", error_model="numpy")
def _record(t, j, y_t, u, p, out, dummy, pats, record, glucose_col, glucose, outputs, keep_outputs):
    """Store output ``j`` (time ``t``, state ``y_t``) of the recording lanes: every output if kept
    (a right-hand-side evaluation), else only glucose, read from the state as the model reports it
    (plasma ``max(Gp, 0)/VG``, or interstitial ``Gsc/VG``)."""
    if keep_outputs:
        rhs_block(t, y_t, u, p, dummy, out)
        for l in range(W):
            if record[l]:
                i = pats[l]
                glucose[i, j] = out[glucose_col * W + l]
                for m in range(N_OUTPUTS):
                    outputs[i, j, m] = out[m * W + l]
    else:
        plasma = glucose_col == F.glucose
        row = S.plasma_glucose if plasma else S.interstitial_glucose
        for l in range(W):
            if record[l]:
                v = y_t[row * W + l]
                if plasma and v < 0.0:
                    v = 0.0
                glucose[pats[l], j] = v / p[P.VG * W + l]


@njit(cache=True, inline="always", error_model="numpy")
def _enter_segment(l, s, y, u, inputs, meal_reset, jump_offset, jump_state, jump_value):
    """Lane ``l`` enters segment row ``s``: its inputs, a new meal's size (the stomach content, before
    the impulse), and the segment's impulses (as :func:`glucostat.solver.integrate` at a breakpoint)."""
    for q in range(N_INPUTS):
        u[q * W + l] = inputs[s, q]
    if meal_reset[s]:
        y[S.meal_size * W + l] = y[S.stomach_solid * W + l] + y[S.stomach_liquid * W + l]
    for j in range(jump_offset[s], jump_offset[s + 1]):
        y[jump_state[j] * W + l] += jump_value[j]


@njit(cache=True, inline="always", error_model="numpy")
def _lane_errors(h, k, y, y_new, tol, lane_err):
    """Per-lane max-norm error ratio of the embedded pair (Hairer et al. eq. II.4.11 in the max norm,
    scale tol (1 + max(|y|, |y_new|))); NaN for a lane with a non-finite value."""
    for l in range(W):
        lane_err[l] = 0.0
    for s in range(N_STATES):
        for l in range(W):
            m = s * W + l
            e = h * (_E1 * k[0, m] + _E3 * k[2, m] + _E4 * k[3, m] + _E5 * k[4, m] + _E6 * k[5, m] + _E7 * k[6, m])
            r = abs(e) / (tol + tol * max(abs(y[m]), abs(y_new[m])))
            lane_err[l] = r if (r > lane_err[l] or r != r) else lane_err[l]  # a NaN, once there, stays


@njit(cache=True, error_model="numpy")
def _integrate_block(b, y0, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset,
                     t_out, rtol, h_max, max_steps, glucose_col, keep_outputs, block_pat, block_record,
                     glucose, outputs, status, steps):
    """Integrate block ``b`` (lanes ``block_pat[b]``) through its scenario, writing the recorded lanes'
    rows of ``glucose``/``outputs``/``status`` and the block's accepted steps ``steps[b]``."""
    pats = block_pat[b]
    record = block_record[b].copy()
    n_out = t_out.shape[0]
    if n_out == 0:
        return
    y = np.empty(NS)
    p = np.empty(N_PARAMS * W)
    u = np.empty(N_INPUTS * W)
    for l in range(W):
        i = pats[l]
        for s in range(N_STATES):
            y[s * W + l] = y0[i, s]
        for q in range(N_PARAMS):
            p[q * W + l] = params[i, q]
    k = np.empty((7, NS))
    y_tmp = np.empty(NS)
    y_new = np.empty(NS)
    dense = np.empty(NS)
    dummy = np.empty(NS)
    out = np.empty(N_OUTPUTS * W)
    lane_err = np.empty(W)
    active = np.ones(W, dtype=np.bool_)  # in the step control (not failed)
    code = np.zeros(W, dtype=np.int64)
    neg_tol = NEGATIVE_TOLERANCE_PER_ATOL * rtol
    seg = np.empty(W, dtype=np.int64)  # each lane's current segment (row of inputs)
    seg_end = np.empty(W, dtype=np.int64)  # and the end of its scenario's rows
    bp_of = np.empty(W, dtype=np.int64)  # breakpoints[bp_of[l] + seg[l]] starts lane l's segment
    for l in range(W):
        seg[l] = segments[pats[l], 0]
        seg_end[l] = segments[pats[l], 1]
        bp_of[l] = segments[pats[l], 2] - segments[pats[l], 0]
        _enter_segment(l, seg[l], y, u, inputs, meal_reset, jump_offset, jump_state, jump_value)
    t = breakpoints[bp_of[0] + seg[0]]
    t_end = t_out[n_out - 1]
    h = 0.5
    i_eval = 0
    n_try = 0
    stop = False
    while True:
        # lanes whose next breakpoint is due enter their next segment (impulses, inputs, meal reset)
        for l in range(W):
            while seg[l] + 1 < seg_end[l] and breakpoints[bp_of[l] + seg[l] + 1] <= t:
                seg[l] += 1
                _enter_segment(l, seg[l], y, u, inputs, meal_reset, jump_offset, jump_state, jump_value)
        # outputs at t (right-continuous at breakpoints: after the impulses)
        while i_eval < n_out and t_out[i_eval] <= t:
            _record(t, i_eval, y, u, p, out, dummy, pats, record, glucose_col, glucose, outputs, keep_outputs)
            i_eval += 1
        if t >= t_end:
            break
        # integrate to the next stop: the earliest next breakpoint of any lane
        t1 = t_end
        for l in range(W):
            if seg[l] + 1 < seg_end[l] and breakpoints[bp_of[l] + seg[l] + 1] < t1:
                t1 = breakpoints[bp_of[l] + seg[l] + 1]
        derivative_block(t, y, u, p, k[0], out)
        while t < t1:
            if n_try >= max_steps:
                for l in range(W):
                    if active[l]:
                        code[l] = STATUS_MAX_STEPS
                stop = True
                break
            n_try += 1
            h, last = clamp_step(t, h, t1, h_max)
            dp_stages(derivative_block, t, h, y, u, p, k, y_tmp, y_new, out)
            _lane_errors(h, k, y, y_new, rtol, lane_err)
            err = 0.0
            finite = True
            for l in range(W):
                if active[l]:
                    if lane_err[l] != lane_err[l] or lane_err[l] == np.inf:
                        finite = False
                    elif lane_err[l] > err:
                        err = lane_err[l]
            if not finite:
                h *= 0.25
                if h < 1e-10:
                    # the lanes that stay non-finite however short the step fail; the others go on
                    for l in range(W):
                        if active[l] and not (lane_err[l] < np.inf):
                            active[l] = False
                            record[l] = False
                            code[l] = STATUS_NOT_FINITE
                    h = 1e-3
                    derivative_block(t, y, u, p, k[0], out)
                    if not active.any():
                        stop = True
                        break
                continue
            if err <= 1.0:
                t_new = t1 if last else t + h
                while i_eval < n_out and t_out[i_eval] < t_new:
                    dense_output(y, h, k, (t_out[i_eval] - t) / h, dense)
                    _record(t_out[i_eval], i_eval, dense, u, p, out, dummy, pats, record, glucose_col, glucose,
                            outputs, keep_outputs)
                    i_eval += 1
                for m in range(NS):
                    y[m] = y_new[m]
                    k[0, m] = k[6, m]
                t = t_new
                steps[b] += 1
                # lanes with a mass or concentration driven below zero fail (solver.state_status)
                for s in range(N_STATES):
                    if NONNEGATIVE_STATES[s]:
                        for l in range(W):
                            if active[l] and y[s * W + l] < -neg_tol:
                                active[l] = False
                                record[l] = False
                                code[l] = STATUS_NEGATIVE
                if not active.any():
                    stop = True
                    break
                h = next_step(h, err, True)
            else:
                h = next_step(h, err, False)
                if h < 1e-10 * (1.0 + abs(t)):
                    for l in range(W):
                        if active[l]:
                            code[l] = STATUS_STEP_TOO_SMALL
                    stop = True
                    break
        if stop:
            break
    for l in range(W):
        if block_record[b, l]:
            status[pats[l]] = code[l]


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_blocks(y0, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset,
                     t_out, rtol, h_max, max_steps, glucose_col, keep_outputs, block_pat, block_record):
    """Integrate the blocks ``block_pat`` (nb, LANES: patient of each lane; padding lanes repeat a
    patient and have ``block_record`` False) in parallel.

    Arguments as :func:`glucostat.engine.integrate_batch_adaptive` (tolerance ``rtol`` = atol).
    Returns glucose (N, n_out), outputs (N, n_out, N_OUTPUTS) if ``keep_outputs`` (else
    (1, 1, N_OUTPUTS)), status (N,) and the accepted steps of each block (nb,). Outputs after a
    lane's failure stay NaN.
    """
    n_pat = y0.shape[0]
    n_out = t_out.shape[0]
    glucose = np.full((n_pat, n_out), np.nan)
    if keep_outputs:
        outputs = np.full((n_pat, n_out, N_OUTPUTS), np.nan)
    else:
        outputs = np.full((1, 1, N_OUTPUTS), np.nan)
    status = np.zeros(n_pat, dtype=np.int64)
    nb = block_pat.shape[0]
    steps = np.zeros(nb, dtype=np.int64)
    for b in prange(nb):
        _integrate_block(b, y0, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value,
                         meal_reset, t_out, rtol, h_max, max_steps, glucose_col, keep_outputs, block_pat,
                         block_record, glucose, outputs, status, steps)
    return glucose, outputs, status, steps


#: Parameters whose rates set the step size (the insulin exchange between liver and plasma limits the
#: explicit steps, docs/architecture.md): patients are ordered by them within a group, so that a
#: block holds similar patients and its common step suits them all.
_STIFFNESS_KEYS = (P.m1, P.m2, P.m4, P.m6, P.kabs)


#: A group's last, partly filled block is integrated in lanes if it holds at least this many patients
#: (a lane costs ~0.4 of a patient on the scalar integrator, so 7 of 16 lanes break even); fewer are
#: left to the scalar integrator.
MIN_LANES_USED = 7


def pack_blocks(packed, patients: np.ndarray, params: np.ndarray | None = None):
    """Blocks of :data:`LANES` of ``patients`` (indices into ``packed``) that share their breakpoints,
    ordered within each group by the rates in ``params`` (rows of ``patients``), if given.

    Returns ``block_pat`` (nb, LANES), ``block_record`` (nb, LANES) and the patients left to the
    scalar integrator (a group's last few, :data:`MIN_LANES_USED`). A group's last block is filled
    with repeats of its first patient, which are integrated but not recorded. (The kernel also
    integrates blocks of patients with different breakpoints, stopping at every lane's, but pooling
    groups' remainders that way measured no faster than the scalar integrator: with random meal
    times per patient, 1,470 against 1,550 patient-days/s, the union of the lanes' breakpoints
    costing what the lanes save.)
    """
    patients = np.asarray(patients, dtype=np.int64)
    if params is not None:
        cols = np.asarray(params)[:, list(_STIFFNESS_KEYS)]
        patients = patients[np.lexsort(cols.T[::-1])]
    seg = packed.segments[patients]
    by_pair: dict[tuple[int, int], bytes] = {}
    groups: dict[bytes, list[int]] = {}
    for i, (s0, s1, b0) in zip(patients, seg):
        pair = (int(b0), int(s1 - s0))
        key = by_pair.get(pair)
        if key is None:
            key = packed.breakpoints[pair[0]:pair[0] + pair[1] + 1].tobytes()
            by_pair[pair] = key
        groups.setdefault(key, []).append(int(i))
    blocks: list[np.ndarray] = []
    rest: list[int] = []
    for members in groups.values():
        m = np.asarray(members, dtype=np.int64)
        n_full = (m.size // W) * W
        blocks.extend(m[k:k + W] for k in range(0, n_full, W))
        tail = m[n_full:]
        if tail.size >= MIN_LANES_USED:
            blocks.append(tail)
        else:
            rest.extend(tail.tolist())
    return _block_arrays(blocks) + (np.asarray(sorted(rest), dtype=np.int64),)


def _block_arrays(blocks) -> tuple[np.ndarray, np.ndarray]:
    """``block_pat`` and ``block_record`` (nb, LANES) from lists of at most LANES patients each."""
    block_pat = np.empty((len(blocks), W), dtype=np.int64)
    block_record = np.zeros((len(blocks), W), dtype=np.bool_)
    for r, m in enumerate(blocks):
        block_pat[r] = m[0]
        block_pat[r, :len(m)] = m
        block_record[r, :len(m)] = True
    return block_pat, block_record
