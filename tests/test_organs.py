"""Organ flux functions at hand-computed values (DM2007 equations)."""

import math

import pytest

from glucostat.physiology import brain, gut, kidney, liver, muscle, pancreas, plasma

KMAX, KMIN, B, D = 0.0558, 0.008, 0.82, 0.01


def test_gastric_emptying_no_meal_is_kmax():
    assert gut.gastric_emptying_rate(0.0, 0.0, KMAX, KMIN, B, D) == KMAX


def test_gastric_emptying_hand_value():
    dose = 78000.0
    q = 40000.0
    a = 5 / (2 * dose * (1 - B))
    c = 5 / (2 * dose * D)
    expected = KMIN + (KMAX - KMIN) / 2 * (math.tanh(a * (q - B * dose)) - math.tanh(c * (q - D * dose)) + 2)
    assert gut.gastric_emptying_rate(q, dose, KMAX, KMIN, B, D) == pytest.approx(expected, rel=1e-14)
    # full stomach empties fast, half-empty stomach slows to near kmin, empty stomach recovers kmax
    assert gut.gastric_emptying_rate(dose, dose, KMAX, KMIN, B, D) > 0.9 * KMAX
    assert gut.gastric_emptying_rate(0.5 * dose, dose, KMAX, KMIN, B, D) < KMIN + 0.01 * (KMAX - KMIN)
    assert gut.gastric_emptying_rate(0.0, dose, KMAX, KMIN, B, D) > 0.9 * KMAX


def test_rate_of_appearance():
    assert gut.rate_of_appearance(1000.0, 0.9, 0.057, 78.0) == pytest.approx(0.9 * 0.057 * 1000 / 78)


def test_renal_threshold():
    assert kidney.renal_excretion(338.9, 0.0005, 339.0) == 0.0
    assert kidney.renal_excretion(439.0, 0.0005, 339.0) == pytest.approx(0.05)


def test_brain_constant():
    assert brain.insulin_independent_utilisation(1.0) == 1.0


def test_insulin_dependent_utilisation():
    # basal: X = 0 -> Vm0 Gt/(Km0 + Gt)
    assert muscle.insulin_dependent_utilisation(130.0, 0.0, 2.5, 0.047, 225.59, 0.0) == pytest.approx(2.5 * 130 / 355.59)
    # remote insulin raises uptake
    assert muscle.insulin_dependent_utilisation(130.0, 50.0, 2.5, 0.047, 225.59, 0.0) > muscle.insulin_dependent_utilisation(130.0, 0.0, 2.5, 0.047, 225.59, 0.0)
    assert muscle.remote_insulin_derivative(0.0, 25.0, 25.0, 0.0331) == 0.0


def test_egp_clip_and_switch():
    assert liver.endogenous_glucose_production(172.5, 25.0, 3.1, 2.7, 0.0021, 0.009, 0.0618, 1.0) == pytest.approx(
        2.7 - 0.0021 * 172.5 - 0.009 * 25 - 0.0618 * 3.1)
    assert liver.endogenous_glucose_production(172.5, 500.0, 3.1, 2.7, 0.0021, 0.009, 0.0618, 1.0) == 0.0
    assert liver.endogenous_glucose_production(172.5, 500.0, 3.1, 2.7, 0.0021, 0.009, 0.0618, 0.0) < 0.0


def test_hepatic_extraction_basal_and_meal():
    sb = (0.6471 - 0.6) / 0.0304
    assert liver.hepatic_insulin_extraction(sb, 0.0304, 0.6471) == pytest.approx(0.6)
    assert liver.hepatic_insulin_extraction(100.0, 0.0304, 0.6471) == 0.0  # bounded below
    he = 0.6
    assert liver.hepatic_insulin_clearance_rate(he, 0.19) == pytest.approx(0.6 * 0.19 / 0.4)


def test_secretion_phases():
    # first phase only while glucose rises
    assert pancreas.portal_secretion(0.0, 1.0, 2.3, 1.5, 1.0) == pytest.approx(1.5 + 2.3)
    assert pancreas.portal_secretion(0.0, -1.0, 2.3, 1.5, 1.0) == pytest.approx(1.5)
    # BioModels switch: the dG/dt term acts while glucose falls too; secretion never negative
    assert pancreas.portal_secretion(0.0, -0.5, 2.3, 1.5, 0.0) == pytest.approx(1.5 - 1.15)
    assert pancreas.portal_secretion(0.0, -1.0, 2.3, 1.5, 0.0) == 0.0
    # static secretion follows beta (G - h) with rate alpha; floor below -Sb
    assert pancreas.static_secretion_derivative(0.0, 101.76, 0.05, 0.11, 91.76, 1.5, 1.0) == pytest.approx(0.05 * 0.11 * 10)
    assert pancreas.static_secretion_derivative(0.0, 40.0, 0.05, 0.11, 91.76, 1.5, 1.0) == pytest.approx(-0.05 * 1.5)


def test_plasma_balances():
    dgp, dgt = plasma.glucose_derivatives(170.0, 130.0, 2.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.065, 0.079)
    assert dgp == pytest.approx(2.0 + 1.0 - 1.0 - 0.065 * 170 + 0.079 * 130)
    assert dgt == pytest.approx(-1.0 + 0.065 * 170 - 0.079 * 130)
    dil, dip = plasma.insulin_derivatives(4.5, 1.27, 0.19, 0.484, 0.285, 0.194, 1.55, 0.0)
    assert dil == pytest.approx(-(0.19 + 0.285) * 4.5 + 0.484 * 1.27 + 1.55)
    assert dip == pytest.approx(-(0.484 + 0.194) * 1.27 + 0.19 * 4.5)
