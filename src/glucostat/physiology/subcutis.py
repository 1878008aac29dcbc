"""Subcutaneous tissue: insulin depot and interstitial glucose.

Subcutaneous insulin absorption of the UVA/Padova simulator (Dalla Man C et al.
GIM, J Diabetes Sci Technol 2007;1(3):323; Dalla Man C et al. J Diabetes Sci
Technol 2014;8(1):26, eq. (A16)); interstitial glucose seen by CGM sensors as
a first-order lag of plasma glucose (2014, eq. (A17)).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_depot(isc1, isc2, rate, kd, ka1, ka2):
    """(dIsc1/dt, dIsc2/dt, Rai) [pmol/kg/min].

    ``dIsc1/dt = -(kd + ka1) Isc1 + u``; ``dIsc2/dt = kd Isc1 - ka2 Isc2``;
    appearance in plasma ``Rai = ka1 Isc1 + ka2 Isc2``. u is the SC insulin
    delivery [pmol/kg/min]; Isc1 non-monomeric, Isc2 monomeric insulin [pmol/kg].
    """
    return -(kd + ka1) * isc1 + rate, kd * isc1 - ka2 * isc2, ka1 * isc1 + ka2 * isc2


@njit(cache=True, forceinline=True, error_model="numpy")
def human_insulin_depot(x1, x2, rate, k):
    """(dx1/dt, dx2/dt, Ra) [pmol/kg/min] of a human-insulin product with one absorption rate k [1/min].

    glucostat design (docs/model.md, 'Insulin products'): :func:`insulin_depot`'s structure with
    kd = 0.9 k, ka1 = 0.1 k, ka2 = k, so the appearance of a dose peaks at 0.89/k. Regular insulin
    (hexamers dissociating) and NPH (protamine crystals dissolving first, a slower k) use it.
    """
    return insulin_depot(x1, x2, rate, 0.9 * k, 0.1 * k, k)


@njit(cache=True, forceinline=True, error_model="numpy")
def interstitial_glucose_derivative(gs, gp, ksc):
    """dGs/dt [mg/kg/min] = -ksc (Gs - Gp); ksc = 1/Td, Td ~ 10 min (GIM 2007)."""
    return -ksc * (gs - gp)


@njit(cache=True, forceinline=True, error_model="numpy")
def long_acting_depot(depot, tissue, rate, k_release, k_transit):
    """(d depot/dt, d tissue/dt, Ra) [pmol/kg/min] of a basal insulin analogue.

    Design proposal (no published parameters; docs/model.md, 'Insulin products'):
    absorption-limited ("flip-flop") kinetics, as for glargine and degludec, whose
    terminal half-life reflects slow release from the injection depot::

        d depot/dt = -k_release depot + u;  d tissue/dt = k_release depot - k_transit tissue
        Ra = k_transit tissue

    with k_release = ln 2 / terminal half-life and a faster tissue transit.
    """
    release = k_release * depot
    return -release + rate, release - k_transit * tissue, k_transit * tissue
