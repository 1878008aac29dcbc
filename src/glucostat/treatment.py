"""Treatment effects over weeks: mean glucose, GMI and estimated HbA1c with and without a regimen.

A regimen is a scenario with drug doses (:class:`~glucostat.scenario.Metformin`,
:class:`~glucostat.scenario.Sulfonylurea`), insulin or exercise, usually built with
``Scenario.day(meals, days=28, daily=[...])``. :func:`treatment_effect` simulates it and its
control (by default the same scenario without the drugs and exercise) and summarises the last
days, when the drugs have reached steady state.

Estimated HbA1c is the ADAG relation ``A1c [%] = (mean glucose [mg/dL] + 46.7)/28.7`` (Nathan DM
et al. Diabetes Care 2008;31:1473-1478): the HbA1c a person would reach after 2-3 months at this
mean glucose, not a time course of glycation. GMI is Bergenstal et al. 2018 (Diabetes Care
41:2275).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cgm_metrics import consensus_metrics, gmi_percent
from .errors import InvalidInputError, SimulationError
from .patients import Patient, resolve
from .scenario import Exercise, GlucagonInjection, Metformin, Scenario, Sulfonylurea
from .simulation import simulate
from .units import MIN_PER_DAY

#: The events a control run leaves out by default.
TREATMENTS = (Metformin, Sulfonylurea, GlucagonInjection, Exercise)


def estimated_hba1c_percent(mean_glucose_mg_dl):
    """ADAG estimated HbA1c [%] from mean glucose [mg/dL] (Nathan et al. 2008): ``(eAG + 46.7)/28.7``."""
    return (np.asarray(mean_glucose_mg_dl, dtype=float) + 46.7) / 28.7


def _summary(res, last_days: int) -> dict[str, float]:
    """Summaries of the run's last ``last_days`` whole days."""
    t = res.time_min
    g = res.get("Plasma glucose [mg/dL]")
    days_to = int(round(t[-1] / MIN_PER_DAY))
    t0_min = (days_to - last_days) * MIN_PER_DAY
    m = consensus_metrics(g[t >= t0_min])
    mean = m["Mean glucose [mg/dL]"]
    # fasting glucose: 06:55 on each summarised day (before a 07:00 breakfast), interpolated on the output grid
    fasting = np.interp([d * MIN_PER_DAY + 415.0 for d in range(days_to - last_days, days_to)], t, g)
    return {
        "Mean glucose [mg/dL]": mean,
        "Fasting glucose 06:55 [mg/dL]": float(np.mean(fasting)),
        "GMI [%]": float(gmi_percent(mean)),
        "Estimated HbA1c [%]": float(estimated_hba1c_percent(mean)),
        "Time in range 70-180 [%]": m["Time in range 70-180 [%]"],
        "Time below 70 [%]": m["Time below 70 [%]"],
        "Minimum glucose [mg/dL]": m["Minimum glucose [mg/dL]"],
    }


@dataclass(frozen=True)
class TreatmentEffect:
    """Summaries of the last ``days`` days of a regimen and of its control, and their difference."""

    patient: str
    days: int
    treated: dict
    control: dict

    @property
    def change(self) -> dict[str, float]:
        """Treated minus control, per summary (e.g. ``"Estimated HbA1c [%]"``: -1.2)."""
        return {k: self.treated[k] - self.control[k] for k in self.treated}

    def table(self):
        """A pandas DataFrame: rows control, treated and change."""
        import pandas as pd

        return pd.DataFrame([self.control, self.treated, self.change], index=["control", "treated", "change"])

    def to_dict(self) -> dict:
        return {"patient": self.patient, "summarised days": self.days, "control": self.control,
                "treated": self.treated, "change": self.change}


def treatment_effect(patient: Patient | str, regimen: Scenario, control: Scenario | None = None,
                     last_days: int = 7, dt_min: float = 5.0) -> TreatmentEffect:
    """Simulate a regimen and its control; summarise the last ``last_days`` days of each.

    ``control`` defaults to ``regimen`` without its drug doses, glucagon injections and exercise
    (meals and insulin kept). Both last whole days; each is summarised over its own last ``last_days`` days.
    """
    pat = resolve(patient)
    if not isinstance(regimen, Scenario):
        raise InvalidInputError("regimen", regimen, "a Scenario")
    if control is None:
        control = Scenario(events=tuple(e for e in regimen.events if not isinstance(e, TREATMENTS)),
                           duration_min=regimen.duration_min, name=f"{regimen.name} (control)")
    elif not isinstance(control, Scenario):
        raise InvalidInputError("control", control, "a Scenario (or None: the regimen without drugs and exercise)")
    for name, sc in (("regimen", regimen), ("control", control)):
        days = sc.duration_min / MIN_PER_DAY
        if abs(days - round(days)) > 1e-9:
            raise InvalidInputError(f"{name}.duration_min", sc.duration_min, "whole days (a multiple of 1440 min)")
    total_days = int(round(min(regimen.duration_min, control.duration_min) / MIN_PER_DAY))
    if not isinstance(last_days, int) or isinstance(last_days, bool) or not 1 <= last_days <= total_days:
        raise InvalidInputError("last_days", last_days, f"an integer from 1 to the scenarios' {total_days} days")
    res_t = simulate(pat, regimen, dt_min=dt_min)
    res_c = simulate(pat, control, dt_min=dt_min)
    for res, which, sc in ((res_t, "regimen", regimen), (res_c, "control", control)):
        if not res.ok:
            raise SimulationError(f"{which} {sc.name!r} for patient {pat.name!r}: {res.status[0]}")
    return TreatmentEffect(pat.name, last_days, _summary(res_t, last_days), _summary(res_c, last_days))
