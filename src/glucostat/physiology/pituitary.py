"""Pituitary: growth hormone (GH) secretion drive for hepatic IGF-1.

GH is released in pulses, the largest shortly after sleep onset: in young men about
two thirds of the daily GH output comes during sleep (Van Cauter, Plat & Copinschi
1998, Sleep 21:553). glucostat needs GH only as the drive of hepatic IGF-1 (14-h
half-life), which smooths the pulses, so the drive is a deterministic function of
clock time (glucostat design, physiology reference sec. 9): a nocturnal surge plus
evenly spaced daytime pulses, each shape normalised to a mean of 1 over its period,
so that the daily mean drive is exactly 1.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .common import cos, power_8

#: Shape exponents of the raised-cosine pulses ((1 + cos)/2)^n: n = 29 gives the nocturnal
#: surge a standard deviation of about 60 min over the day; n = 8 gives daytime pulses of
#: about 1/14 of their interval (about 13 min at 3 h) (glucostat design).
_N_NIGHT = 29  # whole numbers: the powers are multiplication chains (_power_29, common.power_8)
_N_PULSE = 8


def _raised_cosine_mean(n):
    # mean over a period of ((1 + cos x)/2)^n = C(2n, n) / 4^n
    return math.exp(math.lgamma(2.0 * n + 1.0) - 2.0 * math.lgamma(n + 1.0) - n * math.log(4.0))


# normalisers, computed once (numba freezes module globals as constants)
_MEAN_NIGHT = _raised_cosine_mean(_N_NIGHT)
_MEAN_PULSE = _raised_cosine_mean(_N_PULSE)


@njit(cache=True, forceinline=True, error_model="numpy")
def _power_29(b):
    """``b ** 29`` by multiplication (``** int`` compiles to a loop, which stops SIMD vectorisation)."""
    b2 = b * b
    b4 = b2 * b2
    b8 = b4 * b4
    return b8 * b8 * b8 * b4 * b


@njit(cache=True, forceinline=True, error_model="numpy")
def growth_hormone_drive(t_min, nocturnal_share, nocturnal_peak_min, pulse_interval_min):
    """GH secretion drive [-] at simulation time t [min] (t = 0 is 00:00 of day 1).

    ``GH(t) = s P_night(t) + (1 - s) P_day(t)``, s the nocturnal share of daily GH, P_night a
    raised-cosine surge over 24 h peaking at ``nocturnal_peak_min`` after midnight, P_day a
    raised-cosine pulse train of period ``pulse_interval_min``; both have mean 1.
    """
    two_pi = 2.0 * np.pi
    night = _power_29((1.0 + cos(two_pi * (t_min - nocturnal_peak_min) / 1440.0)) * 0.5)
    day = power_8((1.0 + cos(two_pi * t_min / pulse_interval_min)) * 0.5)
    return nocturnal_share * night / _MEAN_NIGHT + (1.0 - nocturnal_share) * day / _MEAN_PULSE
