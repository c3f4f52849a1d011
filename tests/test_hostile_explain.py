"""The explaining commands against a hostile but realistic user: damaged or hand-edited direction folders, artifacts
that do not belong together, and numbers outside what a command can use. Every case asserts exit status 2, a
message naming the file or flag (and the field), no traceback and no output folder."""
import json, shutil
from pathlib import Path
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file, load_file

from latent_explain.cli import main
from latent_explain.datasets import synth_histology
from latent_explain.inversion import train_encoder, save_encoder
from latent_explain.stylegan import save_generator
from latent_explain.test_utils import tiny_generator
from test_hostile_cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A 16 px generator, its encoder, a classifier of histology tiles, a direction fitted for both, and a tile"
    d = tmp_path_factory.mktemp('hostile_explain')
    G = tiny_generator()
    save_generator(G, d / 'gan')
    save_encoder(train_encoder(G, steps=5, batch=4, progress=False), d / 'enc')
    assert main(['data', 'synth-histology', '--n', '24', '--size', '16', '--seed', '1', '--out', str(d / 'histo'),
                 '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(d / 'clf')]) == 0
    assert main(['fit-direction', '--gan', str(d / 'gan'), '--clf', str(d / 'clf'), '--n', '64', '--out', str(d / 'dir')]) == 0
    Image.fromarray(synth_histology(n=1, size=16, seed=5).images[0]).save(d / 'tile.png')
    return d


def explain(work, direction, out, capsys, *extra, clf=None):
    return cli('explain', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', clf or work / 'clf',
               '--direction', direction, '--out', out, *extra, capsys=capsys)


CONFIG_DAMAGE = [   # (field, value, what the message names)
    ('scale', float('nan'), 'scale'), ('scale', -1.0, 'scale'), ('scale', 0.0, 'scale'), ('scale', '2.5', 'scale'),
    ('scale', 1e300, 'scale'), ('scale', True, 'scale'), ('scale', None, 'scale'),
    ('target', 'tumour', 'target'), ('target', -1, 'target'), ('target', 2, 'target'), ('target', 1.5, 'target'),
    ('target', True, 'target'), ('target', None, 'target'),
    ('method', 'pca', 'method'), ('method', None, 'method'), ('method', 7, 'method'),
    ('space', 'z', 'space'), ('space', 'pixel', 'space'), ('space', None, 'space'),
    ('classes', 'normal,tumour', 'classes'), ('classes', [0, 1], 'classes'), ('classes', ['only'], 'classes'),
    ('k', 3, 'k=3'), ('generator', 5, 'generator'), ('classifier', ['x'], 'classifier'),
]


@pytest.mark.parametrize('field,value,says', CONFIG_DAMAGE, ids=[f"{f}={v!r}" for f, v, _ in CONFIG_DAMAGE])
def test_damaged_direction_config(work, tmp_path, capsys, field, value, says):
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    cfg = json.loads((dirn / 'config.json').read_text())
    cfg[field] = value
    (dirn / 'config.json').write_text(json.dumps(cfg))
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'config.json' in err and says in err, err
    assert not (tmp_path / 'out').exists()


def test_direction_without_a_field(work, tmp_path, capsys):
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    cfg = json.loads((dirn / 'config.json').read_text())
    for field in ('method', 'space', 'scale', 'target'):
        c = {k: v for k, v in cfg.items() if k != field}
        (dirn / 'config.json').write_text(json.dumps(c))
        rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
        assert rc == 2 and field in err, (field, err)
    assert not (tmp_path / 'out').exists()


def _vectors(dirn):
    return load_file(str(dirn / 'direction.safetensors'))['vectors']


VECTOR_DAMAGE = [   # (how the vectors are damaged, what the message names)
    (lambda v: torch.zeros_like(v), 'unit length'), (lambda v: v * 2, 'unit length'),
    (lambda v: torch.full_like(v, float('nan')), 'NaN'), (lambda v: torch.full_like(v, float('inf')), 'NaN or infinite'),
    (lambda v: v[:, :-1] / v[:, :-1].norm(dim=1, keepdim=True), 'dimensions'), (lambda v: v[0], 'shape'),
    (lambda v: v[None], 'shape'), (lambda v: torch.zeros(0), 'shape'),
]


@pytest.mark.parametrize('damage,says', VECTOR_DAMAGE, ids=['zero', 'not-unit', 'nan', 'inf', 'short', '1-d', '3-d', 'empty'])
def test_damaged_direction_vectors(work, tmp_path, capsys, damage, says):
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    save_file({'vectors': damage(_vectors(dirn)).contiguous()}, str(dirn / 'direction.safetensors'))
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'direction.safetensors' in err and says in err, err
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('content', [b'', b'not safetensors', b'{"vectors": 1}'], ids=['empty', 'text', 'json'])
def test_unreadable_direction_vectors(work, tmp_path, capsys, content):
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    (dirn / 'direction.safetensors').write_bytes(content)
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'direction.safetensors' in err, err
    assert not (tmp_path / 'out').exists()


def test_direction_without_vectors_tensor(work, tmp_path, capsys):
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    save_file({'weights': _vectors(dirn)}, str(dirn / 'direction.safetensors'))
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'direction.safetensors' in err, err


def test_direction_without_generator_fingerprint_is_refused(work, tmp_path, capsys):
    "An empty fingerprint means 'unknown generator': refused, not skipped"
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    cfg = json.loads((dirn / 'config.json').read_text()); cfg['generator'] = ''
    (dirn / 'config.json').write_text(json.dumps(cfg))
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'another generator' in err, err


def test_direction_of_other_classes_is_refused(work, tmp_path, capsys):
    "The direction's target index would name another class of this classifier: refused, naming both class lists"
    clf = shutil.copytree(work / 'clf', tmp_path / 'clf')
    cfg = json.loads((clf / 'config.json').read_text()); cfg['classes'] = ['benign', 'malignant']
    (clf / 'config.json').write_text(json.dumps(cfg))
    rc, _, err = explain(work, work / 'dir', tmp_path / 'out', capsys, clf=clf)
    assert rc == 2 and "'normal', 'tumour'" in err and "'benign', 'malignant'" in err, err
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('alphas', ['-1e300,1e300', '0,101', '-500,0,500'])
def test_alphas_beyond_the_latent_cloud(work, tmp_path, capsys, alphas):
    rc, _, err = explain(work, work / 'dir', tmp_path / 'out', capsys, f'--alphas={alphas}')
    assert rc == 2 and '--alphas' in err and '100' in err, err
    assert not (tmp_path / 'out').exists()


def test_invert_clf_weight_without_steps(work, tmp_path, capsys):
    "A weight that would act in no refinement is refused, not recorded"
    rc, _, err = cli('invert', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', work / 'clf',
                     '--clf-weight', 5, '--steps', 0, '--out', tmp_path / 'inv', capsys=capsys)
    assert rc == 2 and '--clf-weight' in err and '--steps' in err, err
    assert not (tmp_path / 'inv').exists()


@pytest.mark.parametrize('command', ['fit-direction', 'train-encoder'])
def test_a_model_is_not_replaced_silently(work, tmp_path, capsys, command):
    "Into a folder holding a model of its kind: refused without --overwrite; with it, the old model's record goes too"
    folder = shutil.copytree(work / ('dir' if command == 'fit-direction' else 'enc'), tmp_path / 'model')
    (folder / 'provenance.json').write_text('{"trained": "for the old model"}')
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    args = (command, '--gan', work / 'gan', '--out', folder) + (
        ('--clf', work / 'clf', '--n', 64, '--seed', 1) if command == 'fit-direction'
        else ('--data', work / 'histo', '--steps', 1, '--batch', 2))
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 2 and 'already' in err and '--overwrite' in err, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    rc, _, err = cli(*args, '--overwrite', capsys=capsys)
    assert rc == 0, err
    weights = 'direction.safetensors' if command == 'fit-direction' else 'encoder.safetensors'
    assert 'provenance.json' not in {p.name for p in folder.iterdir()} and (folder / weights).read_bytes() != before[weights]


def test_overwrite_into_a_users_folder_deletes_nothing(work, tmp_path, capsys):
    "--overwrite into a folder that is not ours adds the artifact beside the user's files; none is removed"
    mine = tmp_path / 'mine'; mine.mkdir()
    (mine / 'provenance.json').write_text('a user file'); (mine / 'samples').mkdir()
    rc, _, err = cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--n', 64, '--out', mine, '--overwrite',
                     capsys=capsys)
    assert rc == 0, err
    assert (mine / 'provenance.json').read_text() == 'a user file' and (mine / 'samples').is_dir()


@pytest.mark.parametrize('command', ['explain', 'invert'])
def test_an_interrupted_folder_stays_ours(work, tmp_path, capsys, monkeypatch, command):
    "Stopped half-way (the second image's write interrupted), the folder says what it is; a plain rerun completes it"
    import latent_explain.explain as explain_mod, latent_explain.inversion as inversion_mod
    mod, name = (explain_mod, 'save_explanation') if command == 'explain' else (inversion_mod, 'save_png')
    imgs = [work / 'tile.png', shutil.copy(work / 'tile.png', tmp_path / 'second.png')]
    out = tmp_path / 'out'
    args = ((command, *imgs, '--gan', work / 'gan', '--encoder', work / 'enc', '--out', out) +
            (('--clf', work / 'clf', '--direction', work / 'dir', '--frames', 3, '--batch', 1) if command == 'explain'
             else ('--steps', 1)))
    real, calls = getattr(mod, name), []
    def interrupted(*a, **kw):
        calls.append(1)
        if len(calls) == 2: raise KeyboardInterrupt   # Ctrl-C between two images
        return real(*a, **kw)
    monkeypatch.setattr(mod, name, interrupted)
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 130, err
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['kind'] == ('explanation' if command == 'explain' else 'inversion') and cfg['complete'] is False
    monkeypatch.setattr(mod, name, real)
    rc, _, err = cli(*args, capsys=capsys)   # no --overwrite: the folder is ours
    assert rc == 0, err
    assert json.loads((out / 'config.json').read_text())['complete'] is True


def test_a_second_invert_is_refused(work, tmp_path, capsys):
    import os
    from latent_explain.core import FolderLock
    out = tmp_path / 'inv'
    with FolderLock(out):   # another invert holds the folder
        rc, _, err = cli('invert', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 1,
                         '--out', out, capsys=capsys)
    assert rc == 2 and f'PID {os.getpid()}' in err, err
    assert not (out / 'config.json').exists()
