"""Gymnasium environments: one patient (:class:`GlucoseEnv`) or N patients stepped in one batched call
(:class:`GlucoseVectorEnv`).

An agent chooses the insulin a pump delivers at every CGM sample; the patient's
physiology advances over the sample period in compiled code
(:func:`glucostat.engine.advance_batch`, all sub-environments in one parallel call).

* **Action**: basal rate [U/h] in ``[0, max basal]`` (simglucose uses U/min); with
  ``action="basal+bolus"`` a second component, a bolus [U] delivered over the
  first minute. The pump quantises and clips as :class:`glucostat.devices.Pump` does.
* **Observation** (float32 vector): the last ``history`` CGM readings [mg/dL]
  (oldest first), then optionally the carbohydrate announced for the coming
  sample [g] (``meal_announcement``) and insulin on board [U]
  (``insulin_on_board``: what a pump computes from its own deliveries with the
  exponential insulin-action curve of LoopKit, peak 75 min, duration 360 min).
  The agent sees device data only, never the model's states.
* **Reward**: ``"risk-diff"`` (default, as simglucose: the fall in Kovatchev's risk
  index from the previous CGM reading to the current one), ``"negative-risk"``
  (minus the risk index of the current reading), ``"time-in-range"`` (1 when the
  reading is in 70-180 mg/dL, else 0), or a callable ``f(cgm_history_mg_dl) -> float``.
* **Episodes** end (``terminated``) when interstitial glucose leaves
  ``[terminate_below_mg_dl, terminate_above_mg_dl]`` (simglucose: 10 and 600) or the
  model fails, and are truncated after ``episode_days``. Each reset draws a patient
  from ``patients`` and, for ``scenario="random"``, a new day of random meals
  (:meth:`glucostat.Scenario.random_days`) and new sensor noise, all from the
  environment's seeded generator: ``reset(seed=s)`` reproduces an episode.

The vector environment resets finished sub-environments in the same step
(``autoreset_mode`` SAME_STEP): the returned observation starts the new episode
and ``info["final_obs"]`` (and ``info["final_observation"]``, Gymnasium 0.29)
holds the last one.
"""

from __future__ import annotations

import inspect
import math
from typing import Callable, Sequence

import gymnasium
import numpy as np
from gymnasium import spaces

from .batch import announced_carbs, deliver_batch, device_params
from .cgm_metrics import risk_function
from .closed_loop import _preset
from .devices import CGM, CGM_PRESETS, PUMP_PRESETS, Pump
from .engine import DEFAULT_STEP_MIN, advance_batch, pack_compiled, patient_step_min
from .errors import InvalidInputError
from .model import N_INPUTS, N_PARAMS, N_STATES, P, S, U
from .patients import Patient, resolve
from .scenario import Scenario
from .solver import STATUS_OK
from .units import PMOL_PER_U

REWARDS = ("risk-diff", "negative-risk", "time-in-range")
#: LoopKit exponential insulin model (ExponentialInsulinModel.swift) for rapid-acting insulin in adults.
IOB_PEAK_MIN = 75.0
IOB_DURATION_MIN = 360.0


def iob_fraction(age_min, peak_min: float = IOB_PEAK_MIN, duration_min: float = IOB_DURATION_MIN):
    """Fraction of a dose still on board ``age_min`` after delivery (LoopKit exponential model).

    tau = tp (1 - tp/td) / (1 - 2 tp/td), a = 2 tau/td, S = 1 / (1 - a + (1 + a) exp(-td/tau)),
    IOB(t) = 1 - S (1 - a) ((t^2 / (tau td (1 - a)) - t/tau - 1) exp(-t/tau) + 1), 0 <= t <= td;
    1 at t = 0, 0 at t = td."""
    t = np.clip(np.asarray(age_min, dtype=float), 0.0, duration_min)
    tp, td = peak_min, duration_min
    tau = tp * (1 - tp / td) / (1 - 2 * tp / td)
    a = 2 * tau / td
    s = 1 / (1 - a + (1 + a) * math.exp(-td / tau))
    return 1 - s * (1 - a) * ((t * t / (tau * td * (1 - a)) - t / tau - 1) * np.exp(-t / tau) + 1)


def _risk(g):
    f = risk_function(g)
    return 10.0 * f * f


class _Patients:
    """Batched state of N environments (the engine's arrays plus device records)."""

    def __init__(self, n, cfg):
        self.n = n
        self.cfg = cfg
        n_ctrl = cfg.n_steps + 1
        self.control_t = np.arange(n_ctrl) * cfg.cgm.sample_time_min
        self.compiled = [None] * n  # each environment's compiled scenario, replaced at its reset
        self.y = np.zeros((n, N_STATES))
        self.params = np.zeros((n, N_PARAMS))
        self.steps = np.zeros(n)
        self.packed = None
        self.status = np.zeros(n, dtype=np.int64)
        self.carbs = np.zeros((n, n_ctrl))
        self.noise = np.zeros((n, n_ctrl))
        self.gain = np.ones((n, n_ctrl))
        self.ptr = np.zeros(n, dtype=np.int64)
        self.k = np.zeros(n, dtype=np.int64)
        self.doses = np.zeros((n, cfg.iob_len))
        self.cgm_hist = np.zeros((n, max(cfg.history, 2)))
        self.labels = [""] * n
        self.dp = device_params(cfg.pump)

    def reset(self, rng_list, indices):
        """New episodes for ``indices``: draw patient, meals and sensor noise from each one's generator."""
        cfg = self.cfg
        for i in indices:
            rng = rng_list[i]
            pat = cfg.patients[int(rng.integers(len(cfg.patients)))] if len(cfg.patients) > 1 else cfg.patients[0]
            if cfg.scenario == "random":
                sc = Scenario.random_days(days=int(math.ceil(cfg.episode_days)) + 1,
                                          seed=int(rng.integers(2**31 - 1)))
            else:
                sc = cfg.scenario
            self.labels[i] = pat.name
            self.compiled[i] = sc.compile_for(pat)
            self.y[i] = pat.initial_state
            self.params[i] = pat.parameter_vector()
            self.steps[i] = patient_step_min(pat, cfg.step_min)
            self.carbs[i] = announced_carbs(sc, self.control_t)
            self.noise[i] = cfg.cgm.noise_trace(self.control_t, rng)
            self.gain[i] = cfg.cgm.gain_trace(self.control_t)
        self.packed = pack_compiled(self.compiled)
        self.ptr[indices] = 0
        self.k[indices] = 0
        self.status[indices] = STATUS_OK
        self.doses[indices] = 0.0
        self.cgm_hist[indices] = self._read()[indices, None]

    def _read(self):
        """CGM readings of all environments at their current sample (``CGM.read``)."""
        rows = np.arange(self.n)
        k = np.minimum(self.k, self.cfg.n_steps)
        return self.cfg.cgm.read(self.interstitial(), self.noise[rows, k], self.gain[rows, k])

    def interstitial(self):
        return self.y[:, S.interstitial_glucose] / self.params[:, P.VG]

    def observe(self):
        cfg = self.cfg
        parts = [self.cgm_hist[:, -cfg.history:]]
        if cfg.meal_announcement:
            parts.append(self.carbs[np.arange(self.n), np.minimum(self.k, cfg.n_steps)][:, None])
        if cfg.insulin_on_board:
            parts.append((self.doses @ cfg.iob_weights)[:, None])
        return np.concatenate(parts, axis=1).astype(np.float32)

    def step(self, actions):
        cfg = self.cfg
        a = np.asarray(actions, dtype=float).reshape(self.n, -1)
        if not np.all(np.isfinite(a)):
            raise InvalidInputError("action", a.tolist(), "finite numbers (basal [U/h], bolus [U])")
        requested_bolus = a[:, 1] if a.shape[1] > 1 else np.zeros(self.n)
        basal, bolus, clips = deliver_batch(self.dp, np.ascontiguousarray(a[:, 0]),
                                            np.ascontiguousarray(requested_bolus))
        ts = cfg.cgm.sample_time_min
        pulse = min(1.0, ts)
        per_kg = PMOL_PER_U / self.params[:, P.BW]
        add_u = np.zeros((self.n, N_INPUTS))
        pulse_u = np.zeros((self.n, N_INPUTS))
        add_u[:, U.sc_insulin] = basal / 60.0 * per_kg
        pulse_u[:, U.sc_insulin] = bolus / pulse * per_kg
        t0 = self.k * ts
        advance_batch(self.y, self.params, self.packed.segments, self.packed.breakpoints, self.packed.inputs,
                      *self.packed.jump_arrays, self.packed.meal_reset, self.ptr, t0.astype(float),
                      (t0 + ts).astype(float),
                      add_u, pulse_u, pulse, self.steps, self.status)
        self.k += 1
        self.doses = np.roll(self.doses, 1, axis=1)
        self.doses[:, 0] = basal * ts / 60.0 + bolus
        self.cgm_hist = np.roll(self.cgm_hist, -1, axis=1)
        failed = self.status != STATUS_OK
        self.cgm_hist[:, -1] = np.where(failed, self.cgm_hist[:, -2], self._read())
        g = self.interstitial()
        terminated = failed | (g < cfg.terminate_below_mg_dl) | (g > cfg.terminate_above_mg_dl) | ~np.isfinite(g)
        truncated = (self.k >= cfg.n_steps) & ~terminated
        reward = cfg.reward(self.cgm_hist) if cfg.batched_reward else \
            np.array([cfg.reward(self.cgm_hist[i]) for i in range(self.n)], dtype=float)
        info = {"interstitial_glucose_mg_dl": g, "basal_u_per_h": basal, "bolus_u": bolus,
                "pump_clips": clips.astype(float), "time_min": self.k * ts}
        return reward, terminated, truncated, info


class _Config:
    def __init__(self, patients, scenario, cgm, pump, action, history, meal_announcement, insulin_on_board, reward,
                 episode_days, terminate_below_mg_dl, terminate_above_mg_dl, step_min):
        if isinstance(patients, (str, Patient)):
            patients = [patients]
        self.patients = [resolve(p) for p in patients]
        if not self.patients:
            raise InvalidInputError("patients", patients, "at least one patient")
        if not (scenario == "random" or isinstance(scenario, Scenario)):
            raise InvalidInputError("scenario", scenario, "'random' or a glucostat.Scenario")
        self.scenario = scenario
        self.cgm: CGM = _preset("cgm", cgm, CGM_PRESETS)
        self.pump: Pump = _preset("pump", pump, {k: v for k, v in PUMP_PRESETS.items() if isinstance(v, Pump)})
        if action not in ("basal", "basal+bolus"):
            raise InvalidInputError("action", action, "'basal' or 'basal+bolus'")
        self.action = action
        if not isinstance(history, int) or not 1 <= history <= 288:
            raise InvalidInputError("history", history, "an integer number of CGM readings from 1 to 288")
        self.history = history
        self.meal_announcement = bool(meal_announcement)
        self.insulin_on_board = bool(insulin_on_board)
        # built-in rewards work on the (N, history) array of readings at once
        self.batched_reward = not callable(reward)
        if callable(reward):
            self.reward = reward
        elif reward == "risk-diff":
            self.reward = lambda h: _risk(h[:, -2]) - _risk(h[:, -1])
        elif reward == "negative-risk":
            self.reward = lambda h: -_risk(h[:, -1])
        elif reward == "time-in-range":
            self.reward = lambda h: ((h[:, -1] >= 70.0) & (h[:, -1] <= 180.0)).astype(float)
        else:
            raise InvalidInputError("reward", reward, f"one of {', '.join(REWARDS)} or a callable")
        if not (math.isfinite(episode_days) and 1.0 / 24.0 <= episode_days <= 366):
            raise InvalidInputError("episode_days", episode_days, "a number of days in [1/24, 366]")
        ts = self.cgm.sample_time_min
        self.n_steps = int(round(episode_days * 1440.0 / ts))
        self.episode_days = episode_days
        if isinstance(scenario, Scenario) and scenario.duration_min < self.n_steps * ts:
            raise InvalidInputError("scenario.duration_min", scenario.duration_min,
                                    f"at least the episode length, {self.n_steps * ts:g} min")
        if not 0 <= terminate_below_mg_dl < terminate_above_mg_dl:
            raise InvalidInputError("terminate_below_mg_dl/terminate_above_mg_dl",
                                    (terminate_below_mg_dl, terminate_above_mg_dl), "0 <= below < above")
        self.terminate_below_mg_dl = terminate_below_mg_dl
        self.terminate_above_mg_dl = terminate_above_mg_dl
        self.step_min = step_min
        self.iob_len = int(math.ceil(IOB_DURATION_MIN / ts)) + 1
        # dose j was delivered over [t - (j+1) ts, t - j ts); its age at t is about (j + 0.5) ts
        self.iob_weights = iob_fraction((np.arange(self.iob_len) + 0.5) * ts)
        n_obs = history + self.meal_announcement + self.insulin_on_board
        self.observation_space = spaces.Box(0.0, 1000.0, shape=(n_obs,), dtype=np.float32)
        n_act = 2 if action == "basal+bolus" else 1
        high = np.array([self.pump.max_basal_u_per_h, self.pump.max_bolus_u][:n_act], dtype=np.float32)
        self.action_space = spaces.Box(np.zeros(n_act, dtype=np.float32), high, dtype=np.float32)


_DOC_ARGS = """
    Arguments: ``patients`` (a patient, a preset name, or a list drawn from at each reset;
    default the ``t1d`` preset), ``scenario`` (``"random"`` or a :class:`~glucostat.Scenario`
    at least one episode long), ``cgm`` and ``pump`` (presets or devices), ``action``,
    ``history``, ``meal_announcement``, ``insulin_on_board``, ``reward``, ``episode_days``,
    ``terminate_below_mg_dl``/``terminate_above_mg_dl`` (module docstring)."""


class GlucoseEnv(gymnasium.Env):
    __doc__ = "A type 1 patient whose pump an agent drives, one CGM sample per step." + _DOC_ARGS

    metadata = {"render_modes": []}

    def __init__(self, patients: "Patient | str | Sequence[Patient | str]" = "t1d",
                 scenario: "Scenario | str" = "random",
                 cgm: "CGM | str" = "GuardianRT", pump: "Pump | str" = "generic", action: str = "basal",
                 history: int = 12, meal_announcement: bool = True, insulin_on_board: bool = True,
                 reward: "str | Callable" = "risk-diff", episode_days: float = 1.0,
                 terminate_below_mg_dl: float = 10.0, terminate_above_mg_dl: float = 600.0,
                 step_min: float = DEFAULT_STEP_MIN):
        self._cfg = _Config(patients, scenario, cgm, pump, action, history, meal_announcement, insulin_on_board,
                            reward, episode_days, terminate_below_mg_dl, terminate_above_mg_dl, step_min)
        self.observation_space = self._cfg.observation_space
        self.action_space = self._cfg.action_space
        self._batch = _Patients(1, self._cfg)
        self._done = True

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._batch.reset([self.np_random], [0])
        self._done = False
        return self._batch.observe()[0], {"patient": self._batch.labels[0]}

    def step(self, action):
        if self._done:
            raise gymnasium.error.ResetNeeded("call reset() before step() (the episode has ended)")
        reward, term, trunc, info = self._batch.step(np.asarray(action, dtype=float)[None, :])
        self._done = bool(term[0] or trunc[0])
        info = {k: float(v[0]) for k, v in info.items()}
        return self._batch.observe()[0], float(reward[0]), bool(term[0]), bool(trunc[0]), info


class GlucoseVectorEnv(gymnasium.vector.VectorEnv):
    __doc__ = ("``num_envs`` patients stepped in one batched compiled call (same-step autoreset)."
               + _DOC_ARGS)

    def __init__(self, num_envs: int = 8, **kwargs):
        if not isinstance(num_envs, int) or not 1 <= num_envs <= 100_000:
            raise InvalidInputError("num_envs", num_envs, "an integer from 1 to 100000")
        cfg = _Config(**{**_DEFAULTS, **kwargs})
        self._cfg = cfg
        self.num_envs = num_envs
        self.single_observation_space = cfg.observation_space
        self.single_action_space = cfg.action_space
        self.observation_space = spaces.Box(0.0, 1000.0, shape=(num_envs, *cfg.observation_space.shape),
                                            dtype=np.float32)
        self.action_space = spaces.Box(np.tile(cfg.action_space.low, (num_envs, 1)),
                                       np.tile(cfg.action_space.high, (num_envs, 1)), dtype=np.float32)
        mode = getattr(getattr(gymnasium.vector, "AutoresetMode", None), "SAME_STEP", None)
        self.metadata = {"autoreset_mode": mode} if mode is not None else {}
        self.closed = False
        self.viewer = None  # Gymnasium 0.29's close() reads it
        self._batch = _Patients(num_envs, cfg)
        self._rngs = None

    def reset(self, *, seed=None, options=None):
        if seed is None or isinstance(seed, (int, np.integer)):
            children = np.random.SeedSequence(seed).spawn(self.num_envs)
        else:
            children = [np.random.SeedSequence(s) for s in seed]
            if len(children) != self.num_envs:
                raise InvalidInputError("seed", seed, f"an integer or {self.num_envs} integers")
        self._rngs = [np.random.default_rng(c) for c in children]
        self._batch.reset(self._rngs, list(range(self.num_envs)))
        return self._batch.observe(), {}

    def step(self, actions):
        if self._rngs is None:
            raise gymnasium.error.ResetNeeded("call reset() before step()")
        reward, term, trunc, info = self._batch.step(actions)
        done = np.nonzero(term | trunc)[0]
        if done.size:
            final = self._batch.observe()
            info["final_obs"] = np.full(self.num_envs, None, dtype=object)
            for i in done:
                info["final_obs"][i] = final[i]
            info["final_observation"] = info["final_obs"]
            info["_final_obs"] = info["_final_observation"] = term | trunc
            self._batch.reset(self._rngs, list(done))
        return self._batch.observe(), reward, term, trunc, info


#: Keyword defaults shared by both environments (those of :class:`GlucoseEnv`).
_DEFAULTS = {k: v.default for k, v in inspect.signature(GlucoseEnv.__init__).parameters.items() if k != "self"}

__all__ = ["GlucoseEnv", "GlucoseVectorEnv", "iob_fraction", "REWARDS"]
