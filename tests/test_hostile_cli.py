"""The command line against a hostile but realistic user: every case asserts the exit status, a message naming the
flag or file, and an output folder that is unchanged or absent.

Classes (each a group of parametrised cases below): data loss, cross-kind overwrite, concurrent writers, early
validation, no tracebacks, no silent wrong results, --skip-bad, and hints in command-line terms. Commands run
in-process through `latent_explain.cli.main` (what the console script calls) so the module stays fast; one case per
class that needs a real process (a concurrent run, the console script's stderr) starts one."""
import hashlib, json, os, re, shutil, signal, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from PIL import Image

from latent_explain.cli import main
from latent_explain.core import FolderLock, LOCK_FILE
import latent_explain.train_gan_cli as train_gan_cli
import latent_explain.realism as realism_module
import latent_explain.classifier as classifier_module

from conftest import EXE, run_cli
PY_HINT = re.compile(r"(?<!-)\b(on_error|overwrite|x_key|y_key|channels|resume|n_in|valid_pct|method|target|clf_weight|n|space|"
                     r"steps|alphas|scale|backbone)=")
UNWRITABLE = '/proc/latent_explain_cannot_write_here'   # refused even to root


def cli(*args, capsys=None):
    "Run `latent-explain ARGS` in-process: (exit status, stdout, stderr), with the invariants every case shares"
    try: rc = main([str(a) for a in args])
    except SystemExit as e: rc = e.code
    out, err = capsys.readouterr() if capsys is not None else ('', '')
    assert 'Traceback' not in err, err
    if rc != 0: assert not PY_HINT.search(err), f"a Python parameter in a command-line message: {err}"
    return rc, out, err


def snapshot(folder: Path) -> dict:
    "Every file below `folder` (lock files aside) with the hash of its bytes; {} for a missing folder"
    folder = Path(folder)
    if not folder.exists(): return {}
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob('*')) if p.is_file() and p.name != LOCK_FILE}


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst); return dst


@pytest.fixture(scope='module')
def work(tmp_path_factory):
    "A dataset, a classifier trained on it and a tiny GAN run: the artifacts the hostile cases aim at"
    import _pytest.capture
    d = tmp_path_factory.mktemp('hostile')
    assert main(['data', 'synth-histology', '--n', '24', '--size', '16', '--seed', '1', '--out', str(d / 'histo'),
                 '--no-sheet']) == 0
    assert main(['train-classifier', '--data', str(d / 'histo'), '--epochs', '1', '--size', '16', '--bs', '8',
                 '--out', str(d / 'clf')]) == 0
    assert main(['train-gan', '--data', str(d / 'histo'), '--preset', 'tiny', '--kimg', '0.008', '--batch', '4',
                 '--snap-kimg', '0.008', '--out', str(d / 'gan')]) == 0
    return d


# --- 1. data loss ------------------------------------------------------------------------------------------------

def _users_dataset(d: Path) -> Path:
    "The reproduction of the issue: a user's own labelled folder"
    mine = d / 'mine'
    (mine / 'tumour').mkdir(parents=True); (mine / 'normal').mkdir()
    (mine / 'tumour' / 'patient_A.png').write_bytes(b'\x89PNG the only copy of patient A')
    (mine / 'labels.csv').write_text('path,label\ntumour/patient_A.png,tumour\n')
    return mine

@pytest.mark.parametrize('extra', [[], ['--overwrite']], ids=['plain', 'overwrite'])
def test_data_never_deletes_a_users_dataset(tmp_path, capsys, extra):
    mine = _users_dataset(tmp_path); before = snapshot(mine)
    rc, _, err = cli('data', 'synth-histology', '--n', 8, '--out', mine, *extra, capsys=capsys)
    assert rc == 2 and '--out' in err and str(mine) in err
    assert ('--overwrite' in err) if not extra else ('labels.csv' in err)
    assert snapshot(mine) == before

def test_data_overwrite_adds_beside_a_users_files(tmp_path, capsys):
    mine = tmp_path / 'notes'; mine.mkdir(); (mine / 'notes.txt').write_text('keep')
    rc, _, _ = cli('data', 'synth-knee', '--n', 8, '--out', mine, '--overwrite', '--no-sheet', capsys=capsys)
    assert rc == 0 and (mine / 'notes.txt').read_text() == 'keep' and (mine / 'labels.csv').exists()
    before = snapshot(mine)   # now a dataset of ours holding a user's file: a rewrite would delete it
    rc, _, err = cli('data', 'synth-knee', '--n', 8, '--out', mine, capsys=capsys)
    assert rc == 2 and 'notes.txt' in err and snapshot(mine) == before

def test_data_rewrites_its_own_folder(tmp_path, capsys):
    assert cli('data', 'synth-knee', '--n', 8, '--out', tmp_path / 'k', '--no-sheet', capsys=capsys)[0] == 0
    assert cli('data', 'synth-knee', '--n', 6, '--out', tmp_path / 'k', '--no-sheet', capsys=capsys)[0] == 0
    assert len((tmp_path / 'k' / 'labels.csv').read_text().splitlines()) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ['k']          # no temporary folder left


# --- 2. cross-kind overwrite --------------------------------------------------------------------------------------

CROSS_KIND = [  # (command line with {target}, the artifact it aims at, what the message says that target is)
    ('train-gan --data {histo} --preset tiny --kimg 0.004 --batch 4 --out {target}', 'clf', 'holds a classifier'),
    ('train-gan --data {histo} --preset tiny --resume --out {target}', 'clf', 'holds a classifier'),
    ('train-gan --data {histo} --preset tiny --out {target}', 'histo', 'holds a dataset'),
    ('train-classifier --data {histo} --epochs 1 --out {target}', 'gan', 'holds a GAN training run'),
    ('train-classifier --data {histo} --epochs 1 --out {target}', 'histo', 'holds a dataset'),
    ('data synth-histology --n 8 --out {target}', 'clf', 'holds a classifier'),
    ('data synth-histology --n 8 --out {target} --overwrite', 'gan', 'holds a GAN training run'),
    ('generate --gan {target} --out {tmp}/g.png', 'clf', 'holds a classifier'),
    ('score-gan --gan {target} --data {histo} --n 8', 'histo', 'holds a dataset'),
    ('predict {histo}/labels.csv --clf {target}', 'gan', 'holds a GAN training run'),
]

@pytest.mark.parametrize('line,target,says', CROSS_KIND, ids=[f"{c.split()[0]}->{t}" for c, t, _ in CROSS_KIND])
def test_cross_kind_writes_are_refused(work, tmp_path, capsys, line, target, says):
    t = copy(work / target, tmp_path / target); before = snapshot(t)
    args = line.format(target=t, histo=work / 'histo', tmp=tmp_path).split()
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 2 and says in err and str(t) in err, err
    assert snapshot(t) == before

def test_a_refused_folder_still_works(work, tmp_path, capsys):
    clf = copy(work / 'clf', tmp_path / 'clf')
    assert cli('train-gan', '--data', work / 'histo', '--out', clf, capsys=capsys)[0] == 2
    rc, out, _ = cli('predict', next((work / 'histo' / 'tumour').glob('*.png')), '--clf', clf, capsys=capsys)
    assert rc == 0 and out.startswith('path,normal,tumour')


# --- 3. concurrent writers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize('line,target', [
    ('train-gan --data {histo} --resume --kimg 0.016 --out {t}', 'gan'),
    ('train-classifier --data {histo} --epochs 1 --size 16 --out {t}', 'clf'),
], ids=['train-gan', 'train-classifier'])
def test_a_second_writer_is_refused(work, tmp_path, capsys, line, target):
    t = copy(work / target, tmp_path / target); before = snapshot(t)
    with FolderLock(t):   # another writer holds the folder (flock: the same refusal another process meets)
        rc, _, err = cli(*line.format(histo=work / 'histo', t=t).split(), capsys=capsys)
    assert rc == 2 and f'PID {os.getpid()}' in err and str(t) in err
    assert snapshot(t) == before

@pytest.mark.slow
def test_two_resumes_of_one_run(work, tmp_path, capsys):
    "A real second process: while one `train-gan --resume` trains, another on the same folder is refused"
    t = copy(work / 'gan', tmp_path / 'gan')
    env = {**os.environ, 'HF_HUB_OFFLINE': '1'}
    first = subprocess.Popen([str(EXE), 'train-gan', '--data', str(work / 'histo'), '--resume', '--kimg', '1000',
                              '--out', str(t)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        holder = lambda: (t / LOCK_FILE).read_text().strip() if (t / LOCK_FILE).exists() else ''
        deadline = time.time() + 120
        while time.time() < deadline and holder() != str(first.pid) and first.poll() is None: time.sleep(0.2)
        assert holder() == str(first.pid), first.stderr.read() if first.poll() is not None else 'no lock after 120 s'
        rc, _, err = cli('train-gan', '--data', work / 'histo', '--resume', '--out', t, capsys=capsys)
        assert rc == 2 and f'PID {first.pid}' in err
    finally:
        first.send_signal(signal.SIGINT); first.wait(timeout=120)
    assert first.returncode == 128 + signal.SIGINT   # the first run stopped cleanly with a checkpoint
    assert cli('train-gan', '--data', work / 'histo', '--resume', '--kimg', '0.001', '--out', t, capsys=capsys)[0] == 0


# --- 4. early validation: refused before any image is read, nothing written -------------------------------------------

EARLY = [  # (command line; {out} is a folder that must not appear, {histo} the dataset), a text the message holds
    ('train-gan --data {histo} --batch 0 --out {out}', '--batch 0'),
    ('train-gan --data {histo} --kimg nan --out {out}', '--kimg nan'),
    ('train-gan --data {histo} --kimg -1 --out {out}', '--kimg -1'),
    ('train-gan --data {histo} --res 48 --out {out}', '--res 48'),
    ('train-gan --data {histo} --res 32 --preset tiny --out {out}', '--preset tiny is a 16-px model'),
    ('train-gan --data {histo} --preset huge --out {out}', '--preset huge'),
    ('train-gan --data {histo} --aug mixup --out {out}', '--aug'),
    ('train-gan --data {histo} --ada-ops xyz --out {out}', '--ada-ops'),
    ('train-gan --data {histo} --output-act relu --out {out}', '--output-act'),
    ('train-gan --data {histo} --channels 2 --out {out}', '--channels'),
    ('train-gan --data {histo} --device gpu0 --out {out}', '--device gpu0'),
    ('train-gan --data {histo} --threads -1 --out {out}', '--threads -1'),
    ('train-gan --data {histo} --style-mixing 1.5 --out {out}', '--style-mixing 1.5'),
    ('train-gan --data {histo} --r1-gamma nan --out {out}', '--r1-gamma nan'),
    ('train-gan --data {histo} --widths 16-24 --out {out}', '--widths 16-24'),
    ('train-gan --data {histo} --minutes -5 --out {out}', '--minutes -5'),
    ('train-gan --data {histo} --snap-kimg inf --out {out}', '--snap-kimg inf'),
    ('train-gan --data {histo} --c2st-epochs -1 --out {out}', '--c2st-epochs -1'),
    ('train-gan --data {histo} --meters bogus --out {out}', '--meters bogus'),
    ('train-gan --data {histo} --seed -1 --out {out}', '--seed -1'),
    ('train-gan --data {histo} --out ' + UNWRITABLE, UNWRITABLE),
    ('train-gan --data {histo} --out {histo}/labels.csv', 'is a file'),
    ('train-gan --data {histo}/nothing --out {out}', 'nothing'),
    ('train-gan --data {histo} --out {histo}/gan', 'is inside --data'),
    ('train-gan --data {histo} --kimg 1e12 --out {out}', '--kimg 1e+12: must be ≤ 1e+07'),
    ('train-classifier --data {histo} --arch resnet1 --out {out}', '--arch resnet1'),
    ('train-classifier --data {histo} --size 0 --out {out}', '--size 0'),
    ('train-classifier --data {histo} --bs 0 --out {out}', '--bs 0'),
    ('train-classifier --data {histo} --lr nan --out {out}', '--lr nan'),
    ('train-classifier --data {histo} --lr 0 --out {out}', '--lr 0'),
    ('train-classifier --data {histo} --epochs 0 --out {out}', '--epochs 0'),
    ('train-classifier --data {histo} --channels 2 --out {out}', '--channels'),
    ('train-classifier --data {histo} --augment spin --out {out}', '--augment'),
    ('train-classifier --data {histo} --seed -3 --out {out}', '--seed -3'),
    ('train-classifier --data {histo} --out ' + UNWRITABLE, UNWRITABLE),
    ('train-classifier --data {histo} --out {histo}/labels.csv/sub', 'is a file'),
    ('train-classifier --data {histo} --out {histo}/clf', 'is inside --data'),
    ('train-classifier --data {histo} --augment auto --channels 4 --out {out}', '--channels'),
    ('data synth-histology --n 0 --out {out}', '--n 0'),
    ('data synth-histology --size 8 --out {out}', '--size 8'),
    ('data synth-knee --size 16 --out {out}', '--size 16'),
    ('data synth-knee --marker-bias 2 --out {out}', '--marker-bias 2'),
    ('data synth-knee --marker-bias nan --out {out}', '--marker-bias nan'),
    ('data synth-histology --seed -1 --out {out}', '--seed -1'),
    ('data mnist --out {out}', 'synth-histology'),
    ('data ihc --out ' + UNWRITABLE, UNWRITABLE),
    ('generate --gan histology64 --n 0 --out {out}/g.png', '--n 0'),
    ('generate --gan histology64 --truncation nan --out {out}/g.png', '--truncation nan'),
    ('generate --gan histology64 --out {out}/g.jpg', '.png'),
    ('generate --gan histology64 --seed -1 --out {out}/g.png', '--seed -1'),
    ('generate --gan histology64 --out ' + UNWRITABLE + '/g.png', UNWRITABLE),
    ('generate --gan {out} --out {histo}/g.png', str('{out}')),
    ('generate --gan histology64 --n 100000 --out {out}/g.png', '--n 100000'),
    ('generate --gan histology64 --out {histo}', 'give a .png file name'),
    ('score-gan --gan histology64 --data {histo} --n 1', '--n 1: must be ≥ 8'),
    ('score-gan --gan histology64 --data {histo} --c2st-epochs 0', '--c2st-epochs 0'),
    ('score-gan --gan histology64 --data {histo} --repeats 0', '--repeats 0'),
    ('score-gan --gan histology64 --data {histo} --threads -1', '--threads -1'),
    ('score-gan --gan histology64 --data {out}', 'no such file or folder'),
    ('predict --clf {histo}', 'give one or more image files'),
    ('predict {histo}/missing.png --clf {histo}', 'missing.png'),
]

@pytest.fixture()
def no_heavy_work(monkeypatch):
    "Make reading the training images or training itself fail loudly: validation must come first"
    def reached(*a, **k): raise AssertionError('expensive work started before the arguments were checked')
    for mod, name in [(train_gan_cli, 'read_image_folder'), (train_gan_cli, 'train_gan'),
                      (classifier_module, 'train_classifier'), (realism_module, 'score_generator'),
                      (realism_module, 'read_image_folder')]:
        monkeypatch.setattr(mod, name, reached)

@pytest.mark.parametrize('line,says', EARLY, ids=[f"{i:02d}-{l.split()[0]}" for i, (l, _) in enumerate(EARLY)])
def test_checked_before_any_work(work, tmp_path, capsys, no_heavy_work, line, says):
    out = tmp_path / 'out'; before = snapshot(work / 'histo')
    rc, _, err = cli(*line.format(histo=work / 'histo', out=out).split(), capsys=capsys)
    assert rc == 2 and says.format(out=out) in err, err
    assert not out.exists() and snapshot(work / 'histo') == before

def test_missing_required_option_is_a_usage_error(capsys):
    rc, _, err = cli('train-gan', capsys=capsys)
    assert rc == 2 and '--data' in err
    rc, _, err = cli('trian-gan', capsys=capsys)
    assert rc == 2 and "did you mean 'train-gan'" in err


# --- 5. no tracebacks -------------------------------------------------------------------------------------------

def test_truncated_checkpoint_on_resume(work, tmp_path, capsys):
    g = copy(work / 'gan', tmp_path / 'gan')
    ck = g / json.loads((g / 'training_state.json').read_text())['checkpoint'] / 'G.safetensors'
    ck.write_bytes(ck.read_bytes()[:len(ck.read_bytes()) // 2]); before = snapshot(g)
    rc, _, err = cli('train-gan', '--data', work / 'histo', '--resume', '--kimg', 0.016, '--out', g, capsys=capsys)
    assert rc == 2 and 'damaged' in err and ck.parent.name in err
    assert snapshot(g) == before

@pytest.mark.parametrize('damage', ['generator', 'config'])
def test_damaged_model_files(work, tmp_path, capsys, damage):
    if damage == 'generator':
        g = copy(work / 'gan', tmp_path / 'gan'); f = g / 'generator.safetensors'
        f.write_bytes(f.read_bytes()[:100])
        rc, _, err = cli('generate', '--gan', g, '--out', tmp_path / 'g.png', capsys=capsys)
    else:
        c = copy(work / 'clf', tmp_path / 'clf'); f = c / 'config.json'
        f.write_text(f.read_text()[:50])
        rc, _, err = cli('predict', next((work / 'histo' / 'normal').glob('*.png')), '--clf', c, capsys=capsys)
    assert rc == 2 and f.name in err and not (tmp_path / 'g.png').exists()

@pytest.mark.parametrize('exc,status,says', [
    (TypeError('unexpected'), 1, 'internal error'),
    (KeyboardInterrupt(), 130, 'interrupted'),
    (OSError(28, 'No space left on device', '/data/out/model.safetensors'), 2, '/data/out/model.safetensors: No space left'),
    (PermissionError(13, 'Permission denied', '/data/out'), 2, '/data/out: Permission denied'),
], ids=['bug', 'ctrl-c', 'disk-full', 'permission'])
def test_unexpected_failures_end_in_one_line(work, tmp_path, capsys, monkeypatch, exc, status, says):
    def boom(*a, **k): raise exc
    monkeypatch.setattr(classifier_module, 'train_classifier', boom)
    rc, _, err = cli('train-classifier', '--data', work / 'histo', '--epochs', 1, '--out', tmp_path / 'c', capsys=capsys)
    assert rc == status and says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / 'c').exists()                   # the failed run's folder is gone with it
    if status == 1:
        assert '--debug' in err
        with pytest.raises(TypeError):   # --debug lets the traceback through, for a bug report
            main(['train-classifier', '--data', str(work / 'histo'), '--out', str(tmp_path / 'c'), '--debug'])

def test_console_script_prints_no_traceback(tmp_path):
    "The real console script: a bad value ends with status 2 and one line, no Python traceback"
    r = run_cli('generate', '--gan', 'histology64', '--truncation', 'nan', '--out', tmp_path / 'g.png')
    assert r.returncode == 2 and 'Traceback' not in r.stderr
    assert r.stderr.strip().splitlines()[-1] == 'latent-explain generate: error: --truncation nan: must be a finite number'


# --- 6. no silent wrong results ----------------------------------------------------------------------------------

def _mixed_folder(d: Path, gray_first=False) -> Path:
    rng = np.random.default_rng(0)
    for c in ('a', 'b'):
        (d / c).mkdir(parents=True)
        for i in range(6): Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(d / c / f'{i}.png')
    Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(d / 'a' / ('0.png' if gray_first else 'gray.png'))
    return d

@pytest.mark.parametrize('cmd', ['train-classifier', 'train-gan'])
def test_mixed_channels_are_refused(tmp_path, capsys, no_heavy_work, cmd):
    data = _mixed_folder(tmp_path / 'mixed', gray_first=True)
    rc, _, err = cli(cmd, '--data', data, '--out', tmp_path / 'o', capsys=capsys)
    assert rc == 2 and 'mix grayscale' in err and '--channels 1' in err and not (tmp_path / 'o').exists()

def test_explicit_channels_convert_a_mixed_folder(tmp_path, capsys):
    data = _mixed_folder(tmp_path / 'mixed')
    rc, _, err = cli('train-classifier', '--data', data, '--channels', 3, '--epochs', 1, '--size', 16,
                     '--out', tmp_path / 'c', capsys=capsys)
    assert rc == 0 and json.loads((tmp_path / 'c' / 'config.json').read_text())['n_in'] == 3

def test_grayscale_folder_trains_a_grayscale_gan(work, tmp_path, capsys):
    data = tmp_path / 'gray'; data.mkdir()
    for p in sorted((work / 'histo').glob('*/*.png'))[:16]: Image.open(p).convert('L').save(data / p.name)
    rc, out, _ = cli('train-gan', '--data', data, '--preset', 'tiny', '--kimg', 0.004, '--batch', 4,
                     '--out', tmp_path / 'g', capsys=capsys)
    assert rc == 0 and 'grayscale' in out
    assert json.loads((tmp_path / 'g' / 'config.json').read_text())['img_channels'] == 1

@pytest.mark.parametrize('flags,says', [
    (['--channels', '1'], '--channels 1 (the run has 3)'),
    (['--batch', '8'], '--batch 8 (the run has 4)'),
    (['--preset', '64'], '--preset 64 (the run has tiny)'),
    (['--res', '32'], '--res 32 (the run has 16)'),
    (['--seed', '3'], '--seed 3 (the run has 0)'),
    (['--aug', 'diffaug'], '--aug diffaug'),
    (['--widths', '16:8'], '--widths 16:8'),
    (['--d-lowpass'], '--d-lowpass'),
    (['--r1-gamma', '5'], '--r1-gamma 5'),
], ids=lambda v: v if isinstance(v, str) else ' '.join(v))
def test_resume_refuses_a_contradicting_recipe(work, tmp_path, capsys, flags, says):
    g = copy(work / 'gan', tmp_path / 'gan'); before = snapshot(g)
    rc, _, err = cli('train-gan', '--data', work / 'histo', '--resume', '--kimg', 0.016, '--out', g, *flags, capsys=capsys)
    assert rc == 2 and says in err and '--resume' in err, err
    assert snapshot(g) == before

def test_resume_accepts_the_runs_own_recipe(work, tmp_path, capsys):
    g = copy(work / 'gan', tmp_path / 'gan')
    rc, _, err = cli('train-gan', '--data', work / 'histo', '--resume', '--preset', 'tiny', '--batch', 4, '--seed', 0,
                     '--r1-gamma', -1, '--out', g, capsys=capsys)
    assert rc == 0, err

def test_legal_but_extreme_truncation_warns(work, tmp_path, capsys):
    rc, _, err = cli('generate', '--gan', 'histology64', '--n', 4, '--truncation', 5, '--out', tmp_path / 'g.png',
                     capsys=capsys)
    assert rc == 0 and 'warning: --truncation 5' in err and (tmp_path / 'g.png').exists()

def test_generate_keeps_a_users_image(tmp_path, capsys):
    Image.new('RGB', (8, 8), 'red').save(tmp_path / 'scan.png'); before = snapshot(tmp_path)
    rc, _, err = cli('generate', '--gan', 'histology64', '--n', 1, '--out', tmp_path / 'scan.png', capsys=capsys)
    assert rc == 2 and '--overwrite' in err and snapshot(tmp_path) == before
    assert cli('generate', '--gan', 'histology64', '--n', 1, '--out', tmp_path / 'scan.png', '--overwrite',
               capsys=capsys)[0] == 0

def test_h5_data_without_channels(tmp_path, capsys):
    import h5py
    rng = np.random.default_rng(0)
    with h5py.File(tmp_path / 'x.h5', 'w') as f:
        f['x'] = rng.integers(0, 255, (16, 16, 16, 3), dtype=np.uint8); f['y'] = np.arange(16) % 2
    rc, _, err = cli('train-classifier', '--data', tmp_path / 'x.h5', '--epochs', 1, '--size', 16,
                     '--out', tmp_path / 'c', capsys=capsys)
    assert rc == 0, err
    assert json.loads((tmp_path / 'c' / 'config.json').read_text())['n_in'] == 3


# --- 7. --skip-bad ------------------------------------------------------------------------------------------------

@pytest.fixture()
def with_bad_file(work, tmp_path):
    data = copy(work / 'histo', tmp_path / 'histo')
    victim = sorted((data / 'normal').glob('*.png'))[0]
    victim.write_bytes(victim.read_bytes()[:30])   # truncated
    return data, victim

@pytest.mark.parametrize('line', [
    'train-classifier --data {data} --epochs 1 --size 16 --bs 8 --out {out}',
    'train-gan --data {data} --preset tiny --kimg 0.004 --batch 4 --out {out}',
    'score-gan --gan {gan} --data {data} --n 8 --repeats 1 --no-floor',
    'predict {victim} {good} --clf {clf}',
], ids=['train-classifier', 'train-gan', 'score-gan', 'predict'])
def test_skip_bad(work, tmp_path, capsys, with_bad_file, line):
    data, victim = with_bad_file
    args = line.format(data=data, out=tmp_path / 'o', gan=work / 'gan', clf=work / 'clf', victim=victim,
                       good=sorted((data / 'tumour').glob('*.png'))[0]).split()
    rc, _, err = cli(*args, capsys=capsys)
    assert rc == 2 and victim.name in err and '--skip-bad' in err and not (tmp_path / 'o').exists(), err
    rc, out, err = cli(*args, '--skip-bad', capsys=capsys)
    assert rc == 0 and re.search(r'warning: .*skipped 1 .*unreadable', err) and victim.name in err, err
    if args[0] == 'predict': assert len(out.strip().splitlines()) == 2    # the header and the readable file
