"""Population engine: one compiled call integrates many patients in parallel.

Each patient has its own parameters and its own compiled scenario (breakpoints,
piecewise-constant inputs, impulses, meal resets; :meth:`glucostat.Scenario.compile`).
The scenarios are packed into flat (ragged) arrays, and a ``numba.prange`` loop
over patients integrates them on all cores with the GIL released (open loop: type 1
patients in the lean SIMD kernel, :mod:`glucostat.lean`, everyone else in full-model
SIMD lanes, :func:`integrate_full`). The fixed-step path: within a
patient, the classical 4th-order Runge-Kutta method (Hairer, Norsett & Wanner,
*Solving ODEs I*, Sec. II.1, Table 1.2) takes fixed steps of at most
``step_min``, shortened to land exactly on every breakpoint, so inputs are
constant within each step and impulses are applied where they occur.

Step choice (docs/architecture.md, 'Population engine'): each patient's step is
``min(step_min, STEP_RATE_PRODUCT / r_max)``, where ``r_max`` [1/min] is the
fastest first-order rate among its parameters (:func:`fastest_rate`; kabs reaches
1.23 /min in some simglucose patients). RK4's local error grows as (h r)^5, so
bounding h r by 0.6 keeps every patient in the accurate part of the stability
interval (|h r| < 2.78). The default longest step is 0.5 min because the gastric
emptying switch (DM2007 eq. 13: tanh with slope 5/(2 D (1 - b))) is steep for
patients with b near 1 (simglucose adult#006, b = 0.962): there the error is
0.30 mg/dL at 1 min, 0.019 at 0.5 min and 0.0012 at 0.25 min (4th order). Asserted in
``tests/test_engine.py``: glucose within 0.2 mg/dL of ``solve_ivp`` (DOP853, rtol
1e-10) and of the adaptive integrator across the simglucose and generated
cohorts. The adaptive :func:`glucostat.simulate` remains the reference path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from numba import njit, prange

from . import lanes, lean
from .errors import InvalidInputError
from .model import N_INPUTS, N_OUTPUTS, N_STATES, NONNEGATIVE_STATES, S, evaluate
from .patients import Patient, resolve
from .scenario import CompiledScenario, Scenario
from .solver import STATUS_OK, apply_jumps, integrate, state_status

#: Default (longest) fixed step [min] (module docstring).
DEFAULT_STEP_MIN = 0.5
#: Largest step x fastest-rate product allowed (module docstring).
STEP_RATE_PRODUCT = 0.6
#: Longest step [min] and step budget of the adaptive full-model batch path.
ADAPTIVE_H_MAX_MIN = 30.0
ADAPTIVE_MAX_STEPS = 10_000_000
#: Bytes a run may allocate for its outputs before it is refused.
DEFAULT_MEMORY_LIMIT_BYTES = 2 * 1024**3
#: Negative values of non-negative states above this bound are round-off and set to 0.
ROUNDOFF = 1e-6
_SINGLE_RATES = ("kabs", "kmax", "kgri", "ka2", "ksc", "k1", "k2", "p2U", "ki", "alpha", "gamma", "k_regular", "k_nph",
                 "k_long_transit", "k_degludec_transit", "ffa_clearance", "adipose_insulin_rate")


def fastest_rate(values) -> float:
    """Fastest first-order rate [1/min] of a patient's parameters (sets the engine's step).

    Single rates, plus the SC depot's kd + ka1, plasma insulin clearance m2 + m4 and
    liver insulin clearance m1 + m1 HEb/(1 - HEb) (the type 1 m30; an upper bound of m3).
    """
    v = values
    he = min(max(v["HEb"], v["m6"]), 0.95)
    rates = [v[k] for k in _SINGLE_RATES]
    rates += [v["kd"] + v["ka1"], v["m2"] + v["m4"], v["m1"] / (1.0 - he)]
    return float(max(rates))


@njit(cache=True, inline="always")
def _rk4_step(t, y, u, p, h, k1, k2, k3, k4, tmp, out):
    evaluate(t, y, u, p, k1, out)
    for i in range(y.shape[0]):
        tmp[i] = y[i] + 0.5 * h * k1[i]
    evaluate(t + 0.5 * h, tmp, u, p, k2, out)
    for i in range(y.shape[0]):
        tmp[i] = y[i] + 0.5 * h * k2[i]
    evaluate(t + 0.5 * h, tmp, u, p, k3, out)
    for i in range(y.shape[0]):
        tmp[i] = y[i] + h * k3[i]
    evaluate(t + h, tmp, u, p, k4, out)
    for i in range(y.shape[0]):
        y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])


@njit(cache=True)
def _batch_records(n_pat, n_out, keep_outputs):
    """Glucose (N, n_out) and outputs (N or 0, n_out, N_OUTPUTS) filled with NaN; status (N,) zeros."""
    return (np.full((n_pat, n_out), np.nan), np.full((n_pat if keep_outputs else 0, n_out, N_OUTPUTS), np.nan),
            np.zeros(n_pat, dtype=np.int64))


@njit(cache=True, parallel=True)
def integrate_batch(y0, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset, t_out,
                    steps_min, glucose_col, keep_outputs):
    """Integrate N patients; returns (glucose (N, n_out), outputs (N, n_out, N_OUTPUTS) or empty, status (N,)).

    ``segments[i] = (s0, s1, b0)``: patient i's segments are rows ``s0:s1`` of ``inputs``,
    ``jump_offset`` (compressed rows of impulses, :func:`glucostat.solver.apply_jumps`) and
    ``meal_reset``; its breakpoints are ``breakpoints[b0 : b0 + s1 - s0 + 1]`` (one more than
    its segments); patients with the same scenario share rows (:class:`PackedScenarios`). ``t_out`` is shared; outputs
    are right-continuous at breakpoints (impulses at an output time are included).
    Status codes are those of :mod:`glucostat.solver` (``STATUS_MESSAGES``); values after a failure are NaN.
    """
    n_pat = y0.shape[0]
    n_out = t_out.shape[0]
    glucose, outputs, status = _batch_records(n_pat, n_out, keep_outputs)
    for i in prange(n_pat):
        y = y0[i].copy()
        p = params[i]
        s0, s1, b0 = segments[i, 0], segments[i, 1], segments[i, 2]
        k1, k2, k3, k4, tmp, out, u = _workspace()
        no_input = np.zeros(N_INPUTS)
        ptr = 0
        t = t_out[0]
        for j in range(n_out):
            ptr, status[i] = advance_patient(y, p, breakpoints[b0:b0 + s1 - s0 + 1], inputs[s0:s1],
                                             jump_offset[s0:s1 + 1], jump_state, jump_value, meal_reset[s0:s1], ptr,
                                             t, t_out[j], no_input, no_input, t, steps_min[i], k1, k2, k3, k4, tmp,
                                             out, u)
            if status[i] != STATUS_OK:
                break  # outputs from here on stay NaN
            t = t_out[j]
            evaluate(t, y, inputs[s0 + max(ptr - 1, 0)], p, k1, out)
            glucose[i, j] = out[glucose_col]
            if keep_outputs:
                for m in range(N_OUTPUTS):
                    outputs[i, j, m] = out[m]
    return glucose, outputs, status


@njit(cache=True, parallel=True)
def integrate_batch_adaptive(y0, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value,
                             meal_reset, t_out, rtol, glucose_col, keep_outputs):
    """:func:`integrate_batch` with each patient on the adaptive Dormand-Prince 5(4) of
    :func:`glucostat.solver.integrate` (tolerances ``rtol`` = atol) instead of fixed RK4 steps."""
    n_pat = y0.shape[0]
    n_out = t_out.shape[0]
    glucose, outputs, status = _batch_records(n_pat, n_out, keep_outputs)
    for i in prange(n_pat):
        s0, s1, b0 = segments[i, 0], segments[i, 1], segments[i, 2]
        _, outs, code, _, _ = integrate(y0[i], params[i], breakpoints[b0:b0 + s1 - s0 + 1], inputs[s0:s1],
                                        jump_offset[s0:s1 + 1], jump_state, jump_value, meal_reset[s0:s1], t_out,
                                        rtol, rtol, ADAPTIVE_H_MAX_MIN, ADAPTIVE_MAX_STEPS)
        status[i] = code
        for j in range(n_out):
            glucose[i, j] = outs[j, glucose_col]
        if keep_outputs:
            outputs[i] = outs
    return glucose, outputs, status


@njit(cache=True, inline="always")
def _workspace():
    """Scratch arrays of one patient's integration: RK4 stages k1-k4, a stage state, outputs, inputs."""
    return (np.empty(N_STATES), np.empty(N_STATES), np.empty(N_STATES), np.empty(N_STATES), np.empty(N_STATES),
            np.empty(N_OUTPUTS), np.empty(N_INPUTS))


@njit(cache=True, inline="always")
def advance_patient(y, p, bps, inputs, jump_offset, jump_state, jump_value, reset, ptr, t0, t1, add_u, pulse_u,
                    pulse_end, h, k1, k2, k3, k4, tmp, out, u):
    """Integrate one patient in place from ``t0`` to ``t1`` (RK4, steps of at most ``h``).

    The scenario is the patient's compiled breakpoints ``bps`` (one more than its
    segments), ``inputs``, impulses (``jump_offset`` (nseg + 1,) into ``jump_state`` and
    ``jump_value``, :func:`glucostat.solver.apply_jumps`) and meal ``reset`` flags; ``ptr`` is the index of
    the first breakpoint whose jumps are not yet applied (0 at the start). On top of
    the scenario, ``add_u`` [input units] is added over ``[t0, t1)`` and ``pulse_u``
    over ``[t0, pulse_end)`` (a bolus delivered over its first minute). Beyond the
    scenario's end its last inputs continue. Returns ``(ptr, status)``; steps land
    on every breakpoint and on ``pulse_end``. Used by the batched closed loop and the
    Gymnasium environments.
    """
    nseg = inputs.shape[0]
    t = t0
    status = STATUS_OK
    while True:
        while ptr < nseg and bps[ptr] <= t + 1e-9:
            if reset[ptr]:
                y[S.meal_size] = y[S.stomach_solid] + y[S.stomach_liquid]
            apply_jumps(y, jump_offset, jump_state, jump_value, ptr)
            ptr += 1
        if t >= t1 - 1e-12:
            break
        t_next = min(t1, t + h)
        if ptr <= nseg and bps[ptr] < t_next:
            t_next = bps[ptr]
        in_pulse = t < pulse_end - 1e-12
        if in_pulse and pulse_end < t_next:
            t_next = pulse_end
        seg = max(ptr - 1, 0)
        for m in range(N_INPUTS):
            u[m] = inputs[seg, m] + add_u[m] + (pulse_u[m] if in_pulse else 0.0)
        _rk4_step(t, y, u, p, t_next - t, k1, k2, k3, k4, tmp, out)
        t = t_next
        status = state_status(y, ROUNDOFF)
        if status != STATUS_OK:
            break
        for m in range(N_STATES):
            if NONNEGATIVE_STATES[m] and y[m] < 0.0:
                y[m] = 0.0  # round-off
    return ptr, status


@njit(cache=True, parallel=True)
def advance_batch(y, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset, ptr,
                  t0, t1, add_u, pulse_u, pulse_min, steps_min, status):
    """Advance N patients in place, patient i from ``t0[i]`` to ``t1[i]`` [min], in one parallel call.

    ``y`` (N, N_STATES), ``ptr`` (N,) and ``status`` (N,) are updated; ``add_u`` and
    ``pulse_u`` (N, N_INPUTS) are the per-patient extra inputs of
    :func:`advance_patient` (the pulse lasts ``pulse_min``). Patients whose status is
    not OK are skipped. Packed scenarios as in :func:`integrate_batch`.
    """
    for i in prange(y.shape[0]):
        if status[i] != STATUS_OK:
            continue
        s0, s1, b0 = segments[i, 0], segments[i, 1], segments[i, 2]
        k1, k2, k3, k4, tmp, out, u = _workspace()
        ptr[i], status[i] = advance_patient(y[i], params[i], breakpoints[b0:b0 + s1 - s0 + 1], inputs[s0:s1],
                                            jump_offset[s0:s1 + 1], jump_state, jump_value, meal_reset[s0:s1],
                                            ptr[i], t0[i], t1[i], add_u[i],
                                            pulse_u[i], t0[i] + pulse_min, steps_min[i], k1, k2, k3, k4, tmp, out, u)


@dataclass(frozen=True)
class PackedScenarios:
    """Compiled scenarios of a batch as flat arrays (see :func:`integrate_batch`).

    ``segments`` (N, 3) gives each patient's first and end segment and first breakpoint; the
    segment rows (``inputs``, ``jump_offset``, ``meal_reset``) and ``breakpoints`` hold each
    distinct compiled scenario once, so a cohort sharing one scenario packs one copy of it.
    Impulses are compressed rows (``jump_offset`` has one entry per segment plus one, into
    ``jump_state`` and ``jump_value``): a dense (segments x states) table would hold ~67 values
    per segment where a scenario has about one (a minute of eating alone is a segment).
    """

    segments: np.ndarray
    breakpoints: np.ndarray
    inputs: np.ndarray
    jump_offset: np.ndarray
    jump_state: np.ndarray
    jump_value: np.ndarray
    meal_reset: np.ndarray

    @property
    def jump_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(jump_offset, jump_state, jump_value)``, in the kernels' argument order."""
        return self.jump_offset, self.jump_state, self.jump_value

    def subset(self, patients: np.ndarray) -> "PackedScenarios":
        """The packed scenarios of ``patients`` (indices), in that order (rows are shared, not copied)."""
        return PackedScenarios(self.segments[np.asarray(patients, dtype=np.int64)], self.breakpoints, self.inputs,
                               self.jump_offset, self.jump_state, self.jump_value, self.meal_reset)


def pack(scenarios: Sequence[Scenario], body_weights_kg: Sequence[float],
         continuous_meal_size: Sequence[bool] | None = None) -> PackedScenarios:
    """Compile and pack one scenario per patient (a scenario object may repeat): each distinct
    (scenario, body weight, meal-size convention) is compiled and packed once (an already compiled
    scenario is taken as it is). ``continuous_meal_size``: each patient's convention
    (:meth:`glucostat.scenario.Scenario.compile`; default the per-minute one)."""
    bws = np.asarray(body_weights_kg, dtype=float)
    cont = np.zeros(bws.size, dtype=bool) if continuous_meal_size is None else np.asarray(continuous_meal_size, bool)
    first, which = _groups(scenarios, np.stack([bws, cont.astype(float)], axis=1))
    comps = [scenarios[i] if isinstance(scenarios[i], CompiledScenario)
             else scenarios[i].compile(float(bws[i]), continuous_meal_size=bool(cont[i])) for i in first]
    return _pack_distinct(comps, which)


def _groups(objects: Sequence, values: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Group entries by object identity (and ``values``, if given): the first index of each group, in
    first-seen order, and each entry's group. Vectorised (a batch may hold 100,000 entries)."""
    n = len(objects)
    ids = np.fromiter(map(id, objects), dtype=np.int64, count=n)
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    if values is not None:  # one or more float columns
        cols = np.asarray(values, dtype=float).reshape(n, -1).view(np.int64)
        if not np.array_equal(cols, cols[first][inverse]):  # an object with several values (else: by object)
            _, first, inverse = np.unique(np.column_stack([ids, cols]), axis=0, return_index=True,
                                          return_inverse=True)
    order = np.argsort(first)  # np.unique sorts by key; restore first-seen order
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[np.asarray(inverse).reshape(-1)]


def _distinct(objects: Sequence) -> tuple[list, np.ndarray]:
    """The distinct objects (by identity, in first-seen order) and each entry's index among them."""
    first, which = _groups(objects)
    return [objects[i] for i in first], which


def pack_compiled(comps) -> PackedScenarios:
    """Pack already compiled scenarios (:class:`glucostat.scenario.CompiledScenario`), one per patient;
    a compiled scenario object shared by several patients is packed once."""
    return _pack_distinct(*_distinct(comps))


def _pack_distinct(uniq, which) -> PackedScenarios:
    """Pack the distinct compiled scenarios ``uniq``; entry i of the batch uses ``uniq[which[i]]``."""
    nseg = np.array([c.inputs.shape[0] for c in uniq], dtype=np.int64)
    seg0 = np.concatenate([[0], np.cumsum(nseg)])
    sparse = [c.sparse_jumps() for c in uniq]
    jump0 = np.concatenate([[0], np.cumsum([sp[1].size for sp in sparse])]).astype(np.int64)
    jump_offset = np.concatenate([sp[0][:-1] + j0 for sp, j0 in zip(sparse, jump0[:-1])] + [jump0[-1:]])
    table = np.stack([seg0[:-1], seg0[1:], seg0[:-1] + np.arange(len(uniq))], axis=1)  # (one more breakpoint each)
    return PackedScenarios(
        np.ascontiguousarray(table[which]),
        np.concatenate([c.breakpoints for c in uniq]).astype(float),
        np.concatenate([c.inputs for c in uniq]).reshape(-1, N_INPUTS),
        jump_offset.astype(np.int64),
        np.concatenate([sp[1] for sp in sparse]).astype(np.int64),
        np.concatenate([sp[2] for sp in sparse]).astype(float),
        np.concatenate([c.meal_reset for c in uniq]).astype(np.bool_),
    )


def integrate_full(y0, params, packed: PackedScenarios, t_out, rtol: float, glucose_col: int, keep_outputs: bool):
    """The full model for every patient of a packed batch, adaptive steps at tolerance ``rtol``:
    patients sharing breakpoints in SIMD lanes (:mod:`glucostat.lanes`, implicit-explicit ARK4(3)), the
    few left over (a group's last, :data:`glucostat.lanes.MIN_LANES_USED`) one by one on the adaptive
    Dormand-Prince (:func:`integrate_batch_adaptive`, ``rtol`` = atol).

    Returns glucose (N, n_out), outputs (N, n_out, N_OUTPUTS) or None, status (N,).
    """
    n = y0.shape[0]
    t_out = np.asarray(t_out, dtype=float)
    block_pat, block_record, rest = lanes.pack_blocks(packed, np.arange(n), params)
    if block_pat.shape[0]:
        glucose, outputs, status, _ = lanes.integrate_blocks(
            y0, params, packed.segments, packed.breakpoints, packed.inputs, *packed.jump_arrays, packed.meal_reset,
            t_out, float(rtol), ADAPTIVE_H_MAX_MIN, ADAPTIVE_MAX_STEPS, int(glucose_col), bool(keep_outputs),
            block_pat, block_record)
    else:
        glucose = np.full((n, t_out.size), np.nan)
        outputs = np.full((n, t_out.size, N_OUTPUTS), np.nan) if keep_outputs else None
        status = np.zeros(n, dtype=np.int64)
    if rest.size:
        sub = packed.subset(rest)
        g, o, st = integrate_batch_adaptive(y0[rest], params[rest], sub.segments, sub.breakpoints, sub.inputs,
                                            *sub.jump_arrays, sub.meal_reset, t_out, float(rtol), int(glucose_col),
                                            bool(keep_outputs))
        glucose[rest] = g
        status[rest] = st
        if keep_outputs:
            outputs[rest] = o
    return glucose, (outputs if keep_outputs else None), status


def check_rtol(rtol: float | None, default: float | None = None) -> float:
    """The step tolerance to use: ``rtol``, or ``default`` (:data:`glucostat.lean.DEFAULT_RTOL` if None)
    if ``rtol`` is None; bad values refused."""
    rtol = (lean.DEFAULT_RTOL if default is None else default) if rtol is None else rtol
    if not (isinstance(rtol, (int, float)) and 1e-12 <= rtol <= 1e-3):
        raise InvalidInputError("rtol", rtol, "a number in [1e-12, 1e-3]")
    return float(rtol)


@dataclass(frozen=True)
class BatchResults:
    """Glucose (and optionally all outputs) of a batch on a shared time grid."""

    time_min: np.ndarray
    patients: tuple[str, ...]
    glucose_mg_dl: np.ndarray  # (N, n_out)
    outputs: np.ndarray | None  # (N, n_out, N_OUTPUTS)
    status: np.ndarray  # (N,), 0 = ok

    @property
    def ok(self) -> bool:
        return bool(np.all(self.status == 0))


def estimate_bytes(n_patients: int, n_out: int, keep_outputs: bool) -> int:
    """Memory the batch outputs need [bytes] (glucose always; all outputs if kept)."""
    per = 8 * n_out * (1 + (N_OUTPUTS if keep_outputs else 0))
    return int(n_patients) * per


def prepare(patients: Sequence[Patient], scenarios: Sequence[Scenario], step_min: float = DEFAULT_STEP_MIN):
    """Kernel inputs of a batch: (initial states, parameter vectors, packed scenarios, steps [min])."""
    uniq, rows = _distinct(patients)  # a patient object repeated in the batch is converted once
    bws = np.array([p.body_weight_kg for p in uniq], dtype=float)[rows]
    packed = pack(scenarios, bws, np.array([p.values["meal_size_continuous"] > 0.5 for p in uniq], dtype=bool)[rows])
    y0 = np.stack([np.asarray(p.initial_state, dtype=float) for p in uniq])[rows]
    params = np.stack([p.parameter_vector() for p in uniq])[rows]
    steps = np.array([patient_step_min(p, step_min) for p in uniq])[rows]
    return y0, params, packed, steps


def patient_step_min(patient: Patient, step_min: float = DEFAULT_STEP_MIN) -> float:
    """The patient's RK4 step [min]: ``min(step_min, STEP_RATE_PRODUCT / fastest rate)`` (module docstring)."""
    return min(step_min, STEP_RATE_PRODUCT / fastest_rate(patient.values))


def simulate_batch(patients: Sequence["Patient | str"], scenario: "Scenario | Sequence[Scenario]",
                   output_every_min: float = 5.0, step_min: float = DEFAULT_STEP_MIN, signal: str = "plasma",
                   keep_outputs: bool = False, memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
                   kernel: str = "auto", rtol: float | None = None) -> BatchResults:
    """Open-loop simulation of many patients in one parallel compiled call.

    ``scenario`` is one scenario for all or one per patient (outputs cover the shortest,
    every ``output_every_min`` from 0); a per-patient entry may also be the scenario already
    compiled for that patient's body weight (:meth:`Scenario.compile`), which repeated
    simulations of variants (the therapy derivations' bisections) build directly. ``signal`` chooses the
    glucose kept: ``"plasma"`` or ``"interstitial"`` (what a CGM sees).
    Runs whose outputs would exceed ``memory_limit_bytes`` are refused before any work.

    ``kernel``: ``"auto"`` integrates the patients :func:`glucostat.lean.eligible` selects
    (type 1 patients) with the lean SIMD kernel (implicit-explicit ARK4(3) steps) and the rest
    with the full model (adaptive implicit-explicit steps for patients sharing breakpoints in SIMD
    lanes, adaptive Dormand-Prince for the few left over: :func:`integrate_full`), both at tolerance
    ``rtol`` (default :data:`glucostat.lean.DEFAULT_RTOL` and :data:`glucostat.lanes.DEFAULT_RTOL`);
    ``"full"`` uses the adaptive full model for all;
    ``"rk4"`` the full model with fixed RK4 steps of at most ``step_min`` (the engine's
    stepping for closed loops and Gymnasium environments). ``keep_outputs=True`` (every
    organ flux) needs the full model.
    """
    from .model import F

    plist = [resolve(p) for p in patients]
    if not plist:
        raise InvalidInputError("patients", patients, "at least one patient")
    scens = [scenario] * len(plist) if isinstance(scenario, (Scenario, CompiledScenario)) else list(scenario)
    if len(scens) != len(plist):
        raise InvalidInputError("scenario", len(scens), f"one scenario, or one per patient ({len(plist)})")
    if not (math.isfinite(step_min) and 0.01 <= step_min <= 5.0):
        raise InvalidInputError("step_min", step_min, "a number in [0.01, 5] min")
    if not (math.isfinite(output_every_min) and 0.1 <= output_every_min <= 1440.0):
        raise InvalidInputError("output_every_min", output_every_min, "a number in [0.1, 1440] min")
    cols = {"plasma": F.glucose, "interstitial": F.interstitial_glucose}
    if signal not in cols:
        raise InvalidInputError("signal", signal, "'plasma' or 'interstitial'")
    if kernel not in ("auto", "full", "rk4"):
        raise InvalidInputError("kernel", kernel, "'auto', 'full' or 'rk4'")
    rtol_full = check_rtol(rtol, lanes.DEFAULT_RTOL)
    rtol = check_rtol(rtol)
    duration = min(float(s.breakpoints[-1] if isinstance(s, CompiledScenario) else s.duration_min)
                   for s in {id(s): s for s in scens}.values())
    t_out = np.arange(0.0, duration + 1e-9, output_every_min)
    need = estimate_bytes(len(plist), t_out.size, keep_outputs)
    if need > memory_limit_bytes:
        raise InvalidInputError(
            "batch size", f"{len(plist)} patients x {t_out.size} outputs ~ {need / 1024**3:.2f} GiB",
            f"at most {memory_limit_bytes / 1024**3:.2f} GiB (keep_outputs=False, a coarser output grid, or fewer "
            "patients per call)")
    y0, params, packed, steps = prepare(plist, scens, step_min)
    use_lean = (lean.eligible(y0, params, packed) if kernel == "auto" and not keep_outputs
                else np.zeros(len(plist), dtype=bool))
    full_idx = np.flatnonzero(~use_lean)
    outputs = None
    if use_lean.all():  # the kernel's result arrays are the batch's
        glucose, status, _ = lean.run_open_loop(y0, params, packed, np.arange(len(plist)), t_out, signal, rtol)
    else:
        glucose = np.full((len(plist), t_out.size), np.nan)
        status = np.zeros(len(plist), dtype=np.int64)
        idx = np.flatnonzero(use_lean)
        if idx.size:
            glucose[idx], status[idx], _ = lean.run_open_loop(y0, params, packed, idx, t_out, signal, rtol)
    if full_idx.size:
        sub = packed.subset(full_idx)
        if kernel == "rk4":
            g, outputs, st = integrate_batch(y0[full_idx], params[full_idx], sub.segments, sub.breakpoints,
                                             sub.inputs, *sub.jump_arrays, sub.meal_reset, t_out, steps[full_idx],
                                             int(cols[signal]), bool(keep_outputs))
        else:
            g, outputs, st = integrate_full(y0[full_idx], params[full_idx], sub, t_out, rtol_full, int(cols[signal]),
                                            keep_outputs)
        glucose[full_idx] = g
        status[full_idx] = st
    from .simulation import _labels

    return BatchResults(t_out, tuple(_labels(plist)), glucose, outputs if keep_outputs else None, status)


__all__ = ["simulate_batch", "integrate_batch", "integrate_batch_adaptive", "integrate_full", "advance_batch", "advance_patient", "pack",
           "pack_compiled", "prepare",
           "patient_step_min", "fastest_rate", "BatchResults", "estimate_bytes",
           "DEFAULT_STEP_MIN"]
