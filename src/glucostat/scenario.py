"""Scenarios: immutable, time-ordered events (meals, oral glucose, IV glucose and insulin,
SC insulin, oral drugs, glucagon injections and exercise).

Times are minutes from the start of the simulation (00:00 of day 1), given as a
number or a clock string: ``"07:30"``, ``"07:30:15"``, or ``"day 2 07:30"``.
Every event is validated on construction; an invalid field raises
``pydantic.ValidationError`` (a ``ValueError``) naming the field, the value and
what is allowed. Scenario files (TOML or JSON) hold the same fields.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, Sequence, Union

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import InvalidInputError

from .model import N_INPUTS, N_STATES, S, U
from .units import MG_PER_G, MIN_PER_DAY, PMOL_PER_L_PER_UU_PER_ML, PMOL_PER_U

MAX_TIME_MIN = 366 * MIN_PER_DAY

_CLOCK = re.compile(r"^\s*(?:(?:day|d)\s*(\d+)\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$", re.IGNORECASE)


def parse_time(value: Any) -> float:
    """Minutes from the start: a number, or ``"HH:MM[:SS]"`` / ``"day N HH:MM"``."""
    if isinstance(value, bool):
        raise ValueError("a time is minutes (a number) or a clock string 'HH:MM' / 'day N HH:MM'")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        m = _CLOCK.match(text)
        if m:
            day = int(m.group(1) or 1)
            hh, mm, ss = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
            if day >= 1 and hh < 24 and mm < 60 and ss < 60:
                return (day - 1) * MIN_PER_DAY + hh * 60.0 + mm + ss / 60.0
        raise ValueError(f"{value!r} is not a time: use minutes, 'HH:MM' (00:00-23:59) or 'day N HH:MM' (N >= 1)")
    raise ValueError(f"{value!r} is not a time: use minutes, 'HH:MM' or 'day N HH:MM'")


Minutes = Annotated[float, BeforeValidator(parse_time), Field(ge=0.0, le=MAX_TIME_MIN, allow_inf_nan=False)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    time: Minutes = Field(description="Start time [min] (or a clock string)")

    @property
    def end(self) -> float:
        return self.time + getattr(self, "duration_min", 0.0)


def _merge_constant_rate(chunks: np.ndarray) -> np.ndarray:
    """Eating chunks ``(start, end, grams)`` with runs of back-to-back minutes at the same rate merged
    into one (the continuous meal-size convention needs no stop between them)."""
    out = [list(chunks[0])]
    for a, b, g in chunks[1:]:
        a0, b0, g0 = out[-1]
        if b > a and b0 > a0 and a == b0 and math.isclose(g / (b - a), g0 / (b0 - a0), rel_tol=1e-12):
            out[-1] = [a0, b, g0 + g]
        else:
            out.append([a, b, g])
    return np.array(out)


class _Eaten(_Event):
    """Something eaten or drunk: glucose enters the stomach minute by minute."""

    def eating_chunks(self) -> list[tuple[float, float, float]]:
        """``(start [min], end [min], glucose [g])`` per minute of eating.

        Eating is cut into whole minutes (the last one partial): in the per-minute
        convention the gastric meal size D grows at the start of each minute by what is
        eaten in it, as in the UVA/Padova simulator and simglucose; in the continuous one
        (:meth:`Scenario.compile`) back-to-back minutes at one rate are merged (docs/model.md, 'Meals').
        """
        grams = self._grams()
        rate = getattr(self, "rate_g_per_min", None)
        if rate is not None:
            n_full = int(math.floor(grams / rate + 1e-12))
            chunks = [(self.time + k, self.time + k + 1.0, rate) for k in range(n_full)]
            rest = grams - n_full * rate
            if rest > 1e-9:
                chunks.append((self.time + n_full, self.time + n_full + 1.0, rest))
            return chunks
        dur = self.duration_min
        if dur <= 0:
            return [(self.time, self.time, grams)]
        chunks, k = [], 0
        while k < dur - 1e-9:
            a = self.time + k
            b = min(self.time + k + 1.0, self.time + dur)
            chunks.append((a, b, grams * (b - a) / dur))
            k += 1
        return chunks

    @property
    def end(self) -> float:
        return self.eating_chunks()[-1][1]


class Meal(_Eaten):
    """A mixed meal: carbohydrate [g] eaten over ``duration_min`` (default 15 min) or at
    ``rate_g_per_min`` (simglucose eats 5 g/min, the last minute partial).

    The carbohydrate enters the stomach as glucose equivalents (DM2007 gut
    model). ``duration_min = 0`` puts the whole meal in the stomach at once.
    """

    type: Literal["meal"] = "meal"
    carbs_g: float = Field(gt=0.0, le=1000.0, description="Carbohydrate [g]")
    duration_min: float | None = Field(default=None, ge=0.0, le=240.0, description="Eating time [min]")
    rate_g_per_min: float | None = Field(default=None, gt=0.0, le=100.0, description="Eating rate [g/min]")
    announced: bool = Field(default=True, description="Whether a controller is told of the meal (false: missed bolus)")
    bolus_delay_min: float = Field(default=0.0, ge=0.0, le=240.0,
                                   description="Minutes after the meal start at which the controller is told (late bolus)")

    @model_validator(mode="after")
    def _duration_or_rate(self):
        if self.rate_g_per_min is not None and self.duration_min is not None:
            raise ValueError("duration_min and rate_g_per_min: give one of them, not both")
        if self.rate_g_per_min is None and self.duration_min is None:
            object.__setattr__(self, "duration_min", 15.0)
        return self

    def _grams(self) -> float:
        return self.carbs_g


class OralGlucose(_Eaten):
    """An oral glucose drink [g], e.g. the 75 g OGTT load (drunk over 5 min, WHO 1999)."""

    type: Literal["oral_glucose"] = "oral_glucose"
    grams: float = Field(default=75.0, gt=0.0, le=300.0, description="Glucose [g]")
    duration_min: float = Field(default=5.0, ge=0.0, le=60.0, description="Drinking time [min]")

    def _grams(self) -> float:
        return self.grams


class IVGlucoseBolus(_Event):
    """An intravenous glucose bolus [g], entering plasma at once."""

    type: Literal["iv_glucose_bolus"] = "iv_glucose_bolus"
    grams: float = Field(gt=0.0, le=100.0, description="Glucose [g]")


class IVGlucoseInfusion(_Event):
    """An intravenous glucose infusion at a constant rate [mg/kg/min]."""

    type: Literal["iv_glucose_infusion"] = "iv_glucose_infusion"
    duration_min: float = Field(gt=0.0, le=MAX_TIME_MIN, description="Duration [min]")
    rate_mg_per_kg_min: float = Field(gt=0.0, le=40.0, description="Glucose infusion rate [mg/kg/min]")


class IVInsulinInfusion(_Event):
    """An intravenous insulin infusion at a constant rate [mU/kg/min] (a bolus: :class:`IVInsulinBolus`)."""

    type: Literal["iv_insulin_infusion"] = "iv_insulin_infusion"
    duration_min: float = Field(gt=0.0, le=MAX_TIME_MIN, description="Duration [min]")
    rate_mu_per_kg_min: float = Field(gt=0.0, le=20.0, description="Insulin infusion rate [mU/kg/min]")


class IVInsulinBolus(_Event):
    """An intravenous insulin bolus [U/kg] (regular insulin), injected over one minute (insulin tolerance test)."""

    type: Literal["iv_insulin_bolus"] = "iv_insulin_bolus"
    units_per_kg: float = Field(gt=0.0, le=0.3, description="Insulin [U/kg] (insulin tolerance test: 0.05-0.15)")

    @property
    def end(self) -> float:
        return self.time + 1.0


#: Insulin products and the model input each one feeds (docs/model.md, 'Insulin products').
INSULIN_PRODUCTS = {"rapid": U.sc_insulin, "regular": U.sc_regular, "glargine": U.sc_glargine,
                    "degludec": U.sc_degludec, "nph": U.sc_nph}


class InsulinBolus(_Event):
    """A subcutaneous insulin dose [U] (pump bolus or pen injection), delivered over
    ``duration_min`` (default 1 min). ``product``: ``rapid`` (lispro/aspart-like, UVA/Padova
    kinetics), ``regular`` (human insulin), ``nph`` (isophane, intermediate-acting human insulin),
    ``glargine`` or ``degludec`` (basal analogues)."""

    type: Literal["insulin_bolus"] = "insulin_bolus"
    units: float = Field(gt=0.0, le=100.0, description="Insulin [U]")
    product: Literal["rapid", "regular", "nph", "glargine", "degludec"] = "rapid"
    duration_min: float = Field(default=1.0, gt=0.0, le=240.0, description="Delivery time [min]")


class InsulinInfusion(_Event):
    """A subcutaneous insulin infusion (pump basal) at a constant rate [U/h]."""

    type: Literal["insulin_infusion"] = "insulin_infusion"
    duration_min: float = Field(gt=0.0, le=MAX_TIME_MIN, description="Duration [min]")
    rate_u_per_h: float = Field(gt=0.0, le=50.0, description="Insulin infusion rate [U/h]")


class Metformin(_Event):
    """An oral dose of immediate-release metformin [mg] (usual 500-1000 mg, up to 2550 mg/day).

    Pharmacokinetics and action: :mod:`glucostat.physiology.drugs` (docs/model.md, 'Drugs').
    """

    type: Literal["metformin"] = "metformin"
    dose_mg: float = Field(gt=0.0, le=2550.0, description="Metformin [mg] (label maximum 2550 mg/day)")


#: Sulfonylureas, the gut state each dose enters and the largest single dose allowed [mg]
#: (label maximum daily doses: glipizide 40 mg, glimepiride 8 mg, glibenclamide 20 mg).
SULFONYLUREAS = {"glipizide": (S.glipizide_gut, 40.0), "glimepiride": (S.glimepiride_gut, 8.0),
                 "glibenclamide": (S.glibenclamide_gut, 20.0)}


class Sulfonylurea(_Event):
    """An oral sulfonylurea dose [mg]: ``glipizide``, ``glimepiride`` or ``glibenclamide`` (glyburide).

    Stimulates insulin secretion partly independently of glucose, so it acts only where
    beta cells remain (no effect in type 1 diabetes) and can cause hypoglycaemia.
    """

    type: Literal["sulfonylurea"] = "sulfonylurea"
    drug: Literal["glipizide", "glimepiride", "glibenclamide"] = "glimepiride"
    dose_mg: float = Field(gt=0.0, le=40.0, description="Dose [mg]")

    @model_validator(mode="after")
    def _label_maximum(self):
        top = SULFONYLUREAS[self.drug][1]
        if self.dose_mg > top:
            raise ValueError(f"dose_mg: {self.dose_mg:g} mg of {self.drug} is above its label maximum; "
                             f"allowed: 0 < dose_mg <= {top:g}")
        return self


class GlucagonInjection(_Event):
    """A glucagon injection [mg]: the rescue dose, 1 mg in adults, 0.5 mg in children under 25 kg,
    intramuscular (``route = "im"``) or subcutaneous (``"sc"``); or intravenous (``"iv"``, the
    glucagon stimulation test)."""

    type: Literal["glucagon"] = "glucagon"
    dose_mg: float = Field(default=1.0, gt=0.0, le=2.0, description="Glucagon [mg]")
    route: Literal["im", "sc", "iv"] = "im"


#: Label maximum daily doses [mg]: metformin IR 2550 (Glucophage), glipizide 40, glimepiride 8, glibenclamide 20.
DAILY_MAXIMUM_MG = {"metformin": 2550.0, **{k: v[1] for k, v in SULFONYLUREAS.items()}}


#: VO2 at rest as % of VO2max: Roy & Parker 2007's exercise input u3 is intensity above it.
RESTING_VO2MAX_PCT = 8.0


class Exercise(_Event):
    """Aerobic exercise at a constant intensity [% of VO2max] for ``duration_min``
    (Roy & Parker 2007 exercise model; docs/model.md, 'Exercise'). Rest is 8 % of VO2max;
    bouts may not overlap."""

    type: Literal["exercise"] = "exercise"
    duration_min: float = Field(gt=0.0, le=600.0, description="Duration [min]")
    intensity_pct_vo2max: float = Field(gt=RESTING_VO2MAX_PCT, le=100.0,
                                        description="Intensity [% of VO2max], above rest (8 %)")
    # note: Roy & Parker's glycogen-depletion threshold ATH = -1.1521 u3^2 + 87.471 u3 is <= 0 above
    # u3 = 75.9 (intensity ~ 84 %): at such intensities their depletion term starts at once


Event = Annotated[
    Union[Meal, OralGlucose, IVGlucoseBolus, IVGlucoseInfusion, IVInsulinInfusion, IVInsulinBolus, InsulinBolus,
          InsulinInfusion, Metformin, Sulfonylurea, GlucagonInjection, Exercise],
    Field(discriminator="type"),
]


def _daily_events(daily: "Sequence[Event]", days: int) -> list:
    """``daily`` events (each within the first day) copied to each of ``days`` days; a bad event is
    refused naming ``daily[i]``."""
    out = []
    for i, ev in enumerate(daily):
        if not isinstance(ev, _Event):
            raise InvalidInputError(f"daily[{i}]", ev, "an event (Meal, Metformin, Sulfonylurea, Exercise, ...)")
        if not 0 <= ev.time < MIN_PER_DAY or ev.end > MIN_PER_DAY:
            raise InvalidInputError(f"daily[{i}].time", ev.time, "an event that starts and ends within the first "
                                    "day (0-1440 min)")
        out += [ev.model_copy(update={"time": d * MIN_PER_DAY + ev.time}) for d in range(days)]
    return out


class Scenario(BaseModel):
    """An immutable list of events in time order, and the simulated duration [min].

    ``duration_min`` defaults to the end of the last day on which an event
    happens (at least one day).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    events: tuple[Event, ...] = ()
    duration_min: float | None = Field(default=None, gt=0.0, le=MAX_TIME_MIN)
    name: str = "scenario"

    @model_validator(mode="after")
    def _check(self):
        last = -1.0
        for i, ev in enumerate(self.events):
            if ev.time < last:
                raise ValueError(
                    f"events[{i}].time: {ev.time:g} min is earlier than the event before it ({last:g} min); "
                    "allowed: events in non-decreasing time order"
                )
            last = ev.time
        # daily totals of oral drugs within their label maxima (a schedule that exceeds them is refused)
        totals: dict = {}
        for i, ev in enumerate(self.events):
            if isinstance(ev, (Metformin, Sulfonylurea)):
                drug = "metformin" if isinstance(ev, Metformin) else ev.drug
                key = (drug, int(ev.time // MIN_PER_DAY))
                totals[key] = totals.get(key, 0.0) + ev.dose_mg
                top = DAILY_MAXIMUM_MG[drug]
                if totals[key] > top + 1e-9:
                    raise ValueError(f"events[{i}].dose_mg: {drug} on day {key[1] + 1} totals {totals[key]:g} mg; "
                                     f"allowed: at most {top:g} mg per day (label maximum)")
        bouts = sorted((ev.time, ev.end, i) for i, ev in enumerate(self.events) if isinstance(ev, Exercise))
        for (_, end0, i0), (t1, _, i1) in zip(bouts, bouts[1:]):
            if t1 < end0:
                raise ValueError(f"events[{i1}].time: exercise at {t1:g} min starts before the bout of events[{i0}] "
                                 f"ends ({end0:g} min); allowed: exercise bouts that do not overlap")
        end = max((ev.end for ev in self.events), default=0.0)
        if self.duration_min is None:
            object.__setattr__(self, "duration_min", max(1.0, math.ceil(end / MIN_PER_DAY + 1e-12)) * MIN_PER_DAY
                               if end > 0 else MIN_PER_DAY)
        elif self.duration_min < end:
            raise ValueError(
                f"duration_min: {self.duration_min:g} min ends before the last event ({end:g} min); "
                f"allowed: at least {end:g}"
            )
        return self

    # ------------------------------------------------------------------ builders
    @classmethod
    def day(cls, meals: dict | None = None, days: int = 1, duration_min: float = 15.0, name: str = "day",
            daily: "Sequence[Event]" = ()) -> "Scenario":
        """Meals at clock times, repeated for ``days`` days.

        ``meals`` maps a clock time to carbohydrate grams, or to
        ``(grams, eating duration [min])``; default: 50 g at 07:00, 70 g at 12:00,
        80 g at 18:00 (eaten over ``duration_min`` = 15 min). ``daily``: other events
        (drug doses, insulin, exercise) at times within the first day, repeated every day,
        e.g. ``daily=[Metformin(time="08:00", dose_mg=1000), Metformin(time="20:00", dose_mg=1000)]``.
        """
        if meals is None:
            meals = {"07:00": 50, "12:00": 70, "18:00": 80}
        _check_days(days)
        items = []
        for t, spec in meals.items():
            grams, dur = (spec if isinstance(spec, (tuple, list)) else (spec, duration_min))
            items.append((parse_time(t), grams, dur, t))
        items.sort(key=lambda x: x[0])
        events = []
        for d in range(days):
            for t, grams, dur, label in items:
                if not 0 <= t < MIN_PER_DAY:
                    raise ValueError(f"meals: time {label!r} is not within one day; allowed: '00:00'-'23:59'")
                try:
                    events.append(Meal(time=d * MIN_PER_DAY + t, carbs_g=grams, duration_min=dur))
                except ValidationError as exc:
                    err = exc.errors()[0]
                    raise InvalidInputError(
                        f"meals[{label!r}]" + (f".{err['loc'][0]}" if err["loc"] else ""), err.get("input"), err["msg"].replace("Input should be", "")
                        .strip()) from None
        events += _daily_events(daily, days)
        events.sort(key=lambda e: e.time)
        return cls(events=tuple(events), duration_min=days * MIN_PER_DAY, name=name)

    def with_daily(self, daily: "Sequence[Event]", days: int, name: str | None = None) -> "Scenario":
        """This scenario plus ``daily`` events (times within the first day) repeated on each of ``days``
        days, merged in time order (e.g. a drug regimen added to a trial's meals)."""
        _check_days(days)
        events = sorted(tuple(self.events) + tuple(_daily_events(daily, days)), key=lambda e: e.time)
        return type(self)(events=tuple(events), duration_min=self.duration_min,
                          name=self.name if name is None else name)

    @classmethod
    def random_days(cls, days: int = 1, seed: int = 0, eat_rate_g_per_min: float | None = 5.0,
                    name: str = "random days") -> "Scenario":
        """Seeded random meals, day after day, with the distribution of simglucose's
        ``RandomScenario`` (simglucose 0.2.11, simulation/scenario_gen.py): breakfast,
        lunch and dinner each with probability 0.95 (times N(7, 12, 18 h; SD 60 min)
        truncated to 5-9, 10-14, 16-20 h; 45, 70, 80 g, SD 10 g) and three snacks with
        probability 0.3 (9.5, 15, 21.5 h; SD 30 min; 10 g, SD 5 g). Meals are eaten at
        ``eat_rate_g_per_min`` (simglucose: 5 g/min). The same seed gives the same days.
        """
        from scipy.special import ndtr, ndtri

        _check_days(days)
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise InvalidInputError("seed", seed, "a non-negative integer")
        rng = np.random.default_rng(seed)
        prob = (0.95, 0.3, 0.95, 0.3, 0.95, 0.3)
        lb = np.array([5, 9, 10, 14, 16, 20]) * 60.0
        ub = np.array([9, 10, 14, 16, 20, 23]) * 60.0
        mu = np.array([7, 9.5, 12, 15, 18, 21.5]) * 60.0
        sd = np.array([60, 30, 60, 30, 60, 30], dtype=float)
        g_mu = (45, 10, 70, 10, 80, 10)
        g_sd = (10, 5, 10, 5, 10, 5)
        p_lb, p_ub = ndtr((lb - mu) / sd), ndtr((ub - mu) / sd)
        kw = {"rate_g_per_min": eat_rate_g_per_min} if eat_rate_g_per_min else {}
        events = []
        for d in range(days):
            day = []
            for k in range(6):
                if rng.random() < prob[k]:
                    # truncated normal by inversion, consuming one uniform as scipy's truncnorm.rvs does
                    u = rng.uniform(0.0, 1.0, size=1)[0]
                    pa, pb = p_lb[k], p_ub[k]
                    t = float(np.round(mu[k] + sd[k] * ndtri(pa + u * (pb - pa))))
                    g = float(max(round(rng.normal(g_mu[k], g_sd[k])), 0))
                    if g > 0:
                        day.append((t, g))
            day.sort()
            for t, g in day:
                events.append(Meal(time=d * MIN_PER_DAY + t, carbs_g=g, **kw))
        return cls(events=tuple(events), duration_min=days * MIN_PER_DAY, name=f"{name} (seed {seed})")

    @classmethod
    def from_dict(cls, data: dict) -> "Scenario":
        """Build from a mapping with the fields of :class:`Scenario` (validated)."""
        return cls.model_validate(data)

    @classmethod
    def from_file(cls, path: str | Path) -> "Scenario":
        """Read a scenario from a ``.toml`` or ``.json`` file (validated).

        Example TOML::

            name = "breakfast test"
            duration_min = 480
            [[events]]
            type = "meal"
            time = "07:00"
            carbs_g = 60
            duration_min = 15
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise InvalidInputError("scenario file", str(path), "a .toml or .json file")
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise InvalidInputError("scenario file", str(path), f"valid {suffix[1:].upper()} ({exc})") from None
        if not isinstance(data, dict):
            raise InvalidInputError("scenario file", str(path), "a table/object with 'events' and 'duration_min'")
        data.setdefault("name", path.stem)
        return cls.from_dict(data)

    def to_dict(self) -> dict:
        return self.model_dump(mode="json")

    # ------------------------------------------------------------------ compile
    def compile_for(self, patient) -> "CompiledScenario":
        """:meth:`compile` for a :class:`~glucostat.patients.Patient`: its body weight and its meal-size
        convention (parameter ``meal_size_continuous``)."""
        return self.compile(patient.body_weight_kg,
                            continuous_meal_size=bool(patient.values["meal_size_continuous"] > 0.5))

    def compile(self, body_weight_kg: float, continuous_meal_size: bool = False) -> "CompiledScenario":
        """Breakpoints, piecewise-constant inputs and impulses in internal units.

        Meals (docs/model.md, 'Meals: the gastric meal size D'): by default the gastric meal size D
        grows at the start of each minute of eating by what is eaten in it (the UVA/Padova and
        simglucose convention: one segment per minute). With ``continuous_meal_size`` it grows
        continuously at the ingestion rate (input ``U.meal_size_rate``), the limit of that staircase,
        and a meal eaten at a constant rate is one segment. :meth:`compile_for` takes the patient's
        convention.
        """
        times = {0.0, float(self.duration_min)}
        chunks = {}
        ends = []
        for i, ev in enumerate(self.events):
            times.add(ev.time)
            if isinstance(ev, _Eaten):
                chunks[i] = np.array(ev.eating_chunks())  # (minutes of eating, 3): start, end, grams
                if continuous_meal_size:
                    chunks[i] = _merge_constant_rate(chunks[i])
                times.update(chunks[i][:, 0].tolist())
                times.update(chunks[i][:, 1].tolist())
                ends.append(float(chunks[i][-1, 1]))
            else:
                ends.append(ev.end)
                if ev.end > ev.time:
                    times.add(ev.end)
        bps = np.array(sorted(t for t in times if t <= self.duration_min))
        nseg = len(bps) - 1
        u = np.zeros((nseg, N_INPUTS))
        jump = np.zeros((nseg, N_STATES))
        reset = np.zeros(nseg, dtype=np.bool_)
        idx = {t: i for i, t in enumerate(bps)}
        per_kg = PMOL_PER_U / body_weight_kg
        # what is eaten, all minutes of all meals at once (in event and minute order, the order of the sums)
        if chunks:
            eaten = np.concatenate(list(chunks.values()))
            k_a = np.searchsorted(bps, eaten[:, 0])  # the chunk bounds are breakpoints (or beyond the end)
            k_b = np.searchsorted(bps, eaten[:, 1])
            mg = eaten[:, 2] * MG_PER_G
            inside = k_a < nseg
            bolus = inside & (eaten[:, 1] <= eaten[:, 0])  # eaten at once: straight into the stomach
            steps = bolus if continuous_meal_size else inside  # D grows by a step (else at the ingestion rate)
            np.add.at(jump[:, S.meal_size], k_a[steps], mg[steps])
            np.add.at(jump[:, S.stomach_solid], k_a[bolus], mg[bolus])
            np.add.at(jump[:, S.cum_ingested], k_a[bolus], mg[bolus])
            rate = np.where(bolus, 0.0, mg / np.where(bolus, 1.0, eaten[:, 1] - eaten[:, 0]))
            one = inside & ~bolus & (k_b == k_a + 1)  # a minute within one segment (the usual case)
            np.add.at(u[:, U.ingestion], k_a[one], rate[one])
            for k in np.flatnonzero(inside & ~bolus & (k_b > k_a + 1)):  # a minute other events split
                u[k_a[k]:k_b[k], U.ingestion] += rate[k]
            if continuous_meal_size:
                u[:, U.meal_size_rate] = u[:, U.ingestion]
        for i, ev in enumerate(self.events):
            k0 = idx[ev.time]
            k1 = idx[ends[i]]
            if isinstance(ev, _Eaten):
                if k0 < nseg:
                    reset[k0] = True
            elif isinstance(ev, IVGlucoseBolus):
                if k0 < nseg:
                    jump[k0, S.plasma_glucose] += ev.grams * MG_PER_G / body_weight_kg
                    jump[k0, S.cum_iv_glucose] += ev.grams * MG_PER_G / body_weight_kg
            elif isinstance(ev, IVGlucoseInfusion):
                u[k0:k1, U.iv_glucose] += ev.rate_mg_per_kg_min
            elif isinstance(ev, IVInsulinInfusion):
                # 1 mU = 6 pmol (1 µU/mL = 6 pmol/L)
                u[k0:k1, U.iv_insulin] += ev.rate_mu_per_kg_min * PMOL_PER_L_PER_UU_PER_ML
            elif isinstance(ev, IVInsulinBolus):
                u[k0:k1, U.iv_insulin] += ev.units_per_kg * PMOL_PER_U  # [pmol/kg/min] for one minute
            elif isinstance(ev, InsulinBolus):
                u[k0:k1, INSULIN_PRODUCTS[ev.product]] += ev.units * per_kg / ev.duration_min
            elif isinstance(ev, InsulinInfusion):
                u[k0:k1, U.sc_insulin] += ev.rate_u_per_h / 60.0 * per_kg
            elif isinstance(ev, Metformin):
                if k0 < nseg:
                    jump[k0, S.metformin_gut] += ev.dose_mg
            elif isinstance(ev, Sulfonylurea):
                if k0 < nseg:
                    jump[k0, SULFONYLUREAS[ev.drug][0]] += ev.dose_mg
            elif isinstance(ev, GlucagonInjection):
                if k0 < nseg:
                    depot = {"im": S.glucagon_depot_im, "sc": S.glucagon_depot_sc, "iv": S.glucagon_depot_iv}[ev.route]
                    jump[k0, depot] += ev.dose_mg * 1e3  # [ug]
            elif isinstance(ev, Exercise):
                u3 = ev.intensity_pct_vo2max - RESTING_VO2MAX_PCT
                u[k0:k1, U.exercise] += u3
                if k1 < nseg:  # the bout's integrated intensity A restarts at zero (Roy & Parker 2007 eq. 9)
                    jump[k1, S.exercise_work] -= u3 * ev.duration_min
        return CompiledScenario(bps, u, jump, reset)


def _check_days(days) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
        raise InvalidInputError("days", days, "an integer from 1 to 366")


class CompiledScenario:
    """Arrays the integrator consumes: segment bounds [min], inputs, jumps, meal resets."""

    __slots__ = ("breakpoints", "inputs", "jumps", "meal_reset", "_sparse")

    def __init__(self, breakpoints, inputs, jumps, meal_reset):
        self.breakpoints = breakpoints
        self.inputs = inputs
        self.jumps = jumps
        self.meal_reset = meal_reset
        self._sparse = None

    def sparse_jumps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The jumps as compressed rows: ``(offset (nseg+1,), state (nnz,), value (nnz,))``; segment k's
        impulses are ``value[offset[k]:offset[k+1]]`` on the states ``state[...]`` (the compiled kernels'
        layout: a scenario has a few impulses per segment among the model's states)."""
        if self._sparse is None:
            seg, state = np.nonzero(self.jumps)
            offset = np.zeros(self.jumps.shape[0] + 1, dtype=np.int64)
            np.cumsum(np.bincount(seg, minlength=self.jumps.shape[0]), out=offset[1:])
            self._sparse = (offset, state.astype(np.int64), self.jumps[seg, state])
        return self._sparse
