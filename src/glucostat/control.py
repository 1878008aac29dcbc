"""Controllers: they see only what a device sees and return an action and a new state.

A controller gets an :class:`Observation` (time, the CGM reading, carbohydrate
announced at this step, its therapy profile, the sample time) and returns
``(Action, new_state)``; it never reads the patient's model parameters. Custom
controllers implement the same two methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from numba import njit

from .devices import TherapyProfile
from .errors import InvalidInputError


@dataclass(frozen=True)
class Observation:
    time_min: float
    cgm_mg_dl: float
    announced_carbs_g: float
    therapy: TherapyProfile
    sample_time_min: float


@dataclass(frozen=True)
class Action:
    """Insulin requested: a basal rate [U/h] and a rapid-acting bolus [U] (pump or pen), and
    optionally a long-acting injection [U] of ``long_acting_product`` (pen)."""

    basal_u_per_h: float
    bolus_u: float = 0.0
    long_acting_u: float = 0.0
    long_acting_product: str = "glargine"


class Controller(Protocol):
    name: str

    def initial_state(self, therapy: TherapyProfile) -> Any: ...

    def step(self, obs: Observation, state: Any) -> tuple[Action, Any]: ...


@njit(cache=True)
def bolus_calculator_u(carbs_g, cgm_mg_dl, carb_ratio_g_per_u, correction_factor_mg_dl_per_u, target_mg_dl,
                       correction_threshold_mg_dl):
    """Standard bolus calculator [U]: carbs/CR plus a correction (G - target)/CF when G
    exceeds the correction threshold (the rule of simglucose's basal-bolus controller).
    Compiled, so the batched closed loop (:mod:`glucostat.batch`) shares it."""
    bolus = carbs_g / carb_ratio_g_per_u
    if cgm_mg_dl > correction_threshold_mg_dl:
        bolus += (cgm_mg_dl - target_mg_dl) / correction_factor_mg_dl_per_u
    return bolus


def meal_bolus_u(carbs_g: float, cgm_mg_dl: float, therapy: TherapyProfile) -> float:
    """:func:`bolus_calculator_u` with a therapy profile's settings."""
    return float(bolus_calculator_u(float(carbs_g), float(cgm_mg_dl), therapy.carb_ratio_g_per_u,
                                    therapy.correction_factor_mg_dl_per_u, therapy.target_mg_dl,
                                    therapy.correction_threshold_mg_dl))


@njit(cache=True)
def pid_update(error_mg_dl, integral, previous_error, has_previous, dt_min, kp, ki, kd, integral_limit):
    """One PID update: returns (rate offset [U/h], new integral [mg/dL min]).

    ``offset = kp e + ki I + kd de/dt`` with ``I`` the error integral clamped to
    +/- ``integral_limit`` (anti-windup) and no derivative term at the first sample."""
    integral = max(-integral_limit, min(integral_limit, integral + error_mg_dl * dt_min))
    deriv = (error_mg_dl - previous_error) / dt_min if has_previous else 0.0
    return kp * error_mg_dl + ki * integral + kd * deriv, integral


@dataclass(frozen=True)
class BasalBolus:
    """Open-loop therapy: the profile's basal rate, and a meal bolus at each announced meal
    (carbs/CR plus correction above the threshold)."""

    name: str = "basal-bolus"

    def initial_state(self, therapy):
        return None

    def step(self, obs, state):
        bolus = meal_bolus_u(obs.announced_carbs_g, obs.cgm_mg_dl, obs.therapy) if obs.announced_carbs_g > 0 else 0.0
        return Action(obs.therapy.basal_u_per_h, bolus), state


@dataclass(frozen=True)
class BasalOnly:
    """The profile's basal rate and nothing else (no meal boluses)."""

    name: str = "basal-only"

    def initial_state(self, therapy):
        return None

    def step(self, obs, state):
        return Action(obs.therapy.basal_u_per_h, 0.0), state


@dataclass(frozen=True)
class PID:
    """PID on the CGM error e = G - target, added to the profile's basal rate.

    ``basal [U/h] = basal_profile + kp e + ki sum(e dt) + kd de/dt`` with gains in
    U/h per mg/dL, U/h per (mg/dL min) and U/h per (mg/dL/min); the integral is
    clamped to +/- ``integral_limit`` mg/dL min (anti-windup). Meal boluses are given
    from announcements when ``meal_bolus`` is true.
    """

    kp: float = 0.01
    ki: float = 1e-5
    kd: float = 0.05
    target_mg_dl: float = 120.0
    integral_limit: float = 20000.0
    meal_bolus: bool = True
    name: str = "pid"

    def __post_init__(self):
        for f in ("kp", "ki", "kd", "target_mg_dl", "integral_limit"):
            v = getattr(self, f)
            if not (isinstance(v, (int, float)) and math.isfinite(v)):
                raise InvalidInputError(f"PID.{f}", v, "a finite number")
        if not 70 <= self.target_mg_dl <= 200:
            raise InvalidInputError("PID.target_mg_dl", self.target_mg_dl, "a number in [70, 200] mg/dL")

    def initial_state(self, therapy):
        return (0.0, None)  # (integral of error [mg/dL min], previous error)

    def step(self, obs, state):
        integral, prev = state
        e = float(obs.cgm_mg_dl) - self.target_mg_dl
        offset, integral = pid_update(e, integral, 0.0 if prev is None else prev, prev is not None,
                                      float(obs.sample_time_min), self.kp, self.ki, self.kd, self.integral_limit)
        basal = obs.therapy.basal_u_per_h + offset
        bolus = 0.0
        if self.meal_bolus and obs.announced_carbs_g > 0:
            bolus = obs.announced_carbs_g / obs.therapy.carb_ratio_g_per_u
        return Action(basal, bolus), (integral, e)


@dataclass(frozen=True)
class MDI:
    """Multiple daily injections with pens: one long-acting injection a day at
    ``injection_time_min`` (time of day) of 24 x the profile's basal rate, and rapid-acting
    meal boluses (carbs/CR plus correction) at announced meals. No pump infusion."""

    long_acting_product: str = "glargine"
    injection_time_min: float = 22 * 60.0
    name: str = "mdi"

    def __post_init__(self):
        if self.long_acting_product not in ("glargine", "degludec"):
            raise InvalidInputError("MDI.long_acting_product", self.long_acting_product, "'glargine' or 'degludec'")
        if not 0 <= self.injection_time_min < 1440:
            raise InvalidInputError("MDI.injection_time_min", self.injection_time_min, "a time of day in [0, 1440) min")

    def initial_state(self, therapy):
        return None

    def step(self, obs, state):
        tod = obs.time_min % 1440.0
        inject = tod <= self.injection_time_min < tod + obs.sample_time_min
        bolus = meal_bolus_u(obs.announced_carbs_g, obs.cgm_mg_dl, obs.therapy) if obs.announced_carbs_g > 0 else 0.0
        dose = 24.0 * obs.therapy.basal_u_per_h if inject else 0.0
        return Action(0.0, bolus, dose, self.long_acting_product), state


CONTROLLERS = {"basal-bolus": BasalBolus, "basal-only": BasalOnly, "pid": PID, "mdi": MDI}


def controller_from_name(name: str) -> Controller:
    if name not in CONTROLLERS:
        from .errors import UnknownNameError

        raise UnknownNameError("controller", name, CONTROLLERS)
    return CONTROLLERS[name]()
