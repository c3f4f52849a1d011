"""`fit-direction` and `explain` end to end on 16 px models: every file `explain` promises, the probabilities it writes
recomputed from its raw frames, and the hostile cases (another generator's direction, no images, bad α, wrong folders)."""
import json
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

from latent_explain.cli import main
from latent_explain.stylegan import save_generator
from latent_explain.test_utils import tiny_generator
from latent_explain.datasets import synth_histology
from latent_explain.inversion import train_encoder, save_encoder
from latent_explain.predict import load_classifier, Predictor
from latent_explain.core import to_generator_range

pytestmark = pytest.mark.slow




def cli(*args, capsys):
    try: rc = main([str(a) for a in args])
    except SystemExit as e: rc = e.code
    out, err = capsys.readouterr()
    assert 'Traceback' not in err, err
    return rc, out, err


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A generator and another, an encoder, a classifier trained on 16 px tiles, and three image files"
    d = tmp_path_factory.mktemp('explain')
    G = tiny_generator()
    save_generator(G, d / 'gan'); save_generator(tiny_generator(seed=1), d / 'other')
    save_encoder(train_encoder(G, steps=30, batch=8, lr=3e-3, progress=False), d / 'enc')
    assert main(['data', 'synth-histology', '--n', '24', '--size', '16', '--seed', '1', '--out', str(d / 'histo'),
                 '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(d / 'clf')]) == 0
    ds = synth_histology(n=8, size=16, seed=5)
    (d / 'imgs').mkdir()
    for i in range(3): Image.fromarray(ds.images[i]).save(d / 'imgs' / f'tile{i}.png')
    return d


@pytest.mark.parametrize('method', ['optimize', 'gradient', 'pixel'])
def test_fit_then_explain_writes_every_file(work, method, capsys):
    dirn, out = work / f'dir-{method}', work / f'out-{method}'
    rc, _, err = cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--method', method, '--steps', 10,
                     '--n', 64, '--out', dirn, capsys=capsys)
    assert rc == 0, err
    cfg = json.loads((dirn / 'config.json').read_text())
    assert cfg['kind'] == 'direction' and cfg['method'] == method
    imgs = sorted((work / 'imgs').glob('*.png'))
    rc, _, err = cli('explain', '--gan', work / 'gan', '--clf', work / 'clf', '--encoder', work / 'enc', '--direction', dirn,
                     *imgs, '--frames', 5, '--out', out, capsys=capsys)
    assert rc == 0, err
    assert json.loads((out / 'config.json').read_text())['kind'] == 'explanation'
    w = Predictor(load_classifier(work / 'clf'), target=1).prob
    for p in imgs:
        for suffix in ('_strip.png', '.gif', '.html', '.json'): assert (out / f'{p.stem}{suffix}').stat().st_size > 0
        frames = sorted((out / f'{p.stem}_frames').glob('*.png'))
        assert [f.name for f in frames] == [f'{i:02d}.png' for i in range(5)]
        raw = np.stack([np.asarray(Image.open(f)) for f in frames])
        assert raw.shape == (5, 16, 16, 3)
        j = json.loads((out / f'{p.stem}.json').read_text())
        assert j['alphas'] == sorted(j['alphas']) and len(j['probs']) == 5
        with torch.no_grad(): again = w(to_generator_range(raw)).numpy()   # independent of the explainer's own numbers
        assert np.abs(again - np.asarray(j['probs'])).max() < 0.05


def test_explain_refusals(work, capsys):
    img = sorted((work / 'imgs').glob('*.png'))[0]
    rc, _, _ = cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--method', 'gradient', '--out',
                   work / 'dir-g', capsys=capsys)
    assert rc == 0
    base = ['explain', '--gan', work / 'gan', '--clf', work / 'clf', '--direction', work / 'dir-g']
    cases = [
        (['explain', '--gan', work / 'other', '--clf', work / 'clf', '--direction', work / 'dir-g', '--steps', 2, img],
         'another generator'),
        (base + ['--encoder', work / 'enc'], 'give one or more image files'),
        (base + ['--encoder', work / 'enc', '--alphas', '1', img], 'two or more'),
        (base + ['--encoder', work / 'enc', '--alphas', 'a,b', img], 'comma-separated'),
        (base + [img], '--encoder'),
        (base + ['--encoder', work / 'enc', '--frames', 1, img], '--frames'),
        (base + ['--encoder', work / 'enc', '--steps', 2, '--clf-weight', -1, img], '--clf-weight'),
    ]
    for i, (args, msg) in enumerate(cases):
        out = work / f'refused{i}'
        rc, _, err = cli(*args, '--out', out, capsys=capsys)
        assert rc == 2 and msg in err, (args, err)
        assert not out.exists()
    rc, _, err = cli(*base, '--encoder', work / 'enc', img, '--out', work / 'gan', capsys=capsys)
    assert rc == 2 and 'generator' in err                     # never into another kind of folder
    rc, _, err = cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--method', 'pca', '--out', work / 'x', capsys=capsys)
    assert rc == 2 and '--method' in err


def test_explain_with_the_classifier_term(work, capsys, monkeypatch):
    "--clf-weight reaches the refinement (with --steps) and the folder records it; without --steps it is refused"
    import latent_explain.explain as explain_mod
    seen = []
    def spy(*a, **kw): seen.append((kw['steps'], kw['clf_weight'], kw['clf'] is not None)); return project(*a, **kw)
    project = explain_mod.project
    monkeypatch.setattr(explain_mod, 'project', spy)
    rc, _, err = cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--method', 'gradient', '--out',
                     work / 'dir-k', capsys=capsys)
    assert rc == 0, err
    img = sorted((work / 'imgs').glob('*.png'))[0]
    base = ['explain', '--gan', work / 'gan', '--clf', work / 'clf', '--encoder', work / 'enc', '--direction', work / 'dir-k', img]
    rc, _, err = cli(*base, '--steps', 3, '--clf-weight', 0.5, '--frames', 3, '--out', work / 'kept', capsys=capsys)
    assert rc == 0, err
    assert seen and set(seen) == {(3, 0.5, True)}
    cfg = json.loads((work / 'kept' / 'config.json').read_text())
    assert (cfg['steps'], cfg['clf_weight']) == (3, 0.5)
    rc, _, err = cli(*base, '--clf-weight', 0.5, '--out', work / 'nosteps', capsys=capsys)
    assert rc == 2 and 'steps' in err and not (work / 'nosteps').exists()


def test_every_explanation_carries_its_verdict(work, capsys):
    "With a threshold every series fails (0), each file says so in words and the summary counts them; else trusted"
    from PIL import ImageSequence
    dirn = work / 'dir-verdict'
    assert cli('fit-direction', '--gan', work / 'gan', '--clf', work / 'clf', '--method', 'gradient', '--n', 64,
               '--out', dirn, capsys=capsys)[0] == 0
    imgs = sorted((work / 'imgs').glob('*.png'))
    base = ('explain', *imgs, '--gan', work / 'gan', '--clf', work / 'clf', '--encoder', work / 'enc', '--direction', dirn,
            '--frames', 3)
    rc, out, err = cli(*base, '--max-delta-p', 0, '--repair-steps', 0, '--out', work / 'v0', capsys=capsys)
    assert rc == 0, err
    assert f'WARNING: 3 of 3 series' in out and '--steps 50 --clf-weight 0.1' in out, out
    assert sorted(json.loads((work / 'v0' / 'config.json').read_text())['untrusted']) == [p.stem for p in imgs]
    j = json.loads((work / 'v0' / 'tile0.json').read_text())
    assert j['verdict'] == 'explains a different image' and 'explains a different image' in j['warning']
    assert 0 < j['reconstruction']['psnr'] < 100 and -1 <= j['reconstruction']['ssim'] <= 1   # a random 16 px generator: poor
    assert 'Warning: the reconstruction moves' in (work / 'v0' / 'tile0.html').read_text()
    with Image.open(work / 'v0' / 'tile0.gif') as g:   # the GIF's first frame carries a red band
        first = np.asarray(next(ImageSequence.Iterator(g)).convert('RGB'))
    assert (first[2, :, 0] > 150).mean() > 0.9 and (first[2, :, 1] < 60).mean() > 0.5
    rc, out, err = cli(*base, '--max-delta-p', 1, '--out', work / 'v1', capsys=capsys)
    assert rc == 0 and 'WARNING' not in out, out
    j = json.loads((work / 'v1' / 'tile0.json').read_text())
    assert j['verdict'] == 'trusted' and j['warning'] is None
    with Image.open(work / 'v1' / 'tile0.gif') as g: assert g.size[1] == 160 + 22   # no band
