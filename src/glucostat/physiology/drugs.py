"""Drugs: metformin, sulfonylureas and rescue glucagon (pharmacokinetics and action).

Physiology reference sec. 8 and docs/model.md 'Drugs'. Pharmacokinetics are the
standard compartment models of the cited studies; how each drug acts on the organ
model (the pharmacodynamic coupling) is a glucostat design calibrated to published
human responses (docs/validation.md, 'Drugs'). Doses enter the gut (or injection
depot) as scenario impulses, so every right-hand side here is linear in amounts.

Units: amounts in mg (metformin, sulfonylureas) or micrograms (glucagon), volumes in
L/kg or mL/kg of body weight, clearances in mL/min/kg, rate constants in 1/min.
"""

from __future__ import annotations

from numba import njit

_LN2 = 0.6931471805599453


# --------------------------------------------------------------------------- absorption
@njit(cache=True, forceinline=True, error_model="numpy")
def oral_absorption(gut_amount, ka):
    """First-order absorption from the gut [amount/min]: ``ka A_gut``.

    The standard population-PK absorption model of metformin (Graham GG et al. Clin
    Pharmacokinet 2011;50:81-98) and of the sulfonylureas (physiology reference sec. 8.3).
    """
    return ka * gut_amount


@njit(cache=True, forceinline=True, error_model="numpy")
def one_compartment_derivative(central, absorbed, bioavailability, clearance_ml_min_kg, volume_l_kg):
    """dA/dt [mg/min] of the central compartment: ``F ka A_gut - (CL/V) A``.

    ``absorbed`` is ``ka A_gut`` [mg/min]; CL [mL/min/kg] over V [L/kg] is the elimination
    rate constant [1/min] (the body weight cancels).
    """
    return bioavailability * absorbed - (clearance_ml_min_kg * 1e-3 / volume_l_kg) * central


@njit(cache=True, forceinline=True, error_model="numpy")
def concentration_mg_per_l(amount_mg, volume_l_kg, bw):
    """Plasma concentration [mg/L = ug/mL] of an amount [mg] in ``V BW`` litres."""
    return amount_mg / (volume_l_kg * bw)


@njit(cache=True, forceinline=True, error_model="numpy")
def effect_site_derivative(effect, driver, half_life_min):
    """d(Ce)/dt of an effect compartment: ``ke0 (C - Ce)``, ``ke0 = ln 2 / t1/2``.

    Sheiner LB et al. Clin Pharmacol Ther 1979;25:358-371 (the effect compartment links
    a plasma concentration to a delayed, hysteretic effect).
    """
    return _LN2 / half_life_min * (driver - effect)


@njit(cache=True, forceinline=True, error_model="numpy")
def emax(concentration, emax_value, ec50):
    """Emax model ``Emax C/(EC50 + C)`` [-] (C >= 0)."""
    if concentration <= 0.0:
        return 0.0
    return emax_value * concentration / (ec50 + concentration)


# --------------------------------------------------------------------------- metformin
@njit(cache=True, forceinline=True, error_model="numpy")
def metformin_liver_concentration(central_mg, absorbed_mg_min, bioavailability, volume_l_kg, hepatic_flow_ml_min_kg,
                                  bw):
    """Metformin reaching the liver [mg/L]: systemic plasma plus the absorbed drug in the portal vein.

    Physiology reference sec. 8.2 (design): ``C_liv = C_p + F ka A_gut / Q_portal``. The
    portal excess is why metformin acts more strongly after oral than after intravenous
    dosing at equal plasma levels (Stepensky D et al. Drug Metab Dispos 2002;30:861-868).
    """
    cp = central_mg / (volume_l_kg * bw)
    return cp + bioavailability * absorbed_mg_min / (hepatic_flow_ml_min_kg * 1e-3 * bw)


@njit(cache=True, forceinline=True, error_model="numpy")
def metformin_output_reduction(demand, gng_capacity, inhibition, autoregulation):
    """Liver glucose output lost to metformin [mg/kg/min].

    glucostat design (docs/model.md 'Metformin'): metformin inhibits hepatic
    gluconeogenesis by a fraction E (Hundal RS et al. Diabetes 2000;49:2063-2069: GNG
    -36 %; Stumvoll M et al. N Engl J Med 1995;333:550-554: GNG -37 %). The gluconeogenic
    part of the output, ``min(demand, GNG capacity)``, would fall by E, and the liver offsets
    a fraction ``a`` of it (hepatic autoregulation: in non-diabetic people a change in
    gluconeogenesis is offset and output is kept, Jenssen T et al. J Clin Invest
    1990;86:489-497; metformin 2 g/day for 90 days leaves fasting glucose unchanged and
    raises glucose production in non-diabetic people, with more lactate and glucagon,
    Gormsen LC et al. Diabetologia 2019, doi:10.1007/s00125-019-4872-7; Christensen MMH et al.
    Diabetologia 2015;58:2494-2502; single and repeated doses leave their glucose unchanged, Sambol NC et
    al. J Clin Pharmacol 1996;36:1012-1021; in type 2 diabetes gluconeogenesis fell and
    glycogenolysis did not rise, Hundal 2000). Output and gluconeogenic capacity both fall
    by the unoffset part (the caller scales the capacity by ``1 - E (1 - a)``), so glycogen
    is not drawn on to replace it: output falls by ``E (1 - a) min(demand, GNG capacity)``.
    """
    part = demand if demand < gng_capacity else gng_capacity
    if part < 0.0:
        part = 0.0
    return inhibition * (1.0 - autoregulation) * part


# --------------------------------------------------------------------------- sulfonylureas
@njit(cache=True, forceinline=True, error_model="numpy")
def sulfonylurea_occupancy(effect_drive):
    """Fraction of the maximal sulfonylurea effect, ``x/(1 + x)`` [-].

    ``x`` is the effect-site sum of each drug's concentration over its own EC50: the
    sulfonylureas share one target (the SUR1 subunit of the beta-cell K-ATP channel;
    Proks P et al. Diabetes 2002;51 Suppl 3:S368-376), so their normalised concentrations
    add, as in a competitive-agonist Emax model.
    """
    if effect_drive <= 0.0:
        return 0.0
    return effect_drive / (1.0 + effect_drive)


# --------------------------------------------------------------------------- glucagon
@njit(cache=True, forceinline=True, error_model="numpy")
def glucagon_appearance(depot_ug, ka, bioavailability, mcr_ml_kg_min, half_life_min, bw):
    """Injected glucagon appearing in plasma [pg/mL/min] from a SC or IM depot [ug].

    One-compartment glucagon kinetics (the plasma glucagon state of
    :mod:`glucostat.physiology.plasma`): the distribution volume is clearance over the
    elimination rate, ``V = MCR t1/2 / ln 2`` [mL/kg]; appearance ``F ka A / (V BW)``.
    """
    volume_ml = mcr_ml_kg_min * half_life_min / _LN2 * bw
    return bioavailability * ka * depot_ug * 1e6 / volume_ml
