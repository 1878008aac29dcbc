"""Devices: continuous glucose monitors and insulin pumps/pens.

CGM error model: Breton M, Kovatchev B. Analysis, modeling, and simulation of the
accuracy of continuous glucose sensors. J Diabetes Sci Technol 2008;2(5):853-862.
The sensor reads interstitial glucose IG (Gs/VG of the model, which already lags
plasma glucose). Its error is a Johnson S_U transform of an autoregressive
Gaussian sequence drawn every 15 min::

    e_k = PACF (e_{k-1} + w_k),  w_k ~ N(0, 1),  e_0 ~ N(0, 1)
    eps_k = xi + lambda sinh((e_k - gamma) / delta)

with xi = -5.471 mg/dL, lambda = 15.9574 mg/dL, gamma = -0.5444,
delta = 1.6898, PACF = 0.7 (the values used by simglucose and loopinsight1),
linearly interpolated to the sensor's sampling times, added to IG, rounded
to whole mg/dL and clipped to the sensor's reporting range.

Optional error model ``"facchinetti-2014"``: Facchinetti A, Del Favero S,
Sparacino G, Castle JR, Ward WK, Cobelli C. Modeling the glucose sensor error.
IEEE Trans Biomed Eng 2014;61(3):620-629 (Dexcom SEVEN Plus)::

    CGM(t) = a(t) IG(t) + b(t) + v(t) + cc(t)
    a(t) = a0 + a1 td + a2 td^2,  b(t) = b0 + b1 td + b2 td^2   (td: days since calibration)
    v_k = 1.013 v_{k-1} - 0.2135 v_{k-2} + w_k,   var(w) = 14.45 mg^2/dL^2
    cc_k = 1.23 cc_{k-1} - 0.3995 cc_{k-2} + u_k,  var(u) = 11.3 mg^2/dL^2

on the sensor's 5-min grid, with the population-mean calibration error
(a0 = 1.1, a1 = 2e-4 /day, a2 = 0, b0 = -14.8 mg/dL, b1 = 0.04 mg/dL/day,
b2 = 0) and recalibration every 12 h (the SEVEN Plus schedule), so the drift
restarts at each calibration. The AR(2) processes start from their stationary
state (200 burn-in samples).

Pumps deliver what a controller asks, quantised down to the pump's increments and
clipped to its limits; every clip is counted, so unsafe requests are visible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from .errors import InvalidInputError


@njit(cache=True, parallel=True)
def _johnson_ar1_rows(w, pacf, xi, lam, gamma, delta):
    """Breton & Kovatchev 2008 sensor error along each row of ``w`` (sensors x draws): the recursion
    e0 = w0, e_k = pacf (e_{k-1} + w_k), then the Johnson SU transform xi + lam sinh((e - gamma)/delta)."""
    eps = np.empty_like(w)
    for i in prange(w.shape[0]):
        e = w[i, 0]
        eps[i, 0] = xi + lam * np.sinh((e - gamma) / delta)
        for k in range(1, w.shape[1]):
            e = pacf * (e + w[i, k])
            eps[i, k] = xi + lam * np.sinh((e - gamma) / delta)
    return eps


def _interp_rows(times_min, t0, step, values):
    """Linear interpolation of each row of ``values`` (on the grid t0 + step k) at ``times_min``
    (within the grid); the weights are shared by all rows."""
    x = (times_min - t0) / step
    k = np.minimum(np.floor(x).astype(np.int64), values.shape[1] - 2)
    return _interp_rows_kernel(values, k, x - k)


@njit(cache=True, parallel=True)
def _interp_rows_kernel(values, k, frac):
    out = np.empty((values.shape[0], k.shape[0]))
    for i in prange(values.shape[0]):
        for j in range(k.shape[0]):
            out[i, j] = values[i, k[j]] * (1.0 - frac[j]) + values[i, k[j] + 1] * frac[j]
    return out


@njit(cache=True)
def _ar2_rows(w, a1, a2):
    """Facchinetti 2014 AR(2) noise along each row of ``w``: x0 = x1 = 0, x_k = a1 x_{k-1} + a2 x_{k-2} + w_k."""
    x = np.zeros_like(w)
    for i in range(w.shape[0]):
        for k in range(2, w.shape[1]):
            x[i, k] = a1 * x[i, k - 1] + a2 * x[i, k - 2] + w[i, k]
    return x


@dataclass(frozen=True)
class CGM:
    """A CGM sensor: sampling period [min], reporting range [mg/dL], noise model."""

    name: str = "Dexcom"
    sample_time_min: float = 5.0
    min_mg_dl: float = 39.0
    max_mg_dl: float = 400.0
    noise: bool = True
    xi: float = -5.471
    lam: float = 15.9574
    gamma: float = -0.5444
    delta: float = 1.6898
    pacf: float = 0.7
    noise_step_min: float = 15.0
    error_model: str = "breton-kovatchev-2008"
    calibration_interval_h: float = 12.0

    def __post_init__(self):
        if not (math.isfinite(self.sample_time_min) and 0 < self.sample_time_min <= 60):
            raise InvalidInputError("CGM.sample_time_min", self.sample_time_min, "a number in (0, 60] min")
        if not (0 <= self.min_mg_dl < self.max_mg_dl <= 1000):
            raise InvalidInputError("CGM range", (self.min_mg_dl, self.max_mg_dl), "0 <= min < max <= 1000 mg/dL")
        if self.error_model not in CGM_ERROR_MODELS:
            raise InvalidInputError("CGM.error_model", self.error_model, f"one of {', '.join(CGM_ERROR_MODELS)}")
        if not (math.isfinite(self.calibration_interval_h) and 1.0 <= self.calibration_interval_h <= 24 * 14):
            raise InvalidInputError("CGM.calibration_interval_h", self.calibration_interval_h,
                                    "a number in [1, 336] h")

    def _days_since_calibration(self, times_min: np.ndarray) -> np.ndarray:
        return np.mod(times_min, self.calibration_interval_h * 60.0) / 1440.0

    def gain_trace(self, times_min: np.ndarray) -> np.ndarray:
        """Multiplicative calibration gain a(t) [1] (1 for the Breton & Kovatchev model)."""
        times_min = np.asarray(times_min, dtype=float)
        if not self.noise or self.error_model != "facchinetti-2014":
            return np.ones_like(times_min)
        td = self._days_since_calibration(times_min)
        return FACCHINETTI_2014["a0"] + FACCHINETTI_2014["a1"] * td + FACCHINETTI_2014["a2"] * td**2

    def noise_trace(self, times_min: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Additive sensor error [mg/dL] at ``times_min``: Breton & Kovatchev 2008, or
        b(t) + v(t) + cc(t) of Facchinetti 2014 (its gain is :meth:`gain_trace`)."""
        return self.noise_traces(times_min, [rng])[0]

    def noise_traces(self, times_min: np.ndarray, rngs) -> np.ndarray:
        """:meth:`noise_trace` for several sensors at once, one generator each: (len(rngs), len(times)).

        Each generator draws exactly what :meth:`noise_trace` draws with it (row i equals
        ``noise_trace(times_min, rngs[i])``); the recursion, the Johnson transform and the
        interpolation to the sampling times run on the whole array, so a batch of thousands of
        patients costs little more than its random draws.
        """
        times_min = np.asarray(times_min, dtype=float)
        if not self.noise:
            return np.zeros((len(rngs), times_min.size))
        shape = self._draw_shape(times_min)
        return self.noise_from_normals(times_min, np.stack([rng.standard_normal(shape) for rng in rngs]))

    def seeded_noise_traces(self, times_min: np.ndarray, seed: int, indices) -> np.ndarray:
        """Additive sensor errors (len(indices), len(times)) of patients ``indices`` of a run with ``seed``.

        Patient i's standard normals come from its own counter-based stream
        (:func:`glucostat.rng.standard_normals`, Philox4x32-10 keyed by the seed), so its error is
        the same alone or in any batch, and a batch of thousands is one compiled call.
        """
        from .rng import standard_normals

        times_min = np.asarray(times_min, dtype=float)
        rows = len(indices)
        if not self.noise:
            return np.zeros((rows, times_min.size))
        shape = self._draw_shape(times_min)
        z = standard_normals(seed, indices, int(np.prod(shape))).reshape(rows, *shape)
        return self.noise_from_normals(times_min, z)

    def _draw_shape(self, times_min: np.ndarray) -> tuple[int, ...]:
        """The standard normal draws one sensor's error trace over ``times_min`` needs."""
        t0 = times_min.min()
        if self.error_model == "facchinetti-2014":
            n = int(math.ceil((times_min.max() - t0) / FACCHINETTI_2014["sample_time_min"])) + 2
            return (2, n + _FACCHINETTI_BURN_IN)
        return (int(math.ceil((times_min.max() - t0) / self.noise_step_min)) + 2,)

    def noise_from_normals(self, times_min: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Sensor errors (rows, len(times)) from standard normals ``z`` (rows, *draw shape)."""
        t0 = times_min.min()
        if self.error_model == "facchinetti-2014":
            f = FACCHINETTI_2014
            sd = np.sqrt([[f["v_var"]], [f["cc_var"]]])
            w = z * sd
            v = _ar2_rows(w[:, 0], f["v_a1"], f["v_a2"])
            cc = _ar2_rows(w[:, 1], f["cc_a1"], f["cc_a2"])
            td = self._days_since_calibration(times_min)
            burn = _FACCHINETTI_BURN_IN
            return (f["b0"] + f["b1"] * td + f["b2"] * td**2
                    + _interp_rows(times_min, t0, f["sample_time_min"], v[:, burn:] + cc[:, burn:]))
        eps = _johnson_ar1_rows(np.ascontiguousarray(z), self.pacf, self.xi, self.lam, self.gamma, self.delta)
        return _interp_rows(times_min, t0, self.noise_step_min, eps)

    def read(self, interstitial_glucose_mg_dl, noise_mg_dl=0.0, gain=1.0):
        """Sensor readings [mg/dL]: gain x true interstitial glucose + error, rounded and clipped."""
        x = np.round(gain * np.asarray(interstitial_glucose_mg_dl, dtype=float) + noise_mg_dl)
        return np.clip(x, self.min_mg_dl, self.max_mg_dl)


CGM_ERROR_MODELS = ("breton-kovatchev-2008", "facchinetti-2014")
_FACCHINETTI_BURN_IN = 200  # samples discarded so the AR(2) processes start stationary
#: Facchinetti et al. 2014 (IEEE TBME 61:620), Dexcom SEVEN Plus: population-mean calibration
#: error and the AR(2) coefficients and innovation variances of the sensor noise (v) and the
#: common component (cc), on the 5-min sampling grid.
FACCHINETTI_2014 = {
    "a0": 1.1, "a1": 2e-4, "a2": 0.0, "b0": -14.8, "b1": 0.04, "b2": 0.0,
    "v_a1": 1.013, "v_a2": -0.2135, "v_var": 14.45, "cc_a1": 1.23, "cc_a2": -0.3995, "cc_var": 11.3,
    "sample_time_min": 5.0,
}


#: Presets with simglucose's sampling periods and ranges (its sensor_params.csv).
CGM_PRESETS = {
    "Dexcom": CGM("Dexcom", 3.0, 39.0, 600.0),
    "GuardianRT": CGM("GuardianRT", 5.0, 39.0, 600.0),
    "Navigator": CGM("Navigator", 1.0, 32.0, 600.0),
    "ideal": CGM("ideal", 5.0, 0.0, 1000.0, noise=False),
    # Dexcom SEVEN Plus (range 40-400 mg/dL, 5 min) with the Facchinetti 2014 error model
    "SEVENPlus": CGM("SEVENPlus", 5.0, 40.0, 400.0, error_model="facchinetti-2014"),
}


@dataclass(frozen=True)
class Pump:
    """An insulin pump: basal and bolus increments and limits (U/h, U)."""

    name: str = "generic"
    basal_increment_u_per_h: float = 0.05
    max_basal_u_per_h: float = 35.0
    bolus_increment_u: float = 0.05
    max_bolus_u: float = 30.0

    def __post_init__(self):
        for f in ("basal_increment_u_per_h", "max_basal_u_per_h", "bolus_increment_u", "max_bolus_u"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v > 0):
                raise InvalidInputError(f"Pump.{f}", v, "a positive number")

    def deliver(self, basal_u_per_h: float, bolus_u: float) -> tuple[float, float, list[str]]:
        """What the pump actually delivers, and notes on any clipping.

        A NaN or infinite request is a controller bug and raises; negative requests
        deliver 0 and values above the limits deliver the limit, each noted.
        """
        notes: list[str] = []
        out = []
        for label, v, inc, vmax in (("basal", basal_u_per_h, self.basal_increment_u_per_h, self.max_basal_u_per_h),
                                    ("bolus", bolus_u, self.bolus_increment_u, self.max_bolus_u)):
            v = _clip_request(label, v, vmax, "pump", notes)
            out.append(math.floor(v / inc + 1e-9) * inc)
        return out[0], out[1], notes


@dataclass(frozen=True)
class Pen:
    """Insulin pens for multiple daily injections: doses dialled in ``increment_u`` steps
    (rounded to the nearest step, as a patient dials), at most ``max_dose_u`` per injection.
    A pen cannot infuse: a basal-rate request is noted and delivered as 0."""

    name: str = "pen"
    increment_u: float = 0.5
    max_dose_u: float = 80.0

    def __post_init__(self):
        for f in ("increment_u", "max_dose_u"):
            v = getattr(self, f)
            if not (math.isfinite(v) and v > 0):
                raise InvalidInputError(f"Pen.{f}", v, "a positive number")

    def dial(self, units: float, label: str = "dose") -> tuple[float, list[str]]:
        notes: list[str] = []
        v = _clip_request(label, units, self.max_dose_u, "pen", notes)
        return round(v / self.increment_u) * self.increment_u, notes

    def deliver(self, basal_u_per_h: float, bolus_u: float) -> tuple[float, float, list[str]]:
        notes = [f"basal {basal_u_per_h:g} U/h requested from a pen, not delivered"] if basal_u_per_h else []
        bolus, n = self.dial(bolus_u, "bolus")
        return 0.0, bolus, notes + n


def _clip_request(label: str, value, maximum: float, device: str, notes: list[str]) -> float:
    """A controller's request as a float within [0, maximum]; NaN/inf raise, clips are noted."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidInputError(f"controller {label}", value, "a finite, non-negative number") from None
    if not math.isfinite(v):
        raise InvalidInputError(f"controller {label}", value, "a finite, non-negative number")
    if v < 0:
        notes.append(f"{label} {v:g} < 0 clipped to 0")
        return 0.0
    if v > maximum:
        notes.append(f"{label} {v:g} above {device} maximum {maximum:g}, clipped")
        return maximum
    return v


#: Presets with the limits of simglucose's pump_params.csv.
PUMP_PRESETS = {
    "Cozmo": Pump("Cozmo", 0.05, 35.0, 0.05, 75.0),
    "Insulet": Pump("Insulet", 0.05, 30.0, 0.05, 30.0),
    "generic": Pump(),
    "pen": Pen(),
}


@dataclass(frozen=True)
class TherapyProfile:
    """What a clinician knows and sets: basal rate, carb ratio, correction factor, target."""

    basal_u_per_h: float
    carb_ratio_g_per_u: float
    correction_factor_mg_dl_per_u: float
    target_mg_dl: float = 120.0
    correction_threshold_mg_dl: float = 150.0
    notes: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        checks = {"basal_u_per_h": (0, 20), "carb_ratio_g_per_u": (1, 200), "correction_factor_mg_dl_per_u": (1, 1000),
                  "target_mg_dl": (70, 200), "correction_threshold_mg_dl": (70, 400)}
        for f, (lo, hi) in checks.items():
            v = getattr(self, f)
            if not (math.isfinite(v) and lo <= v <= hi):
                raise InvalidInputError(f"TherapyProfile.{f}", v, f"a number in [{lo}, {hi}]")

    def to_dict(self) -> dict:
        """The settings (without the free-form notes), JSON-ready."""
        return {k: v for k, v in self.__dict__.items() if k != "notes"}

    @property
    def total_daily_basal_u(self) -> float:
        return 24.0 * self.basal_u_per_h
