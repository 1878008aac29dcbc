"""Lean type 1 kernel: the UVA/Padova states only, SIMD across patients, adaptive steps.

A type 1 patient of glucostat (no beta cells, glucagon held at basal, DM2007 renal
threshold, no glycogen limit; :func:`eligible`) moves only 19 of the model's
states: the gut (Qsto1, Qsto2, Qgut), glucose (Gp, Gt, Gs), insulin (Il, Ip, I1,
Id, X) and the five subcutaneous depots. Everything else (secretion, glucagon,
C-peptide, glycogen, IGF-1, cumulative fluxes) stays at its basal value or only
reports. This kernel integrates exactly those 19 equations, which are the
equations of :func:`glucostat.model.evaluate` with the switched-off terms removed
(``tests/test_lean.py`` checks the right-hand sides agree to round-off):

- DM2007 eq. (13) gut, eqs. (1), (10)-(11), (14)-(18), (27) glucose, eqs. (2)-(5)
  insulin with the constant type 1 hepatic clearance m3 = m6 m1/(1 - m6) (S = 0);
- the UVA/Padova subcutaneous depot and sensor lag (Dalla Man 2014 eqs. A16-A17)
  and glucostat's regular, glargine and degludec depots (docs/model.md).

Layout and vectorisation (docs/architecture.md, 'Population engine'): patients
are packed in blocks of :data:`LANES` lanes; each state and parameter is a row of
``LANES`` contiguous values, so every line of the right-hand side is one SIMD
instruction over the block (numba/LLVM vectorise the lane loop; no branches, no
calls: the gastric-emptying tanh uses :func:`_exp_neg`, a branch-free
exponential accurate to ~1e-15). A block moves in lockstep with the adaptive
Dormand-Prince 5(4) pair (Dormand & Prince 1980; Hairer, Norsett & Wanner,
*Solving ODEs I*, Sec. II.4 step control in the max norm, here over all lanes),
stopping at every breakpoint of any lane and at every output time. The
tolerance :data:`DEFAULT_RTOL` keeps plasma glucose within ~1e-3 mg/dL of
``solve_ivp`` (DOP853, rtol 1e-10) across the simglucose patients, generated
cohorts and the fastest-absorbing patients (tests), two orders inside the 0.2
mg/dL goal.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numba import njit, prange

from .model import N_INPUTS, N_STATES, P, S, U
from .solver import (
    _A21, _A31, _A32, _A41, _A42, _A43, _A51, _A52, _A53, _A54, _A61, _A62, _A63, _A64, _A65,
    _B1, _B3, _B4, _B5, _B6, _E1, _E3, _E4, _E5, _E6, _E7,
    STATUS_MAX_STEPS, STATUS_NEGATIVE, STATUS_NOT_FINITE, STATUS_OK, STATUS_STEP_TOO_SMALL,
)

#: Patients per block (lanes integrated in lockstep; 4 AVX2 vectors of float64).
LANES = 16
W = LANES
#: Default relative (and absolute, in each state's unit) tolerance of the step control.
DEFAULT_RTOL = 1e-5
#: Negative values of non-negative states above -ROUNDOFF_PER_TOL x rtol are integration error near
#: zero (a depot emptying) and are set to 0; deeper ones fail the lane (as :mod:`glucostat.solver`).
ROUNDOFF_PER_TOL = 1e3
#: Longest step [min].
MAX_STEP_MIN = 30.0
#: Step attempts per block and simulated day before a block gives up (status "too many steps").
MAX_STEPS_PER_DAY = 200_000


class L(IntEnum):
    """Lean state layout (rows of a block)."""

    stomach_solid = 0
    stomach_liquid = 1
    gut = 2
    plasma_glucose = 3
    tissue_glucose = 4
    liver_insulin = 5
    plasma_insulin = 6
    insulin_signal_1 = 7
    insulin_signal_liver = 8
    remote_insulin = 9
    sc_insulin_1 = 10
    sc_insulin_2 = 11
    interstitial_glucose = 12
    regular_insulin_1 = 13
    regular_insulin_2 = 14
    glargine_depot = 15
    glargine_tissue = 16
    degludec_depot = 17
    degludec_tissue = 18


#: Full-model state of each lean state.
FULL_STATE = np.array([S[m.name] for m in L], dtype=np.int64)
NL = len(L)


class LP(IntEnum):
    """Lean parameter layout: the full parameters the kernel reads, plus derived constants."""

    VG = 0
    k1 = 1
    k2 = 2
    m1 = 3
    m2 = 4
    m4 = 5
    m3 = 6  # derived: m6 m1 / (1 - m6), DM2007 eq. (5) with S = 0
    kmax = 7
    kmin = 8
    kabs = 9
    kgri = 10
    b = 11
    d = 12
    kp1 = 13
    kp2 = 14
    kp3 = 15
    ki = 16
    Fcns = 17
    Vm0 = 18
    Vmx = 19
    Km0 = 20
    Kmx = 21
    p2U = 22
    Ib = 23
    ke1 = 24
    ke2 = 25
    renal_excretion_enabled = 26
    egp_nonnegative = 27
    uid_fraction = 28
    kd = 29
    ka1 = 30
    ka2 = 31
    ksc = 32
    k_regular = 33
    k_glargine = 34
    k_degludec = 35
    k_long_transit = 36
    ra_per_gut = 37  # derived: f kabs / BW [1/(kg min)], DM2007 eq. (13)
    inv_VI = 38  # derived: 1 / VI [kg/L]


NLP = len(LP)
_DIRECT = [m for m in LP if m.name in P.__members__]

#: Report-only states of the full model that move in a type 1 patient but not in the lean kernel
#: (cumulative counters, the reported glycogen split, IGF-1 and its GH signal).
NOT_TRACKED = np.array([s for s in S if s.name.startswith("cum_") or s in (
    S.liver_glycogen, S.fasting_adaptation, S.igf1, S.gh_signal)], dtype=np.int64)

#: Full-model states a scenario jump may touch for the lean kernel to apply (lean states,
#: the meal size and cumulative counters, which the kernel does not report).
_JUMP_OK = np.zeros(N_STATES, dtype=np.bool_)
_JUMP_OK[FULL_STATE] = True
_JUMP_OK[S.meal_size] = True
_JUMP_OK[[s for s in S if s.name.startswith("cum_")]] = True


def lean_parameters(params: np.ndarray) -> np.ndarray:
    """Lean parameter rows (N, NLP) from full parameter vectors (N, N_PARAMS)."""
    params = np.atleast_2d(params)
    out = np.empty((params.shape[0], NLP))
    for m in _DIRECT:
        out[:, m] = params[:, P[m.name]]
    he = params[:, P.m6]
    out[:, LP.m3] = he * params[:, P.m1] / (1.0 - he)
    out[:, LP.ra_per_gut] = params[:, P.f] * params[:, P.kabs] / params[:, P.BW]
    out[:, LP.inv_VI] = 1.0 / params[:, P.VI]
    return out


def eligible(y0: np.ndarray, params: np.ndarray, packed) -> np.ndarray:
    """Which patients the lean kernel integrates exactly like the full model (bool (N,)).

    No beta-cell secretion (Sb = K = beta = 0, static secretion and portal insulin 0); no
    glucose-driven glucagon (glucagon action off, or no hypoglycaemia response with
    glucagon and its fading at basal, where Sorensen's multipliers are 1); no glycogen
    limit; DM2007 kidney; hepatic extraction 0 <= m6 < 1; and scenario jumps
    (``packed``: :class:`glucostat.engine.PackedScenarios`) only on lean states, the meal
    size or cumulative counters.
    """
    y0 = np.atleast_2d(y0)
    p = np.atleast_2d(params)
    ok = (p[:, P.Sb] == 0.0) & (p[:, P.K] == 0.0) & (p[:, P.beta] == 0.0)
    ok &= (y0[:, S.static_secretion] == 0.0) & (y0[:, S.portal_insulin] == 0.0)
    quiet_glucagon = ((p[:, P.glucagon_hypoglycaemia_response] == 0.0) & (y0[:, S.plasma_glucagon] == p[:, P.Hb])
                      & (y0[:, S.glucagon_fading] == 0.0))
    ok &= (p[:, P.glucagon_action] == 0.0) | quiet_glucagon
    ok &= (p[:, P.glycogen_model] == 0.0) & (p[:, P.renal_model] == 0.0)
    ok &= (p[:, P.m6] >= 0.0) & (p[:, P.m6] < 1.0)
    bad_segment = np.any(packed.jumps[:, ~_JUMP_OK] != 0.0, axis=1).astype(np.int64)
    bad_before = np.concatenate([[0], np.cumsum(bad_segment)])
    ok &= bad_before[packed.seg_offset[1:]] == bad_before[packed.seg_offset[:-1]]
    return ok


# --------------------------------------------------------------------------- right-hand side
@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _exp_neg(z):
    """``exp(-z)`` for 0 <= z <= 38 without branches or calls (vectorisable).

    ``exp(-z) = exp(-z/64)^64``: a degree-12 Taylor polynomial on [-0.6, 0] (truncation
    < 1e-16 relative), then six squarings (relative error x 64, ~1e-14).
    """
    x = -z * (1.0 / 64.0)
    e = 1.0 + x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (
        1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0 + x * (
            1.0 / 3628800.0 + x * (1.0 / 39916800.0 + x * (1.0 / 479001600.0))))))))))))
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    e = e * e
    return e * e


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def rhs_block(y, u, p, meal, dy):
    """Lean right-hand side of one block, in place (flat rows of ``LANES`` values).

    ``y``/``dy`` (NL*W) states and derivatives, ``u`` (>= N_INPUTS*W) inputs in the full
    model's layout :class:`glucostat.model.U`, ``p`` (NLP*W) lean parameters, ``meal``
    (5*W) the gastric-emptying geometry of the current meal (:func:`_set_meal`). The
    equations are those of :func:`glucostat.model.evaluate` (module docstring).
    """
    for l in range(W):
        # gut, DM2007 eq. (13): kempt = kmin + (kmax - kmin)/2 [tanh(a(Q - bD)) - tanh(c(Q - dD)) + 2]
        q1 = y[L.stomach_solid * W + l]
        q2 = y[L.stomach_liquid * W + l]
        qg = y[L.gut * W + l]
        qs = q1 + q2
        x1 = meal[0 * W + l] * (qs - meal[2 * W + l])
        x2 = meal[1 * W + l] * (qs - meal[3 * W + l])
        e1 = _exp_neg(2.0 * min(abs(x1), 19.0))
        e2 = _exp_neg(2.0 * min(abs(x2), 19.0))
        s1 = 1.0 if x1 >= 0.0 else -1.0
        s2 = 1.0 if x2 >= 0.0 else -1.0
        # tanh|x| = (1 - e)/(1 + e), e = exp(-2|x|); the difference over one division
        tanh_diff = (s1 * (1.0 - e1) * (1.0 + e2) - s2 * (1.0 - e2) * (1.0 + e1)) / ((1.0 + e1) * (1.0 + e2))
        kmax = p[LP.kmax * W + l]
        kmin = p[LP.kmin * W + l]
        ke = kmin + 0.5 * (kmax - kmin) * (tanh_diff + 2.0)
        kempt = ke if meal[4 * W + l] > 0.0 else kmax
        kgri = p[LP.kgri * W + l]
        absorbed = p[LP.kabs * W + l] * qg
        ra = p[LP.ra_per_gut * W + l] * qg
        dy[L.stomach_solid * W + l] = -kgri * q1 + u[U.ingestion * W + l]
        dy[L.stomach_liquid * W + l] = -kempt * q2 + kgri * q1
        dy[L.gut * W + l] = -absorbed + kempt * q2
        # liver, DM2007 eqs. (10)-(11) (no portal insulin)
        gp = y[L.plasma_glucose * W + l]
        gt = y[L.tissue_glucose * W + l]
        ip = y[L.plasma_insulin * W + l]
        il = y[L.liver_insulin * W + l]
        ins = ip * p[LP.inv_VI * W + l]
        i1 = y[L.insulin_signal_1 * W + l]
        i_d = y[L.insulin_signal_liver * W + l]
        egp = p[LP.kp1 * W + l] - p[LP.kp2 * W + l] * gp - p[LP.kp3 * W + l] * i_d
        clip = p[LP.egp_nonnegative * W + l]
        egp = max(egp, 0.0) if clip > 0.5 else egp
        ki = p[LP.ki * W + l]
        dy[L.insulin_signal_1 * W + l] = -ki * (i1 - ins)
        dy[L.insulin_signal_liver * W + l] = -ki * (i_d - i1)
        # muscle and fat, DM2007 eqs. (15)-(18); kidney eq. (27); brain eq. (14)
        x = y[L.remote_insulin * W + l]
        vm = max(p[LP.Vm0 * W + l] + p[LP.Vmx * W + l] * x, 0.0)
        uid = p[LP.uid_fraction * W + l] * vm * gt / (p[LP.Km0 * W + l] + p[LP.Kmx * W + l] * x + gt)
        p2u = p[LP.p2U * W + l]
        dy[L.remote_insulin * W + l] = -p2u * x + p2u * (ins - p[LP.Ib * W + l])
        renal = p[LP.renal_excretion_enabled * W + l] * p[LP.ke1 * W + l] * max(gp - p[LP.ke2 * W + l], 0.0)
        k1 = p[LP.k1 * W + l]
        k2 = p[LP.k2 * W + l]
        dy[L.plasma_glucose * W + l] = (egp + ra - p[LP.Fcns * W + l] - renal - k1 * gp + k2 * gt
                                        + u[U.iv_glucose * W + l])
        dy[L.tissue_glucose * W + l] = -uid + k1 * gp - k2 * gt
        # subcutis: rapid-acting (UVA/Padova), regular, glargine, degludec; sensor lag
        kd = p[LP.kd * W + l]
        ka1 = p[LP.ka1 * W + l]
        ka2 = p[LP.ka2 * W + l]
        s1c = y[L.sc_insulin_1 * W + l]
        s2c = y[L.sc_insulin_2 * W + l]
        dy[L.sc_insulin_1 * W + l] = -(kd + ka1) * s1c + u[U.sc_insulin * W + l]
        dy[L.sc_insulin_2 * W + l] = kd * s1c - ka2 * s2c
        kr = p[LP.k_regular * W + l]
        r1 = y[L.regular_insulin_1 * W + l]
        r2 = y[L.regular_insulin_2 * W + l]
        dy[L.regular_insulin_1 * W + l] = -kr * r1 + u[U.sc_regular * W + l]
        dy[L.regular_insulin_2 * W + l] = 0.9 * kr * r1 - kr * r2
        klt = p[LP.k_long_transit * W + l]
        kg = p[LP.k_glargine * W + l]
        g1 = y[L.glargine_depot * W + l]
        g2 = y[L.glargine_tissue * W + l]
        dy[L.glargine_depot * W + l] = -kg * g1 + u[U.sc_glargine * W + l]
        dy[L.glargine_tissue * W + l] = kg * g1 - klt * g2
        kdg = p[LP.k_degludec * W + l]
        d1 = y[L.degludec_depot * W + l]
        d2 = y[L.degludec_tissue * W + l]
        dy[L.degludec_depot * W + l] = -kdg * d1 + u[U.sc_degludec * W + l]
        dy[L.degludec_tissue * W + l] = kdg * d1 - klt * d2
        rai = ka1 * s1c + ka2 * s2c + 0.1 * kr * r1 + kr * r2 + klt * (g2 + d2)
        # insulin, DM2007 eqs. (2)-(5)
        m1 = p[LP.m1 * W + l]
        m2 = p[LP.m2 * W + l]
        dy[L.liver_insulin * W + l] = -(m1 + p[LP.m3 * W + l]) * il + m2 * ip
        dy[L.plasma_insulin * W + l] = -(m2 + p[LP.m4 * W + l]) * ip + m1 * il + u[U.iv_insulin * W + l] + rai
        dy[L.interstitial_glucose * W + l] = -p[LP.ksc * W + l] * (y[L.interstitial_glucose * W + l] - gp)


@njit(cache=True, inline="always")
def _set_meal(meal_size, p, meal, l):
    """Gastric-emptying geometry of lane ``l`` for meal size D [mg]: a, c, bD, dD, D (DM2007 eq. 13)."""
    ds = max(meal_size, 1e-12)
    meal[0 * W + l] = 5.0 / (2.0 * ds * (1.0 - p[LP.b * W + l]))
    meal[1 * W + l] = 5.0 / (2.0 * ds * p[LP.d * W + l])
    meal[2 * W + l] = p[LP.b * W + l] * ds
    meal[3 * W + l] = p[LP.d * W + l] * ds
    meal[4 * W + l] = meal_size


@njit(cache=True, inline="always", fastmath=True)
def _max(a):
    m = 0.0
    for i in range(a.shape[0]):
        m = max(m, a[i])
    return m


# --------------------------------------------------------------------------- block stepping
@njit(cache=True, inline="always", error_model="numpy")
def _apply_due(t, y, p, meal, meal_size, u, lane_pat, seg_offset, bps, inputs, jumps, reset, ptr, add_u, pulse_u,
               in_pulse):
    """Apply the jumps due at ``t`` in every lane, set the lanes' inputs; return the next breakpoint."""
    t_next = 1e300
    for l in range(W):
        i = lane_pat[l]
        s0 = seg_offset[i]
        nseg = seg_offset[i + 1] - s0
        b0 = s0 + i  # patient i's breakpoints start here (one more than its segments)
        while ptr[l] < nseg and bps[b0 + ptr[l]] <= t + 1e-9:
            k = s0 + ptr[l]
            if reset[k]:
                meal_size[l] = y[L.stomach_solid * W + l] + y[L.stomach_liquid * W + l]
            if jumps[k, S.meal_size] != 0.0 or reset[k]:
                meal_size[l] += jumps[k, S.meal_size]
                _set_meal(meal_size[l], p, meal, l)
            for m in range(NL):
                y[m * W + l] += jumps[k, FULL_STATE[m]]
            ptr[l] += 1
        seg = s0 + max(ptr[l] - 1, 0)
        for m in range(N_INPUTS):
            u[m * W + l] = inputs[seg, m] + add_u[m * W + l] + (pulse_u[m * W + l] if in_pulse else 0.0)
        if ptr[l] <= nseg and bps[b0 + ptr[l]] < t_next:
            t_next = bps[b0 + ptr[l]]
    return t_next


@njit(cache=True)
def workspace():
    """Scratch of :func:`advance_block`: ten separate arrays (separate allocations let LLVM
    vectorise the stage loops without aliasing checks between them)."""
    return (np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W),
            np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W), np.zeros(NL * W))


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def advance_block(t0, t1, h, y, p, meal, meal_size, lane_pat, seg_offset, bps, inputs, jumps, reset, ptr, add_u,
                  pulse_u, pulse_end, rtol, status, fail_time, ws):
    """Advance one block in place from ``t0`` to ``t1`` [min] (Dormand-Prince 5(4), lockstep).

    Jumps due at ``t0``, at every breakpoint in between and at ``t1`` are applied (so
    states at ``t1`` are right-continuous, as in :func:`glucostat.engine.advance_patient`); ``add_u`` (N_INPUTS*W) is added to the inputs
    throughout and ``pulse_u`` until ``pulse_end`` (closed-loop basal and boluses).
    ``ptr`` (W,) are the lanes' scenario pointers. Lanes that fail (non-finite or
    negative state) get a status and stop counting in the step control. ``ws`` is
    scratch (:func:`workspace`). Returns the proposed next step [min].
    """
    n = NL * W
    k1, k2, k3, k4, k5, k6, k7, tmp, yn, u = ws
    t = t0
    max_steps = int(MAX_STEPS_PER_DAY * max(t1 - t0, 1.0) / 1440.0) + 1000
    steps = 0
    while True:
        in_pulse = t < pulse_end - 1e-12
        t_stop = _apply_due(t, y, p, meal, meal_size, u, lane_pat, seg_offset, bps, inputs, jumps, reset, ptr,
                            add_u, pulse_u, in_pulse)
        if t >= t1 - 1e-9:
            break
        t_stop = min(t_stop, t1)
        if in_pulse and pulse_end < t_stop:
            t_stop = pulse_end
        rhs_block(y, u, p, meal, k1)
        while t < t_stop - 1e-9:
            h_proposed = h
            last = t + h >= t_stop - 1e-9
            if last:
                h = t_stop - t
            for m in range(n):
                tmp[m] = y[m] + h * _A21 * k1[m]
            rhs_block(tmp, u, p, meal, k2)
            for m in range(n):
                tmp[m] = y[m] + h * (_A31 * k1[m] + _A32 * k2[m])
            rhs_block(tmp, u, p, meal, k3)
            for m in range(n):
                tmp[m] = y[m] + h * (_A41 * k1[m] + _A42 * k2[m] + _A43 * k3[m])
            rhs_block(tmp, u, p, meal, k4)
            for m in range(n):
                tmp[m] = y[m] + h * (_A51 * k1[m] + _A52 * k2[m] + _A53 * k3[m] + _A54 * k4[m])
            rhs_block(tmp, u, p, meal, k5)
            for m in range(n):
                tmp[m] = y[m] + h * (_A61 * k1[m] + _A62 * k2[m] + _A63 * k3[m] + _A64 * k4[m] + _A65 * k5[m])
            rhs_block(tmp, u, p, meal, k6)
            for m in range(n):
                yn[m] = y[m] + h * (_B1 * k1[m] + _B3 * k3[m] + _B4 * k4[m] + _B5 * k5[m] + _B6 * k6[m])
            rhs_block(yn, u, p, meal, k7)
            # error in the max norm over states and live lanes (Hairer et al. eq. II.4.11)
            for m in range(n):
                tmp[m] = abs(h * (_E1 * k1[m] + _E3 * k3[m] + _E4 * k4[m] + _E5 * k5[m] + _E6 * k6[m]
                                  + _E7 * k7[m])) / (rtol + rtol * max(abs(y[m]), abs(yn[m])))
            for l in range(W):
                if status[l] != STATUS_OK:
                    for r in range(NL):
                        tmp[r * W + l] = 0.0
            err = _max(tmp)
            steps += 1
            if not (err <= 1.0 or err > 1.0):  # NaN: find and retire the lanes that produced it
                _retire_nonfinite(t, yn, k7, y, status, fail_time)
                h = 0.5 * h
                continue
            if steps > max_steps or h < 1e-10:
                code = STATUS_MAX_STEPS if steps > max_steps else STATUS_STEP_TOO_SMALL
                for l in range(W):
                    if status[l] == STATUS_OK:
                        status[l] = code
                        fail_time[l] = t
                return h_proposed
            if err <= 1.0:
                t = t_stop if last else t + h
                clipped = _accept(yn, y, status, fail_time, t, rtol)
                if clipped:
                    rhs_block(y, u, p, meal, k1)
                else:
                    for m in range(n):
                        k1[m] = k7[m]
                grow = min(5.0, max(0.2, 0.9 * err ** -0.2)) if err > 0.0 else 5.0
                h = h_proposed if last and h < h_proposed else h * grow
            else:
                h = h * max(0.2, 0.9 * err ** -0.2)
            h = min(h, MAX_STEP_MIN)
    return h


@njit(cache=True, inline="always")
def _retire_nonfinite(t, yn, k7, y, status, fail_time):
    """Mark lanes whose trial step is not finite as failed; keep their last good state."""
    for l in range(W):
        bad = False
        for r in range(NL):
            if not (np.isfinite(yn[r * W + l]) and np.isfinite(k7[r * W + l])):
                bad = True
        if bad and status[l] == STATUS_OK:
            status[l] = STATUS_NOT_FINITE
            fail_time[l] = t
        if bad:
            for r in range(NL):
                if not np.isfinite(y[r * W + l]):
                    y[r * W + l] = 0.0


@njit(cache=True, inline="always", fastmath={"contract"})
def _accept(yn, y, status, fail_time, t, rtol):
    """Take the step: round-off negatives of non-negative states -> 0; deeper ones fail the lane.

    Returns True if any value was set to 0 (the FSAL derivative is then stale).
    """
    lowest = 0.0
    for m in range(NL * W):
        y[m] = yn[m]
    for m in range(L.remote_insulin * W):
        lowest = min(lowest, yn[m])
        y[m] = max(yn[m], 0.0)
    for m in range((L.remote_insulin + 1) * W, NL * W):
        lowest = min(lowest, yn[m])
        y[m] = max(yn[m], 0.0)
    bound = -ROUNDOFF_PER_TOL * rtol
    if lowest < bound:
        for r in range(NL):
            for l in range(W):
                if r != L.remote_insulin and yn[r * W + l] < bound and status[l] == STATUS_OK:
                    status[l] = STATUS_NEGATIVE
                    fail_time[l] = t
    return lowest < 0.0


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_blocks(y0, params, meal0, lane_pat, seg_offset, bps, inputs, jumps, reset, t_out, signal_row, rtol):
    """Open loop for ``nb`` blocks: glucose (nb, W, n_out) [mg/dL], status and failure time (nb, W).

    ``y0`` (nb, NL*W), ``params`` (nb, NLP*W), ``meal0`` (nb, W) meal sizes, ``lane_pat``
    (nb, W) the patient of each lane in the packed scenarios (as :func:`glucostat.engine.
    integrate_batch`). Outputs are right-continuous at breakpoints; NaN after a failure.
    """
    nb = y0.shape[0]
    n_out = t_out.shape[0]
    glucose = np.full((nb, W, n_out), np.nan)
    status = np.zeros((nb, W), dtype=np.int64)
    fail_time = np.full((nb, W), np.nan)
    for b in prange(nb):
        y = y0[b].copy()
        p = params[b]
        meal_size = meal0[b].copy()
        meal = np.zeros(5 * W)
        for l in range(W):
            _set_meal(meal_size[l], p, meal, l)
        ws = workspace()
        zeros = np.zeros(N_INPUTS * W)
        ptr = np.zeros(W, dtype=np.int64)
        st = status[b]
        ft = fail_time[b]
        h = 1.0
        t = t_out[0]
        for j in range(n_out):
            h = advance_block(t, t_out[j], h, y, p, meal, meal_size, lane_pat[b], seg_offset, bps, inputs, jumps,
                              reset, ptr, zeros, zeros, -1.0, rtol, st, ft, ws)
            t = t_out[j]
            for l in range(W):
                if st[l] == STATUS_OK:
                    glucose[b, l, j] = y[signal_row * W + l] / p[LP.VG * W + l]
    return glucose, status, fail_time


# --------------------------------------------------------------------------- packing
def pack_blocks(y0: np.ndarray, params: np.ndarray, patients: np.ndarray):
    """Blocks of ``LANES`` lanes for the patients ``patients`` (indices into ``y0``/``params`` (N, ...)).

    Returns (states (nb, NL*W), lean parameters (nb, NLP*W), meal sizes (nb, W), lane ->
    patient index (nb, W)). The last block is padded with copies of the last patient
    (their results are dropped).
    """
    patients = np.asarray(patients, dtype=np.int64)
    nb = -(-patients.size // W)
    lane_pat = patients[np.minimum(np.arange(nb * W), patients.size - 1)].reshape(nb, W)
    lp = lean_parameters(params)[lane_pat]  # (nb, W, NLP)
    ys = np.asarray(y0)[lane_pat]  # (nb, W, N_STATES)
    return (np.ascontiguousarray(ys[:, :, FULL_STATE].transpose(0, 2, 1)).reshape(nb, NL * W),
            np.ascontiguousarray(lp.transpose(0, 2, 1)).reshape(nb, NLP * W),
            np.ascontiguousarray(ys[:, :, S.meal_size]), lane_pat)


def run_open_loop(y0, params, packed, patients, t_out, signal: str = "plasma", rtol: float = DEFAULT_RTOL):
    """Open loop of the lean patients ``patients`` (indices into the engine's packed batch).

    Returns glucose (n, n_out) [mg/dL] (plasma or interstitial), status (n,) and failure
    time (n,) [min], in the order of ``patients``.
    """
    n = len(patients)
    ys, lp, meal0, lane_pat = pack_blocks(y0, params, patients)
    row = int(L.plasma_glucose if signal == "plasma" else L.interstitial_glucose)
    g, st, ft = integrate_blocks(ys, lp, meal0, lane_pat, packed.seg_offset, packed.breakpoints, packed.inputs,
                                 packed.jumps, packed.meal_reset, np.asarray(t_out, float), row, float(rtol))
    return g.reshape(-1, g.shape[2])[:n], st.reshape(-1)[:n], ft.reshape(-1)[:n]


__all__ = ["L", "LP", "LANES", "NOT_TRACKED", "DEFAULT_RTOL", "eligible", "lean_parameters", "rhs_block", "advance_block",
           "integrate_blocks", "pack_blocks", "run_open_loop"]
