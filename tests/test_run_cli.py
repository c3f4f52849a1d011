"""`latent-explain run`: a folder to evaluated explanations in one command — every stage's folder, a run stopped
half-way that continues where it stopped, and the hostile-input refusals the other commands have."""
import json
import pytest
from latent_explain.cli import main
from test_hostile_cli import cli, snapshot

pytestmark = pytest.mark.slow
TINY = ('--hours', 0.004, '--res', 16, '--n', 2)


@pytest.fixture(scope='module')
def tiles(tmp_path_factory):
    d = tmp_path_factory.mktemp('run')
    assert main(['data', 'synth-histology', '--n', '48', '--size', '16', '--seed', '1', '--out', str(d / 'tiles'), '--no-sheet']) == 0
    return d


def test_run_stopped_half_way_continues(tiles, tmp_path, capsys, monkeypatch):
    import latent_explain.pipeline as pl
    out = tmp_path / 'run'
    real = pl.cmd_check
    def ctrl_c(*a, **k): raise KeyboardInterrupt
    monkeypatch.setattr(pl, 'cmd_check', ctrl_c)
    rc, _, err = cli('run', '--data', tiles / 'tiles', '--out', out, *TINY, capsys=capsys)
    assert rc == 130, err
    assert list(json.loads((out / 'times.json').read_text())) == ['data', 'classifier', 'generator', 'encoder']
    assert json.loads((out / 'config.json').read_text())['kind'] == 'run'
    monkeypatch.setattr(pl, 'cmd_check', real)
    rc, printed, err = cli('run', '--data', tiles / 'tiles', '--out', out, *TINY, capsys=capsys)   # no --overwrite: ours
    assert rc == 0 and 'ran 5 stage(s)' in printed, (printed, err)
    for sub in ('data/train', 'data/heldout', 'clf', 'gan', 'encoder', 'check', 'direction', 'explanations'):
        assert (out / sub).is_dir(), sub
    ev = json.loads((out / 'evaluation.json').read_text())
    assert ev['n'] == 4 and {'validity', 'monotonicity', 'delta_p_median', 'sanity_cosine'} <= set(ev)
    assert 'Readiness:' in (out / 'index.html').read_text()


def test_run_with_a_given_classifier_on_an_unlabelled_folder(tiles, tmp_path, capsys):
    "With --clf, a plain folder is grouped by the classifier's own calls, and no classifier is trained"
    import shutil
    plain = tmp_path / 'plain'; plain.mkdir()
    for p in sorted((tiles / 'tiles').glob('*/*.png')):
        if p.parent.name != 'masks': shutil.copy(p, plain / f'{p.parent.name}_{p.name}')
    assert main(['train-classifier', '--data', str(tiles / 'tiles'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(tmp_path / 'clf')]) == 0
    rc, printed, err = cli('run', '--data', plain, '--clf', tmp_path / 'clf', '--out', tmp_path / 'run', *TINY, capsys=capsys)
    assert rc == 0, err
    assert 'classifier' not in json.loads((tmp_path / 'run' / 'times.json').read_text())
    assert not (tmp_path / 'run' / 'clf').exists()


RUN_REFUSALS = [
    (('--hours', 0), '--hours'), (('--hours', 'nan'), '--hours'), (('--hours', -1), '--hours'), (('--n', 0), '--n'),
    (('--res', 48), '--res'), (('--res', 8), '--res'), (('--threads', -1), '--threads'), (('--data', 'NOWHERE'), '--data'),
    (('--data', 'EMPTY'), 'no image files'), (('--clf', 'NOWHERE'), 'nowhere'), (('--out', 'AFILE'), 'is a file'),
    (('--out', 'TILES'), 'dataset'), (('--data', 'UNLABELLED'), '--clf'),
]


@pytest.mark.parametrize('extra,says', RUN_REFUSALS, ids=[' '.join(map(str, e)) for e, _ in RUN_REFUSALS])
def test_run_refusals(tiles, tmp_path, capsys, extra, says):
    (tmp_path / 'afile').write_text('x'); (tmp_path / 'empty').mkdir()
    unl = tmp_path / 'unlabelled'; unl.mkdir()
    for i, p in enumerate(sorted((tiles / 'tiles').glob('normal/*.png'))[:12]): (unl / f'{i}.png').write_bytes(p.read_bytes())
    subst = {'NOWHERE': tmp_path / 'nowhere', 'EMPTY': tmp_path / 'empty', 'AFILE': tmp_path / 'afile',
             'TILES': tiles / 'tiles', 'UNLABELLED': unl}
    args = {'--data': tiles / 'tiles', '--out': tmp_path / 'out', '--hours': 0.004, '--res': 16, '--n': 2}
    args.update({k: subst.get(v, v) if isinstance(v, str) else v for k, v in zip(extra[::2], extra[1::2])})
    before = snapshot(tiles / 'tiles')
    rc, _, err = cli('run', *[x for kv in args.items() for x in kv], capsys=capsys)
    assert rc == 2 and says in err, err
    assert snapshot(tiles / 'tiles') == before
    assert not (tmp_path / 'out').exists()   # refused before any work: no folder started
