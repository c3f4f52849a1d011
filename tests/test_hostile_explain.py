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
from test_hostile_cli import cli, snapshot

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


# --- sizes in a config, checked before anything is allocated ------------------------------------------------------

GAN_CONFIG_DAMAGE = [   # (field, value, what the message names): each would allocate terabytes or fail deep inside
    ('z_dim', 10**9, 'z_dim'), ('w_dim', 10**9, 'w_dim'), ('mapping_layers', 10**7, 'mapping_layers'),
    ('channels', {'4': 10**6, '8': 32, '16': 32}, 'channels'), ('d_channels', {'4': 10**6, '8': 32, '16': 32}, 'd_channels'),
    ('img_channels', 2, 'img_channels'), ('img_channels', '3', 'img_channels'), ('res', 48, 'res'), ('res', 2**30, 'res'),
    ('z_dim', 2.5, 'z_dim'), ('z_dim', True, 'z_dim'), ('noise_from', -1, 'noise_from'), ('mbstd_group', 0, 'mbstd_group'),
    ('mbstd_channels', 10**6, 'mbstd_channels'), ('fp16_res', 99, 'fp16_res'), ('noise_init', float('nan'), 'noise_init'),
    ('mapping_lr_mul', -1, 'mapping_lr_mul'), ('conv_clamp', 'high', 'conv_clamp'), ('skip_pad', 'mirror', 'skip_pad'),
    ('output_act', 'relu', 'output_act'),
]


@pytest.mark.parametrize('field,value,says', GAN_CONFIG_DAMAGE, ids=[f"{f}={v!r}"[:40] for f, v, _ in GAN_CONFIG_DAMAGE])
def test_damaged_generator_config(work, tmp_path, capsys, field, value, says):
    gan = shutil.copytree(work / 'gan', tmp_path / 'gan')
    cfg = json.loads((gan / 'config.json').read_text()); cfg[field] = value
    (gan / 'config.json').write_text(json.dumps(cfg))
    rc, _, err = cli('fit-direction', '--gan', gan, '--clf', work / 'clf', '--n', 64, '--out', tmp_path / 'dir', capsys=capsys)
    assert rc == 2 and 'config.json' in err and says in err, err
    assert not (tmp_path / 'dir').exists()


ENCODER_CONFIG_DAMAGE = [
    ('w_dim', 10**9, 'w_dim'), ('w_dim', True, 'w_dim'), ('num_ws', 'ten', 'num_ws'), ('num_ws', 10**6, 'num_ws'),
    ('img_channels', 7, 'img_channels'), ('res', 3, 'res'), ('backbone', 'bogus_net', 'bogus_net'), ('backbone', 5, 'backbone'),
    ('fingerprint', None, 'fingerprint'), ('generator', [], 'generator'),
]


@pytest.mark.parametrize('field,value,says', ENCODER_CONFIG_DAMAGE, ids=[f"{f}={v!r}" for f, v, _ in ENCODER_CONFIG_DAMAGE])
def test_damaged_encoder_config(work, tmp_path, capsys, field, value, says):
    enc = shutil.copytree(work / 'enc', tmp_path / 'enc')
    cfg = json.loads((enc / 'config.json').read_text()); cfg[field] = value
    (enc / 'config.json').write_text(json.dumps(cfg))
    rc, _, err = cli('invert', work / 'tile.png', '--gan', work / 'gan', '--encoder', enc, '--steps', 0,
                     '--out', tmp_path / 'inv', capsys=capsys)
    assert rc == 2 and 'config.json' in err and says in err, err
    assert not (tmp_path / 'inv').exists()


def test_encoder_config_missing_a_field(work, tmp_path, capsys):
    enc = shutil.copytree(work / 'enc', tmp_path / 'enc')
    cfg = json.loads((enc / 'config.json').read_text())
    for field in ('backbone', 'img_channels', 'res', 'num_ws', 'w_dim'):
        (enc / 'config.json').write_text(json.dumps({k: v for k, v in cfg.items() if k != field}))
        rc, _, err = cli('invert', work / 'tile.png', '--gan', work / 'gan', '--encoder', enc, '--steps', 0,
                         '--out', tmp_path / 'inv', capsys=capsys)
        assert rc == 2 and field in err, (field, err)
    assert not (tmp_path / 'inv').exists()


# --- artifacts of another kind of image ---------------------------------------------------------------------------

@pytest.fixture(scope='module')
def gray(tmp_path_factory):
    "A grayscale knee dataset at 32 px, a 16 px classifier of it and one knee: the wrong kind for the RGB test generator"
    d = tmp_path_factory.mktemp('gray')
    assert main(['data', 'synth-knee', '--n', '24', '--size', '32', '--seed', '1', '--out', str(d / 'knees'), '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'knees'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(d / 'clf')]) == 0
    shutil.copy(next((d / 'knees').rglob('0*.png')), d / 'knee.png')
    return d


def _commands_with_clf(work, out, clf):
    return {
        'invert': ('invert', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', clf, '--steps', 1, '--out', out),
        'train-encoder': ('train-encoder', '--gan', work / 'gan', '--data', work / 'histo', '--clf', clf, '--steps', 1, '--batch', 2, '--out', out),
        'fit-direction': ('fit-direction', '--gan', work / 'gan', '--clf', clf, '--n', 64, '--out', out),
        'explain': ('explain', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', clf,
                    '--direction', work / 'dir', '--out', out),
        'evaluate': ('evaluate', '--gan', work / 'gan', '--clf', clf, '--data', work / 'histo', '--encoder', work / 'enc',
                     '--json', out / 'r.json'),
    }


@pytest.mark.parametrize('command', ['invert', 'train-encoder', 'fit-direction', 'explain', 'evaluate'])
def test_grayscale_classifier_on_a_colour_generator(work, gray, tmp_path, capsys, command):
    "Refused before any work, naming the classifier and the generator"
    out = tmp_path / 'out'
    if command == 'evaluate': out.mkdir()
    rc, _, err = cli(*_commands_with_clf(work, out, gray / 'clf')[command], capsys=capsys)
    assert rc == 2 and str(gray / 'clf') in err and 'grayscale' in err and str(work / 'gan') in err, err
    assert not (out / 'config.json').exists() and not (out / 'r.json').exists()


@pytest.mark.parametrize('command', ['invert', 'train-encoder', 'explain', 'evaluate'])
def test_grayscale_images_for_a_colour_generator(work, gray, tmp_path, capsys, command):
    out = tmp_path / 'out'
    args = {'invert': ('invert', gray / 'knee.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 1, '--out', out),
            'train-encoder': ('train-encoder', '--gan', work / 'gan', '--data', gray / 'knees', '--steps', 1, '--batch', 2, '--out', out),
            'explain': ('explain', gray / 'knee.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', work / 'clf',
                        '--direction', work / 'dir', '--out', out),
            'evaluate': ('evaluate', '--gan', work / 'gan', '--clf', work / 'clf', '--data', gray / 'knees',
                         '--encoder', work / 'enc', '--json', tmp_path / 'r.json')}[command]
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 2 and 'grayscale' in err and '.png' in err, err
    assert not out.exists() and not (tmp_path / 'r.json').exists()


# --- encoder backbones, tiny images, replaced inversions, a second train-demo, shadowed bundled names ---------------

@pytest.mark.parametrize('backbone,says', [('bogus_net', 'not a timm model'), ('', 'not a timm model'),
                                           ('vit_tiny_patch16_224', "can't read 16 px")])
def test_encoder_backbone_refused_before_the_data_is_read(work, tmp_path, capsys, monkeypatch, backbone, says):
    import latent_explain.inversion as inv
    monkeypatch.setattr(inv, 'read_image_folder', lambda *a, **k: pytest.fail('the data was read before the backbone was checked'))
    rc, _, err = cli('train-encoder', '--gan', work / 'gan', '--data', work / 'histo', '--backbone', backbone,
                     '--steps', 1, '--out', tmp_path / 'enc', capsys=capsys)
    assert rc == 2 and '--backbone' in err and says in err, err
    assert not (tmp_path / 'enc').exists()


@pytest.mark.parametrize('command', ['invert', 'explain'])
@pytest.mark.parametrize('size', [(1, 1), (3, 2), (7, 40)])
def test_images_too_small_to_reconstruct(work, tmp_path, capsys, command, size):
    Image.new('RGB', size, (200, 120, 160)).save(tmp_path / 'speck.png')
    out = tmp_path / 'out'
    args = (command, tmp_path / 'speck.png', '--gan', work / 'gan', '--encoder', work / 'enc', '--out', out) + (
        ('--clf', work / 'clf', '--direction', work / 'dir') if command == 'explain' else ('--steps', 1))
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 2 and 'speck.png' in err and f'{size[0]}×{size[1]} px' in err and '8×8' in err, err
    assert not (out / 'config.json').exists() or not json.loads((out / 'config.json').read_text())['complete']


def test_too_small_image_skipped_on_request(work, tmp_path, capsys):
    Image.new('RGB', (2, 2)).save(tmp_path / 'speck.png')
    rc, _, err = cli('invert', tmp_path / 'speck.png', work / 'tile.png', '--gan', work / 'gan', '--encoder', work / 'enc',
                     '--steps', 0, '--skip-bad', '--out', tmp_path / 'inv', capsys=capsys)
    assert rc == 0 and 'speck.png' in err, err
    assert set(json.loads((tmp_path / 'inv' / 'metrics.json').read_text())) == {'tile'}


def test_an_inversion_is_not_replaced_silently(work, tmp_path, capsys):
    "A finished inversion folder is refused without --overwrite; with it, the old run's reconstructions go too"
    other = shutil.copy(work / 'tile.png', tmp_path / 'other.png')
    out = tmp_path / 'inv'
    base = ('--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 0, '--out', out)
    assert cli('invert', other, *base, capsys=capsys)[0] == 0
    before = snapshot(out)
    rc, _, err = cli('invert', work / 'tile.png', *base, capsys=capsys)
    assert rc == 2 and 'already' in err and '--overwrite' in err, err
    assert snapshot(out) == before
    assert cli('invert', work / 'tile.png', *base, '--overwrite', capsys=capsys)[0] == 0
    assert {p.name for p in out.iterdir()} >= {'tile_recon.png'} and not (out / 'other_recon.png').exists()
    assert set(json.loads((out / 'metrics.json').read_text())) == {'tile'}


def test_a_second_train_demo_is_refused(tmp_path, capsys):
    import os
    from latent_explain.core import FolderLock
    out = tmp_path / 'models'
    with FolderLock(out):
        rc, _, err = cli('train-demo', '--only', 'demo', '--scale', 0.0001, '--out', out, capsys=capsys)
    assert rc == 2 and f'PID {os.getpid()}' in err, err
    assert not (out / 'work').exists()


def test_a_local_folder_named_like_a_bundled_generator(work, tmp_path, capsys, monkeypatch):
    "The local folder is used (the user may mean it), and the message says that it hid the bundled model"
    monkeypatch.chdir(tmp_path); (tmp_path / 'knee64').mkdir(); (tmp_path / 'knee64' / 'notes.txt').write_text('mine')
    rc, _, err = cli('fit-direction', '--gan', 'knee64', '--clf', work / 'clf', '--n', 64, '--out', tmp_path / 'dir', capsys=capsys)
    assert rc == 2 and 'bundled generator' in err and str(tmp_path / 'knee64') in err, err
    assert not (tmp_path / 'dir').exists()


def test_the_direction_is_checked_before_the_models_are_loaded(work, tmp_path, capsys, monkeypatch):
    import latent_explain.explain as ex
    monkeypatch.setattr(ex, 'load_gan', lambda *a, **k: pytest.fail('the generator was loaded before the direction was checked'))
    dirn = shutil.copytree(work / 'dir', tmp_path / 'dir')
    save_file({'vectors': torch.zeros_like(_vectors(dirn))}, str(dirn / 'direction.safetensors'))
    rc, _, err = explain(work, dirn, tmp_path / 'out', capsys)
    assert rc == 2 and 'unit length' in err, err


@pytest.mark.parametrize('flag,value', [('--max-delta-p', 2), ('--max-delta-p', -0.1), ('--max-delta-p', 'nan'),
                                        ('--repair-steps', -1), ('--repair-steps', 1.5), ('--repair-steps', 10**9)])
def test_verdict_flags_out_of_range(work, tmp_path, capsys, flag, value):
    rc, _, err = explain(work, work / 'dir', tmp_path / 'out', capsys, flag, value)
    assert rc == 2 and flag in err, err
    assert not (tmp_path / 'out').exists()
