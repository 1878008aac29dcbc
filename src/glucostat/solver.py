"""Integrators: a compiled adaptive Dormand-Prince 5(4) and a scipy reference.

The compiled path integrates a whole scenario in one call without leaving
machine code: between scenario breakpoints inputs are constant, at each
breakpoint the scenario's impulses (boluses, meal-size resets) are applied, and
outputs are produced at the requested times by the method's own 4th-order
dense output. Step-size control follows Hairer, Norsett & Wanner, *Solving
Ordinary Differential Equations I*, 2nd ed., Sec. II.4 (error norm, eq. (4.11), in max norm)
and Sec. II.6 (dense output); the tableau and dense-output matrix are those of
Dormand & Prince 1980 (J Comput Appl Math 6:19-26), as used by
``scipy.integrate.RK45``.

Failures never raise inside the kernel: the status code tells what happened
(:data:`STATUS_MESSAGES`) and the outputs after the failure are NaN, marked as
such in :class:`glucostat.results.Results`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .model import N_OUTPUTS, N_STATES, NONNEGATIVE_STATES, S, derivative, evaluate

STATUS_OK = 0
STATUS_MAX_STEPS = 1
STATUS_STEP_TOO_SMALL = 2
STATUS_NOT_FINITE = 3
STATUS_NEGATIVE = 4

#: Negative values of non-negative states down to -NEGATIVE_TOLERANCE_PER_ATOL x atol are integration
#: error near zero (a depot emptying) and are set to 0; deeper ones are a failure (STATUS_NEGATIVE).
NEGATIVE_TOLERANCE_PER_ATOL = 1e3

STATUS_MESSAGES = {
    STATUS_OK: "ok",
    STATUS_MAX_STEPS: "failed: too many integration steps",
    STATUS_STEP_TOO_SMALL: "failed: step size became too small (stiff or discontinuous dynamics)",
    STATUS_NOT_FINITE: "failed: a state became NaN or infinite",
    STATUS_NEGATIVE: "failed: a mass or concentration became negative (e.g. plasma glucose driven to zero)",
}

# Dormand-Prince 5(4) tableau
_C2, _C3, _C4, _C5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
_A21 = 1 / 5
_A31, _A32 = 3 / 40, 9 / 40
_A41, _A42, _A43 = 44 / 45, -56 / 15, 32 / 9
_A51, _A52, _A53, _A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
_A61, _A62, _A63, _A64, _A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
_B1, _B3, _B4, _B5, _B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
_E1, _E3, _E4, _E5, _E6, _E7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40

_P = np.array(
    [
        [1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
        [0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [0.0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
        [0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]
)


@njit(cache=True)
def state_status(y, negative_tolerance):
    """``STATUS_OK``, or why state ``y`` cannot go on: a NaN or infinite value
    (``STATUS_NOT_FINITE``), or a mass/concentration below ``-negative_tolerance``
    (``STATUS_NEGATIVE``)."""
    for i in range(y.shape[0]):
        if not np.isfinite(y[i]):
            return STATUS_NOT_FINITE
        if NONNEGATIVE_STATES[i] and y[i] < -negative_tolerance:
            return STATUS_NEGATIVE
    return STATUS_OK


@njit(cache=True, inline="always")
def dense_output(y_old, h, k, theta, out):
    """Dormand-Prince dense output at ``t_old + theta h`` into ``out`` (Hairer et al. II.6), for a state
    vector of any length.

    The weights are computed once; stage 2's is zero (``_P[1] = 0``) and skipped."""
    t1 = theta
    t2 = t1 * theta
    t3 = t2 * theta
    t4 = t3 * theta
    w0 = _P[0, 0] * t1 + _P[0, 1] * t2 + _P[0, 2] * t3 + _P[0, 3] * t4
    w2 = _P[2, 0] * t1 + _P[2, 1] * t2 + _P[2, 2] * t3 + _P[2, 3] * t4
    w3 = _P[3, 0] * t1 + _P[3, 1] * t2 + _P[3, 2] * t3 + _P[3, 3] * t4
    w4 = _P[4, 0] * t1 + _P[4, 1] * t2 + _P[4, 2] * t3 + _P[4, 3] * t4
    w5 = _P[5, 0] * t1 + _P[5, 1] * t2 + _P[5, 2] * t3 + _P[5, 3] * t4
    w6 = _P[6, 0] * t1 + _P[6, 1] * t2 + _P[6, 2] * t3 + _P[6, 3] * t4
    for m in range(y_old.shape[0]):
        out[m] = y_old[m] + h * (k[0, m] * w0 + k[2, m] * w2 + k[3, m] * w3 + k[4, m] * w4 + k[5, m] * w5
                                 + k[6, m] * w6)


@njit(cache=True, inline="always")
def next_step(h, err, accepted):
    """The next step size after a step of size ``h`` with error ratio ``err`` (Hairer et al. II.4,
    exponent 1/5, safety 0.9): ``h 0.9 err^(-1/5)``, the factor within [0.2, 10] after an accepted
    step and at least 0.2 after a rejected one."""
    if accepted:
        fac = 0.9 * err ** (-0.2) if err > 0 else 10.0
        return h * min(10.0, max(0.2, fac))
    return h * max(0.2, 0.9 * err ** (-0.2))


@njit(cache=True, inline="always")
def clamp_step(t, h, t1, h_max):
    """The next step from ``t``: ``h`` at most ``h_max``, shortened to end exactly at the breakpoint
    ``t1`` (then ``last`` is True). Returns ``(h, last)``."""
    if h > h_max:
        h = h_max
    if t + h >= t1 - 1e-12 * (1.0 + abs(t1)):
        return t1 - t, True
    return h, False


@njit(cache=True, inline="always")
def dp_stages(rhs, t, h, y, u, p, k, y_tmp, y_new, out):
    """One Dormand-Prince 5(4) step from ``(t, y)`` with ``k[0] = f(t, y)``: stages ``k[1..6]`` and the
    5th-order solution ``y_new`` (``k[6] = f(t + h, y_new)``, first-same-as-last). ``rhs(t, y, u, p, dy,
    out)`` is the right-hand side without outputs (:func:`glucostat.model.derivative`; any vector length)."""
    n = y.shape[0]
    for i in range(n):
        y_tmp[i] = y[i] + h * _A21 * k[0, i]
    rhs(t + _C2 * h, y_tmp, u, p, k[1], out)
    for i in range(n):
        y_tmp[i] = y[i] + h * (_A31 * k[0, i] + _A32 * k[1, i])
    rhs(t + _C3 * h, y_tmp, u, p, k[2], out)
    for i in range(n):
        y_tmp[i] = y[i] + h * (_A41 * k[0, i] + _A42 * k[1, i] + _A43 * k[2, i])
    rhs(t + _C4 * h, y_tmp, u, p, k[3], out)
    for i in range(n):
        y_tmp[i] = y[i] + h * (_A51 * k[0, i] + _A52 * k[1, i] + _A53 * k[2, i] + _A54 * k[3, i])
    rhs(t + _C5 * h, y_tmp, u, p, k[4], out)
    for i in range(n):
        y_tmp[i] = y[i] + h * (_A61 * k[0, i] + _A62 * k[1, i] + _A63 * k[2, i] + _A64 * k[3, i] + _A65 * k[4, i])
    rhs(t + h, y_tmp, u, p, k[5], out)
    for i in range(n):
        y_new[i] = y[i] + h * (_B1 * k[0, i] + _B3 * k[2, i] + _B4 * k[3, i] + _B5 * k[4, i] + _B6 * k[5, i])
    rhs(t + h, y_new, u, p, k[6], out)


@njit(cache=True, inline="always")
def apply_jumps(y, jump_offset, jump_state, jump_value, k):
    """Add segment ``k``'s impulses to ``y``: ``y[jump_state[j]] += jump_value[j]`` for j in
    ``jump_offset[k]:jump_offset[k+1]`` (compressed rows, :meth:`glucostat.scenario.CompiledScenario.sparse_jumps`)."""
    for j in range(jump_offset[k], jump_offset[k + 1]):
        y[jump_state[j]] += jump_value[j]


@njit(cache=True)
def integrate(y0, p, breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset, t_eval, rtol, atol, h_max,
              max_steps):
    """Integrate the organ model through a compiled scenario.

    Parameters
    ----------
    y0 : (N_STATES,) initial state.
    p : (N_PARAMS,) parameters.
    breakpoints : (nseg + 1,) segment bounds [min], increasing.
    inputs : (nseg, N_INPUTS) constant inputs on each segment.
    jump_offset, jump_state, jump_value : additive state impulses at each segment start, as
        compressed rows (:func:`apply_jumps`; ``jump_offset`` has nseg + 1 entries, which may
        index into longer shared ``jump_state``/``jump_value`` arrays).
    meal_reset : (nseg,) if true, the gastric meal size is reset to the stomach
        content at the segment start (before the impulse): a new meal begins.
    t_eval : (n,) output times [min], non-decreasing, within the breakpoints.
    rtol, atol : relative and absolute tolerances.
    h_max : maximal step [min].
    max_steps : maximal number of attempted steps.

    Returns
    -------
    states : (n, N_STATES), outputs : (n, N_OUTPUTS), status : int,
    t_stop : time [min] reached, n_steps : accepted steps.
    """
    n_eval = t_eval.shape[0]
    nseg = breakpoints.shape[0] - 1
    ys = np.full((n_eval, N_STATES), np.nan)
    outs = np.full((n_eval, N_OUTPUTS), np.nan)
    y = y0.copy()
    y_new = np.empty(N_STATES)
    y_tmp = np.empty(N_STATES)
    k = np.empty((7, N_STATES))
    out = np.empty(N_OUTPUTS)
    dummy = np.empty(N_STATES)
    status = STATUS_OK
    i_eval = 0
    n_acc = 0
    n_try = 0
    h = 0.5
    t = breakpoints[0]

    for seg in range(nseg):
        t0 = breakpoints[seg]
        t1 = breakpoints[seg + 1]
        u = inputs[seg]
        t = t0
        if meal_reset[seg]:
            y[S.meal_size] = y[S.stomach_solid] + y[S.stomach_liquid]
        apply_jumps(y, jump_offset, jump_state, jump_value, seg)
        # outputs at the segment start (right-continuous at breakpoints)
        while i_eval < n_eval and t_eval[i_eval] <= t0:
            evaluate(t0, y, u, p, dummy, out)
            ys[i_eval, :] = y
            outs[i_eval, :] = out
            i_eval += 1
        if t1 <= t0:
            continue
        derivative(t, y, u, p, k[0], out)
        while t < t1:
            if n_try >= max_steps:
                status = STATUS_MAX_STEPS
                break
            n_try += 1
            h, last = clamp_step(t, h, t1, h_max)
            dp_stages(derivative, t, h, y, u, p, k, y_tmp, y_new, out)
            # error estimate: max norm of the scaled local error (Hairer et al. eq. II.4.11 with the
            # maximum instead of the mean square, so that inactive states, e.g. an unused insulin
            # depot, do not dilute the error of the active ones)
            err = 0.0
            for i in range(N_STATES):
                e = h * (_E1 * k[0, i] + _E3 * k[2, i] + _E4 * k[3, i] + _E5 * k[4, i] + _E6 * k[5, i]
                         + _E7 * k[6, i])
                sc = atol + rtol * max(abs(y[i]), abs(y_new[i]))
                err = max(err, abs(e) / sc)
            if not np.isfinite(err):
                h *= 0.25
                if h < 1e-10:
                    status = STATUS_NOT_FINITE
                    break
                continue
            if err <= 1.0:
                t_new = t1 if last else t + h
                # dense output for evaluation times inside (t, t_new)
                while i_eval < n_eval and t_eval[i_eval] < t_new:
                    dense_output(y, h, k, (t_eval[i_eval] - t) / h, ys[i_eval])
                    evaluate(t_eval[i_eval], ys[i_eval], u, p, dummy, out)
                    outs[i_eval, :] = out
                    i_eval += 1
                for i in range(N_STATES):
                    y[i] = y_new[i]
                    k[0, i] = k[6, i]
                t = t_new
                n_acc += 1
                status = state_status(y, NEGATIVE_TOLERANCE_PER_ATOL * atol)
                if status != STATUS_OK:
                    break
                h = next_step(h, err, True)
            else:
                h = next_step(h, err, False)
                if h < 1e-10 * (1.0 + abs(t)):
                    status = STATUS_STEP_TOO_SMALL
                    break
        if status != STATUS_OK:
            break
        # outputs exactly at the end of the final segment
        if seg == nseg - 1:
            while i_eval < n_eval and t_eval[i_eval] <= t1:
                evaluate(t1, y, u, p, dummy, out)
                ys[i_eval, :] = y
                outs[i_eval, :] = out
                i_eval += 1
    if status != STATUS_OK:
        # states/outputs past the failure stay NaN
        for j in range(i_eval, n_eval):
            for i in range(N_STATES):
                ys[j, i] = np.nan
    return ys, outs, status, t, n_acc


def clip_roundoff(ys, atol):
    """Set masses/concentrations that are negative only by round-off (above -1e3 atol) to 0, in place.

    Larger negatives are not touched: the kernel reports them as a failure status.
    """
    np.maximum(ys, 0.0, out=ys, where=NONNEGATIVE_STATES[None, :] & (ys > -NEGATIVE_TOLERANCE_PER_ATOL * atol))
    return ys


def integrate_reference(y0, p, compiled, t_eval, rtol=1e-10, atol=1e-10, method="DOP853"):
    """Reference solution with :func:`scipy.integrate.solve_ivp`, segment by segment.

    Used by the tests to check the compiled integrator. Returns states at ``t_eval``.
    """
    from scipy.integrate import solve_ivp

    from .model import rhs_numpy

    y = np.array(y0, dtype=float)
    t_eval = np.asarray(t_eval, dtype=float)
    ys = np.full((t_eval.size, N_STATES), np.nan)
    bps = compiled.breakpoints
    for seg in range(len(bps) - 1):
        t0, t1 = bps[seg], bps[seg + 1]
        if compiled.meal_reset[seg]:
            y[S.meal_size] = y[S.stomach_solid] + y[S.stomach_liquid]
        y = y + compiled.jumps[seg]
        u = compiled.inputs[seg]
        last = seg == len(bps) - 2
        mask = (t_eval >= t0) & ((t_eval <= t1) if last else (t_eval < t1))
        if t1 > t0:
            sol = solve_ivp(rhs_numpy, (t0, t1), y, method=method, rtol=rtol, atol=atol,
                            args=(u, p), dense_output=True)
            if not sol.success:
                raise RuntimeError(f"reference solver failed on segment {seg}: {sol.message}")
            if mask.any():
                ys[mask] = sol.sol(t_eval[mask]).T
                # exact at the segment start (after the jump)
                ys[mask & (t_eval == t0)] = y
            y = sol.y[:, -1].copy()
        elif mask.any():
            ys[mask] = y
    return ys
