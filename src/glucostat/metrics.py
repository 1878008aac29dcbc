"""Clinical indices and diagnostic criteria computed from samples.

Glucose is in mg/dL and insulin in µU/mL (= pmol/L / 6) unless a name says
otherwise. These functions read numbers; they never simulate.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .errors import InvalidInputError


def _pos(name, x):
    x = float(x)
    if not math.isfinite(x) or x <= 0:
        raise InvalidInputError(name, x, "a positive finite number")
    return x


def homa1_ir(fasting_glucose_mg_dl: float, fasting_insulin_uu_ml: float) -> float:
    """HOMA1-IR = G0 [mg/dL] x I0 [µU/mL] / 405 (Matthews et al., Diabetologia 1985;28:412).

    405 is 22.5 mmol/L expressed with 18 mg/dL per mmol/L, as in the original.
    """
    return _pos("fasting_glucose_mg_dl", fasting_glucose_mg_dl) * _pos("fasting_insulin_uu_ml", fasting_insulin_uu_ml) / 405.0


def adipo_ir(fasting_ffa_umol_l: float, fasting_insulin_uu_ml: float) -> float:
    """Adipose tissue insulin resistance index Adipo-IR = FFA0 [mmol/L] x I0 [µU/mL] (Gastaldelli A et
    al. Diabetes 2017;66:815-822: 4.1 +- 0.3 lean, 8.0 obese normal glucose tolerance, 11.9 +- 0.6 type 2
    diabetes); it correlates with the insulin concentration that halves lipolysis (r 0.86; Sondergaard E
    et al. J Clin Endocrinol Metab 2017;102:1193-1199)."""
    return (_pos("fasting_ffa_umol_l", fasting_ffa_umol_l) / 1000.0
            * _pos("fasting_insulin_uu_ml", fasting_insulin_uu_ml))


def homa1_beta(fasting_glucose_mg_dl: float, fasting_insulin_uu_ml: float) -> float:
    """HOMA1-%B = 360 x I0 [µU/mL] / (G0 [mg/dL] - 63) [%] (Matthews et al. 1985).

    Undefined (NaN) for G0 <= 63 mg/dL (3.5 mmol/L).
    """
    g0 = _pos("fasting_glucose_mg_dl", fasting_glucose_mg_dl)
    i0 = _pos("fasting_insulin_uu_ml", fasting_insulin_uu_ml)
    if g0 <= 63.0:
        return float("nan")
    return 360.0 * i0 / (g0 - 63.0)


def matsuda_index(glucose_mg_dl: Sequence[float], insulin_uu_ml: Sequence[float]) -> float:
    """Matsuda insulin sensitivity index (Matsuda & DeFronzo, Diabetes Care 1999;22:1462).

    ``10000 / sqrt(G0 I0 Gmean Imean)`` with the first sample fasting and the means
    over all OGTT samples (0, 30, 60, 90, 120 min).
    """
    g = np.asarray(glucose_mg_dl, dtype=float)
    i = np.asarray(insulin_uu_ml, dtype=float)
    if g.size < 2 or g.size != i.size or np.any(~np.isfinite(g)) or np.any(~np.isfinite(i)) or g.min() <= 0 or i.min() <= 0:
        raise InvalidInputError("glucose/insulin samples", (g.tolist(), i.tolist()), "two equal-length series of positive numbers")
    return 10000.0 / math.sqrt(g[0] * i[0] * g.mean() * i.mean())


def insulinogenic_index(g0: float, g30: float, i0: float, i30: float) -> float:
    """Insulinogenic index (I30 - I0)/(G30 - G0) [µU/mL per mg/dL] (Seltzer et al. 1967).

    NaN when glucose did not rise (G30 <= G0).
    """
    dg = float(g30) - float(g0)
    if dg <= 0:
        return float("nan")
    return (float(i30) - float(i0)) / dg


def ada_classification(fasting_glucose_mg_dl: float, two_hour_glucose_mg_dl: float) -> str:
    """Glucose tolerance category from a 75 g OGTT, American Diabetes Association criteria.

    ADA Standards of Care, Classification and Diagnosis of Diabetes (Diabetes Care
    2024;47(Suppl 1):S20, Tables 2.1 and 2.5): diabetes if FPG >= 126 mg/dL or
    2-h >= 200 mg/dL; impaired fasting glucose FPG 100-125; impaired glucose
    tolerance 2-h 140-199; otherwise normal.

    Returns one of ``"normal"``, ``"impaired_fasting_glucose"``,
    ``"impaired_glucose_tolerance"``, ``"impaired_fasting_glucose_and_glucose_tolerance"``,
    ``"diabetes"``.
    """
    fpg = float(fasting_glucose_mg_dl)
    two = float(two_hour_glucose_mg_dl)
    if not (math.isfinite(fpg) and math.isfinite(two)):
        raise InvalidInputError("OGTT glucose", (fpg, two), "finite numbers [mg/dL]")
    if fpg >= 126.0 or two >= 200.0:
        return "diabetes"
    ifg = fpg >= 100.0
    igt = two >= 140.0
    if ifg and igt:
        return "impaired_fasting_glucose_and_glucose_tolerance"
    if ifg:
        return "impaired_fasting_glucose"
    if igt:
        return "impaired_glucose_tolerance"
    return "normal"
