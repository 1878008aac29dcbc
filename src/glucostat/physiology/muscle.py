"""Muscle and adipose tissue: insulin-dependent glucose utilisation.

DM2007 eqs. (15)-(18): Michaelis-Menten uptake from the slowly equilibrating
tissue glucose pool Gt, whose maximal rate rises with remote (interstitial)
insulin X.
"""

from __future__ import annotations

from numba import njit

from .common import power


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_dependent_utilisation(gt, x, vm0, vmx, km0, kmx, basal_insulin=0.0, ec50=1e9, hill=2.0, span=0.0,
                                  basal_share=0.0):
    """Insulin-dependent glucose utilisation Uid [mg/kg/min].

    DM2007 eqs. (15)-(17)::

        Uid = Vm(X) Gt / (Km(X) + Gt),  Vm = Vm0 + Vmx X,  Km = Km0 + Kmx X

    gt [mg/kg]; x remote insulin above basal [pmol/L]; vm0 [mg/kg/min];
    vmx [mg/kg/min per pmol/L]; km0 [mg/kg]; kmx [mg/kg per pmol/L] (0 in DM2007).

    glucostat extension (docs/model.md, 'Insulin action'): insulin's stimulation of Vm is
    sigmoid in the remote insulin level R = Ib + X [pmol/L] instead of linear in X::

        Vm = Vm0 + Vmx span (s(R) - s(Ib)),   s(R) = R^n / (R^n + EC50^n)

    for X >= 0: steepest around EC50 and maximal (Vm0 + Vmx span (1 - s(Ib))) at high insulin,
    the shape of the human dose-response curve: glucose utilisation half-maximal at 55 +- 7
    uU/mL and maximal at 200-700 uU/mL (Rizza RA, Mandarino LJ, Gerich JE. Am J Physiol
    1981;240:E630-E639). Below basal insulin (X < 0) the share ``basal_share`` of Vm0 that
    basal insulin sustains falls in proportion, ``Vm = Vm0 (1 + basal_share X/Ib)`` (DM2007's
    normal subject has Vmx Ib/Vm0 = 0.48), so a fall of insulin still spares glucose in a
    fast. ``ec50 >= 1e9`` is DM2007's linear Vm.
    """
    if ec50 < 1e9:
        if x >= 0.0:
            r = x + basal_insulin
            e = power(ec50, hill)
            r_n = power(r, hill)
            b_n = power(basal_insulin, hill)
            s_r = r_n / (r_n + e)
            s_b = b_n / (b_n + e)
            vm = vm0 + vmx * span * (s_r - s_b)
        else:
            vm = vm0 * (1.0 + basal_share * x / basal_insulin) if basal_insulin > 0.0 else vm0
    else:
        vm = vm0 + vmx * x
    if vm < 0.0:
        vm = 0.0  # X >= -Ib keeps vm > 0 for the published sets; guard only
    return vm * gt / (km0 + kmx * x + gt)


@njit(cache=True, forceinline=True, error_model="numpy")
def remote_insulin_derivative(x, insulin, basal_insulin, p2u):
    """dX/dt [pmol/L/min]: remote insulin action, DM2007 eq. (18).

    ``dX/dt = -p2U X + p2U (I - Ib)`` with I plasma insulin [pmol/L].
    """
    return -p2u * x + p2u * (insulin - basal_insulin)


@njit(cache=True, forceinline=True, error_model="numpy")
def fasting_insulin_resistance(fasting, resistance):
    """Multiplier of insulin-dependent uptake in a prolonged fast [-]: ``1 - r Z``.

    glucostat design: fasting raises free fatty acids, and muscle glucose uptake falls
    (Randle cycle; insulin sensitivity is lower after a 60-h fast: Hoeks J et al. 2010
    Diabetes 59:2117). Z is the slow fasting adaptation.
    """
    return 1.0 - resistance * fasting


@njit(cache=True, forceinline=True, error_model="numpy")
def glucose_stimulated_uptake(gp, gpb, k):
    """Glucose uptake stimulated by glucose above basal at fixed insulin [mg/kg/min] (glucostat design).

    ``U = k max(0, Gp - Gpb)``; Gp and Gpb [mg/kg] plasma glucose and its basal value, k [1/min].
    Zero at and below basal, so the basal state, the fasting and hypoglycaemia calibrations and the
    published sets (k = 0) are unchanged.

    DM2007 takes the insulin-independent uptake from plasma as a constant (eq. (14), the brain's) and
    lets the insulin-dependent one saturate in the tissue pool (eqs. (15)-(17)); with them, raising
    glucose from 5 to 10 mmol/L at basal insulin and glucagon (pancreatic clamp) raises glucose uptake
    by 24 %, against 97 % in healthy people (Hawkins M et al. Diabetes 2003;52:2748-2758): most of the
    basal uptake is not insulin-mediated (83 % in the fasting state, Baron AD et al. Am J Physiol
    1988;255:E769-E774) and hyperglycaemia raises it beyond the saturating uptake of DM2007. This is
    the uptake half of the minimal model's glucose effectiveness ``-SG (G - Gb)`` (Bergman RN et al. Am
    J Physiol 1979;236:E667) above basal, taken from plasma, where DM2007 takes its insulin-independent
    uptake (docs/model.md, 'Glucose effectiveness').
    """
    excess = gp - gpb
    return k * excess if excess > 0.0 else 0.0
