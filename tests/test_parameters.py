import pytest

import glucostat as gs
from glucostat import parameters
from glucostat.errors import InvalidInputError, UnknownNameError
from glucostat.model import P


def test_catalogue_declares_every_model_parameter():
    cat = parameters.catalogue()
    assert set(cat) == {p.name for p in P}
    for info in cat.values():
        assert info.unit and info.meaning and info.min <= info.max


@pytest.mark.parametrize("name", parameters.available())
def test_every_set_is_complete_and_sourced(name):
    ps = parameters.load(name)
    assert ps.references
    for k in parameters.catalogue():
        if k == "Sb":
            continue
        assert k in ps.values
        assert ps.sources[k].strip()


def test_healthy_rederived_values_close_to_printed():
    # with DM2007's basal insulin, the re-derivation reproduces the printed normal column to < 1 %
    # (docs/model.md 'Basal state'); the 'healthy' set itself doubles Ib, halving m2 and m4 (the
    # recalibrated insulin clearance, docs/validation.md)
    recal = gs.Patient.from_preset("healthy")
    p = gs.Patient.from_preset("healthy", Ib=25.49)
    assert recal.values["m4"] == pytest.approx(p.values["m4"] * 25.49 / 51.0)
    assert recal.values["m2"] == pytest.approx(p.values["m2"] * 25.49 / 51.0)
    for k, (printed, derived) in p.rederived.items():
        assert abs(derived / printed - 1) < 0.01, k
    assert p.values["Sb"] == pytest.approx((0.6471 - 0.6) / 0.0304)
    assert p.values["m2"] == pytest.approx(0.486, abs=5e-4)
    assert p.values["m4"] == pytest.approx(0.1945, abs=5e-4)
    # 2.513 with DM2007's kidney; the transport-maximum kidney loses 0.11 mg/min at 92 mg/dL (issue 4)
    assert p.values["Vm0"] == pytest.approx(2.509, abs=1e-3)
    assert p.values["kp1"] == pytest.approx(2.703, abs=1e-3)


def test_t2d_rederivation_documented_deviation():
    pub = gs.Patient.from_preset("dalla-man-2007-t2d").values
    # the 't2d' set with DM2007's basal secretion and insulin (it recalibrates both, docs/validation.md)
    p = gs.Patient.from_preset("t2d", Sb=(pub["m6"] - pub["HEb"]) / pub["m5"], Ib=pub["Ib"])
    m2p, m2 = p.rederived["m2"]
    m4p, m4 = p.rederived["m4"]
    # printed m2 0.673 / m4 0.269; the basal constraints give 0.735 / 0.294 (~ +9 %)
    assert m2 == pytest.approx(0.735, abs=2e-3) and m4 == pytest.approx(0.294, abs=2e-3)
    assert 0.05 < m2 / m2p - 1 < 0.10 and 0.05 < m4 / m4p - 1 < 0.10
    assert abs(p.rederived["kp1"][1] / 3.09 - 1) < 0.01
    # 4.65 with DM2007's kidney (no excretion below 180 mg/dL); the transport-maximum kidney with the
    # wider type 2 splay loses ~4 mg/min in urine at the fasting 164 mg/dL, which uptake no longer covers
    assert p.rederived["Vm0"][1] == pytest.approx(4.39, abs=0.01)


def test_body_weight_and_overrides():
    p = gs.Patient.from_preset("healthy", body_weight_kg=60, Vmx=0.03)
    assert p.body_weight_kg == 60
    assert p.values["Vmx"] == 0.03
    assert "Vmx" in p.overrides
    table = p.parameter_table()
    assert set(table.columns) == {"Parameter", "Value", "Unit", "Meaning", "Source"}
    assert table.set_index("Parameter").loc["Vmx", "Source"] == "user override"


def test_bad_parameter_values_named():
    with pytest.raises(InvalidInputError, match=r"parameters.Vmx.*-1.*allowed"):
        gs.Patient.from_preset("healthy", Vmx=-1)
    with pytest.raises(InvalidInputError, match="body_weight_kg"):
        gs.Patient.from_preset("healthy", body_weight_kg=float("nan"))
    with pytest.raises(UnknownNameError, match="nonsense"):
        gs.Patient.from_preset("healthy", nonsense=1.0)
    with pytest.raises(UnknownNameError, match="patient: unknown name 'martian'"):
        gs.Patient.from_preset("martian")
