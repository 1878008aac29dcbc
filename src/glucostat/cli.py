"""Command-line interface: a thin layer over the public Python API.

Every command prints a readable table by default, JSON with ``--json``, and
writes files with ``--out DIR``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click
import pydantic

from . import __version__
from .cohorts import COHORT_NAMES
from .errors import GlucostatError
from .patients import PRESETS, Patient
from .protocols import ogtt as run_ogtt
from .scenario import Scenario
from .simulation import simulate as run_simulate


def _jsonable(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if hasattr(x, "item"):
        return _jsonable(x.item())
    return x


def _emit_json(obj):
    click.echo(json.dumps(_jsonable(obj), indent=2, allow_nan=False))


class _Group(click.Group):
    """Turns input errors into one clear line on stderr and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except pydantic.ValidationError as exc:
            lines = []
            for err in exc.errors():
                loc = ".".join(str(p) for p in err["loc"]) or "input"
                lines.append(f"  {loc}: {err['msg']} (got {err.get('input')!r})")
            click.echo("error: invalid scenario\n" + "\n".join(lines), err=True)
            ctx.exit(2)
        except ModuleNotFoundError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except (GlucostatError, FileNotFoundError, IsADirectoryError) as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glucostat")
def main():
    """glucostat: organ-resolved simulation of the human glucose-insulin system.

    \b
    Examples:
      glucostat simulate --out glucostat-output      healthy vs type 2 diabetes, one day
      glucostat ogtt --patient t2d --json            75 g OGTT, indices, ADA category
      glucostat clamp --patient healthy --json       insulin clamp: M-value, EGP suppression
      glucostat ivgtt --patient t2d --json           FSIGT: Kg, AIRg, minimal-model SI and SG
      glucostat mmtt --patient t2d                   mixed-meal test: C-peptide peak and AUC
      glucostat itt / fast / isoglycaemic            insulin tolerance, 72-h fast, incretin effect
      glucostat glucagon-test --patient t2d          C-peptide response to 1 mg IV glucagon
      glucostat simulate --scenario regimen.toml     meals, drugs and exercise from a scenario file
      glucostat treatment -p t2d -s day.toml --days 28   weeks of a regimen: HbA1c change
      glucostat patients                             the built-in patients
      glucostat parameters healthy                   parameter values, units, sources
      glucostat closed-loop --cohort t1d-adult --n 10 --days 3 --seed 1 --json
      glucostat cohort t1d-child --n 20 --seed 1     generated patients and their derived therapy
      glucostat trial --n 100 --days 14 --arm basal-bolus --arm pid --out trial-output
    """


def _parse_meals(meals):
    out = {}
    for m in meals:
        if "=" not in m:
            raise click.BadParameter(f"{m!r}: use TIME=GRAMS or TIME=GRAMS/MINUTES, e.g. 07:00=50", param_hint="--meal")
        t, spec = m.split("=", 1)
        try:
            if "/" in spec:
                g, d = spec.split("/", 1)
                out[t] = (float(g), float(d))
            else:
                out[t] = float(spec)
        except ValueError:
            raise click.BadParameter(f"{m!r}: grams and minutes must be numbers", param_hint="--meal") from None
    return out


@main.command()
@click.option("--patient", "-p", "patients", multiple=True, metavar="NAME",
              help=f"Patient preset (repeatable). Default: healthy and t2d. One of: {', '.join(PRESETS)}.")
@click.option("--scenario", "-s", "scenario_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario file (.toml or .json). Default: a day of three meals.")
@click.option("--meal", "meals", multiple=True, metavar="TIME=GRAMS[/MIN]",
              help="A daily meal, e.g. --meal 07:00=50 --meal 12:30=70/20 (carbohydrate g, eating minutes).")
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True, help="Days to repeat the meals.")
@click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg] for every patient.")
@click.option("--dt", "dt_min", type=float, default=1.0, show_default=True, help="Output sampling interval [min].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write simulation.parquet, simulation.csv and simulation.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def simulate(patients, scenario_file, meals, days, body_weight, dt_min, out_dir, as_json):
    """Simulate patients through a day of meals (or a scenario file)."""
    if scenario_file and meals:
        raise click.UsageError("give either --scenario or --meal, not both")
    if scenario_file:
        scen = Scenario.from_file(scenario_file)
    else:
        scen = Scenario.day(meals=_parse_meals(meals) if meals else None, days=days)
    names = patients or ("healthy", "t2d")
    plist = [Patient.from_preset(n, body_weight_kg=body_weight) for n in names]
    res = run_simulate(plist, scen, dt_min=dt_min, progress=True)
    files = {}
    if out_dir is not None:
        files["parquet"] = str(res.save(out_dir / "simulation.parquet"))
        files["csv"] = str(res.save(out_dir / "simulation.csv"))
        files["figure"] = str(out_dir / "simulation.png")
        res.plot(path=out_dir / "simulation.png")
    summary = res.summary()
    if as_json:
        _emit_json({
            "scenario": scen.to_dict(),
            "summary": {p: row.to_dict() for p, row in summary.iterrows()},
            "status": dict(zip(res.patients, res.status)),
            "files": files,
        })
    else:
        click.echo(f"Scenario: {scen.name}, {scen.duration_min / 60:g} h, {len(scen.events)} events\n")
        click.echo(summary.T.to_string(float_format=lambda v: f"{v:.4g}"))
        for kind, f in files.items():
            click.echo(f"wrote {kind}: {f}")
    if not res.ok:
        sys.exit(1)


@main.command()
@click.option("--patient", "-p", default="healthy", show_default=True, metavar="NAME",
              help=f"Patient preset: {', '.join(PRESETS)}.")
@click.option("--grams", type=float, default=75.0, show_default=True, help="Glucose load [g].")
@click.option("--body-weight", "body_weight", type=float, default=None, help="Body weight [kg].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write ogtt.json, ogtt.parquet and ogtt.png here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def ogtt(patient, grams, body_weight, out_dir, as_json):
    """75 g oral glucose tolerance test: samples, indices and ADA category."""
    res = run_ogtt(Patient.from_preset(patient, body_weight_kg=body_weight), glucose_g=grams)
    data = res.to_dict()
    if out_dir is not None:
        from .results import _atomic_write

        out_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(out_dir / "ogtt.json",
                      lambda tmp: tmp.write_text(json.dumps(_jsonable(data), indent=2), encoding="utf-8"))
        res.results.save(out_dir / "ogtt.parquet")
        res.results.plot(kind="glucose", path=out_dir / "ogtt.png")
    if as_json:
        _emit_json(data)
        return
    click.echo(f"75 g OGTT, patient {res.patient}: {res.classification.replace('_', ' ')}")
    click.echo(f"{'Time [min]':>10} {'Glucose [mg/dL]':>16} {'Insulin [pmol/L]':>17} {'C-peptide [pmol/L]':>19} "
               f"{'Glucagon [pg/mL]':>17}")
    for t, g, i, c, h in zip(res.sample_times_min, res.glucose_mg_dl, res.insulin_pmol_l, res.c_peptide_pmol_l,
                             res.glucagon_pg_ml):
        click.echo(f"{t:>10.0f} {g:>16.1f} {i:>17.1f} {c:>19.0f} {h:>17.1f}")
    for k, v in res.indices.items():
        click.echo(f"{k}: {v:.3g}")


SIMGLUCOSE_COHORTS = ("simglucose-adult", "simglucose-adolescent", "simglucose-child", "simglucose-all")
COHORTS = COHORT_NAMES + SIMGLUCOSE_COHORTS


def _cohort(name, n, seed):
    """(patients, cohort object or None) for a generated or a simglucose cohort."""
    if name.startswith("t1d-"):
        from .cohorts import generate_cohort

        c = generate_cohort(name, 10 if n is None else n, seed)
        return list(c.patients), c
    from .interop.simglucose import simglucose_patients

    group = name.removeprefix("simglucose-")
    plist = simglucose_patients(None if group == "all" else group)
    if n is not None:
        if n > len(plist):
            raise click.BadParameter(f"{n}: the cohort {name!r} has {len(plist)} patients", param_hint="--n")
        plist = plist[:n]
    return plist, None


@main.command("closed-loop")
@click.option("--patient", "-p", "patients", multiple=True, metavar="NAME",
              help="Patient preset (repeatable), e.g. t1d. Default: t1d unless --cohort is given.")
@click.option("--cohort", type=click.Choice(COHORTS),
              help="t1d-*: virtual patients generated by glucostat from --seed (docs/model.md, 'Type 1 cohorts'); "
                   "simglucose-*: simglucose's 30 patients (needs `pip install simglucose`).")
@click.option("--n", "n", type=click.IntRange(1, 100000), default=None,
              help="Cohort size (t1d-*: default 10) or the first N simglucose patients.")
@click.option("--days", type=click.IntRange(1, 366), default=1, show_default=True, help="Days to simulate.")
@click.option("--controller", type=click.Choice(["basal-bolus", "basal-only", "pid", "mdi"]), default="basal-bolus",
              show_default=True, help="Controller (sees only CGM, announced meals, therapy profile).")
@click.option("--cgm", "cgm", type=click.Choice(["Dexcom", "GuardianRT", "Navigator", "SEVENPlus", "ideal"]),
              default="GuardianRT", show_default=True,
              help="CGM sensor preset (SEVENPlus: Facchinetti 2014 error model; others: Breton & Kovatchev 2008).")
@click.option("--pump", type=click.Choice(["generic", "Cozmo", "Insulet", "pen"]), default=None,
              help="Insulin device. Default: pen for --controller mdi, else generic pump.")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True,
              help="Seed of the generated cohort, the CGM noise and the random meals.")
@click.option("--meal", "meals", multiple=True, metavar="TIME=GRAMS[/MIN]",
              help="Fixed daily meals instead of seeded random ones, e.g. --meal 07:00=45.")
@click.option("--warmup-days", type=click.IntRange(0, 30), default=None,
              help="Fasting days run first under the same therapy (discarded). Default: 3 for mdi, else 0.")
@click.option("--therapy", type=click.Choice(["derived", "davidson-2008", "simglucose"]), default="derived",
              show_default=True,
              help="derived: simulated basal test + meal test (King & Armstrong 2007), CF 1700/TDD; davidson-2008: "
                   "basal test + Davidson 2008 rules; simglucose: its Quest.csv CR/CF and u2ss basal.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write metrics.csv, daily_metrics.csv, closed_loop.parquet and figures (trace, AGP, CVGA) here.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def closed_loop(patients, cohort, n, days, controller, cgm, pump, seed, meals, warmup_days, therapy, out_dir, as_json):
    """Closed-loop type 1 diabetes simulation with consensus CGM metrics per patient and cohort."""
    from .closed_loop import simulate_closed_loop

    if pump is None:
        pump = "pen" if controller == "mdi" else "generic"
    if cohort and patients:
        raise click.UsageError("give either --patient or --cohort, not both")
    generated = None
    if cohort:
        plist, generated = _cohort(cohort, n, seed)
    else:
        plist = [Patient.from_preset(p) for p in (patients or ("t1d",))]
    if therapy == "simglucose":
        if not (cohort or "").startswith("simglucose-"):
            raise click.UsageError("--therapy simglucose needs --cohort simglucose-*")
        from .interop.simglucose import simglucose_therapy

        therapies = [simglucose_therapy(p.name) for p in plist]
    else:
        method = "meal-test" if therapy == "derived" else therapy
        if generated is not None:
            therapies = list(generated.therapies(method))
        else:
            from .therapy import derive_therapy

            therapies = [derive_therapy(p, method=method) for p in plist]
    scen = (Scenario.day(meals=_parse_meals(meals), days=days) if meals else Scenario.random_days(days, seed=seed))
    if warmup_days is None:
        warmup_days = 3 if controller == "mdi" else 0
    res = simulate_closed_loop(plist, scen, controller, therapy=therapies, cgm=cgm, pump=pump, seed=seed,
                               warmup_days=warmup_days, progress=True)
    per_patient = res.metrics()
    cohort_mean = res.cohort_metrics()
    files = {}
    if out_dir is not None:
        from .results import _atomic_write

        out_dir.mkdir(parents=True, exist_ok=True)
        _atomic_write(out_dir / "metrics.csv", lambda tmp: per_patient.to_csv(tmp))
        daily = res.daily_metrics()
        _atomic_write(out_dir / "daily_metrics.csv", lambda tmp: daily.to_csv(tmp))
        files = {"metrics": str(out_dir / "metrics.csv"), "daily_metrics": str(out_dir / "daily_metrics.csv"),
                 "parquet": str(res.results.save(out_dir / "closed_loop.parquet"))}
        from .plotting import plot_agp, plot_closed_loop, plot_cvga

        plot_closed_loop(res, path=out_dir / "closed_loop.png")
        plot_agp(res, path=out_dir / "agp.png")
        plot_cvga(res, path=out_dir / "cvga.png")
        files.update({"figure": str(out_dir / "closed_loop.png"), "agp": str(out_dir / "agp.png"),
                      "cvga": str(out_dir / "cvga.png")})
    if as_json:
        _emit_json({
            "controller": controller, "cgm": cgm, "pump": pump, "seed": seed, "days": days,
            "scenario": scen.to_dict(),
            "therapy": {p: t.to_dict() for p, t in zip(res.patients, res.therapy)},
            "patients": {p: row.to_dict() for p, row in per_patient.iterrows()},
            "cohort": cohort_mean,
            "status": dict(zip(res.patients, res.results.status)),
            "files": files,
        })
    else:
        click.echo(f"{len(plist)} patients, {days} day(s), controller {controller}, CGM {cgm}, seed {seed}\n")
        cols = ["Mean glucose [mg/dL]", "Time in range 70-180 [%]", "Time below 70 [%]", "Time below 54 [%]",
                "Time above 180 [%]", "Time above 250 [%]", "Coefficient of variation [%]", "GMI [%]", "LBGI [1]",
                "HBGI [1]"]
        click.echo(per_patient[cols].to_string(float_format=lambda v: f"{v:.3g}"))
        click.echo("\ncohort mean: " + ", ".join(f"{k} {cohort_mean[k]:.3g}" for k in cols))
        for kind, f in files.items():
            click.echo(f"wrote {kind}: {f}")
    if not res.results.ok:
        sys.exit(1)


@main.command()
@click.argument("name", type=click.Choice(COHORT_NAMES), default="t1d-adult")
@click.option("--n", "n", type=click.IntRange(1, 100000), default=10, show_default=True, help="Number of patients.")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True, help="Seed of the cohort.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the table as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def cohort(name, n, seed, out_file, as_json):
    """Generate a seeded type 1 cohort and derive each patient's therapy (basal and meal tests)."""
    from .cohorts import generate_cohort

    c = generate_cohort(name, n, seed)
    table = c.table(c.therapies())
    if out_file is not None:
        from .results import _atomic_write

        _atomic_write(out_file, lambda tmp: table.to_csv(tmp))
    summary = table.drop(columns="Group").agg(["mean", "std", "min", "max"])
    if as_json:
        _emit_json({"cohort": name, "n": n, "seed": seed,
                    "patients": {k: row.to_dict() for k, row in table.iterrows()},
                    "summary": summary.to_dict()})
        return
    cols = ["Body weight [kg]", "Basal insulin [U/kg/day]", "Carb ratio [g/U]", "Correction factor [mg/dL/U]",
            "Total daily dose [U/kg/day]", "Basal share of TDD [%]"]
    click.echo(f"cohort {name}, {n} patients, seed {seed}\n")
    click.echo(table[["Group", *cols]].to_string(float_format=lambda v: f"{v:.3g}"))
    click.echo("\n" + summary[cols].to_string(float_format=lambda v: f"{v:.3g}"))


@main.command()
@click.option("--cohort", type=click.Choice(COHORT_NAMES), default="t1d-adult", show_default=True,
              help="Generated cohort the patients come from.")
@click.option("--n", "n", type=click.IntRange(1, 1_000_000), default=20, show_default=True, help="Number of patients.")
@click.option("--days", type=click.IntRange(1, 366), default=3, show_default=True,
              help="Days of seeded random meals per patient (the same in every arm).")
@click.option("--seed", type=click.IntRange(0, None), default=0, show_default=True,
              help="Seed of the cohort, the meals and the sensor noise.")
@click.option("--arm", "arms", multiple=True, metavar="SPEC",
              help="An arm: a controller name (basal-bolus, basal-only, pid, mdi) or "
                   "'name=N,controller=C,therapy=meal-test|davidson-2008,cgm=S,pump=P,drug=none|metformin'. "
                   "Repeatable; the first arm is the reference. [default: basal-bolus]")
@click.option("--chunk-size", type=click.IntRange(1, 100_000), default=50, show_default=True,
              help="Patients per unit of work.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler address (e.g. tcp://10.0.0.1:8786); default: run here.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write patients/ (Parquet, partitioned by arm), summary.csv and trial.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-arm summary as JSON.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar (stderr).")
def trial(cohort, n, days, seed, arms, chunk_size, scheduler, out_dir, as_json, progress):
    """Virtual trial: a cohort x arms, crossover (same meals and sensor noise in every arm).

    \b
    Example:
      glucostat trial --cohort t1d-adult --n 100 --days 14 --arm basal-bolus --arm pid --out trial-output
    """
    from .trial import Trial, run_trial

    spec = Trial(cohort=cohort, n=n, days=days, seed=seed, arms=tuple(arms) or ("basal-bolus",),
                 chunk_size=chunk_size)
    res = run_trial(spec, scheduler=scheduler, progress=progress)
    if out_dir is not None:
        res.write(out_dir)
    if as_json:
        _emit_json(res.to_dict())
        return
    cols = ["Mean", "CI low", "CI high"]
    click.echo(res.summary()[cols].round(2).to_string())
    if out_dir is not None:
        click.echo(f"wrote {out_dir}/patients (Parquet, by arm), summary.csv, trial.json")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def patients(as_json):
    """List the built-in patients."""
    rows = []
    for name, (pset, desc) in PRESETS.items():
        p = Patient.from_preset(name)
        rows.append({"name": name, "parameter_set": pset, "description": desc,
                     "Body weight [kg]": p.body_weight_kg,
                     "Basal plasma glucose [mg/dL]": p.basal_glucose_mg_dl,
                     "Basal plasma insulin [pmol/L]": p.basal_insulin_pmol_l})
    if as_json:
        _emit_json(rows)
        return
    for r in rows:
        click.echo(f"{r['name']:<26} {r['description']}")


@main.command()
@click.argument("patient", default="healthy")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Write the table as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def parameters(patient, out_file, as_json):
    """Parameter values of a patient, with unit, meaning and source."""
    p = Patient.from_preset(patient)
    table = p.parameter_table()
    if out_file is not None:
        from .results import _atomic_write

        _atomic_write(out_file, lambda tmp: table.to_csv(tmp, index=False))
    if as_json:
        _emit_json({"patient": patient, "parameter_set": p.parameter_set.name,
                    "references": list(p.parameter_set.references),
                    "parameters": table.to_dict(orient="records")})
        return
    click.echo(f"{p.parameter_set.title}\n")
    click.echo(table[["Parameter", "Value", "Unit", "Meaning"]].to_string(index=False, float_format=lambda v: f"{v:.6g}"))


from .cli_clinical import clamp as _clamp, compare as _compare, ivgtt as _ivgtt  # noqa: E402
from .cli_clinical import fast as _fast, isoglycaemic as _isoglycaemic, itt as _itt, mmtt as _mmtt  # noqa: E402
from .cli_clinical import glucagon_test as _glucagon_test, insulin_clamp as _insulin_clamp  # noqa: E402
from .cli_clinical import treatment as _treatment  # noqa: E402
from .cli_clinical import glucose_effectiveness as _glucose_effectiveness  # noqa: E402
for _cmd in (_clamp, _ivgtt, _compare, _mmtt, _itt, _fast, _isoglycaemic, _glucagon_test, _insulin_clamp, _treatment,
             _glucose_effectiveness):
    main.add_command(_cmd)


if __name__ == "__main__":  # pragma: no cover
    main()
