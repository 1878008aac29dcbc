"""Load simglucose's virtual patients from simglucose's own parameter file.

simglucose (PyPI, MIT) ships 30 UVA/Padova S2008 virtual patients (10 adults,
10 adolescents, 10 children) in ``simglucose/params/vpatient_params.csv``.
glucostat does not copy that table (its redistribution status is unclear); when
simglucose is installed, this module reads it and maps each row onto
glucostat's parameter layout:

* no endogenous secretion: ``Sb = K = beta = 0``; the portal route ``kp4 = 0``;
* constant hepatic insulin clearance m30: ``m5 = 0`` and ``m6 = HEb = m30/(m1 + m30)``,
  which makes DM2007 eq. (5) give ``m3 = m30``;
* grinding at ``kgri = kmax`` and the paper's Fsnc as Fcns, as simglucose does;
* the initial state is simglucose's ``x0_1 .. x0_13``.

Conventions that simglucose's environment adds (meals eaten at 5 g/min,
boluses delivered within one 1-min step, ``BG`` = interstitial glucose Gs/VG)
are expressed as scenario events: see :func:`simglucose_scenario`.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from ..errors import UnknownNameError
from ..model import N_STATES, S
from ..parameters import ParameterSet, catalogue
from ..patients import Patient
from ..steady_state import organ_extensions_state
from ..scenario import InsulinBolus, InsulinInfusion, Meal, Scenario

#: simglucose state order x0..x12 -> glucostat states
STATE_ORDER = (S.stomach_solid, S.stomach_liquid, S.gut, S.plasma_glucose, S.tissue_glucose, S.plasma_insulin,
               S.remote_insulin, S.insulin_signal_1, S.insulin_signal_liver, S.liver_insulin, S.sc_insulin_1,
               S.sc_insulin_2, S.interstitial_glucose)

#: glucostat parameter <- simglucose column
COLUMN_MAP = {
    "BW": "BW", "VG": "Vg", "k1": "k1", "k2": "k2", "VI": "Vi", "m1": "m1", "m2": "m2", "m4": "m4",
    "kmax": "kmax", "kmin": "kmin", "kabs": "kabs", "kgri": "kmax", "f": "f", "b": "b", "d": "d",
    "kp1": "kp1", "kp2": "kp2", "kp3": "kp3", "ki": "ki", "Fcns": "Fsnc", "Vm0": "Vm0", "Vmx": "Vmx",
    "Km0": "Km0", "p2U": "p2u", "ke1": "ke1", "ke2": "ke2", "Gb": "Gb", "Ib": "Ib", "EGPb": "EGPb",
    "kd": "kd", "ka1": "ka1", "ka2": "ka2", "ksc": "ksc", "u2ss": "u2ss",
}

SOURCE = "simglucose package, params/vpatient_params.csv (UVA/Padova S2008 virtual patient)"
REFERENCE = ("Kovatchev BP et al. In silico preclinical trials: a proof of concept in closed-loop control of type 1 "
             "diabetes. J Diabetes Sci Technol 2009;3(1):44-55; Xie J. simglucose v0.2.1 (2018), "
             "https://github.com/jxx123/simglucose")


def _table():
    try:
        from importlib import resources

        import pandas as pd

        path = resources.files("simglucose") / "params" / "vpatient_params.csv"
        with resources.as_file(path) as f:
            return pd.read_csv(f)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "simglucose is not installed: `pip install simglucose` to load its virtual patients"
        ) from exc


def simglucose_patient_names() -> list[str]:
    """Names of simglucose's virtual patients (adolescent#001 ... child#010)."""
    return list(_table()["Name"])


def simglucose_patient(name: str) -> Patient:
    """One simglucose virtual patient as a glucostat :class:`Patient`."""
    table = _table()
    rows = table[table["Name"] == name]
    if rows.empty:
        raise UnknownNameError("simglucose patient", name, table["Name"])
    row = rows.iloc[0]
    values = {k: float(row[c]) for k, c in COLUMN_MAP.items()}
    he = float(row["m30"]) / (float(row["m1"]) + float(row["m30"]))
    values.update({
        "HEb": he, "m5": 0.0, "m6": he, "Sb": 0.0, "K": 0.0, "beta": 0.0, "alpha": 0.05, "gamma": 0.5,
        "kp4": 0.0, "Kmx": 0.0, "uid_fraction": 1.0, "renal_excretion_enabled": 1.0,
        "first_phase_only_rising": 1.0, "secretion_floor_enabled": 1.0, "egp_nonnegative": 1.0,
    })
    from ..parameters import load, organ_defaults

    defaults, default_sources = organ_defaults()
    values.update(defaults)
    for k in ("k_regular", "k_nph", "k_glargine", "k_degludec", "k_long_transit", "k_degludec_transit"):
        values[k] = load("dalla-man-2007-normal").values[k]
    sources = {k: SOURCE for k in catalogue()}
    for k in ("HEb", "m6"):
        sources[k] = "m30/(m1 + m30) from simglucose's m30 (constant hepatic clearance)"
    for k in ("m5", "Sb", "K", "beta", "kp4"):
        sources[k] = "0: type 1 diabetes, no endogenous insulin secretion (UVA/Padova S2008)"
    for k in ("alpha", "gamma"):
        sources[k] = "unused without secretion"
    for k in ("k_regular", "k_nph", "k_glargine", "k_degludec", "k_long_transit", "k_degludec_transit"):
        sources[k] = "glucostat insulin-product design (not part of simglucose)"
    sources.update(default_sources)
    pset = ParameterSet(
        name=f"simglucose:{name}", title=f"simglucose virtual patient {name} (type 1 diabetes)",
        description="UVA/Padova S2008 virtual patient as distributed with simglucose",
        references=(REFERENCE,), values=MappingProxyType(values), sources=MappingProxyType(sources),
        derive_basal=False,
    )
    y0 = np.zeros(N_STATES)
    for i, s in enumerate(STATE_ORDER):
        y0[s] = float(row[f"x0_{i + 1:2d}"])
    organ_extensions_state(values, y0, y0[S.liver_insulin])
    return Patient.from_parameter_set(name, pset, initial_state=y0)


def simglucose_patients(group: str | None = None) -> list[Patient]:
    """simglucose's virtual patients: all 30, or one group ('adult', 'adolescent', 'child')."""
    names = simglucose_patient_names()
    if group is not None:
        if group not in ("adult", "adolescent", "child"):
            raise UnknownNameError("simglucose group", group, ("adult", "adolescent", "child"))
        names = [n for n in names if n.split("#")[0] == group]
    return [simglucose_patient(n) for n in names]


def simglucose_therapy(name: str, target_mg_dl: float = 140.0):
    """simglucose's own therapy for a patient: basal u2ss, CR and CF from its Quest.csv
    (as its basal-bolus controller uses them; target 140 mg/dL as there)."""
    from importlib import resources

    import pandas as pd

    from ..therapy import therapy_from_values

    with resources.as_file(resources.files("simglucose") / "params" / "Quest.csv") as f:
        q = pd.read_csv(f)
    row = q[q["Name"] == name]
    if row.empty:
        raise UnknownNameError("simglucose patient", name, q["Name"])
    row = row.iloc[0]
    return therapy_from_values(simglucose_patient(name).basal_insulin_u_per_h, row["CR"], row["CF"], target_mg_dl)


def basal_rate_u_per_h(patient: Patient) -> float:
    """The patient's steady-state basal insulin [U/h] (u2ss x BW / 6000 x 60)."""
    return patient.basal_insulin_u_per_h


def simglucose_scenario(patient: Patient, meals: dict[float, float], boluses: dict[float, float] | None = None,
                        duration_min: float = 1440.0, eat_rate_g_per_min: float = 5.0) -> Scenario:
    """A scenario with simglucose's conventions: the patient's basal rate throughout,
    meals eaten at 5 g/min, each bolus [U] delivered within one minute.

    ``meals`` and ``boluses`` map a start time [min] to grams / units.
    """
    events = [InsulinInfusion(time=0.0, duration_min=duration_min, rate_u_per_h=basal_rate_u_per_h(patient))]
    for t, g in meals.items():
        events.append(Meal(time=t, carbs_g=g, rate_g_per_min=eat_rate_g_per_min))
    for t, u in (boluses or {}).items():
        if u > 0:
            events.append(InsulinBolus(time=t, units=u, duration_min=1.0))
    events.sort(key=lambda e: e.time)
    return Scenario(events=tuple(events), duration_min=duration_min, name="simglucose-style day")
