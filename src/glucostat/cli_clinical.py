"""Command-line commands for the clinical protocols of :mod:`glucostat.clinical` (``clamp``, ``ivgtt``,
``glucose-effectiveness``) and
for :mod:`glucostat.compare` (``compare``).

They are registered on the main ``glucostat`` group at the end of :mod:`glucostat.cli`; helpers of
that module are imported inside the commands, so importing this module first is safe too.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

from .compare import DEFAULT_CONDITIONS, PROTOCOLS
from .patients import PRESETS, Patient

_PRESET_HELP = f"Patient preset: {', '.join(PRESETS)}."


def _write_outputs(out_dir: Path, stem: str, data: dict, result) -> dict:
    """Write ``stem``.json (the printed JSON), ``stem``.parquet (the samples, with provenance) and
    ``stem``.png (the figure) into ``out_dir``, each atomically; return the file names."""
    from .cli import _jsonable
    from .results import PATIENT_COLUMN, _atomic_write, _write_table

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"json": str(out_dir / f"{stem}.json"), "parquet": str(out_dir / f"{stem}.parquet"),
             "figure": str(out_dir / f"{stem}.png")}
    _atomic_write(Path(files["json"]),
                  lambda tmp: tmp.write_text(json.dumps(_jsonable(data), indent=2), encoding="utf-8"))
    df = result.samples.reset_index()
    df.insert(0, PATIENT_COLUMN, result.patient)
    _atomic_write(Path(files["parquet"]),
                  lambda tmp: _write_table(df, tmp, ".parquet", result.results.provenance))
    result.plot(path=files["figure"])
    return files


def _fmt(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.4g}"


@click.command()
@click.option("--patient", "-p", default="healthy", show_default=True, metavar="NAME", help=_PRESET_HELP)
@click.option("--insulin", "insulin", type=float, multiple=True, metavar="MU_PER_M2_MIN",
              help="Insulin infusion rate [mU/m2/min] (5-1000; default 40, DeFronzo 1979). Repeat for a "
                   "multi-step clamp, e.g. --insulin 10 --insulin 40.")
@click.option("--target", "target", type=float, default=None,
              help="Clamp glucose [mg/dL] (40-300). Default: basal glucose, or 100 mg/dL if basal is higher.")
@click.option("--duration", "duration", type=float, default=120.0, show_default=True,
              help="Duration of each insulin step [min] (60-600, a multiple of 5).")
@click.option("--height", "height", type=float, default=None,
              help="Body height [cm] for the body surface area (Mosteller). Default 175.")
@click.option("--run-in", "run_in", type=float, default=0.0, show_default=True,
              help="Minutes of IV insulin before the clamp that bring a raised basal glucose to the target "
                   "(60-960, a multiple of 5; 0: none), as clamps in type 2 diabetes normalise glucose overnight.")
@click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write clamp.json, clamp.parquet (5-min samples) and clamp.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def clamp(patient, insulin, target, duration, height, run_in, body_weight, out_dir, as_json):
    """Hyperinsulinaemic-euglycaemic clamp: M-value, M/I, EGP suppression, glucose disposal."""
    from .cli import _emit_json
    from .clinical import clamp as run_clamp

    res = run_clamp(Patient.from_preset(patient, body_weight_kg=body_weight),
                    insulin_mu_per_m2_min=list(insulin) if insulin else 40.0, target_mg_dl=target,
                    duration_min=duration, height_cm=height, run_in_min=run_in)
    data = res.to_dict()
    if out_dir is not None:
        data["files"] = _write_outputs(out_dir, "clamp", data, res)
    if as_json:
        _emit_json(data)
    else:
        click.echo(f"Hyperinsulinaemic-euglycaemic clamp, patient {res.patient}: "
                   f"{' then '.join(f'{r:g}' for r in res.insulin_mu_per_m2_min)} mU/m2/min, "
                   f"{res.step_duration_min:g} min per step, target {res.target_mg_dl:.1f} mg/dL, "
                   f"body surface area {res.body_surface_area_m2:.2f} m2")
        cols = ["Plasma glucose [mg/dL]", "Glucose infusion rate [mg/kg/min]", "Plasma insulin [uU/mL]",
                "Liver glucose production [mg/kg/min]"]
        click.echo(res.samples[cols].iloc[::3].to_string(float_format=lambda v: f"{v:.2f}"))
        for s in res.steps:
            click.echo(f"\nstep {s['Step [1]']:.0f} ({s['Insulin infusion rate [mU/m2/min]']:g} mU/m2/min), "
                       f"{s['Steady-state window start [min]']:g}-{s['Steady-state window end [min]']:g} min:")
            for k, v in s.items():
                if not k.startswith(("Step [", "Steady-state window", "Insulin infusion rate")):
                    click.echo(f"  {k}: {_fmt(v)}")
            if not s["Steady state reached [1]"]:
                click.echo("  note: glucose was not held at the target in this window (see 'Time to target'); "
                           "the M-value is not a steady-state value")
        for kind, f in data.get("files", {}).items():
            click.echo(f"wrote {kind}: {f}")
    if res.results.status[0] != "ok":
        sys.exit(1)


@click.command("glucose-effectiveness")
@click.option("--patient", "-p", default="healthy", show_default=True, metavar="NAME", help=_PRESET_HELP)
@click.option("--target", "target", type=float, default=None,
              help="Hyperglycaemic glucose [mg/dL] (default: basal + 90, as 5 -> 10 mmol/L; at least basal + 20, "
                   "at most 400).")
@click.option("--basal", "basal", type=float, default=None,
              help="Basal period at the patient's basal glucose [min] (default 60; 30-600, a multiple of 5).")
@click.option("--duration", "duration", type=float, default=None,
              help="Hyperglycaemic step [min] (default 120; 60-600, a multiple of 5).")
@click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write glucose-effectiveness.json, .parquet (5-min samples) and .png here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def glucose_effectiveness(patient, target, basal, duration, body_weight, out_dir, as_json):
    """Glucose effectiveness: hyperglycaemic pancreatic clamp at basal insulin and glucagon (EGP and uptake change)."""
    from .cli import _emit_json
    from .clinical import glucose_effectiveness_clamp as run

    res = run(Patient.from_preset(patient, body_weight_kg=body_weight), target_mg_dl=target, basal_min=basal,
              duration_min=duration)
    data = res.to_dict()
    if out_dir is not None:
        data["files"] = _write_outputs(out_dir, "glucose-effectiveness", data, res)
    if as_json:
        _emit_json(data)
    else:
        click.echo(f"Hyperglycaemic pancreatic clamp, patient {res.patient}: glucose {res.basal_glucose_mg_dl:.1f} -> "
                   f"{res.target_mg_dl:.1f} mg/dL at basal insulin and glucagon")
        click.echo(res.samples.iloc[::3].to_string(float_format=lambda v: f"{v:.2f}"))
        click.echo("")
        for k, v in res.indices.items():
            click.echo(f"{k}: {_fmt(v)}")
        if not res.indices["Steady state reached [1]"]:
            click.echo("note: glucose was not held within 5 % of the target at the end of the step")
        for kind, f in data.get("files", {}).items():
            click.echo(f"wrote {kind}: {f}")
    if res.results.status[0] != "ok":
        sys.exit(1)


@click.command()
@click.option("--patient", "-p", default="healthy", show_default=True, metavar="NAME", help=_PRESET_HELP)
@click.option("--glucose", "glucose", type=float, default=0.3, show_default=True,
              help="IV glucose dose [g/kg] at 0 min, injected over 1 min (> 0, <= 0.6).")
@click.option("--insulin", "insulin", type=float, default=0.03, show_default=True,
              help="Regular insulin [U/kg] infused over 5 min from --insulin-time (insulin-modified FSIGT; "
                   "0 gives the standard test; <= 0.1).")
@click.option("--insulin-time", "insulin_time", type=float, default=20.0, show_default=True,
              help="Start of the insulin infusion [min] (10-60).")
@click.option("--duration", "duration", type=float, default=180.0, show_default=True,
              help="Test duration [min] (60-300).")
@click.option("--floor", "floor", default=None, metavar="MG_DL|basal",
              help="Hold glucose up with dextrose (5-min DeFronzo feedback) once it falls to this level [mg/dL] "
                   "(60-150, or 'basal'): the IM-FSIGT without its dip; SI and SG then come from a fit with the "
                   "dextrose as input.")
@click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write ivgtt.json, ivgtt.parquet (samples) and ivgtt.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def ivgtt(patient, glucose, insulin, insulin_time, duration, floor, body_weight, out_dir, as_json):
    """Frequently sampled IVGTT: Kg, AIRg, minimal-model SI and SG, disposition index."""
    from .cli import _emit_json
    from .clinical import ivgtt as run_ivgtt

    pat = Patient.from_preset(patient, body_weight_kg=body_weight)
    if floor is not None:
        try:
            floor = pat.basal_glucose_mg_dl if floor.strip().lower() == "basal" else float(floor)
        except ValueError:
            raise click.BadParameter(f"{floor!r}: a glucose level in mg/dL (60-150) or 'basal'",
                                     param_hint="--floor") from None
    res = run_ivgtt(pat, glucose_g_per_kg=glucose, insulin_u_per_kg=insulin, insulin_time_min=insulin_time,
                    duration_min=duration, glucose_floor_mg_dl=floor)
    data = res.to_dict()
    if out_dir is not None:
        data["files"] = _write_outputs(out_dir, "ivgtt", data, res)
    if as_json:
        _emit_json(data)
    else:
        kind = (f"insulin-modified ({res.insulin_u_per_kg:g} U/kg at {insulin_time:g} min)"
                if res.insulin_u_per_kg > 0 else "standard")
        click.echo(f"Frequently sampled IVGTT, {kind}, patient {res.patient}: {res.glucose_g_per_kg:g} g/kg glucose")
        click.echo(res.samples[["Plasma glucose [mg/dL]", "Plasma insulin [uU/mL]"]].to_string(
            float_format=lambda v: f"{v:.1f}"))
        click.echo("")
        for k, v in res.indices.items():
            click.echo(f"{k}: {_fmt(v)}")
        if not res.fit.identifiable:
            click.echo("note: the minimal-model estimates are not identifiable from these data "
                       f"(on a bound: {', '.join(res.fit.at_bound) or 'none'}; see the CV values)")
        for kind, f in data.get("files", {}).items():
            click.echo(f"wrote {kind}: {f}")



@click.command("compare")
@click.option("--condition", "-c", "conditions", multiple=True, metavar="NAME",
              help=f"Condition (patient preset), repeatable; default: {', '.join(DEFAULT_CONDITIONS)}.")
@click.option("--protocol", type=click.Choice(list(PROTOCOLS)), default="ogtt", show_default=True,
              help="ogtt: 75 g OGTT, 3 h; meal: 75 g carbohydrate meal, 5 h; fast: prolonged fast to 72 h.")
@click.option("--body-weight", "body_weight", type=float, default=None,
              help="The same body weight [kg] for every condition (default: each preset's own).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write compare.json, compare.csv and compare.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison table as JSON.")
def compare(conditions, protocol, body_weight, out_dir, as_json):
    """Normal versus impaired function: one protocol through several conditions, organ by organ."""
    from .cli import _emit_json, _jsonable
    from .compare import compare as run_compare
    from .results import _atomic_write

    cmp = run_compare(conditions or DEFAULT_CONDITIONS, protocol=protocol, body_weight_kg=body_weight)
    data = cmp.to_dict()
    files = {}
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        files = {"json": str(out_dir / "compare.json"), "csv": str(out_dir / "compare.csv"),
                 "figure": str(out_dir / "compare.png")}
        _atomic_write(Path(files["json"]),
                      lambda tmp: tmp.write_text(json.dumps(_jsonable(data), indent=2), encoding="utf-8"))
        _atomic_write(Path(files["csv"]), lambda tmp: cmp.table().to_csv(tmp))
        cmp.plot(path=files["figure"])
    data["files"] = files
    if as_json:
        _emit_json(data)
    else:
        click.echo(f"{PROTOCOLS[protocol][0]}\n")
        click.echo(cmp.table().T.to_string(float_format=lambda v: f"{v:.3g}"))
        for kind, f in files.items():
            click.echo(f"wrote {kind}: {f}")
    if not all(r.ok for r in cmp.results):
        sys.exit(1)


def _emit_protocol(res, out_dir, stem, as_json):
    """Print a :class:`glucostat.protocols.ProtocolResult` (table or JSON) and write its files."""
    from .cli import _emit_json

    data = res.to_dict()
    if out_dir is not None:
        data["files"] = _write_outputs(out_dir, stem, data, res)
    if as_json:
        _emit_json(data)
    else:
        click.echo(f"{res.protocol[0].upper()}{res.protocol[1:]}, patient {res.patient}")
        cols = [c for c in ("Plasma glucose [mg/dL]", "Plasma insulin [uU/mL]", "Plasma C-peptide [nmol/L]",
                            "Plasma glucagon [pg/mL]", "IV glucose infusion [mg/kg/min]",
                            "IV glucose infusion, 30-min mean [mg/kg/min]") if c in res.samples]
        click.echo(res.samples[cols].to_string(float_format=lambda v: f"{v:.3g}"))
        click.echo("")
        for k, v in res.indices.items():
            click.echo(f"{k}: {_fmt(v)}")
        for kind, f in data.get("files", {}).items():
            click.echo(f"wrote {kind}: {f}")


_PATIENT = click.option("--patient", "-p", default="healthy", show_default=True, metavar="NAME", help=_PRESET_HELP)
_BODY_WEIGHT = click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg].")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _out(stem):
    return click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                        help=f"Write {stem}.json, {stem}.parquet (samples) and {stem}.png here.")


@click.command()
@_PATIENT
@click.option("--ml-per-kg", "ml_per_kg", type=float, default=6.0, show_default=True,
              help="Boost drink [mL/kg] (TrialNet: 6 mL/kg, at most 360 mL; 0.139 g carbohydrate/mL).")
@_BODY_WEIGHT
@_out("mmtt")
@_JSON
def mmtt(patient, ml_per_kg, body_weight, out_dir, as_json):
    """Mixed-meal tolerance test: C-peptide peak and AUC, glucose, insulin, glucagon."""
    from .protocols import mmtt as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), ml_per_kg=ml_per_kg), out_dir,
                   "mmtt", as_json)


@click.command()
@_PATIENT
@click.option("--insulin", "insulin", type=float, default=0.1, show_default=True,
              help="Regular insulin [U/kg] IV at 0 min (> 0, <= 0.3).")
@click.option("--duration", "duration", type=float, default=60.0, show_default=True, help="Duration [min] (15-240).")
@_BODY_WEIGHT
@_out("itt")
@_JSON
def itt(patient, insulin, duration, body_weight, out_dir, as_json):
    """Insulin tolerance test: kITT, glucose nadir, glucagon counter-regulation."""
    from .protocols import itt as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), insulin_u_per_kg=insulin,
                       duration_min=duration), out_dir, "itt", as_json)


@click.command()
@_PATIENT
@click.option("--hours", "hours", type=float, default=72.0, show_default=True, help="Fast duration [h] (12-120).")
@_BODY_WEIGHT
@_out("fast")
@_JSON
def fast(patient, hours, body_weight, out_dir, as_json):
    """Prolonged fast: glucose, insulin, gluconeogenic share and glycogen every 6 h."""
    from .protocols import prolonged_fast as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), hours=hours), out_dir, "fast",
                   as_json)


@click.command()
@_PATIENT
@click.option("--glucose", "glucose", type=float, default=75.0, show_default=True, help="Oral glucose [g].")
@_BODY_WEIGHT
@_out("isoglycaemic")
@_JSON
def isoglycaemic(patient, glucose, body_weight, out_dir, as_json):
    """OGTT and an IV glucose infusion copying its glucose curve: incretin effect, GI glucose disposal."""
    from .protocols import isoglycaemic_infusion as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), glucose_g=glucose), out_dir,
                   "isoglycaemic", as_json)


@click.command("glucagon-test")
@_PATIENT
@click.option("--dose", "dose", type=float, default=1.0, show_default=True, help="Glucagon IV [mg] (> 0, <= 2).")
@_BODY_WEIGHT
@_out("glucagon-test")
@_JSON
def glucagon_test(patient, dose, body_weight, out_dir, as_json):
    """Glucagon stimulation test: C-peptide at 0 and 6 min after 1 mg IV glucagon."""
    from .protocols import glucagon_stimulation_test as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), dose_mg=dose), out_dir,
                   "glucagon-test", as_json)


@click.command("insulin-clamp")
@_PATIENT
@click.option("--units", "units", type=float, default=10.0, show_default=True,
              help="Subcutaneous insulin at 0 min [U] (> 0, <= 100).")
@click.option("--product", "product", type=click.Choice(["rapid", "regular", "nph", "glargine", "degludec"]),
              default="rapid", show_default=True, help="Insulin product.")
@click.option("--target", "target", type=float, default=None,
              help="Clamp glucose [mg/dL] (60 to basal glucose). Default: basal glucose, or 100 mg/dL if basal "
                   "is higher.")
@click.option("--duration", "duration", type=float, default=600.0, show_default=True,
              help="Duration [min] (60-2880, whole minutes).")
@_BODY_WEIGHT
@_out("insulin-clamp")
@_JSON
def insulin_clamp(patient, units, product, target, duration, body_weight, out_dir, as_json):
    """Glucose clamp after one SC insulin dose: GItot, GIRmax, t50%, plasma insulin rise."""
    from .protocols import insulin_action_clamp as run

    _emit_protocol(run(Patient.from_preset(patient, body_weight_kg=body_weight), units=units, product=product,
                       target_mg_dl=target, duration_min=duration), out_dir, "insulin-clamp", as_json)


@click.command("treatment")
@_PATIENT
@click.option("--scenario", "-s", "scenario_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Scenario file (.toml/.json) with one day's events (meals, doses, insulin, exercise; times "
                   "within the day), repeated for --days days.")
@click.option("--days", "days", type=click.IntRange(1, 366), default=28, show_default=True, help="Days of treatment.")
@click.option("--last-days", "last_days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="Summarise the last N days (drugs at steady state).")
@_BODY_WEIGHT
@_JSON
def treatment(patient, scenario_file, days, last_days, body_weight, as_json):
    """Weeks of a regimen against the same days without drugs and exercise: mean and fasting glucose,
    GMI, estimated HbA1c (ADAG), time in range, and the change."""
    from .cli import _emit_json
    from .scenario import Scenario
    from .treatment import treatment_effect

    day = Scenario.from_file(scenario_file)
    regimen = Scenario.day(meals={}, days=days, daily=list(day.events), name=day.name)
    eff = treatment_effect(Patient.from_preset(patient, body_weight_kg=body_weight), regimen, last_days=last_days)
    if as_json:
        _emit_json(eff.to_dict())
    else:
        click.echo(f"{day.name} for {days} days, patient {eff.patient}: last {last_days} days")
        click.echo(eff.table().T.to_string(float_format=lambda v: f"{v:.3g}"))
