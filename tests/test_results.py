import numpy as np
import pandas as pd
import pytest

import glucostat as gs
from glucostat.errors import InvalidInputError, UnknownNameError
from glucostat.results import read_provenance


def test_three_lines():
    res = gs.simulate("healthy", gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80}))
    df = res.to_pandas()
    assert df.index.name == "Time [min]"
    assert len(df) == 1441
    for col in ["Plasma glucose [mg/dL]", "Plasma insulin [pmol/L]", "Gut glucose absorption [mg/kg/min]",
                "Liver glucose production [mg/kg/min]", "Pancreatic insulin secretion [pmol/kg/min]",
                "Hepatic insulin extraction [fraction]", "Muscle and fat glucose uptake [mg/kg/min]",
                "Brain glucose uptake [mg/kg/min]", "Urinary glucose excretion [mg/kg/min]"]:
        assert col in df.columns
    assert all("[" in c and c.endswith("]") for c in df.columns)
    assert not df.isna().any().any()
    assert (df.select_dtypes("number").drop(columns=["Remote insulin action [pmol/L]",
                                                     "Static insulin secretion [pmol/kg/min]",
                                                     "Plasma glucose rate of change [mg/dL/min]",
                                                     "Fading of glucagon action [-]"]) >= 0).all().all()


def test_several_patients(day_results):
    df = day_results.to_pandas()
    assert df.index.names == ["Patient", "Time [min]"]
    assert set(df.index.get_level_values(0)) == {"healthy", "t2d"}
    assert day_results["Plasma glucose [mg/dL]"].shape == (2, 1441)
    s = day_results.summary()
    assert s.loc["t2d", "Mean plasma glucose [mg/dL]"] > s.loc["healthy", "Mean plasma glucose [mg/dL]"]
    assert s.loc["healthy", "Glucose eaten [g]"] == pytest.approx(200.0)
    with pytest.raises(UnknownNameError):
        day_results.get("Plasma glucose")
    with pytest.raises(UnknownNameError):
        day_results.get("Plasma glucose [mg/dL]", patient="nobody")


def test_save_parquet_csv_and_provenance(tmp_path, day_results):
    pq = day_results.save(tmp_path / "r.parquet")
    csv = day_results.save(tmp_path / "r.csv")
    a = pd.read_parquet(pq)
    b = pd.read_csv(csv)
    assert list(a.columns) == list(b.columns)
    assert a.columns[0] == "Patient" and a.columns[1] == "Time [min]"
    assert np.allclose(a["Plasma glucose [mg/dL]"], b["Plasma glucose [mg/dL]"])
    prov = read_provenance(pq)
    assert prov["glucostat_version"] == gs.__version__
    assert [p["parameter_set"] for p in prov["patients"]] == ["healthy", "t2d"]
    assert "doi:10.1109/TBME.2007.893506" in prov["model"]
    assert prov["solver"]["rtol"] > 0


def test_save_rejects_bad_suffix_and_leaves_nothing(tmp_path, day_results, monkeypatch):
    with pytest.raises(InvalidInputError, match="path"):
        day_results.save(tmp_path / "r.xlsx")
    import glucostat.results as r

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(r, "_write_table", boom)
    with pytest.raises(OSError):
        day_results.save(tmp_path / "x.parquet")
    assert list(tmp_path.iterdir()) == []


def test_plot(tmp_path, day_results):
    fig = day_results.plot(path=tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 10_000
    assert len(fig.axes) >= 6


def test_simulate_input_errors():
    with pytest.raises(InvalidInputError, match="dt_min"):
        gs.simulate("healthy", dt_min=0)
    with pytest.raises(InvalidInputError, match="t_eval"):
        gs.simulate("healthy", t_eval=[10, 5])
    with pytest.raises(InvalidInputError, match="t_eval"):
        gs.simulate("healthy", t_eval=[0, 5000])
    with pytest.raises(UnknownNameError, match="initial_state"):
        gs.simulate("healthy", initial_state={"glucose": 3})
    with pytest.raises(InvalidInputError, match="initial_state.plasma_glucose"):
        gs.simulate("healthy", initial_state={"plasma_glucose": -3})
    with pytest.raises(InvalidInputError, match="scenario"):
        gs.simulate("healthy", scenario={"events": []})
