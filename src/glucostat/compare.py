"""'Normal versus impaired function': one protocol through several conditions, side by side.

:func:`compare` runs the same clinical protocol (a 75 g OGTT, a mixed meal or a prolonged
fast) through named conditions (``"healthy"``, ``"prediabetes"``, ``"t2d-hepatic"``, ...,
``"cirrhosis"``; see :data:`glucostat.patients.PRESETS`) and returns the table a physiology
textbook would print, one row per condition: blood glucose, insulin release (pancreas),
glucagon, liver output and storage, muscle/fat and brain glucose uptake, kidney loss, and the
clinical indices. People with type 1 diabetes keep their basal insulin infusion running (no
bolus), so the table shows what the missing beta cells would have done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from . import metrics
from .errors import InvalidInputError, UnknownNameError
from .patients import PRESETS, Patient
from .results import Results
from .scenario import InsulinInfusion, Meal, OralGlucose, Scenario
from .simulation import simulate
from .model import S
from .units import PMOL_PER_L_PER_UU_PER_ML, PMOL_PER_U

#: Conditions compared by default (every glucostat preset that is a condition, not a published variant).
DEFAULT_CONDITIONS = ("healthy", "prediabetes", "t2d-hepatic", "t2d-peripheral", "t2d-beta-cell", "t2d",
                      "nafld", "cirrhosis", "t1d")

#: protocol -> (description, duration [min])
PROTOCOLS: Mapping[str, tuple[str, float]] = {
    "ogtt": ("75 g oral glucose tolerance test after an overnight fast, 3 h", 180.0),
    "meal": ("mixed meal with 75 g carbohydrate eaten over 15 min after an overnight fast, 5 h", 300.0),
    "fast": ("prolonged fast: from the overnight-fasted state (14 h) to 72 h without food", 58 * 60.0),
}

#: Rows of the figure: (column, label).
FIGURE_PANELS = (
    ("Plasma glucose [mg/dL]", "blood glucose"),
    ("Pancreatic insulin secretion [pmol/kg/min]", "pancreas: insulin release"),
    ("Plasma insulin [pmol/L]", "plasma insulin"),
    ("Plasma glucagon [pg/mL]", "pancreas: glucagon"),
    ("Liver glucose production [mg/kg/min]", "liver: glucose output"),
    ("Liver glycogen [g]", "liver: glycogen"),
    ("Muscle and fat glucose uptake [mg/kg/min]", "muscle and fat: glucose uptake"),
    ("Plasma C-peptide [pmol/L]", "C-peptide"),
)


def _scenario(protocol: str, patient: Patient) -> Scenario:
    description, duration = PROTOCOLS[protocol]
    events: list = []
    if protocol == "ogtt":
        events.append(OralGlucose(time=0.0, grams=75.0, duration_min=5.0))
    elif protocol == "meal":
        events.append(Meal(time=0.0, carbs_g=75.0, duration_min=15.0))
    if patient.parameter_set.type1:
        events.append(InsulinInfusion(time=0.0, duration_min=duration, rate_u_per_h=patient.basal_insulin_u_per_h))
    return Scenario(events=tuple(events), duration_min=duration, name=f"compare: {protocol}")


def _row(protocol: str, patient: Patient, res: Results) -> dict:
    t = res.time_min
    bw = patient.body_weight_kg
    handled = res.summary().iloc[0]  # grams each organ handled, from the cumulative flux states
    g = res.get("Plasma glucose [mg/dL]")
    ins = res.get("Plasma insulin [pmol/L]")
    h = res.get("Plasma glucagon [pg/mL]")
    egp = res.get("Liver glucose production [mg/kg/min]")
    cp = res.get("Plasma C-peptide [pmol/L]")
    he = res.get("Hepatic insulin extraction [fraction]")
    gly = res.get("Liver glycogen [g]")
    i_uu0 = ins[0] / PMOL_PER_L_PER_UU_PER_ML
    row = {
        "Fasting plasma glucose [mg/dL]": float(g[0]),
        "Peak plasma glucose [mg/dL]": float(g.max()),
        "Lowest plasma glucose [mg/dL]": float(g.min()),
    }
    if protocol != "fast":
        row["2-h plasma glucose [mg/dL]"] = float(np.interp(120.0, t, g))
    row.update({
        "Fasting plasma insulin [pmol/L]": float(ins[0]),
        "Peak plasma insulin [pmol/L]": float(ins.max()),
        "Insulin released by the pancreas [nmol]": float(handled["Insulin secreted [U]"] * PMOL_PER_U / 1000.0),
        "Fasting C-peptide [pmol/L]": float(cp[0]),
        "Fasting C-peptide to insulin molar ratio [-]": float(cp[0] / ins[0]) if ins[0] > 0 else 0.0,
        "Fasting hepatic insulin extraction [%]": float(100.0 * he[0]),
        "Fasting plasma glucagon [pg/mL]": float(h[0]),
        "Glucagon change, lowest or highest [%]": float(100.0 * ((h.min() if protocol != "fast" else h.max()) / h[0] - 1.0)),
        "Liver glucose output [g]": float(handled["Liver glucose production [g]"]),
        "Liver glucose output, lowest vs fasting [%]": float(100.0 * (egp.min() / egp[0] - 1.0)) if egp[0] > 0 else 0.0,
        "Gluconeogenesis [g]": float((res.states[0, -1, S.cum_gng] - res.states[0, 0, S.cum_gng]) * bw / 1000.0),
        "Liver glycogen change [g]": float(gly[-1] - gly[0]),
        "Muscle and fat glucose uptake [g]": float(handled["Muscle and fat glucose uptake [g]"]),
        "Liver uptake of plasma glucose [g]": float(handled["Liver uptake of plasma glucose [g]"]),
        "Brain glucose uptake [g]": float(handled["Brain glucose uptake [g]"]),
        "Urinary glucose [g]": float(handled["Urinary glucose excretion [g]"]),
        "HOMA1-IR [1]": metrics.homa1_ir(g[0], i_uu0) if i_uu0 > 0 else float("nan"),
    })
    if protocol == "ogtt":
        times = (0.0, 30.0, 60.0, 90.0, 120.0)
        gs_ = np.interp(times, t, g)
        is_ = np.interp(times, t, ins) / PMOL_PER_L_PER_UU_PER_ML
        row["Matsuda index [1]"] = metrics.matsuda_index(gs_, is_) if is_.min() > 0 else float("nan")
        row["Insulinogenic index [uU/mL per mg/dL]"] = (metrics.insulinogenic_index(gs_[0], gs_[1], is_[0], is_[1])
                                                        if gs_[1] > gs_[0] else float("nan"))
        row["ADA category"] = metrics.ada_classification(gs_[0], gs_[4])
    return row


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare`: a table (one row per condition) and the simulations."""

    protocol: str
    conditions: tuple[str, ...]
    rows: tuple[Mapping, ...] = field(repr=False)
    results: tuple[Results, ...] = field(repr=False)

    def table(self):
        """A pandas DataFrame indexed by condition; column names carry units."""
        import pandas as pd

        return pd.DataFrame(list(self.rows), index=pd.Index(self.conditions, name="Condition"))

    def to_dict(self) -> dict:
        """JSON-ready: protocol, and per condition the table row and what the condition is."""
        return {
            "protocol": self.protocol,
            "description": PROTOCOLS[self.protocol][0],
            "conditions": {c: {"description": PRESETS[c][1], **row} for c, row in zip(self.conditions, self.rows)},
            "status": {c: r.status[0] for c, r in zip(self.conditions, self.results)},
        }

    def plot(self, path=None):
        """Side-by-side time courses (glucose, insulin release, insulin, glucagon, liver output,
        glycogen, muscle/fat uptake, C-peptide), one line per condition."""
        from .plotting import _finish, _pyplot

        plt = _pyplot(path)
        fig, axes = plt.subplots(2, 4, figsize=(17, 7.5), sharex=True)
        hours = self.protocol == "fast"
        for ax, (col, label) in zip(axes.flat, FIGURE_PANELS):
            for c, res in zip(self.conditions, self.results):
                ax.plot(res.time_min / (60.0 if hours else 1.0), res.get(col), label=c, lw=1.4)
            ax.set_title(label, fontsize=10)
            ax.set_ylabel(col.split("[")[-1].rstrip("]"), fontsize=8)
            ax.grid(alpha=0.3)
        for ax in axes[1]:
            ax.set_xlabel("time [h]" if hours else "time [min]")
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"Normal versus impaired function: {PROTOCOLS[self.protocol][0]}")
        fig.tight_layout()
        return _finish(fig, path)


def compare(conditions: Sequence[str] = DEFAULT_CONDITIONS, protocol: str = "ogtt",
            body_weight_kg: float | None = None, dt_min: float | None = None) -> Comparison:
    """Run one protocol through several conditions and tabulate organ by organ.

    Parameters
    ----------
    conditions
        Patient presets (conditions), e.g. ``("healthy", "t2d-hepatic", "cirrhosis")``.
    protocol
        ``"ogtt"`` (75 g, 3 h), ``"meal"`` (75 g carbohydrate, 5 h) or ``"fast"`` (to 72 h).
    body_weight_kg
        The same body weight for every condition (default: each preset's own).
    dt_min
        Output sampling interval [min] (default 1 min; 15 min for the fast).
    """
    if protocol not in PROTOCOLS:
        raise UnknownNameError("protocol", protocol, PROTOCOLS)
    names = (conditions,) if isinstance(conditions, str) else tuple(conditions)
    if not names:
        raise InvalidInputError("conditions", list(names), f"one or more of: {', '.join(PRESETS)}")
    for c in names:
        if c not in PRESETS:
            raise UnknownNameError("conditions", c, PRESETS)
    if len(set(names)) != len(names):
        raise InvalidInputError("conditions", list(names), "distinct condition names")
    patients = [Patient.from_preset(c, body_weight_kg=body_weight_kg) for c in names]
    step = dt_min if dt_min is not None else (15.0 if protocol == "fast" else 1.0)
    results = tuple(simulate(p, _scenario(protocol, p), dt_min=step) for p in patients)
    rows = tuple(_row(protocol, p, r) for p, r in zip(patients, results))
    return Comparison(protocol=protocol, conditions=names, rows=rows, results=results)
