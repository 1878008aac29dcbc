"""Drive simglucose's own patient model with given inputs (test helper; simglucose is a
test-only dependency). The patient's parameters are handed to simglucose's right-hand side
as a plain namespace instead of a pandas Series: the same numbers, without the pandas
look-ups that dominate its run time."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def run_simglucose(name: str, meals: dict[int, float], boluses: dict[int, float], minutes: int = 1440):
    """Return (times [min], simglucose 'BG' = Gsub [mg/dL]) for one patient and a day of inputs.

    meals: minute -> grams announced at that minute (eaten at 5 g/min by simglucose);
    boluses: minute -> units delivered within that minute, on top of the basal u2ss.
    """
    from simglucose.patient.t1dpatient import Action, T1DPatient

    p = T1DPatient.withName(name)
    params = p._params
    p._params = SimpleNamespace(**{k: params[k] for k in params.index})
    basal = params.u2ss * params.BW / 6000.0  # U/min
    times, bg = [], []
    for t in range(minutes + 1):
        times.append(p.t)
        bg.append(p.observation.Gsub)
        if t == minutes:
            break
        p.step(Action(CHO=meals.get(t, 0.0), insulin=basal + boluses.get(t, 0.0)))
    return np.array(times, dtype=float), np.array(bg)


def quest(name: str):
    """simglucose's therapy parameters for a patient (carb ratio CR [g/U], correction factor CF)."""
    from importlib import resources

    import pandas as pd

    with resources.as_file(resources.files("simglucose") / "params" / "Quest.csv") as f:
        q = pd.read_csv(f)
    return q[q["Name"] == name].iloc[0]
