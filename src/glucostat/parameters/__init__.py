"""Parameter sets as data: loading, inheritance, validation.

``catalogue.toml`` declares every model parameter (unit, meaning, allowed
range). Each other ``*.toml`` file here is a named parameter set: a value and a
source per parameter (or a ``factor`` on the inherited value, for conditions
defined as documented transforms), optionally inheriting from another set (``based_on``)
and optionally asking for the basal steady state to be derived exactly
(``derive_basal``; see :mod:`glucostat.steady_state`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Mapping

from ..errors import InvalidInputError, UnknownNameError


@dataclass(frozen=True)
class ParameterInfo:
    """What the model declares about one parameter."""

    name: str
    unit: str
    meaning: str
    min: float
    max: float
    #: Only whole numbers are allowed (the Hill exponents: the compiled kernels raise to them by
    #: multiplication, :func:`glucostat.physiology.common.power`).
    whole: bool = False


@dataclass(frozen=True)
class ParameterSet:
    """A named, sourced set of parameter values (before basal derivation)."""

    name: str
    title: str
    description: str
    references: tuple[str, ...]
    values: Mapping[str, float]
    sources: Mapping[str, str]
    derive_basal: bool
    based_on: str | None = None
    type1: bool = False
    file: str = field(default="", compare=False)


def _files():
    return resources.files(__name__)


@cache
def catalogue() -> Mapping[str, ParameterInfo]:
    """The model's parameter declarations, keyed by symbol."""
    raw = tomllib.loads((_files() / "catalogue.toml").read_text(encoding="utf-8"))
    return MappingProxyType(
        {k: ParameterInfo(k, v["unit"], v["meaning"], float(v["min"]), float(v["max"]), bool(v.get("whole", False)))
         for k, v in raw.items()}
    )


_DEFAULTS_FILE = "organ_defaults.toml"


@cache
def organ_defaults() -> tuple[Mapping[str, float], Mapping[str, str]]:
    """Values and sources of the glucostat organ extensions for sets that do not give them
    (``organ_defaults.toml``: mechanisms that change the published dynamics are off)."""
    raw = tomllib.loads((_files() / _DEFAULTS_FILE).read_text(encoding="utf-8"))
    values = {k: validate_value(k, e["value"], f"{_DEFAULTS_FILE}: parameters") for k, e in raw["parameters"].items()}
    sources = {k: f"glucostat organ default: {e['source']}" for k, e in raw["parameters"].items()}
    return MappingProxyType(values), MappingProxyType(sources)


@cache
def _raw_sets() -> Mapping[str, tuple[str, dict]]:
    out = {}
    for entry in _files().iterdir():
        if entry.name.endswith(".toml") and entry.name not in ("catalogue.toml", _DEFAULTS_FILE):
            raw = tomllib.loads(entry.read_text(encoding="utf-8"))
            out[raw["set"]["name"]] = (entry.name, raw)
    return MappingProxyType(out)


def available() -> list[str]:
    """Names of the built-in parameter sets."""
    return sorted(_raw_sets())


def validate_value(name: str, value, field_prefix: str = "parameters") -> float:
    """Check one parameter value against the catalogue; return it as float."""
    cat = catalogue()
    if name not in cat:
        raise UnknownNameError(f"{field_prefix}", name, cat)
    info = cat[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{field_prefix}.{name}", value, f"a number in [{info.min}, {info.max}] {info.unit}") from None
    if not math.isfinite(v) or not (info.min <= v <= info.max):
        raise InvalidInputError(f"{field_prefix}.{name}", value, f"a finite number in [{info.min}, {info.max}] {info.unit}")
    if info.whole and v != math.floor(v):
        raise InvalidInputError(f"{field_prefix}.{name}", value, f"a whole number from {info.min:g} to {info.max:g}")
    return v


@cache
def load(name: str) -> ParameterSet:
    """Load a built-in parameter set by name, resolving ``based_on``."""
    sets = _raw_sets()
    if name not in sets:
        raise UnknownNameError("parameter_set", name, sets)
    filename, raw = sets[name]
    meta = raw["set"]
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    base = meta.get("based_on") or None
    if base:
        parent = load(base)
        values.update(parent.values)
        sources.update(parent.sources)
    else:
        defaults, default_sources = organ_defaults()
        values.update(defaults)
        sources.update(default_sources)
    for key, entry in raw.get("parameters", {}).items():
        if "factor" in entry:  # a documented transform of the parent set's value
            if key not in values:
                raise InvalidInputError(f"{filename}: parameters.{key}.factor", entry["factor"],
                                        "a factor only on a parameter the 'based_on' set defines")
            factor = float(entry["factor"])
            values[key] = validate_value(key, values[key] * factor, f"{filename}: parameters")
            sources[key] = f"{base} x {factor:g}: {entry['source']}"
        else:
            values[key] = validate_value(key, entry["value"], f"{filename}: parameters")
            sources[key] = entry["source"]
    required = set(catalogue()) - {"Sb"}
    missing = sorted(required - set(values))
    if missing:
        raise InvalidInputError(f"{filename}: parameters", missing, "every parameter of catalogue.toml except Sb")
    return ParameterSet(
        name=meta["name"],
        title=meta["title"],
        description=" ".join(meta.get("description", "").split()),
        references=tuple(meta.get("references", ())),
        values=MappingProxyType(values),
        sources=MappingProxyType(sources),
        derive_basal=bool(meta.get("derive_basal", False)),
        based_on=base,
        type1=bool(meta.get("type1", False)),
        file=filename,
    )
