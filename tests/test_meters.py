"Attribute meters of latent_explain.meters: input types and the validation targets on 500 images"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, pytest, torch
from latent_explain.datasets import synth_histology, synth_knee, ihc_tiles
from latent_explain.data import to_generator_range, DataError
from latent_explain.meters import METERS, validate_meters, nuclei_count, joint_space_width, dab_fraction


def test_input_types_agree():
    k = synth_knee(4, seed=1)
    for name, f in METERS.items():
        batch = f(k.images)
        assert isinstance(batch, np.ndarray) and batch.shape == (4,) and batch.dtype == np.float64, name
        assert isinstance(f(k.images[0]), float), name
        np.testing.assert_allclose(f(to_generator_range(k.images)), batch, atol=1e-6, err_msg=name)
    with pytest.raises(DataError, match='uint8'): nuclei_count(np.zeros((2, 8, 8, 3)))


def test_meters_read_the_factors():
    h = synth_histology(20, seed=5)
    assert np.abs(nuclei_count(h.images) - h.factors.nuclei_count.values).max() <= 2
    k = synth_knee(20, seed=5)
    assert np.abs(joint_space_width(k.images) - k.factors.jsw.values).mean() < 1.0
    t = ihc_tiles()
    np.testing.assert_allclose(dab_fraction(t.images), t.factors.dab_fraction.values)


def test_validation_targets_500():
    v = validate_meters(500, seed=1).set_index('meter')
    assert v.loc['nuclei_count', 'value'] >= 0.93
    assert v.loc['joint_space_width', 'value'] >= 0.93
    assert v.loc['marker_score', 'value'] >= 0.98
    assert v.passed.dropna().all()
    assert set(v.statistic) == {'spearman', 'auroc'} and len(v) == 7
