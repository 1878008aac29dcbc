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
calls: the gastric-emptying tanh uses :func:`glucostat.physiology.common.exp_neg`, a branch-free
exponential accurate to ~1e-14).

Time stepping: a block moves in lockstep with the additive (IMEX) Runge-Kutta pair
ARK4(3)6L[2]SA of Kennedy & Carpenter (2003): the linear part of the equations
(:func:`linear_part`: the insulin cascade, glucose exchange, absorption, sensor lag)
implicitly with its L-stable ESDIRK table, solved per lane by substitution
(:func:`solve_linear`), the rest explicitly. The stiff insulin exchange then no longer
limits the step (explicit Dormand-Prince needed ~700 steps per patient-day, this
~170 at the default tolerance). Steps stop at every breakpoint of any lane; outputs between step ends are cubic
Hermite values, checked against the pair's own dense output. At :data:`DEFAULT_RTOL` plasma glucose stays within ~0.02
mg/dL of ``solve_ivp`` (DOP853, rtol 1e-10) across the simglucose patients, generated
adult and adolescent cohorts (the fastest-absorbing patient ~0.03; tests), a tenth of
the 0.2 mg/dL goal; generated children, whose glucose turnover per kg is 2.4 times the
adults', within ~0.05 mg/dL.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numba import njit, prange

from .model import N_INPUTS, N_STATES, P, S, U
from .physiology.common import exp_neg
from .solver import (NEGATIVE_TOLERANCE_PER_ATOL, STATUS_MAX_STEPS, STATUS_NEGATIVE, STATUS_NOT_FINITE, STATUS_OK,
                     STATUS_STEP_TOO_SMALL)

#: Patients per block (lanes integrated in lockstep; 4 AVX2 vectors of float64).
LANES = 16
W = LANES
#: Default tolerance of the step control (relative, and absolute in units of :data:`ERROR_SCALE`):
#: glucose within ~0.02 mg/dL of solve_ivp in adults, ~0.05 in children (tests/test_lean.py), a quarter
#: of issue 6's 0.2 mg/dL at 0.75 times the steps of 1e-4 (docs/architecture.md, 'Population engine').
DEFAULT_RTOL = 3e-4
#: Interpolated outputs: allowed disagreement of the two interpolants, in units of the step tolerance.
INTERPOLATION_TOL_FACTOR = 3.0
#: Longest step [min]. It binds in fasting hours (the night, the hours after a meal's absorption):
#: 120 min takes ~5 % fewer steps per day than 30 min at the same glucose error (adult and child
#: cohorts: 0.023 and 0.036 mg/dL against solve_ivp; docs/architecture.md, 'Population engine').
MAX_STEP_MIN = 120.0
#: Step attempts per block and simulated day before a block gives up (status "too many steps").
MAX_STEPS_PER_DAY = 200_000


#: The lean states, in block-row order; each is the full model's state of the same name (:class:`S`).
LEAN_STATES = ("stomach_solid", "stomach_liquid", "gut", "plasma_glucose", "tissue_glucose", "liver_insulin",
               "plasma_insulin", "insulin_signal_1", "insulin_signal_liver", "remote_insulin", "sc_insulin_1",
               "sc_insulin_2", "interstitial_glucose", "regular_insulin_1", "regular_insulin_2", "glargine_depot",
               "glargine_tissue", "degludec_depot", "degludec_tissue")
#: Lean state layout (rows of a block).
L = IntEnum("L", {name: i for i, name in enumerate(LEAN_STATES)})
#: Rows every block integrates; the rows after them (regular, glargine and degludec depots) only
#: in blocks that hold or receive those products (:func:`block_rows`).
N_CORE = int(L.regular_insulin_1)
assert all(m >= N_CORE for m in (L.regular_insulin_2, L.glargine_depot, L.glargine_tissue, L.degludec_depot,
                                 L.degludec_tissue))


#: Full-model state of each lean state.
FULL_STATE = np.array([S[m.name] for m in L], dtype=np.int64)
NL = len(L)

#: Magnitude below which each lean state's error counts as absolute: the step control accepts
#: |error| <= rtol (scale + |y|) (Hairer et al. eq. II.4.10 with atol = rtol x scale). Scales
#: are small against each state's physiological range, so that states that cross or rest at
#: zero (X, an empty gut or depot) do not force needlessly small steps: 1 g of glucose in the
#: gut, 10 mg/dL-equivalents of glucose, 1 pmol/kg of plasma/liver insulin, 10 pmol/L of
#: insulin signals, 10 pmol/kg (~0.06 U in 70 kg) in a subcutaneous depot.
ERROR_SCALE = np.array([1e3, 1e3, 1e3, 10.0, 10.0, 1.0, 1.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0,
                        10.0, 10.0, 10.0, 10.0, 10.0, 10.0])
assert ERROR_SCALE.size == NL


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
    k_degludec_transit = 39


NLP = len(LP)
_DIRECT = [m for m in LP if m.name in P.__members__]

#: Report-only states of the full model that move in a type 1 patient but not in the lean kernel
#: (cumulative counters, the reported glycogen split, IGF-1 and its GH signal, the incretin signal,
#: the adipose insulin signal and plasma FFA, which do not act on glucose).
NOT_TRACKED = np.array([s for s in S if s.name.startswith("cum_") or s in (
    S.liver_glycogen, S.fasting_adaptation, S.igf1, S.gh_signal, S.incretin, S.adipose_insulin_1, S.adipose_insulin,
    S.plasma_ffa)], dtype=np.int64)

#: Full-model states a scenario jump may touch for the lean kernel to apply (lean states,
#: the meal size and cumulative counters, which the kernel does not report).
_JUMP_OK = np.zeros(N_STATES, dtype=np.bool_)
_JUMP_OK[FULL_STATE] = True
_JUMP_OK[S.meal_size] = True
_JUMP_OK[[s for s in S if s.name.startswith("cum_")]] = True
#: Lean row of each full-model state (-1: not a lean state; its impulses are not the kernel's).
LEAN_ROW = np.full(N_STATES, -1, dtype=np.int64)
LEAN_ROW[FULL_STATE] = np.arange(NL)


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
    limit; DM2007 kidney, linear hepatic and peripheral insulin action,
    no adrenaline response, no adapting beta-cell threshold; hepatic extraction 0 <= m6 < 1; and scenario jumps
    (``packed``: :class:`glucostat.engine.PackedScenarios`) only on lean states, the meal
    size or cumulative counters, and no exercise or NPH insulin input (drugs, exercise and the NPH
    depot are states the lean kernel does not carry).
    """
    y0 = np.atleast_2d(y0)
    p = np.atleast_2d(params)
    ok = (p[:, P.Sb] == 0.0) & (p[:, P.K] == 0.0) & (p[:, P.beta] == 0.0)
    ok &= (y0[:, S.static_secretion] == 0.0) & (y0[:, S.portal_insulin] == 0.0)
    quiet_glucagon = ((p[:, P.glucagon_hypoglycaemia_response] == 0.0) & (p[:, P.glucagon_excess_suppression] == 0.0)
                      & (y0[:, S.plasma_glucagon] == p[:, P.Hb]) & (y0[:, S.glucagon_fading] == 0.0))
    ok &= (p[:, P.glucagon_action] == 0.0) | quiet_glucagon
    ok &= (p[:, P.glycogen_model] == 0.0) & (p[:, P.renal_model] == 0.0)
    ok &= (p[:, P.m6] >= 0.0) & (p[:, P.m6] < 1.0)
    ok &= (p[:, P.hepatic_insulin_max_suppression] >= 1e9) & (p[:, P.insulin_uptake_ec50] >= 1e9)
    ok &= (p[:, P.hepatic_uptake_share] == 0.0) & (p[:, P.adrenaline_response] == 0.0)
    ok &= p[:, P.beta_threshold_adaptation] == 0.0
    bad_jump = ~_JUMP_OK[packed.jump_state] & (packed.jump_value != 0.0)
    jump_segment = np.repeat(np.arange(packed.jump_offset.size - 1), np.diff(packed.jump_offset))
    ok &= (y0[:, S.nph_insulin_1] == 0.0) & (y0[:, S.nph_insulin_2] == 0.0)
    bad_segment = ((packed.inputs[:, U.exercise] != 0.0) | (packed.inputs[:, U.meal_size_rate] != 0.0)
                   | (packed.inputs[:, U.sc_nph] != 0.0)).astype(np.int64)
    bad_segment[jump_segment[bad_jump]] = 1
    bad_before = np.concatenate([[0], np.cumsum(bad_segment)])
    ok &= bad_before[packed.segments[:, 1]] == bad_before[packed.segments[:, 0]]
    return ok


# --------------------------------------------------------------------------- right-hand side
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
        e1 = exp_neg(2.0 * min(abs(x1), 19.0))
        e2 = exp_neg(2.0 * min(abs(x2), 19.0))
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
        kdt = p[LP.k_degludec_transit * W + l]
        dy[L.degludec_tissue * W + l] = kdg * d1 - kdt * d2
        rai = ka1 * s1c + ka2 * s2c + 0.1 * kr * r1 + kr * r2 + klt * g2 + kdt * d2
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


@njit(cache=True, inline="always", error_model="numpy")
def _error_norm(err, y, y_new, rtol, status, lane_max, lane_nan, n_rows):
    """Largest error ratio ``|err| / (rtol (scale + max(|y|, |y_new|)))`` over states and live lanes
    (Hairer et al. eq. II.4.11 in the max norm, scales :data:`ERROR_SCALE`); NaN if any live
    lane's ratio is NaN or infinite (the step control relies on it).

    Maxima are kept per lane (``lane_max``, ``lane_nan``: scratch of W) so that every row is one
    elementwise vector sweep; a single running maximum over all values is a serial reduction
    (without fastmath, whose no-NaN assumption would drop the NaN values) and cost about as
    much as the right-hand side.
    """
    for l in range(W):
        lane_max[l] = 0.0
        lane_nan[l] = 0.0
    for row in range(n_rows):
        scale = ERROR_SCALE[row]
        for l in range(W):
            m = row * W + l
            ratio = abs(err[m]) / (rtol * (scale + max(abs(y[m]), abs(y_new[m]))))
            lane_nan[l] += 0.0 * ratio  # NaN if the ratio is NaN or infinite
            lane_max[l] = ratio if ratio > lane_max[l] else lane_max[l]
    e = 0.0
    for l in range(W):
        if status[l] == STATUS_OK:
            v = lane_max[l] + lane_nan[l]
            if v != v:
                return v
            e = max(e, v)
    return e


# --------------------------------------------------------------------------- block stepping
@njit(cache=True, inline="always", error_model="numpy")
def _apply_due(t, y, p, meal, meal_size, u, lane_pat, segments, bps, inputs, jump_offset, jump_state, jump_value,
               reset, ptr, add_u, pulse_u, in_pulse):
    """Apply the jumps due at ``t`` in every lane, set the lanes' inputs; return the next breakpoint."""
    t_next = 1e300
    for l in range(W):
        i = lane_pat[l]
        s0 = segments[i, 0]
        nseg = segments[i, 1] - s0
        b0 = segments[i, 2]  # patient i's breakpoints start here (one more than its segments)
        while ptr[l] < nseg and bps[b0 + ptr[l]] <= t + 1e-9:
            k = s0 + ptr[l]
            new_meal = reset[k]
            if reset[k]:
                meal_size[l] = y[L.stomach_solid * W + l] + y[L.stomach_liquid * W + l]
            for j in range(jump_offset[k], jump_offset[k + 1]):
                state = jump_state[j]
                if state == S.meal_size:
                    meal_size[l] += jump_value[j]
                    new_meal = True
                elif LEAN_ROW[state] >= 0:
                    y[LEAN_ROW[state] * W + l] += jump_value[j]
            if new_meal:
                _set_meal(meal_size[l], p, meal, l)
            ptr[l] += 1
        seg = s0 + max(ptr[l] - 1, 0)
        for m in range(N_INPUTS):
            u[m * W + l] = inputs[seg, m] + add_u[m * W + l] + (pulse_u[m * W + l] if in_pulse else 0.0)
        if ptr[l] <= nseg and bps[b0 + ptr[l]] < t_next:
            t_next = bps[b0 + ptr[l]]
    return t_next


@njit(cache=True)
def block_rows(y, lane_pat, segments, inputs, jump_offset, jump_state, long_acting_input):
    """How many lean rows a block must integrate: :data:`NL` if any lane holds regular or
    long-acting insulin (``y``), receives it from its scenario (inputs or impulses) or may
    receive it from its controller (``long_acting_input``), else :data:`N_CORE` (those depots
    then stay exactly zero, and integrating them would only add zeros)."""
    if long_acting_input:
        return NL
    for row in range(N_CORE, NL):
        for l in range(W):
            if y[row * W + l] != 0.0:
                return NL
    for l in range(W):
        i = lane_pat[l]
        for k in range(segments[i, 0], segments[i, 1]):
            if inputs[k, U.sc_regular] != 0.0 or inputs[k, U.sc_glargine] != 0.0 or inputs[k, U.sc_degludec] != 0.0:
                return NL
            for j in range(jump_offset[k], jump_offset[k + 1]):
                if LEAN_ROW[jump_state[j]] >= N_CORE:
                    return NL
    return N_CORE


# --------------------------------------------------------------------------- IMEX Runge-Kutta
# ARK4(3)6L[2]SA: Kennedy CA, Carpenter MH. Additive Runge-Kutta schemes for convection-diffusion-
# reaction equations. Appl Numer Math 2003;44:139-181 (the 4th-order pair with 3rd-order embedding,
# L-stable stiffly-accurate ESDIRK implicit part, gamma = 1/4). Explicit table _AE, implicit _AI.
_ARK_STAGES = 6
_GAMMA = 0.25
_AE = np.zeros((6, 6))
_AE[1, 0] = 0.5
_AE[2, :2] = (13861 / 62500, 6889 / 62500)
_AE[3, :3] = (-116923316275 / 2393684061468, -2731218467317 / 15368042101831, 9408046702089 / 11113171139209)
_AE[4, :4] = (-451086348788 / 2902428689909, -2682348792572 / 7519795681897, 12662868775082 / 11960479115383,
              3355817975965 / 11060851509271)
_AE[5, :5] = (647845179188 / 3216320057751, 73281519250 / 8382639484533, 552539513391 / 3454668386233,
              3354512671639 / 8306763924573, 4040 / 17871)
_B = np.array([82889 / 524892, 0.0, 15625 / 83664, 69875 / 102672, -2260 / 8211, 0.25])
_BHAT = np.array([4586570599 / 29645900160, 0.0, 178811875 / 945068544, 814220225 / 1159782912,
                  -3700637 / 11593932, 61727 / 225920])
_AI = np.zeros((6, 6))
_AI[1, :2] = (0.25, 0.25)
_AI[2, :3] = (8611 / 62500, -1743 / 31250, 0.25)
_AI[3, :4] = (5012029 / 34652500, -654441 / 2922500, 174375 / 388108, 0.25)
_AI[4, :5] = (15267082809 / 155376265600, -71443401 / 120774400, 730878875 / 902184768, 2285395 / 8070912, 0.25)
_AI[5, :] = _B
#: Dense output (3rd order, Kennedy & Carpenter 2003): y(t + th h) = y + h sum_i b*_i(th) F_i with
#: b*_i(th) = sum_k _BSTAR[i, k] th^(k+1) (b*_i(1) = b_i).
_BSTAR = np.array([
    [6943876665148 / 7220017795957, -54480133 / 30881146, 6818779379841 / 7100303317025],
    [0.0, 0.0, 0.0],
    [7640104374378 / 9702883013639, -11436875 / 14766696, 2173542590792 / 12501825683035],
    [-20649996744609 / 7521556579894, 174696575 / 18121608, -31592104683404 / 5083833661969],
    [8854892464581 / 2390941311638, -12120380 / 966161, 61146701046299 / 7138195549469],
    [-11397109935349 / 6675773540249, 3843 / 706, -17219254887155 / 4939391667607],
])
assert np.allclose(_BSTAR.sum(axis=1), _B)
#: Step-size exponent: the embedded solution is 3rd order (error ~ h^4).
_ERR_EXPONENT = -0.25


@njit(cache=True, inline="always")
def next_step_ark(h, e, accepted):
    """The next step after a step ``h`` with error ratio ``e`` (Hairer et al. II.4, exponent 1/4 of the
    3rd-order embedding, safety 0.9): the factor within [0.2, 5] after an accepted step, within [0.2, 0.9]
    after a rejected one."""
    if accepted:
        return h * (min(5.0, max(0.2, 0.9 * e ** _ERR_EXPONENT)) if e > 0.0 else 5.0)
    return h * max(0.2, 0.9 * e ** _ERR_EXPONENT)


@njit(cache=True, inline="always")
def _depot_rates(p, l):
    """Lane ``l``'s subcutaneous rate constants: kd, ka1, ka2, k_regular, k_glargine, k_degludec, the
    glargine and the degludec tissue transit."""
    return (p[LP.kd * W + l], p[LP.ka1 * W + l], p[LP.ka2 * W + l], p[LP.k_regular * W + l],
            p[LP.k_glargine * W + l], p[LP.k_degludec * W + l], p[LP.k_long_transit * W + l],
            p[LP.k_degludec_transit * W + l])


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def linear_part(z, p, fi):
    """The linear (stiff) part of :func:`rhs_block`, treated implicitly; written on every row.

    It is the whole insulin cascade (subcutaneous depots -> appearance -> liver/plasma insulin
    exchange and clearance, DM2007 eqs. 2-5 -> delayed signals I1, Id and remote action X,
    eqs. 11, 18 without the constant -p2U Ib), the plasma/tissue glucose exchange k1, k2 (eq. 1),
    gut absorption kabs and grinding kgri (eq. 13) and the sensor lag (Dalla Man 2014 eq. A17).
    The rest (gastric emptying, liver output, uptake, kidney, inputs) is the explicit part
    ``rhs_block - linear_part``. The liver/plasma insulin exchange (eigenvalues down to about
    -1.3/min) is what limits explicit methods to ~3-min steps (docs/architecture.md).
    """
    for l in range(W):
        kd, ka1, ka2, kr, kg, kdg, klt, kdt = _depot_rates(p, l)
        s1 = z[L.sc_insulin_1 * W + l]
        s2 = z[L.sc_insulin_2 * W + l]
        r1 = z[L.regular_insulin_1 * W + l]
        r2 = z[L.regular_insulin_2 * W + l]
        g1 = z[L.glargine_depot * W + l]
        g2 = z[L.glargine_tissue * W + l]
        d1 = z[L.degludec_depot * W + l]
        d2 = z[L.degludec_tissue * W + l]
        fi[L.sc_insulin_1 * W + l] = -(kd + ka1) * s1
        fi[L.sc_insulin_2 * W + l] = kd * s1 - ka2 * s2
        fi[L.regular_insulin_1 * W + l] = -kr * r1
        fi[L.regular_insulin_2 * W + l] = 0.9 * kr * r1 - kr * r2
        fi[L.glargine_depot * W + l] = -kg * g1
        fi[L.glargine_tissue * W + l] = kg * g1 - klt * g2
        fi[L.degludec_depot * W + l] = -kdg * d1
        fi[L.degludec_tissue * W + l] = kdg * d1 - kdt * d2
        appearance = ka1 * s1 + ka2 * s2 + 0.1 * kr * r1 + kr * r2 + klt * g2 + kdt * d2
        il = z[L.liver_insulin * W + l]
        ip = z[L.plasma_insulin * W + l]
        m1 = p[LP.m1 * W + l]
        m2 = p[LP.m2 * W + l]
        fi[L.liver_insulin * W + l] = -(m1 + p[LP.m3 * W + l]) * il + m2 * ip
        fi[L.plasma_insulin * W + l] = m1 * il - (m2 + p[LP.m4 * W + l]) * ip + appearance
        ins = ip * p[LP.inv_VI * W + l]
        ki = p[LP.ki * W + l]
        p2u = p[LP.p2U * W + l]
        i1 = z[L.insulin_signal_1 * W + l]
        fi[L.insulin_signal_1 * W + l] = -ki * (i1 - ins)
        fi[L.insulin_signal_liver * W + l] = -ki * (z[L.insulin_signal_liver * W + l] - i1)
        fi[L.remote_insulin * W + l] = -p2u * z[L.remote_insulin * W + l] + p2u * ins
        gp = z[L.plasma_glucose * W + l]
        gt = z[L.tissue_glucose * W + l]
        k1 = p[LP.k1 * W + l]
        k2 = p[LP.k2 * W + l]
        fi[L.plasma_glucose * W + l] = -k1 * gp + k2 * gt
        fi[L.tissue_glucose * W + l] = k1 * gp - k2 * gt
        fi[L.gut * W + l] = -p[LP.kabs * W + l] * z[L.gut * W + l]
        fi[L.stomach_solid * W + l] = -p[LP.kgri * W + l] * z[L.stomach_solid * W + l]
        fi[L.stomach_liquid * W + l] = 0.0
        fi[L.interstitial_glucose * W + l] = -p[LP.ksc * W + l] * (z[L.interstitial_glucose * W + l] - gp)


#: Rows of the per-step factors of the implicit solve (:func:`solve_factors`).
_Q_SC1, _Q_SC2, _Q_REG, _Q_GLA, _Q_DEG, _Q_LT, _Q_I11, _Q_I12, _Q_I21, _Q_I22, _Q_KI, _Q_P2U, _Q_G11, _Q_G12, \
    _Q_G21, _Q_G22, _Q_ABS, _Q_GRI, _Q_SEN, _Q_LTD = range(20)
NQ = 20


@njit(cache=True, inline="always", error_model="numpy")
def _inverse_2x2(a11, a12, a21, a22, q, at, stride):
    """Write the inverse of [[a11, a12], [a21, a22]] row-major into q[at + k stride], k = 0..3."""
    det = a11 * a22 - a12 * a21
    q[at] = a22 / det
    q[at + stride] = -a12 / det
    q[at + 2 * stride] = -a21 / det
    q[at + 3 * stride] = a11 / det


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def solve_factors(p, c, q):
    """The reciprocals and 2x2 inverses :func:`solve_linear` needs for ``c`` = h gamma, once per step
    (every stage of an ESDIRK step shares gamma), so that the five stage solves only multiply."""
    for l in range(W):
        kd, ka1, ka2, kr, kg, kdg, klt, kdt = _depot_rates(p, l)
        q[_Q_SC1 * W + l] = 1.0 / (1.0 + c * (kd + ka1))
        q[_Q_SC2 * W + l] = 1.0 / (1.0 + c * ka2)
        q[_Q_REG * W + l] = 1.0 / (1.0 + c * kr)
        q[_Q_GLA * W + l] = 1.0 / (1.0 + c * kg)
        q[_Q_DEG * W + l] = 1.0 / (1.0 + c * kdg)
        q[_Q_LT * W + l] = 1.0 / (1.0 + c * klt)
        q[_Q_LTD * W + l] = 1.0 / (1.0 + c * kdt)
        m1 = p[LP.m1 * W + l]
        m2 = p[LP.m2 * W + l]
        _inverse_2x2(1.0 + c * (m1 + p[LP.m3 * W + l]), -c * m2, -c * m1, 1.0 + c * (m2 + p[LP.m4 * W + l]), q,
                     _Q_I11 * W + l, W)
        q[_Q_KI * W + l] = 1.0 / (1.0 + c * p[LP.ki * W + l])
        q[_Q_P2U * W + l] = 1.0 / (1.0 + c * p[LP.p2U * W + l])
        k1 = p[LP.k1 * W + l]
        k2 = p[LP.k2 * W + l]
        _inverse_2x2(1.0 + c * k1, -c * k2, -c * k1, 1.0 + c * k2, q, _Q_G11 * W + l, W)
        q[_Q_ABS * W + l] = 1.0 / (1.0 + c * p[LP.kabs * W + l])
        q[_Q_GRI * W + l] = 1.0 / (1.0 + c * p[LP.kgri * W + l])
        q[_Q_SEN * W + l] = 1.0 / (1.0 + c * p[LP.ksc * W + l])


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def solve_linear(r, p, c, q, z):
    """``z = (I - c J)^-1 r`` with J the matrix of :func:`linear_part` (an implicit stage).

    J is block lower-triangular along the cascade, so the solve is a substitution: each
    depot, then liver/plasma insulin (a 2x2 system with the depots' appearance), the signals,
    plasma/tissue glucose (2x2), the sensor, the gut; the liquid stomach is explicit (z = r).
    ``q`` holds the factors of :func:`solve_factors` for the same ``c``.
    """
    for l in range(W):
        kd, ka1, ka2, kr, kg, kdg, klt, kdt = _depot_rates(p, l)
        s1 = r[L.sc_insulin_1 * W + l] * q[_Q_SC1 * W + l]
        s2 = (r[L.sc_insulin_2 * W + l] + c * kd * s1) * q[_Q_SC2 * W + l]
        r1 = r[L.regular_insulin_1 * W + l] * q[_Q_REG * W + l]
        r2 = (r[L.regular_insulin_2 * W + l] + c * 0.9 * kr * r1) * q[_Q_REG * W + l]
        g1 = r[L.glargine_depot * W + l] * q[_Q_GLA * W + l]
        g2 = (r[L.glargine_tissue * W + l] + c * kg * g1) * q[_Q_LT * W + l]
        d1 = r[L.degludec_depot * W + l] * q[_Q_DEG * W + l]
        d2 = (r[L.degludec_tissue * W + l] + c * kdg * d1) * q[_Q_LTD * W + l]
        z[L.sc_insulin_1 * W + l] = s1
        z[L.sc_insulin_2 * W + l] = s2
        z[L.regular_insulin_1 * W + l] = r1
        z[L.regular_insulin_2 * W + l] = r2
        z[L.glargine_depot * W + l] = g1
        z[L.glargine_tissue * W + l] = g2
        z[L.degludec_depot * W + l] = d1
        z[L.degludec_tissue * W + l] = d2
        appearance = ka1 * s1 + ka2 * s2 + 0.1 * kr * r1 + kr * r2 + klt * g2 + kdt * d2
        q1 = r[L.liver_insulin * W + l]
        q2 = r[L.plasma_insulin * W + l] + c * appearance
        ip = q[_Q_I21 * W + l] * q1 + q[_Q_I22 * W + l] * q2
        z[L.liver_insulin * W + l] = q[_Q_I11 * W + l] * q1 + q[_Q_I12 * W + l] * q2
        z[L.plasma_insulin * W + l] = ip
        ins = ip * p[LP.inv_VI * W + l]
        ki = p[LP.ki * W + l]
        i1 = (r[L.insulin_signal_1 * W + l] + c * ki * ins) * q[_Q_KI * W + l]
        z[L.insulin_signal_1 * W + l] = i1
        z[L.insulin_signal_liver * W + l] = (r[L.insulin_signal_liver * W + l] + c * ki * i1) * q[_Q_KI * W + l]
        z[L.remote_insulin * W + l] = ((r[L.remote_insulin * W + l] + c * p[LP.p2U * W + l] * ins)
                                       * q[_Q_P2U * W + l])
        sa = r[L.plasma_glucose * W + l]
        sb = r[L.tissue_glucose * W + l]
        gp = q[_Q_G11 * W + l] * sa + q[_Q_G12 * W + l] * sb
        z[L.plasma_glucose * W + l] = gp
        z[L.tissue_glucose * W + l] = q[_Q_G21 * W + l] * sa + q[_Q_G22 * W + l] * sb
        z[L.gut * W + l] = r[L.gut * W + l] * q[_Q_ABS * W + l]
        z[L.stomach_solid * W + l] = r[L.stomach_solid * W + l] * q[_Q_GRI * W + l]
        z[L.stomach_liquid * W + l] = r[L.stomach_liquid * W + l]
        z[L.interstitial_glucose * W + l] = ((r[L.interstitial_glucose * W + l] + c * p[LP.ksc * W + l] * gp)
                                             * q[_Q_SEN * W + l])


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _stage_input(i, h, y, F, J, r, n):
    """``r = y + h sum_{k<i} [AE_ik F_k + (AI_ik - AE_ik) J_k]`` in one pass over the block (stage i of
    the IMEX pair; the explicit part is F minus the linear part J, so the linear part enters with the
    implicit weights). One branch per stage so that each loop is a straight vectorisable sweep."""
    a0 = h * _AE[i, 0]
    b0 = h * (_AI[i, 0] - _AE[i, 0])
    if i == 1:
        for m in range(n):
            r[m] = y[m] + a0 * F[0, m] + b0 * J[0, m]
        return
    a1 = h * _AE[i, 1]
    b1 = h * (_AI[i, 1] - _AE[i, 1])
    if i == 2:
        for m in range(n):
            r[m] = y[m] + a0 * F[0, m] + b0 * J[0, m] + a1 * F[1, m] + b1 * J[1, m]
        return
    a2 = h * _AE[i, 2]
    b2 = h * (_AI[i, 2] - _AE[i, 2])
    if i == 3:
        for m in range(n):
            r[m] = (y[m] + a0 * F[0, m] + b0 * J[0, m] + a1 * F[1, m] + b1 * J[1, m] + a2 * F[2, m]
                    + b2 * J[2, m])
        return
    a3 = h * _AE[i, 3]
    b3 = h * (_AI[i, 3] - _AE[i, 3])
    if i == 4:
        for m in range(n):
            r[m] = (y[m] + a0 * F[0, m] + b0 * J[0, m] + a1 * F[1, m] + b1 * J[1, m] + a2 * F[2, m]
                    + b2 * J[2, m] + a3 * F[3, m] + b3 * J[3, m])
        return
    a4 = h * _AE[i, 4]
    b4 = h * (_AI[i, 4] - _AE[i, 4])
    for m in range(n):
        r[m] = (y[m] + a0 * F[0, m] + b0 * J[0, m] + a1 * F[1, m] + b1 * J[1, m] + a2 * F[2, m]
                + b2 * J[2, m] + a3 * F[3, m] + b3 * J[3, m] + a4 * F[4, m] + b4 * J[4, m])


@njit(cache=True, inline="always", error_model="numpy")
def _stage_rates(z, r, c, j, n):
    """The linear part at an implicit stage's solution, ``J z = (z - r) / c``, from the stage equation
    ``z = r + c J z`` (:func:`solve_linear`) instead of a second evaluation of :func:`linear_part`
    (exact up to round-off of ~eps |z| / c, far below the step's error)."""
    inv_c = 1.0 / c
    for m in range(n):
        j[m] = (z[m] - r[m]) * inv_c


@njit(cache=True, inline="always", fastmath={"contract"}, error_model="numpy")
def _combine(h, y, F, y_new, err, n):
    """``y_new = y + h sum_k b_k F_k`` and the embedded error ``h sum_k (b_k - bhat_k) F_k``, one pass."""
    b0, b1, b2, b3, b4, b5 = h * _B[0], h * _B[1], h * _B[2], h * _B[3], h * _B[4], h * _B[5]
    e0, e1, e2 = h * (_B[0] - _BHAT[0]), h * (_B[1] - _BHAT[1]), h * (_B[2] - _BHAT[2])
    e3, e4, e5 = h * (_B[3] - _BHAT[3]), h * (_B[4] - _BHAT[4]), h * (_B[5] - _BHAT[5])
    for m in range(n):
        f0, f1, f2, f3, f4, f5 = F[0, m], F[1, m], F[2, m], F[3, m], F[4, m], F[5, m]
        y_new[m] = y[m] + b0 * f0 + b1 * f1 + b2 * f2 + b3 * f3 + b4 * f4 + b5 * f5
        err[m] = e0 * f0 + e1 * f1 + e2 * f2 + e3 * f3 + e4 * f4 + e5 * f5


@njit(cache=True)
def workspace():
    """Scratch of :func:`advance_block`: stage derivatives F and linear parts J (6, NL*W), five
    separate state-sized arrays, the solve factors (NQ*W) and two per-lane arrays (W) (separate
    allocations let LLVM vectorise without aliasing checks between them)."""
    n = NL * W
    return (np.zeros((_ARK_STAGES, n)), np.zeros((_ARK_STAGES, n)), np.zeros(n), np.zeros(n), np.zeros(n),
            np.zeros(n), np.zeros(n), np.zeros(NQ * W), np.zeros(W), np.zeros(W))


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def advance_block(n_rows, t0, t1, h, y, p, meal, meal_size, lane_pat, segments, bps, inputs, jump_offset, jump_state,
                  jump_value, reset, ptr, add_u, pulse_u, pulse_end, rtol, status, fail_time, ws, t_out, j_out, out,
                  out_rows):
    """Advance one block in place from ``t0`` to ``t1`` [min]; IMEX ARK4(3)6L[2]SA in lockstep.

    ``n_rows``: the leading lean states the block integrates (:func:`block_rows`; the depots
    of regular and long-acting insulin after :data:`N_CORE` stay exactly zero in blocks that
    neither hold nor receive those products, so their rows are skipped there).

    Each step solves the stiff linear part (:func:`linear_part`) implicitly with the L-stable
    ESDIRK table and the rest explicitly (Kennedy & Carpenter 2003), so the step follows the
    accuracy of glucose and gut, not the stability of the insulin exchange; the step is
    controlled with the embedded 3rd-order solution in the max norm over states and live
    lanes (per-state scales :data:`ERROR_SCALE`). Jumps due at ``t0``, at every breakpoint in
    between and at ``t1`` are applied (states at ``t1`` are right-continuous, as in
    :func:`glucostat.engine.advance_patient`); ``add_u`` (N_INPUTS*W) is added to the inputs
    throughout and ``pulse_u`` until ``pulse_end`` (closed-loop basal and boluses). ``ptr``
    (W,) are the lanes' scenario pointers. Lanes that fail (non-finite or negative state) get
    a status and stop counting in the step control. ``ws`` is scratch (:func:`workspace`).

    Outputs: from index ``j_out`` on, every ``t_out`` within [t0, t1] gets ``y[out_rows[r]]/VG``
    of each live lane in ``out[r]`` (len(out_rows), W, n_out): exact at step ends (after the jumps at a
    breakpoint), cubic Hermite between them, so steps need not stop at output times; a step
    whose Hermite values disagree with the method's own 3rd-order dense output (``_BSTAR``)
    beyond the tolerance is retried shorter (:func:`_interpolation_ok`). Returns (proposed next step [min], next
    j_out, step attempts).
    """
    n = n_rows * W
    F, J, y_stage, r, y_new, err, u, q, lane_a, lane_b = ws
    c_factors = -1.0
    t = t0
    max_steps = int(MAX_STEPS_PER_DAY * max(t1 - t0, 1.0) / 1440.0) + 1000
    steps = 0
    n_out = t_out.shape[0]
    has_pulse = False  # a pulse of zero in every lane needs no step boundary at its end
    for m in range(N_INPUTS * W):
        if pulse_u[m] != 0.0:
            has_pulse = True
    while True:
        in_pulse = has_pulse and t < pulse_end - 1e-12
        t_stop = _apply_due(t, y, p, meal, meal_size, u, lane_pat, segments, bps, inputs, jump_offset, jump_state,
                            jump_value, reset, ptr,
                            add_u, pulse_u, in_pulse)
        while j_out < n_out and t_out[j_out] <= t + 1e-9:
            _record(y, p, status, out, j_out, out_rows)
            j_out += 1
        if t >= t1 - 1e-9:
            break
        t_stop = min(t_stop, t1)
        if in_pulse and pulse_end < t_stop:
            t_stop = pulse_end
        rhs_block(y, u, p, meal, F[0])
        linear_part(y, p, J[0])
        while t < t_stop - 1e-9:
            h_proposed = h
            last = t + h >= t_stop - 1e-9
            if last:
                h = t_stop - t
            c = h * _GAMMA
            if c != c_factors:  # steps often repeat (a control interval, the longest step)
                solve_factors(p, c, q)
                c_factors = c
            for i in range(1, _ARK_STAGES):
                _stage_input(i, h, y, F, J, r, n)
                solve_linear(r, p, c, q, y_stage)
                rhs_block(y_stage, u, p, meal, F[i])
                _stage_rates(y_stage, r, c, J[i], n)
            _combine(h, y, F, y_new, err, n)
            e = _error_norm(err, y, y_new, rtol, status, lane_a, lane_b, n_rows)
            steps += 1
            if not (e <= 1.0 or e > 1.0):  # NaN: find and retire the lanes that produced it
                _retire_nonfinite(t, y_new, y, status, fail_time)
                h = 0.5 * h
                continue
            if steps > max_steps or h < 1e-10:
                code = STATUS_MAX_STEPS if steps > max_steps else STATUS_STEP_TOO_SMALL
                for l in range(W):
                    if status[l] == STATUS_OK:
                        status[l] = code
                        fail_time[l] = t
                return h_proposed, j_out, steps
            if e <= 1.0:
                t_new = t_stop if last else t + h
                have_f_new = False
                if j_out < n_out and t_out[j_out] < t_new - 1e-9:
                    have_f_new = True
                    # outputs inside the step: the dense output must agree with the cubic Hermite
                    # interpolant within the tolerance, else the step is too long to interpolate
                    rhs_block(y_new, u, p, meal, r)
                    if not _interpolation_ok(t, h, t_out, j_out, t_new, y, F, y_new, r, status, out_rows, rtol):
                        h = 0.5 * h
                        continue
                    while j_out < n_out and t_out[j_out] < t_new - 1e-9:
                        _hermite(t, h, t_out[j_out], y, F[0], y_new, r, p, status, out, j_out, out_rows)
                        j_out += 1
                clipped = _accept(y_new, y, status, fail_time, t_new, rtol, lane_a, n_rows)
                if not last:  # at a stop, F[0] and J[0] are recomputed after the stop's jumps and inputs
                    if have_f_new and not clipped:
                        for m in range(n):
                            F[0, m] = r[m]  # f(y_new), computed for the interpolation check
                    else:
                        rhs_block(y, u, p, meal, F[0])
                    linear_part(y, p, J[0])
                if not last:
                    while j_out < n_out and t_out[j_out] <= t_new + 1e-9:
                        _record(y, p, status, out, j_out, out_rows)
                        j_out += 1
                t = t_new
                h = h_proposed if last and h < h_proposed else next_step_ark(h, e, True)
            else:
                h = next_step_ark(h, e, False)
            h = min(h, MAX_STEP_MIN)
    return h, j_out, steps


@njit(cache=True, inline="always")
def _record(y, p, status, out, j, rows):
    for r in range(rows.shape[0]):
        for l in range(W):
            if status[l] == STATUS_OK:
                out[r, l, j] = y[rows[r] * W + l] / p[LP.VG * W + l]


@njit(cache=True, inline="always")
def _hermite_basis(th):
    """Cubic Hermite basis at th in [0, 1]: weights of y0, h f0, y1, h f1 (Hairer et al. II.6)."""
    return ((1.0 + 2.0 * th) * (1.0 - th) * (1.0 - th), th * (1.0 - th) * (1.0 - th), th * th * (3.0 - 2.0 * th),
            th * th * (th - 1.0))


@njit(cache=True, inline="always", fastmath={"contract"})
def _interpolation_ok(t, h, t_out, j, t_new, y, F, y_new, f_new, status, rows, rtol):
    """Whether the dense output of the states ``rows`` at the outputs inside [t, t_new) agrees with the
    cubic Hermite interpolant (from y, F[0], y_new, f_new; Hairer et al. II.6) within
    INTERPOLATION_TOL_FACTOR rtol (scale + |y|) in every live lane. Two interpolants of
    different construction that agree are both close to the solution; after an impulse (an IV bolus) a long step can
    integrate the fast transient accurately to its end yet be too long to interpolate."""
    while j < t_out.shape[0] and t_out[j] < t_new - 1e-9:
        th = (t_out[j] - t) / h
        h00, h10, h01, h11 = _hermite_basis(th)
        for r in range(rows.shape[0]):
            row = rows[r]
            scale = ERROR_SCALE[row]
            for l in range(W):
                if status[l] == STATUS_OK:
                    m = row * W + l
                    v = y[m]
                    for i in range(_ARK_STAGES):
                        v += h * th * (_BSTAR[i, 0] + th * (_BSTAR[i, 1] + th * _BSTAR[i, 2])) * F[i, m]
                    vh = h00 * y[m] + h10 * h * F[0, m] + h01 * y_new[m] + h11 * h * f_new[m]
                    if abs(v - vh) > INTERPOLATION_TOL_FACTOR * rtol * (scale + abs(y[m])):
                        return False
        j += 1
    return True


@njit(cache=True, inline="always", fastmath={"contract"})
def _hermite(t, h, t_o, y0, f0, y1, f1, p, status, out, j, rows):
    """Cubic Hermite interpolation of the states ``rows`` at ``t_o`` in the step [t, t + h] (Hairer et al. II.6)."""
    h00, h10, h01, h11 = _hermite_basis((t_o - t) / h)
    for r in range(rows.shape[0]):
        row = rows[r]
        for l in range(W):
            if status[l] == STATUS_OK:
                m = row * W + l
                v = h00 * y0[m] + h10 * h * f0[m] + h01 * y1[m] + h11 * h * f1[m]
                out[r, l, j] = max(v, 0.0) / p[LP.VG * W + l]


@njit(cache=True, inline="always")
def _retire_nonfinite(t, y_new, y, status, fail_time):
    """Mark lanes whose trial step is not finite as failed; keep their last good state."""
    for l in range(W):
        bad = False
        for row in range(NL):
            if not np.isfinite(y_new[row * W + l]):
                bad = True
        if bad and status[l] == STATUS_OK:
            status[l] = STATUS_NOT_FINITE
            fail_time[l] = t
        if bad:
            for row in range(NL):
                if not np.isfinite(y[row * W + l]):
                    y[row * W + l] = 0.0


@njit(cache=True, inline="always", fastmath={"contract"})
def _accept(y_new, y, status, fail_time, t, rtol, lane_low, n_rows):
    """Take the step: small negatives of non-negative states (all but X) -> 0; deeper ones fail the lane.

    Returns True if any value was set to 0. ``lane_low`` is scratch (W): lowest values per lane,
    so that each row is an elementwise vector sweep (the step is accepted, so values are finite).
    """
    for l in range(W):
        lane_low[l] = 0.0
    for row in range(n_rows):
        if row == L.remote_insulin:
            for l in range(W):
                y[row * W + l] = y_new[row * W + l]
            continue
        for l in range(W):
            v = y_new[row * W + l]
            lane_low[l] = v if v < lane_low[l] else lane_low[l]
            y[row * W + l] = v if v > 0.0 else 0.0
    lowest = 0.0
    for l in range(W):
        lowest = min(lowest, lane_low[l])
    bound = -NEGATIVE_TOLERANCE_PER_ATOL * rtol  # the adaptive solver's convention
    if lowest < bound:
        for row in range(NL):
            for l in range(W):
                if row != L.remote_insulin and y_new[row * W + l] < bound and status[l] == STATUS_OK:
                    status[l] = STATUS_NEGATIVE
                    fail_time[l] = t
    return lowest < 0.0


@njit(cache=True, parallel=True, error_model="numpy")
def integrate_blocks(y0, params, meal0, lane_pat, dest, n_dest, segments, bps, inputs, jump_offset, jump_state,
                     jump_value, reset, t_out, signal_row, rtol):
    """Open loop for ``nb`` blocks: glucose (n_dest, n_out) [mg/dL], status and failure time (n_dest,), and
    the step attempts of each block (nb,).

    ``y0`` (nb, NL*W), ``params`` (nb, NLP*W), ``meal0`` (nb, W) meal sizes, ``lane_pat``
    (nb, W) the patient of each lane in the packed scenarios (as :func:`glucostat.engine.
    integrate_batch`), ``dest`` (nb, W) the result row of each lane (-1: a padding lane, not kept):
    each block writes its rows where the caller wants them, so blocks may hold the patients in any order.
    Outputs are right-continuous at breakpoints; NaN after a failure.
    """
    nb = y0.shape[0]
    n_out = t_out.shape[0]
    glucose = np.empty((n_dest, n_out))
    status = np.zeros(n_dest, dtype=np.int64)
    fail_time = np.full(n_dest, np.nan)
    n_steps = np.zeros(nb, dtype=np.int64)
    for b in prange(nb):
        n_steps[b] = _open_loop_block(b, y0, params, meal0, lane_pat, dest, segments, bps, inputs, jump_offset,
                                      jump_state, jump_value, reset, t_out, signal_row, rtol, glucose, status,
                                      fail_time)
    return glucose, status, fail_time, n_steps


@njit(cache=True, error_model="numpy")
def _open_loop_block(b, y0, params, meal0, lane_pat, dest, segments, bps, inputs, jump_offset, jump_state, jump_value,
                     reset, t_out, signal_row, rtol, glucose, status, fail_time):
    """Block ``b`` of :func:`integrate_blocks` (a plain function: the parallel loop only calls it), into a
    block-local buffer copied to the lanes' result rows at the end."""
    y = y0[b].copy()
    p = params[b]
    meal_size = meal0[b].copy()
    meal = np.zeros(5 * W)
    for l in range(W):
        _set_meal(meal_size[l], p, meal, l)
    zeros = np.zeros(N_INPUTS * W)
    ptr = np.zeros(W, dtype=np.int64)
    n_out = t_out.shape[0]
    local = np.full((1, W, n_out), np.nan)
    lane_status = np.zeros(W, dtype=np.int64)
    lane_fail = np.full(W, np.nan)
    n_rows = block_rows(y, lane_pat[b], segments, inputs, jump_offset, jump_state, False)
    _, _, steps = advance_block(n_rows, t_out[0], t_out[-1], 1.0, y, p, meal, meal_size, lane_pat[b], segments, bps,
                                inputs, jump_offset, jump_state, jump_value, reset, ptr, zeros, zeros, -1.0, rtol,
                                lane_status, lane_fail, workspace(), t_out, 0, local, np.full(1, signal_row))
    for l in range(W):
        row = dest[b, l]
        if row >= 0:
            for j in range(n_out):
                glucose[row, j] = local[0, l, j]
            status[row] = lane_status[l]
            fail_time[row] = lane_fail[l]
    return steps


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
    patients = np.asarray(patients, dtype=np.int64)
    n = patients.size
    order = similar_order(params, packed, patients)
    ys, lp, meal0, lane_pat = pack_blocks(y0, params, patients[order])
    dest = np.full(lane_pat.size, -1, dtype=np.int64)
    dest[:n] = order  # lane k of the packed blocks holds patients[order[k]]: its results go to row order[k]
    row = int(L.plasma_glucose if signal == "plasma" else L.interstitial_glucose)
    g, st, ft, _ = integrate_blocks(ys, lp, meal0, lane_pat, dest.reshape(lane_pat.shape), n, packed.segments,
                                    packed.breakpoints, packed.inputs, *packed.jump_arrays, packed.meal_reset,
                                    np.asarray(t_out, float), row, float(rtol))
    return g, st, ft


#: Parameters that shape the dynamics setting a block's step size, most telling first: gastric emptying
#: and absorption (the meals), subcutaneous absorption, glucose exchange and uptake, insulin kinetics.
_SIMILARITY_KEYS = (P.kmax, P.kmin, P.kabs, P.b, P.d, P.kgri, P.ka1, P.ka2, P.kd, P.k1, P.k2, P.Vmx, P.Km0,
                    P.m1, P.m2, P.m4, P.m6, P.p2U, P.ki, P.BW)


def similar_order(params: np.ndarray, packed, patients: np.ndarray) -> np.ndarray:
    """An order of ``patients`` that puts alike patients side by side, so that a block's common step
    suits all its lanes: by breakpoint sequence (:func:`breakpoint_groups`; lanes then stop together),
    then by :data:`_SIMILARITY_KEYS` (equal patients, as a cohort repeated over a trial's arms, become
    neighbours). Deterministic: the same batch always gives the same blocks."""
    patients = np.asarray(patients, dtype=np.int64)
    cols = np.asarray(params)[:, list(_SIMILARITY_KEYS)][patients]
    return np.lexsort(tuple(cols.T[::-1]) + (breakpoint_groups(packed, patients),))


def breakpoint_groups(packed, patients: np.ndarray) -> np.ndarray:
    """A group number per patient: equal for patients whose scenarios have the same breakpoints
    (distinct compiled scenarios, e.g. for different body weights, often share them)."""
    seg = packed.segments[patients]
    # a distinct compiled scenario is packed once: its first breakpoint row identifies it (1-D unique)
    first, at, which = np.unique(seg[:, 2], return_index=True, return_inverse=True)
    key_of: dict[bytes, int] = {}
    group = np.array([key_of.setdefault(packed.breakpoints[b0:b0 + seg[i, 1] - seg[i, 0] + 1].tobytes(), len(key_of))
                      for b0, i in zip(first, at)], dtype=np.int64)
    return group[np.asarray(which).reshape(-1)]


__all__ = ["L", "LP", "LANES", "NOT_TRACKED", "DEFAULT_RTOL", "eligible", "lean_parameters", "rhs_block",
           "advance_block", "integrate_blocks", "pack_blocks", "run_open_loop", "similar_order", "breakpoint_groups",
           "linear_part", "solve_linear", "solve_factors", "workspace"]
