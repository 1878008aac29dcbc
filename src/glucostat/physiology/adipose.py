"""Adipose tissue: lipolysis and plasma free fatty acids (FFA).

glucostat design (docs/model.md, 'Adipose tissue and free fatty acids'), in the form of the FFA
models fitted to human frequently sampled IVGTTs (Periwal V et al. Am J Physiol Regul Integr Comp
Physiol 2008;295:R1089-R1096: lipolysis falls along a Hill curve of a delayed insulin signal, plasma
FFA are cleared first-order) and coupled to the organ model's own signals:

- the adipose insulin signal ``Ia`` follows plasma insulin through two first-order compartments
  (DM2007's delayed insulin signal to the liver, eq. 11, computed by
  :func:`~glucostat.physiology.liver.delayed_insulin_derivatives` with fat's own rate): insulin reaches fat cells through the
  interstitium, and FFA stay at basal for ~ 11 min after IV glucose before they fall (Sumner AE et
  al., Metabolism: FSIGT in 13 healthy adults);
- lipolysis (FFA appearance) is suppressed by ``Ia`` towards a floor, raised by adrenaline
  (beta-adrenergic lipolysis), by exercise intensity (catecholamines) and by the slow fasting
  adaptation of the liver model (the rise of lipolysis over days of fasting);
- FFA leave plasma first-order (FFA disposal is linear in their concentration from ~ 50 to
  > 2000 umol/L: Gormsen LC et al. J Clin Endocrinol Metab 2007;92:1834-1842).

The basal state is steady by construction: the lipolytic capacity is derived from the basal FFA
concentration ``Fb`` at the patient's basal insulin ``Ib`` (as DM2007 derives kp1 from EGPb).
FFA do not feed back on glucose in this release (docs/model.md says why).
"""

from __future__ import annotations

from numba import njit

from .common import hill as common_hill


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_fraction(signal, ic50, hill, max_suppression):
    """Share of the insulin-free lipolysis left at adipose insulin ``signal`` [pmol/L] [-]:
    ``1 - smax Ia^n/(Ia^n + IC50^n)`` (Periwal 2008 eq. 3: l0 + l2/(1 + (X/X2)^A), written with the
    suppression's floor 1 - smax and its half-suppression concentration IC50)."""
    return 1.0 - max_suppression * common_hill(signal, ic50, hill)


@njit(cache=True, forceinline=True, error_model="numpy")
def stimulation(adrenaline_excess, adrenaline_max, adrenaline_half, pvo2, exercise_gain, fasting, fasting_gain):
    """Multiplier of lipolysis by adrenaline above basal [pg/mL] (``1 + max E/(E + half)``), by exercise
    (``1 + gain PVO2max/100``, PVO2max in % of VO2max above rest) and by the fasting adaptation
    (``1 + gain z``, z 0 at the overnight fast and 1 when liver glycogen is exhausted) [-]."""
    f = fasting if fasting > 0.0 else 0.0
    return ((1.0 + adrenaline_max * adrenaline_excess / (adrenaline_excess + adrenaline_half))
            * (1.0 + exercise_gain * pvo2 / 100.0) * (1.0 + fasting_gain * f))


@njit(cache=True, forceinline=True, error_model="numpy")
def capacity(ffa_basal, clearance, volume, basal_insulin, ic50, hill, max_suppression):
    """Lipolysis without insulin at rest [umol/kg/min], such that basal lipolysis clears ``Fb``:
    ``Fb k V / fraction(Ib)`` (steady state of :func:`ffa_derivative` at basal)."""
    return ffa_basal * clearance * volume / insulin_fraction(basal_insulin, ic50, hill, max_suppression)


@njit(cache=True, forceinline=True, error_model="numpy")
def ffa_derivative(ffa, lipolysis, clearance_rate, volume):
    """d[FFA]/dt [umol/L/min] = ``Ra/V - k F``: appearance ``lipolysis`` [umol/kg/min] into the
    distribution volume ``volume`` [L/kg], first-order clearance ``clearance_rate`` [1/min]
    (Periwal 2008 eq. 4)."""
    return lipolysis / volume - clearance_rate * ffa
