"""Counter-based patient streams (glucostat.rng): the published generator, sound normals, and
streams that do not depend on the batch.

Known-answer vectors: Random123 1.09 ``kat_vectors`` for philox4x32 with 10 rounds (Salmon et al.,
SC'11): counter/key all zeros -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8; all ones -> 408f276d 41c83b0e
a20bc7c6 6d5451fd; the digits of pi -> d16cfe09 94fdcceb 5001e420 24126ea1.
"""

import numpy as np
import pytest
from scipy import stats

from glucostat.devices import CGM_PRESETS
from glucostat.rng import philox4x32, standard_normals, stream_key

U = np.uint64
ONES = U(0xFFFFFFFF)


@pytest.mark.parametrize("counter, key, expected", [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_known_answers(counter, key, expected):
    out = philox4x32(*(U(c) for c in counter), *(U(k) for k in key))
    assert tuple(int(x) for x in out) == expected


def test_normals_are_standard_and_independent():
    z = standard_normals(7, np.arange(400), 1000)
    flat = z.ravel()
    assert abs(flat.mean()) < 0.005 and abs(flat.std() - 1.0) < 0.005
    assert stats.kstest(flat[:50_000], "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z[:, :-1].ravel(), z[:, 1:].ravel())[0, 1]) < 0.005  # along a stream
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 0.005  # between patients
    assert np.isfinite(z).all()


def test_streams_depend_only_on_seed_patient_and_draw():
    batch = standard_normals(3, [0, 5, 9], 301)
    alone = standard_normals(3, [5], 300)
    assert np.array_equal(batch[1, :300], alone[0])  # any batch, any length prefix
    assert not np.array_equal(standard_normals(4, [5], 300), alone)
    assert not np.array_equal(standard_normals(3, [5], 300, stream=2), alone)
    assert stream_key(12) == 12 and stream_key(2**70) == stream_key(2**70) < 2**64
    with pytest.raises(ValueError):
        standard_normals(-1, [0], 3)


def test_seeded_sensor_noise_matches_the_published_error_model():
    """Breton & Kovatchev 2008 through the counter-based streams, 14 days of 200 sensors, against
    the error model's own moments: e_k = 0.7 (e_k-1 + w_k) is stationary with variance
    s2 = 0.49/0.51, so the Johnson S_U error xi + lambda sinh((e - gamma)/delta) has mean
    xi + lambda exp(s2/(2 delta^2)) sinh(-gamma/delta) = +0.72 mg/dL and SD 11.7 mg/dL on its 15-min
    grid (a little less once interpolated to 3-min samples). A patient's trace is the same alone
    or in the batch."""
    cgm = CGM_PRESETS["Dexcom"]
    t = np.arange(0.0, 14 * 1440.0 + 1e-9, cgm.sample_time_min)
    e = cgm.seeded_noise_traces(t, 11, range(200))
    s2 = 0.49 / 0.51
    mean = cgm.xi + cgm.lam * np.exp(s2 / (2 * cgm.delta**2)) * np.sinh(-cgm.gamma / cgm.delta)
    assert abs(e.mean() - mean) < 0.5 and 10.0 < e.std() < 12.5
    assert np.array_equal(cgm.seeded_noise_traces(t, 11, [17])[0], e[17])
