"""`latent-explain audit` through the command line: what it writes, and every way a user can hand it something it
cannot use — each refused with exit status 2, a message naming the flag or file, no traceback and no output folder."""
import json, shutil
import numpy as np
import pytest
from PIL import Image
from latent_explain.cli import main
from latent_explain.inversion import train_encoder, save_encoder
from latent_explain.stylegan import save_generator
from latent_explain.test_utils import tiny_generator
from test_hostile_cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A 16 px generator and encoder, two classifiers of 16 px tiles, a grayscale one, a corner mask, an empty mask"
    d = tmp_path_factory.mktemp('audit')
    G = tiny_generator()
    save_generator(G, d / 'gan')
    save_encoder(train_encoder(G, steps=5, batch=4, progress=False), d / 'enc')
    assert main(['data', 'synth-histology', '--n', '24', '--size', '16', '--seed', '1', '--out', str(d / 'histo'), '--no-sheet']) == 0
    for k, seed in (('clf', 0), ('clf2', 1)):
        assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8',
                     '--seed', str(seed), '--out', str(d / k)]) == 0
    assert main(['data', 'synth-knee', '--n', '24', '--size', '32', '--seed', '1', '--out', str(d / 'knees'), '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'knees'), '--epochs', '1', '--size', '16', '--bs', '8', '--out', str(d / 'gray')]) == 0
    m = np.zeros((16, 16), np.uint8); m[:4, :4] = 255
    Image.fromarray(m).save(d / 'corner.png')
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(d / 'empty.png')
    Image.fromarray(np.full((16, 16), 255, np.uint8)).save(d / 'full.png')
    (d / 'notes.png').write_text('not an image')
    return d


def base(work, out, **over):
    args = {'--clf': f"{work / 'clf'},{work / 'clf2'}", '--gan': work / 'gan', '--encoder': work / 'enc',
            '--data': work / 'histo', '--region': work / 'corner.png', '--out': out, '--n': 4}
    args.update(over)
    return [x for k, v in args.items() if v is not None for x in (k, v)]


def test_audit_writes_the_table_the_alignment_and_the_figures(work, tmp_path, capsys):
    out = tmp_path / 'audit'
    rc, printed, err = cli('audit', *base(work, out), capsys=capsys)
    assert rc == 0, err
    r = json.loads((out / 'audit.json').read_text())
    assert set(r['models']) == {'clf', 'clf2'} and set(r['alignment']) == {'clf', 'clf2'}
    assert r['alignment']['clf']['clf'] == pytest.approx(1.0, abs=1e-6)            # a model agrees with its own series
    for m in r['models'].values():
        assert 0 <= m['region_moved'] <= 1 and 0 <= m['region_mass'] <= 1 and m['shortcut_gap'] is None
        assert m['correlation_difference'] is not None                              # the folder is labelled
    assert {k: r['region'][k] for k in ('meter', 'mask', 'area')} == {'meter': 'region', 'mask': True, 'area': pytest.approx(16 / 256)}
    assert r['region']['sensitivity_meter_change_sd'] > 0                      # the region's direction raises its meter
    assert {p.name for p in out.iterdir()} >= {'index.html', 'difference_maps.png', 'alignment.png', 'series_clf.png'}
    assert json.loads((out / 'config.json').read_text())['complete'] is True
    assert 'clf: region moved in' in printed and 'when the generator adds it' in printed and str(out / 'index.html') in printed
    page = (out / 'index.html').read_text()
    assert 'Shortcut audit' in page and '<td>clf2</td>' in page
    # a meter instead of a mask, with the shortcut gap from two labelled folders; a rerun replaces the audit
    rc, _, err = cli('audit', *base(work, out, **{'--region': None, '--meter': 'hematoxylin_fraction', '--agree': work / 'histo',
                                                  '--flipped': work / 'histo', '--clf': work / 'clf'}), capsys=capsys)
    assert rc == 0, err
    r = json.loads((out / 'audit.json').read_text())
    assert {k: r['region'][k] for k in ('meter', 'mask', 'area')} == {'meter': 'hematoxylin_fraction', 'mask': False, 'area': None}
    assert r['models']['clf']['shortcut_gap'] == 0.0 and r['models']['clf']['region_mass'] is None


REFUSALS = [   # (flag, value, what the message names); None removes the flag
    ('--n', 0, '--n'), ('--n', 'many', '--n'), ('--a-max', 0, '--a-max'), ('--seed', -1, '--seed'),
    ('--region', None, '--region MASK.png'), ('--meter', 'marker', '--meter marker'),
    ('--region', 'NOWHERE', '--region'), ('--region', 'EMPTY', 'empty'), ('--region', 'FULL', 'whole image'),
    ('--region', 'NOTES', 'not a readable image'), ('--clf', '', '--clf'), ('--clf', 'CLF,,CLF2', 'empty entries'),
    ('--clf', 'NOWHERE', '--clf'), ('--direction', 'NOWHERE', 'one per --clf'), ('--agree', 'HISTO', '--flipped'),
    ('--data', 'NOWHERE', '--data'), ('--data', 'EMPTYDIR', 'no image files'), ('--out', 'AFILE', 'is a file'),
    ('--out', 'CLF', 'classifier'), ('--clf', 'GRAY', 'grayscale'), ('--gan', 'NOWHERE', '--gan'),
    ('--encoder', 'NOWHERE', '--encoder'), ('--target-meter', 'width', '--target-meter'),
]


@pytest.mark.parametrize('flag,value,says', REFUSALS, ids=[f'{f} {v}' for f, v, _ in REFUSALS])
def test_audit_refusals(work, tmp_path, capsys, flag, value, says):
    (tmp_path / 'afile').write_text('x'); (tmp_path / 'emptydir').mkdir()
    subst = {'NOWHERE': tmp_path / 'nowhere', 'EMPTY': work / 'empty.png', 'FULL': work / 'full.png', 'NOTES': work / 'notes.png',
             'HISTO': work / 'histo', 'EMPTYDIR': tmp_path / 'emptydir', 'AFILE': tmp_path / 'afile', 'CLF': work / 'clf',
             'GRAY': work / 'gray', 'CLF,,CLF2': f"{work / 'clf'},,{work / 'clf2'}"}
    value = subst.get(value, value) if isinstance(value, str) else value
    out = tmp_path / 'out' if flag != '--out' else value
    before = {p.name for p in (work / 'clf').iterdir()}
    rc, _, err = cli('audit', *base(work, out, **{flag: value, '--out': out}), capsys=capsys)
    assert rc == 2 and says in err, err
    assert not (tmp_path / 'out').exists() and {p.name for p in (work / 'clf').iterdir()} == before


def test_gap_folders_labelled_with_other_classes(work, tmp_path, capsys):
    "knees (normal/OA) as the shortcut gap's images of a tumour classifier: refused before any explaining, naming the flag"
    rc, _, err = cli('audit', *base(work, tmp_path / 'out', **{'--agree': work / 'knees', '--flipped': work / 'knees'}), capsys=capsys)
    assert rc == 2 and '--agree: labels OA are not classes of the classifier (normal, tumour)' in err, err
    assert not (tmp_path / 'out').exists()
