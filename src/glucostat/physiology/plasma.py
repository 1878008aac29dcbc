"""Blood: glucose and insulin kinetics in plasma and exchanging compartments.

Glucose: two compartments, plasma and rapidly equilibrating tissues Gp and
slowly equilibrating (insulin-dependent) tissues Gt, DM2007 eq. (1).
Insulin: liver Il and plasma Ip, DM2007 eqs. (2)-(3).
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def glucose_derivatives(gp, gt, egp, ra, uii, e, uid, iv_glucose, k1, k2):
    """(dGp/dt, dGt/dt) [mg/kg/min], DM2007 eq. (1), plus IV glucose.

    ``dGp/dt = EGP + Ra - Uii - E - k1 Gp + k2 Gt + IV``;
    ``dGt/dt = -Uid + k1 Gp - k2 Gt``. IV glucose [mg/kg/min] enters plasma.
    """
    dgp = egp + ra - uii - e - k1 * gp + k2 * gt + iv_glucose
    dgt = -uid + k1 * gp - k2 * gt
    return dgp, dgt


@njit(cache=True)
def insulin_derivatives(il, ip, m1, m2, m3, m4, secretion_to_liver, iv_insulin):
    """(dIl/dt, dIp/dt) [pmol/kg/min], DM2007 eq. (2), plus IV insulin.

    ``dIl/dt = -(m1 + m3) Il + m2 Ip + S``; ``dIp/dt = -(m2 + m4) Ip + m1 Il + IV``.
    m3 Il is hepatic degradation, m4 Ip peripheral (including renal) degradation.
    """
    dil = -(m1 + m3) * il + m2 * ip + secretion_to_liver
    dip = -(m2 + m4) * ip + m1 * il + iv_insulin
    return dil, dip
