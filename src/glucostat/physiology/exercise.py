"""Exercise: Roy & Parker 2007, coupled to the organ model.

Roy A, Parker RS. Dynamic modeling of exercise effects on plasma glucose and insulin
levels. J Diabetes Sci Technol 2007;1(3):338-347 (physiology reference sec. 6.1). The
input u3 is exercise intensity in % of VO2max above the resting level. The paper's
equations, on the Bergman minimal model:

- (eq. 5)  dPVO2max/dt = -0.8 PVO2max + 0.8 u3                 [%/min]
- (eq. 6)  dGprod/dt   = a1 PVO2max - a2 Gprod                  exercise hepatic output [mg/kg/min]
- (eq. 7)  dGup/dt     = a3 PVO2max - a4 Gup                    exercise muscle uptake [mg/kg/min]
- (eq. 8)  dIe/dt      = a5 PVO2max - a6 Ie                     exercise insulin removal [uU/mL/min]
- (eqs. 9-11) glycogen depletion: A = integral of u3 over the bout, threshold
  ATH = -1.1521 u3^2 + 87.471 u3; dGgly/dt = 0 while A < ATH, k once A >= ATH during
  exercise, -Ggly/T1 after it.

How glucostat couples them to the organ model (design; docs/model.md 'Exercise'):
Gprod - Ggly is added to the liver's regulated output (so it is drawn from glycogen
and gluconeogenesis like the rest), Gup to muscle uptake (insulin-independent), and
the insulin fall becomes a suppression of beta-cell secretion (the sympathetic
inhibition that lowers insulin in exercising healthy people; with no beta cells, in
type 1 diabetes, insulin does not fall, which is why glucose does). A slow state
carries the rise of insulin sensitivity after exercise.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, forceinline=True, error_model="numpy")
def first_order(x, drive, gain, rate):
    """``dx/dt = gain drive - rate x`` (Roy & Parker 2007 eqs. 5-8)."""
    return gain * drive - rate * x


@njit(cache=True, forceinline=True, error_model="numpy")
def glycogen_threshold(u3, a, b):
    """ATH = -a u3^2 + b u3 [% min] (Roy & Parker 2007 eq. 10; a = 1.1521, b = 87.471)."""
    return -a * u3 * u3 + b * u3


@njit(cache=True, forceinline=True, error_model="numpy")
def glycogen_depletion_derivative(ggly, u3, work, a, b, k, t1):
    """dGgly/dt [mg/kg/min^2] (Roy & Parker 2007 eq. 11).

    During exercise (u3 > 0): ``k`` once the bout's integrated intensity ``work`` (A) has
    reached ATH, else 0; after exercise: ``-Ggly/T1``.
    """
    if u3 > 0.0:
        if work >= glycogen_threshold(u3, a, b):
            return k
        return 0.0
    return -ggly / t1


@njit(cache=True, forceinline=True, error_model="numpy")
def secretion_suppression(ie, n, basal_insulin_uu_ml):
    """Multiplier of beta-cell secretion during exercise [-], ``max(0, 1 - Ie/(n I_ref))``.

    glucostat coupling of Roy & Parker's insulin removal Ie (eq. 8, ``dI/dt = ... - Ie``,
    with I cleared at rate n = 0.142/min): at steady state their insulin falls by Ie/n, a
    fraction Ie/(n I_ref) of a reference insulin level I_ref [uU/mL] (a calibrated
    parameter: the basal insulin of the minimal model Roy & Parker built on, not the
    patient's). Here the same fraction is taken off secretion, which is where the fall comes
    from in health (alpha-adrenergic inhibition of the beta cell; Galbo H et al. 1977 Am J
    Physiol 232:E63; physiology reference sec. 6.1).
    """
    if basal_insulin_uu_ml <= 0.0:
        return 1.0
    s = 1.0 - ie / (n * basal_insulin_uu_ml)
    if s < 0.0:
        return 0.0
    return s


@njit(cache=True, forceinline=True, error_model="numpy")
def sensitivity_derivative(z, pvo2max, rise_time, decay_time):
    """dZ/dt [1/min] of the post-exercise insulin-sensitivity state Z in [0, 1).

    glucostat design (docs/model.md 'Exercise'): ``dZ/dt = (PVO2max/100)(1 - Z)/tau_rise -
    Z/tau_decay``; insulin-stimulated muscle uptake is multiplied by ``1 + gain Z``
    (calibrated to the rise of insulin sensitivity after one bout, docs/validation.md).
    """
    drive = pvo2max * 0.01
    if drive < 0.0:
        drive = 0.0
    return drive * (1.0 - z) / rise_time - z / decay_time
