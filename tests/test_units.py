import numpy as np

from glucostat import units


def test_insulin_round_trip():
    x = np.array([1.0, 25.49, 600.0])
    assert np.allclose(units.insulin_uu_ml_to_pmol_l(units.insulin_pmol_l_to_uu_ml(x)), x)
    assert units.insulin_uu_ml_to_pmol_l(1.0) == 6.0


def test_glucose_round_trip():
    x = np.array([40.0, 91.76, 400.0])
    assert np.allclose(units.glucose_mmol_l_to_mg_dl(units.glucose_mg_dl_to_mmol_l(x)), x)
    assert abs(units.glucose_mmol_l_to_mg_dl(5.0) - 90.078) < 1e-9


def test_insulin_rates():
    # 1 U/h for a 60 kg person: 6000 pmol / 60 min / 60 kg = 1.6667 pmol/kg/min
    assert abs(units.insulin_u_per_h_to_pmol_per_kg_min(1.0, 60.0) - 6000 / 3600) < 1e-12
    # 1 mU/min = 6 pmol/min
    assert abs(units.insulin_mu_per_min_to_pmol_per_kg_min(1.0, 1.0) - 6.0) < 1e-12
