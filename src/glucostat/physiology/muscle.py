"""Muscle and adipose tissue: insulin-dependent glucose utilisation.

DM2007 eqs. (15)-(18): Michaelis-Menten uptake from the slowly equilibrating
tissue glucose pool Gt, whose maximal rate rises with remote (interstitial)
insulin X.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True)
def insulin_dependent_utilisation(gt, x, vm0, vmx, km0, kmx):
    """Insulin-dependent glucose utilisation Uid [mg/kg/min].

    DM2007 eqs. (15)-(17)::

        Uid = Vm(X) Gt / (Km(X) + Gt),  Vm = Vm0 + Vmx X,  Km = Km0 + Kmx X

    gt [mg/kg]; x remote insulin above basal [pmol/L]; vm0 [mg/kg/min];
    vmx [mg/kg/min per pmol/L]; km0 [mg/kg]; kmx [mg/kg per pmol/L] (0 in DM2007).
    """
    vm = vm0 + vmx * x
    if vm < 0.0:
        vm = 0.0  # X >= -Ib keeps vm > 0 for the published sets; guard only
    return vm * gt / (km0 + kmx * x + gt)


@njit(cache=True)
def remote_insulin_derivative(x, insulin, basal_insulin, p2u):
    """dX/dt [pmol/L/min]: remote insulin action, DM2007 eq. (18).

    ``dX/dt = -p2U X + p2U (I - Ib)`` with I plasma insulin [pmol/L].
    """
    return -p2u * x + p2u * (insulin - basal_insulin)


@njit(cache=True)
def fasting_insulin_resistance(fasting, resistance):
    """Multiplier of insulin-dependent uptake in a prolonged fast [-]: ``1 - r Z``.

    glucostat design: fasting raises free fatty acids, and muscle glucose uptake falls
    (Randle cycle; insulin sensitivity is lower after a 60-h fast: Hoeks J et al. 2010
    Diabetes 59:2117). Z is the slow fasting adaptation.
    """
    return 1.0 - resistance * fasting
