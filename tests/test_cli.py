"The `latent-explain` console script, run as a user runs it: in a fresh process."
import os, subprocess, sys
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image

from conftest import run_cli as run

pytestmark = pytest.mark.slow   # every test here starts the console script

def test_help_lists_every_command():
    r = run('--help')
    assert r.returncode == 0
    for cmd in ('data', 'train-classifier', 'predict', 'train-gan', 'generate', 'score-gan'): assert f'\n  {cmd}' in r.stdout
    r = run('data', '--help')
    assert r.returncode == 0 and '--marker-bias' in r.stdout and '--seed' in r.stdout

def test_data_histology_is_deterministic(tmp_path):
    r1 = run('data', 'synth-histology', '--n', 40, '--seed', 3, cwd=tmp_path)
    assert r1.returncode == 0, r1.stderr
    csv = tmp_path/'synth-histology'/'labels.csv'
    first = csv.read_bytes()
    r2 = run('data', 'synth-histology', '--n', 40, '--seed', 3, cwd=tmp_path)  # rewrites its own folder
    assert r2.returncode == 0, r2.stderr
    assert csv.read_bytes() == first
    df = pd.read_csv(csv)
    assert list(df.columns[:3]) == ['path', 'label', 'split'] and len(df) == 40
    im = Image.open(tmp_path/'synth-histology'/df.path[0])
    assert im.mode == 'RGB' and im.size == (64, 64)
    assert len(list((tmp_path/'synth-histology'/'masks').glob('*.png'))) == 40

def test_data_knee_marker_bias(tmp_path):
    r = run('data', 'synth-knee', '--n', 200, '--marker-bias', 0.9, '--out', tmp_path/'k')
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(tmp_path/'k'/'labels.csv')
    assert set(df.marker.unique()) <= {0, 1}
    agree = ((df.label == 'OA').astype(int) == df.marker).mean()
    assert 0.8 <= agree <= 0.97, agree
    assert Image.open(tmp_path/'k'/df.path[0]).mode == 'L'

def test_bad_input_exits_2_with_message(tmp_path):
    r = run('data', 'mnist', '--out', tmp_path/'x')
    assert r.returncode == 2 and 'synth-histology' in r.stderr and 'Traceback' not in r.stderr
    (tmp_path/'mine').mkdir(); (tmp_path/'mine'/'notes.txt').write_text('keep')
    r = run('data', 'ihc', '--out', tmp_path/'mine')
    assert r.returncode == 2 and 'mine' in r.stderr
    assert (tmp_path/'mine'/'notes.txt').read_text() == 'keep'

def test_score_gan_bundled_generator(tmp_path):
    "score-gan on a bundled generator by name: one JSON line with the floor beside each score; bad input exits 2"
    import json
    assert run('data', 'synth-histology', '--n', 96, '--seed', 5, '--out', tmp_path/'h', '--no-sheet').returncode == 0
    r = run('score-gan', '--gan', 'histology64', '--data', tmp_path/'h', '--n', 48, '--meters',
            'nuclei_count,nucleus_mean_area', '--threads', 1, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out['gan'] == 'histology64' and out['n'] == 48
    assert {'c2st', 'spread', 'clipped', 'w1_nuclei_count', 'floor_c2st', 'floor_spread', 'floor_clipped',
            'floor_w1_nuclei_count', 'ctrl_nuclei_count'} <= set(out)
    # its nuclei are too small: the area's distribution is further from the reals than real is from real. With 48
    # images a side the floor itself is noisy: the ratio was 1.3-7.3 over 3 data seeds × 3 sampling seeds
    assert out['w1_nucleus_mean_area'] > out['floor_w1_nucleus_mean_area']
    r = run('score-gan', '--gan', 'histology64', '--data', tmp_path/'h', '--meters', 'nuclei', cwd=tmp_path)
    assert r.returncode == 2 and 'nuclei_count' in r.stderr       # an unknown meter names the valid ones
    r = run('score-gan', '--gan', tmp_path/'nothing', '--data', tmp_path/'h', cwd=tmp_path)
    assert r.returncode == 2 and 'nothing' in r.stderr and 'config.json not found' in r.stderr


def test_clf_builder(tmp_path):
    "A classifier saved with builder= (a plain torch module) loads on the command line with --clf-builder, and only then"
    import json, textwrap, torch
    from latent_explain.classifier import Classifier, save_classifier
    (tmp_path / 'tinymodels.py').write_text(textwrap.dedent('''
        import torch.nn as nn
        def tiny():
            return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    '''))
    sys.path.insert(0, str(tmp_path))
    try:
        import tinymodels
        torch.manual_seed(0)
        clf = Classifier.from_module(tinymodels.tiny(), classes=['normal', 'tumour'], input_size=(64, 64), builder=tinymodels.tiny)
        save_classifier(clf, tmp_path / 'clf')
    finally: sys.path.remove(str(tmp_path)); sys.modules.pop('tinymodels', None)
    img = tmp_path / 'tile.png'
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(img)
    r = run('predict', img, '--clf', tmp_path / 'clf', cwd=tmp_path)
    assert r.returncode == 2 and '--clf-builder tinymodels:tiny' in r.stderr, r.stderr   # says how to trust it
    r = run('predict', img, '--clf', tmp_path / 'clf', '--clf-builder', 'nosuchmodule:tiny', cwd=tmp_path)
    assert r.returncode == 2 and "can't import" in r.stderr, r.stderr
    r = run('predict', img, '--clf', tmp_path / 'clf', '--clf-builder', 'tinymodels:tiny', cwd=tmp_path)   # from the working folder
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(__import__('io').StringIO(r.stdout))
    assert list(df.columns) == ['path', 'normal', 'tumour'] and abs(df[['normal', 'tumour']].sum(axis=1)[0] - 1) < 1e-5
    r = run('invert', img, '--gan', 'histology64', '--encoder', 'histology64', '--steps', 0, '--clf', tmp_path / 'clf',
            '--clf-builder', 'tinymodels:tiny', '--out', tmp_path / 'inv', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / 'inv' / 'metrics.json').read_text())
    assert 'delta_p' in json.dumps(m)
