"""Virtual patients: a parameter set, a body weight, overrides and a basal state."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import parameters as _parameters
from .errors import InvalidInputError, UnknownNameError
from .model import N_PARAMS, N_STATES, P
from .steady_state import derive_basal

#: Patient presets: name -> (parameter set, one-line description).
PRESETS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "healthy": ("healthy", "Healthy adult, 78 kg (Dalla Man 2007 normal with exact basal state, organ extensions and insulin kinetics and action recalibrated to clamps)"),
        "t2d": ("t2d", "Type 2 diabetes, 91 kg (Dalla Man 2007 T2D with exact basal state, organ extensions and insulin kinetics and action recalibrated to clamps)"),
        "t1d": ("t1d", "Type 1 diabetes, 78 kg: Dalla Man 2007 normal physiology without beta cells, basal SC insulin"),
        "prediabetes": ("prediabetes", "Prediabetes: impaired fasting glucose and glucose tolerance (mild combined defects)"),
        "t2d-hepatic": ("t2d-hepatic", "Type 2 diabetes, hepatic insulin resistance dominant (high fasting glucose first)"),
        "t2d-peripheral": ("t2d-peripheral", "Type 2 diabetes, muscle insulin resistance dominant (high post-meal glucose first)"),
        "t2d-beta-cell": ("t2d-beta-cell", "Type 2 diabetes, beta-cell dysfunction dominant"),
        "t2d-dawn": ("t2d-dawn", "Type 2 diabetes with the dawn phenomenon: the liver's insulin sensitivity falls in the early morning"),
        "nafld": ("nafld", "Non-alcoholic fatty liver: hepatic insulin resistance, reduced insulin clearance"),
        "cirrhosis": ("cirrhosis", "Liver cirrhosis: low hepatic insulin extraction, hyperinsulinaemia, insulin resistance"),
        "dalla-man-2007-normal": ("dalla-man-2007-normal", "Dalla Man 2007 normal subject exactly as published"),
        "dalla-man-2007-t2d": ("dalla-man-2007-t2d", "Dalla Man 2007 T2D subject exactly as published (basal state not steady)"),
        "dalla-man-2007-biomodels": ("dalla-man-2007-biomodels", "Dalla Man 2007 normal as encoded in BioModels BIOMD0000000379"),
    }
)


@dataclass(frozen=True)
class Patient:
    """A virtual patient.

    Build one with :meth:`Patient.from_preset` (``"healthy"``, ``"t2d"``, ...).
    ``values`` holds every model parameter after basal derivation, ``initial_state``
    the basal (fasting) state, and ``rederived`` the printed and derived values of
    parameters the basal constraints replaced.
    """

    name: str
    parameter_set: _parameters.ParameterSet
    values: Mapping[str, float]
    initial_state: np.ndarray = field(repr=False)
    rederived: Mapping[str, tuple[float, float]] = field(default_factory=dict, repr=False)
    overrides: Mapping[str, float] = field(default_factory=dict)
    custom_initial_state: bool = False

    @classmethod
    def from_preset(cls, name: str, body_weight_kg: float | None = None, **overrides: float) -> "Patient":
        """A preset patient, optionally with another body weight [kg] or parameter values.

        Overrides are validated against the parameter catalogue; for sets that derive
        their basal state, the derivation runs after the overrides so the basal state
        stays exact.
        """
        if name not in PRESETS:
            raise UnknownNameError("patient", name, PRESETS)
        pset = _parameters.load(PRESETS[name][0])
        ov = {k: _parameters.validate_value(k, v) for k, v in overrides.items()}
        if body_weight_kg is not None:
            ov["BW"] = _parameters.validate_value("BW", body_weight_kg, "body_weight_kg")
        return cls._build(name, pset, ov)

    @classmethod
    def from_parameter_set(cls, name: str, pset: _parameters.ParameterSet, initial_state=None,
                           **overrides: float) -> "Patient":
        """A patient from any parameter set (e.g. one built by an importer).

        ``initial_state`` (layout :class:`glucostat.model.S`) replaces the basal state
        computed from the set; values are validated against the catalogue.
        """
        ov = {k: _parameters.validate_value(k, v) for k, v in overrides.items()}
        return cls._build(name, pset, ov, initial_state)

    @classmethod
    def _build(cls, name, pset, overrides, initial_state=None):
        values = dict(pset.values)
        values.update(overrides)
        full, y0, changed = derive_basal(values, pset.derive_basal, pset.type1)
        if initial_state is not None:
            y0 = np.array(initial_state, dtype=float)
            if y0.shape != (N_STATES,):
                raise InvalidInputError("initial_state", y0.shape, f"an array of {N_STATES} states")
        for k, v in full.items():
            try:
                _parameters.validate_value(k, v, f"patient {name!r}: derived parameters")
            except InvalidInputError as exc:
                raise InvalidInputError(
                    exc.field, v, f"{exc.allowed}; the basal constraints gave this value from Gb, Ib and EGPb"
                ) from None
        if not np.all(np.isfinite(y0)) or y0.min() < 0:
            raise InvalidInputError(
                f"patient {name!r}: basal state", dict(zip(("Gp", "Gt"), y0[3:5])),
                "a non-negative basal state; check Gb, EGPb, k1, k2",
            )
        y0.setflags(write=False)
        return cls(
            name=name,
            parameter_set=pset,
            values=MappingProxyType(full),
            initial_state=y0,
            rederived=MappingProxyType(changed),
            overrides=MappingProxyType(overrides),
            custom_initial_state=initial_state is not None,
        )

    def with_overrides(self, **overrides: float) -> "Patient":
        """A copy with further parameter overrides (basal state re-derived)."""
        ov = dict(self.overrides)
        ov.update({k: _parameters.validate_value(k, v) for k, v in overrides.items()})
        return self._build(self.name, self.parameter_set, ov,
                           self.initial_state if self.custom_initial_state else None)

    @property
    def body_weight_kg(self) -> float:
        return self.values["BW"]

    @property
    def basal_insulin_u_per_h(self) -> float:
        """Steady-state subcutaneous basal insulin [U/h] (u2ss; 0 with endogenous secretion)."""
        return self.values["u2ss"] * self.values["BW"] / 6000.0 * 60.0

    @property
    def basal_glucose_mg_dl(self) -> float:
        return self.values["Gb"]

    @property
    def basal_insulin_pmol_l(self) -> float:
        return self.values["Ib"]

    def parameter_vector(self) -> np.ndarray:
        """Parameters as a flat array in the :class:`glucostat.model.P` layout."""
        v = self.values
        return np.array([v[k] for k in _PARAM_NAMES], dtype=float)

    def parameter_table(self):
        """A pandas table: symbol, value, unit, meaning, source."""
        import pandas as pd

        cat = _parameters.catalogue()
        rows = []
        for k in cat:
            src = self.parameter_set.sources.get(k, "")
            if k in self.rederived:
                src = f"derived from the basal steady state (printed {self.rederived[k][0]:g}; {src})"
            elif k == "Sb" and "Sb" not in self.parameter_set.values:
                src = "derived: (m6 - HEb)/m5"
            if k in self.overrides:
                src = "user override"
            rows.append({"Parameter": k, "Value": self.values[k], "Unit": cat[k].unit,
                         "Meaning": cat[k].meaning, "Source": src})
        return pd.DataFrame(rows)


_PARAM_NAMES = tuple(m.name for m in P)  # in layout order (P values are 0..N_PARAMS-1)
assert [P[k] for k in _PARAM_NAMES] == list(range(N_PARAMS))


def resolve(patient: "Patient | str") -> Patient:
    """Accept a :class:`Patient` or a preset name (a preset is built once per process and shared:
    patients are immutable)."""
    if isinstance(patient, Patient):
        return patient
    if isinstance(patient, str):
        return _preset(patient)
    raise InvalidInputError("patient", patient, f"a Patient or one of: {', '.join(PRESETS)}")


@lru_cache(maxsize=None)
def _preset(name: str) -> Patient:
    return Patient.from_preset(name)
