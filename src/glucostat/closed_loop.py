"""Closed-loop simulation: sensor -> controller -> pump, at each CGM sample.

Between control instants the compiled integrator runs with the scenario's
inputs plus the pump's insulin; at each instant the CGM reads interstitial
glucose (with seeded noise), the controller sees the reading and any meal
announced since the previous instant, and the pump delivers its request within
its limits. A bolus is delivered within the first minute of the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import cgm_metrics
from .control import Controller, Observation, controller_from_name
from .devices import CGM, CGM_PRESETS, PUMP_PRESETS, Pen, Pump, TherapyProfile
from .errors import InvalidInputError, UnknownNameError
from .model import N_INPUTS, N_OUTPUTS, N_STATES, P, S, U
from .patients import Patient, resolve
from .results import Results
from .rng import stream_key
from .scenario import INSULIN_PRODUCTS, Meal, Scenario
from .simulation import _labels, advance
from .solver import STATUS_MESSAGES, STATUS_OK
from .units import PMOL_PER_U


@dataclass(frozen=True)
class ClosedLoopResults:
    """A closed-loop run: the physiology (``results``) and what the devices did."""

    results: Results
    control_time_min: np.ndarray
    cgm_mg_dl: np.ndarray  # (n_patients, n_control)
    basal_u_per_h: np.ndarray
    bolus_u: np.ndarray
    long_acting_u: np.ndarray
    announced_carbs_g: np.ndarray
    pump_notes: tuple[tuple[str, ...], ...]
    therapy: tuple[TherapyProfile, ...]
    seed: int | None
    controller: str
    sensor: str

    @property
    def patients(self):
        return self.results.patients

    def glucose(self, signal: str = "cgm", patient: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(times [min], glucose [mg/dL]) for ``signal`` 'cgm', 'interstitial' or 'plasma'."""
        if signal == "cgm":
            return self.control_time_min, self.cgm_mg_dl[patient]
        col = {"interstitial": "Interstitial glucose [mg/dL]", "plasma": "Plasma glucose [mg/dL]"}.get(signal)
        if col is None:
            raise InvalidInputError("signal", signal, "'cgm', 'interstitial' or 'plasma'")
        return self.results.time_min, self.results.get(col, patient)

    def metrics(self, signal: str = "cgm"):
        """Consensus CGM metrics and risk indices per patient (pandas)."""
        import pandas as pd

        rows = []
        for i, name in enumerate(self.patients):
            t, g = self.glucose(signal, i)
            m = cgm_metrics.consensus_metrics(g[:-1] if signal == "cgm" else g)
            m["Total insulin [U]"] = float(self.basal_u_per_h[i, :-1].sum() * self._step_h + self.bolus_u[i].sum()
                                           + self.long_acting_u[i].sum())
            m["Pump clips [1]"] = float(len(self.pump_notes[i]))
            rows.append({"Patient": name, **m})
        return pd.DataFrame(rows).set_index("Patient")

    def daily_metrics(self, signal: str = "cgm"):
        import pandas as pd

        frames = []
        for i, name in enumerate(self.patients):
            t, g = self.glucose(signal, i)
            df = cgm_metrics.daily_metrics(t[:-1], g[:-1]) if signal == "cgm" else cgm_metrics.daily_metrics(t, g)
            df.insert(0, "Patient", name)
            frames.append(df.reset_index())
        return pd.concat(frames).set_index(["Patient", "Day"])

    def cohort_metrics(self, signal: str = "cgm") -> dict[str, float]:
        """Mean over patients of each per-patient metric."""
        return {k: float(v) for k, v in self.metrics(signal).mean(numeric_only=True).items()}

    @property
    def _step_h(self) -> float:
        return float(self.control_time_min[1] - self.control_time_min[0]) / 60.0


def _preset(field_name, value, presets):
    """A device object, or the preset of that name."""
    if not isinstance(value, str):
        return value
    if value not in presets:
        raise UnknownNameError(field_name, value, presets)
    return presets[value]


def _announcements(scenario: Scenario) -> list[tuple[float, float]]:
    out = []
    for ev in scenario.events:
        if isinstance(ev, Meal) and ev.announced:
            out.append((ev.time + ev.bolus_delay_min, ev.carbs_g))
    return out


def _run_settings(plist, therapy, seed, warmup_days) -> list[TherapyProfile]:
    """Checks a closed-loop run's seed and warm-up; returns one therapy profile per patient
    (derived by :func:`glucostat.therapy.derive_therapy` when ``therapy`` is None)."""
    from .therapy import derive_therapy

    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InvalidInputError("seed", seed, "a non-negative integer or None")
    if not isinstance(warmup_days, (int, np.integer)) or not 0 <= warmup_days <= 30:
        raise InvalidInputError("warmup_days", warmup_days, "an integer from 0 to 30")
    if therapy is None:
        return [derive_therapy(p) for p in plist]
    if isinstance(therapy, TherapyProfile):
        return [therapy] * len(plist)
    therapies = list(therapy)
    if len(therapies) != len(plist):
        raise InvalidInputError("therapy", len(therapies), f"one profile per patient ({len(plist)})")
    return therapies


def simulate_closed_loop(
    patients: "Patient | str | Sequence[Patient | str]",
    scenario: Scenario,
    controller: Controller | str = "basal-bolus",
    therapy: TherapyProfile | Sequence[TherapyProfile] | None = None,
    cgm: CGM | str = "GuardianRT",
    pump: Pump | Pen | str = "generic",
    seed: int | None = 0,
    dt_min: float = 1.0,
    warmup_days: int = 0,
    progress: bool = False,
) -> ClosedLoopResults:
    """Run patients in closed loop through a scenario.

    ``therapy`` defaults to :func:`glucostat.therapy.derive_therapy` for each patient.
    ``seed`` seeds the CGM noise; patient i gets its own counter-based stream (seed, i)
    (:mod:`glucostat.rng`), so the same seed gives the same numbers, alone or in a batch.
    Insulin in the scenario itself (events) adds to what the pump delivers. ``warmup_days`` fasting days under the same therapy
    and devices are run first (and discarded), e.g. to bring a long-acting insulin
    regimen to steady state.
    """
    if isinstance(patients, (str, Patient)):
        patients = [patients]
    plist = [resolve(p) for p in patients]
    if isinstance(controller, str):
        controller = controller_from_name(controller)
    cgm = _preset("cgm", cgm, CGM_PRESETS)
    pump = _preset("pump", pump, PUMP_PRESETS)
    therapies = _run_settings(plist, therapy, seed, warmup_days)
    if not (math.isfinite(dt_min) and 0 < dt_min <= cgm.sample_time_min):
        raise InvalidInputError("dt_min", dt_min, f"a number in (0, {cgm.sample_time_min:g}] (the CGM period)")

    ts = cgm.sample_time_min
    duration = float(scenario.duration_min)
    control_t = np.arange(0.0, duration + 1e-9, ts)
    n_ctrl = control_t.size
    out_t = np.arange(0.0, duration + 1e-9, dt_min)
    key = stream_key(seed)  # patient i's sensor noise: counter-based stream (key, i), as in the batch
    announcements = _announcements(scenario)

    n_pat = len(plist)
    states = np.full((n_pat, out_t.size, N_STATES), np.nan)
    outputs = np.full((n_pat, out_t.size, N_OUTPUTS), np.nan)
    cgm_trace = np.full((n_pat, n_ctrl), np.nan)
    basal = np.zeros((n_pat, n_ctrl))
    bolus = np.zeros((n_pat, n_ctrl))
    long_acting = np.zeros((n_pat, n_ctrl))
    carbs = np.zeros((n_pat, n_ctrl))
    notes_all, status = [], []
    iterator = range(n_pat)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=n_pat, desc="closed loop", unit="patient", disable=None)
    for i in iterator:
        pat, th = plist[i], therapies[i]
        bw = pat.body_weight_kg
        p = pat.parameter_vector()
        y = np.array(pat.initial_state, dtype=float)
        cstate = controller.initial_state(th)
        notes: list[str] = []
        code, t_fail = STATUS_OK, 0.0
        if warmup_days:
            # fasting days under the same therapy and devices, ideal sensor; only the end state is kept
            wt = np.arange(0.0, warmup_days * 1440.0 + 1e-9, ts)  # control and output grid alike
            scratch = _Rows(wt.size, wt.size)
            empty = Scenario(duration_min=warmup_days * 1440.0).compile(bw)
            y, cstate, code, t_fail = _loop(y, cstate, p, empty, wt, wt, (np.zeros(wt.size), np.ones(wt.size)), [],
                                            controller, th, CGM_PRESETS["ideal"], pump, bw, ts, scratch, [])
            if code != STATUS_OK:
                t_fail -= warmup_days * 1440.0
        if code == STATUS_OK:
            rows = _Rows(n_ctrl, out_t.size, cgm_trace[i], basal[i], bolus[i], long_acting[i], carbs[i], states[i],
                         outputs[i])
            sensor_error = (cgm.seeded_noise_traces(control_t, key, [i])[0], cgm.gain_trace(control_t))
            y, cstate, code, t_fail = _loop(y, cstate, p, scenario.compile_for(pat), control_t, out_t, sensor_error,
                                            announcements, controller, th, cgm, pump, bw, ts, rows, notes)
        msg = STATUS_MESSAGES[code] if code == STATUS_OK else f"{STATUS_MESSAGES[code]} at t = {t_fail:.1f} min"
        status.append(msg)
        notes_all.append(tuple(notes))
    labels = _labels(plist)
    res = Results(
        time_min=out_t, patients=tuple(labels), outputs=outputs, states=states, status=tuple(status),
        body_weight_kg=tuple(p.body_weight_kg for p in plist),
        provenance={
            "mode": "closed loop", "controller": getattr(controller, "name", type(controller).__name__),
            "controller_config": repr(controller), "cgm": repr(cgm), "pump": repr(pump), "seed": seed,
            "scenario": scenario.to_dict(),
            "therapy": [t.to_dict() for t in therapies],
            "patients": [{"label": labels[i], "parameter_set": p.parameter_set.name} for i, p in enumerate(plist)],
        },
    )
    return ClosedLoopResults(res, control_t, cgm_trace, basal, bolus, long_acting, carbs, tuple(notes_all),
                             tuple(therapies), seed,
                             getattr(controller, "name", type(controller).__name__), cgm.name)


class _Rows:
    """Where one patient's loop writes its records (views into the cohort arrays, or scratch)."""

    def __init__(self, n_ctrl, n_out, cgm=None, basal=None, bolus=None, long_acting=None, carbs=None, states=None,
                 outputs=None):
        z = np.zeros
        self.cgm = z(n_ctrl) if cgm is None else cgm
        self.basal = z(n_ctrl) if basal is None else basal
        self.bolus = z(n_ctrl) if bolus is None else bolus
        self.long_acting = z(n_ctrl) if long_acting is None else long_acting
        self.carbs = z(n_ctrl) if carbs is None else carbs
        self.states = np.full((n_out, N_STATES), np.nan) if states is None else states
        self.outputs = np.full((n_out, N_OUTPUTS), np.nan) if outputs is None else outputs


def _loop(y, cstate, p, comp, control_t, out_t, sensor_error, announcements, controller, th, cgm, pump, bw, ts, rows,
          notes):
    """Sensor -> controller -> device -> physiology over the control instants; returns the end state.

    ``sensor_error`` is (additive error [mg/dL], gain [1]) at each control instant."""
    n_ctrl = control_t.size
    code, t_fail = STATUS_OK, 0.0
    for k in range(n_ctrl):
        t0 = control_t[k]
        reading = float(cgm.read(y[S.interstitial_glucose] / p[P.VG], sensor_error[0][k], sensor_error[1][k]))
        rows.cgm[k] = reading
        if k == n_ctrl - 1:
            rows.basal[k] = rows.basal[k - 1] if k else 0.0  # the rate in force at the end
            break
        t1 = control_t[k + 1]
        ann = sum(g for (ta, g) in announcements if t0 <= ta < t1)
        rows.carbs[k] = ann
        action, cstate = controller.step(Observation(t0, reading, ann, th, ts), cstate)
        b, bol, n = pump.deliver(action.basal_u_per_h, action.bolus_u)
        la = 0.0
        if action.long_acting_u:
            la, n2 = (pump if isinstance(pump, Pen) else Pen()).dial(action.long_acting_u, "long-acting dose")
            n = n + n2
        notes.extend(f"t={t0:g} min: {x}" for x in n)
        rows.basal[k], rows.bolus[k], rows.long_acting[k] = b, bol, la
        y, code, t_fail = _advance(y, p, comp, t0, t1, b, bol, bw, out_t, rows.states, rows.outputs, la,
                                   action.long_acting_product)
        if code != STATUS_OK:
            break
    return y, cstate, code, t_fail


def _advance(y, p, comp, t0, t1, basal_u_h, bolus_u, bw, out_t, states_i, outputs_i, long_acting_u=0.0,
             long_acting_product="glargine"):
    """Integrate from t0 to t1 with the device's insulin; fill outputs on [t0, t1) (and t1 at the end).

    The basal rate runs over the whole interval; a bolus and a long-acting dose are
    delivered within its first minute, so the interval is advanced in two pieces
    (:func:`glucostat.simulation.advance`, which applies the scenario's own events)."""
    per_kg = PMOL_PER_U / bw
    basal = np.zeros(N_INPUTS)
    basal[U.sc_insulin] = basal_u_h / 60.0 * per_kg
    pieces = [(t0, t1, basal)]
    if bolus_u > 0 or long_acting_u > 0:
        bolus_end = min(t1, t0 + 1.0)
        pulse = basal.copy()
        pulse[U.sc_insulin] += bolus_u / (bolus_end - t0) * per_kg
        pulse[INSULIN_PRODUCTS[long_acting_product]] += long_acting_u / (bolus_end - t0) * per_kg
        pieces = [(t0, bolus_end, pulse)] + ([(bolus_end, t1, basal)] if bolus_end < t1 else [])
    last = t1 >= out_t[-1] - 1e-9
    code, t_stop = STATUS_OK, t1
    for a, b, extra in pieces:
        end_included = last and b == t1
        idx = np.nonzero((out_t >= a) & ((out_t <= b) if end_included else (out_t < b)))[0]
        y, ys, outs, code, t_stop = advance(y, p, comp, a, b, extra, out_t[idx])
        states_i[idx] = ys
        outputs_i[idx] = outs
        if code != STATUS_OK:
            break
    return y, code, t_stop
