"Shared pytest setup: offline model hubs, small writers of test files (DICOM) used by several test modules"
import os
os.environ.setdefault('HF_HUB_OFFLINE', '1')  # tests never reach the network
os.environ.setdefault('TORCH_NUM_THREADS', '1')

import subprocess, sys
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]                      # the repository
EXE = Path(sys.executable).with_name('latent-explain')          # the console script of the venv running the tests


def pytest_collection_modifyitems(items):
    "Tests marked `long` start first: with two workers, a three-minute test started last leaves the other one idle"
    items.sort(key=lambda item: item.get_closest_marker('long') is None)   # stable: the rest keep their order


def run_cli(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    "Run `latent-explain ARGS` as a user does, in a fresh process without network hubs; stdout/stderr captured"
    env = {**os.environ, 'HF_HUB_OFFLINE': '1'}
    return subprocess.run([str(EXE), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def write_dicom(path, pixels, photometric='MONOCHROME2', bits_stored=None, signed=False, slope=None, intercept=None,
                center=None, width=None, voi_function=None, preamble=True):
    """Write a minimal valid single-frame DICOM (explicit VR little endian) holding `pixels` and return its path.

    pixels: uint8/uint16/int16 H×W (grayscale) or uint8 H×W×3 (photometric='RGB')."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid
    pixels = np.ascontiguousarray(pixels)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[str(path)])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Modality = 'OT'
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.SamplesPerPixel = 3 if pixels.ndim == 3 else 1
    if pixels.ndim == 3: ds.PlanarConfiguration = 0
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored or ds.BitsAllocated
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = int(signed)
    if slope is not None: ds.RescaleSlope = slope
    if intercept is not None: ds.RescaleIntercept = intercept
    if center is not None: ds.WindowCenter = center
    if width is not None: ds.WindowWidth = width
    if voi_function is not None: ds.VOILUTFunction = voi_function
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder('<')).tobytes()
    ds.save_as(path, enforce_file_format=preamble)
    return Path(path)


@pytest.fixture(scope='session')
def dicom_writer():
    "The `write_dicom` function (session-scoped so hypothesis tests may use it)"
    return write_dicom
