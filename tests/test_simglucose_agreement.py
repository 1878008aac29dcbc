"""Agreement with simglucose (PyPI), the incumbent type 1 simulator.

All 30 simglucose virtual patients are driven through 24 h with identical inputs:
three meals (45 g at 07:00, 70 g at 12:00, 80 g at 18:00, eaten at 5 g/min) with the
patient's basal rate u2ss throughout and a meal bolus of carbs / CR (simglucose's
Quest.csv) delivered within the meal's first minute. The signal compared is the one
simglucose reports as BG: subcutaneous glucose Gsub = x12/Vg, not plasma glucose.
Required: max |difference| <= 0.5 mg/dL for every patient (observed: < 0.001).
"""

import numpy as np
import pytest
from simglucose_harness import quest, run_simglucose

import glucostat as gs
from glucostat.interop.simglucose import simglucose_patient, simglucose_patient_names, simglucose_scenario

MEALS = {420: 45.0, 720: 70.0, 1080: 80.0}
NAMES = simglucose_patient_names()


def test_thirty_patients():
    assert len(NAMES) == 30
    assert sum(n.startswith("adult") for n in NAMES) == 10


@pytest.mark.parametrize("name", NAMES)
def test_day_agrees_with_simglucose(name):
    boluses = {t: g / quest(name).CR for t, g in MEALS.items()}
    t, bg = run_simglucose(name, MEALS, boluses)
    patient = simglucose_patient(name)
    res = gs.simulate(patient, simglucose_scenario(patient, MEALS, boluses), t_eval=t)
    ours = res.get("Interstitial glucose [mg/dL]")
    assert res.ok
    assert np.max(np.abs(ours - bg)) <= 0.5
    assert bg.max() - bg.min() > 30  # the day actually exercised the model


def test_basal_steady_state_of_simglucose_patients():
    """Without meals, the basal rate u2ss holds each patient at its basal glucose Gb."""
    for name in NAMES[::7]:
        p = simglucose_patient(name)
        res = gs.simulate(p, simglucose_scenario(p, {}), dt_min=10)
        g = res.get("Plasma glucose [mg/dL]")
        assert np.max(np.abs(g - p.values["Gb"])) < 0.5
