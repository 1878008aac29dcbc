"""Pancreas (beta cells) and portal vein: insulin secretion.

DM2007 Sec. II-F, eqs. (22)-(26) (numbers per open transcriptions, see
docs/model.md): secretion into the portal vein Spo has a static component Y
that follows glucose above the basal level with delay 1/alpha (second phase),
and a dynamic component proportional to the rate of rise of glucose (first
phase, K). Portal insulin Ipo reaches the liver at rate gamma.

Alpha cells: glucagon release rises as glucose falls and is suppressed by insulin
(Sorensen 1985 glucagon submodel, below). C-peptide is co-secreted with insulin,
one molecule per molecule of insulin, so its secretion rate is Spo (it is not
extracted by the liver; its kinetics are in :mod:`glucostat.physiology.plasma`).
The exocrine pancreas (digestive enzymes) is not simulated: its role is folded into
the gut absorption model (:mod:`glucostat.physiology.gut`).
"""

from __future__ import annotations

import math

from numba import njit

from .common import power, tanh


@njit(cache=True, forceinline=True, error_model="numpy")
def portal_secretion(y, dg_dt, k, sb, first_phase_only_rising):
    """Insulin secretion into the portal vein Spo [pmol/kg/min].

    ``Spo = Y + K dG/dt + Sb`` if ``dG/dt > 0`` else ``Y + Sb``.
    y static secretion [pmol/kg/min]; dg_dt plasma glucose rate [mg/dL/min];
    k first-phase responsivity [pmol/kg per mg/dL]; sb basal secretion
    [pmol/kg/min]. ``first_phase_only_rising`` = 0 drops the dG/dt > 0 condition
    (BioModels-compatible variant only). Secretion is non-negative.
    """
    s = y + sb
    if dg_dt > 0.0 or first_phase_only_rising < 0.5:
        s += k * dg_dt
    if s < 0.0:
        return 0.0
    return s


@njit(cache=True, forceinline=True, error_model="numpy")
def saturating_rise(dg_dt, half_rate):
    """Rate of glucose rise seen by the first phase [mg/dL/min]: ``r/(1 + r/r_half)`` for r > 0.

    glucostat design (docs/model.md 'First phase'): DM2007's first phase ``K dG/dt`` is linear
    in the rate of rise, identified on meals (dG/dt up to ~ 2-3 mg/dL/min); an IV glucose bolus
    rises at ~ 100 mg/dL/min and would release K x that, whereas first-phase secretion empties a
    limited pool of readily releasable granules (Rorsman P, Renstrom E. Diabetologia 2003;46:1029),
    small in type 2 diabetes, where the first phase to IV glucose is lost (Ward WK et al. Diabetes
    Care 1984;7:491). A fall (r <= 0) passes unchanged; ``half_rate`` of 1e9 or more is linear.
    """
    if dg_dt <= 0.0 or half_rate >= 1e9:
        return dg_dt
    return dg_dt / (1.0 + dg_dt / half_rate)


@njit(cache=True, forceinline=True, error_model="numpy")
def static_secretion_derivative(y, g, alpha, beta, h, sb, floor_enabled, below_half=1e9, below_hill=2.0):
    """dY/dt [pmol/kg/min^2], static (second-phase) secretion.

    ``dY/dt = -alpha [Y - beta (G - h)]`` if ``beta (G - h) >= -Sb``,
    else ``-alpha Y - alpha Sb``, with the threshold h [mg/dL] (DM2007: Gb; glucostat's type 2 sets pass
    the adapted threshold of :func:`adapted_threshold`), alpha the
    delay [1/min] and beta the glucose responsivity [pmol/kg/min per mg/dL].
    ``floor_enabled`` = 0 drops the second branch (BioModels-compatible variant).

    glucostat extension (docs/model.md, 'Secretion below basal glucose'): with
    ``below_half`` < 1e9, below the threshold the target is ``-Sb (1 - 1/(1 + (d/D)^n))``,
    d = h - G, D = ``below_half`` [mg/dL], n = ``below_hill``: secretion falls to half of
    basal D mg/dL below it and tends to zero in hypoglycaemia, instead of DM2007's stop
    Sb/beta (about 14 mg/dL) below basal. Insulin is about halved, not absent, after 2-3 days
    of fasting (Merimee TJ, Fineberg SE. J Clin Endocrinol Metab 1973;37:698-702), and its
    secretion is suppressed from a glycaemic threshold of about 80 mg/dL (Mitrakou A et al.
    Am J Physiol 1991;260:E67-E74).
    """
    d = h - g
    if below_half < 1e9 and d > 0.0:
        target = -sb * (1.0 - 1.0 / (1.0 + power(d / below_half, below_hill)))
        return -alpha * (y - target)
    target = beta * (g - h)
    if floor_enabled > 0.5 and target < -sb:
        return -alpha * y - alpha * sb
    return -alpha * (y - target)


@njit(cache=True, forceinline=True, error_model="numpy")
def post_absorptive_weight(gut_content, half):
    """How post-absorptive the body is, ``1/(1 + (q/q_half)^2)`` [-].

    q the glucose still in the stomach and intestine [mg/kg]; ``half`` q_half [mg/kg]. 1 with
    an empty gut (overnight, between meals once a meal is absorbed), near 0 while a meal is
    being digested (glucostat design, docs/model.md 'Beta-cell set point').
    """
    x = gut_content / half if gut_content > 0.0 else 0.0
    return 1.0 / (1.0 + x * x)


@njit(cache=True, forceinline=True, error_model="numpy")
def glucose_memory_derivative(state, drive, time_constant, adaptation):
    """d/dt of one of the two running means that make the beta cell's glucose memory [per min].

    glucostat design (docs/model.md 'Beta-cell set point'): the memory is a running mean of plasma
    glucose weighted by how post-absorptive the body is (w, :func:`post_absorptive_weight`), over
    clock time: ``dA/dt = (w G - A)/tau`` and ``dB/dt = (w - B)/tau`` (``drive`` = w G or w), and the
    memory is ``Gm = A/B`` (:func:`glucose_memory`). It settles near the fasting glucose, not the day's
    mean, and follows a lasting change of it with the time constant tau [min] whether or not meals are
    eaten (relief of glucotoxicity). 0 when ``adaptation`` is 0 (the states then stay at their basal
    values, Gb and 1).
    """
    if adaptation <= 0.0:
        return 0.0
    return (drive - state) / time_constant


@njit(cache=True, forceinline=True, error_model="numpy")
def glucose_memory(weighted_glucose, weight, gb):
    """The beta cell's memory of post-absorptive glucose ``Gm = A/B`` [mg/dL] (Gb if B is 0)."""
    if weight <= 0.0:
        return gb
    return weighted_glucose / weight


@njit(cache=True, forceinline=True, error_model="numpy")
def adapted_threshold(gb, memory, adaptation, relief_max):
    """Glucose threshold of static secretion [mg/dL] after relief of glucotoxicity.

    DM2007 Sec. II-F sets the threshold h = Gb, the basal glucose. glucostat (docs/model.md
    'Beta-cell set point') lowers it as the beta cell's memory of post-absorptive glucose Gm
    (:func:`glucose_memory`) falls below Gb:

    ``h = Gb - x / (1 + (x / R)^4)^(1/4)``, ``x = a max(Gb - Gm, 0)``,

    a [-] the share of a lasting fall of fasting glucose that the threshold follows, R
    ``relief_max`` [mg/dL] the largest shift (the reversible, glucotoxic part of the raised
    threshold; the rest is intrinsic beta-cell failure). Near-linear up to R, then flat.
    Only relief is modelled: DM2007's type 2 Gb and beta were identified at the patients'
    habitual glycaemia, so glucose above Gb leaves h = Gb and the untreated patient where it
    was calibrated. In type 2 diabetes insulin and C-peptide stay about unchanged on
    metformin while fasting glucose falls 25-40 % (Abbasi F et al. Diabetes Care
    1998;21:1301; DeFronzo RA et al. J Clin Endocrinol Metab 1991;73:1294), and lowering
    glucose restores beta-cell glucose sensitivity within days (Al Jobori H et al. J Clin
    Endocrinol Metab 2018;103:1402). a = 0 is DM2007; at the basal state Gm = Gb and h = Gb.
    """
    x = gb - memory
    if x <= 0.0 or adaptation <= 0.0:
        return gb
    x *= adaptation
    r = x / relief_max
    r2 = r * r
    return gb - x / math.sqrt(math.sqrt(1.0 + r2 * r2))  # sqrt: an LLVM intrinsic, vectorises


@njit(cache=True, forceinline=True, error_model="numpy")
def portal_insulin_derivative(i_po, spo, gamma):
    """dIpo/dt [pmol/kg/min]: ``-gamma Ipo + Spo``; ``S = gamma Ipo`` reaches the liver."""
    return -gamma * i_po + spo


@njit(cache=True, forceinline=True, error_model="numpy")
def incretin_gain(signal, e_max, half, reference):
    """Multiplier of glucose-stimulated insulin secretion (beta and K) by the incretin hormones [-].

    glucostat design (docs/model.md 'Incretins'): GLP-1 and GIP are released as glucose is absorbed
    (``signal``, the gut glucose absorption Ra filtered with the hormones' time constant,
    [mg/kg/min]) and potentiate glucose-stimulated secretion, ``1 + Emax s/(s + K)``. DM2007's beta
    and K were identified on meals, with the incretins acting, so the gain is divided by its value
    at a reference signal typical of a meal's secretory phase (``reference``): meal responses stay
    those of DM2007, and intravenous glucose, with no incretin signal, stimulates less (the incretin
    effect; Nauck MA et al. Diabetologia 1986;29:46). ``e_max = 0`` gives 1 (the published variants).
    """
    if e_max <= 0.0:
        return 1.0
    s = signal if signal > 0.0 else 0.0
    return (1.0 + e_max * s / (s + half)) / (1.0 + e_max * reference / (reference + half))


# --------------------------------------------------------------------------- alpha cells
# Sorensen 1985 (MIT PhD thesis, Table and eqs. of the glucagon subsystem; restated
# by Panunzi et al. 2020, doi:10.1186/s12976-020-00118-1): the pancreatic glucagon
# release is basal release x a glucose multiplier x an insulin multiplier, each a
# tanh function of the concentration over its basal value.
_MG_A, _MG_B, _MG_C, _MG_D = 2.93, 2.10, 4.18, 0.61  # MGPGR = A - B tanh(C (G/Gref - D))
_MI_A, _MI_B, _MI_C, _MI_D = 1.31, 0.61, 1.06, 0.47  # MIPGR = A - B tanh(C (I/Ib - D))
_MI_BASAL = _MI_A - _MI_B * float(tanh(_MI_C * (1.0 - _MI_D)))  # MIPGR at basal insulin (compiled tanh: exact)


@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_glucose_multiplier(g, g_ref):
    """Sorensen's glucose multiplier of glucagon release, ``2.93 - 2.10 tanh(4.18 (G/Gref - 0.61))``.

    About 1 at G = Gref, rising to about 5 as glucose falls (counter-regulation), falling to
    0.83 at high glucose. g plasma glucose [mg/dL]; g_ref the glucose the curve is
    normalised to [mg/dL] (an absolute threshold, the same for every patient).
    """
    return _MG_A - _MG_B * tanh(_MG_C * (g / g_ref - _MG_D))


@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_insulin_multiplier(insulin_ratio):
    """Sorensen's insulin multiplier of glucagon release, ``1.31 - 0.61 tanh(1.06 (I/Ib - 0.47))``.

    1.0 at basal insulin, 0.70 at high insulin, 1.59 when insulin falls to zero
    (insulin_ratio is insulin over its basal value).
    """
    return _MI_A - _MI_B * tanh(_MI_C * (insulin_ratio - _MI_D))


@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_secretion(g, gb, g_ref, islet_insulin, hb, n, hypo_response, insulin_suppression, excess_max=0.0,
                       excess_half=60.0, excess_hill=3.0):
    """Alpha-cell glucagon release into plasma [pg/mL/min].

    Sorensen 1985 glucagon release ``rPGR = MGPGR MIPGR rBPGR`` with basal release equal to
    basal clearance ``n Hb``; each multiplier is divided by its value at the patient's basal
    state, so that release equals clearance at basal for every patient (glucostat
    normalisation, docs/model.md 'Glucagon'). glucostat drives the insulin multiplier by
    intra-islet insulin, the beta-cell secretion relative to its basal rate (``islet_insulin``
    = Spo/Sb, taken as 1 when secretion is below basal), instead of Sorensen's arterial
    insulin: a rise of secretion around the alpha cell suppresses it (meals; tolbutamide
    abolishes the glucagon response to hypoglycaemia, Banarer et al. 2002 Diabetes 51:958),
    whereas a euglycaemic insulin clamp barely lowers glucagon (17 -> 15 pmol/L, same study).
    The fall of secretion below basal is permissive only (insulin secretion falls at 80-85
    mg/dL but glucagon rises only at 65-70 mg/dL; Mitrakou et al. 1991 Am J Physiol
    260:E67): the hypoglycaemic rise comes from the glucose multiplier, whose reference
    ``g_ref`` sets the threshold. Two disease knobs (glucostat design):

    - ``hypo_response`` r scales the direct glucose modulation, ``1 + r (MG - 1)``: 1 in
      health, 0 in type 1 diabetes, where the glucagon response to hypoglycaemia is lost
      (Gerich et al. 1973 Science 182:171; Bolli et al. 1983 Diabetes 32:134);
    - ``insulin_suppression`` s scales the intra-islet insulin modulation, ``1 + s (MI - 1)``:
      1 in health, lower in type 2 diabetes (fasting glucagon high and poorly suppressed
      after meals; Faerch et al. 2016 Diabetes 65:3473); with no beta cells (type 1
      diabetes) the islet signal is constant and the modulation is 1 whatever s is.

    Glucose above the patient's own basal suppresses release further,
    ``1 - Smax x^n/(x^n + K^n)`` with ``x = max(G - Gb, 0)`` (glucostat design: glucose inhibits
    alpha cells directly and through delta-cell somatostatin, independently of insulin; Gromada
    J, Chabosseau P, Rutter GA. Nat Rev Endocrinol 2018;14:694-704). Sorensen's glucose curve,
    normalised to the absolute counter-regulation threshold, is flat above normal glucose, so
    without this term hyperglycaemia did not suppress glucagon; with it, type 2 diabetes shows the
    late OGTT suppression of Faerch 2016 (37-54 % at 120 min, the most where 2-h glucose is
    highest) with little early suppression (its glucose rises slowly). 0 in type 1 diabetes
    (glucostat's type 1 alpha cell is fixed; docs/model.md 'Glucagon').

    g, gb, g_ref [mg/dL]; hb basal glucagon [pg/mL]; n clearance rate [1/min].
    """
    mg = glucagon_glucose_multiplier(g, g_ref) / glucagon_glucose_multiplier(gb, g_ref)
    mi = glucagon_insulin_multiplier(islet_insulin) / _MI_BASAL
    mg = 1.0 + hypo_response * (mg - 1.0)
    mi = 1.0 + insulin_suppression * (mi - 1.0)
    x = g - gb
    me = 1.0
    if x > 0.0 and excess_max > 0.0:
        xn = power(x, excess_hill)
        me = 1.0 - excess_max * xn / (xn + power(excess_half, excess_hill))
    s = n * hb * mg * mi * me
    if s < 0.0:
        return 0.0
    return s
