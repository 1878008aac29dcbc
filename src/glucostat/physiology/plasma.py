"""Blood: glucose and insulin kinetics in plasma and exchanging compartments.

Glucose: two compartments, plasma and rapidly equilibrating tissues Gp and
slowly equilibrating (insulin-dependent) tissues Gt, DM2007 eq. (1).
Insulin: liver Il and plasma Ip, DM2007 eqs. (2)-(3).
Glucagon: one plasma compartment (Sorensen 1985).
C-peptide: two compartments (Van Cauter et al. 1992).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, forceinline=True, error_model="numpy")
def glucose_derivatives(gp, gt, egp, ra, uii, e, uid, iv_glucose, k1, k2):
    """(dGp/dt, dGt/dt) [mg/kg/min], DM2007 eq. (1), plus IV glucose.

    ``dGp/dt = EGP + Ra - Uii - E - k1 Gp + k2 Gt + IV``;
    ``dGt/dt = -Uid + k1 Gp - k2 Gt``. IV glucose [mg/kg/min] enters plasma.
    """
    dgp = egp + ra - uii - e - k1 * gp + k2 * gt + iv_glucose
    dgt = -uid + k1 * gp - k2 * gt
    return dgp, dgt


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_derivatives(il, ip, m1, m2, m3, m4, secretion_to_liver, iv_insulin):
    """(dIl/dt, dIp/dt) [pmol/kg/min], DM2007 eq. (2), plus IV insulin.

    ``dIl/dt = -(m1 + m3) Il + m2 Ip + S``; ``dIp/dt = -(m2 + m4) Ip + m1 Il + IV``.
    m3 Il is hepatic degradation, m4 Ip peripheral (including renal) degradation.
    """
    dil = -(m1 + m3) * il + m2 * ip + secretion_to_liver
    dip = -(m2 + m4) * ip + m1 * il + iv_insulin
    return dil, dip


@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_derivative(h, release, n):
    """dH/dt [pg/mL/min]: plasma glucagon, one compartment, first-order clearance.

    Sorensen 1985 glucagon balance ``V dGamma/dt = rPGR - MCR Gamma``, written per volume:
    ``dH/dt = release - n H`` with n = MCR/V = ln 2 / t1/2 (half-life from the parameter set).
    """
    return release - n * h


@njit(cache=True, forceinline=True, error_model="numpy")
def c_peptide_rate_constants(t_short, t_long, fraction_short):
    """(k1, k2, k3) [1/min] of the two-compartment C-peptide model from its decay curve.

    Van Cauter et al. 1992 (Diabetes 41:368-377, 'standard parameters'): after a bolus
    C-peptide decays as ``F e^(-a t) + (1 - F) e^(-b t)`` with a = ln2/t_short,
    b = ln2/t_long; the rate constants follow (Polonsky & Rubenstein's derivation)::

        k2 = F b + (1 - F) a,   k3 = a b / k2,   k1 = a + b - k2 - k3
    """
    a = 0.6931471805599453 / t_short
    b = 0.6931471805599453 / t_long
    k2 = fraction_short * b + (1.0 - fraction_short) * a
    k3 = a * b / k2
    k1 = a + b - k2 - k3
    return k1, k2, k3


@njit(cache=True, forceinline=True, error_model="numpy")
def c_peptide_derivatives(c1, c2, secretion, volume, k1, k2, k3):
    """(dC1/dt, dC2/dt) [pmol/L/min], Van Cauter 1992 two-compartment C-peptide kinetics.

    ``dC1/dt = -(k1 + k3) C1 + k2 C2 + ISR/V``; ``dC2/dt = k1 C1 - k2 C2``. C1 is plasma
    C-peptide, C2 the peripheral compartment (per plasma volume), ISR the beta-cell secretion
    [pmol/kg/min] (equimolar with insulin), V the C-peptide volume [L/kg]. k3 C1 is
    irreversible (mainly renal) clearance; the liver does not extract C-peptide.
    """
    dc1 = -(k1 + k3) * c1 + k2 * c2 + secretion / volume
    dc2 = k1 * c1 - k2 * c2
    return dc1, dc2
