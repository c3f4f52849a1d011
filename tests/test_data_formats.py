"Users' data: every supported image format read back pixel-exact, bad input -> DataError naming the file, DataLoaders"
import pickle, shutil, warnings
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pandas as pd
import pytest
import tifffile
from PIL import Image
from pydicom.data import get_testdata_file

from conftest import write_dicom
from latent_explain.data import (DataError, H5Images, image_dataloaders, load_image, read_dicom, read_items)

RNG = np.random.default_rng(0)
def rand(*shape, dtype=np.uint8, hi=256): return RNG.integers(0, hi, shape, dtype=dtype)
def on_white(a):
    "Reference compositing on white, in floats"
    c, alpha = a[..., :-1].astype(float), a[..., -1:].astype(float) / 255
    return np.round(c * alpha + 255 * (1 - alpha)).astype(np.uint8)
def scale16(a): return np.round(a.astype(float) / 257).astype(np.uint8)
def minmax(a):
    a = a.astype(float)
    return np.round((a - a.min()) / (a.max() - a.min()) * 255).astype(np.uint8)


# ---------------------------------------------------------------- 8-bit formats and channels
def test_png_rgb_and_gray_exact(tmp_path):
    rgb, gray = rand(9, 7, 3), rand(9, 7)
    Image.fromarray(rgb).save(tmp_path/'rgb.png'); Image.fromarray(gray).save(tmp_path/'gray.png')
    out = load_image(tmp_path/'rgb.png')
    assert out.dtype == np.uint8 and out.shape == (9, 7, 3) and (out == rgb).all()
    assert (load_image(tmp_path/'gray.png', channels=1)[..., 0] == gray).all()
    assert (load_image(tmp_path/'gray.png', channels=3) == gray[..., None]).all()   # gray -> RGB repeats
    lum = np.asarray(Image.fromarray(rgb).convert('L'))                             # RGB -> gray: Pillow's luma
    assert load_image(str(tmp_path/'rgb.png'), channels=1).shape == (9, 7, 1)
    assert (load_image(tmp_path/'rgb.png', channels=1)[..., 0] == lum).all()


def test_bmp_exact_and_jpeg_close(tmp_path):
    rgb = rand(16, 16, 3)
    Image.fromarray(rgb).save(tmp_path/'a.bmp')
    assert (load_image(tmp_path/'a.bmp') == rgb).all()
    smooth = np.repeat(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], 16, 0).repeat(3, 2)
    Image.fromarray(smooth).save(tmp_path/'a.jpg', quality=95); Image.fromarray(smooth).save(tmp_path/'b.JPEG', quality=95)
    for f in ('a.jpg', 'b.JPEG'):
        out = load_image(tmp_path/f)
        assert out.shape == (16, 16, 3) and np.abs(out.astype(int) - smooth).mean() < 3   # lossy, but close


def test_rgba_la_palette_composited_on_white(tmp_path):
    rgba = rand(8, 8, 4); rgba[0, 0, 3], rgba[0, 1, 3] = 0, 255
    Image.fromarray(rgba).save(tmp_path/'rgba.png')
    out = load_image(tmp_path/'rgba.png')
    assert (out == on_white(rgba)).all() and (out[0, 0] == 255).all() and (out[0, 1] == rgba[0, 1, :3]).all()
    la = rand(8, 8, 2)
    Image.fromarray(la).save(tmp_path/'la.png')
    assert (load_image(tmp_path/'la.png', channels=1) == on_white(la)).all()
    pal = Image.fromarray(rand(6, 6, hi=4)).convert('P')                  # palette image with a transparent index
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]); pal.info['transparency'] = 0
    pal.save(tmp_path/'pal.png', transparency=0)
    idx = np.asarray(pal)
    want = np.array([[255, 255, 255], [0, 255, 0], [0, 0, 255], [10, 20, 30]], np.uint8)[idx]
    assert (load_image(tmp_path/'pal.png') == want).all()


def test_channels_argument_checked(tmp_path):
    Image.fromarray(rand(4, 4, 3)).save(tmp_path/'x.png')
    for bad in (0, 2, 4, '3'):
        with pytest.raises(DataError, match='channels'): load_image(tmp_path/'x.png', channels=bad)


# ---------------------------------------------------------------- 16-bit and float
def test_16bit_png_scaled(tmp_path):
    a = np.concatenate([[0, 128, 129, 257, 32767, 65535], rand(58, dtype=np.uint16, hi=65536)]).astype(np.uint16)
    a = a.reshape(8, 8)
    Image.fromarray(a).save(tmp_path/'g16.png')
    assert Image.open(tmp_path/'g16.png').mode in ('I;16', 'I;16B', 'I')
    out = load_image(tmp_path/'g16.png', channels=1)[..., 0]
    assert (out == scale16(a)).all() and out[0, :6].tolist() == [0, 0, 1, 1, 127, 255]


def test_16bit_tiff_gray_rgb_planar_bigendian(tmp_path):
    g, c = rand(8, 9, dtype=np.uint16, hi=65536), rand(8, 9, 3, dtype=np.uint16, hi=65536)
    tifffile.imwrite(tmp_path/'g.tif', g)
    tifffile.imwrite(tmp_path/'be.tiff', g, byteorder='>')
    tifffile.imwrite(tmp_path/'c.tif', c, photometric='rgb')
    tifffile.imwrite(tmp_path/'planar.tif', np.moveaxis(c, -1, 0), photometric='rgb', planarconfig='separate')
    Image.fromarray(g).save(tmp_path/'pil.tif')
    for f in ('g.tif', 'be.tiff', 'pil.tif'): assert (load_image(tmp_path/f, 1)[..., 0] == scale16(g)).all(), f
    for f in ('c.tif', 'planar.tif'): assert (load_image(tmp_path/f) == scale16(c)).all(), f


def test_float_and_int32_tiff(tmp_path):
    f = RNG.normal(size=(6, 7)).astype(np.float32); f[0, 0] = np.nan
    tifffile.imwrite(tmp_path/'f32.tif', f)
    tifffile.imwrite(tmp_path/'f64.tif', f.astype(np.float64))
    fin = np.where(np.isnan(f), np.nanmin(f), f)
    for name in ('f32.tif', 'f64.tif'): assert (load_image(tmp_path/name, 1)[..., 0] == minmax(fin)).all()
    i = rand(6, 7, dtype=np.int32, hi=65536)
    Image.fromarray(i).save(tmp_path/'i32.tif')                        # Pillow mode 'I' in 0..65535: 16-bit scale
    assert (load_image(tmp_path/'i32.tif', 1)[..., 0] == scale16(i)).all()
    s = (rand(6, 7, dtype=np.int32, hi=2000) - 1000).astype(np.int16)       # signed: min–max
    tifffile.imwrite(tmp_path/'s16.tif', s)
    assert (load_image(tmp_path/'s16.tif', 1)[..., 0] == minmax(s)).all()


def test_tiff_that_only_pillow_decodes(tmp_path):
    rgb = rand(10, 12, 3)                            # LZW needs imagecodecs in tifffile; Pillow reads it
    Image.fromarray(rgb).save(tmp_path/'lzw.tif', compression='tiff_lzw')
    assert (load_image(tmp_path/'lzw.tif') == rgb).all()


# ---------------------------------------------------------------- DICOM
def test_dicom_monochrome2_minmax_and_monochrome1_inverted(tmp_path):
    a = np.array([[0, 100, 200, 4095], [7, 8, 9, 10]], np.uint16)
    m2 = write_dicom(tmp_path/'m2.dcm', a, bits_stored=12)
    m1 = write_dicom(tmp_path/'m1.dcm', a, bits_stored=12, photometric='MONOCHROME1')
    assert read_dicom(m2).dtype == np.uint8 and (read_dicom(m2) == minmax(a)).all()
    assert (read_dicom(m1) == 255 - minmax(a)).all()
    assert (load_image(m1, channels=1)[..., 0] == 255 - minmax(a)).all()
    assert load_image(m2).shape == (2, 4, 3)


def test_dicom_rescale_and_window(tmp_path):
    a = np.array([[0, 824, 1024, 1124, 1224, 4095]], np.uint16)   # slope 1, intercept -1024 -> HU -1024 … 3071
    hu = a.astype(float) - 1024
    p = write_dicom(tmp_path/'ct.dcm', a, bits_stored=12, slope=1, intercept=-1024, center=[0, 40], width=[400, 80])
    want = np.round(np.clip((hu - (0 - 0.5)) / (400 - 1) + 0.5, 0, 1) * 255)   # first window: C=0, W=400
    assert (read_dicom(p) == want).all() and read_dicom(p)[0].tolist()[:2] == [0, 0] and read_dicom(p)[0, -1] == 255
    p2 = write_dicom(tmp_path/'slope.dcm', a, bits_stored=12, slope=2, intercept=-1000)   # no window: min–max of HU
    assert (read_dicom(p2) == minmax(a * 2.0 - 1000)).all()
    p3 = write_dicom(tmp_path/'exact.dcm', a, bits_stored=12, intercept=-1024, center=0, width=400,
                     voi_function='LINEAR_EXACT')
    assert (read_dicom(p3) == np.round(np.clip(hu / 400 + 0.5, 0, 1) * 255)).all()
    s = np.array([[-1000, 0, 50, 1000]], np.int16)
    assert (read_dicom(write_dicom(tmp_path/'signed.dcm', s, signed=True)) == minmax(s)).all()


def test_dicom_color_no_preamble_and_magic_without_suffix(tmp_path):
    rgb = rand(5, 6, 3)
    p = write_dicom(tmp_path/'rgb.dcm', rgb, photometric='RGB')
    assert (read_dicom(p) == rgb).all() and (load_image(p) == rgb).all()
    a = rand(4, 4, dtype=np.uint16, hi=4096)
    raw = write_dicom(tmp_path/'raw.dcm', a, bits_stored=12, preamble=False)
    assert open(raw, 'rb').read(132)[128:132] != b'DICM' and (read_dicom(raw) == minmax(a)).all()
    shutil.copy(write_dicom(tmp_path/'x.dcm', a, bits_stored=12), tmp_path/'IM0001')   # PACS-style name, no suffix
    assert (load_image(tmp_path/'IM0001', 1)[..., 0] == minmax(a)).all()


def test_bundled_real_dicoms():
    import pydicom
    ct_path = get_testdata_file('CT_small.dcm', download=False)
    ct, ds = read_dicom(ct_path), pydicom.dcmread(ct_path)
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)   # no window stored: min–max
    assert ct.shape == (128, 128) and (ct == minmax(hu)).all()
    mr_path = get_testdata_file('MR_small.dcm', download=False)
    mr, ds = read_dicom(mr_path), pydicom.dcmread(mr_path)
    c, w = float(ds.WindowCenter), float(ds.WindowWidth)
    want = np.round(np.clip((ds.pixel_array - (c - 0.5)) / (w - 1) + 0.5, 0, 1) * 255)
    assert mr.shape == (64, 64) and (mr == want).all()
    assert load_image(mr_path).shape == (64, 64, 3)


# ---------------------------------------------------------------- bad files -> DataError naming the file
def test_corrupt_truncated_missing(tmp_path):
    (tmp_path/'noise.png').write_bytes(RNG.bytes(300))
    Image.fromarray(rand(32, 32, 3)).save(tmp_path/'full.png')
    (tmp_path/'trunc.png').write_bytes((tmp_path/'full.png').read_bytes()[:-200])
    with pytest.raises(DataError, match='noise.png'): load_image(tmp_path/'noise.png')
    with pytest.raises(DataError, match="trunc.png.*truncated.*on_error='skip'"): load_image(tmp_path/'trunc.png')
    with pytest.raises(DataError, match='missing.png.*not found'): load_image(tmp_path/'missing.png')
    with pytest.raises(DataError, match='folder'): load_image(tmp_path)
    (tmp_path/'empty.jpg').write_bytes(b'')
    with pytest.raises(DataError, match='empty.jpg'): load_image(tmp_path/'empty.jpg')


def test_unreadable_dicoms(tmp_path):
    (tmp_path/'junk.dcm').write_bytes(b'\0' * 128 + b'DICM' + RNG.bytes(200))
    with pytest.raises(DataError, match='junk.dcm'): load_image(tmp_path/'junk.dcm')
    good = write_dicom(tmp_path/'good.dcm', rand(16, 16, dtype=np.uint16, hi=4096), bits_stored=12).read_bytes()
    (tmp_path/'cut.dcm').write_bytes(good[:-100])                     # pixel data shorter than Rows×Columns
    with pytest.raises(DataError, match='cut.dcm'): read_dicom(tmp_path/'cut.dcm')
    with pytest.raises(DataError, match='rtplan.dcm.*no pixel data'):
        load_image(get_testdata_file('rtplan.dcm', download=False))
    with pytest.raises(DataError, match='rtdose.dcm.*multi-frame'):
        load_image(get_testdata_file('rtdose.dcm', download=False))


def test_decompression_bomb_is_data_error(tmp_path, monkeypatch):
    Image.fromarray(rand(64, 64, 3)).save(tmp_path/'big.png')
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 1000)             # 4096 px > limit: warning -> DataError
    with pytest.raises(DataError, match='big.png.*too large'): load_image(tmp_path/'big.png')
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 100)              # > 2× limit: Pillow's own error
    with pytest.raises(DataError, match='big.png.*too large'): load_image(tmp_path/'big.png')
    tifffile.imwrite(tmp_path/'big.tif', rand(64, 64, dtype=np.uint16, hi=65536))   # tifffile path: same guard
    with pytest.raises(DataError, match='big.tif.*too large'): load_image(tmp_path/'big.tif')


# ---------------------------------------------------------------- HDF5
@pytest.fixture
def pcam(tmp_path):
    x, y = rand(6, 5, 5, 3), np.array([0, 1, 1, 0, 1, 0], np.uint8)
    with h5py.File(tmp_path/'x.h5', 'w') as f: f.create_dataset('x', data=x, chunks=(1, 5, 5, 3))
    with h5py.File(tmp_path/'y.h5', 'w') as f: f['y'] = y.reshape(6, 1, 1, 1)      # PCam's label shape
    with h5py.File(tmp_path/'both.h5', 'w') as f: f['images'], f['target'] = x, y
    return SimpleNamespace(x=x, y=y, dir=tmp_path)


def test_h5_separate_and_single_file(pcam):
    h5 = H5Images(pcam.dir/'x.h5', pcam.dir/'y.h5')
    assert len(h5) == 6 and h5.labels.dtype == np.int64 and (h5.labels == pcam.y).all()
    assert all((h5[i] == pcam.x[i]).all() for i in range(6)) and (h5[-1] == pcam.x[5]).all()
    assert (h5[1:3] == pcam.x[1:3]).all()
    with pytest.raises(IndexError): h5[6]
    h5b = pickle.loads(pickle.dumps(h5))                                 # handle dropped, reopened on access
    assert (h5b[2] == pcam.x[2]).all()
    h5.close(); assert (h5[0] == pcam.x[0]).all()                       # reopens after close
    one = H5Images(pcam.dir/'both.h5', x_key='images', y_key='target')
    assert (one.labels == pcam.y).all() and (one[3] == pcam.x[3]).all()
    assert H5Images(pcam.dir/'x.h5', y_key=None).labels is None


def test_h5_is_lazy(pcam, monkeypatch):
    "Reading one item must not read the whole image dataset"
    reads = []
    orig = h5py.Dataset.__getitem__
    def spy(self, key, *a, **k):
        reads.append((self.name, key))
        return orig(self, key, *a, **k)
    monkeypatch.setattr(h5py.Dataset, '__getitem__', spy)
    h5 = H5Images(pcam.dir/'x.h5', pcam.dir/'y.h5')
    h5[4]
    assert not any(name == '/x' and key in (Ellipsis, (), slice(None)) for name, key in reads), reads
    assert ('/x', 4) in reads


def test_h5_errors_name_file_and_expectation(pcam):
    d = pcam.dir
    with pytest.raises(DataError, match=r"x\.h5.*'images'.*found: 'x'"): H5Images(d/'x.h5', d/'y.h5', x_key='images')
    with pytest.raises(DataError, match=r"y\.h5.*'label'.*found: 'y'"): H5Images(d/'x.h5', d/'y.h5', y_key='label')
    with pytest.raises(DataError, match=r"x\.h5.*no label dataset named 'y'"): H5Images(d/'x.h5')
    with h5py.File(d/'bad.h5', 'w') as f:
        f['x3'] = rand(6, 5, 5); f['xf'] = pcam.x.astype(np.float32); f['x2'] = rand(6, 5)
        f['y7'] = np.zeros(7, np.uint8); f['yf'] = np.full(6, 0.5); f['y2'] = np.zeros((6, 2), np.uint8)
    H5Images(d/'bad.h5', d/'y.h5', x_key='x3')                        # N×H×W gray is fine
    with pytest.raises(DataError, match=r'bad\.h5.*float32.*uint8'): H5Images(d/'bad.h5', d/'y.h5', x_key='xf')
    with pytest.raises(DataError, match=r'bad\.h5.*\(6, 5\).*N×H×W×3'): H5Images(d/'bad.h5', d/'y.h5', x_key='x2')
    with pytest.raises(DataError, match=r'bad\.h5.*7 labels.*6 images'): H5Images(d/'x.h5', d/'bad.h5', y_key='y7')
    with pytest.raises(DataError, match=r'bad\.h5.*float64.*integer'): H5Images(d/'x.h5', d/'bad.h5', y_key='yf')
    with pytest.raises(DataError, match=r'bad\.h5.*\(6, 2\)'): H5Images(d/'x.h5', d/'bad.h5', y_key='y2')
    (d/'fake.h5').write_bytes(b'not hdf5 at all')
    with pytest.raises(DataError, match=r'fake\.h5.*HDF5'): H5Images(d/'fake.h5')
    with pytest.raises(DataError, match=r'gone\.h5.*not found'): H5Images(d/'gone.h5')


# ---------------------------------------------------------------- read_items
def make_tree(root, classes=('benign', 'malignant'), n=3, size=8, save=lambda a, p: Image.fromarray(a).save(p)):
    for c in classes:
        (root/c).mkdir(parents=True, exist_ok=True)
        for i in range(n): save(rand(size, size, 3), root/c/f'{i}.png')
    return root


def test_read_items_class_folders(tmp_path):
    root = make_tree(tmp_path/'tree', ('b', 'a'), n=2)
    (root/'a'/'sub').mkdir(); Image.fromarray(rand(8, 8, 3)).save(root/'a'/'sub'/'deep.PNG')
    (root/'a'/'readme.txt').write_text('x'); (root/'a'/'.hidden.png').write_bytes(b'x')
    (root/'.cache').mkdir(); Image.fromarray(rand(8, 8, 3)).save(root/'.cache'/'z.png')
    write_dicom(root/'b'/'1.2.840.99', rand(4, 4, dtype=np.uint16, hi=4096), bits_stored=12)  # PACS-style name
    (root/'b'/'1.2.840.98').write_bytes(b'not dicom')
    df = read_items(root)
    assert list(df.columns[:3]) == ['path', 'label', 'split'] and len(df) == 6
    assert df.path.str.endswith('1.2.840.99').sum() == 1
    assert sorted(df.label.unique()) == ['a', 'b'] and df.split.isna().all()
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in df.path)


def test_read_items_train_valid_layout(tmp_path):
    make_tree(tmp_path/'t'/'train', n=2); make_tree(tmp_path/'t'/'valid', n=1)
    df = read_items(tmp_path/'t')
    assert len(df) == 6 and (df.split == 'train').sum() == 4 and (df.split == 'valid').sum() == 2


def test_read_items_csv(tmp_path):
    root = make_tree(tmp_path/'d', n=2)
    absolute = str((root/'malignant'/'1.png').resolve())
    table = pd.DataFrame({'path': ['benign/0.png', 'benign/1.png', 'malignant/0.png', absolute],
                          'label': ['benign', 'benign', 'malignant', 'malignant'],
                          'split': ['train', 'Valid', 'val', 'train'], 'factor': [0.1, 0.2, 0.3, 0.4]})
    table.to_csv(root/'labels.csv', index=False)
    for src in (root, root/'labels.csv', str(root/'labels.csv')):
        df = read_items(src)
        assert df.split.tolist() == ['train', 'valid', 'valid', 'train'] and df.factor.tolist() == [.1, .2, .3, .4]
        assert df.path.tolist()[3] == absolute and all(Path(p).is_file() for p in df.path)
    table.drop(columns='split').to_csv(tmp_path/'elsewhere.csv', index=False)   # relative to the CSV's folder
    with pytest.raises(DataError, match=r"elsewhere\.csv.*3 of 4 rows.*benign/0\.png"): read_items(tmp_path/'elsewhere.csv')


def test_read_items_csv_errors(tmp_path):
    root = make_tree(tmp_path/'d', n=2)
    pd.DataFrame({'file': ['benign/0.png'], 'label': ['benign']}).to_csv(tmp_path/'cols.csv', index=False)
    with pytest.raises(DataError, match=r"cols\.csv.*missing column.*'path'.*found: \['file', 'label'\]"):
        read_items(tmp_path/'cols.csv')
    rows = {'path': ['benign/0.png', 'benign/9.png', 'malignant/0.png', 'malignant/8.png', 'malignant/1.png'],
            'label': ['benign', 'benign', 'malignant', 'malignant', 'malignant']}
    pd.DataFrame(rows).to_csv(root/'labels.csv', index=False)
    with pytest.raises(DataError, match=r"labels\.csv.*2 of 5 rows.*9\.png.*8\.png.*on_error='skip'"): read_items(root)
    with pytest.warns(UserWarning, match='skipped 2 rows'): df = read_items(root, on_error='skip')
    assert len(df) == 3 and not df.path.str.contains('9.png').any()
    pd.DataFrame({**rows, 'split': ['train', 'test', 'valid', 'train', 'train']}).to_csv(tmp_path/'d'/'s.csv', index=False)
    with pytest.raises(DataError, match=r"s\.csv.*split.*'test'"): read_items(tmp_path/'d'/'s.csv', on_error='skip')
    with pytest.raises(DataError, match='on_error'): read_items(root, on_error='ignore')


def test_read_items_empty_single_class_missing(tmp_path):
    (tmp_path/'empty').mkdir()
    with pytest.raises(DataError, match=r'empty.*no images found'): read_items(tmp_path/'empty')
    make_tree(tmp_path/'one', ('cats',))
    with pytest.raises(DataError, match=r"found only class 'cats' in .*one; need at least two classes"):
        read_items(tmp_path/'one')
    with pytest.raises(DataError, match=r'nowhere.*no such file'): read_items(tmp_path/'nowhere')
    (tmp_path/'x.txt').write_text('hi')
    with pytest.raises(DataError, match=r'x\.txt.*not a folder or a \.csv'): read_items(tmp_path/'x.txt')


# ---------------------------------------------------------------- image_dataloaders
def check_batch(dls, channels, size, vocab, bs=None):
    from fastai.torch_core import TensorImage, TensorCategory
    x, y = dls.one_batch()
    assert isinstance(x, TensorImage) and isinstance(y, TensorCategory)
    assert x.dtype == np.float32 or str(x.dtype) == 'torch.float32'
    assert x.shape[1:] == (channels, size, size) and (bs is None or x.shape[0] == bs)
    assert 0 <= float(x.min()) and float(x.max()) <= 1 and float(x.max()) > 0.5
    assert list(dls.vocab) == vocab and dls.c == len(vocab)
    return x, y


def test_dataloaders_class_folder_rgb_and_gray(tmp_path):
    root = make_tree(tmp_path/'t', ('b', 'a', 'c'), n=5, size=12)
    check_batch(image_dataloaders(root, size=16, bs=4, device='cpu'), 3, 16, ['a', 'b', 'c'], bs=4)
    x, _ = check_batch(image_dataloaders(root, channels=1, size=8, bs=4, device='cpu'), 1, 8, ['a', 'b', 'c'])
    from fastai.torch_core import TensorImageBW
    assert isinstance(x, TensorImageBW)
    dls = image_dataloaders(root, valid_pct=0.4, seed=1, device='cpu')
    assert len(dls.train_ds) == 9 and len(dls.valid_ds) == 6


def test_dataloaders_mixed_formats_exact_pixels(tmp_path):
    "16-bit PNG, DICOM and RGBA PNG in one tree; size equal to the file size, so pixels arrive unchanged"
    g = rand(8, 8, dtype=np.uint16, hi=65536)
    (tmp_path/'t'/'x').mkdir(parents=True); (tmp_path/'t'/'y').mkdir()
    Image.fromarray(g).save(tmp_path/'t'/'x'/'a.png')
    write_dicom(tmp_path/'t'/'y'/'b.dcm', g, bits_stored=16)
    dls = image_dataloaders(tmp_path/'t', channels=1, size=8, bs=2, valid_pct=0.5, device='cpu')
    x, y = dls.valid.one_batch()
    want = {'x': scale16(g), 'y': minmax(g)}[dls.vocab[int(y[0])]]
    assert (np.round(x[0, 0].numpy() * 255).astype(np.uint8) == want).all()


def test_dataloaders_csv_split_respected(tmp_path):
    root = make_tree(tmp_path/'d', n=4)
    files = sorted(str(p.relative_to(root)) for p in root.rglob('*.png'))
    split = ['valid' if i % 4 == 0 else 'train' for i in range(len(files))]
    pd.DataFrame({'path': files, 'label': [f.split('/')[0] for f in files], 'split': split}).to_csv(root/'labels.csv', index=False)
    dls = image_dataloaders(root, size=8, bs=2, device='cpu')
    valid = sorted(str(root.resolve()/f) for f, s in zip(files, split) if s == 'valid')
    assert sorted(dls.valid.items['path']) == valid and len(dls.train_ds) == 6
    check_batch(dls, 3, 8, ['benign', 'malignant'])


def test_dataloaders_hdf5_sources(pcam):
    for src in ((pcam.dir/'x.h5', pcam.dir/'y.h5'), H5Images(pcam.dir/'both.h5', x_key='images', y_key='target')):
        dls = image_dataloaders(src, size=5, bs=3, valid_pct=0.34, device='cpu')
        x, _ = check_batch(dls, 3, 5, ['0', '1'], bs=3)
        assert len(dls.valid_ds) == 2
    with h5py.File(pcam.dir/'pcam.h5', 'w') as f: f['x'], f['y'] = pcam.x, pcam.y.reshape(6, 1, 1, 1)
    check_batch(image_dataloaders(str(pcam.dir/'pcam.h5'), channels=1, size=4, bs=2, device='cpu'), 1, 4, ['0', '1'])


def test_dataloaders_hdf5_num_workers(pcam):
    dls = image_dataloaders((pcam.dir/'x.h5', pcam.dir/'y.h5'), size=5, bs=2, num_workers=2, device='cpu')
    assert dls.train.fake_l.num_workers == 2
    batches = list(dls.train)                                          # items read in forked workers
    assert sum(len(b[0]) for b in batches) == 4


def test_dataloaders_imageset_like():
    n = 12
    ds = SimpleNamespace(images=rand(n, 6, 6, 1), labels=np.arange(n) % 2, classes=['normal', 'OA'],
                         split=np.array(['valid' if i < 3 else 'train' for i in range(n)]), name='toy')
    dls = image_dataloaders(ds, channels=1, size=6, bs=3, device='cpu')
    assert list(dls.vocab) == ['normal', 'OA'] and len(dls.valid_ds) == 3    # ImageSet.classes order kept
    x, y = dls.valid.one_batch()
    assert (np.round(x[:, 0].numpy() * 255).astype(np.uint8) == ds.images[:3, ..., 0]).all()
    assert y.tolist() == [0, 1, 0]
    check_batch(image_dataloaders(ds, channels=3, size=6, device='cpu'), 3, 6, ['normal', 'OA'])
    ds.labels = ds.labels + 1
    with pytest.raises(DataError, match=r'toy.*labels must index'): image_dataloaders(ds)
    ds.labels = np.zeros(n, int)
    with pytest.raises(DataError, match=r"found only class 'normal' in toy"): image_dataloaders(ds)


def test_dataloaders_bad_files_skip_or_raise(tmp_path):
    root = make_tree(tmp_path/'t', n=4)
    (root/'benign'/'broken.png').write_bytes(b'\x89PNG\r\n\x1a\n' + b'\0' * 20)
    (root/'malignant'/'zz.dcm').write_bytes(b'garbage')
    with pytest.raises(DataError, match=r'2 of 10 images.*broken\.png.*zz\.dcm'): image_dataloaders(root, device='cpu')
    with pytest.warns(UserWarning, match=r'skipped 2 of 10 .*broken\.png'):
        dls = image_dataloaders(root, on_error='skip', size=8, device='cpu')
    assert len(dls.train_ds) + len(dls.valid_ds) == 8
    shutil.rmtree(root/'malignant')
    with pytest.raises(DataError, match="found only class 'benign'"): image_dataloaders(root, on_error='skip')


def test_dataloaders_arguments_and_seed(tmp_path):
    root = make_tree(tmp_path/'t', n=6)
    for kw, word in [(dict(channels=2), 'channels'), (dict(on_error='x'), 'on_error'),
                     (dict(augment='rotate'), 'augment'), (dict(valid_pct=1.0), 'valid_pct')]:
        with pytest.raises(DataError, match=word): image_dataloaders(root, **kw)
    a, b, c = (image_dataloaders(root, size=8, bs=4, seed=s, device='cpu') for s in (3, 3, 4))
    assert list(a.valid.items['path']) == list(b.valid.items['path']) != list(c.valid.items['path'])
    assert (a.one_batch()[0] == b.one_batch()[0]).all()
    for aug in ('flip', 'dihedral'):
        dls = image_dataloaders(root, size=8, bs=4, augment=aug, device='cpu')
        check_batch(dls, 3, 8, ['benign', 'malignant'])
        assert type(dls.after_batch[-1]).__name__ == {'flip': 'Flip', 'dihedral': 'Dihedral'}[aug]
