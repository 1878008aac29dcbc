"""The organ model wired into one compiled right-hand side over a named layout.

State, parameter, input and output vectors are flat ``float64`` arrays indexed by
the ``IntEnum`` members below (``y[S.plasma_glucose]``), never by bare numbers.
:func:`evaluate` is pure: it reads ``(t, y, u, p)`` and writes the derivative
and the organ fluxes into caller-provided arrays, so the integrator allocates
nothing in its inner loop.

The core is the Dalla Man, Rizza & Cobelli 2007 meal model (DM2007), split by
organ (:mod:`glucostat.physiology`). Cumulative flux states (``cum_*``) do not
feed back on the dynamics; they make mass balances exact and let a user read
how much glucose each organ handled.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numba import njit

from .physiology import adipose, adrenal, brain, drugs, exercise, gut, kidney, liver, muscle, pancreas, pituitary, plasma, subcutis


class S(IntEnum):
    """State layout, in three runs: the states every patient moves (organs, hormones, gut), then the
    treatments (subcutaneous insulin depots, drugs, injected glucagon, exercise), then the cumulative
    counters, which only report (nothing reads them). The SIMD lanes integrate only the leading run(s)
    a block needs (:data:`N_CORE_STATES`, :data:`N_DYNAMIC_STATES`; glucostat.lanes)."""

    stomach_solid = 0
    stomach_liquid = 1
    gut = 2
    plasma_glucose = 3
    tissue_glucose = 4
    liver_insulin = 5
    plasma_insulin = 6
    insulin_signal_1 = 7
    insulin_signal_liver = 8
    remote_insulin = 9
    static_secretion = 10
    portal_insulin = 11
    meal_size = 12
    interstitial_glucose = 13
    plasma_glucagon = 14
    glucagon_fading = 15
    liver_glycogen = 16
    fasting_adaptation = 17
    c_peptide = 18
    c_peptide_peripheral = 19
    igf1 = 20
    gh_signal = 21
    incretin = 22
    adrenaline = 23
    beta_memory_glucose = 24
    beta_memory_weight = 25
    adipose_insulin_1 = 26
    adipose_insulin = 27
    plasma_ffa = 28
    # treatments
    sc_insulin_1 = 29
    sc_insulin_2 = 30
    regular_insulin_1 = 31
    regular_insulin_2 = 32
    glargine_depot = 33
    glargine_tissue = 34
    degludec_depot = 35
    degludec_tissue = 36
    nph_insulin_1 = 37
    nph_insulin_2 = 38
    metformin_gut = 39
    metformin_central = 40
    metformin_effect = 41
    glipizide_gut = 42
    glipizide_central = 43
    glimepiride_gut = 44
    glimepiride_central = 45
    glibenclamide_gut = 46
    glibenclamide_central = 47
    sulfonylurea_effect = 48
    glucagon_depot_sc = 49
    glucagon_depot_im = 50
    glucagon_depot_iv = 51
    exercise_vo2 = 52
    exercise_hepatic_output = 53
    exercise_uptake = 54
    exercise_insulin_removal = 55
    exercise_work = 56
    exercise_glycogen_depletion = 57
    exercise_sensitivity = 58
    # cumulative counters
    cum_ingested = 59
    cum_ra = 60
    cum_splanchnic_retention = 61
    cum_egp = 62
    cum_uii = 63
    cum_uid = 64
    cum_renal = 65
    cum_iv_glucose = 66
    cum_insulin_secretion = 67
    cum_sc_insulin = 68
    cum_gng = 69
    cum_glycogenolysis = 70
    cum_glycogen_synthesis = 71
    cum_hepatic_glycolysis = 72
    cum_hepatic_plasma_uptake = 73


class U(IntEnum):
    """Input layout (piecewise constant between scenario breakpoints)."""

    ingestion = 0  # [mg/min]
    iv_glucose = 1  # [mg/kg/min]
    iv_insulin = 2  # [pmol/kg/min]
    sc_insulin = 3  # [pmol/kg/min] rapid-acting analogue (pump or pen)
    sc_regular = 4  # [pmol/kg/min] regular human insulin
    sc_glargine = 5  # [pmol/kg/min]
    sc_degludec = 6  # [pmol/kg/min]
    exercise = 7  # [% of VO2max above rest] Roy & Parker 2007 u3
    meal_size_rate = 8  # [mg/min] growth of the gastric meal size D while eating (continuous convention; else 0)
    sc_nph = 9  # [pmol/kg/min] NPH (isophane) human insulin


class P(IntEnum):
    """Parameter layout (see ``glucostat/parameters/*.toml`` for meaning and source)."""

    BW = 0
    VG = 1
    k1 = 2
    k2 = 3
    VI = 4
    m1 = 5
    m2 = 6
    m4 = 7
    m5 = 8
    m6 = 9
    HEb = 10
    kmax = 11
    kmin = 12
    kabs = 13
    kgri = 14
    f = 15
    b = 16
    d = 17
    kp1 = 18
    kp2 = 19
    kp3 = 20
    kp4 = 21
    ki = 22
    Fcns = 23
    Vm0 = 24
    Vmx = 25
    Km0 = 26
    Kmx = 27
    p2U = 28
    K = 29
    alpha = 30
    beta = 31
    gamma = 32
    ke1 = 33
    ke2 = 34
    Gb = 35
    Ib = 36
    Sb = 37
    EGPb = 38
    uid_fraction = 39
    renal_excretion_enabled = 40
    first_phase_only_rising = 41
    secretion_floor_enabled = 42
    egp_nonnegative = 43
    kd = 44
    ka1 = 45
    ka2 = 46
    ksc = 47
    u2ss = 48
    k_regular = 49
    k_glargine = 50
    k_degludec = 51
    k_long_transit = 52
    Hb = 53
    glucagon_half_life = 54
    glucagon_glucose_reference = 55
    glucagon_hypoglycaemia_response = 56
    glucagon_insulin_suppression = 57
    glucagon_action = 58
    glucagon_fading_time = 59
    glycogen_model = 60
    Glyb = 61
    gng_fraction_basal = 62
    glycogen_mobilisation_half = 63
    glycogen_synthesis_half = 64
    fasting_adaptation_time = 65
    fasting_glycogen_half = 66
    gng_fasting_gain = 67
    brain_fasting_sparing = 68
    muscle_fasting_resistance = 69
    VCP = 70
    cp_half_life_short = 71
    cp_half_life_long = 72
    cp_fraction_short = 73
    renal_model = 74
    GFR = 75
    TmG = 76
    renal_splay = 77
    igf1_reference = 78
    igf1_half_life = 79
    liver_function = 80
    igf1_insulin_reference = 81
    igf1_insulin_half = 82
    gh_nocturnal_share = 83
    gh_nocturnal_peak = 84
    gh_pulse_interval = 85
    glycogen_mobilisation_hill = 86
    gng_glucagon_gain = 87
    igf1_gh_response_time = 88
    metformin_F = 89
    metformin_ka = 90
    metformin_CL = 91
    metformin_V = 92
    metformin_hepatic_flow = 93
    metformin_effect_half_life = 94
    metformin_Emax = 95
    metformin_EC50 = 96
    glipizide_ka = 97
    glipizide_CL = 98
    glipizide_V = 99
    glipizide_EC50 = 100
    glimepiride_ka = 101
    glimepiride_CL = 102
    glimepiride_V = 103
    glimepiride_EC50 = 104
    glibenclamide_ka = 105
    glibenclamide_CL = 106
    glibenclamide_V = 107
    glibenclamide_EC50 = 108
    sulfonylurea_effect_half_life = 109
    sulfonylurea_beta_gain = 110
    sulfonylurea_threshold_fraction = 111
    glucagon_F = 112
    glucagon_ka_sc = 113
    glucagon_ka_im = 114
    glucagon_mcr = 115
    exercise_vo2_rate = 116
    exercise_a1 = 117
    exercise_a2 = 118
    exercise_a3 = 119
    exercise_a4 = 120
    exercise_a5 = 121
    exercise_a6 = 122
    exercise_glycogen_rate = 123
    exercise_glycogen_recovery = 124
    exercise_ath_a = 125
    exercise_ath_b = 126
    exercise_insulin_n = 127
    exercise_sensitivity_gain = 128
    exercise_sensitivity_rise = 129
    exercise_sensitivity_decay = 130
    hepatic_autoregulation = 131
    glucagon_pharmacological_max = 132
    glucagon_pharmacological_ec50 = 133
    exercise_insulin_reference = 134
    exercise_insulin_mediated_output = 135
    glucagon_ka_iv = 136
    glucagon_beta_shift = 137
    incretin_max = 138
    incretin_half = 139
    incretin_time = 140
    incretin_reference = 141
    first_phase_half_rate = 142
    hepatic_insulin_max_suppression = 143
    insulin_uptake_ec50 = 144
    insulin_uptake_hill = 145
    insulin_uptake_span = 146
    secretion_below_basal_half = 147
    secretion_below_basal_hill = 148
    insulin_uptake_basal_share = 149
    hepatic_uptake_share = 150
    k_degludec_transit = 151
    adrenaline_basal = 152
    adrenaline_threshold = 153
    adrenaline_half_deficit = 154
    adrenaline_hill = 155
    adrenaline_max_rise = 156
    adrenaline_response = 157
    adrenaline_time_constant = 158
    adrenaline_egp_max = 159
    adrenaline_egp_half = 160
    adrenaline_uptake_max_reduction = 161
    adrenaline_uptake_half = 162
    glucagon_excess_suppression = 163
    glucagon_excess_half = 164
    glucagon_excess_hill = 165
    hepatic_dawn_resistance = 166
    hepatic_dawn_peak = 167
    meal_size_continuous = 168
    beta_threshold_adaptation = 169
    beta_memory_time = 170
    beta_memory_gut_half = 171
    beta_threshold_relief_max = 172
    k_nph = 173
    ffa_basal = 174
    ffa_clearance = 175
    ffa_volume = 176
    adipose_insulin_rate = 177
    lipolysis_insulin_ic50 = 178
    lipolysis_insulin_hill = 179
    lipolysis_max_suppression = 180
    lipolysis_adrenaline_max = 181
    lipolysis_adrenaline_half = 182
    lipolysis_exercise_gain = 183
    lipolysis_fasting_gain = 184
    pancreatic_clamp = 185
    glucose_uptake_effectiveness = 186
    hepatic_glucose_effectiveness = 187


class F(IntEnum):
    """Output (flux and concentration) layout."""

    glucose = 0
    insulin = 1
    ra = 2
    gastric_emptying = 3
    egp = 4
    uii = 5
    uid = 6
    renal = 7
    secretion = 8
    secretion_to_liver = 9
    hepatic_extraction = 10
    hepatic_insulin_degradation = 11
    peripheral_insulin_degradation = 12
    ingestion = 13
    iv_glucose = 14
    iv_insulin = 15
    glucose_rate = 16
    interstitial_glucose = 17
    sc_insulin_appearance = 18
    sc_insulin = 19
    long_acting_appearance = 20
    liver_glycogen = 21
    gluconeogenesis = 22
    glycogenolysis = 23
    glycogen_synthesis = 24
    hepatic_glucose_uptake = 25
    glucagon_action = 26
    c_peptide_insulin_ratio = 27
    growth_hormone = 28
    metformin = 29
    metformin_effect = 30
    glipizide = 31
    glimepiride = 32
    glibenclamide = 33
    sulfonylurea_effect = 34
    glucagon_injection_appearance = 35
    exercise_uptake = 36
    exercise_hepatic_output = 37
    exercise_insulin_sensitivity = 38
    incretin_gain = 39
    hepatic_plasma_uptake = 40
    beta_cell_glucose_memory = 41
    secretion_threshold = 42
    lipolysis = 43
    ffa_uptake = 44


N_STATES = len(S)
N_INPUTS = len(U)
N_PARAMS = len(P)
N_OUTPUTS = len(F)


@dataclass(frozen=True)
class Variable:
    """A named model variable: public column name, unit, organ and meaning."""

    key: str
    name: str
    unit: str
    organ: str
    description: str

    @property
    def column(self) -> str:
        return f"{self.name} [{self.unit}]"


STATE_VARIABLES: tuple[Variable, ...] = (
    Variable("stomach_solid", "Stomach glucose, solid phase", "mg", "gut", "Qsto1, DM2007 eq. (13)"),
    Variable("stomach_liquid", "Stomach glucose, liquid phase", "mg", "gut", "Qsto2, DM2007 eq. (13)"),
    Variable("gut", "Intestinal glucose", "mg", "gut", "Qgut, DM2007 eq. (13)"),
    Variable("plasma_glucose", "Plasma glucose mass", "mg/kg", "blood", "Gp: plasma and rapidly equilibrating tissues, DM2007 eq. (1)"),
    Variable("tissue_glucose", "Tissue glucose mass", "mg/kg", "muscle/fat", "Gt: slowly equilibrating tissues, DM2007 eq. (1)"),
    Variable("liver_insulin", "Liver insulin mass", "pmol/kg", "liver", "Il, DM2007 eq. (2)"),
    Variable("plasma_insulin", "Plasma insulin mass", "pmol/kg", "blood", "Ip, DM2007 eq. (2)"),
    Variable("insulin_signal_1", "Delayed insulin signal, first compartment", "pmol/L", "liver", "I1, DM2007 eq. (11)"),
    Variable("insulin_signal_liver", "Delayed insulin signal to liver", "pmol/L", "liver", "Id, DM2007 eq. (11)"),
    Variable("remote_insulin", "Remote insulin action", "pmol/L", "muscle/fat", "X (interstitial insulin above basal), DM2007 eq. (18)"),
    Variable("static_secretion", "Static insulin secretion", "pmol/kg/min", "pancreas", "Y, second-phase secretion, DM2007 Sec. II-F"),
    Variable("portal_insulin", "Portal vein insulin mass", "pmol/kg", "pancreas", "Ipo, DM2007 Sec. II-F"),
    Variable("meal_size", "Gastric meal size", "mg", "gut", "D that shapes gastric emptying: stomach content at meal start plus glucose eaten since (per minute or continuously)"),
    Variable("cum_ingested", "Cumulative glucose ingested", "mg", "gut", "integral of the ingestion rate"),
    Variable("cum_ra", "Cumulative glucose appearance from gut", "mg/kg", "gut", "integral of Ra"),
    Variable("cum_splanchnic_retention", "Cumulative splanchnic first-pass glucose retention", "mg/kg", "gut", "integral of (1 - f) kabs Qgut / BW"),
    Variable("cum_egp", "Cumulative endogenous glucose production", "mg/kg", "liver", "integral of EGP"),
    Variable("cum_uii", "Cumulative insulin-independent glucose utilisation", "mg/kg", "brain", "integral of Uii"),
    Variable("cum_uid", "Cumulative insulin-dependent glucose utilisation", "mg/kg", "muscle/fat", "integral of Uid"),
    Variable("cum_renal", "Cumulative urinary glucose excretion", "mg/kg", "kidney", "integral of E"),
    Variable("cum_iv_glucose", "Cumulative IV glucose", "mg/kg", "blood", "integral of the IV glucose rate"),
    Variable("cum_insulin_secretion", "Cumulative insulin secretion", "pmol/kg", "pancreas", "integral of Spo"),
    Variable("sc_insulin_1", "Subcutaneous insulin, non-monomeric", "pmol/kg", "subcutis", "Isc1, UVA/Padova SC depot (Dalla Man 2007 GIM; 2014 eq. A16)"),
    Variable("sc_insulin_2", "Subcutaneous insulin, monomeric", "pmol/kg", "subcutis", "Isc2, UVA/Padova SC depot"),
    Variable("interstitial_glucose", "Interstitial glucose mass", "mg/kg", "subcutis", "Gs: glucose seen by subcutaneous sensors (Dalla Man 2014 eq. A17)"),
    Variable("cum_sc_insulin", "Cumulative subcutaneous insulin delivered", "pmol/kg", "subcutis", "integral of all SC insulin delivery"),
    Variable("regular_insulin_1", "Subcutaneous regular insulin, hexameric", "pmol/kg", "subcutis", "regular human insulin depot (design, docs/model.md)"),
    Variable("regular_insulin_2", "Subcutaneous regular insulin, dissociated", "pmol/kg", "subcutis", "regular human insulin depot"),
    Variable("glargine_depot", "Subcutaneous glargine, precipitate", "pmol/kg", "subcutis", "glargine-like long-acting depot (design)"),
    Variable("glargine_tissue", "Subcutaneous glargine, dissolved", "pmol/kg", "subcutis", "glargine-like long-acting depot"),
    Variable("degludec_depot", "Subcutaneous degludec, multihexamers", "pmol/kg", "subcutis", "degludec-like long-acting depot (design)"),
    Variable("degludec_tissue", "Subcutaneous degludec, dissolved", "pmol/kg", "subcutis", "degludec-like long-acting depot"),
    Variable("nph_insulin_1", "Subcutaneous NPH insulin, crystalline", "pmol/kg", "subcutis", "NPH (isophane) insulin depot (design, docs/model.md)"),
    Variable("nph_insulin_2", "Subcutaneous NPH insulin, dissolved", "pmol/kg", "subcutis", "NPH (isophane) insulin depot"),
    Variable("plasma_glucagon", "Plasma glucagon", "pg/mL", "pancreas", "alpha-cell glucagon in plasma (Sorensen 1985 glucagon submodel)"),
    Variable("glucagon_fading", "Fading of glucagon action", "-", "liver", "f2: part of glucagon's stimulation of liver output that has faded (Sorensen 1985)"),
    Variable("liver_glycogen", "Liver glycogen store", "mg/kg", "liver", "hepatic glycogen, glucose equivalents per kg body weight (glucostat design)"),
    Variable("fasting_adaptation", "Fasting adaptation", "-", "liver", "Z: slow shift to fat and ketone fuel as glycogen runs low (glucostat design)"),
    Variable("c_peptide", "Plasma C-peptide", "pmol/L", "pancreas", "C1, Van Cauter 1992 two-compartment kinetics; secreted equimolar with insulin"),
    Variable("c_peptide_peripheral", "Peripheral C-peptide", "pmol/L", "blood", "C2, Van Cauter 1992 peripheral compartment"),
    Variable("igf1", "Plasma IGF-1", "ng/mL", "liver", "total serum IGF-1 secreted by the liver under growth hormone"),
    Variable("cum_gng", "Cumulative gluconeogenesis", "mg/kg", "liver", "integral of gluconeogenesis"),
    Variable("cum_glycogenolysis", "Cumulative glycogenolysis", "mg/kg", "liver", "integral of glycogenolysis"),
    Variable("cum_glycogen_synthesis", "Cumulative glycogen synthesis", "mg/kg", "liver", "integral of glycogen synthesis (direct and indirect pathways)"),
    Variable("cum_hepatic_glycolysis", "Cumulative hepatic glycolysis", "mg/kg", "liver", "integral of first-pass and plasma glucose taken up by the liver and not stored"),
    Variable("gh_signal", "Hepatic growth-hormone signal", "-", "liver", "GH drive filtered by the liver's IGF-1 synthesis response (glucostat design)"),
    Variable("metformin_gut", "Metformin in gut", "mg", "gut", "oral metformin not yet absorbed (first-order absorption; Graham 2011)"),
    Variable("metformin_central", "Metformin in body", "mg", "blood", "systemic metformin, one compartment (Graham 2011)"),
    Variable("metformin_effect", "Metformin at liver effect site", "mg/L", "liver", "effect compartment driven by portal + systemic metformin (glucostat design)"),
    Variable("glipizide_gut", "Glipizide in gut", "mg", "gut", "oral glipizide not yet absorbed"),
    Variable("glipizide_central", "Glipizide in body", "mg", "blood", "glipizide, one compartment"),
    Variable("glimepiride_gut", "Glimepiride in gut", "mg", "gut", "oral glimepiride not yet absorbed"),
    Variable("glimepiride_central", "Glimepiride in body", "mg", "blood", "glimepiride, one compartment"),
    Variable("glibenclamide_gut", "Glibenclamide in gut", "mg", "gut", "oral glibenclamide (glyburide) not yet absorbed"),
    Variable("glibenclamide_central", "Glibenclamide in body", "mg", "blood", "glibenclamide, one compartment"),
    Variable("sulfonylurea_effect", "Sulfonylurea effect-site drive", "-", "pancreas", "sum of sulfonylurea concentrations over their EC50s at the beta cell (effect compartment)"),
    Variable("glucagon_depot_sc", "Subcutaneous glucagon depot", "ug", "subcutis", "injected glucagon not yet absorbed, subcutaneous"),
    Variable("glucagon_depot_im", "Intramuscular glucagon depot", "ug", "muscle/fat", "injected glucagon not yet absorbed, intramuscular"),
    Variable("exercise_vo2", "Exercise oxygen uptake above rest", "%VO2max", "muscle/fat", "PVO2max, Roy & Parker 2007 eq. (5)"),
    Variable("exercise_hepatic_output", "Exercise hepatic glucose output", "mg/kg/min", "liver", "Gprod, Roy & Parker 2007 eq. (6)"),
    Variable("exercise_uptake", "Exercise muscle glucose uptake", "mg/kg/min", "muscle/fat", "Gup at basal glucose, Roy & Parker 2007 eq. (7)"),
    Variable("exercise_insulin_removal", "Exercise insulin removal", "uU/mL/min", "pancreas", "Ie, Roy & Parker 2007 eq. (8)"),
    Variable("exercise_work", "Integrated exercise intensity", "%VO2max min", "muscle/fat", "A, integral of u3 over the bout, Roy & Parker 2007 eq. (9)"),
    Variable("exercise_glycogen_depletion", "Exercise glycogen depletion", "mg/kg/min", "liver", "Ggly, Roy & Parker 2007 eq. (11)"),
    Variable("exercise_sensitivity", "Post-exercise insulin sensitisation", "-", "muscle/fat", "Z, rise of insulin action after exercise (glucostat design)"),
    Variable("glucagon_depot_iv", "IV glucagon being injected", "ug", "blood", "an IV glucagon dose entering plasma over about a minute"),
    Variable("incretin", "Incretin signal", "mg/kg/min", "gut", "GLP-1/GIP drive: gut glucose absorption seen through the L- and K-cell response (glucostat design)"),
    Variable("cum_hepatic_plasma_uptake", "Cumulative liver uptake of plasma glucose", "mg/kg", "liver", "integral of the liver's share of insulin-stimulated glucose disposal"),
    Variable("adrenaline", "Plasma adrenaline", "pg/mL", "adrenal", "epinephrine: rises below ~ 68 mg/dL of glucose, raises liver output and restrains uptake (glucostat design)"),
    Variable("beta_memory_glucose", "Beta-cell memory, weighted glucose", "mg/dL", "pancreas", "A: running mean of w G, plasma glucose weighted by how post-absorptive the body is; the beta cell's glucose memory is A/B (glucostat design, docs/model.md 'Beta-cell set point')"),
    Variable("beta_memory_weight", "Beta-cell memory, weight", "-", "pancreas", "B: running mean of the post-absorptive weight w"),
    Variable("adipose_insulin_1", "Adipose tissue insulin signal, first compartment", "pmol/L", "fat", "Ia1: first of the two compartments through which plasma insulin reaches fat cells (glucostat design)"),
    Variable("adipose_insulin", "Adipose tissue insulin signal", "pmol/L", "fat", "Ia: plasma insulin seen by fat cells after a two-compartment delay; suppresses lipolysis (glucostat design after Periwal 2008, docs/model.md 'Adipose tissue and free fatty acids')"),
    Variable("plasma_ffa", "Plasma free fatty acids", "umol/L", "fat", "FFA (NEFA): released by lipolysis in fat, cleared by muscle, liver and heart (Periwal 2008 eq. 4)"),
)

OUTPUT_VARIABLES: tuple[Variable, ...] = (
    Variable("glucose", "Plasma glucose", "mg/dL", "blood", "G = Gp/VG, DM2007 eq. (1)"),
    Variable("insulin", "Plasma insulin", "pmol/L", "blood", "I = Ip/VI, DM2007 eq. (3)"),
    Variable("ra", "Gut glucose absorption", "mg/kg/min", "gut", "Ra: rate of appearance of ingested glucose in plasma"),
    Variable("gastric_emptying", "Gastric emptying", "mg/min", "gut", "kempt Qsto2"),
    Variable("egp", "Liver glucose production", "mg/kg/min", "liver", "EGP: net endogenous (hepatic) glucose production"),
    Variable("uii", "Brain glucose uptake", "mg/kg/min", "brain", "Uii: insulin-independent utilisation (brain, red cells)"),
    Variable("uid", "Muscle and fat glucose uptake", "mg/kg/min", "muscle/fat", "Uid: insulin-dependent utilisation less the liver's share, plus exercise uptake and glucose-stimulated uptake above basal"),
    Variable("renal", "Urinary glucose excretion", "mg/kg/min", "kidney", "E: glucose lost in urine (DM2007 eq. (27) or transport maximum with splay)"),
    Variable("secretion", "Pancreatic insulin secretion", "pmol/kg/min", "pancreas", "Spo: beta-cell secretion into the portal vein"),
    Variable("secretion_to_liver", "Insulin delivery to liver", "pmol/kg/min", "pancreas", "S = gamma Ipo"),
    Variable("hepatic_extraction", "Hepatic insulin extraction", "fraction", "liver", "HE, DM2007 eq. (4)"),
    Variable("hepatic_insulin_degradation", "Hepatic insulin degradation", "pmol/kg/min", "liver", "m3 Il"),
    Variable("peripheral_insulin_degradation", "Peripheral insulin degradation", "pmol/kg/min", "blood", "m4 Ip (includes renal)"),
    Variable("ingestion", "Meal ingestion", "mg/min", "gut", "glucose eaten per minute (input)"),
    Variable("iv_glucose", "IV glucose infusion", "mg/kg/min", "blood", "input"),
    Variable("iv_insulin", "IV insulin infusion", "pmol/kg/min", "blood", "input"),
    Variable("glucose_rate", "Plasma glucose rate of change", "mg/dL/min", "blood", "dG/dt"),
    Variable("interstitial_glucose", "Interstitial glucose", "mg/dL", "subcutis", "Gs/VG: what a CGM sensor reads (simglucose's 'BG')"),
    Variable("sc_insulin_appearance", "Subcutaneous insulin appearance", "pmol/kg/min", "subcutis", "Rai = ka1 Isc1 + ka2 Isc2"),
    Variable("sc_insulin", "Subcutaneous insulin delivery", "pmol/kg/min", "subcutis", "input: all products, pump or pen"),
    Variable("long_acting_appearance", "Basal-analogue insulin appearance", "pmol/kg/min", "subcutis", "glargine + degludec appearance in plasma"),
    Variable("liver_glycogen", "Liver glycogen", "g", "liver", "hepatic glycogen store, glucose equivalents"),
    Variable("gluconeogenesis", "Gluconeogenesis", "mg/kg/min", "liver", "new glucose made by the liver, released or stored (indirect pathway)"),
    Variable("glycogenolysis", "Glycogenolysis", "mg/kg/min", "liver", "glucose released from liver glycogen"),
    Variable("glycogen_synthesis", "Glycogen synthesis", "mg/kg/min", "liver", "glucose stored as liver glycogen (direct + indirect pathways)"),
    Variable("hepatic_glucose_uptake", "Hepatic glucose uptake", "mg/kg/min", "liver", "ingested glucose taken up by the liver on first pass ((1 - f) of absorption)"),
    Variable("glucagon_action", "Glucagon action on liver output", "-", "liver", "multiplier of liver glucose output by glucagon (1 at basal)"),
    Variable("c_peptide_insulin_ratio", "C-peptide to insulin molar ratio", "-", "blood", "clinical surrogate of hepatic insulin extraction"),
    Variable("growth_hormone", "Growth hormone drive", "-", "pituitary", "GH secretion relative to its daily mean"),
    Variable("metformin", "Plasma metformin", "ug/mL", "blood", "systemic metformin concentration"),
    Variable("metformin_effect", "Metformin inhibition of gluconeogenesis", "fraction", "liver", "Emax effect at the liver effect site"),
    Variable("glipizide", "Plasma glipizide", "ng/mL", "blood", "glipizide concentration"),
    Variable("glimepiride", "Plasma glimepiride", "ng/mL", "blood", "glimepiride concentration"),
    Variable("glibenclamide", "Plasma glibenclamide", "ng/mL", "blood", "glibenclamide concentration"),
    Variable("sulfonylurea_effect", "Sulfonylurea effect on beta cells", "fraction", "pancreas", "fraction of the maximal sulfonylurea effect"),
    Variable("glucagon_injection_appearance", "Injected glucagon appearance", "pg/mL/min", "blood", "glucagon entering plasma from SC/IM injections"),
    Variable("exercise_uptake", "Exercise glucose uptake", "mg/kg/min", "muscle/fat", "insulin-independent muscle uptake due to exercise"),
    Variable("exercise_hepatic_output", "Exercise hepatic glucose output", "mg/kg/min", "liver", "Gprod - Ggly added to liver output (Roy & Parker 2007)"),
    Variable("exercise_insulin_sensitivity", "Exercise insulin sensitisation", "-", "muscle/fat", "multiplier of insulin-stimulated muscle uptake (1 at rest)"),
    Variable("incretin_gain", "Incretin potentiation of insulin secretion", "-", "pancreas", "multiplier of glucose-stimulated secretion by gut hormones (1 during a typical meal)"),
    Variable("hepatic_plasma_uptake", "Liver uptake of plasma glucose", "mg/kg/min", "liver", "the liver's share of insulin-stimulated glucose disposal, stored as glycogen or glycolysed (glucostat design)"),
    Variable("beta_cell_glucose_memory", "Beta-cell glucose memory", "mg/dL", "pancreas", "Gm = A/B: the beta cell's running mean of post-absorptive plasma glucose (glucostat design, docs/model.md 'Beta-cell set point')"),
    Variable("secretion_threshold", "Secretion glucose threshold", "mg/dL", "pancreas", "h: glucose above which static insulin secretion rises (DM2007: Gb; lower after relief of glucotoxicity)"),
    Variable("lipolysis", "Lipolysis (FFA release from fat)", "umol/kg/min", "fat", "FFA appearance in plasma: suppressed by insulin, raised by adrenaline, exercise and fasting"),
    Variable("ffa_uptake", "FFA uptake by tissues", "umol/kg/min", "fat", "FFA leaving plasma (oxidation and re-esterification in muscle, liver, heart)"),
)

assert sorted(v.key for v in STATE_VARIABLES) == sorted(s.name for s in S)
STATE_VARIABLES = tuple(sorted(STATE_VARIABLES, key=lambda v: S[v.key]))  # in state order (written by organ)
assert [v.key for v in OUTPUT_VARIABLES] == [f.name for f in F]

#: States of the treatments :func:`rhs_at` can leave out (``extras=False``): exercise (Roy & Parker),
#: metformin and sulfonylurea PK and effects, injected glucagon depots, subcutaneous insulin depots, and
#: the subcutaneous insulin counter. A block of patients in which all of them start at 0 and no input of
#: :data:`TREATMENT_INPUTS` or impulse feeds them integrates without them (glucostat.lanes).
TREATMENT_STATES = np.array([
    S.exercise_vo2, S.exercise_hepatic_output, S.exercise_uptake, S.exercise_insulin_removal, S.exercise_work,
    S.exercise_glycogen_depletion, S.exercise_sensitivity, S.metformin_gut, S.metformin_central,
    S.metformin_effect, S.glipizide_gut, S.glipizide_central, S.glimepiride_gut, S.glimepiride_central,
    S.glibenclamide_gut, S.glibenclamide_central, S.sulfonylurea_effect, S.glucagon_depot_sc,
    S.glucagon_depot_im, S.glucagon_depot_iv, S.sc_insulin_1, S.sc_insulin_2, S.regular_insulin_1,
    S.regular_insulin_2, S.glargine_depot, S.glargine_tissue, S.degludec_depot, S.degludec_tissue,
    S.nph_insulin_1, S.nph_insulin_2, S.cum_sc_insulin,
], dtype=np.int64)
#: Inputs that drive :data:`TREATMENT_STATES`.
TREATMENT_INPUTS = np.array([U.sc_insulin, U.sc_regular, U.sc_glargine, U.sc_degludec, U.sc_nph, U.exercise],
                            dtype=np.int64)
#: States every patient moves (the leading run of :class:`S`): a block whose lanes have no treatment
#: (rhs_at with ``extras=False``) and whose outputs are not kept integrates only these.
N_CORE_STATES = int(S.sc_insulin_1)
#: States that feed back on the dynamics (the core and the treatments); the cumulative counters after
#: them only report, so a run that keeps no outputs need not integrate them.
N_DYNAMIC_STATES = int(S.cum_ingested)
assert all(s.name.startswith("cum_") == (s >= N_DYNAMIC_STATES) for s in S)
assert all((N_CORE_STATES <= s < N_DYNAMIC_STATES) == (s in TREATMENT_STATES) for s in S if s < N_DYNAMIC_STATES)

#: States that must stay non-negative (X and Y are deviations and may be negative; the exercise
#: work integral returns to zero by a jump at the end of a bout, to round-off).
NONNEGATIVE_STATES = np.array(
    [s not in (S.remote_insulin, S.static_secretion, S.glucagon_fading, S.exercise_work) for s in S], dtype=np.bool_
)


@njit(cache=True, error_model="numpy")
def evaluate(t, y, u, p, dy, out):
    """Right-hand side ``dy = f(t, y, u, p)`` and outputs ``out``, in place.

    Parameters
    ----------
    t : float
        Time [min] (the model is autonomous; kept for the ``(t, y, u, p)`` convention).
    y : ndarray (N_STATES,)
        State, layout :class:`S`.
    u : ndarray (N_INPUTS,)
        Inputs, layout :class:`U`.
    p : ndarray (N_PARAMS,)
        Parameters, layout :class:`P`.
    dy : ndarray (N_STATES,)
        Receives the time derivative.
    out : ndarray (N_OUTPUTS,)
        Receives the organ fluxes and concentrations, layout :class:`F`.
    """
    rhs_at(t, y, u, p, dy, out, 0, 1, True)


@njit(cache=True, error_model="numpy")
def derivative(t, y, u, p, dy, out):
    """:func:`evaluate` without the outputs (``out`` untouched): what an integrator's stages need."""
    rhs_at(t, y, u, p, dy, out, 0, 1, False)


@njit(cache=True, forceinline=True, error_model="numpy")
def rhs_at(t, y, u, p, dy, out, l, w, with_outputs, extras=True, gh_block=1.0):
    """The right-hand side of :func:`evaluate` for entry ``l`` of interleaved vectors: state ``s`` of
    patient ``l`` is ``y[s * w + l]`` (likewise ``u``, ``p``, ``dy``, ``out``); ``out`` is written only
    ``with_outputs``.

    The single source of the model's equations: :func:`evaluate` is ``w = 1``, and
    :mod:`glucostat.lanes` calls it for ``l`` in ``range(w)`` over a block of ``w`` patients,
    a loop LLVM turns into SIMD instructions (no calls and no loops inside; branches become
    selects).

    ``extras`` = False (a compile-time constant in :func:`glucostat.lanes.core_derivative_block`)
    leaves out the treatments (exercise, metformin, the sulfonylureas, injected glucagon, subcutaneous
    insulin: their states' derivatives are set to 0 and their effects to none) and the dawn clock.
    Exact when those states (:data:`TREATMENT_STATES`) and their inputs (:data:`TREATMENT_INPUTS`) are 0
    and ``hepatic_dawn_resistance`` is 0, since the full equations then give exactly the same
    (tests/test_lanes.py). It also takes the growth-hormone drive as ``gh_block``, computed once for a
    block whose lanes share the growth-hormone parameters (a clock-driven term the same in every lane).
    """
    bw = p[P.BW * w + l]
    vg = p[P.VG * w + l]
    vi = p[P.VI * w + l]

    # --- gut: stomach and intestine (DM2007 eq. 13)
    q1 = y[S.stomach_solid * w + l]
    q2 = y[S.stomach_liquid * w + l]
    qgut = y[S.gut * w + l]
    kempt = gut.gastric_emptying_rate(
        q1 + q2, y[S.meal_size * w + l], p[P.kmax * w + l], p[P.kmin * w + l], p[P.b * w + l], p[P.d * w + l]
    )
    ingestion = u[U.ingestion * w + l]
    absorbed = p[P.kabs * w + l] * qgut  # [mg/min] leaving the intestine
    ra = gut.rate_of_appearance(qgut, p[P.f * w + l], p[P.kabs * w + l], bw)
    dy[S.stomach_solid * w + l] = -p[P.kgri * w + l] * q1 + ingestion
    dy[S.stomach_liquid * w + l] = -kempt * q2 + p[P.kgri * w + l] * q1
    dy[S.gut * w + l] = -absorbed + kempt * q2
    dy[S.meal_size * w + l] = u[U.meal_size_rate * w + l]  # or by impulses (Scenario.compile: meal conventions)

    # --- concentrations
    gp = y[S.plasma_glucose * w + l]
    gt = y[S.tissue_glucose * w + l]
    ip = y[S.plasma_insulin * w + l]
    il = y[S.liver_insulin * w + l]
    g = gp / vg
    insulin = ip / vi

    # --- liver: regulated glucose output (DM2007 eqs. 10-11) x glucagon action (Sorensen 1985)
    h = y[S.plasma_glucagon * w + l]
    m_glucagon, f2_target = liver.glucagon_action(h, p[P.Hb * w + l], y[S.glucagon_fading * w + l])
    dy[S.glucagon_fading * w + l] = (f2_target - y[S.glucagon_fading * w + l]) / p[P.glucagon_fading_time * w + l]
    m_glucagon = 1.0 + p[P.glucagon_action * w + l] * (m_glucagon - 1.0)
    # dawn: the liver's insulin sensitivity falls in the early morning (glucostat design, physiology/liver.py)
    dawn = 1.0
    if extras:
        dawn = liver.dawn_insulin_sensitivity(t, p[P.hepatic_dawn_resistance * w + l], p[P.hepatic_dawn_peak * w + l])
    if p[P.hepatic_insulin_max_suppression * w + l] < 1e9:
        # glucostat: glucagon scales the output at basal insulin, insulin subtracts a saturating suppression
        ipob = p[P.Sb * w + l] / p[P.gamma * w + l] if p[P.gamma * w + l] > 0.0 else 0.0
        demand = liver.endogenous_glucose_production(
            gp,
            p[P.Ib * w + l],
            ipob,
            p[P.kp1 * w + l],
            p[P.kp2 * w + l],
            p[P.kp3 * w + l],
            p[P.kp4 * w + l],
            p[P.egp_nonnegative * w + l],
        )
        demand = demand * m_glucagon - liver.insulin_suppression(
            dawn * y[S.insulin_signal_liver * w + l],
            dawn * y[S.portal_insulin * w + l],
            p[P.Ib * w + l],
            ipob,
            p[P.kp3 * w + l],
            p[P.kp4 * w + l],
            p[P.hepatic_insulin_max_suppression * w + l],
        )
        if demand < 0.0 and p[P.egp_nonnegative * w + l] > 0.5:
            demand = 0.0
    else:
        demand = (
            liver.endogenous_glucose_production(
                gp,
                dawn * y[S.insulin_signal_liver * w + l],
                dawn * y[S.portal_insulin * w + l],
                p[P.kp1 * w + l],
                p[P.kp2 * w + l],
                p[P.kp3 * w + l],
                p[P.kp4 * w + l],
                p[P.egp_nonnegative * w + l],
            )
            * m_glucagon
        )
    # glucose above basal suppresses the output beyond kp2 (glucostat design, liver.hyperglycaemic_suppression)
    demand -= liver.hyperglycaemic_suppression(gp, p[P.Gb * w + l] * vg, p[P.hepatic_glucose_effectiveness * w + l])
    # pharmacological glucagon (rescue doses) adds output beyond Sorensen's saturation (glucostat design)
    glucagon_occupancy = liver.pharmacological_glucagon_occupancy(
        h, p[P.Hb * w + l], p[P.glucagon_pharmacological_ec50 * w + l]
    )
    demand += p[P.glucagon_action * w + l] * liver.pharmacological_glucagon_output(
        h, p[P.Hb * w + l], y[S.glucagon_fading * w + l], p[P.glucagon_pharmacological_max * w + l], glucagon_occupancy
    )
    # --- exercise (Roy & Parker 2007 eqs. 5-11; glucostat coupling, physiology/exercise.py)
    if extras:
        u3 = u[U.exercise * w + l]
        pvo2 = y[S.exercise_vo2 * w + l]
        dy[S.exercise_vo2 * w + l] = exercise.first_order(
            pvo2, u3, p[P.exercise_vo2_rate * w + l], p[P.exercise_vo2_rate * w + l]
        )
        dy[S.exercise_hepatic_output * w + l] = exercise.first_order(
            y[S.exercise_hepatic_output * w + l], pvo2, p[P.exercise_a1 * w + l], p[P.exercise_a2 * w + l]
        )
        dy[S.exercise_uptake * w + l] = exercise.first_order(
            y[S.exercise_uptake * w + l], pvo2, p[P.exercise_a3 * w + l], p[P.exercise_a4 * w + l]
        )
        dy[S.exercise_insulin_removal * w + l] = exercise.first_order(
            y[S.exercise_insulin_removal * w + l], pvo2, p[P.exercise_a5 * w + l], p[P.exercise_a6 * w + l]
        )
        dy[S.exercise_work * w + l] = u3
        dy[S.exercise_glycogen_depletion * w + l] = exercise.glycogen_depletion_derivative(
            y[S.exercise_glycogen_depletion * w + l],
            u3,
            y[S.exercise_work * w + l],
            p[P.exercise_ath_a * w + l],
            p[P.exercise_ath_b * w + l],
            p[P.exercise_glycogen_rate * w + l],
            p[P.exercise_glycogen_recovery * w + l],
        )
        z_ex = y[S.exercise_sensitivity * w + l]
        dy[S.exercise_sensitivity * w + l] = exercise.sensitivity_derivative(
            z_ex, pvo2, p[P.exercise_sensitivity_rise * w + l], p[P.exercise_sensitivity_decay * w + l]
        )
        # the share of the exercise liver output that the fall of portal insulin brings about is missing without
        # beta cells (Gprod and its glycogen-depletion limit Ggly alike)
        exercise_output = y[S.exercise_hepatic_output * w + l] - y[S.exercise_glycogen_depletion * w + l]
        if p[P.Sb * w + l] <= 0.0:
            exercise_output *= 1.0 - p[P.exercise_insulin_mediated_output * w + l]
    else:  # no exercise here: its states are 0 and stay 0 (see TREATMENT_STATES)
        dy[S.exercise_vo2 * w + l] = 0.0
        dy[S.exercise_hepatic_output * w + l] = 0.0
        dy[S.exercise_uptake * w + l] = 0.0
        dy[S.exercise_insulin_removal * w + l] = 0.0
        dy[S.exercise_work * w + l] = 0.0
        dy[S.exercise_glycogen_depletion * w + l] = 0.0
        dy[S.exercise_sensitivity * w + l] = 0.0
        pvo2 = 0.0
        z_ex = 0.0
        exercise_output = 0.0
    demand += exercise_output
    # --- adrenal medulla: adrenaline in hypoglycaemia (glucostat design, physiology/adrenal.py)
    e_target = adrenal.secretion_target(
        g,
        p[P.adrenaline_basal * w + l],
        p[P.adrenaline_threshold * w + l],
        p[P.adrenaline_half_deficit * w + l],
        p[P.adrenaline_hill * w + l],
        p[P.adrenaline_max_rise * w + l],
        p[P.adrenaline_response * w + l],
    )
    dy[S.adrenaline * w + l] = adrenal.derivative(
        y[S.adrenaline * w + l], e_target, p[P.adrenaline_time_constant * w + l]
    )
    e_excess = adrenal.excess(y[S.adrenaline * w + l], p[P.adrenaline_basal * w + l])
    demand += adrenal.hepatic_output_rise(e_excess, p[P.adrenaline_egp_max * w + l], p[P.adrenaline_egp_half * w + l])
    if demand < 0.0 and p[P.egp_nonnegative * w + l] > 0.5:
        demand = 0.0
    # --- liver: glycogen store, gluconeogenesis, slow fasting adaptation (glucostat design)
    glycogen = y[S.liver_glycogen * w + l]
    z_basal = liver.fasting_adaptation_target(p[P.Glyb * w + l], p[P.fasting_glycogen_half * w + l])
    dy[S.fasting_adaptation * w + l] = (
        liver.fasting_adaptation_target(glycogen, p[P.fasting_glycogen_half * w + l]) - y[S.fasting_adaptation * w + l]
    ) / p[P.fasting_adaptation_time * w + l]
    fasting = p[P.glycogen_model * w + l] * (y[S.fasting_adaptation * w + l] - z_basal) / (1.0 - z_basal)
    # --- adipose tissue: lipolysis and plasma FFA (glucostat design after Periwal 2008, physiology/adipose.py)
    ia = y[S.adipose_insulin * w + l]
    dia1, dia = liver.delayed_insulin_derivatives(
        y[S.adipose_insulin_1 * w + l], ia, insulin, p[P.adipose_insulin_rate * w + l]
    )  # the two-compartment delay of DM2007 eq. (11), with fat's own rate
    dy[S.adipose_insulin_1 * w + l] = dia1
    dy[S.adipose_insulin * w + l] = dia
    ffa_k = p[P.ffa_clearance * w + l]
    ffa_v = p[P.ffa_volume * w + l]
    ic50 = p[P.lipolysis_insulin_ic50 * w + l]
    lip_hill = p[P.lipolysis_insulin_hill * w + l]
    lip_smax = p[P.lipolysis_max_suppression * w + l]
    lipolysis = (
        adipose.capacity(p[P.ffa_basal * w + l], ffa_k, ffa_v, p[P.Ib * w + l], ic50, lip_hill, lip_smax)
        * adipose.insulin_fraction(ia, ic50, lip_hill, lip_smax)
        * adipose.stimulation(e_excess, p[P.lipolysis_adrenaline_max * w + l], p[P.lipolysis_adrenaline_half * w + l],
                              pvo2, p[P.lipolysis_exercise_gain * w + l], fasting, p[P.lipolysis_fasting_gain * w + l])
    )
    dy[S.plasma_ffa * w + l] = adipose.ffa_derivative(y[S.plasma_ffa * w + l], lipolysis, ffa_k, ffa_v)
    gng_capacity = (
        p[P.gng_fraction_basal * w + l]
        * p[P.EGPb * w + l]
        * (1.0 + p[P.gng_fasting_gain * w + l] * fasting)
        * (1.0 + p[P.glycogen_model * w + l] * p[P.gng_glucagon_gain * w + l] * (h / p[P.Hb * w + l] - 1.0))
    )
    if gng_capacity < 0.0:
        gng_capacity = 0.0
    # --- metformin: oral PK (Graham 2011) and inhibition of gluconeogenesis (glucostat design, physiology/drugs.py)
    if extras:
        met_absorbed = drugs.oral_absorption(y[S.metformin_gut * w + l], p[P.metformin_ka * w + l])
        dy[S.metformin_gut * w + l] = -met_absorbed
        dy[S.metformin_central * w + l] = drugs.one_compartment_derivative(
            y[S.metformin_central * w + l],
            met_absorbed,
            p[P.metformin_F * w + l],
            p[P.metformin_CL * w + l],
            p[P.metformin_V * w + l],
        )
        c_met_liver = drugs.metformin_liver_concentration(
            y[S.metformin_central * w + l],
            met_absorbed,
            p[P.metformin_F * w + l],
            p[P.metformin_V * w + l],
            p[P.metformin_hepatic_flow * w + l],
            bw,
        )
        dy[S.metformin_effect * w + l] = drugs.effect_site_derivative(
            y[S.metformin_effect * w + l], c_met_liver, p[P.metformin_effect_half_life * w + l]
        )
        e_met = drugs.emax(y[S.metformin_effect * w + l], p[P.metformin_Emax * w + l], p[P.metformin_EC50 * w + l])
    else:  # no metformin here (see TREATMENT_STATES)
        dy[S.metformin_gut * w + l] = 0.0
        dy[S.metformin_central * w + l] = 0.0
        dy[S.metformin_effect * w + l] = 0.0
        c_met_liver = 0.0
        e_met = 0.0
    demand -= drugs.metformin_output_reduction(demand, gng_capacity, e_met, p[P.hepatic_autoregulation * w + l])
    gng_capacity *= 1.0 - e_met * (1.0 - p[P.hepatic_autoregulation * w + l])
    # --- brain, muscle/fat (DM2007 eqs. 14-18); before the liver's split, which takes its share of Uid
    uii = brain.insulin_independent_utilisation(p[P.Fcns * w + l]) * brain.ketone_sparing(
        fasting, p[P.brain_fasting_sparing * w + l]
    )
    x = y[S.remote_insulin * w + l]
    sensitisation = 1.0 + p[P.exercise_sensitivity_gain * w + l] * z_ex
    uid = (
        p[P.uid_fraction * w + l]
        * muscle.insulin_dependent_utilisation(
            gt,
            x,
            p[P.Vm0 * w + l],
            p[P.Vmx * w + l] * sensitisation,
            p[P.Km0 * w + l],
            p[P.Kmx * w + l],
            p[P.Ib * w + l],
            p[P.insulin_uptake_ec50 * w + l],
            p[P.insulin_uptake_hill * w + l],
            p[P.insulin_uptake_span * w + l],
            p[P.insulin_uptake_basal_share * w + l],
        )
        * muscle.fasting_insulin_resistance(fasting, p[P.muscle_fasting_resistance * w + l])
        * adrenal.uptake_multiplier(
            e_excess, p[P.adrenaline_uptake_max_reduction * w + l], p[P.adrenaline_uptake_half * w + l]
        )
    )
    # the liver's share of insulin-stimulated disposal (hepatic glycogen synthesis; glucostat design)
    hepatic_plasma_uptake = 0.0
    if p[P.hepatic_uptake_share * w + l] > 0.0:
        uid_unstimulated = (
            p[P.uid_fraction * w + l]
            * muscle.insulin_dependent_utilisation(
                gt, 0.0, p[P.Vm0 * w + l], p[P.Vmx * w + l], p[P.Km0 * w + l], p[P.Kmx * w + l]
            )
            * muscle.fasting_insulin_resistance(fasting, p[P.muscle_fasting_resistance * w + l])
        )
        hepatic_plasma_uptake = liver.plasma_glucose_uptake(uid, uid_unstimulated, p[P.hepatic_uptake_share * w + l])
    retention = absorbed / bw - ra  # first-pass splanchnic glucose uptake [mg/kg/min]
    egp, gng, glycogenolysis, glycogen_synthesis, hepatic_glycolysis = liver.hepatic_glucose_fluxes(
        demand,
        gng_capacity,
        glycogen,
        p[P.Glyb * w + l],
        p[P.glycogen_mobilisation_half * w + l],
        p[P.glycogen_mobilisation_hill * w + l],
        p[P.glycogen_synthesis_half * w + l],
        retention + hepatic_plasma_uptake,
        p[P.glycogen_model * w + l],
    )
    dy[S.liver_glycogen * w + l] = glycogen_synthesis - glycogenolysis
    di1, did = liver.delayed_insulin_derivatives(
        y[S.insulin_signal_1 * w + l], y[S.insulin_signal_liver * w + l], insulin, p[P.ki * w + l]
    )
    dy[S.insulin_signal_1 * w + l] = di1
    dy[S.insulin_signal_liver * w + l] = did

    # --- exercise uptake, kidney (DM2007 eq. 27)
    # exercise uptake (Roy & Parker 2007 Gup) from plasma, in proportion to glucose over basal (mass action)
    gup = y[S.exercise_uptake * w + l] * g / p[P.Gb * w + l]
    if gup < 0.0:
        gup = 0.0
    dy[S.remote_insulin * w + l] = muscle.remote_insulin_derivative(x, insulin, p[P.Ib * w + l], p[P.p2U * w + l])
    renal = kidney.urinary_glucose(
        gp,
        vg,
        bw,
        p[P.ke1 * w + l],
        p[P.ke2 * w + l],
        p[P.renal_excretion_enabled * w + l],
        p[P.renal_model * w + l],
        p[P.GFR * w + l],
        p[P.TmG * w + l],
        p[P.renal_splay * w + l],
    )

    # --- blood glucose (DM2007 eq. 1)
    iv_g = u[U.iv_glucose * w + l]
    dgp, dgt = plasma.glucose_derivatives(gp, gt, egp, ra, uii, renal, uid, iv_g, p[P.k1 * w + l], p[P.k2 * w + l])
    dgp -= gup
    # glucose effectiveness of uptake above basal, at fixed insulin, from plasma (glucostat design, muscle.py)
    u_mass = muscle.glucose_stimulated_uptake(gp, p[P.Gb * w + l] * vg, p[P.glucose_uptake_effectiveness * w + l])
    dgp -= u_mass
    dy[S.plasma_glucose * w + l] = dgp
    dy[S.tissue_glucose * w + l] = dgt
    dg_dt = dgp / vg

    # --- pancreas: beta-cell secretion into the portal vein (DM2007 Sec. II-F)
    # sulfonylureas: PK (physiology reference sec. 8.3) and beta-cell action (glucostat design, physiology/drugs.py)
    if extras:
        su_absorbed = drugs.oral_absorption(y[S.glipizide_gut * w + l], p[P.glipizide_ka * w + l])
        dy[S.glipizide_gut * w + l] = -su_absorbed
        dy[S.glipizide_central * w + l] = drugs.one_compartment_derivative(
            y[S.glipizide_central * w + l], su_absorbed, 1.0, p[P.glipizide_CL * w + l], p[P.glipizide_V * w + l]
        )
        su_absorbed = drugs.oral_absorption(y[S.glimepiride_gut * w + l], p[P.glimepiride_ka * w + l])
        dy[S.glimepiride_gut * w + l] = -su_absorbed
        dy[S.glimepiride_central * w + l] = drugs.one_compartment_derivative(
            y[S.glimepiride_central * w + l], su_absorbed, 1.0, p[P.glimepiride_CL * w + l], p[P.glimepiride_V * w + l]
        )
        su_absorbed = drugs.oral_absorption(y[S.glibenclamide_gut * w + l], p[P.glibenclamide_ka * w + l])
        dy[S.glibenclamide_gut * w + l] = -su_absorbed
        dy[S.glibenclamide_central * w + l] = drugs.one_compartment_derivative(
            y[S.glibenclamide_central * w + l],
            su_absorbed,
            1.0,
            p[P.glibenclamide_CL * w + l],
            p[P.glibenclamide_V * w + l],
        )
        c_glipizide = 1e3 * drugs.concentration_mg_per_l(
            y[S.glipizide_central * w + l], p[P.glipizide_V * w + l], bw
        )  # [ng/mL]
        c_glimepiride = 1e3 * drugs.concentration_mg_per_l(y[S.glimepiride_central * w + l], p[P.glimepiride_V * w + l], bw)
        c_glibenclamide = 1e3 * drugs.concentration_mg_per_l(
            y[S.glibenclamide_central * w + l], p[P.glibenclamide_V * w + l], bw
        )
        su_drive = (
            c_glipizide / p[P.glipizide_EC50 * w + l]
            + c_glimepiride / p[P.glimepiride_EC50 * w + l]
            + c_glibenclamide / p[P.glibenclamide_EC50 * w + l]
        )
        dy[S.sulfonylurea_effect * w + l] = drugs.effect_site_derivative(
            y[S.sulfonylurea_effect * w + l], su_drive, p[P.sulfonylurea_effect_half_life * w + l]
        )
        e_su = drugs.sulfonylurea_occupancy(y[S.sulfonylurea_effect * w + l])
    else:  # no sulfonylurea here (see TREATMENT_STATES)
        dy[S.glipizide_gut * w + l] = 0.0
        dy[S.glipizide_central * w + l] = 0.0
        dy[S.glimepiride_gut * w + l] = 0.0
        dy[S.glimepiride_central * w + l] = 0.0
        dy[S.glibenclamide_gut * w + l] = 0.0
        dy[S.glibenclamide_central * w + l] = 0.0
        dy[S.sulfonylurea_effect * w + l] = 0.0
        c_glipizide = 0.0
        c_glimepiride = 0.0
        c_glibenclamide = 0.0
        e_su = 0.0
    # gut hormones (GLP-1, GIP) potentiate glucose-stimulated secretion (incretin effect; glucostat design)
    dy[S.incretin * w + l] = (ra - y[S.incretin * w + l]) / p[P.incretin_time * w + l]
    incretin_gain = pancreas.incretin_gain(
        y[S.incretin * w + l], p[P.incretin_max * w + l], p[P.incretin_half * w + l], p[P.incretin_reference * w + l]
    )
    yst = y[S.static_secretion * w + l]
    spo = pancreas.portal_secretion(
        yst,
        pancreas.saturating_rise(dg_dt, p[P.first_phase_half_rate * w + l]),
        p[P.K * w + l] * incretin_gain,
        p[P.Sb * w + l],
        p[P.first_phase_only_rising * w + l],
    )
    # pharmacological glucagon stimulates the beta cell directly (glucagon stimulation test; glucostat design)
    spo += p[P.beta * w + l] * p[P.glucagon_beta_shift * w + l] * glucagon_occupancy
    spo *= exercise.secretion_suppression(
        y[S.exercise_insulin_removal * w + l], p[P.exercise_insulin_n * w + l], p[P.exercise_insulin_reference * w + l]
    )
    # the threshold follows the beta cell's memory of post-absorptive glucose (glucostat design; pancreas.py)
    adaptation = p[P.beta_threshold_adaptation * w + l]
    mem_a = y[S.beta_memory_glucose * w + l]
    mem_b = y[S.beta_memory_weight * w + l]
    post_absorptive = pancreas.post_absorptive_weight((q1 + q2 + qgut) / bw, p[P.beta_memory_gut_half * w + l])
    dy[S.beta_memory_glucose * w + l] = pancreas.glucose_memory_derivative(
        mem_a, post_absorptive * g, p[P.beta_memory_time * w + l], adaptation
    )
    dy[S.beta_memory_weight * w + l] = pancreas.glucose_memory_derivative(
        mem_b, post_absorptive, p[P.beta_memory_time * w + l], adaptation
    )
    memory = pancreas.glucose_memory(mem_a, mem_b, p[P.Gb * w + l])
    threshold = pancreas.adapted_threshold(p[P.Gb * w + l], memory, adaptation, p[P.beta_threshold_relief_max * w + l])
    # incretins potentiate glucose-stimulated secretion, above the threshold only; a sulfonylurea lowers the
    # threshold in proportion to basal glucose (a glucose-independent drive) and raises the slope (glucostat design)
    g_excess = g - threshold
    if g_excess > 0.0:
        g_excess *= incretin_gain
    g_beta = threshold + g_excess + p[P.sulfonylurea_threshold_fraction * w + l] * p[P.Gb * w + l] * e_su
    dy[S.static_secretion * w + l] = pancreas.static_secretion_derivative(
        yst,
        g_beta,
        p[P.alpha * w + l],
        p[P.beta * w + l] * (1.0 + p[P.sulfonylurea_beta_gain * w + l] * e_su),
        threshold,
        p[P.Sb * w + l],
        p[P.secretion_floor_enabled * w + l],
        p[P.secretion_below_basal_half * w + l],
        p[P.secretion_below_basal_hill * w + l],
    )
    # pancreatic clamp (somatostatin with basal insulin and glucagon replacement): the replacement holds portal
    # insulin delivery at basal secretion and glucagon release at basal; somatostatin stops C-peptide (glucostat
    # protocol switch, clinical.glucose_effectiveness_clamp)
    clamped = p[P.pancreatic_clamp * w + l] > 0.5
    if clamped:
        spo = p[P.Sb * w + l]
    ipo = y[S.portal_insulin * w + l]
    dy[S.portal_insulin * w + l] = pancreas.portal_insulin_derivative(ipo, spo, p[P.gamma * w + l])
    s_liver = p[P.gamma * w + l] * ipo
    # --- pancreas: alpha cells (Sorensen 1985, intra-islet insulin signal); plasma glucagon
    # intra-islet insulin over basal; a fall below basal is permissive only (see pancreas.glucagon_secretion)
    islet_insulin = spo / p[P.Sb * w + l] if p[P.Sb * w + l] > 0.0 else 1.0
    if islet_insulin < 1.0:
        islet_insulin = 1.0
    n_glucagon = 0.6931471805599453 / p[P.glucagon_half_life * w + l]
    release = pancreas.glucagon_secretion(
        g,
        p[P.Gb * w + l],
        p[P.glucagon_glucose_reference * w + l],
        islet_insulin,
        p[P.Hb * w + l],
        n_glucagon,
        p[P.glucagon_hypoglycaemia_response * w + l],
        p[P.glucagon_insulin_suppression * w + l],
        p[P.glucagon_excess_suppression * w + l],
        p[P.glucagon_excess_half * w + l],
        p[P.glucagon_excess_hill * w + l],
    )
    if clamped:
        release = n_glucagon * p[P.Hb * w + l]
    # injected glucagon (rescue dose): SC or IM depot, first-order absorption (physiology/drugs.py)
    if extras:
        dy[S.glucagon_depot_sc * w + l] = -p[P.glucagon_ka_sc * w + l] * y[S.glucagon_depot_sc * w + l]
        dy[S.glucagon_depot_im * w + l] = -p[P.glucagon_ka_im * w + l] * y[S.glucagon_depot_im * w + l]
        dy[S.glucagon_depot_iv * w + l] = -p[P.glucagon_ka_iv * w + l] * y[S.glucagon_depot_iv * w + l]
        injected = (
            drugs.glucagon_appearance(
                y[S.glucagon_depot_sc * w + l],
                p[P.glucagon_ka_sc * w + l],
                p[P.glucagon_F * w + l],
                p[P.glucagon_mcr * w + l],
                p[P.glucagon_half_life * w + l],
                bw,
            )
            + drugs.glucagon_appearance(
                y[S.glucagon_depot_im * w + l],
                p[P.glucagon_ka_im * w + l],
                p[P.glucagon_F * w + l],
                p[P.glucagon_mcr * w + l],
                p[P.glucagon_half_life * w + l],
                bw,
            )
            + drugs.glucagon_appearance(
                y[S.glucagon_depot_iv * w + l],
                p[P.glucagon_ka_iv * w + l],
                1.0,
                p[P.glucagon_mcr * w + l],
                p[P.glucagon_half_life * w + l],
                bw,
            )
        )
    else:  # no injected glucagon here (see TREATMENT_STATES)
        dy[S.glucagon_depot_sc * w + l] = 0.0
        dy[S.glucagon_depot_im * w + l] = 0.0
        dy[S.glucagon_depot_iv * w + l] = 0.0
        injected = 0.0
    dy[S.plasma_glucagon * w + l] = plasma.glucagon_derivative(h, release + injected, n_glucagon)
    # --- C-peptide: co-secreted with insulin, not extracted by the liver (Van Cauter 1992)
    kc1, kc2, kc3 = plasma.c_peptide_rate_constants(
        p[P.cp_half_life_short * w + l], p[P.cp_half_life_long * w + l], p[P.cp_fraction_short * w + l]
    )
    dc1, dc2 = plasma.c_peptide_derivatives(
        y[S.c_peptide * w + l], y[S.c_peptide_peripheral * w + l], 0.0 if clamped else spo, p[P.VCP * w + l], kc1,
        kc2, kc3
    )
    dy[S.c_peptide * w + l] = dc1
    dy[S.c_peptide_peripheral * w + l] = dc2

    # --- liver: insulin extraction; blood insulin (DM2007 eqs. 2-5)
    he = liver.hepatic_insulin_extraction(s_liver, p[P.m5 * w + l], p[P.m6 * w + l])
    m3 = liver.hepatic_insulin_clearance_rate(he, p[P.m1 * w + l])
    # --- subcutis: SC insulin depot (UVA/Padova) and interstitial glucose
    dy[S.interstitial_glucose * w + l] = subcutis.interstitial_glucose_derivative(
        y[S.interstitial_glucose * w + l], gp, p[P.ksc * w + l]
    )
    if extras:
        sc_u = u[U.sc_insulin * w + l]
        disc1, disc2, rai = subcutis.insulin_depot(
            y[S.sc_insulin_1 * w + l], y[S.sc_insulin_2 * w + l], sc_u, p[P.kd * w + l], p[P.ka1 * w + l], p[P.ka2 * w + l]
        )
        dy[S.sc_insulin_1 * w + l] = disc1
        dy[S.sc_insulin_2 * w + l] = disc2
        dr1, dr2, ra_reg = subcutis.human_insulin_depot(
            y[S.regular_insulin_1 * w + l], y[S.regular_insulin_2 * w + l], u[U.sc_regular * w + l], p[P.k_regular * w + l]
        )
        dy[S.regular_insulin_1 * w + l] = dr1
        dy[S.regular_insulin_2 * w + l] = dr2
        dg1, dg2, ra_gla = subcutis.long_acting_depot(
            y[S.glargine_depot * w + l],
            y[S.glargine_tissue * w + l],
            u[U.sc_glargine * w + l],
            p[P.k_glargine * w + l],
            p[P.k_long_transit * w + l],
        )
        dy[S.glargine_depot * w + l] = dg1
        dy[S.glargine_tissue * w + l] = dg2
        dd1, dd2, ra_deg = subcutis.long_acting_depot(
            y[S.degludec_depot * w + l],
            y[S.degludec_tissue * w + l],
            u[U.sc_degludec * w + l],
            p[P.k_degludec * w + l],
            p[P.k_degludec_transit * w + l],
        )
        dy[S.degludec_depot * w + l] = dd1
        dy[S.degludec_tissue * w + l] = dd2
        dn1, dn2, ra_nph = subcutis.human_insulin_depot(
            y[S.nph_insulin_1 * w + l], y[S.nph_insulin_2 * w + l], u[U.sc_nph * w + l], p[P.k_nph * w + l]
        )
        dy[S.nph_insulin_1 * w + l] = dn1
        dy[S.nph_insulin_2 * w + l] = dn2
    else:  # no subcutaneous insulin here (see TREATMENT_STATES)
        dy[S.sc_insulin_1 * w + l] = 0.0
        dy[S.sc_insulin_2 * w + l] = 0.0
        dy[S.regular_insulin_1 * w + l] = 0.0
        dy[S.regular_insulin_2 * w + l] = 0.0
        dy[S.glargine_depot * w + l] = 0.0
        dy[S.glargine_tissue * w + l] = 0.0
        dy[S.degludec_depot * w + l] = 0.0
        dy[S.degludec_tissue * w + l] = 0.0
        dy[S.nph_insulin_1 * w + l] = 0.0
        dy[S.nph_insulin_2 * w + l] = 0.0
        sc_u = 0.0
        rai = 0.0
        ra_reg = 0.0
        ra_gla = 0.0
        ra_deg = 0.0
        ra_nph = 0.0
    rai_all = rai + ra_reg + ra_gla + ra_deg + ra_nph
    sc_all = sc_u + u[U.sc_regular * w + l] + u[U.sc_glargine * w + l] + u[U.sc_degludec * w + l] + u[U.sc_nph * w + l]

    iv_i = u[U.iv_insulin * w + l]
    dil, dip = plasma.insulin_derivatives(
        il, ip, p[P.m1 * w + l], p[P.m2 * w + l], m3, p[P.m4 * w + l], s_liver, iv_i + rai_all
    )
    dy[S.liver_insulin * w + l] = dil
    dy[S.plasma_insulin * w + l] = dip

    # --- liver: IGF-1 under growth hormone (pituitary) and portal insulin
    gh = gh_block
    if extras:
        gh = pituitary.growth_hormone_drive(
            t, p[P.gh_nocturnal_share * w + l], p[P.gh_nocturnal_peak * w + l], p[P.gh_pulse_interval * w + l]
        )
    dy[S.gh_signal * w + l] = (gh - y[S.gh_signal * w + l]) / p[P.igf1_gh_response_time * w + l]
    dy[S.igf1 * w + l] = liver.igf1_derivative(
        y[S.igf1 * w + l],
        y[S.gh_signal * w + l],
        p[P.liver_function * w + l],
        il,
        p[P.igf1_insulin_reference * w + l],
        p[P.igf1_insulin_half * w + l],
        p[P.igf1_reference * w + l],
        p[P.igf1_half_life * w + l],
    )

    # --- cumulative fluxes
    dy[S.cum_ingested * w + l] = ingestion
    dy[S.cum_ra * w + l] = ra
    dy[S.cum_splanchnic_retention * w + l] = retention
    dy[S.cum_egp * w + l] = egp
    dy[S.cum_uii * w + l] = uii
    dy[S.cum_uid * w + l] = uid - hepatic_plasma_uptake + gup + u_mass
    dy[S.cum_hepatic_plasma_uptake * w + l] = hepatic_plasma_uptake
    dy[S.cum_renal * w + l] = renal
    dy[S.cum_iv_glucose * w + l] = iv_g
    dy[S.cum_insulin_secretion * w + l] = spo
    dy[S.cum_sc_insulin * w + l] = sc_all
    dy[S.cum_gng * w + l] = gng
    dy[S.cum_glycogenolysis * w + l] = glycogenolysis
    dy[S.cum_glycogen_synthesis * w + l] = glycogen_synthesis
    dy[S.cum_hepatic_glycolysis * w + l] = hepatic_glycolysis

    if not with_outputs:  # a constant where inlined: the integrators' stages need only dy
        return
    # reported concentrations: a state within round-off of zero (solver.clip_roundoff) is reported as 0
    out[F.glucose * w + l] = g if g > 0.0 else 0.0
    out[F.insulin * w + l] = insulin if insulin > 0.0 else 0.0
    out[F.ra * w + l] = ra
    out[F.gastric_emptying * w + l] = kempt * q2
    out[F.egp * w + l] = egp
    out[F.uii * w + l] = uii
    out[F.uid * w + l] = uid - hepatic_plasma_uptake + gup + u_mass
    out[F.hepatic_plasma_uptake * w + l] = hepatic_plasma_uptake
    out[F.renal * w + l] = renal
    out[F.secretion * w + l] = spo
    out[F.secretion_to_liver * w + l] = s_liver
    out[F.hepatic_extraction * w + l] = he
    out[F.hepatic_insulin_degradation * w + l] = m3 * il
    out[F.peripheral_insulin_degradation * w + l] = p[P.m4 * w + l] * ip
    out[F.ingestion * w + l] = ingestion
    out[F.iv_glucose * w + l] = iv_g
    out[F.iv_insulin * w + l] = iv_i
    out[F.glucose_rate * w + l] = dg_dt
    out[F.interstitial_glucose * w + l] = y[S.interstitial_glucose * w + l] / vg
    out[F.sc_insulin_appearance * w + l] = rai_all
    out[F.sc_insulin * w + l] = sc_all
    out[F.long_acting_appearance * w + l] = ra_gla + ra_deg
    out[F.liver_glycogen * w + l] = glycogen * bw * 1e-3
    out[F.gluconeogenesis * w + l] = gng
    out[F.glycogenolysis * w + l] = glycogenolysis
    out[F.glycogen_synthesis * w + l] = glycogen_synthesis
    out[F.hepatic_glucose_uptake * w + l] = retention
    out[F.glucagon_action * w + l] = m_glucagon
    out[F.c_peptide_insulin_ratio * w + l] = y[S.c_peptide * w + l] / insulin if insulin > 1e-9 else 0.0
    out[F.growth_hormone * w + l] = gh
    out[F.metformin * w + l] = drugs.concentration_mg_per_l(
        y[S.metformin_central * w + l], p[P.metformin_V * w + l], bw
    )
    out[F.metformin_effect * w + l] = e_met
    out[F.glipizide * w + l] = c_glipizide
    out[F.glimepiride * w + l] = c_glimepiride
    out[F.glibenclamide * w + l] = c_glibenclamide
    out[F.sulfonylurea_effect * w + l] = e_su
    out[F.glucagon_injection_appearance * w + l] = injected
    out[F.exercise_uptake * w + l] = gup
    out[F.exercise_hepatic_output * w + l] = exercise_output
    out[F.exercise_insulin_sensitivity * w + l] = sensitisation
    out[F.incretin_gain * w + l] = incretin_gain
    out[F.beta_cell_glucose_memory * w + l] = memory
    out[F.secretion_threshold * w + l] = threshold
    out[F.lipolysis * w + l] = lipolysis
    out[F.ffa_uptake * w + l] = ffa_k * ffa_v * y[S.plasma_ffa * w + l]


def rhs_numpy(t, y, u, p):
    """Plain-array wrapper of :func:`evaluate` returning ``dy`` (for scipy)."""
    dy = np.empty(N_STATES)
    out = np.empty(N_OUTPUTS)
    evaluate(t, np.asarray(y, dtype=np.float64), u, p, dy, out)
    return dy
