"Crash safety: SIGKILL a training process at random moments, resume, and check the GAN folder stays consistent."
import os, sys, json, time, random, signal, subprocess, textwrap, multiprocessing as mp
os.environ.setdefault('HF_HUB_OFFLINE', '1')
from pathlib import Path
import numpy as np, torch, pytest
import latent_explain.train_gan   # imported here, so forked training processes start at once

pytestmark = pytest.mark.slow   # every test here starts processes (training runs, torchrun or pip)

TRAIN = textwrap.dedent('''
    import sys, numpy as np, torch
    torch.set_num_threads(1)
    from latent_explain.train_gan import train_gan
    imgs = np.random.default_rng(0).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)
    snap = float(sys.argv[2]) if len(sys.argv) > 2 else 0.008   # checkpoint every 2 steps
    train_gan(imgs, out=sys.argv[1], resume=True, cfg='tiny', kimg=0.2, batch=4, snap_kimg=snap, r1_interval=4,
              pl_interval=2, ada_kimg=0.5, realism_n=0, grid_n=4, progress=False)
''')

def _train(out: str, *args):
    "The training process: resume `out` if it has a checkpoint, else start it"
    sys.argv = ['train', out, *args]
    exec(TRAIN, {'__name__': 'train'})

def _start(out: Path):
    "A separate training process; forked from this one where possible (no second start-up of torch and fastai)"
    if 'fork' in mp.get_all_start_methods():
        p = mp.get_context('fork').Process(target=_train, args=(str(out),)); p.start()
        return p, p.is_alive, p.kill, p.join, lambda: p.exitcode
    p = subprocess.Popen([sys.executable, '-c', TRAIN, str(out)], env={**os.environ, 'OMP_NUM_THREADS': '1'})
    return p, lambda: p.poll() is None, p.kill, p.wait, lambda: p.returncode

def _check_committed(out: Path, last_kimg: float) -> float:
    "The committed state parses, never goes back, and names a complete checkpoint folder"
    st = json.loads((out / 'training_state.json').read_text())
    assert st['kimg'] >= last_kimg, (st['kimg'], last_kimg)
    ck = out / st['checkpoint']
    for f in ('G', 'G_ema', 'D', 'opt_G', 'opt_D', 'rng'): assert (ck / f'{f}.safetensors').stat().st_size > 0
    json.loads((ck / 'state.json').read_text())
    return st['kimg']

def test_sigkill_and_resume(tmp_path):
    out = tmp_path / 'gan'
    seed = int(time.time()); rng = random.Random(seed)
    kimg, kills = 0.0, 0
    for _ in range(3):
        p, alive, kill, join, code = _start(out)
        t0 = time.time()   # wait until this process has committed something new, then kill it a moment later
        while time.time() - t0 < 300 and alive():   # long only on a loaded machine: it breaks at the first commit
            st = out / 'training_state.json'
            if st.exists() and json.loads(st.read_text())['kimg'] > kimg: break
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        if alive(): kill(); kills += 1   # SIGKILL: no handler, no cleanup
        join()
        if not (out / 'training_state.json').exists():   # killed before its first commit: nothing to check yet
            assert kimg == 0, f'seed {seed}: a committed state vanished'
            continue
        kimg = _check_committed(out, kimg)   # a kill mid-save leaves the previous consistent checkpoint
    assert kills >= 2, f'seed {seed}: the run finished before it could be killed; make it longer'
    p, alive, kill, join, code = _start(out)
    join(120)
    assert code() == 0, f'seed {seed}: the final resumed run failed (exit code {code()})'
    assert _check_committed(out, kimg) == 0.2
    assert not list(out.rglob('.tmp*')), f'seed {seed}: temporary files left: {list(out.rglob(".tmp*"))}'
    assert len(list(out.glob('ckpt-*'))) == 1
    # resuming after crashes replays exactly: the same weights as a run that was never interrupted
    from latent_explain.stylegan import load_generator
    ref, n = tmp_path / 'ref', torch.get_num_threads()
    try: _train(str(ref), '1.0')   # checkpoints don't change the trajectory: save only at the end
    finally: torch.set_num_threads(n)
    a, b = load_generator(out).state_dict(), load_generator(ref).state_dict()
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=f'seed {seed}: {k}')

def test_cli_sigkill_and_resume(tmp_path):
    "The `latent-explain train-gan` process itself, killed with SIGKILL at a random moment, then resumed to the end"
    from PIL import Image
    data, out = tmp_path / 'imgs', tmp_path / 'gan'
    data.mkdir()
    for i, a in enumerate(np.random.default_rng(1).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)):
        Image.fromarray(a).save(data / f'{i:02d}.png')
    exe = Path(sys.executable).with_name('latent-explain')   # the console script users run
    cmd = [str(exe), 'train-gan', '--data', str(data), '--res', '16', '--preset', 'tiny',
           '--kimg', '0.12', '--batch', '4', '--snap-kimg', '0.008', '--out', str(out), '--resume', '--threads', '1']
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}
    seed = int(time.time()); rng = random.Random(seed)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    state, t0 = out / 'training_state.json', time.time()
    while not state.exists() and p.poll() is None and time.time() - t0 < 120: time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 1.0))   # somewhere in the run: mid-step, mid-checkpoint or mid-sample-grid
    killed = p.poll() is None
    if killed: os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert killed, f'seed {seed}: the run ended before the kill: {p.stdout.read().decode()[-2000:]}'
    kimg = _check_committed(out, 0.0)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f'seed {seed}: the resumed run failed: {r.stdout[-2000:]}{r.stderr[-2000:]}'
    assert 'trained to 0.120 kimg' in r.stdout, r.stdout[-1000:]
    assert _check_committed(out, kimg) == 0.12
    assert not list(out.rglob('.tmp*')), f'seed {seed}: temporary files left: {list(out.rglob(".tmp*"))}'
    assert (out / 'generator.safetensors').stat().st_size > 0

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_cli_signal_stops_with_checkpoint(tmp_path, sig):
    "SIGTERM (a scheduler) or SIGINT (Ctrl-C) mid-run: a checkpoint at the current step, exit 128+signal, resumable"
    from PIL import Image
    data, out = tmp_path / 'imgs', tmp_path / 'gan'
    data.mkdir()
    for i, a in enumerate(np.random.default_rng(1).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)):
        Image.fromarray(a).save(data / f'{i:02d}.png')
    exe = Path(sys.executable).with_name('latent-explain')
    base = [str(exe), 'train-gan', '--data', str(data), '--res', '16', '--preset', 'tiny', '--batch', '4',
            '--ada-ops', 'b', '--range-penalty', '0.05', '--noise-per-channel', '--noise-init', '0.03',
            '--pl-weight', '0', '--style-mixing', '0.25', '--output-act', 'linear', '--snap-kimg', '100',   # no snapshot before the signal
            '--out', str(out), '--threads', '1']
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    p = subprocess.Popen(base + ['--kimg', '100'], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state, t0 = out / 'training_state.json', time.time()
    while not state.exists() and p.poll() is None and time.time() - t0 < 120: time.sleep(0.02)
    time.sleep(2.0)   # some steps (each a few ms at this size)
    assert p.poll() is None, p.communicate()
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=120)
    assert p.returncode == 128 + sig, (p.returncode, stdout[-1000:], stderr[-2000:])
    st = json.loads(state.read_text())
    assert st['step'] > 0, 'the checkpoint is still the one from step 0: the signal lost the work since'
    assert f"{sig.name}: stopped at kimg {st['kimg']:.3f}" in stderr and '--resume' in stderr, stderr[-2000:]
    assert f"trained to {st['kimg']:.3f} kimg" in stdout
    assert 'c2st' not in st['history'][-1] and st['history'][-1]['step'] == st['step']
    assert not list(out.rglob('.tmp*')) and len(list(out.glob('ckpt-*'))) == 1
    config = json.loads((out / 'config.json').read_text())
    recipe = config['training']   # the flags reached the recipe and the architecture
    assert (recipe['ada_ops'], recipe['range_penalty'], config['noise_per_channel'], config['noise_init']) == ('b', 0.05, True, 0.03)
    assert (recipe['pl_weight'], recipe['style_mixing'], config['output_act']) == (0.0, 0.25, 'linear')
    target = round(st['kimg'] + 0.008, 3)   # two more steps of 4 images
    r = subprocess.run(base + ['--resume', '--kimg', str(target)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(state.read_text())['step'] == st['step'] + 2
