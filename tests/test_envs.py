"""Gymnasium environments: the API checker, seeding, physics against the open-loop engine."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import glucostat as gs
from glucostat.engine import simulate_batch
from glucostat.envs import GlucoseEnv, GlucoseVectorEnv, iob_fraction
from glucostat.errors import InvalidInputError


def test_single_env_passes_gymnasium_checker():
    check_env(GlucoseEnv(action="basal+bolus"), skip_render_check=True)
    check_env(GlucoseEnv(reward="time-in-range", insulin_on_board=False), skip_render_check=True)


def test_seeded_reset_reproduces_an_episode():
    env = GlucoseEnv(patients=["t1d", gs.Patient.from_preset("t1d", body_weight_kg=60.0)], history=6)
    runs = []
    for _ in range(2):
        obs, _ = env.reset(seed=7)
        runs.append([obs] + [env.step(np.array([0.9], dtype=np.float32))[0] for _ in range(60)])
    np.testing.assert_array_equal(np.array(runs[0]), np.array(runs[1]))
    obs, _ = env.reset(seed=8)
    other = [obs] + [env.step(np.array([0.9], dtype=np.float32))[0] for _ in range(60)]
    assert not np.array_equal(np.array(runs[0]), np.array(other))


def test_env_physics_equals_open_loop_engine():
    """Ideal sensor, a fixed scenario and a constant basal action: the interstitial glucose the
    environment reports equals the open-loop batch engine with the same infusion (within the step
    tolerance: the environment stops every 5 min, the engine steps across; both are ~0.02 mg/dL from
    the exact solution)."""
    sc = gs.Scenario.day(meals={"07:00": 50, "12:00": 70}, days=1)
    env = GlucoseEnv(scenario=sc, cgm="ideal", episode_days=0.75)
    env.reset(seed=0)
    g_env = [env.step(np.array([0.85], dtype=np.float32))[4]["interstitial_glucose_mg_dl"] for _ in range(216)]
    infused = gs.Scenario(events=(gs.InsulinInfusion(time=0, duration_min=1440, rate_u_per_h=0.85), *sc.events),
                          duration_min=1440)
    ref = simulate_batch(["t1d"], infused, output_every_min=5.0, signal="interstitial").glucose_mg_dl[0, 1:217]
    assert np.max(np.abs(np.array(g_env) - ref)) < 0.1


def test_vector_env_steps_all_patients_and_autoresets():
    venv = GlucoseVectorEnv(16, action="basal+bolus", episode_days=1 / 12, history=4)
    obs, _ = venv.reset(seed=3)
    assert obs.shape == (16, 6) and obs.dtype == np.float32 and venv.observation_space.contains(obs)
    ends = 0
    for k in range(50):
        act = np.tile(np.array([1.0, 0.0], dtype=np.float32), (16, 1))
        obs, rew, term, trunc, info = venv.step(act)
        assert obs.shape == (16, 6) and rew.shape == (16,) and np.all(np.isfinite(rew))
        if (term | trunc).any():
            ends += 1
            assert "final_obs" in info and info["final_obs"][np.argmax(term | trunc)].shape == (6,)
            assert np.all(obs[term | trunc, :4] == obs[term | trunc, :1])  # a fresh history after the reset
    assert ends == 2  # 2-h episodes of 24 steps, 50 steps
    venv2 = GlucoseVectorEnv(16, action="basal+bolus", episode_days=1 / 12, history=4)
    o1, _ = venv2.reset(seed=3)
    o0, _ = venv.reset(seed=3)
    np.testing.assert_array_equal(o0, o1)


def test_insulin_on_board_curve_and_bad_input():
    assert iob_fraction(0.0) == pytest.approx(1.0)
    assert iob_fraction(360.0) == pytest.approx(0.0, abs=1e-12)
    f = iob_fraction(np.linspace(0, 360, 50))
    assert np.all(np.diff(f) <= 1e-12)
    with pytest.raises(InvalidInputError, match="reward"):
        GlucoseEnv(reward="happiness")
    with pytest.raises(InvalidInputError, match="history"):
        GlucoseEnv(history=0)
    env = GlucoseEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidInputError, match="action"):
        env.step(np.array([np.nan], dtype=np.float32))
