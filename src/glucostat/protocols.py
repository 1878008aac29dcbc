"""Clinical test protocols built from scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from . import metrics
from .errors import InvalidInputError
from .patients import Patient, resolve
from .results import Results
from .scenario import OralGlucose, Scenario
from .simulation import simulate
from .units import PMOL_PER_L_PER_UU_PER_ML

OGTT_SAMPLE_TIMES_MIN = (0.0, 30.0, 60.0, 90.0, 120.0)


@dataclass(frozen=True)
class OGTTResult:
    """A 75 g oral glucose tolerance test: samples, indices, ADA category."""

    patient: str
    glucose_load_g: float
    sample_times_min: tuple[float, ...]
    glucose_mg_dl: tuple[float, ...]
    insulin_pmol_l: tuple[float, ...]
    indices: Mapping[str, float]
    classification: str
    results: Results = field(repr=False)

    def to_dict(self) -> dict:
        """JSON-ready: samples with units in the keys, indices, classification."""
        return {
            "patient": self.patient,
            "protocol": "75 g oral glucose tolerance test",
            "glucose_load [g]": self.glucose_load_g,
            "samples": [
                {"Time [min]": t, "Plasma glucose [mg/dL]": g, "Plasma insulin [pmol/L]": i,
                 "Plasma insulin [uU/mL]": i / PMOL_PER_L_PER_UU_PER_ML}
                for t, g, i in zip(self.sample_times_min, self.glucose_mg_dl, self.insulin_pmol_l)
            ],
            "indices": dict(self.indices),
            "classification": self.classification,
            "status": self.results.status[0],
        }


def ogtt(patient: Patient | str = "healthy", glucose_g: float = 75.0, drink_duration_min: float = 5.0,
         duration_min: float = 180.0) -> OGTTResult:
    """Simulate a 75 g OGTT from the fasting (basal) state and classify it.

    The glucose drink is taken at 0 min over ``drink_duration_min`` (WHO: within
    5 min); plasma is sampled at 0, 30, 60, 90 and 120 min. Indices: HOMA1-IR,
    HOMA1-%B (Matthews 1985), Matsuda index (Matsuda & DeFronzo 1999),
    insulinogenic index; category by ADA criteria
    (:func:`glucostat.metrics.ada_classification`).
    """
    pat = resolve(patient)
    if duration_min < 120.0:
        raise InvalidInputError("duration_min", duration_min, "at least 120 min (the 2-h sample)")
    scen = Scenario(events=(OralGlucose(time=0.0, grams=glucose_g, duration_min=drink_duration_min),),
                    duration_min=duration_min, name=f"OGTT {glucose_g:g} g")
    res = simulate(pat, scen)
    t = res.time_min
    g = np.interp(OGTT_SAMPLE_TIMES_MIN, t, res.get("Plasma glucose [mg/dL]"))
    ins = np.interp(OGTT_SAMPLE_TIMES_MIN, t, res.get("Plasma insulin [pmol/L]"))
    i_uu = ins / PMOL_PER_L_PER_UU_PER_ML
    indices = {
        "Fasting plasma glucose [mg/dL]": float(g[0]),
        "2-h plasma glucose [mg/dL]": float(g[4]),
        "Fasting plasma insulin [uU/mL]": float(i_uu[0]),
        "HOMA1-IR [1]": metrics.homa1_ir(g[0], i_uu[0]),
        "HOMA1-%B [%]": metrics.homa1_beta(g[0], i_uu[0]),
        "Matsuda index [1]": metrics.matsuda_index(g, i_uu),
        "Insulinogenic index [uU/mL per mg/dL]": metrics.insulinogenic_index(g[0], g[1], i_uu[0], i_uu[1]),
    }
    return OGTTResult(
        patient=res.patients[0],
        glucose_load_g=float(glucose_g),
        sample_times_min=OGTT_SAMPLE_TIMES_MIN,
        glucose_mg_dl=tuple(float(x) for x in g),
        insulin_pmol_l=tuple(float(x) for x in ins),
        indices=indices,
        classification=metrics.ada_classification(g[0], g[4]),
        results=res,
    )
