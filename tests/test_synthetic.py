"Ground-truth datasets of latent_explain.data: determinism, shapes, balance, marker bias, IHC split, folder writing"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import hashlib
import numpy as np, pandas as pd, pytest
from PIL import Image
from latent_explain.datasets import ImageSet, synth_histology, synth_knee, ihc_tiles, DAB_THRESHOLD, write_image_folder, contact_sheet, histology_rule, knee_rule
from latent_explain.data import DataError


def _digest(ds: ImageSet) -> str:
    h = hashlib.sha256()
    for a in (ds.images, ds.labels, ds.masks, ds.split.astype('U5')):
        if a is not None: h.update(np.ascontiguousarray(a).tobytes())
    h.update(ds.factors.to_csv(float_format='%.17g').encode())
    return h.hexdigest()


@pytest.mark.parametrize('make', [lambda s: synth_histology(24, seed=s), lambda s: synth_knee(24, seed=s),
                                  lambda s: ihc_tiles(seed=s)])
def test_deterministic_by_seed(make):
    assert _digest(make(5)) == _digest(make(5))
    assert _digest(make(5)) != _digest(make(6))


def test_histology_shapes_rule_balance():
    h = synth_histology(400, seed=3)
    assert h.images.shape == (400, 64, 64, 3) and h.images.dtype == np.uint8
    assert h.masks.shape == (400, 64, 64) and set(np.unique(h.masks)) <= {0, 255}
    assert h.classes == ['normal', 'tumour'] and h.labels.dtype == np.int64 and h.name == 'synth-histology'
    assert list(h.factors.columns) == ['nuclei_count', 'nucleus_radius', 'nuclear_darkness', 'stroma_hue', 'blur']
    assert h.factors.nuclei_count.dtype == np.int64
    assert 0.4 <= h.labels.mean() <= 0.6
    flipped = (histology_rule(h.factors) != h.labels).mean()   # label noise 0.03
    assert 0.005 <= flipped <= 0.07
    assert (h.split == 'valid').sum() == 80 and set(h.split) == {'train', 'valid'}
    assert ((h.masks == 255).sum((1, 2)) > 0).all()


def test_histology_other_sizes_and_prefix():
    for size in (32, 128):
        h = synth_histology(3, size=size, seed=0)
        assert h.images.shape == (3, size, size, 3) and h.masks.shape == (3, size, size)
    assert (synth_histology(4, seed=9).images == synth_histology(10, seed=9).images[:4]).all()


def test_knee_shapes_rule_balance_marker_bias():
    k = synth_knee(400, seed=3, marker_bias=0.9)
    assert k.images.shape == (400, 64, 64, 1) and k.images.dtype == np.uint8 and k.classes == ['normal', 'OA']
    assert list(k.factors.columns) == ['jsw', 'osteophyte', 'exposure', 'pose_dx', 'pose_dy', 'pose_angle', 'marker']
    assert 0.4 <= k.labels.mean() <= 0.6
    assert 0.85 <= (k.factors.marker == k.labels).mean() <= 0.95
    assert (knee_rule(k.factors) != k.labels).mean() <= 0.06
    assert set(np.unique(k.masks)) == {0, 127, 255}
    assert ((k.masks == 255).sum((1, 2)) > 0).tolist() == (k.factors.marker == 1).tolist()
    k5 = synth_knee(400, seed=3, marker_bias=0.5)
    assert 0.4 <= (k5.factors.marker == k5.labels).mean() <= 0.6
    assert (k5.labels == k.labels).all()                     # marker_bias never changes anatomy or labels


def test_knee_marker_override_same_anatomy():
    base = synth_knee(30, seed=7, marker_bias=0.95)
    fl = synth_knee(30, seed=7, marker_bias=0.95, marker='flipped')
    assert (fl.labels == base.labels).all() and (fl.factors.marker == 1 - fl.labels).all()
    glyph = (synth_knee(30, seed=7, marker='present').masks == 255).any(0)
    assert (fl.images[:, ~glyph] == base.images[:, ~glyph]).all()
    assert (synth_knee(30, seed=7, marker='absent').factors.marker == 0).all()
    with pytest.raises(DataError, match='marker'): synth_knee(3, marker='right')
    with pytest.raises(DataError, match='marker_bias'): synth_knee(3, marker_bias=1.5)


def test_ihc_spatial_split_and_balance():
    t = ihc_tiles(size=64)
    assert t.images.shape[1:] == (64, 64, 3) and t.masks is None and t.name == 'ihc'
    assert 0.35 <= t.labels.mean() <= 0.65
    assert ((t.factors.dab_fraction > 0.5).astype(int) == t.labels).all()
    seen = np.zeros((512, 512), bool)
    for x, y in t.factors.loc[t.split == 'train', ['x', 'y']].values: seen[y:y + 64, x:x + 64] = True
    valid = t.factors.loc[t.split == 'valid', ['x', 'y']].values
    assert len(valid) > 0
    for x, y in valid: assert not seen[y:y + 64, x:x + 64].any()
    t2 = ihc_tiles(size=32, stride=32, valid_frac=0.5)
    assert (t2.factors.x[t2.split == 'train'] + 32 <= 256).all() and (t2.factors.x[t2.split == 'valid'] >= 256).all()
    assert 0 < DAB_THRESHOLD < 0.2


def test_write_image_folder_round_trip(tmp_path):
    ds = synth_histology(6, seed=1)
    out = write_image_folder(ds, tmp_path / 'h')
    lab = pd.read_csv(out / 'labels.csv')
    assert list(lab.columns) == ['path', 'label', 'split'] + list(ds.factors.columns)
    for i, row in lab.iterrows():
        assert row.path == f'{ds.classes[ds.labels[i]]}/{ds.ids[i]}.png' and row.label == ds.classes[ds.labels[i]]
        assert (np.asarray(Image.open(out / row.path)) == ds.images[i]).all()
        assert (np.asarray(Image.open(out / 'masks' / f'{ds.ids[i]}.png')) == ds.masks[i]).all()
    k = synth_knee(5, seed=1)
    ko = write_image_folder(k, tmp_path / 'k')
    lk = pd.read_csv(ko / 'labels.csv')
    assert lk.marker.dtype == np.int64 and set(lk.marker) <= {0, 1}
    assert (np.asarray(Image.open(ko / lk.path[0])) == k.images[0, ..., 0]).all()
    assert write_image_folder(ihc_tiles().subset(slice(0, 3)), tmp_path / 'i').joinpath('labels.csv').exists()


def test_write_image_folder_same_bytes(tmp_path):
    a = write_image_folder(synth_knee(8, seed=2), tmp_path / 'a')
    b = write_image_folder(synth_knee(8, seed=2), tmp_path / 'b')
    assert (a / 'labels.csv').read_bytes() == (b / 'labels.csv').read_bytes()
    fa = sorted(p.relative_to(a) for p in a.rglob('*.png'))
    assert fa == sorted(p.relative_to(b) for p in b.rglob('*.png'))
    assert all((a / p).read_bytes() == (b / p).read_bytes() for p in fa)


def test_write_image_folder_refuses_overwrite(tmp_path):
    "A user's non-empty folder: refused without overwrite; with it the dataset goes beside the user's files"
    out = tmp_path / 'ds'
    out.mkdir(); (out / 'keep.txt').write_text('x')
    with pytest.raises(DataError, match='overwrite=True') as e: write_image_folder(synth_knee(2), out)
    assert str(out) in str(e.value) and (out / 'keep.txt').exists() and not (out / 'labels.csv').exists()
    write_image_folder(synth_knee(2), out, overwrite=True)
    assert (out / 'keep.txt').read_text() == 'x' and (out / 'labels.csv').exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ds']   # no temp folders left behind
    with pytest.raises(DataError, match='keep.txt'): write_image_folder(synth_knee(3), out)  # would delete it
    (tmp_path / 'empty').mkdir()
    write_image_folder(synth_knee(2), tmp_path / 'empty')          # an empty folder is fine


def test_subset_keeps_ids():
    k = synth_knee(10, seed=0)
    s = k.subset(k.labels == 1)
    assert s.ids == [f'{i:06d}' for i in np.flatnonzero(k.labels == 1)]
    assert (s.images == k.images[k.labels == 1]).all() and len(s) == int(k.labels.sum())


def test_contact_sheet(tmp_path):
    p = contact_sheet(synth_histology(10, seed=0), tmp_path / 'sub' / 'sheet.png', n=6, ncols=3)
    assert p.read_bytes()[:4] == b'\x89PNG' and np.asarray(Image.open(p)).shape[0] > 100
    assert contact_sheet(synth_knee(3), tmp_path / 'k.png', n=16).exists()   # n > len(ds) is fine
