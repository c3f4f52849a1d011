"Fuzzing load_image: random bytes, truncated and bit-flipped files of every format; only DataError may escape"
import io, os, tempfile
from pathlib import Path

import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from conftest import write_dicom
from latent_explain.data import DataError, load_image

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
SUFFIXES = ['.png', '.jpg', '.bmp', '.tif', '.dcm', '']


def _valid_files() -> dict[str, bytes]:
    "One small valid file per format, as bytes"
    rng = np.random.default_rng(0)
    rgb, g16 = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8), rng.integers(0, 65536, (12, 10), dtype=np.uint16)
    out = {}
    for name, img, kw in [('rgb.png', Image.fromarray(rgb), {}), ('g16.png', Image.fromarray(g16), {}),
                          ('rgba.png', Image.fromarray(np.dstack([rgb, rgb[..., :1]])), {}),
                          ('a.jpg', Image.fromarray(rgb), dict(quality=90)), ('a.bmp', Image.fromarray(rgb), {}),
                          ('lzw.tif', Image.fromarray(rgb), dict(compression='tiff_lzw'))]:
        buf = io.BytesIO(); img.save(buf, format=Image.registered_extensions()[Path(name).suffix], **kw)
        out[name] = buf.getvalue()
    for name, arr in [('g16.tif', g16), ('f32.tif', g16.astype(np.float32)), ('rgb16.tif', np.dstack([g16] * 3))]:
        buf = io.BytesIO(); tifffile.imwrite(buf, arr); out[name] = buf.getvalue()
    with tempfile.TemporaryDirectory() as d:
        out['ct.dcm'] = write_dicom(Path(d)/'ct.dcm', g16 >> 4, bits_stored=12, slope=1, intercept=-1024,
                                    center=40, width=400, photometric='MONOCHROME1').read_bytes()
        out['rgb.dcm'] = write_dicom(Path(d)/'rgb.dcm', rgb, photometric='RGB').read_bytes()
    return out

VALID = _valid_files()


def _load_or_data_error(data: bytes, name: str, channels: int):
    "Write `data` as `name` and read it: must return a uint8 H×W×channels array or raise DataError naming the file"
    with tempfile.TemporaryDirectory() as d:
        p = Path(d)/name
        p.write_bytes(data)
        try: out = load_image(p, channels=channels)
        except DataError as e:
            assert p.name in str(e)
            return None
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[-1] == channels and out.size > 0
        return out


def test_valid_files_all_decode():
    "The fuzz seeds themselves are readable (otherwise the prefix tests prove little)"
    for name, data in VALID.items(): assert _load_or_data_error(data, name, 3) is not None, name


@FUZZ
@given(data=st.binary(min_size=0, max_size=600), suffix=st.sampled_from(SUFFIXES), channels=st.sampled_from([1, 3]))
def test_random_bytes(data, suffix, channels):
    _load_or_data_error(data, 'fuzz' + suffix, channels)


@FUZZ
@given(name=st.sampled_from(sorted(VALID)), frac=st.floats(0, 1, exclude_max=True), channels=st.sampled_from([1, 3]))
def test_truncated_prefixes(name, frac, channels):
    data = VALID[name]
    _load_or_data_error(data[:int(frac * len(data))], name, channels)


@FUZZ
@given(name=st.sampled_from(sorted(VALID)), flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                                                         st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_bytes(name, flips):
    data = bytearray(VALID[name])
    for pos, val in flips: data[int(pos * len(data))] = val
    _load_or_data_error(bytes(data), name, 3)


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(1, 6), st.integers(1, 6), st.sampled_from(['L', 'RGB', 'RGBA', 'LA', 'I;16']), st.data())
def test_lossless_roundtrip_any_mode(h, w, mode, data):
    "PNG in any mode reads back as the documented normalisation of what was written"
    dtype, chans = {'I;16': (np.uint16, 0), 'L': (np.uint8, 0), 'LA': (np.uint8, 2), 'RGB': (np.uint8, 3),
                    'RGBA': (np.uint8, 4)}[mode]
    shape = (h, w, chans) if chans else (h, w)
    a = np.array(data.draw(st.lists(st.integers(0, np.iinfo(dtype).max), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape)))), dtype).reshape(shape)
    buf = io.BytesIO(); Image.fromarray(a).save(buf, format='PNG')
    out = _load_or_data_error(buf.getvalue(), 'x.png', 3)
    if dtype == np.uint16: want = np.round(a / 257).astype(np.uint8)[..., None].repeat(3, -1)
    elif chans in (2, 4):
        c, alpha = a[..., :-1].astype(float), a[..., -1:].astype(float) / 255
        want = np.round(c * alpha + 255 * (1 - alpha)).astype(np.uint8)
        want = want.repeat(3, -1) if chans == 2 else want
    else: want = a[..., None].repeat(3, -1) if chans == 0 else a
    assert (out == want).all()
