"""Liver: endogenous glucose production and hepatic insulin extraction.

DM2007 eqs. (4), (5), (10), (11). Endogenous glucose production (EGP) here is
the net hepatic output, lumping glycogenolysis and gluconeogenesis; it is
suppressed by glucose (kp2), by a delayed insulin signal Id (kp3) and by portal
insulin Ipo (kp4).

glucostat extensions (docs/model.md): glucagon multiplies the output (Sorensen
1985), the output is split into gluconeogenesis and glycogenolysis from an explicit
glycogen store, the liver secretes IGF-1, and its insulin sensitivity falls at dawn.
"""

from __future__ import annotations

from numba import njit

from .common import cos, hill, power_8, tanh


@njit(cache=True, forceinline=True, error_model="numpy")
def endogenous_glucose_production(gp, i_d, i_po, kp1, kp2, kp3, kp4, clip_at_zero):
    """Endogenous glucose production EGP [mg/kg/min].

    DM2007 eq. (10): ``EGP = kp1 - kp2 Gp - kp3 Id - kp4 Ipo``, constrained to be
    non-negative (the paper's EGP >= 0). ``clip_at_zero`` = 0 disables the
    constraint (only the BioModels-compatible variant does this).
    """
    egp = kp1 - kp2 * gp - kp3 * i_d - kp4 * i_po
    if clip_at_zero > 0.5 and egp < 0.0:
        return 0.0
    return egp


@njit(cache=True, forceinline=True, error_model="numpy")
def hyperglycaemic_suppression(gp, gpb, k):
    """Suppression of glucose output by glucose above basal at fixed insulin [mg/kg/min] (glucostat design).

    ``k max(0, Gp - Gpb)``, subtracted from the output on top of DM2007's ``kp2 Gp`` (eq. (10)); Gp
    and Gpb [mg/kg], k [1/min]. With ``kp2`` alone, raising glucose from 5 to 10 mmol/L at basal
    insulin and glucagon (pancreatic clamp) suppresses glucose production by 23 %, against 48 % in
    healthy people (Hawkins M et al. Diabetes 2003;52:2748-2758; in type 1 diabetes on fixed insulin a
    2-3-fold rise of glucose lowered it from 1.9 to 0.2-0.4 mg/kg/min: Sacca L, Hendler R, Sherwin RS.
    J Clin Endocrinol Metab 1978;47:1160). Below basal the output rises with the falling glucose by
    ``kp2`` only: the liver's autoregulation in hypoglycaemia is small against glucagon's and
    adrenaline's (docs/model.md, 'Glucose effectiveness').
    """
    excess = gp - gpb
    return k * excess if excess > 0.0 else 0.0


@njit(cache=True, forceinline=True, error_model="numpy")
def dawn_insulin_sensitivity(t_min, resistance, peak_min):
    """Relative insulin sensitivity of the liver at simulation time t [min] (t = 0 is 00:00 of day 1) [-].

    glucostat design (docs/model.md, 'Dawn phenomenon'): ``1 - R B(t)``, the dawn profile
    ``B(t) = ((1 + cos(2 pi (t - t_peak)/1440))/2)^8`` (1 at ``peak_min`` after midnight, half 2.25 h
    earlier or later, 0.28 three hours and 0.01 five and a half hours away), R = ``resistance`` the fraction of the liver's
    insulin action lost at the peak. It multiplies the insulin signals of the liver's output
    (DM2007 eq. 10's Id and Ipo), so at basal insulin the output rises by R B(t) (kp3 Ib + kp4 Ipob).
    In type 2 diabetes glucose production rises from 03:00 to 08:00 (by 0.42 mg/kg/min in poorly
    controlled patients, Diabetes 1989;38:580) and the liver's insulin sensitivity is lowest at
    08:31 (Boden G et al. Diabetes 1996;45:1044); glucose rises from its nocturnal nadir to before
    breakfast by 16 mg/dL (median; Monnier L et al. Diabetes Care 2013;36:4057).
    """
    return 1.0 - resistance * power_8((1.0 + cos(6.283185307179586 * (t_min - peak_min) / 1440.0)) * 0.5)


@njit(cache=True, forceinline=True, error_model="numpy")
def insulin_suppression(i_d, i_po, ib, ipob, kp3, kp4, max_suppression):
    """Suppression of liver glucose output by insulin above basal [mg/kg/min] (negative below basal).

    glucostat extension (docs/model.md, 'Insulin action'): DM2007 eq. (10)'s insulin terms
    taken relative to basal, ``T = kp3 (Id - Ib) + kp4 (Ipo - Ipob)``, saturate hyperbolically
    above basal, ``T / (1 + T/Tmax)`` (Tmax = ``max_suppression``): the initial slope is DM2007's
    and insulin can take at most Tmax from the output. Glucose production in man is half
    suppressed at 29 +- 2 uU/mL and fully at ~ 60 uU/mL of plasma insulin (Rizza RA, Mandarino
    LJ, Gerich JE. Am J Physiol 1981;240:E630-E639), while during insulin-induced hypoglycaemia
    glucagon raises it again despite high insulin (counter-regulation).
    """
    t = kp3 * (i_d - ib) + kp4 * (i_po - ipob)
    if t > 0.0:
        t = t / (1.0 + t / max_suppression)
    return t


@njit(cache=True, forceinline=True, error_model="numpy")
def plasma_glucose_uptake(uid, uid_unstimulated, share):
    """Liver uptake of plasma glucose [mg/kg/min]: ``share x max(Uid - Uid(X = 0), 0)``.

    glucostat design (docs/model.md 'Liver glycogen and gluconeogenesis'): DM2007's glucose
    utilisation was identified from tracer disposal, which includes the liver's uptake of
    systemic glucose; the liver's share of the insulin-stimulated part is booked here as hepatic
    uptake (it enters glycogen at the synthesis efficiency, the rest is glycolysed) instead of
    muscle and fat uptake. Plasma glucose is unchanged: only where the glucose goes. After a
    mixed meal the liver stores ~ 19 % of the carbohydrate as glycogen (Taylor R et al. J Clin
    Invest 1996;97:126-132); splanchnic tissues take up ~ 25-30 % of oral glucose (Ferrannini E
    et al. Diabetes 1985;34:580-588).
    """
    stimulated = uid - uid_unstimulated
    if stimulated <= 0.0 or share <= 0.0:
        return 0.0
    return share * stimulated


@njit(cache=True, forceinline=True, error_model="numpy")
def delayed_insulin_derivatives(i1, i_d, insulin, ki):
    """(dI1/dt, dId/dt) [pmol/L/min], DM2007 eq. (11).

    Two-compartment delay between plasma insulin I [pmol/L] and its action on
    the liver: ``dI1/dt = -ki (I1 - I)``, ``dId/dt = -ki (Id - I1)``.
    """
    return -ki * (i1 - insulin), -ki * (i_d - i1)


@njit(cache=True, forceinline=True, error_model="numpy")
def hepatic_insulin_extraction(secretion_to_liver, m5, m6):
    """Fraction of insulin reaching the liver that it extracts, HE [-].

    DM2007 eq. (4): ``HE = -m5 S + m6`` with S the insulin secretion reaching
    the liver [pmol/kg/min]. It falls from HEb ~ 0.6 at basal to ~ 0.4 at peak
    postprandial secretion, as measured by Campioni et al. 2009
    (Am J Physiol Endocrinol Metab 297:E941). glucostat bounds it below by 0
    (a negative extraction has no meaning); with the published parameters the
    bound is never reached in meal or OGTT scenarios (tests check this).
    """
    he = -m5 * secretion_to_liver + m6
    if he < 0.0:
        return 0.0
    return he


@njit(cache=True, forceinline=True, error_model="numpy")
def hepatic_insulin_clearance_rate(he, m1):
    """Rate constant of hepatic insulin degradation m3 [1/min], DM2007 eq. (5).

    ``m3 = HE m1 / (1 - HE)``.
    """
    return he * m1 / (1.0 - he)


# --------------------------------------------------------------------------- glucagon action
_GA_A, _GA_B = 2.7, 0.39  # Sorensen 1985: M0 = 2.7 tanh(0.39 Gamma/GammaB)
_GA_BASAL = float(tanh(_GA_B))  # M0/2.7 at basal glucagon (the compiled tanh, so that M = 1 exactly)


@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_action(h, hb, f2):
    """Multiplier of liver glucose output by glucagon, and its fading state's target.

    Sorensen 1985 (Panunzi et al. 2020 restatement): ``M = M0 - f2`` with
    ``M0 = 2.7 tanh(0.39 H/Hb)`` and ``df2/dt = [(M0 - 1)/2 - f2]/tau`` (tau 65 min): a
    rise in glucagon raises glucose output at once, and half of the rise fades over about an
    hour (glycogenolysis is stimulated transiently). glucostat divides M0 by its value at
    H = Hb (2.7 tanh 0.39 = 1.003) so that M = 1 exactly at basal, and bounds M below by 0.
    Returns (M [-], target of f2 [-]).
    """
    m0 = tanh(_GA_B * h / hb) / _GA_BASAL
    m = m0 - f2
    if m < 0.0:
        m = 0.0
    return m, 0.5 * (m0 - 1.0)


@njit(cache=True, forceinline=True, error_model="numpy")
def pharmacological_glucagon_occupancy(h, hb, ec50_ratio):
    """``x^2/(EC50^2 + x^2)`` with ``x = H/Hb - 1`` (0 at or below basal): the share of the maximal response
    to pharmacological glucagon (1 % at 3x basal with EC50 = 20; glucostat design)."""
    x = h / hb - 1.0
    if x <= 0.0:
        return 0.0
    x2 = x * x
    return x2 / (ec50_ratio * ec50_ratio + x2)


@njit(cache=True, forceinline=True, error_model="numpy")
def pharmacological_glucagon_output(h, hb, f2, gmax, occupancy):
    """Extra liver output at pharmacological glucagon [mg/kg/min] (glucostat design).

    Sorensen's multiplier saturates at 2.7x basal output, enough for the physiological range
    (glucagon up to a few times basal), but a 1-mg rescue injection raises glucagon 50-100x
    and glucose by 100-150 mg/dL within 1-1.5 h (docs/validation.md, 'Glucagon rescue'). This
    Hill term ``Gmax occupancy`` (:func:`pharmacological_glucagon_occupancy`, EC50 far above the
    physiological range) adds that response; it fades like Sorensen's (the same fraction
    ``f2/(M0 - 1)``, half over about an hour).
    """
    if occupancy <= 0.0:
        return 0.0
    m0 = tanh(_GA_B * h / hb) / _GA_BASAL
    fade = 0.0
    if m0 > 1.0:
        fade = f2 / (m0 - 1.0)
        if fade < 0.0:
            fade = 0.0
        elif fade > 1.0:
            fade = 1.0
    return gmax * occupancy * (1.0 - fade)


# --------------------------------------------------------------------------- glycogen and GNG
@njit(cache=True, forceinline=True, error_model="numpy")
def fasting_adaptation_target(glycogen, k_fast):
    """Target of the slow fasting adaptation Z [-]: ``K^4/(K^4 + Gly^4)``.

    glucostat design (docs/model.md 'Liver glycogen and gluconeogenesis'): as liver glycogen
    runs low the body shifts to fat and ketone fuel over about a day: gluconeogenesis rises,
    the brain takes part of its energy from ketones and muscle becomes insulin resistant.
    """
    return 1.0 - hill(glycogen, k_fast, 4.0)


@njit(cache=True, forceinline=True, error_model="numpy")
def hepatic_glucose_fluxes(demand, gng_capacity, glycogen, glycogen_basal, k_mobilise, n_mobilise,
                           k_synthesis, retention, limit_by_store):
    """Split the liver's glucose output between gluconeogenesis and glycogen.

    glucostat design on the DM2007 liver (docs/model.md 'Liver glycogen and gluconeogenesis';
    physiology reference sec. 4.3): ``demand`` is the regulated net output [mg/kg/min]
    (DM2007 eq. (10) times the glucagon action). Gluconeogenesis runs at ``gng_capacity``:

    - when demand exceeds it, the rest comes from glycogen,
      ``glycogenolysis = (demand - GNG) phi(Gly)/phi(Gly_b)``, with
      ``phi = Gly^n/(Gly^n + K_mob^n)`` the store's ability to deliver (so a depleted store
      cannot supply the demand: prolonged fasting falls back on gluconeogenesis);
    - when demand is below it (fed state), the excess gluconeogenic glucose is stored as
      glycogen (the indirect pathway) at efficiency ``psi = K_syn^4/(K_syn^4 + Gly^4)``
      (glycogen synthase slows as the store fills), and the output is the demand.

    Glucose retained by the splanchnic bed on first pass (``retention``, DM2007's (1 - f)
    share of absorbed glucose) enters glycogen at efficiency psi (the direct pathway); the
    rest is oxidised or turned to fat in the liver (hepatic glycolysis).

    ``limit_by_store`` = 0 makes the output equal the demand whatever the store holds (the
    published DM2007 variants: there the split is reported but does not act).

    Returns (output, gluconeogenesis, glycogenolysis, glycogen synthesis, hepatic glycolysis),
    all [mg/kg/min].
    """
    phi = hill(glycogen, k_mobilise, n_mobilise) / hill(glycogen_basal, k_mobilise, n_mobilise)
    psi = 1.0 - hill(glycogen, k_synthesis, 4.0)
    if demand >= gng_capacity:
        gng = gng_capacity
        glycogenolysis = (demand - gng_capacity) * phi
        indirect = 0.0
        output = gng + glycogenolysis
    else:
        glycogenolysis = 0.0
        indirect = (gng_capacity - demand) * psi
        gng = demand + indirect
        output = demand
    if limit_by_store < 0.5:
        output = demand
    return output, gng, glycogenolysis, retention * psi + indirect, retention * (1.0 - psi)


# --------------------------------------------------------------------------- IGF-1
@njit(cache=True, forceinline=True, error_model="numpy")
def portal_insulin_effect(liver_insulin, insulin_reference, insulin_half):
    """``Pins = x (1 + K)/(x + K)``, x = liver insulin / its healthy reference [-] (1 at x = 1)."""
    x = liver_insulin / insulin_reference
    if x < 0.0:
        x = 0.0
    return x * (1.0 + insulin_half) / (x + insulin_half)


@njit(cache=True, forceinline=True, error_model="numpy")
def igf1_derivative(igf1, gh_drive, liver_function, liver_insulin, insulin_reference, insulin_half,
                    reference_level, half_life):
    """d[IGF-1]/dt [ng/mL/min]: hepatic IGF-1 secretion under growth hormone.

    Physiology reference sec. 9 (glucostat design; Guler, Zapf et al. 1989 kinetics)::

        d[IGF1]/dt = kdeg (IGF_ref GH(t) Lfun Pins - [IGF1]),  kdeg = ln 2 / t1/2

    with GH(t) the pituitary drive (mean 1 over a day, :mod:`glucostat.physiology.pituitary`),
    Lfun the liver's synthetic function (1 healthy, lower in cirrhosis) and
    ``Pins = x (1 + K)/(x + K)``, x = liver insulin / a healthy reference: portal insulin
    keeps hepatic GH receptors expressed, so low portal insulin (type 1 diabetes on
    subcutaneous insulin) lowers IGF-1.
    """
    pins = portal_insulin_effect(liver_insulin, insulin_reference, insulin_half)
    kdeg = 0.6931471805599453 / half_life
    return kdeg * (reference_level * gh_drive * liver_function * pins - igf1)
