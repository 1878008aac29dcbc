"""The CLI as a user runs it (subprocess on the installed entry point)."""

import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest

EXE = shutil.which("glucostat")


def run(*args, check=True):
    cmd = [EXE, *args] if EXE else [sys.executable, "-m", "glucostat.cli", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.mark.parametrize("patient, category", [("healthy", "normal"), ("t2d", "diabetes")])
def test_ogtt_json(patient, category):
    data = json.loads(run("ogtt", "--patient", patient, "--json").stdout)
    assert data["classification"] == category
    assert len(data["samples"]) == 5
    assert {"HOMA1-IR [1]", "HOMA1-%B [%]", "Matsuda index [1]", "Insulinogenic index [uU/mL per mg/dL]"} <= set(data["indices"])


def test_simulate_default_writes_files(tmp_path):
    out = tmp_path / "out"
    p = run("simulate", "--out", str(out))
    assert "healthy" in p.stdout and "t2d" in p.stdout
    df = pd.read_parquet(out / "simulation.parquet")
    assert set(df["Patient"]) == {"healthy", "t2d"}
    assert (out / "simulation.csv").exists() and (out / "simulation.png").stat().st_size > 10_000


def test_simulate_json_with_meals_and_scenario_file(tmp_path):
    data = json.loads(run("simulate", "-p", "healthy", "--meal", "08:00=60/20", "--days", "2", "--json").stdout)
    assert data["summary"]["healthy"]["Glucose eaten [g]"] == pytest.approx(120)
    sc = tmp_path / "s.toml"
    sc.write_text('duration_min = 300\n[[events]]\ntype = "oral_glucose"\ntime = 0\ngrams = 75\n')
    data = json.loads(run("simulate", "-p", "t2d", "--scenario", str(sc), "--json").stdout)
    assert data["scenario"]["duration_min"] == 300


def test_bad_input_clear_error_and_no_partial_files(tmp_path):
    out = tmp_path / "out"
    p = run("simulate", "--meal", "07:00=-50", "--out", str(out), check=False)
    assert p.returncode == 2 and "carbs_g" in p.stderr and "-50" in p.stderr
    assert not out.exists()
    p = run("ogtt", "--patient", "alien", check=False)
    assert p.returncode == 2 and "alien" in p.stderr and "healthy" in p.stderr
    sc = tmp_path / "bad.toml"
    sc.write_text('[[events]]\ntype = "meal"\ntime = "12:00"\ncarbs_g = 10\n[[events]]\ntype = "meal"\ntime = "07:00"\ncarbs_g = 10\n')
    p = run("simulate", "--scenario", str(sc), "--out", str(out), check=False)
    assert p.returncode == 2 and "earlier" in p.stderr
    assert not out.exists()


def test_patients_and_parameters(tmp_path):
    rows = json.loads(run("patients", "--json").stdout)
    assert {"healthy", "t2d", "dalla-man-2007-normal"} <= {r["name"] for r in rows}
    data = json.loads(run("parameters", "t2d", "--json", "--out", str(tmp_path / "p.csv")).stdout)
    vmx = next(r for r in data["parameters"] if r["Parameter"] == "Vmx")
    assert vmx["Unit"] == "mg/kg/min per pmol/L" and vmx["Source"]
    assert (tmp_path / "p.csv").exists()
    assert "Usage" in run("--help").stdout


def test_closed_loop_cli_reproducible(tmp_path):
    args = ("closed-loop", "--cohort", "simglucose-adult", "--n", "2", "--days", "1", "--controller", "basal-bolus",
            "--seed", "1", "--json")
    a = run(*args).stdout
    b = run(*args).stdout
    assert a == b
    data = json.loads(a)
    assert set(data["patients"]) == {"adult#001", "adult#002"}
    for key in ("Time in range 70-180 [%]", "Time below 70 [%]", "Time below 54 [%]", "Time above 180 [%]",
                "Time above 250 [%]", "Mean glucose [mg/dL]", "SD glucose [mg/dL]", "Coefficient of variation [%]",
                "GMI [%]", "LBGI [1]", "HBGI [1]", "Risk index [1]"):
        assert key in data["cohort"] and key in data["patients"]["adult#001"]
    run("closed-loop", "-p", "t1d", "--controller", "pid", "--meal", "07:00=50", "--out", str(tmp_path / "cl"))
    assert (tmp_path / "cl" / "metrics.csv").exists() and (tmp_path / "cl" / "closed_loop.png").exists()
    bad = run("closed-loop", "--cohort", "simglucose-adult", "--n", "50", check=False)
    assert bad.returncode == 2 and "--n" in bad.stderr
