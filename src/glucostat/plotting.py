"""Figures from :class:`glucostat.results.Results` (plots never simulate)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import InvalidInputError

KINDS = ("overview", "glucose", "fat")

#: Glucose fluxes shown per organ: (column, legend label, colour).
GLUCOSE_FLUXES = (
    ("Gut glucose absorption [mg/kg/min]", "gut absorption", "tab:orange"),
    ("Liver glucose production [mg/kg/min]", "liver production", "tab:brown"),
    ("Muscle and fat glucose uptake [mg/kg/min]", "muscle and fat uptake", "tab:red"),
    ("Brain glucose uptake [mg/kg/min]", "brain uptake", "tab:purple"),
    ("Urinary glucose excretion [mg/kg/min]", "kidney excretion", "tab:gray"),
)
INSULIN_FLUXES = (
    ("Pancreatic insulin secretion [pmol/kg/min]", "pancreas secretion", "tab:green"),
    ("Hepatic insulin degradation [pmol/kg/min]", "liver degradation", "tab:brown"),
    ("Peripheral insulin degradation [pmol/kg/min]", "peripheral degradation", "tab:blue"),
)


def _hours(res):
    return res.time_min / 60.0


def plot_results(res, kind: str = "overview", path: str | os.PathLike | None = None):
    """Draw a figure; return the matplotlib ``Figure``.

    kind ``"overview"``: plasma glucose and insulin for every patient, then one
    row per patient with the glucose fluxes of each organ and the insulin fluxes
    (secretion, hepatic and peripheral degradation) with hepatic extraction.
    kind ``"glucose"``: plasma glucose and insulin only.
    kind ``"fat"``: plasma glucose and insulin, then one row per patient with plasma free fatty acids
    and adrenaline, and lipolysis and FFA uptake with the adipose insulin signal (adipose tissue).
    """
    if kind not in KINDS:
        raise InvalidInputError("kind", kind, ", ".join(KINDS))
    plt = _pyplot(path)

    n_pat = len(res.patients)
    rows = 1 + (n_pat if kind in ("overview", "fat") else 0)
    fig, axes = plt.subplots(rows, 2, figsize=(12, 3.2 * rows), squeeze=False, sharex=True)
    th = _hours(res)
    ax_g, ax_i = axes[0]
    for i, name in enumerate(res.patients):
        ax_g.plot(th, res.get("Plasma glucose [mg/dL]", i), label=name)
        ax_i.plot(th, res.get("Plasma insulin [pmol/L]", i), label=name)
    ax_g.axhspan(70, 140, color="tab:green", alpha=0.08, lw=0)
    ax_g.set_ylabel("Plasma glucose [mg/dL]")
    ax_i.set_ylabel("Plasma insulin [pmol/L]")
    ax_g.legend(loc="upper right", fontsize="small")
    ax_g.set_title("Blood")
    ax_i.set_title("Blood")
    if kind == "overview":
        for i, name in enumerate(res.patients):
            axf, axn = axes[1 + i]
            for col, label, color in GLUCOSE_FLUXES:
                axf.plot(th, res.get(col, i), label=label, color=color)
            axf.set_ylabel("Glucose flux [mg/kg/min]")
            axf.set_title(f"{name}: glucose by organ")
            axf.legend(loc="upper right", fontsize="x-small", ncol=2)
            for col, label, color in INSULIN_FLUXES:
                axn.plot(th, res.get(col, i), label=label, color=color)
            axn.set_ylabel("Insulin flux [pmol/kg/min]")
            axn.set_title(f"{name}: insulin by organ")
            twin = axn.twinx()
            twin.plot(th, 100 * res.get("Hepatic insulin extraction [fraction]", i), color="k", ls=":",
                      label="hepatic extraction [%]")
            twin.set_ylabel("Hepatic insulin extraction [%]")
            twin.set_ylim(0, 100)
            h1, l1 = axn.get_legend_handles_labels()
            h2, l2 = twin.get_legend_handles_labels()
            axn.legend(h1 + h2, l1 + l2, loc="upper right", fontsize="x-small")
    if kind == "fat":
        for i, name in enumerate(res.patients):
            axc, axr = axes[1 + i]
            axc.plot(th, res.get("Plasma free fatty acids [umol/L]", i), color="tab:orange", label="FFA")
            axc.set_ylabel("Plasma free fatty acids [umol/L]")
            axc.set_title(f"{name}: fat")
            twin = axc.twinx()
            twin.plot(th, res.get("Plasma adrenaline [pg/mL]", i), color="tab:red", ls=":", label="adrenaline")
            twin.set_ylabel("Plasma adrenaline [pg/mL]")
            h1, l1 = axc.get_legend_handles_labels()
            h2, l2 = twin.get_legend_handles_labels()
            axc.legend(h1 + h2, l1 + l2, loc="upper right", fontsize="x-small")
            axr.plot(th, res.get("Lipolysis (FFA release from fat) [umol/kg/min]", i), color="tab:orange",
                     label="lipolysis")
            axr.plot(th, res.get("FFA uptake by tissues [umol/kg/min]", i), color="tab:brown", label="FFA uptake")
            axr.set_ylabel("FFA flux [umol/kg/min]")
            axr.set_title(f"{name}: lipolysis and its insulin signal")
            twin = axr.twinx()
            twin.plot(th, res.get("Adipose tissue insulin signal [pmol/L]", i), color="k", ls=":",
                      label="adipose insulin signal")
            twin.set_ylabel("Adipose insulin signal [pmol/L]")
            h1, l1 = axr.get_legend_handles_labels()
            h2, l2 = twin.get_legend_handles_labels()
            axr.legend(h1 + h2, l1 + l2, loc="upper right", fontsize="x-small")
    for ax in axes[-1]:
        ax.set_xlabel("Time [h]")
    ticks = np.arange(0, th[-1] + 1e-9, 6 if th[-1] > 12 else 1)
    for ax in axes.ravel():
        ax.set_xticks(ticks)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, path)


def plot_closed_loop(cl, path: str | os.PathLike | None = None, max_patients: int = 6):
    """Per patient: CGM and true interstitial glucose with meals, and insulin delivered."""
    plt = _pyplot(path)

    n = min(len(cl.patients), max_patients)
    fig, axes = plt.subplots(n, 1, figsize=(12, 3.0 * n), squeeze=False, sharex=True)
    for i in range(n):
        ax = axes[i, 0]
        th = cl.control_time_min / 60.0
        ax.axhspan(70, 180, color="tab:green", alpha=0.08, lw=0)
        t, ig = cl.glucose("interstitial", i)
        ax.plot(t / 60.0, ig, color="tab:blue", lw=1, label="interstitial glucose")
        ax.plot(th, cl.cgm_mg_dl[i], ".", ms=2, color="k", label="CGM")
        ax.set_ylabel("Glucose [mg/dL]")
        ax.set_title(f"{cl.patients[i]} ({cl.controller})")
        ax2 = ax.twinx()
        ax2.step(th, cl.basal_u_per_h[i], where="post", color="tab:purple", lw=1, label="basal [U/h]")
        nz = cl.bolus_u[i] > 0
        ax2.bar(th[nz], cl.bolus_u[i][nz], width=0.15, color="tab:red", label="bolus [U]")
        meals = cl.announced_carbs_g[i] > 0
        for tm in th[meals]:
            ax.axvline(tm, color="tab:orange", lw=0.8, alpha=0.6)
        ax2.set_ylabel("Insulin [U/h], [U]")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize="x-small")
    axes[-1, 0].set_xlabel("Time [h]")
    fig.tight_layout()
    return _finish(fig, path)


def plot_agp(cl, patient: int | None = None, signal: str = "cgm", path: str | os.PathLike | None = None):
    """Ambulatory glucose profile (5/25/50/75/95th percentiles by time of day) of one patient,
    or of the whole cohort pooled when ``patient`` is None."""
    plt = _pyplot(path)

    from .cgm_metrics import agp_percentiles

    idx = range(len(cl.patients)) if patient is None else [patient]
    ts, gs_ = [], []
    for i in idx:
        t, g = cl.glucose(signal, i)
        ts.append(t)
        gs_.append(g)
    prof = agp_percentiles(np.concatenate(ts), np.concatenate(gs_))
    h = prof.index.to_numpy() / 60.0
    fig, ax = plt.subplots(figsize=(10, 4))
    ax.axhspan(70, 180, color="tab:green", alpha=0.1, lw=0)
    ax.fill_between(h, prof.iloc[:, 0], prof.iloc[:, 4], color="tab:blue", alpha=0.15, label="5-95 %")
    ax.fill_between(h, prof.iloc[:, 1], prof.iloc[:, 3], color="tab:blue", alpha=0.35, label="25-75 %")
    ax.plot(h, prof.iloc[:, 2], color="tab:blue", lw=2, label="median")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_xlabel("Time of day [h]")
    ax.set_ylabel("Glucose [mg/dL]")
    who = "cohort" if patient is None else cl.patients[patient]
    ax.set_title(f"Ambulatory glucose profile: {who} ({cl.controller})")
    ax.legend(loc="upper right", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, path)


def plot_cvga(cl, signal: str = "cgm", path: str | os.PathLike | None = None):
    """Control-variability grid analysis (Magni et al. 2008): one point per patient."""
    plt = _pyplot(path)

    from .cgm_metrics import cvga_point, cvga_zone

    fig, ax = plt.subplots(figsize=(6, 6))
    colours = {"A": "#2e7d32", "Lower B": "#66bb6a", "Upper B": "#66bb6a", "B": "#9ccc65", "Lower C": "#ffee58",
               "Upper C": "#ffee58", "Lower D": "#ffa726", "Upper D": "#ffa726", "E": "#ef5350"}
    xs, ys = (110, 90, 70, 50), (110, 180, 300, 400)
    for r in range(3):
        for c in range(3):
            x0, x1, y0, y1 = xs[c], xs[c + 1], ys[r], ys[r + 1]
            z = cvga_zone((x0 + x1) / 2, (y0 + y1) / 2)
            ax.fill([x0, x1, x1, x0], [y0, y0, y1, y1], color=colours[z], alpha=0.5, lw=0)
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, z, ha="center", va="center", fontsize=8, alpha=0.7)
    counts = {}
    for i in range(len(cl.patients)):
        lo, hi = cvga_point(cl.glucose(signal, i)[1])
        counts[cvga_zone(lo, hi)] = counts.get(cvga_zone(lo, hi), 0) + 1
        ax.plot(min(max(lo, 50), 110), min(max(hi, 110), 400), "ko", ms=4)
    ax.set_xlim(110, 50)
    ax.set_ylim(110, 400)
    ax.set_xlabel("Minimum glucose (2.5th percentile) [mg/dL]")
    ax.set_ylabel("Maximum glucose (97.5th percentile) [mg/dL]")
    ax.set_title("CVGA: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    fig.tight_layout()
    return _finish(fig, path)


def _pyplot(path):
    """matplotlib.pyplot, on the non-interactive Agg backend when the figure goes to a file."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, path):
    """Save the figure atomically when a path is given (format from the suffix) and close it."""
    if path is not None:
        import matplotlib.pyplot as plt

        from .results import _atomic_write

        path = Path(path)
        fmt = path.suffix.lstrip(".").lower() or "png"
        _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format=fmt))
        plt.close(fig)
    return fig
