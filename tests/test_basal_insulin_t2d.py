"""Basal insulin in poorly controlled type 2 diabetes against the physiology studies of bedtime insulin
(docs/validation.md, 'Basal insulin in type 2').

The patient is `t2d` with its fasting glucose raised to the studies' (``Gb`` override; the basal state is
re-derived) and their body weight, and NPH insulin at 22:00 as in the studies. Ranges: the published mean
+- one between-patient SD (SE x sqrt(n)) where the model's patient stands for the group, 2 SE otherwise.

Published targets (mean +- SE):
- Yki-Jarvinen H et al. Diabetes 1989;38:580 (15 obese NIDDM on oral therapy, + bedtime insulin 23 +- 3 U):
  overnight glucose 212 +- 9 -> 137 +- 11 mg/dL after 2 weeks, serum insulin 12.7 +- 1.6 -> 18.1 +- 2.2
  uU/mL, glucose production 2.31 +- 0.13 -> 1.83 +- 0.09 mg/kg/min;
- 'Morning versus bedtime isophane insulin in type 2 (non-insulin dependent) diabetes mellitus' (12
  diet-treated patients, scilit.net record 4cfe111454227be145387587f7c34c18): bedtime NPH 0.37 +- 0.03
  U/kg lowered fasting glucose 12.0 +- 0.7 -> 4.6 +- 0.3 mmol/L and 24-h glucose 13.3 +- 1.3 -> 7.8 +- 0.7
  mmol/L through the basal glucose clearance (47.6 +- 3.1 -> 103.5 +- 7.1 mL/m2/min), with hepatic glucose
  output unchanged;
- Diabetes Care 1994;17:805 (20 NIDDM, BMI 29.6, fasting glucose 12.2 +- 0.5 mmol/L): IV insulin 1.5 +- 0.1
  U/h from 22:00 for 12 h gave a 24-h mean glucose of 11.4 +- 0.7 mmol/L.
"""

import numpy as np
import pytest

import glucostat as gs

G, I, EGP = "Plasma glucose [mg/dL]", "Plasma insulin [pmol/L]", "Liver glucose production [mg/kg/min]"
FFA = "Plasma free fatty acids [umol/L]"
_MET = [gs.Metformin(time="08:00", dose_mg=1000), gs.Metformin(time="20:00", dose_mg=1000)]
DAYS = 14


def _patient(gb, bw):
    return gs.Patient.from_preset("t2d", body_weight_kg=bw, Gb=gb)


def _run(pat, daily):
    return gs.simulate(pat, gs.Scenario.day(days=DAYS, daily=daily), dt_min=5.0)


def _window_mean(r, name, start_min, end_min):
    t = r.time_min
    m = (t >= start_min) & (t <= end_min)
    return float(r.get(name)[m].mean())


@pytest.fixture(scope="module")
def yki_jarvinen():
    pat = _patient(250.0, 88.0)
    nph = gs.InsulinBolus(time="22:00", units=round(0.26 * 88.0, 1), product="nph")
    night = ((DAYS - 2) * 1440 + 23 * 60, (DAYS - 1) * 1440 + 8 * 60)
    return [{k: _window_mean(r, k, *night) for k in (G, I, EGP, FFA)} for r in (_run(pat, _MET), _run(pat, _MET + [nph]))]


def test_bedtime_insulin_lowers_overnight_glucose_as_published(yki_jarvinen):
    """Overnight glucose on oral therapy 212 +- 35 and with bedtime insulin 137 +- 43 mg/dL (mean +- SD;
    model: 203 -> 112, the fall 91 against 75 mg/dL)."""
    before, after = yki_jarvinen
    assert 177.0 < before[G] < 247.0
    assert 94.0 < after[G] < 180.0
    assert 50.0 < before[G] - after[G] < 110.0


def test_bedtime_insulin_raises_insulin_and_does_not_raise_output(yki_jarvinen):
    """Overnight insulin rises and glucose production does not rise. Known gap (docs/validation.md): the
    model's insulin rises more (+115 pmol/L against +32) and its output falls 8 % against 21 %: it lowers
    glucose more through uptake and less through the liver than Yki-Jarvinen's patients."""
    before, after = yki_jarvinen
    assert 60.0 < before[I] < 95.0  # 12.7 +- 1.6 uU/mL = 76 +- 10 pmol/L
    assert after[I] > before[I] + 20.0
    assert after[EGP] <= before[EGP]
    assert after[EGP] > 0.6 * before[EGP]


def test_bedtime_insulin_lowers_overnight_ffa(yki_jarvinen):
    """Overnight FFA 674 +- 61 -> 491 +- 57 umol/L (Diabetes 1989;38:580): before within the mean +- one
    SD (SE x sqrt(15)); with bedtime insulin they fall. Known gap (docs/validation.md, 'Adipose tissue'):
    the model's fall is larger, the FFA view of its larger overnight insulin increment."""
    before, after = yki_jarvinen
    assert 674.0 - 61.0 * 15**0.5 < before[FFA] < 674.0 + 61.0 * 15**0.5
    assert after[FFA] < before[FFA] - (674.0 - 491.0) / 2
    assert after[FFA] > 0.0


def test_bedtime_insulin_acts_through_glucose_clearance():
    """Diet-treated patients (fasting 12.0 mmol/L), 0.37 U/kg NPH at bedtime: the basal glucose clearance
    (output/glucose at 07:00) more than doubles (published x 2.17, model x 2.61) with the output unchanged
    (within 15 %; model +3 %); fasting glucose falls to 83 +- 19 mg/dL (mean +- SD; model 86) and 24-h
    glucose to 140 +- 44 (model 163)."""
    pat = _patient(216.0, 88.0)
    nph = gs.InsulinBolus(time="22:00", units=round(0.37 * 88.0, 1), product="nph")
    out = []
    for r in (_run(pat, []), _run(pat, [nph])):
        t = r.time_min
        k = int(np.searchsorted(t, (DAYS - 1) * 1440 + 7 * 60))
        g, egp = float(r.get(G)[k]), float(r.get(EGP)[k])
        out.append((g, egp, egp / g, _window_mean(r, G, (DAYS - 3) * 1440, DAYS * 1440)))
    (g0, egp0, cl0, mean0), (g1, egp1, cl1, mean1) = out
    assert 200.0 < g0 < 235.0 and 200.0 < mean0 < 285.0  # 216 +- 13 and 239 +- 23 mg/dL
    assert 1.7 < cl1 / cl0 < 3.0
    assert abs(egp1 / egp0 - 1.0) < 0.15
    assert 64.0 < g1 < 102.0 and 96.0 < mean1 < 184.0


def test_nocturnal_iv_insulin_24h_glucose():
    """IV insulin 1.5 U/h from 22:00 for 12 h in patients with fasting glucose 12.2 mmol/L: 24-h mean glucose
    within 2 SE of the published 11.4 mmol/L (model 11.2), below the same day without it."""
    bw = 85.0
    pat = _patient(220.0, bw)
    start = 3 * 1440 + 22 * 60
    base = gs.Scenario.day(days=5)
    infusion = gs.IVInsulinInfusion(time=start, duration_min=720.0, rate_mu_per_kg_min=1500.0 / 60.0 / bw)
    with_iv = gs.Scenario(events=sorted([*base.events, infusion], key=lambda e: e.time))
    means = [_window_mean(gs.simulate(pat, sc, dt_min=5.0), G, start, start + 1435) / 18.016 for sc in (base, with_iv)]
    assert 10.0 < means[1] < 12.8
    assert means[1] < means[0] - 1.0
