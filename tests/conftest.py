"""Shared fixtures. Tests read nothing outside this repository: reference numbers are recorded inline
with how they were obtained."""

import matplotlib
import pytest

matplotlib.use("Agg")

import glucostat as gs  # noqa: E402


@pytest.fixture(scope="session")
def day_results():
    """Healthy and T2D through the default day (50/70/80 g at 07:00/12:00/18:00)."""
    return gs.simulate(["healthy", "t2d"], gs.Scenario.day())
