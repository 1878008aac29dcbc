"""The one public entry point that runs the model: :func:`simulate`."""

from __future__ import annotations

import math
import warnings
from typing import Mapping, Sequence

import numpy as np

from . import __version__
from .errors import InvalidInputError, UnknownNameError
from .model import N_INPUTS, N_STATES, NONNEGATIVE_STATES, S
from .patients import PRESETS, Patient, resolve
from .results import Results
from .scenario import CompiledScenario, Scenario
from .solver import STATUS_MESSAGES, STATUS_OK, clip_roundoff, integrate

MODEL_NAME = "glucostat organ model: Dalla Man, Rizza & Cobelli 2007 meal model (doi:10.1109/TBME.2007.893506)"

#: Default solver tolerances: the compiled integrator then agrees with
#: solve_ivp(rtol=1e-10) to well under 0.01 mg/dL (tests/test_solver.py).
DEFAULT_RTOL = 1e-8
DEFAULT_ATOL = 1e-8
DEFAULT_H_MAX_MIN = 30.0
MAX_STEPS = 10_000_000


def _check_positive(name, value, upper):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(name, value, f"a number in (0, {upper:g}]") from None
    if not math.isfinite(v) or not 0 < v <= upper:
        raise InvalidInputError(name, value, f"a number in (0, {upper:g}]")
    return v


def simulate(
    patients: "Patient | str | Sequence[Patient | str]" = "healthy",
    scenario: Scenario | None = None,
    *,
    dt_min: float = 1.0,
    t_eval: Sequence[float] | None = None,
    initial_state: Mapping[str, float] | None = None,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    progress: bool = False,
) -> Results:
    """Simulate one or several patients through a scenario.

    Parameters
    ----------
    patients
        A preset name (``"healthy"``, ``"t2d"``, see :data:`glucostat.PRESETS`),
        a :class:`Patient`, or a list of them.
    scenario
        The events; default :meth:`Scenario.day` (three meals, 24 h).
    dt_min
        Output sampling interval [min] (ignored when ``t_eval`` is given).
    t_eval
        Explicit output times [min], non-decreasing, within the scenario.
    initial_state
        Overrides of the basal initial state by state name
        (:class:`glucostat.model.S` member names, internal units).
    rtol, atol
        Integrator tolerances.
    progress
        Show a progress bar over patients.

    Returns
    -------
    Results
        Outputs sampled at the requested times; ``status`` per patient.
    """
    scenario = Scenario.day() if scenario is None else scenario
    if not isinstance(scenario, Scenario):
        raise InvalidInputError("scenario", type(scenario).__name__, "a glucostat.Scenario")
    if isinstance(patients, (str, Patient)):
        patients = [patients]
    plist = [resolve(p) for p in patients]
    if not plist:
        raise InvalidInputError("patients", [], "at least one patient")
    duration = float(scenario.duration_min)
    if t_eval is None:
        dt = _check_positive("dt_min", dt_min, 1440.0)
        n = int(math.floor(duration / dt + 1e-9))
        times = np.arange(n + 1) * dt
        if times[-1] < duration - 1e-9:
            times = np.append(times, duration)
    else:
        times = np.asarray(t_eval, dtype=float)
        if times.ndim != 1 or times.size == 0 or not np.all(np.isfinite(times)):
            raise InvalidInputError("t_eval", t_eval, "a non-empty 1-D sequence of finite times [min]")
        if np.any(np.diff(times) < 0):
            raise InvalidInputError("t_eval", "times that go backwards", "non-decreasing times")
        if times[0] < 0 or times[-1] > duration:
            raise InvalidInputError("t_eval", f"[{times[0]:g}, {times[-1]:g}]", f"times within [0, {duration:g}] min")
    rtol = _check_positive("rtol", rtol, 1e-2)
    atol = _check_positive("atol", atol, 1e-2)

    n_pat = len(plist)
    states = np.empty((n_pat, times.size, N_STATES))
    outputs = None
    status = []
    labels = _labels(plist)
    iterator = range(n_pat)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, total=n_pat, desc="simulating", unit="patient", disable=None)
    for i in iterator:
        pat = plist[i]
        y0 = np.array(pat.initial_state, dtype=float)
        if initial_state:
            for key, value in initial_state.items():
                if key not in S.__members__:
                    raise UnknownNameError("initial_state", key, S.__members__)
                v = float(value)
                if not math.isfinite(v) or (NONNEGATIVE_STATES[S[key]] and v < 0):
                    raise InvalidInputError(f"initial_state.{key}", value, "a finite number (>= 0 for masses and concentrations)")
                y0[S[key]] = v
        compiled = scenario.compile_for(pat)
        ys, outs, code, t_stop, _ = integrate(
            y0, pat.parameter_vector(), compiled.breakpoints, compiled.inputs, *compiled.sparse_jumps(),
            compiled.meal_reset, times, rtol, atol, DEFAULT_H_MAX_MIN, MAX_STEPS,
        )
        clip_roundoff(ys, atol)  # round-off below the tolerance is not a negative concentration
        if outputs is None:
            outputs = np.empty((n_pat, times.size, outs.shape[1]))
        states[i] = ys
        outputs[i] = outs
        msg = STATUS_MESSAGES[code]
        if code != STATUS_OK:
            msg = f"{msg} at t = {t_stop:.1f} min"
            warnings.warn(f"patient {labels[i]!r}: {msg}; later samples are NaN", RuntimeWarning, stacklevel=2)
        status.append(msg)

    provenance = {
        "glucostat_version": __version__,
        "model": MODEL_NAME,
        "patients": [
            {
                "label": labels[i],
                "preset": p.name,
                "parameter_set": p.parameter_set.name,
                "parameter_set_title": p.parameter_set.title,
                "overrides": dict(p.overrides),
                "rederived": {k: list(v) for k, v in p.rederived.items()},
                "references": list(p.parameter_set.references),
            }
            for i, p in enumerate(plist)
        ],
        "scenario": scenario.to_dict(),
        "initial_state_overrides": dict(initial_state or {}),
        "solver": {"method": "Dormand-Prince 5(4), compiled", "rtol": rtol, "atol": atol, "h_max_min": DEFAULT_H_MAX_MIN},
    }
    return Results(
        time_min=times,
        patients=tuple(labels),
        outputs=outputs,
        states=states,
        status=tuple(status),
        body_weight_kg=tuple(p.body_weight_kg for p in plist),
        provenance=provenance,
    )


def segment_at(compiled: CompiledScenario, t: float) -> int:
    """Index of the scenario segment (row of ``compiled.inputs``) in force at time ``t`` [min]."""
    k = int(np.searchsorted(compiled.breakpoints, t, side="right") - 1)
    return min(max(k, 0), compiled.inputs.shape[0] - 1)


def advance(y, p, compiled: CompiledScenario, t0: float, t1: float, extra_inputs=None, t_eval=None,
            rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL):
    """Integrate the organ model from ``t0`` to ``t1`` (a control interval).

    Inputs are those of ``compiled`` on [t0, t1) (its breakpoints inside the interval become segment
    bounds; its impulses at breakpoints in [t0, t1) are applied) plus ``extra_inputs``, a constant
    vector in the :class:`glucostat.model.U` layout (e.g. a dextrose rate a controller chose at
    ``t0``). Successive calls over [t0, t1), [t1, t2), ... apply every impulse exactly once.

    Returns ``(y1, states, outputs, status, t_stop)``: the state at ``t1``, and states and outputs at
    ``t_eval`` (times within [t0, t1]; default: none).
    """
    bps = compiled.breakpoints
    pts = sorted({float(t0), float(t1), *(float(b) for b in bps if t0 < b < t1)})
    pts = np.array(pts)
    nseg = pts.size - 1
    u = np.zeros((nseg, N_INPUTS))
    jumps = np.zeros((nseg, N_STATES))
    reset = np.zeros(nseg, dtype=np.bool_)
    for j in range(nseg):
        a = pts[j]
        k = segment_at(compiled, a)
        u[j] = compiled.inputs[k]
        if bps[k] == a:
            jumps[j] = compiled.jumps[k]
            reset[j] = compiled.meal_reset[k]
        if extra_inputs is not None:
            u[j] += extra_inputs
    te = np.empty(0) if t_eval is None else np.asarray(t_eval, dtype=float)
    te = np.append(te, t1)
    interval = CompiledScenario(pts, u, jumps, reset)
    ys, outs, code, t_stop, _ = integrate(np.asarray(y, dtype=float), p, pts, u, *interval.sparse_jumps(), reset, te,
                                          rtol, atol, DEFAULT_H_MAX_MIN, MAX_STEPS)
    clip_roundoff(ys, atol)
    return ys[-1].copy(), ys[:-1], outs[:-1], code, t_stop


def _labels(plist: list[Patient]) -> list[str]:
    """One label per entry: the patient's name (a preset with overrides marked ``*``), the second and later
    entries of the same name suffixed ``#2``, ``#3``, ... (skipping labels already taken)."""
    labels: list[str] = []
    taken: set[str] = set()
    next_k: dict[str, int] = {}  # next suffix to try per base name (keeps large batches linear)
    bases: dict[int, str] = {}  # per patient object (a batch often repeats the same patients)
    for p in plist:
        base = bases.get(id(p))
        if base is None:
            # a preset with overrides is marked; patients named by their maker (cohorts) keep their name
            base = bases[id(p)] = f"{p.name}*" if p.overrides and p.name in PRESETS else p.name
        label, k = base, next_k.get(base, 2)
        if label in taken:
            label = f"{base}#{k}"
            while label in taken:
                k += 1
                label = f"{base}#{k}"
            next_k[base] = k + 1
        labels.append(label)
        taken.add(label)
    return labels
