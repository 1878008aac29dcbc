"""Clinical test protocols built from scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from . import metrics
from .errors import InvalidInputError, require_number
from .patients import Patient, resolve
from .results import Results
from .scenario import INSULIN_PRODUCTS, GlucagonInjection, InsulinBolus, IVInsulinBolus, Meal, OralGlucose, Scenario
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
    c_peptide_pmol_l: tuple[float, ...] = ()
    glucagon_pg_ml: tuple[float, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready: samples with units in the keys, indices, classification."""
        return {
            "patient": self.patient,
            "protocol": "75 g oral glucose tolerance test",
            "glucose_load [g]": self.glucose_load_g,
            "samples": [
                {"Time [min]": t, "Plasma glucose [mg/dL]": g, "Plasma insulin [pmol/L]": i,
                 "Plasma insulin [uU/mL]": i / PMOL_PER_L_PER_UU_PER_ML, "Plasma C-peptide [pmol/L]": c,
                 "Plasma glucagon [pg/mL]": h}
                for t, g, i, c, h in zip(self.sample_times_min, self.glucose_mg_dl, self.insulin_pmol_l,
                                         self.c_peptide_pmol_l, self.glucagon_pg_ml)
            ],
            "indices": dict(self.indices),
            "classification": self.classification,
            "status": self.results.status[0],
        }


def ogtt(patient: Patient | str = "healthy", glucose_g: float = 75.0, drink_duration_min: float = 5.0,
         duration_min: float = 180.0) -> OGTTResult:
    """Simulate a 75 g OGTT from the fasting (basal) state and classify it.

    The glucose drink is taken at 0 min over ``drink_duration_min`` (WHO: within
    5 min); plasma glucose, insulin, C-peptide and glucagon are sampled at 0, 30,
    60, 90 and 120 min. Indices: HOMA1-IR, HOMA1-%B (Matthews 1985), Matsuda index
    (Matsuda & DeFronzo 1999), insulinogenic index, fasting C-peptide and C-peptide
    to insulin ratio, glucagon change at 30 and 120 min, fasting free fatty acids, their change at
    120 min and Adipo-IR (:func:`glucostat.metrics.adipo_ir`); category by ADA criteria
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
    cp = np.interp(OGTT_SAMPLE_TIMES_MIN, t, res.get("Plasma C-peptide [pmol/L]"))
    gcg = np.interp(OGTT_SAMPLE_TIMES_MIN, t, res.get("Plasma glucagon [pg/mL]"))
    ffa = np.interp(OGTT_SAMPLE_TIMES_MIN, t, res.get("Plasma free fatty acids [umol/L]"))
    i_uu = ins / PMOL_PER_L_PER_UU_PER_ML
    indices = {
        "Fasting plasma glucose [mg/dL]": float(g[0]),
        "2-h plasma glucose [mg/dL]": float(g[4]),
        "Fasting plasma insulin [uU/mL]": float(i_uu[0]),
        "HOMA1-IR [1]": metrics.homa1_ir(g[0], i_uu[0]),
        "HOMA1-%B [%]": metrics.homa1_beta(g[0], i_uu[0]),
        "Matsuda index [1]": metrics.matsuda_index(g, i_uu),
        "Insulinogenic index [uU/mL per mg/dL]": metrics.insulinogenic_index(g[0], g[1], i_uu[0], i_uu[1]),
        "Fasting C-peptide [nmol/L]": float(cp[0]) / 1000.0,
        "C-peptide to insulin molar ratio, fasting [1]": float(cp[0] / ins[0]) if ins[0] > 0 else float("nan"),
        "Glucagon change at 30 min [%]": 100.0 * float(gcg[1] / gcg[0] - 1.0),
        "Glucagon change at 120 min [%]": 100.0 * float(gcg[4] / gcg[0] - 1.0),
        "Fasting free fatty acids [umol/L]": float(ffa[0]),
        "Free fatty acid change at 120 min [%]": 100.0 * float(ffa[4] / ffa[0] - 1.0),
        "Adipo-IR [mmol/L x uU/mL]": metrics.adipo_ir(ffa[0], i_uu[0]),
    }
    return OGTTResult(
        patient=res.patients[0],
        glucose_load_g=float(glucose_g),
        sample_times_min=OGTT_SAMPLE_TIMES_MIN,
        glucose_mg_dl=tuple(float(x) for x in g),
        insulin_pmol_l=tuple(float(x) for x in ins),
        c_peptide_pmol_l=tuple(float(x) for x in cp),
        glucagon_pg_ml=tuple(float(x) for x in gcg),
        indices=indices,
        classification=metrics.ada_classification(g[0], g[4]),
        results=res,
    )


# ---------------------------------------------------------------------------------------------------------------
# MMTT, insulin tolerance test, prolonged fast, isoglycaemic IV glucose infusion (issue 5)
# ---------------------------------------------------------------------------------------------------------------
#: Columns every protocol samples (those that exist in the results).
SAMPLED_COLUMNS = ("Plasma glucose [mg/dL]", "Plasma insulin [pmol/L]", "Plasma C-peptide [pmol/L]",
                   "Plasma glucagon [pg/mL]", "Liver glucose production [mg/kg/min]", "Gluconeogenesis [mg/kg/min]",
                   "Liver glycogen [g]")


@dataclass(frozen=True)
class ProtocolResult:
    """A clinical protocol: settings, plasma samples at the protocol's times, standard indices, the full run."""

    patient: str
    protocol: str
    settings: Mapping[str, object]
    samples: object = field(repr=False)  # pandas DataFrame indexed by "Time [min]"
    indices: Mapping[str, float]
    results: Results = field(repr=False)

    def to_dict(self) -> dict:
        """JSON-ready: protocol, settings, indices and samples, units in the keys."""
        return {"patient": self.patient, "protocol": self.protocol, "settings": dict(self.settings),
                "indices": dict(self.indices), "samples": self.samples.reset_index().to_dict(orient="records"),
                "status": self.results.status[0]}

    def plot(self, path=None):
        """Glucose, insulin and C-peptide over the protocol, with the samples."""
        from .plotting import _finish, _pyplot

        plt = _pyplot(path)
        cols = [c for c in ("Plasma glucose [mg/dL]", "Plasma insulin [pmol/L]", "Plasma C-peptide [pmol/L]")
                if c in self.samples]
        fig, ax = plt.subplots(len(cols), 1, figsize=(9, 2.6 * len(cols)), sharex=True)
        for a, c in zip(np.atleast_1d(ax), cols):
            a.plot(self.results.time_min, self.results.get(c), color="0.6")
            a.plot(self.samples.index, self.samples[c], "o", ms=4, label=self.protocol)
            oral = "Oral " + c[0].lower() + c[1:]  # the isoglycaemic protocol carries its OGTT beside it
            if oral in self.samples:
                a.plot(self.samples.index, self.samples[oral], "s--", ms=4, label="oral glucose (OGTT)")
                a.legend(fontsize="small")
            a.set_ylabel(c)
        np.atleast_1d(ax)[0].set_title(f"{self.protocol}, {self.patient}")
        np.atleast_1d(ax)[-1].set_xlabel("Time [min]")
        fig.tight_layout()
        return _finish(fig, path)


def _samples(res: Results, times) -> "object":
    import pandas as pd

    t = res.time_min
    data = {c: np.interp(times, t, res.get(c)) for c in SAMPLED_COLUMNS if c in res.columns}
    data["Plasma insulin [uU/mL]"] = data["Plasma insulin [pmol/L]"] / PMOL_PER_L_PER_UU_PER_ML
    data["Plasma C-peptide [nmol/L]"] = data["Plasma C-peptide [pmol/L]"] / 1000.0
    return pd.DataFrame(data, index=pd.Index(np.asarray(times, dtype=float), name="Time [min]"))


def _auc(t, y, baseline=0.0) -> float:
    """Trapezoidal area of ``y - baseline`` over ``t``."""
    return float(np.trapezoid(np.asarray(y) - baseline, t))


def _check_ok(res: Results, what: str) -> None:
    if not res.ok:
        raise InvalidInputError("patient", res.patients[0], f"a patient the {what} can be simulated for "
                                f"({res.status[0]})")


#: Mixed-meal tolerance test (TrialNet): Boost High Protein 6 mL/kg up to 360 mL, drunk in 5 min;
#: 33 g carbohydrate per 237 mL (0.139 g/mL).
MMTT_SAMPLE_TIMES_MIN = (-10.0, 0.0, 15.0, 30.0, 60.0, 90.0, 120.0, 150.0, 180.0, 240.0)


def mmtt(patient: Patient | str = "healthy", ml_per_kg: float = 6.0, max_ml: float = 360.0,
         carbs_g_per_ml: float = 33.0 / 237.0, duration_min: float = 240.0) -> ProtocolResult:
    """Mixed-meal tolerance test from the fasting state (Greenbaum CJ et al. Diabetes Care 2008;31:1966:
    Boost 6 mL/kg, at most 360 mL, drunk within 5 min; samples -10 to 240 min).

    The drink's carbohydrate enters the DM2007 gut model (which was identified on mixed meals); its
    protein and fat are not modelled. Indices: fasting and peak C-peptide, C-peptide AUC 0-120 min and
    its mean (AUC/120, the TrialNet outcome), peak glucose and insulin, glucagon at 30 min vs fasting.
    """
    pat = resolve(patient)
    ml_per_kg, max_ml, carbs_g_per_ml = (require_number(name, value, 0.0, top, lo_open=True) for name, value, top in (
        ("ml_per_kg", ml_per_kg, 20.0), ("max_ml", max_ml, 1000.0), ("carbs_g_per_ml", carbs_g_per_ml, 1.0)))
    ml = min(ml_per_kg * pat.body_weight_kg, max_ml)
    duration_min = require_number("duration_min", duration_min, 120.0, 480.0, "120-480 min")
    carbs = ml * carbs_g_per_ml
    t0 = 10.0  # the run starts 10 min before the drink (the -10 min sample)
    scen = Scenario(events=(Meal(time=t0, carbs_g=carbs, duration_min=5.0),), duration_min=duration_min + t0,
                    name=f"MMTT {ml:.0f} mL")
    res = simulate(pat, scen).shifted(-t0)
    _check_ok(res, "MMTT")
    times = [t for t in MMTT_SAMPLE_TIMES_MIN if t <= duration_min]
    s = _samples(res, times)
    w = (s.index >= 0) & (s.index <= 120)
    cp = s["Plasma C-peptide [nmol/L]"]
    auc_cp = _auc(s.index[w], cp[w])
    indices = {
        "Carbohydrate [g]": carbs,
        "Fasting C-peptide [nmol/L]": float(cp.loc[0.0]),
        "Peak C-peptide [nmol/L]": float(cp.max()),
        "C-peptide AUC 0-120 [nmol/L x min]": auc_cp,
        "C-peptide mean AUC 0-120 [nmol/L]": auc_cp / 120.0,
        "Fasting glucose [mg/dL]": float(s["Plasma glucose [mg/dL]"].loc[0.0]),
        "Peak glucose [mg/dL]": float(s["Plasma glucose [mg/dL]"].max()),
        "Peak insulin [uU/mL]": float(s["Plasma insulin [uU/mL]"].max()),
        "Glucagon change at 30 min [%]": 100.0 * (s["Plasma glucagon [pg/mL]"].loc[30.0]
                                                  / s["Plasma glucagon [pg/mL]"].loc[0.0] - 1.0),
    }
    return ProtocolResult(res.patients[0], "mixed-meal tolerance test",
                          {"Drink [mL]": ml, "Carbohydrate [g]": carbs, "Duration [min]": duration_min},
                          s, indices, res)


ITT_SAMPLE_TIMES_MIN = (0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 20.0, 30.0, 45.0, 60.0)


def itt(patient: Patient | str = "healthy", insulin_u_per_kg: float = 0.1, duration_min: float = 60.0) -> ProtocolResult:
    """Insulin tolerance test: regular insulin ``insulin_u_per_kg`` IV at 0 min (over 1 min).

    Indices: kITT [%/min], -100 x the slope of ln glucose on the 3-15 min samples (short ITT: Bonora E
    et al. J Clin Endocrinol Metab 1989;68:374; Akinmokun A et al. Diabet Med 1992;9:432); the glucose nadir and its time, and the glucagon
    and adrenaline responses (counter-regulation). The short test's 15-min window is before counter-regulation acts.
    """
    pat = resolve(patient)
    dose = require_number("insulin_u_per_kg", insulin_u_per_kg, 0.0, 0.3, "an insulin dose > 0 and <= 0.3 U/kg",
                          lo_open=True)
    duration_min = require_number("duration_min", duration_min, 15.0, 240.0, "15-240 min")
    scen = Scenario(events=(IVInsulinBolus(time=0.0, units_per_kg=dose),), duration_min=duration_min,
                    name=f"ITT {dose:g} U/kg")
    res = simulate(pat, scen)
    _check_ok(res, "insulin tolerance test")
    times = [t for t in ITT_SAMPLE_TIMES_MIN if t <= duration_min]
    s = _samples(res, times)
    w = (s.index >= 3.0) & (s.index <= 15.0)
    g = s["Plasma glucose [mg/dL]"]
    k_itt = float(-100.0 * np.polyfit(s.index[w], np.log(g[w]), 1)[0])
    gt = res.get("Plasma glucose [mg/dL]")
    h = res.get("Plasma glucagon [pg/mL]")
    indices = {
        "Insulin dose [U/kg]": dose,
        "Basal glucose [mg/dL]": float(g.iloc[0]),
        "kITT [%/min]": k_itt,
        "Glucose nadir [mg/dL]": float(gt.min()),
        "Time of nadir [min]": float(res.time_min[int(np.argmin(gt))]),
        "Peak insulin [uU/mL]": float(res.get("Plasma insulin [pmol/L]").max() / PMOL_PER_L_PER_UU_PER_ML),
        "Peak glucagon rise [%]": float(100.0 * (h.max() / h[0] - 1.0)),
        "Peak adrenaline [pg/mL]": float(res.get("Plasma adrenaline [pg/mL]").max()),
    }
    return ProtocolResult(res.patients[0], "insulin tolerance test", {"Insulin dose [U/kg]": dose,
                          "Duration [min]": duration_min}, s, indices, res)


def prolonged_fast(patient: Patient | str = "healthy", hours: float = 72.0) -> ProtocolResult:
    """A prolonged fast from the patient's basal (overnight-fasted) state, sampled every 6 h. The liver's
    glycogen calibration places that state 14 h after the last meal (docs/model.md), so 8 and 28 h here
    are 22 and 42 h of fasting.

    Indices: glucose at 24, 48 and 72 h (those within the fast), the lowest glucose, insulin at the end, the gluconeogenic share
    of glucose production at 8 and 28 h (Landau BR et al. J Clin Invest 1996;98:378 measured 47, 67 and
    93 % at 14, 22 and 42 h after the last meal), and liver glycogen left.
    """
    pat = resolve(patient)
    hours = require_number("hours", hours, 12.0, 120.0, "12-120 h")
    res = simulate(pat, Scenario(events=(), duration_min=hours * 60.0, name=f"{hours:g}-h fast"), dt_min=5.0)
    _check_ok(res, "prolonged fast")
    times = np.arange(0.0, hours * 60.0 + 1e-9, 360.0)
    s = _samples(res, times)
    t = res.time_min
    g = res.get("Plasma glucose [mg/dL]")
    egp = res.get("Liver glucose production [mg/kg/min]")
    gng = res.get("Gluconeogenesis [mg/kg/min]")
    gly = res.get("Liver glycogen [g]")

    def at(y, h):
        return float(np.interp(h * 60.0, t, y))

    indices = {f"Glucose at {h:g} h [mg/dL]": at(g, h) for h in (24.0, 48.0, 72.0, 96.0, 120.0) if h <= hours}
    indices.update({
        "Lowest glucose [mg/dL]": float(g.min()),
        "Insulin at end [uU/mL]": float(res.get("Plasma insulin [pmol/L]")[-1] / PMOL_PER_L_PER_UU_PER_ML),
        "Gluconeogenesis share at 8 h [%]": 100.0 * at(gng, 8.0) / at(egp, 8.0),
    })
    if hours >= 28.0:
        indices["Gluconeogenesis share at 28 h [%]"] = 100.0 * at(gng, 28.0) / at(egp, 28.0)
    indices["Liver glycogen left [%]"] = 100.0 * float(gly[-1] / gly[0])
    return ProtocolResult(res.patients[0], "prolonged fast", {"Duration [h]": hours}, s, indices, res)


def isoglycaemic_infusion(patient: Patient | str = "healthy", glucose_g: float = 75.0,
                          duration_min: float = 180.0) -> ProtocolResult:
    """An OGTT, then an intravenous glucose infusion that reproduces its plasma glucose curve.

    The infusion rate is reset every minute to the rate that makes plasma glucose follow the oral
    curve over the next minute, given the body's own glucose fluxes at that moment (the model's
    right-hand side without infusion) plus a correction of the residual difference; it cannot be
    negative. The incretin effect is ``100 (AUC_oral - AUC_iv)/AUC_oral`` of the incremental insulin
    (and C-peptide) areas over 0-``duration_min`` (Nauck MA et al. Diabetologia 1986;29:46), and the
    gastrointestinally mediated glucose disposal ``100 (oral load - IV glucose)/oral load`` (Hare KJ et al.
    Diabetes 2010;59:1765). Samples are those of the isoglycaemic run, with the oral run's glucose,
    insulin and C-peptide beside them.
    """
    from .clinical import _compiled, _provenance, _results
    from .model import N_INPUTS, S

    pat = resolve(patient)
    oral = ogtt(pat, glucose_g=glucose_g, duration_min=duration_min)
    t_oral, g_oral = oral.results.time_min, oral.results.get("Plasma glucose [mg/dL]")
    comp = _compiled([0.0, float(duration_min)], np.zeros((1, N_INPUTS)))
    n = int(round(duration_min))
    out_t, states, outputs, rate = _follow_glucose(pat, comp, lambda t: float(np.interp(t, t_oral, g_oral)), n,
                                                   "isoglycaemic infusion")

    settings = {"Oral glucose [g]": float(glucose_g), "Duration [min]": float(duration_min)}
    res = _results(pat, out_t, states, outputs, 0, float(n), _provenance(pat, "isoglycaemic IV glucose infusion",
                                                                           settings))
    times = [t for t in (0.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 150.0, 180.0, 240.0) if t <= duration_min]
    s = _samples(res, times)
    o = _samples(oral.results, times)
    for c in ("Plasma glucose [mg/dL]", "Plasma insulin [pmol/L]", "Plasma C-peptide [pmol/L]"):
        s["Oral " + c[0].lower() + c[1:]] = o[c].to_numpy()
    s["IV glucose infusion [mg/kg/min]"] = np.interp(times, out_t, rate)
    g_iv = res.get("Plasma glucose [mg/dL]")

    def incremental_auc(r):
        i = r.get("Plasma insulin [pmol/L]")
        c = r.get("Plasma C-peptide [pmol/L]")
        tt = r.time_min
        w = (tt >= 0) & (tt <= duration_min)
        return _auc(tt[w], i[w], i[w][0]), _auc(tt[w], c[w], c[w][0])

    ins_o, cp_o = incremental_auc(oral.results)
    ins_i, cp_i = incremental_auc(res)
    iv_g = float(states[-1, S.cum_iv_glucose] * pat.body_weight_kg / 1000.0)  # [g] given (piecewise constant)
    w = t_oral <= duration_min
    indices = {
        "Glucose curve difference, RMS [mg/dL]": float(np.sqrt(np.mean((np.interp(out_t, t_oral[w], g_oral[w])
                                                                       - g_iv) ** 2))),
        "IV glucose given [g]": iv_g,
        "Oral insulin iAUC [pmol/L x min]": ins_o,
        "IV insulin iAUC [pmol/L x min]": ins_i,
        "Incretin effect, insulin [%]": 100.0 * (ins_o - ins_i) / ins_o if ins_o > 0 else float("nan"),
        "Incretin effect, C-peptide [%]": 100.0 * (cp_o - cp_i) / cp_o if cp_o > 0 else float("nan"),
        "Gastrointestinally mediated glucose disposal [%]": 100.0 * (glucose_g - iv_g) / glucose_g,
    }
    return ProtocolResult(res.patients[0], "isoglycaemic IV glucose infusion", settings, s, indices, res)


def _follow_glucose(pat: Patient, comp, target, n: int, what: str):
    """Give intravenous glucose so that plasma glucose follows ``target(t)`` [mg/dL] over ``n`` minutes.

    An ideal glucose clamp: every minute the rate is set to what makes plasma glucose reach the target
    one minute later, given the body's own glucose fluxes at that moment (the model's right-hand side
    without infusion) plus a correction of the residual difference; it cannot be negative (when glucose
    is above the target, insulin alone brings it down) nor exceed the clamp protocol's pump limit
    (``clinical`` ``max_glucose_rate``, 30 mg/kg/min). Automated clamps (Biostator, ClampArt) hold
    glucose so within a CV of 3-5 %. ``comp``: the compiled scenario of everything else given. Returns
    the 1-min times, states, outputs and the rate [mg/kg/min] in force from each minute.
    """
    from .clinical import _c
    from .model import N_INPUTS, P, S, U, rhs_numpy
    from .simulation import advance, segment_at

    p = pat.parameter_vector()
    rate_max = _c("max_glucose_rate")
    vg = p[P.VG]
    y = np.array(pat.initial_state, dtype=float)
    out_t = np.arange(0.0, n + 1e-9, 1.0)
    states = np.empty((out_t.size, y.size))
    outputs = None
    rate = np.zeros(n + 1)
    extra = np.zeros(N_INPUTS)
    for k in range(n):
        t0, t1 = float(k), float(k + 1)
        g_now = y[S.plasma_glucose] / vg
        # the body's own rate of change of plasma glucose mass [mg/kg/min] with the scenario's inputs now
        own = rhs_numpy(t0, y, comp.inputs[segment_at(comp, t0)], p)[S.plasma_glucose]
        rate[k] = min(max(0.0, vg * (target(t1) - g_now) / (t1 - t0) - own), rate_max)
        extra[U.iv_glucose] = rate[k]
        y, ys, outs, code, t_stop = advance(y, p, comp, t0, t1, extra, [t0] if k < n - 1 else [t0, t1])
        if outputs is None:
            outputs = np.empty((out_t.size, outs.shape[1]))
        rows = [k] if k < n - 1 else [k, k + 1]
        states[rows], outputs[rows] = ys, outs
        if code != 0:
            raise InvalidInputError("patient", pat.name, f"a patient the {what} can be simulated for")
    rate[n] = rate[n - 1]
    return out_t, states, outputs, rate


#: Smoothing window of the glucose infusion rate for GIRmax and the t50% times [min] (glucostat convention:
#: studies smooth the measured rate, e.g. by LOESS, before reading its maximum).
GIR_SMOOTHING_MIN = 30.0


def insulin_action_clamp(patient: Patient | str = "healthy", units: float = 10.0, product: str = "rapid",
                         target_mg_dl: float | None = None, duration_min: float = 600.0) -> ProtocolResult:
    """Glucose clamp after one subcutaneous insulin dose (the pharmacokinetic-glucodynamic clamp of insulin studies).

    ``units`` of ``product`` (``rapid``, ``regular``, ``nph``, ``glargine``, ``degludec``) are injected at 0 min in the
    fasting state and plasma glucose is held at ``target_mg_dl`` (default: basal glucose, or 100 mg/dL when
    basal is higher, as :func:`glucostat.clinical.clamp`; at most basal glucose: from above it the insulin
    alone brings glucose down first, and as the insulin wanes glucose may rise above the target again, since
    a clamp only adds glucose)
    by intravenous glucose, set each minute by an ideal controller (:func:`_follow_glucose`). The glucose
    infusion rate (GIR) is the insulin's action. Indices: total glucose infused GItot [mg/kg], GIRmax and the
    time to it (as tabulated by Gagnon-Auger 2010, below), the early and late times at which the GIR crosses
    half its maximum (t50%, as reported in clamp studies of insulin products; NaN where it does not cross: a
    long-acting dose may outlast the clamp, see 'Action over within the clamp'), on the GIR smoothed with a
    centred :data:`GIR_SMOOTHING_MIN`-min running mean; the rise of plasma insulin over its fasting value
    (Cmax, tmax, area; plasma insulin is exogenous plus endogenous, as an immunoassay of human insulin
    would measure it). Published: after 10 U of lispro, GItot 2,299 mg/kg and GIRmax 9.0 mg/kg/min at 69
    min in healthy lean people, 92 mg/kg and 0.6 at 130 min in obese people with type 2 diabetes (30 / 50 U:
    364 / 678 mg/kg; Gagnon-Auger M et al. Diabetes Care 2010;33:2502).
    """
    from .clinical import _c, _provenance, _results

    pat = resolve(patient)
    u = require_number("units", units, 0.0, 100.0, "an insulin dose > 0 and <= 100 U", lo_open=True)
    if product not in INSULIN_PRODUCTS:
        raise InvalidInputError("product", product, f"one of {', '.join(INSULIN_PRODUCTS)}")
    dur = require_number("duration_min", duration_min, 60.0, 2880.0, "a clamp duration from 60 to 2880 min")
    if abs(dur - round(dur)) > 1e-9:
        raise InvalidInputError("duration_min", duration_min, "a whole number of minutes from 60 to 2880")
    gb = pat.basal_glucose_mg_dl
    high = _c("hyperglycaemic_target")
    if target_mg_dl is None:
        target = gb if gb <= high else high
    else:  # the clamp holds glucose where the insulin takes it; it does not raise it first
        target = require_number("target_mg_dl", target_mg_dl, 60.0, gb,
                                f"a clamp glucose from 60 mg/dL to the patient's basal glucose ({gb:.1f} mg/dL)")
    scen = Scenario(events=(InsulinBolus(time=0.0, units=u, product=product),), duration_min=dur,
                    name=f"{u:g} U {product} SC")
    n = int(round(dur))
    out_t, states, outputs, rate = _follow_glucose(pat, scen.compile_for(pat), lambda t: target, n,
                                                   "insulin action clamp")
    settings = {"Insulin [U]": u, "Insulin product": product, "Target glucose [mg/dL]": float(target),
                "Duration [min]": float(n), "GIR smoothing window [min]": GIR_SMOOTHING_MIN}
    res = _results(pat, out_t, states, outputs, 0, float(n),
                   _provenance(pat, "glucose clamp after subcutaneous insulin", settings))
    half = int(GIR_SMOOTHING_MIN // 2)
    kernel = np.ones(2 * half + 1)
    smooth = np.convolve(rate, kernel, mode="same") / np.convolve(np.ones_like(rate), kernel, mode="same")
    k_max = int(np.argmax(smooth))
    gir_max = float(smooth[k_max])
    early = late = float("nan")  # NaN: the smoothed rate does not cross half its maximum there
    if gir_max > 0.0:
        above = smooth >= 0.5 * gir_max
        if not above[0]:
            early = float(out_t[np.argmax(above)])
        below_after = ~above[k_max:]
        if below_after.any():
            late = float(out_t[k_max + int(np.argmax(below_after))])
    ins = res.get("Plasma insulin [pmol/L]")
    rise = ins - ins[0]
    g = res.get("Plasma glucose [mg/dL]")
    reached = np.flatnonzero(g <= target + 1.0)
    indices = {
        "Total glucose infused GItot [mg/kg]": float(np.sum(rate[:-1])),  # 1-min rates
        "Maximal glucose infusion rate GIRmax [mg/kg/min]": gir_max,
        "Time to GIRmax [min]": float(out_t[k_max]) if gir_max > 0.0 else float("nan"),
        "Early t50% [min]": early,
        "Late t50% [min]": late,
        # 0: the action outlasts the clamp (GIRmax and GItot are then those of the clamp's duration)
        "Action over within the clamp [1]": float(np.isfinite(late)),
        "Plasma insulin rise Cmax [pmol/L]": float(rise.max()),
        "Plasma insulin tmax [min]": float(out_t[int(np.argmax(rise))]),
        "Plasma insulin rise area [pmol/L x min]": _auc(out_t, rise),
        "Time to target [min]": float(out_t[reached[0]]) if reached.size else float("nan"),
        # the clamp can only add glucose: as the insulin wanes, glucose may rise above the target again
        "Time above target after reaching it [%]":
            float(100.0 * np.mean(g[reached[0]:] > 1.05 * target)) if reached.size else float("nan"),
    }
    times = np.arange(0.0, n + 1e-9, 10.0)
    smp = _samples(res, times)
    smp["IV glucose infusion [mg/kg/min]"] = rate[times.astype(int)]
    smp["IV glucose infusion, 30-min mean [mg/kg/min]"] = smooth[times.astype(int)]
    return ProtocolResult(res.patients[0], "glucose clamp after subcutaneous insulin", settings, smp, indices, res)


GST_SAMPLE_TIMES_MIN = (0.0, 2.0, 4.0, 6.0, 10.0, 15.0, 30.0)


def glucagon_stimulation_test(patient: Patient | str = "healthy", dose_mg: float = 1.0) -> ProtocolResult:
    """Glucagon stimulation test: ``dose_mg`` glucagon IV at 0 min from the fasting state; C-peptide at 0 and
    6 min (Faber OK, Binder C. Diabetes 1977;26:605-610). Indices: fasting and 6-min C-peptide and their
    difference (residual beta-cell function), glucose at 6 min, peak insulin."""
    pat = resolve(patient)
    dose = require_number("dose_mg", dose_mg, 0.0, 2.0, "a glucagon dose > 0 and <= 2 mg", lo_open=True)
    scen = Scenario(events=(GlucagonInjection(time=0.0, dose_mg=dose, route="iv"),), duration_min=60.0,
                    name=f"glucagon stimulation test {dose:g} mg IV")
    res = simulate(pat, scen, dt_min=0.5)
    _check_ok(res, "glucagon stimulation test")
    s = _samples(res, GST_SAMPLE_TIMES_MIN)
    cp = s["Plasma C-peptide [nmol/L]"]
    g = s["Plasma glucose [mg/dL]"]
    indices = {
        "Fasting C-peptide [nmol/L]": float(cp.loc[0.0]),
        "C-peptide at 6 min [nmol/L]": float(cp.loc[6.0]),
        "C-peptide increment at 6 min [nmol/L]": float(cp.loc[6.0] - cp.loc[0.0]),
        "Glucose rise at 6 min [mg/dL]": float(g.loc[6.0] - g.loc[0.0]),
        "Peak insulin [uU/mL]": float(res.get("Plasma insulin [pmol/L]").max() / PMOL_PER_L_PER_UU_PER_ML),
    }
    return ProtocolResult(res.patients[0], "glucagon stimulation test", {"Glucagon IV [mg]": dose}, s, indices, res)
