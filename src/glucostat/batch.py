"""Closed loop in batch: sensor -> controller -> pump -> physiology for N patients at once.

The standard controllers (basal-only, basal-bolus, PID, MDI) and devices run
inside one compiled, parallel call (``numba.prange`` over patients, GIL
released): at every CGM sample the sensor reads the patient's interstitial
glucose (gain x IG + error, rounded, clipped to its range; the error traces are
drawn beforehand from :class:`glucostat.devices.CGM`), the controller decides,
the pump quantises and clips, and the RK4 kernel of :mod:`glucostat.engine`
advances the patient to the next sample. The rules are those of
:mod:`glucostat.closed_loop` (the adaptive-step reference path), with the same
bolus calculator and PID update functions; ``tests/test_batch.py`` checks that
the two paths agree.

Custom Python controllers still work: the loop then runs in Python over the
control instants, calling the controller for each patient and one parallel
compiled :func:`glucostat.engine.advance_batch` for the physiology.

Random streams: patient ``i`` of a run with ``seed`` draws its sensor error
from its own counter-based stream (:func:`glucostat.rng.standard_normals`,
Philox4x32-10 keyed by the seed, counter (draw, i)), so a patient's noise is the
same whether it runs alone, in a chunk of a trial, or in
:func:`simulate_closed_loop`, and a batch's draws are one compiled call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Sequence

import numpy as np
from numba import njit, prange

from . import cgm_metrics, lean
from .closed_loop import _announcements, _preset, _run_settings
from .control import (
    MDI,
    PID,
    Action,
    BasalBolus,
    BasalOnly,
    Controller,
    Observation,
    bolus_calculator_u,
    controller_from_name,
    pid_update,
)
from .devices import CGM, CGM_PRESETS, PUMP_PRESETS, Pen, Pump, TherapyProfile
from .engine import DEFAULT_STEP_MIN, _distinct, _workspace, advance_batch, advance_patient, check_rtol, prepare
from .errors import InvalidInputError
from .model import N_INPUTS, P, S, U
from .patients import Patient, resolve
from .rng import stream_key
from .scenario import INSULIN_PRODUCTS, Scenario
from .solver import STATUS_MESSAGES, STATUS_OK
from .units import PMOL_PER_U

#: Minutes over which a bolus is delivered (as in :mod:`glucostat.closed_loop`).
BOLUS_DURATION_MIN = 1.0


class Ctrl(IntEnum):
    """Compiled controller codes."""

    basal_only = 0
    basal_bolus = 1
    pid = 2
    mdi = 3


class CP(IntEnum):
    """Per-patient controller parameters (therapy profile and controller settings)."""

    basal_u_per_h = 0
    carb_ratio_g_per_u = 1
    correction_factor_mg_dl_per_u = 2
    target_mg_dl = 3
    correction_threshold_mg_dl = 4
    kp = 5
    ki = 6
    kd = 7
    pid_target_mg_dl = 8
    integral_limit = 9
    meal_bolus = 10
    injection_time_min = 11
    long_acting_input = 12


class DP(IntEnum):
    """Device parameters: a pump (or pens), and the pen used for long-acting doses."""

    is_pen = 0
    basal_increment_u_per_h = 1
    max_basal_u_per_h = 2
    bolus_increment_u = 3
    max_bolus_u = 4
    pen_increment_u = 5
    pen_max_dose_u = 6


@njit(cache=True, inline="always")
def _clip(v, vmax):
    """(clipped request, 1 if it was clipped): the rule of ``devices._clip_request``."""
    if v < 0.0:
        return 0.0, 1
    if v > vmax:
        return vmax, 1
    return v, 0


@njit(cache=True, inline="always")
def _control(code, cp, cs, t0, reading, carbs, ts):
    """A compiled controller step: (basal [U/h], bolus [U], long-acting [U]); updates ``cs``."""
    basal = cp[CP.basal_u_per_h]
    bolus = 0.0
    long_acting = 0.0
    calc = 0.0
    if carbs > 0.0:
        calc = bolus_calculator_u(carbs, reading, cp[CP.carb_ratio_g_per_u], cp[CP.correction_factor_mg_dl_per_u],
                                  cp[CP.target_mg_dl], cp[CP.correction_threshold_mg_dl])
    if code == Ctrl.basal_bolus:
        bolus = calc
    elif code == Ctrl.pid:
        e = reading - cp[CP.pid_target_mg_dl]
        offset, integral = pid_update(e, cs[0], cs[1], cs[2] > 0.0, ts, cp[CP.kp], cp[CP.ki], cp[CP.kd],
                                      cp[CP.integral_limit])
        cs[0] = integral
        cs[1] = e
        cs[2] = 1.0
        basal += offset
        if cp[CP.meal_bolus] > 0.0 and carbs > 0.0:
            bolus = carbs / cp[CP.carb_ratio_g_per_u]
    elif code == Ctrl.mdi:
        tod = t0 % 1440.0
        if tod <= cp[CP.injection_time_min] < tod + ts:
            long_acting = 24.0 * basal
        basal = 0.0
        bolus = calc
    return basal, bolus, long_acting


@njit(cache=True, inline="always")
def _deliver(dp, basal, bolus, long_acting):
    """What the devices deliver and how many requests were clipped (``devices.Pump``/``Pen``)."""
    clips = 0
    if dp[DP.is_pen] > 0.0:
        if basal != 0.0:
            clips += 1  # a pen cannot infuse
        basal = 0.0
        bolus, c = _clip(bolus, dp[DP.pen_max_dose_u])
        clips += c
        bolus = np.round(bolus / dp[DP.pen_increment_u]) * dp[DP.pen_increment_u]
    else:
        basal, c = _clip(basal, dp[DP.max_basal_u_per_h])
        clips += c
        basal = math.floor(basal / dp[DP.basal_increment_u_per_h] + 1e-9) * dp[DP.basal_increment_u_per_h]
        bolus, c = _clip(bolus, dp[DP.max_bolus_u])
        clips += c
        bolus = math.floor(bolus / dp[DP.bolus_increment_u] + 1e-9) * dp[DP.bolus_increment_u]
    if long_acting != 0.0:
        long_acting, c = _clip(long_acting, dp[DP.pen_max_dose_u])
        clips += c
        long_acting = np.round(long_acting / dp[DP.pen_increment_u]) * dp[DP.pen_increment_u]
    return basal, bolus, long_acting, clips


@njit(cache=True)
def deliver_batch(dp, basal, bolus):
    """:func:`_deliver` for N requests (no long-acting): (basal [U/h], bolus [U], clips), arrays (N,)."""
    n = basal.shape[0]
    out_basal = np.empty(n)
    out_bolus = np.empty(n)
    clips = np.zeros(n, dtype=np.int64)
    for i in range(n):
        b, bol, _, c = _deliver(dp, basal[i], bolus[i], 0.0)
        out_basal[i] = b
        out_bolus[i] = bol
        clips[i] = c
    return out_basal, out_bolus, clips


@njit(cache=True, inline="always")
def _reading(ig, noise, gain, sensor_range):
    """A CGM reading [mg/dL] of interstitial glucose ``ig``: gain x IG + error, rounded and clipped to the
    sensor's range (the compiled twin of :meth:`glucostat.devices.CGM.read`)."""
    return min(max(np.round(gain * ig + noise), sensor_range[0]), sensor_range[1])


@njit(cache=True, parallel=True)
def closed_loop_kernel(y, cstate, params, segments, breakpoints, inputs, jump_offset, jump_state, jump_value,
                       meal_reset, ts, noise, gain,
                       sensor_range, carbs, ctrl_code, cparams, dparams, steps_min, cgm, plasma, basal_rec, bolus_rec,
                       long_rec, clips, status, fail_time):
    """Run N patients through ``noise.shape[1]`` control instants ``k ts`` (k = 0, 1, ...).

    ``y`` (N, N_STATES) and ``cstate`` (N, 3) hold the start states and are left at the
    end states. Per patient and instant: sensor error ``noise`` [mg/dL] and ``gain``
    [1], announced ``carbs`` [g]. Records (N, n_ctrl): CGM and plasma glucose [mg/dL]
    at each instant, the delivered basal [U/h], bolus [U] and long-acting dose [U]
    from it. ``clips`` counts clipped requests; ``status``/``fail_time`` report failures.
    """
    n_ctrl = noise.shape[1]
    for i in prange(y.shape[0]):
        yi = y[i]
        p = params[i]
        s0, s1, b0 = segments[i, 0], segments[i, 1], segments[i, 2]
        bps = breakpoints[b0:b0 + s1 - s0 + 1]
        inp = inputs[s0:s1]
        joff = jump_offset[s0:s1 + 1]
        rst = meal_reset[s0:s1]
        k1, k2, k3, k4, tmp, out, u = _workspace()
        add_u = np.zeros(N_INPUTS)
        pulse_u = np.zeros(N_INPUTS)
        per_kg = PMOL_PER_U / p[P.BW]
        la_input = int(cparams[i, CP.long_acting_input])
        ptr = 0
        for k in range(n_ctrl):
            t0 = k * ts
            ig = yi[S.interstitial_glucose] / p[P.VG]
            reading = _reading(ig, noise[i, k], gain[i, k], sensor_range)
            cgm[i, k] = reading
            plasma[i, k] = yi[S.plasma_glucose] / p[P.VG]
            if k == n_ctrl - 1:
                basal_rec[i, k] = basal_rec[i, k - 1] if k > 0 else 0.0
                break
            b, bol, la = _control(ctrl_code, cparams[i], cstate[i], t0, reading, carbs[i, k], ts)
            b, bol, la, c = _deliver(dparams, b, bol, la)
            clips[i] += c
            basal_rec[i, k] = b
            bolus_rec[i, k] = bol
            long_rec[i, k] = la
            pulse_min = min(BOLUS_DURATION_MIN, ts)
            add_u[U.sc_insulin] = b / 60.0 * per_kg
            pulse_u[U.sc_insulin] = bol / pulse_min * per_kg
            pulse_u[la_input] = la / pulse_min * per_kg
            ptr, st = advance_patient(yi, p, bps, inp, joff, jump_state, jump_value, rst, ptr, t0, t0 + ts, add_u,
                                      pulse_u, t0 + pulse_min,
                                      steps_min[i], k1, k2, k3, k4, tmp, out, u)
            pulse_u[la_input] = 0.0
            if st != STATUS_OK:
                status[i] = st
                fail_time[i] = t0
                for m in range(k + 1, n_ctrl):
                    cgm[i, m] = np.nan
                    plasma[i, m] = np.nan
                break


@njit(cache=True, inline="always")
def _announced(b, k, lane_pat, carbs):
    """Whether any lane of block ``b`` has a meal announced at control instant ``k``."""
    for l in range(lane_pat.shape[1]):
        if carbs[lane_pat[b, l], k] > 0.0:
            return True
    return False


@njit(cache=True, inline="always")
def _instant(b, l, k, ig, gp, n_ctrl, lane_pat, lane_real, noise, gain, sensor_range, carbs, ctrl_code, cparams,
             dparams, cs, ts, cgm, plasma, basal_rec, bolus_rec, long_rec, clips):
    """Lane ``l``'s sensor reading, controller step and pump rule at instant ``k`` from its interstitial and
    plasma glucose [mg/dL]; records them (real lanes) and returns the delivered (basal, bolus, long-acting)
    and the number of clipped requests."""
    i = lane_pat[b, l]
    reading = _reading(ig, noise[i, k], gain[i, k], sensor_range)
    real = lane_real[b, l]
    if real:
        cgm[i, k] = reading
        plasma[i, k] = gp
    if k == n_ctrl - 1:
        if real:
            basal_rec[i, k] = basal_rec[i, k - 1] if k > 0 else 0.0
        return 0.0, 0.0, 0.0, 0
    bas, bol, la = _control(ctrl_code, cparams[i], cs[l], k * ts, reading, carbs[i, k], ts)
    bas, bol, la, c = _deliver(dparams, bas, bol, la)
    if real:
        clips[i] += c
        basal_rec[i, k] = bas
        bolus_rec[i, k] = bol
        long_rec[i, k] = la
    return bas, bol, la, c


@njit(cache=True, parallel=True, error_model="numpy")
def closed_loop_lean_kernel(ys, lparams, meal0, lane_pat, lane_real, cstate, segments, breakpoints, inputs,
                            jump_offset, jump_state, jump_value,
                            meal_reset, ts, noise, gain, sensor_range, carbs, ctrl_code, cparams, dparams, per_kg, rtol,
                            cgm, plasma, basal_rec, bolus_rec, long_rec, clips, status, fail_time, meal_end):
    """:func:`closed_loop_kernel` for blocks of lean type 1 patients (:mod:`glucostat.lean`).

    Blocks of ``lean.LANES`` patients move in lockstep from one control instant to the
    next with :func:`glucostat.lean.advance_block`; at each instant every lane reads its
    sensor, runs its controller and pump rule exactly as in :func:`closed_loop_kernel`.
    ``ys`` (nb, NL*W) and ``meal0`` (nb, W) are the packed lean states and meal sizes,
    left at the end states; ``lane_pat`` (nb, W) the patient of each lane and
    ``lane_real`` (nb, W) False for padding lanes (copies whose records are dropped).
    Records and ``cstate`` are indexed by patient as in :func:`closed_loop_kernel`;
    ``meal_end`` (N,) receives each patient's final meal size [mg].
    """
    for b in prange(ys.shape[0]):
        _closed_loop_lean_block(b, ys, lparams, meal0, lane_pat, lane_real, cstate, segments, breakpoints, inputs,
                                jump_offset, jump_state, jump_value, meal_reset, ts, noise, gain, sensor_range, carbs,
                                ctrl_code, cparams, dparams,
                                per_kg, rtol, cgm, plasma, basal_rec, bolus_rec, long_rec, clips, status, fail_time,
                                meal_end)


@njit(cache=True, error_model="numpy")
def _closed_loop_lean_block(b, ys, lparams, meal0, lane_pat, lane_real, cstate, segments, breakpoints, inputs,
                            jump_offset, jump_state, jump_value, meal_reset, ts, noise, gain, sensor_range, carbs,
                            ctrl_code, cparams, dparams,
                            per_kg, rtol, cgm, plasma, basal_rec, bolus_rec, long_rec, clips, status, fail_time,
                            meal_end):
    """Block ``b`` of :func:`closed_loop_lean_kernel` (a plain function: the parallel loop only calls it).

    Controllers whose action between meal announcements is constant (basal-only, basal-bolus:
    the therapy's basal rate, no bolus) are not restarted at every sensor sample: when no lane
    boluses at an instant, the block integrates in one call up to the next instant at which some
    lane has a meal announced (or the end), and the sensor readings at the instants in between
    come from the integrator's checked dense output (:func:`glucostat.lean.advance_block`, the
    same interpolation as open-loop outputs). Each such instant is recorded with the action its
    controller step and pump rule give there, which is the action of the last stop (same basal
    request, no bolus, same clipping). PID and MDI (whose actions depend on every reading or on
    the clock) stop at every sample.
    """
    W = lean.LANES
    n_ctrl = noise.shape[1]
    y = ys[b]
    p = lparams[b]
    meal_size = meal0[b]
    meal = np.zeros(5 * W)
    for l in range(W):
        lean._set_meal(meal_size[l], p, meal, l)
    ws = lean.workspace()
    add_u = np.zeros(N_INPUTS * W)
    pulse_u = np.zeros(N_INPUTS * W)
    ptr = np.zeros(W, dtype=np.int64)
    st = np.zeros(W, dtype=np.int64)
    ft = np.full(W, np.nan)
    cs = np.zeros((W, 3))
    for l in range(W):
        cs[l] = cstate[lane_pat[b, l]]
    pulse_min = min(BOLUS_DURATION_MIN, ts)
    h = 1.0
    n_rows = lean.block_rows(y, lane_pat[b], segments, inputs, jump_offset, jump_state, ctrl_code == Ctrl.mdi)
    constant_between_meals = ctrl_code == Ctrl.basal_only or ctrl_code == Ctrl.basal_bolus
    rows = np.array([lean.L.interstitial_glucose, lean.L.plasma_glucose], dtype=np.int64)
    span_t = np.empty(n_ctrl)
    span_out = np.empty((2, W, n_ctrl))  # filled with NaN before each call
    held_basal = np.zeros(W)  # each lane's delivered basal [U/h] and clipped requests at the last stop
    held_clips = np.zeros(W, dtype=np.int64)
    k = 0
    while k < n_ctrl:
        t0 = k * ts
        any_pulse = False
        for l in range(W):
            if st[l] != STATUS_OK:
                continue
            ig = y[lean.L.interstitial_glucose * W + l] / p[lean.LP.VG * W + l]
            gp = y[lean.L.plasma_glucose * W + l] / p[lean.LP.VG * W + l]
            bas, bol, la, c = _instant(b, l, k, ig, gp, n_ctrl, lane_pat, lane_real, noise, gain, sensor_range,
                                       carbs, ctrl_code, cparams, dparams, cs, ts, cgm, plasma, basal_rec, bolus_rec,
                                       long_rec, clips)
            held_basal[l] = bas
            held_clips[l] = c
            if k == n_ctrl - 1:
                continue
            i = lane_pat[b, l]
            la_input = int(cparams[i, CP.long_acting_input])
            for m in range(N_INPUTS):
                pulse_u[m * W + l] = 0.0
            add_u[U.sc_insulin * W + l] = bas / 60.0 * per_kg[i]
            pulse_u[U.sc_insulin * W + l] = bol / pulse_min * per_kg[i]
            pulse_u[la_input * W + l] += la / pulse_min * per_kg[i]
            any_pulse = any_pulse or bol != 0.0 or la != 0.0
        if k == n_ctrl - 1:
            break
        k_end = k + 1  # the next instant at which the block stops
        if constant_between_meals and not any_pulse:
            while k_end < n_ctrl - 1 and not _announced(b, k_end, lane_pat, carbs):
                k_end += 1
        n_span = k_end - k - 1
        for j in range(n_span):
            span_t[j] = (k + 1 + j) * ts
        span_out[:, :, :n_span] = np.nan
        h, _, _ = lean.advance_block(n_rows, t0, k_end * ts, h, y, p, meal, meal_size, lane_pat[b], segments,
                                     breakpoints, inputs, jump_offset, jump_state, jump_value, meal_reset, ptr, add_u,
                                     pulse_u, t0 + pulse_min, rtol, st, ft, ws, span_t[:n_span], 0, span_out, rows)
        # the instants passed over: readings from the dense output; the controller (no announcement, no
        # bolus) requests the same basal as at the stop, so the pump delivers and clips as it did there
        for l in range(W):
            if not lane_real[b, l]:
                continue
            i = lane_pat[b, l]
            for j in range(n_span):
                ig = span_out[0, l, j]
                if ig != ig:  # NaN once the lane has failed
                    break
                m = k + 1 + j
                cgm[i, m] = _reading(ig, noise[i, m], gain[i, m], sensor_range)
                plasma[i, m] = span_out[1, l, j]
                basal_rec[i, m] = held_basal[l]
                clips[i] += held_clips[l]
        k = k_end
    for l in range(W):
        i = lane_pat[b, l]
        if lane_real[b, l]:
            cstate[i] = cs[l]
            meal_end[i] = meal_size[l]
            if st[l] != STATUS_OK:
                status[i] = st[l]
                fail_time[i] = ts * math.floor(ft[l] / ts)
                for m in range(n_ctrl):
                    if m * ts > ft[l]:
                        cgm[i, m] = np.nan
                        plasma[i, m] = np.nan


def _controller_code(controller) -> int | None:
    """The compiled code of a built-in controller, or None for a custom one."""
    for cls, code in ((BasalOnly, Ctrl.basal_only), (BasalBolus, Ctrl.basal_bolus), (PID, Ctrl.pid), (MDI, Ctrl.mdi)):
        if type(controller) is cls:
            return int(code)
    return None


def _controller_params(controller, therapies: Sequence[TherapyProfile]) -> np.ndarray:
    uniq, which = _distinct(therapies)  # a profile shared by many patients is read once
    rows = np.array([(th.basal_u_per_h, th.carb_ratio_g_per_u, th.correction_factor_mg_dl_per_u, th.target_mg_dl,
                      th.correction_threshold_mg_dl) for th in uniq], dtype=float)
    cp = np.zeros((len(therapies), len(CP)))
    cp[:, :5] = rows[which]
    cp[:, CP.long_acting_input] = U.sc_glargine
    if isinstance(controller, PID):
        cp[:, CP.kp:CP.meal_bolus + 1] = (controller.kp, controller.ki, controller.kd, controller.target_mg_dl,
                                          controller.integral_limit, float(controller.meal_bolus))
    elif isinstance(controller, MDI):
        cp[:, CP.injection_time_min] = controller.injection_time_min
        cp[:, CP.long_acting_input] = INSULIN_PRODUCTS[controller.long_acting_product]
    return cp


def device_params(pump: Pump | Pen) -> np.ndarray:
    """A pump's (or pen's) limits as the compiled kernels' parameter row (:class:`DP`)."""
    pen = pump if isinstance(pump, Pen) else Pen()
    if isinstance(pump, Pen):
        return np.array([1.0, 1.0, 0.0, pen.increment_u, pen.max_dose_u, pen.increment_u, pen.max_dose_u])
    return np.array([0.0, pump.basal_increment_u_per_h, pump.max_basal_u_per_h, pump.bolus_increment_u,
                     pump.max_bolus_u, pen.increment_u, pen.max_dose_u])


def sensor_errors(cgm: CGM, control_t: np.ndarray, seed: int | None, indices: Sequence[int]):
    """(additive error [mg/dL], gain [1]) arrays (len(indices), n) for patients ``indices`` of a run."""
    noise = cgm.seeded_noise_traces(control_t, stream_key(seed), indices)
    gain = np.broadcast_to(cgm.gain_trace(control_t), noise.shape).copy()
    return noise, gain


def announced_carbs(scenario: Scenario, control_t: np.ndarray) -> np.ndarray:
    """Carbohydrate [g] announced within each control interval [t_k, t_k+1)."""
    out = np.zeros(control_t.size)
    for ta, g in _announcements(scenario):
        k = int(np.searchsorted(control_t, ta, side="right")) - 1
        if 0 <= k < control_t.size - 1:
            out[k] += g
    return out


@dataclass(frozen=True)
class BatchClosedLoopResults:
    """A batched closed-loop run, recorded at the control instants (CGM samples)."""

    control_time_min: np.ndarray
    patients: tuple[str, ...]
    cgm_mg_dl: np.ndarray  # (N, n_ctrl)
    plasma_glucose_mg_dl: np.ndarray
    basal_u_per_h: np.ndarray
    bolus_u: np.ndarray
    long_acting_u: np.ndarray
    announced_carbs_g: np.ndarray
    pump_clips: np.ndarray  # (N,)
    status: tuple[str, ...]
    therapy: tuple[TherapyProfile, ...]
    seed: int | None
    controller: str
    sensor: str
    final_state: np.ndarray  # (N, N_STATES)

    @property
    def ok(self) -> bool:
        return all(s == STATUS_MESSAGES[STATUS_OK] for s in self.status)

    def total_insulin_u(self) -> np.ndarray:
        step_h = float(self.control_time_min[1] - self.control_time_min[0]) / 60.0
        return (self.basal_u_per_h[:, :-1].sum(axis=1) * step_h + self.bolus_u.sum(axis=1)
                + self.long_acting_u.sum(axis=1))

    def metrics(self, signal: str = "cgm"):
        """Consensus CGM metrics and risk indices per patient (pandas), over [0, end)."""
        import pandas as pd

        g = {"cgm": self.cgm_mg_dl, "plasma": self.plasma_glucose_mg_dl}.get(signal)
        if g is None:
            raise InvalidInputError("signal", signal, "'cgm' or 'plasma'")
        m = cgm_metrics.consensus_metrics_batch(g[:, :-1])
        m["Total insulin [U]"] = self.total_insulin_u()
        m["Pump clips [1]"] = self.pump_clips.astype(float)
        return pd.DataFrame(m, index=pd.Index(self.patients, name="Patient"))

    def cohort_metrics(self, signal: str = "cgm") -> dict[str, float]:
        """Mean over patients of each per-patient metric."""
        return {k: float(v) for k, v in self.metrics(signal).mean(numeric_only=True).items()}


def simulate_closed_loop_batch(
    patients: "Sequence[Patient | str]",
    scenario: "Scenario | Sequence[Scenario]",
    controller: Controller | str = "basal-bolus",
    therapy: TherapyProfile | Sequence[TherapyProfile] | None = None,
    cgm: CGM | str = "GuardianRT",
    pump: Pump | Pen | str = "generic",
    seed: int | None = 0,
    warmup_days: int = 0,
    step_min: float = DEFAULT_STEP_MIN,
    patient_indices: Sequence[int] | None = None,
    kernel: str = "auto",
    rtol: float | None = None,
) -> BatchClosedLoopResults:
    """Closed loop for many patients in one compiled parallel call (custom controllers: a Python loop).

    Arguments as :func:`glucostat.closed_loop.simulate_closed_loop`; ``scenario`` may be one
    per patient. ``patient_indices`` name each patient's sensor-noise stream (default
    0..N-1; a trial passes global indices so chunks draw what one big run would).
    ``kernel``: with ``"auto"`` and a built-in controller, type 1 patients run on the lean
    SIMD kernel (adaptive steps, tolerance ``rtol`` as in
    :func:`glucostat.engine.simulate_batch`) and the others on the full model with RK4
    steps of at most ``step_min``; ``"rk4"`` puts every patient on the latter. The lean
    kernel does not track report-only states, which ``final_state`` then holds as NaN
    (:data:`glucostat.lean.NOT_TRACKED`: cumulative counters, liver glycogen, IGF-1).
    """
    plist = [resolve(p) for p in ([patients] if isinstance(patients, (str, Patient)) else patients)]
    if not plist:
        raise InvalidInputError("patients", patients, "at least one patient")
    n = len(plist)
    scens = [scenario] * n if isinstance(scenario, Scenario) else list(scenario)
    if len(scens) != n:
        raise InvalidInputError("scenario", len(scens), f"one scenario, or one per patient ({n})")
    if isinstance(controller, str):
        controller = controller_from_name(controller)
    cgm = _preset("cgm", cgm, CGM_PRESETS)
    pump = _preset("pump", pump, PUMP_PRESETS)
    therapies = _run_settings(plist, therapy, seed, warmup_days)
    idx = list(range(n)) if patient_indices is None else [int(i) for i in patient_indices]
    if len(idx) != n:
        raise InvalidInputError("patient_indices", len(idx), f"one index per patient ({n})")

    if kernel not in ("auto", "rk4"):
        raise InvalidInputError("kernel", kernel, "'auto' or 'rk4'")
    rtol = check_rtol(rtol)
    ts = cgm.sample_time_min
    duration = min(float(s.duration_min) for s in scens)
    control_t = np.arange(0.0, duration + 1e-9, ts)
    y, params, packed, steps = prepare(plist, scens, step_min)
    cstate = np.zeros((n, 3))
    code = _controller_code(controller)
    use_lean = (lean.eligible(y, params, packed) if kernel == "auto" and code is not None
                else np.zeros(n, dtype=bool))
    cp = _controller_params(controller, therapies) if code is not None else None
    dp = device_params(pump)
    clips = np.zeros(n, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    fail = np.zeros(n)
    if warmup_days:
        wt = np.arange(0.0, warmup_days * 1440.0 + 1e-9, ts)
        empty = Scenario(duration_min=warmup_days * 1440.0)
        _, _, wpacked, _ = prepare(plist, [empty] * n, step_min)
        ideal = CGM_PRESETS["ideal"]
        rec = _Records(n, wt.size)
        _run(code, controller, y, cstate, params, wpacked, ts, np.zeros((n, wt.size)), np.ones((n, wt.size)),
             (ideal.min_mg_dl, ideal.max_mg_dl), np.zeros((n, wt.size)), cp, dp, pump, therapies, steps, rec,
             clips, status, fail, use_lean, rtol)
        clips[:] = 0
    noise, gain = sensor_errors(cgm, control_t, seed, idx)
    carbs = np.stack([announced_carbs(s, control_t) for s in scens]) if len(set(map(id, scens))) > 1 else \
        np.broadcast_to(announced_carbs(scens[0], control_t), (n, control_t.size))
    rec = _Records(n, control_t.size)
    if not status.any():
        _run(code, controller, y, cstate, params, packed, ts, noise, gain, (cgm.min_mg_dl, cgm.max_mg_dl),
             np.ascontiguousarray(carbs), cp, dp, pump, therapies, steps, rec, clips, status, fail, use_lean, rtol)
    else:
        rec.cgm[:] = np.nan
        rec.plasma[:] = np.nan
    from .simulation import _labels

    msgs = [STATUS_MESSAGES[STATUS_OK]] * n
    for i in np.flatnonzero(status != STATUS_OK):
        msgs[i] = f"{STATUS_MESSAGES[int(status[i])]} at t = {fail[i]:.1f} min"
    msgs = tuple(msgs)
    return BatchClosedLoopResults(control_t, tuple(_labels(plist)), rec.cgm, rec.plasma, rec.basal, rec.bolus,
                                  rec.long_acting, np.array(carbs, dtype=float), clips, msgs, tuple(therapies), seed,
                                  getattr(controller, "name", type(controller).__name__), cgm.name, y)


class _Records:
    def __init__(self, n, n_ctrl):
        self.cgm = np.full((n, n_ctrl), np.nan)
        self.plasma = np.full((n, n_ctrl), np.nan)
        self.basal = np.zeros((n, n_ctrl))
        self.bolus = np.zeros((n, n_ctrl))
        self.long_acting = np.zeros((n, n_ctrl))


def _run(code, controller, y, cstate, params, packed, ts, noise, gain, sensor_range, carbs, cp, dp, pump,
         therapies, steps, rec, clips, status, fail, use_lean, rtol):
    if code is None:
        _python_loop(controller, y, params, packed, ts, noise, gain, sensor_range, carbs, pump, therapies, steps,
                     rec, clips, status, fail)
        return
    rng = np.array(sensor_range, dtype=float)
    lean_idx = np.flatnonzero(use_lean)
    full_idx = np.flatnonzero(~use_lean)
    if lean_idx.size:
        lean_idx = lean_idx[lean.similar_order(params, packed, lean_idx)]  # alike patients share blocks
        ys, lp, meal0, lane_pat = lean.pack_blocks(y, params, lean_idx)
        real = np.zeros(lane_pat.size, dtype=np.bool_)
        real[:lean_idx.size] = True
        meal_end = y[:, S.meal_size].copy()
        closed_loop_lean_kernel(ys, lp, meal0, lane_pat, real.reshape(lane_pat.shape), cstate, packed.segments,
                                packed.breakpoints, packed.inputs, *packed.jump_arrays, packed.meal_reset, float(ts),
                                noise, gain, rng, carbs, code, cp, dp, PMOL_PER_U / params[:, P.BW], float(rtol),
                                rec.cgm, rec.plasma, rec.basal, rec.bolus, rec.long_acting, clips, status, fail,
                                meal_end)
        nb = lane_pat.shape[0]
        lanes = ys.reshape(nb, lean.NL, lean.LANES).transpose(0, 2, 1).reshape(-1, lean.NL)[:lean_idx.size]
        y[np.ix_(lean_idx, lean.FULL_STATE)] = lanes
        y[lean_idx, S.meal_size] = meal_end[lean_idx]
        y[np.ix_(lean_idx, lean.NOT_TRACKED)] = np.nan
    if full_idx.size:
        sub = packed.subset(full_idx)
        part = _Records(full_idx.size, noise.shape[1])
        yf, cf, cl, stf, ff = y[full_idx], cstate[full_idx], clips[full_idx], status[full_idx], fail[full_idx]
        closed_loop_kernel(yf, cf, params[full_idx], sub.segments, sub.breakpoints, sub.inputs, *sub.jump_arrays,
                           sub.meal_reset, float(ts), noise[full_idx], gain[full_idx], rng,
                           np.ascontiguousarray(carbs[full_idx]), code, cp[full_idx], dp, steps[full_idx], part.cgm,
                           part.plasma, part.basal, part.bolus, part.long_acting, cl, stf, ff)
        y[full_idx], cstate[full_idx], clips[full_idx], status[full_idx], fail[full_idx] = yf, cf, cl, stf, ff
        for name in ("cgm", "plasma", "basal", "bolus", "long_acting"):
            getattr(rec, name)[full_idx] = getattr(part, name)


def _python_loop(controller, y, params, packed, ts, noise, gain, sensor_range, carbs, pump, therapies, steps, rec,
                 clips, status, fail):
    """A custom controller, called per patient in Python; physiology in one parallel call per instant."""
    n, n_ctrl = noise.shape
    states = [controller.initial_state(th) for th in therapies]
    ptr = np.zeros(n, dtype=np.int64)
    per_kg = PMOL_PER_U / params[:, P.BW]
    pulse = min(BOLUS_DURATION_MIN, ts)
    for k in range(n_ctrl):
        t0 = k * ts
        ig = y[:, S.interstitial_glucose] / params[:, P.VG]
        reading = np.clip(np.round(gain[:, k] * ig + noise[:, k]), *sensor_range)
        ok = status == STATUS_OK
        rec.cgm[ok, k] = reading[ok]
        rec.plasma[ok, k] = (y[:, S.plasma_glucose] / params[:, P.VG])[ok]
        if k == n_ctrl - 1:
            rec.basal[:, k] = rec.basal[:, k - 1] if k else 0.0
            break
        add_u = np.zeros((n, N_INPUTS))
        pulse_u = np.zeros((n, N_INPUTS))
        for i in np.nonzero(ok)[0]:
            action, states[i] = controller.step(Observation(t0, float(reading[i]), float(carbs[i, k]), therapies[i],
                                                            ts), states[i])
            if not isinstance(action, Action):
                raise InvalidInputError("controller action", action, "a glucostat.control.Action")
            b, bol, notes = pump.deliver(action.basal_u_per_h, action.bolus_u)
            la = 0.0
            if action.long_acting_u:
                la, n2 = (pump if isinstance(pump, Pen) else Pen()).dial(action.long_acting_u, "long-acting dose")
                notes = notes + n2
                pulse_u[i, INSULIN_PRODUCTS[action.long_acting_product]] = la / pulse * per_kg[i]
            clips[i] += len(notes)
            rec.basal[i, k], rec.bolus[i, k], rec.long_acting[i, k] = b, bol, la
            add_u[i, U.sc_insulin] = b / 60.0 * per_kg[i]
            pulse_u[i, U.sc_insulin] = bol / pulse * per_kg[i]
        before = status.copy()
        advance_batch(y, params, packed.segments, packed.breakpoints, packed.inputs, *packed.jump_arrays,
                      packed.meal_reset, ptr, np.full(n, t0), np.full(n, t0 + ts), add_u, pulse_u, pulse, steps,
                      status)
        newly = (before == STATUS_OK) & (status != STATUS_OK)
        fail[newly] = t0


__all__ = ["simulate_closed_loop_batch", "BatchClosedLoopResults", "closed_loop_kernel", "sensor_errors",
           "announced_carbs", "deliver_batch", "device_params"]
