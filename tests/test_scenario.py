import json

import numpy as np
import pydantic
import pytest

import glucostat as gs
from glucostat.errors import InvalidInputError
from glucostat.model import S, U
from glucostat.scenario import parse_time


@pytest.mark.parametrize("text, minutes", [
    ("07:00", 420.0), ("23:59", 1439.0), ("07:30:30", 450.5), ("day 2 07:00", 1860.0), ("d3 00:00", 2880.0),
    (90, 90.0), ("90", 90.0), (12.5, 12.5),
])
def test_parse_time(text, minutes):
    assert parse_time(text) == pytest.approx(minutes)


@pytest.mark.parametrize("bad", ["25:00", "07:61", "day 0 07:00", "breakfast", True, None])
def test_parse_time_rejects(bad):
    with pytest.raises(ValueError):
        parse_time(bad)


def test_day_builder_and_duration():
    sc = gs.Scenario.day(meals={"18:00": 80, "07:00": 50, "12:00": (70, 20)}, days=2)
    assert [e.time for e in sc.events] == [420, 720, 1080, 1860, 2160, 2520]
    assert sc.events[1].duration_min == 20
    assert sc.duration_min == 2880
    assert gs.Scenario(events=(gs.Meal(time="day 2 08:00", carbs_g=10),)).duration_min == 2880
    assert gs.Scenario().duration_min == 1440


@pytest.mark.parametrize("kwargs, field", [
    (dict(time=60, carbs_g=-5), "carbs_g"),
    (dict(time=60, carbs_g=float("nan")), "carbs_g"),
    (dict(time=-1, carbs_g=10), "time"),
    (dict(time="25:00", carbs_g=10), "time"),
    (dict(time=60, carbs_g=10, duration_min=-3), "duration_min"),
    (dict(time=60, carbs_g=10, calories=300), "calories"),
])
def test_meal_validation_names_field(kwargs, field):
    with pytest.raises(pydantic.ValidationError, match=field):
        gs.Meal(**kwargs)


def test_times_going_backwards_rejected():
    with pytest.raises(pydantic.ValidationError, match=r"events\[1\].time.*earlier"):
        gs.Scenario(events=(gs.Meal(time="12:00", carbs_g=10), gs.Meal(time="07:00", carbs_g=10)))


def test_duration_before_last_event_rejected():
    with pytest.raises(pydantic.ValidationError, match="duration_min"):
        gs.Scenario(events=(gs.Meal(time=100, carbs_g=10, duration_min=30),), duration_min=120)


def test_day_builder_errors_name_the_meal():
    with pytest.raises(InvalidInputError, match=r"meals\['07:00'\].carbs_g"):
        gs.Scenario.day(meals={"07:00": -5})
    with pytest.raises(ValueError, match="days"):
        gs.Scenario.day(days=0)


def test_scenario_files(tmp_path):
    toml = tmp_path / "s.toml"
    toml.write_text('duration_min = 600\n[[events]]\ntype = "meal"\ntime = "07:00"\ncarbs_g = 60\n'
                    '[[events]]\ntype = "iv_glucose_bolus"\ntime = 540\ngrams = 20\n')
    sc = gs.Scenario.from_file(toml)
    assert sc.name == "s" and len(sc.events) == 2 and sc.duration_min == 600
    js = tmp_path / "s.json"
    js.write_text(json.dumps(sc.to_dict()))
    assert gs.Scenario.from_file(js) == sc
    bad = tmp_path / "bad.toml"
    bad.write_text('[[events]]\ntype = "meal"\ntime = "07:00"\ncarbs_g = 60\nsugar = 3\n')
    with pytest.raises(pydantic.ValidationError, match="sugar"):
        gs.Scenario.from_file(bad)
    unknown = tmp_path / "u.toml"
    unknown.write_text('[[events]]\ntype = "snack"\ntime = "07:00"\n')
    with pytest.raises(pydantic.ValidationError, match="snack"):
        gs.Scenario.from_file(unknown)
    with pytest.raises(ValueError, match="x.yaml.*toml or .json"):
        gs.Scenario.from_file(tmp_path / "x.yaml")


def test_compile_inputs_and_impulses():
    sc = gs.Scenario(events=(
        gs.Meal(time=60, carbs_g=30, duration_min=10),
        gs.Meal(time=120, carbs_g=20, duration_min=0),
        gs.IVGlucoseBolus(time=130, grams=7.8),
        gs.IVInsulinInfusion(time=130, duration_min=20, rate_mu_per_kg_min=1.0),
    ), duration_min=300)
    c = sc.compile(78.0)
    assert list(c.breakpoints) == [0, *range(60, 71), 120, 130, 150, 300]
    k = {t: i for i, t in enumerate(c.breakpoints)}
    assert c.inputs[k[60], U.ingestion] == pytest.approx(3000.0)  # 30 g over 10 min = 3000 mg/min
    assert c.jumps[k[65], S.meal_size] == pytest.approx(3000.0)  # D grows minute by minute
    assert c.inputs[k[70], U.ingestion] == 0
    assert c.meal_reset.nonzero()[0].tolist() == [k[60], k[120]]
    assert c.jumps[k[120], S.stomach_solid] == 20000 and c.jumps[k[120], S.meal_size] == 20000
    assert c.jumps[k[130], S.plasma_glucose] == pytest.approx(100.0)  # 7.8 g / 78 kg
    assert c.inputs[k[130], U.iv_insulin] == pytest.approx(6.0)  # 1 mU/kg/min = 6 pmol/kg/min


def test_meal_size_follows_simglucose_convention():
    """D = stomach content at meal start + glucose eaten so far, counted at the start of each
    minute of eating (UVA/Padova simulator and simglucose convention; the type 1 and published sets)."""
    sc = gs.Scenario(events=(gs.Meal(time=0, carbs_g=50, duration_min=10), gs.Meal(time=60, carbs_g=30, duration_min=10)),
                     duration_min=200)
    res = gs.simulate("t1d", sc, t_eval=[0.0, 4.5, 9.99, 59.0, 60.0, 70.0, 100.0])
    d = res.get("Gastric meal size [mg]")
    q = res.get("Stomach glucose, solid phase [mg]") + res.get("Stomach glucose, liquid phase [mg]")
    assert d[0] == pytest.approx(5000) and d[1] == pytest.approx(25000) and d[2] == pytest.approx(50000)
    assert q[4] < q[3] < 50000  # the stomach has been emptying since the first meal
    assert d[4] == pytest.approx(q[4] + 3000, rel=1e-9)  # reset to stomach content, plus minute 1
    assert d[5] == pytest.approx(q[4] + 30000, rel=1e-9)
    assert d[6] == d[5]


def test_continuous_meal_size():
    """The healthy and type 2 sets' convention (meal_size_continuous = 1): D grows at the ingestion rate,
    so a meal eaten at a constant rate is one segment; after the meal D is the same as with the per-minute
    staircase, and glucose stays within 1.5 mg/dL of it (measured 1.07 healthy, 0.08 type 2, three meals)."""
    sc = gs.Scenario(events=(gs.Meal(time=0, carbs_g=50, duration_min=10), gs.Meal(time=60, carbs_g=30, duration_min=10),
                             gs.Meal(time=120, carbs_g=52, rate_g_per_min=5.0)), duration_min=300)
    c = sc.compile(78.0, continuous_meal_size=True)
    assert list(c.breakpoints) == [0, 10, 60, 70, 120, 130, 131, 300]  # the partial last minute at 5 g/min
    k = {t: i for i, t in enumerate(c.breakpoints)}
    assert c.inputs[k[0], U.meal_size_rate] == c.inputs[k[0], U.ingestion] == pytest.approx(5000.0)
    assert c.inputs[k[130], U.meal_size_rate] == pytest.approx(2000.0)
    assert not c.jumps[:, S.meal_size].any() and c.meal_reset.nonzero()[0].tolist() == [k[0], k[60], k[120]]
    assert sc.compile_for(gs.Patient.from_preset("t2d")).breakpoints.size == 8
    assert sc.compile_for(gs.Patient.from_preset("t1d")).breakpoints.size > 30  # per minute
    res = gs.simulate("healthy", sc, t_eval=[0.0, 4.5, 10.0, 60.0, 70.0, 100.0])
    d = res.get("Gastric meal size [mg]")
    q = res.get("Stomach glucose, solid phase [mg]") + res.get("Stomach glucose, liquid phase [mg]")
    assert d[0] == 0.0 and d[1] == pytest.approx(22500.0, rel=1e-6) and d[2] == pytest.approx(50000.0, rel=1e-6)
    assert d[4] == pytest.approx(q[3] + 30000.0, rel=1e-6) and d[5] == d[4]
    day = gs.Scenario.day(meals={"07:00": 50, "12:00": 70, "18:00": 80})
    for name in ("healthy", "t2d"):
        pat = gs.Patient.from_preset(name)
        staircase = gs.Patient.from_preset(name, meal_size_continuous=0.0)
        g1 = gs.simulate(pat, day, dt_min=1.0).get("Plasma glucose [mg/dL]")
        g0 = gs.simulate(staircase, day, dt_min=1.0).get("Plasma glucose [mg/dL]")
        assert np.max(np.abs(g1 - g0)) < 1.5


def test_meal_eaten_at_a_rate_like_simglucose():
    m = gs.Meal(time=100, carbs_g=52, rate_g_per_min=5)
    chunks = m.eating_chunks()
    assert len(chunks) == 11 and chunks[-1] == (110.0, 111.0, pytest.approx(2.0))
    assert m.end == 111.0
    with pytest.raises(pydantic.ValidationError, match="not both"):
        gs.Meal(time=0, carbs_g=10, rate_g_per_min=5, duration_min=2)


def test_insulin_events_compile():
    sc = gs.Scenario(events=(gs.InsulinInfusion(time=0, duration_min=600, rate_u_per_h=1.2),
                             gs.InsulinBolus(time=60, units=6)), duration_min=600)
    c = sc.compile(60.0)
    assert c.inputs[0, U.sc_insulin] == pytest.approx(1.2 / 60 * 6000 / 60)
    assert c.inputs[1, U.sc_insulin] == pytest.approx(1.2 / 60 * 6000 / 60 + 6 * 6000 / 60)
