"""Adrenal medulla: adrenaline (epinephrine) in hypoglycaemia.

glucostat design (docs/model.md, 'Adrenaline'); no published model of the organ model's family
has it. Adrenaline is the second line of defence against hypoglycaemia after glucagon (Cryer PE.
Diabetes 2008;57:3169): its secretion starts at a plasma glucose of 68 +- 1 mg/dL (Mitrakou A et
al. Am J Physiol 1991;260:E67-E74), and it raises liver glucose output (glycogenolysis) and
restrains insulin-stimulated glucose uptake. It compensates for deficient glucagon and prevents
postabsorptive hypoglycaemia (DeRosa MA, Cryer PE. J Clin Invest 1984;73:405-411: an eightfold
rise restored glucose production), and small increments impair glucose tolerance (plasma 75-80
pg/mL: 2-h glucose 163 vs 108 mg/dL after 100 g; Hamburg S et al. J Clin Endocrinol Metab
1980;51:1289).
"""

from __future__ import annotations

from numba import njit

from .common import power


@njit(cache=True, forceinline=True, error_model="numpy")
def secretion_target(g, basal, threshold, half_deficit, hill, max_rise, response):
    """Steady-state plasma adrenaline at plasma glucose ``g`` [pg/mL].

    ``basal + response max_rise d^n/(d^n + D^n)``, d = max(0, threshold - g) [mg/dL],
    D = ``half_deficit``, n = ``hill``; ``response`` (0-1) scales the rise (1 in health, 0 when
    the adrenomedullary response is lost or switched off).
    """
    d = threshold - g
    if d <= 0.0 or response <= 0.0:
        return basal
    dn = power(d, hill)
    return basal + response * max_rise * dn / (dn + power(half_deficit, hill))


@njit(cache=True, forceinline=True, error_model="numpy")
def derivative(adrenaline, target, time_constant):
    """d[adrenaline]/dt [pg/mL/min]: first-order approach to the target (secretion lag and ~ 2-min
    plasma half-life lumped in ``time_constant``)."""
    return (target - adrenaline) / time_constant


@njit(cache=True, forceinline=True, error_model="numpy")
def excess(adrenaline, basal):
    """Adrenaline above basal [pg/mL], >= 0."""
    e = adrenaline - basal
    return e if e > 0.0 else 0.0


@njit(cache=True, forceinline=True, error_model="numpy")
def hepatic_output_rise(excess_pg_ml, max_rise, half):
    """Rise of liver glucose output [mg/kg/min]: ``max_rise E/(E + half)`` (glycogenolysis; drawn
    from the glycogen store by the liver model)."""
    return max_rise * excess_pg_ml / (excess_pg_ml + half)


@njit(cache=True, forceinline=True, error_model="numpy")
def uptake_multiplier(excess_pg_ml, max_reduction, half):
    """Multiplier of insulin-dependent glucose uptake [-]: ``1 - max_reduction E/(E + half)``."""
    return 1.0 - max_reduction * excess_pg_ml / (excess_pg_ml + half)
