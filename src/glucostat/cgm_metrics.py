"""Consensus CGM metrics and glycaemic risk indices, from a glucose trace.

* Time in ranges, mean, SD, CV, GMI: Battelino T et al. Clinical targets for
  continuous glucose monitoring data interpretation: recommendations from the
  international consensus on time in range. Diabetes Care 2019;42(8):1593-1603.
* GMI(%) = 3.31 + 0.02392 x mean glucose [mg/dL]: Bergenstal RM et al.
  Diabetes Care 2018;41(11):2275-2280.
* LBGI, HBGI, risk index: Kovatchev BP et al. Symmetrization of the blood glucose
  measurement scale and its applications. Diabetes Care 1997;20(11):1655-1658:
  f(G) = 1.509 [(ln G)^1.084 - 5.381], r = 10 f^2, LBGI = mean(r where f < 0),
  HBGI = mean(r where f > 0) over all readings.

Times in range are fractions of the readings (equally spaced samples), reported in %.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import InvalidInputError

#: Battelino 2019 targets for most adults with type 1 or type 2 diabetes.
CONSENSUS_TARGETS = {
    "Time in range 70-180 [%]": (">", 70.0),
    "Time below 70 [%]": ("<", 4.0),
    "Time below 54 [%]": ("<", 1.0),
    "Time above 180 [%]": ("<", 25.0),
    "Time above 250 [%]": ("<", 5.0),
    "Coefficient of variation [%]": ("<=", 36.0),
}


def _trace(glucose_mg_dl) -> np.ndarray:
    g = np.asarray(glucose_mg_dl, dtype=float).ravel()
    g = g[np.isfinite(g)]
    if g.size == 0:
        raise InvalidInputError("glucose_mg_dl", "no finite readings", "at least one finite glucose value [mg/dL]")
    if g.min() <= 0:
        raise InvalidInputError("glucose_mg_dl", float(g.min()), "positive glucose values [mg/dL]")
    return g


def risk_function(glucose_mg_dl) -> np.ndarray:
    """Kovatchev 1997 symmetrised risk f(G) (dimensionless); G clipped to [20, 600] mg/dL."""
    g = np.clip(np.asarray(glucose_mg_dl, dtype=float), 20.0, 600.0)
    return 1.509 * (np.log(g) ** 1.084 - 5.381)


def risk_indices(glucose_mg_dl) -> tuple[float, float, float]:
    """(LBGI, HBGI, risk index = LBGI + HBGI), Kovatchev 1997."""
    g = _trace(glucose_mg_dl)
    f = risk_function(g)
    r = 10.0 * f * f
    lbgi = float(np.mean(np.where(f < 0, r, 0.0)))
    hbgi = float(np.mean(np.where(f > 0, r, 0.0)))
    return lbgi, hbgi, lbgi + hbgi


def gmi_percent(mean_glucose_mg_dl: float) -> float:
    """Glucose management indicator [%] (Bergenstal 2018); arrays give arrays."""
    return 3.31 + 0.02392 * mean_glucose_mg_dl


def consensus_metrics(glucose_mg_dl: Sequence[float]) -> dict[str, float]:
    """The consensus CGM metrics of one glucose trace (equally spaced readings)."""
    g = _trace(glucose_mg_dl)
    return {k: float(v[0]) for k, v in consensus_metrics_batch(g[None, :]).items()}


def consensus_metrics_batch(glucose_mg_dl) -> dict[str, np.ndarray]:
    """:func:`consensus_metrics` of many traces at once: rows are patients (N, n readings).

    Non-finite readings are left out of each row; a row without any finite reading
    gives NaN metrics. Returns one array (N,) per metric."""
    g = np.asarray(glucose_mg_dl, dtype=float)
    if g.ndim != 2:
        raise InvalidInputError("glucose_mg_dl", f"shape {g.shape}", "a 2-D array (patients x readings)")
    ok = np.isfinite(g)
    if np.any(g[ok] <= 0):
        raise InvalidInputError("glucose_mg_dl", float(g[ok].min()), "positive glucose values [mg/dL]")
    n = ok.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv_n = np.where(n > 0, 1.0 / n, np.nan)
        z = np.where(ok, g, 0.0)
        mean = z.sum(axis=1) * inv_n
        dev = np.where(ok, g - mean[:, None], 0.0)
        sd = np.where(n > 1, np.sqrt((dev * dev).sum(axis=1) / np.maximum(n - 1.0, 1.0)), 0.0)
        sd = np.where(n > 0, sd, np.nan)
        f = risk_function(np.where(ok, g, 100.0))
        r = 10.0 * f * f

        def frac(cond):
            return 100.0 * (cond & ok).sum(axis=1) * inv_n

        lbgi = np.where(ok & (f < 0), r, 0.0).sum(axis=1) * inv_n
        hbgi = np.where(ok & (f > 0), r, 0.0).sum(axis=1) * inv_n
        return {
            "Readings [1]": n,
            "Mean glucose [mg/dL]": mean,
            "SD glucose [mg/dL]": sd,
            "Coefficient of variation [%]": 100.0 * sd / mean,
            "GMI [%]": gmi_percent(mean),
            "Time in range 70-180 [%]": frac((g >= 70) & (g <= 180)),
            "Time below 70 [%]": frac(g < 70),
            "Time below 54 [%]": frac(g < 54),
            "Time above 180 [%]": frac(g > 180),
            "Time above 250 [%]": frac(g > 250),
            "Minimum glucose [mg/dL]": np.where(n > 0, np.where(ok, g, np.inf).min(axis=1), np.nan),
            "Maximum glucose [mg/dL]": np.where(n > 0, np.where(ok, g, -np.inf).max(axis=1), np.nan),
            "LBGI [1]": lbgi,
            "HBGI [1]": hbgi,
            "Risk index [1]": lbgi + hbgi,
        }


def meets_targets(metrics: dict[str, float]) -> dict[str, bool]:
    """Which Battelino 2019 targets a metrics dict meets."""
    out = {}
    for key, (op, value) in CONSENSUS_TARGETS.items():
        x = metrics[key]
        out[key] = x > value if op == ">" else x < value if op == "<" else x <= value
    return out


def daily_metrics(time_min: Sequence[float], glucose_mg_dl: Sequence[float]):
    """Consensus metrics per day (day 1 = minutes [0, 1440)) as a pandas table."""
    import pandas as pd

    t = np.asarray(time_min, dtype=float)
    g = np.asarray(glucose_mg_dl, dtype=float)
    if t.shape != g.shape:
        raise InvalidInputError("time_min/glucose_mg_dl", (t.shape, g.shape), "equal lengths")
    days = (t // 1440).astype(int) + 1
    rows = []
    for d in np.unique(days):
        sel = (days == d) & np.isfinite(g)
        if sel.sum() >= 2:
            rows.append({"Day": int(d), **consensus_metrics(g[sel])})
    return pd.DataFrame(rows).set_index("Day")


#: Control-variability grid (Magni L et al. Evaluating the efficacy of closed-loop glucose
#: regulation via control-variability grid analysis. J Diabetes Sci Technol 2008;2(4):630-635,
#: doi:10.1177/193229680800200414): the minimum glucose on a reversed x axis split at 90, 70 and
#: 50 mg/dL (plotted from 110), the maximum on the y axis split at 180 and 300 (plotted to 400).
CVGA_MIN_EDGES = (90.0, 70.0)
CVGA_MAX_EDGES = (180.0, 300.0)
_CVGA_ZONES = (("A", "Lower B", "Lower C"), ("Upper B", "B", "Lower D"), ("Upper C", "Upper D", "E"))


def cvga_point(glucose_mg_dl, percentiles: tuple[float, float] | None = (2.5, 97.5)) -> tuple[float, float]:
    """(minimum, maximum) glucose for the CVGA: the 2.5th and 97.5th percentiles by default
    (robust to sensor outliers), or the true extremes with ``percentiles=None``."""
    g = _trace(glucose_mg_dl)
    if percentiles is None:
        return float(g.min()), float(g.max())
    lo, hi = np.percentile(g, percentiles)
    return float(lo), float(hi)


def cvga_zone(min_mg_dl: float, max_mg_dl: float) -> str:
    """CVGA zone (A, Lower/Upper B, B, Lower/Upper C, Lower/Upper D, E) of a (min, max) point."""
    col = 0 if min_mg_dl >= CVGA_MIN_EDGES[0] else 1 if min_mg_dl >= CVGA_MIN_EDGES[1] else 2
    row = 0 if max_mg_dl <= CVGA_MAX_EDGES[0] else 1 if max_mg_dl <= CVGA_MAX_EDGES[1] else 2
    return _CVGA_ZONES[row][col]


def agp_percentiles(time_min, glucose_mg_dl, bin_min: float = 15.0,
                    percentiles=(5, 25, 50, 75, 95)):
    """Ambulatory glucose profile: glucose percentiles by time of day (bins of ``bin_min``),
    pooling all days (Battelino 2019; Bergenstal RM et al. Diabetes Technol Ther 2013;15:198)."""
    import pandas as pd

    t = np.asarray(time_min, dtype=float)
    g = np.asarray(glucose_mg_dl, dtype=float)
    ok = np.isfinite(g)
    tod = (t[ok] % 1440.0) // bin_min * bin_min
    df = pd.DataFrame({"Time of day [min]": tod, "g": g[ok]})
    out = df.groupby("Time of day [min]")["g"].quantile([p / 100 for p in percentiles]).unstack()
    out.columns = [f"P{p} [mg/dL]" for p in percentiles]
    return out
