"""Inversion: the encoder's file and its generator check, training, refinement, noise maps, and the `train-encoder`
and `invert` commands (round trips through the written files, and the hostile cases), all on 16 px models."""
import json, math
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from latent_explain.cli import main
from latent_explain.core import ModelError, from_generator_range
from latent_explain.stylegan import save_generator, load_generator
from latent_explain.datasets import synth_histology
from latent_explain.data import back_to_input
from latent_explain.latents import generator_fingerprint, render, noise_layers, load_discriminator
from latent_explain.inversion import (Encoder, train_encoder, encoder_loss, save_encoder, load_encoder, project,
                                      image_metrics, perceptual_distance)
from latent_explain.test_utils import tiny_generator


def tiny_G(seed=0):
    "A 16 px generator whose noise has an effect (a fresh one has zero noise strength)"
    return tiny_generator(seed, noise_strength=0.3)


def cli(*args, capsys):
    try: rc = main([str(a) for a in args])
    except SystemExit as e: rc = e.code
    out, err = capsys.readouterr()
    assert 'Traceback' not in err, err
    return rc, out, err


@pytest.fixture(scope='module')
def G(): return tiny_G()


@pytest.fixture(scope='module')
def enc(G): return train_encoder(G, steps=40, batch=8, lr=3e-3, progress=False)


@pytest.fixture(scope='module')
def work(tmp_path_factory, G, enc):
    "A generator folder, another generator, an encoder for the first, real images and a classifier"
    d = tmp_path_factory.mktemp('inv')
    save_generator(G, d / 'gan'); save_generator(tiny_G(seed=1), d / 'other')
    save_encoder(load_encoder(save_encoder(enc, d / 'enc')), d / 'enc')
    ds = synth_histology(n=24, size=16, seed=3)
    (d / 'imgs').mkdir()
    for i in range(4): Image.fromarray(ds.images[i]).save(d / 'imgs' / f'img{i}.png')
    assert main(['data', 'synth-histology', '--n', '24', '--size', '16', '--seed', '1', '--out', str(d / 'histo'),
                 '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(d / 'clf')]) == 0
    return d


def gen_images(G, n=4, seed=7):
    with torch.no_grad():
        return G.synthesis(G.mapping(torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))),
                           noise_mode='const').clamp(-1, 1)


def test_encoder_round_trip_and_refusal(G, enc, tmp_path):
    p = save_encoder(enc, tmp_path / 'e')
    cfg = json.loads((p / 'config.json').read_text())
    assert cfg['kind'] == 'encoder' and cfg['fingerprint'] == generator_fingerprint(G)
    assert (p / 'encoder.safetensors').stat().st_size < 10e6
    e2, x = load_encoder(p, G), gen_images(G)
    assert torch.allclose(e2(x), enc(x), atol=2e-2)
    with pytest.raises(ModelError, match='not for the other one'): load_encoder(p, tiny_G(seed=1), gan='the other one')


def test_training_reduces_loss(G):
    before = encoder_loss(Encoder.for_generator(G), G)
    after = encoder_loss(train_encoder(G, steps=40, batch=8, lr=3e-3, progress=False), G)
    assert after['w_mse'] < before['w_mse'] and after['l1'] < before['l1']


def test_refinement_beats_encoder_and_mean_improves(G, enc):
    x = gen_images(G)
    alone, refined = project(G, x, encoder=enc, steps=0), project(G, x, encoder=enc, steps=40)
    assert refined.metrics.psnr.median() > alone.metrics.psnr.median()
    mean = project(G, x, init='mean', steps=40, lr=0.1)
    assert np.mean(mean.losses[-3:]) < mean.losses[0]
    assert mean.metrics.psnr.median() > project(G, x, init='mean', steps=0).metrics.psnr.median()


def test_noise_maps_reproduce_recon(G):
    x = gen_images(G, seed=9)
    inv = project(G, x, init='mean', steps=8, noise=True)
    assert len(inv.noise) == len(noise_layers(G)) and all(n.shape[0] == 4 for n in inv.noise)
    with torch.no_grad(): again = render(G, inv.ws, inv.noise).clamp(-1, 1)
    assert torch.equal(again, inv.recon)
    with torch.no_grad(): fixed = render(G, inv.ws).clamp(-1, 1)
    assert not torch.equal(fixed, inv.recon)   # the optimised maps differ from G's own


def test_invert_files_round_trip(work, G, capsys):
    imgs = sorted((work / 'imgs').glob('*.png'))
    out = work / 'inv'
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 5, '--clf', work / 'clf',
                     *imgs, '--out', out, capsys=capsys)
    assert rc == 0, err
    met, lat = json.loads((out / 'metrics.json').read_text()), load_file(str(out / 'latents.safetensors'))
    assert sorted(met) == sorted(lat) == [p.stem for p in imgs]
    assert json.loads((out / 'config.json').read_text())['kind'] == 'inversion'
    for p in imgs:
        orig, png = np.asarray(Image.open(p)), np.asarray(Image.open(out / f'{p.stem}_recon.png'))
        assert png.shape == orig.shape
        assert math.isclose(met[p.stem]['psnr'], image_metrics(orig, png)['psnr'], rel_tol=1e-9)
        assert 0 <= met[p.stem]['delta_p'] <= 1
        with torch.no_grad(): again = back_to_input(from_generator_range(render(G, lat[p.stem][None]).clamp(-1, 1))[0], orig)
        assert np.abs(again.astype(int) - png.astype(int)).max() <= 1


def test_invert_converts_size_and_refuses_grayscale(work, capsys):
    "Another size is resized (and the reconstruction written back at it); a grayscale image for this colour generator is refused"
    a = Image.open(work / 'imgs' / 'img0.png').convert('RGB').resize((20, 20))
    a.save(work / 'rgb20.png'); a.convert('L').save(work / 'gray20.png')
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 2, work / 'rgb20.png',
                     '--out', work / 'inv_20', capsys=capsys)
    assert rc == 0 and 'resized' in err, err
    assert np.asarray(Image.open(work / 'inv_20' / 'rgb20_recon.png')).shape == (20, 20, 3)
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 2, work / 'gray20.png',
                     '--out', work / 'inv_gray', capsys=capsys)
    assert rc == 2 and 'gray20.png' in err and 'grayscale' in err, err


def test_train_encoder_cli(work, capsys):
    rc, out, err = cli('train-encoder', '--gan', work / 'gan', '--data', work / 'histo', '--steps', 3, '--batch', 4,
                       '--clf', work / 'clf', '--out', work / 'enc2', capsys=capsys)
    assert rc == 0, err
    cfg = json.loads((work / 'enc2' / 'config.json').read_text())
    assert cfg['kind'] == 'encoder' and cfg['generator'] == str(work / 'gan')
    load_encoder(work / 'enc2', load_generator(work / 'gan'))


@pytest.mark.parametrize('case,flag', [('nan-steps', '--steps'), ('negative-steps', '--steps'), ('out-a-file', '--out'),
                                       ('no-data', '--data'), ('no-gan', '--gan')])
def test_train_encoder_hostile(work, tmp_path, capsys, case, flag):
    (tmp_path / 'afile').write_text('x')
    out = tmp_path / 'afile' if case == 'out-a-file' else tmp_path / 'enc'
    opts = {'--gan': work / 'gan', '--data': work / 'histo', '--steps': 2,
            **{'nan-steps': {'--steps': 'nan'}, 'negative-steps': {'--steps': -1}, 'out-a-file': {},
               'no-data': {'--data': tmp_path / 'nodata'}, 'no-gan': {'--gan': tmp_path / 'nogan'}}[case]}
    rc, _, err = cli('train-encoder', *[a for kv in opts.items() for a in kv], '--out', out, capsys=capsys)
    assert rc == 2 and flag in err, err
    if case == 'out-a-file': assert out.read_text() == 'x'
    else: assert not out.exists()


def _hostile(work, tmp_path):
    img = work / 'imgs' / 'img0.png'
    (tmp_path / 'bad.png').write_bytes(b'not a png')
    (tmp_path / 'afile').write_text('x')
    base = ['invert', '--gan', work / 'gan', '--encoder', work / 'enc']
    return {
        'wrong-generator': ([*base[:2], work / 'other', *base[3:], img], ['enc', 'other']),
        'empty-list': (base, ['image']),
        'unreadable': ([*base, tmp_path / 'bad.png'], ['bad.png', '--skip-bad']),
        'missing': ([*base, tmp_path / 'nope.png'], ['nope.png']),
        'out-a-file': ([*base, img], ['--out']),
        'nan-steps': ([*base, '--steps', 'nan', img], ['--steps']),
        'negative-steps': ([*base, '--steps', -3, img], ['--steps']),
        'no-encoder': ([*base[:4], tmp_path / 'noenc', img], ['--encoder']),
    }

@pytest.mark.parametrize('case', ['wrong-generator', 'empty-list', 'unreadable', 'missing', 'out-a-file', 'nan-steps',
                                  'negative-steps', 'no-encoder'])
def test_invert_hostile(work, tmp_path, capsys, case):
    args, words = _hostile(work, tmp_path)[case]
    out = tmp_path / 'afile' if case == 'out-a-file' else tmp_path / 'out'
    rc, _, err = cli(*args, '--out', out, capsys=capsys)
    assert rc == 2, err
    for w in words: assert w in err, (w, err)
    if case == 'out-a-file': assert out.read_text() == 'x'
    else: assert not out.exists()


def test_invert_skip_bad(work, tmp_path, capsys):
    (tmp_path / 'bad.png').write_bytes(b'not a png')
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--steps', 1, '--skip-bad',
                     tmp_path / 'bad.png', work / 'imgs' / 'img1.png', '--out', tmp_path / 'o', capsys=capsys)
    assert rc == 0 and 'bad.png' in err
    assert sorted(json.loads((tmp_path / 'o' / 'metrics.json').read_text())) == ['img1']


def test_gan_run_brings_its_discriminator(work, tmp_path, capsys):
    "A GAN training run folder: its checkpoint's D is the perceptual term of train-encoder and invert"
    run = tmp_path / 'run'
    assert main(['train-gan', '--data', str(work / 'histo'), '--preset', 'tiny', '--kimg', '0.008', '--batch', '4',
                 '--snap-kimg', '0.008', '--out', str(run)]) == 0
    D = load_discriminator(run)
    assert D is not None and load_discriminator(work / 'gan') is None and load_discriminator('histology64') is None
    x = gen_images(load_generator(run))
    assert (perceptual_distance(D, x, x.flip(-1)) > 0).all()
    rc, _, err = cli('train-encoder', '--gan', run, '--data', work / 'histo', '--steps', 2, '--batch', 2,
                     '--out', tmp_path / 'enc', capsys=capsys)
    assert rc == 0, err
    rc, _, err = cli('invert', '--gan', run, '--encoder', tmp_path / 'enc', '--steps', 2, work / 'imgs' / 'img0.png',
                     '--out', tmp_path / 'inv', capsys=capsys)
    assert rc == 0, err
    assert (tmp_path / 'inv' / 'img0_recon.png').is_file()


def test_classifier_term_in_refinement(work, G, enc, tmp_path, capsys):
    from latent_explain.predict import load_classifier
    clf = load_classifier(work / 'clf')
    x = gen_images(G)
    inv = project(G, x, encoder=enc, steps=5, clf=clf, clf_weight=1.0)
    assert 'delta_p' in inv.metrics and all(p.grad is None for p in clf.parameters())   # nothing left on the user's model
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf-weight', 1,
                     work / 'imgs' / 'img0.png', '--out', tmp_path / 'o', capsys=capsys)
    assert rc == 2 and '--clf-weight' in err and '--clf' in err and not (tmp_path / 'o').exists()
    rc, _, err = cli('invert', '--gan', work / 'gan', '--encoder', work / 'enc', '--clf', work / 'clf', '--clf-weight', 1,
                     '--steps', 3, work / 'imgs' / 'img0.png', '--out', tmp_path / 'o', capsys=capsys)
    assert rc == 0, err
