"""Readiness measured with the classifier alone, through the commands: score-gan --clf, train-gan --clf (every
snapshot, best/ among the ready ones, kept across a plain resume) and train-gan's noise default."""
import json, shutil
import pytest
from latent_explain.cli import main
from latent_explain.gan_run import read_state, read_best, read_run_classifier
from latent_explain.stylegan import load_generator, save_generator
from latent_explain.test_utils import tiny_generator
from test_hostile_cli import cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "16 px histology tiles, a colour classifier of them, a grayscale classifier of knees, and a 16 px generator"
    d = tmp_path_factory.mktemp('readiness')
    assert main(['data', 'synth-histology', '--n', '32', '--size', '16', '--seed', '1', '--out', str(d / 'histo'), '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8', '--out', str(d / 'clf')]) == 0
    assert main(['data', 'synth-knee', '--n', '24', '--size', '32', '--seed', '1', '--out', str(d / 'knees'), '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'knees'), '--epochs', '1', '--size', '16', '--bs', '8', '--out', str(d / 'gray')]) == 0
    save_generator(tiny_generator(), d / 'gan')
    return d


def test_score_gan_reports_the_classifiers_readiness(work, capsys):
    rc, out, err = cli('score-gan', '--gan', work / 'gan', '--data', work / 'histo', '--n', 8, '--repeats', 1,
                       '--c2st-epochs', 1, '--no-floor', '--clf', work / 'clf', capsys=capsys)
    assert rc == 0, err
    r = json.loads(out.strip().splitlines()[-1])
    assert r['ctrl_clf'] > 0 and 0 <= r['noise_share'] <= 1 and 0 <= r['p_real'] <= 1, r


@pytest.mark.parametrize('command', ['score-gan', 'train-gan'])
def test_a_grayscale_classifier_for_colour_images_is_refused(work, tmp_path, capsys, command):
    args = (('score-gan', '--gan', work / 'gan', '--data', work / 'histo', '--n', 8) if command == 'score-gan' else
            ('train-gan', '--data', work / 'histo', '--out', tmp_path / 'run', '--preset', 'tiny', '--kimg', 0.004))
    rc, _, err = cli(*args, '--clf', work / 'gray', capsys=capsys)
    assert rc == 2 and str(work / 'gray') in err and 'grayscale' in err, err
    assert not (tmp_path / 'run' / 'training_state.json').exists()


def test_train_gan_logs_readiness_and_keeps_it_on_resume(work, tmp_path, capsys):
    run = tmp_path / 'run'
    base = ('train-gan', '--data', work / 'histo', '--out', run, '--batch', 4, '--snap-kimg', 0.008, '--realism-n', 8,
            '--c2st-epochs', 1, '--grid-n', 0)
    rc, _, err = cli(*base, '--preset', 'tiny', '--kimg', 0.016, '--clf', work / 'clf', capsys=capsys)
    assert rc == 0, err
    rows = [h for h in read_state(run)['history'] if 'c2st' in h]
    assert rows and all({'ctrl_clf', 'noise_share'} <= set(h) for h in rows), rows
    assert {'ctrl_clf', 'noise_share'} <= set(read_best(run))
    assert read_run_classifier(run) == str((work / 'clf').resolve())
    rc, _, err = cli(*base, '--resume', '--kimg', 0.024, capsys=capsys)   # no --clf: the run's own
    assert rc == 0, err
    assert 'ctrl_clf' in read_state(run)['history'][-1]


def test_train_gan_puts_noise_only_at_the_output_resolution_by_default(work, tmp_path, capsys):
    for flag, want in (((), 16), (('--noise-from', 0), 0), (('--noise-from', 8), 8)):
        run = tmp_path / f'run{want}'
        rc, _, err = cli('train-gan', '--data', work / 'histo', '--out', run, '--preset', 'tiny', '--kimg', 0.004,
                         '--batch', 4, '--realism-n', 0, '--grid-n', 0, *flag, capsys=capsys)
        assert rc == 0, err
        assert load_generator(run).cfg.noise_from == want


@pytest.fixture(scope='module')
def enc(work):
    from latent_explain.inversion import train_encoder, save_encoder
    save_encoder(train_encoder(tiny_generator(), steps=5, batch=4, progress=False), work / 'enc')
    return work / 'enc'


def test_check_writes_verdicts_and_figures(work, enc, tmp_path, capsys):
    out = tmp_path / 'chk'
    rc, printed, err = cli('check', '--gan', work / 'gan', '--clf', work / 'clf', '--data', work / 'histo', '--encoder', enc,
                           '--n', 8, '--c2st-epochs', 1, '--out', out, capsys=capsys)
    assert rc == 0, err
    r = json.loads((out / 'check.json').read_text())
    assert set(r['verdicts']) == {'ctrl_clf', 'noise_share', 'c2st', 'delta_p_share'}, r['verdicts']
    assert all(v['verdict'] in ('pass', 'warn', 'fail') and v['threshold'] for v in r['verdicts'].values())
    assert {'psnr_median', 'ssim_median', 'delta_p_median'} <= set(r['values'])
    assert f"readiness: {r['overall']}" in printed and 'ctrl_clf' in printed
    assert {p.name for p in out.iterdir()} >= {'index.html', 'real_vs_generated.png', 'classifier_output.png', 'worst_reconstructions.png'}
    assert json.loads((out / 'config.json').read_text())['complete'] is True
    page = (out / 'index.html').read_text()
    assert 'Readiness:' in page and all(f'{k}</td>' in page for k in r['verdicts'])
    # --strict: a random generator fails its realism, so the pipeline stops with status 1
    rc, _, _ = cli('check', '--gan', work / 'gan', '--clf', work / 'clf', '--data', work / 'histo', '--c2st-epochs', 1,
                   '--out', tmp_path / 'strict', '--strict', capsys=capsys)
    assert rc == (1 if json.loads((tmp_path / 'strict' / 'check.json').read_text())['overall'] == 'fail' else 0)


CHECK_REFUSALS = [   # (extra arguments, what the message names)
    (('--n', 0), '--n'), (('--n', 'many'), '--n'), (('--steps', -1), '--steps'), (('--c2st-epochs', 0), '--c2st-epochs'),
    (('--seed', -2), '--seed'), (('--data', 'NOWHERE'), '--data'), (('--clf', 'GRAY'), 'grayscale'),
    (('--gan', 'NOWHERE'), '--gan'), (('--encoder', 'NOWHERE'), '--encoder'), (('--out', 'AFILE'), 'is a file'),
    (('--out', 'ACLF'), 'classifier'), (('--data', 'FEW'), 'at least 16'),
]


@pytest.mark.parametrize('extra,says', CHECK_REFUSALS, ids=[' '.join(map(str, e)) for e, _ in CHECK_REFUSALS])
def test_check_refusals(work, tmp_path, capsys, extra, says):
    (tmp_path / 'afile').write_text('x')
    few = tmp_path / 'few'; few.mkdir()
    for p in sorted(p for p in (work / 'histo').glob('*/*.png') if p.parent.name != 'masks')[:5]: shutil.copy(p, few / p.name)
    subst = {'NOWHERE': tmp_path / 'nowhere', 'GRAY': work / 'gray', 'AFILE': tmp_path / 'afile', 'ACLF': work / 'clf', 'FEW': few}
    extra = tuple(subst.get(e, e) if isinstance(e, str) else e for e in extra)
    args = {'--gan': work / 'gan', '--clf': work / 'clf', '--data': work / 'histo', '--out': tmp_path / 'out', '--c2st-epochs': 1}
    args.update(dict(zip(extra[::2], extra[1::2])))
    before = {p.name for p in (work / 'clf').iterdir()}
    rc, _, err = cli('check', *[x for kv in args.items() for x in kv], capsys=capsys)
    assert rc == 2 and says in err, err
    assert not (tmp_path / 'out').exists() and {p.name for p in (work / 'clf').iterdir()} == before
