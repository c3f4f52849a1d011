"StyleGAN2 training: exact resume, NaN roll-back, GAN folder layout, augmentation, realism, the command."
import os, json, signal, warnings
from dataclasses import replace
os.environ.setdefault('HF_HUB_OFFLINE', '1')
from pathlib import Path
import numpy as np, torch, pytest
from latent_explain.data import DataError
from latent_explain.stylegan import gan_preset, load_generator
from latent_explain.train_gan import train_gan, GANTrainer, ema_beta, sample_indices, StopRequest
from latent_explain.train_gan_cli import cmd_train_gan
from latent_explain.gan_run import TrainOptions, read_state
from latent_explain.augment import ada_augment, diff_augment, translate, ada_adjust
from latent_explain.realism import c2st, meter_distance

IMGS = np.random.default_rng(0).integers(0, 256, (40, 16, 16, 3), dtype=np.uint8)
# short intervals so that every phase (G reg, D reg) and the ADA controller act within a few steps
FAST = dict(cfg='tiny', batch=4, r1_interval=4, pl_interval=2, ada_interval=2, ada_kimg=0.5, snap_kimg=0.008,
            realism_n=0, grid_n=4, progress=False)

def _weights(tr):
    return {f'{n}.{k}': v.clone() for n in ('G', 'G_ema', 'D') for k, v in getattr(tr, n).state_dict().items()}

@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1); yield; torch.set_num_threads(n)

def test_resume_warns_about_options_in_an_opts_object(tmp_path):
    "A recipe change passed as a TrainOptions object is reported and ignored on resume, like one passed as a keyword"
    train_gan(IMGS, out=tmp_path, kimg=0.008, **FAST)
    with pytest.warns(UserWarning, match=r"\['batch'\] differ"):
        tr = train_gan(IMGS, out=tmp_path, resume=True, opts=TrainOptions(batch=8, kimg=0.016), progress=False)
    assert tr.opts.batch == 4 and tr.state['step'] == 4   # stored batch; the kimg given in opts was taken

def test_snapshot_c2st_epochs_reach_every_classifier(tmp_path, monkeypatch):
    "TrainOptions.c2st_epochs (train-gan --c2st-epochs) is what every snapshot classifier trains; changeable on resume"
    import latent_explain.realism as realism
    seen = []
    monkeypatch.setattr(realism, '_c2st_once', lambda *a: seen.append(a[4]) or 0.5)   # a[4]: the classifier's epochs
    train_gan(IMGS, out=tmp_path, kimg=0.008, c2st_epochs=3, **{**FAST, 'realism_n': 8})
    assert len(seen) == 3 and set(seen) == {3}                  # one snapshot, three classifiers (repeats)
    seen.clear()
    train_gan(IMGS, out=tmp_path, resume=True, kimg=0.016, c2st_epochs=5, progress=False)
    assert len(seen) == 3 and set(seen) == {5}
    assert json.loads((tmp_path / 'config.json').read_text())['training']['c2st_epochs'] == 5   # kept for the next resume

def test_range_penalty_enters_g_loss(monkeypatch):
    "range_penalty × range_excess(fakes) is added to G's main loss (and only when the weight is non-zero)"
    import latent_explain.train_gan as tg
    monkeypatch.setattr(tg, 'range_excess', lambda img: torch.full((len(img),), 1000.0))   # a known excess
    linear = replace(gan_preset('tiny'), output_act='linear')   # with tanh (the default) there is nothing to penalise
    losses = {w: train_gan(IMGS, kimg=0.008, range_penalty=w, **{**FAST, 'cfg': linear}).state['history'][-1]['loss_G']
              for w in (0.0, 0.5)}
    assert losses[0.0] < 20 and abs(losses[0.5] - losses[0.0] - 500) < 20, losses

def test_resume_writes_changed_options_back(tmp_path):
    "kimg / snap_kimg given on resume are written to config.json, so a later plain resume keeps them"
    train_gan(IMGS, out=tmp_path, kimg=0.008, **FAST)
    train_gan(IMGS, out=tmp_path, resume=True, kimg=0.024, snap_kimg=0.004, progress=False)
    recipe = json.loads((tmp_path / 'config.json').read_text())['training']
    assert (recipe['kimg'], recipe['snap_kimg'], recipe['batch']) == (0.024, 0.004, 4)
    tr = train_gan(IMGS, out=tmp_path, resume=True, progress=False)   # nothing given: the rewritten recipe holds
    assert (tr.opts.snap_kimg, tr.state['kimg']) == (0.004, 0.024)
    assert not list(tmp_path.glob('*.tmp*')) and not list(tmp_path.glob('.tmp*'))

def test_resume_is_exact(tmp_path):
    "2N steps straight == N steps, a new process-like resume from disk, N more steps (bitwise)"
    # a low-passing D: with it ADA's p leaves 0 within these 10 steps on this seed, so its restore is tested too
    fast = {**FAST, 'cfg': replace(gan_preset('tiny'), d_lowpass=True)}
    a = train_gan(IMGS, out=tmp_path / 'a', kimg=0.04, **fast)
    train_gan(IMGS, out=tmp_path / 'b', kimg=0.02, **fast)
    b = train_gan(IMGS, out=tmp_path / 'b', resume=True, kimg=0.04, progress=False)
    assert a.state['step'] == b.state['step'] == 10
    assert (b.opts.snap_kimg, b.opts.realism_n, b.opts.grid_n) == (0.008, 0, 4)   # the run's, not the defaults
    assert a.state['augment_p'] == b.state['augment_p'] > 0
    assert a.state['pl_mean'] == b.state['pl_mean'] > 0
    wa, wb = _weights(a), _weights(b)
    for k in wa: torch.testing.assert_close(wa[k], wb[k], rtol=0, atol=1e-6, msg=k)
    # opt state equal too (so the run continues identically beyond this point)
    assert torch.equal(a.opt_D.state[next(iter(a.D.parameters()))]['exp_avg_sq'],
                       b.opt_D.state[next(iter(b.D.parameters()))]['exp_avg_sq'])

def test_gandir_layout(tmp_path):
    out = tmp_path / 'gan'
    tr = train_gan(IMGS, out=out, kimg=0.016, **{**FAST, 'realism_n': 16})
    st = json.loads((out / 'training_state.json').read_text())
    for k in ('kimg', 'augment_p', 'step', 'cur_nimg', 'batch', 'seed', 'history', 'nan_count'): assert k in st
    assert st['kimg'] == 0.016 and st['step'] == 4 and st['cur_nimg'] == 16
    row = st['history'][-1]
    # the snapshot scored realism_n = 16 images a side, without the floor (measured here: c2st 0.81, spread 1.07)
    assert row['n'] == 16 and row['c2st'] >= 0.5 and row['spread'] > 0.5 and 'floor_c2st' not in row and 'loss_G' in row
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['preset'] == 'tiny' and cfg['training']['batch'] == 4 and cfg['training']['betas'] == [0.0, 0.99]
    ck = out / st['checkpoint']
    for f in ('G', 'G_ema', 'D', 'opt_G', 'opt_D', 'rng'): assert (ck / f'{f}.safetensors').is_file()
    for f in ('opt_G.json', 'opt_D.json', 'rng.json', 'state.json'): assert (ck / f).is_file()
    assert sorted(p.name for p in out.glob('ckpt-*')) == [st['checkpoint']]
    assert not list(out.rglob('.tmp*'))
    assert list((out / 'samples').glob('fakes-*.png')) and (out / 'samples' / 'reals.png').is_file()
    G = load_generator(out)   # G_ema without optimiser state
    z = torch.randn(2, G.z_dim)
    torch.testing.assert_close(G(z, noise_mode='const'), tr.G_ema(z, noise_mode='const'))
    with pytest.raises(DataError, match='resume'): train_gan(IMGS, out=out, kimg=0.016, **FAST)
    with pytest.raises(DataError, match='nothing to resume|no training_state'):
        train_gan(IMGS, out=None, resume=tmp_path / 'nope', kimg=0.01, **FAST)
    with pytest.raises(DataError, match='unknown option'): train_gan(IMGS, out=None, bogus=1)

def test_nan_rolls_back(tmp_path):
    "A NaN in D's output at step 5: no update applied, state restored from the last checkpoint, event counted"
    tr = GANTrainer(IMGS, gan_preset('tiny'), TrainOptions(batch=4, snap_kimg=0.008, realism_n=0, grid_n=0), out=tmp_path)
    tr.save()
    fired = []
    def poison(mod, inp, out):
        if tr.state['step'] == 5 and not fired: fired.append(1); return out * float('nan')
    h = tr.D.register_forward_hook(poison)
    with pytest.warns(UserWarning, match='non-finite'): tr.fit(0.032, progress=False)
    h.remove()
    st = read_state(tmp_path)
    assert st['nan_count'] == 1 and st['nan_events'][0]['step'] == 5 and st['step'] == 8
    assert all(torch.isfinite(v).all() for v in _weights(tr).values())

def test_nan_gives_up(tmp_path):
    tr = GANTrainer(IMGS, gan_preset('tiny'), TrainOptions(batch=4, realism_n=0, grid_n=0, max_nan_rollbacks=2))
    tr.save()
    tr.D.register_forward_hook(lambda m, i, o: o * float('nan'))
    with pytest.warns(UserWarning), pytest.raises(Exception, match='diverged'): tr.fit(0.032, progress=False)

def test_augmentations():
    g = lambda s: torch.Generator().manual_seed(s)
    x = torch.rand(16, 3, 16, 16) * 2 - 1
    assert torch.equal(ada_augment(x, 0.0, g(0)), x)
    assert torch.equal(ada_augment(x, 0.6, g(1)), ada_augment(x, 0.6, g(1)))
    y = ada_augment(x, 1.0, g(2))
    assert y.shape == x.shape and not torch.equal(y, x)
    xr = x.clone().requires_grad_(True)
    y = diff_augment(xr, g(3))
    assert (y == 0).float().mean() > 0.15              # cutout holes
    gr, = torch.autograd.grad(y.square().sum(), xr)
    assert torch.isfinite(gr).all() and gr.abs().sum() > 0
    t = torch.arange(25.).view(1, 1, 5, 5)
    assert translate(t, torch.tensor([2]), torch.tensor([0]))[0, 0, 0].tolist() == [2., 1., 0., 1., 2.]
    assert ada_adjust(0.5, 10, 10, 0.6, 32, 4, 500) > 0.5 and ada_adjust(0.5, -10, 10, 0.6, 32, 4, 500) < 0.5
    assert ema_beta(32, 10**9, 10) ** (10000 / 32) == pytest.approx(0.5)

def test_data_order_is_a_function_of_step():
    a = np.concatenate([sample_indices(s, 7, 3, 1) for s in range(7)])   # 21 draws = 3 epochs of 7
    for e in range(3): assert sorted(a[7 * e:7 * e + 7]) == list(range(7))
    assert not np.array_equal(sample_indices(0, 7, 3, 1), sample_indices(0, 7, 3, 2))

def test_realism_measures():
    rng = np.random.default_rng(0)
    flat = lambda n, v: np.clip(rng.normal(v, 20, (n, 16, 16, 3)), 0, 255).astype(np.uint8)
    assert c2st(flat(64, 128), flat(64, 128), epochs=5) < 0.75
    assert c2st(flat(64, 100), flat(64, 160), epochs=5) > 0.9
    mean = lambda x: x.mean((1, 2, 3)).numpy()
    assert meter_distance(flat(64, 100), flat(64, 160), mean) > 0.3
    with pytest.raises(DataError, match='at least 8'): c2st(flat(4, 1), flat(4, 1))

def test_cmd_train_gan_on_folder(tmp_path, capsys):
    from PIL import Image
    data = tmp_path / 'imgs'; data.mkdir()
    for i in range(8):   # a plain folder of 20 px grayscale PNGs: resized to 16 px, read with 3 channels (8: enough for realism)
        Image.fromarray(IMGS[i, :, :, 0].repeat(2, 0)[:20].repeat(2, 1)[:, :20]).save(data / f'{i}.png')
    out = tmp_path / 'gan'
    assert cmd_train_gan(str(data), res=16, kimg=0.008, out=str(out), preset='tiny', batch=4) == out
    printed = capsys.readouterr().out
    assert 'kimg' in printed and f"-> {out / 'best'}" in printed    # the lowest-C2ST snapshot is kept, and named
    assert read_state(out)['kimg'] == 0.008 and load_generator(out / 'best').cfg.res == 16
    with pytest.raises(DataError, match='--resume'): cmd_train_gan(str(data), kimg=0.016, out=str(out), preset='tiny')
    cmd_train_gan(str(data), kimg=0.016, out=str(out), resume=True, meters='mean_intensity')
    st = read_state(out)
    assert st['kimg'] == 0.016 and load_generator(out).cfg.res == 16
    assert st['history'][-1]['w1_mean_intensity'] >= 0          # --meters are logged at snapshots
    cmd_train_gan(str(data), out=str(out), resume=True)   # no --kimg: the run's own target (0.016), not the default 100
    assert read_state(out)['step'] == st['step']
    with pytest.raises(DataError, match='--kimg'): cmd_train_gan(str(data), out=str(out), kimg=-1)
    with pytest.raises(DataError, match='unknown .*nuclei_count'): cmd_train_gan(str(data), out=str(out), meters='bogus')
    with pytest.raises(DataError, match='--minutes'): cmd_train_gan(str(data), out=str(out), minutes=-1)
    with pytest.raises(DataError, match='--c2st-epochs'): cmd_train_gan(str(data), out=str(out), c2st_epochs=-1)
    g = tmp_path / 'gray'   # grayscale training from a class-folder tree
    for c in ('a', 'b'):
        (data.parent / 'tree' / c).mkdir(parents=True)
        for i in range(3): Image.fromarray(IMGS[i, :, :, 0]).save(data.parent / 'tree' / c / f'{i}.png')
    cmd_train_gan(str(tmp_path / 'tree'), res=16, kimg=0.004, out=str(g), preset='tiny', batch=2, channels=1)
    assert load_generator(g).cfg.img_channels == 1
    w = tmp_path / 'wide'   # --widths / --d-widths reach the saved config; the others keep the preset's
    cmd_train_gan(str(data), res=16, kimg=0.004, out=str(w), preset='tiny', batch=2, widths='16:24', d_widths='8:40',
                  d_lowpass=True)
    cfg = load_generator(w).cfg
    assert (cfg.channels, cfg.d_channels, cfg.d_lowpass) == ({4: 32, 8: 32, 16: 24}, {4: 32, 8: 40, 16: 16}, True)
    assert load_generator(g).cfg.d_lowpass is False    # plain strides unless asked
    with pytest.raises(DataError, match='--widths 16-24'): cmd_train_gan(str(data), out=str(tmp_path / 'x'), widths='16-24')
    with pytest.raises(DataError, match=r'\[32\] are not in this 16-px'):
        cmd_train_gan(str(data), res=16, preset='tiny', out=str(tmp_path / 'x'), d_widths='32:8')
    assert not (tmp_path / 'x').exists()

@pytest.mark.parametrize('channels', [1, 3])
def test_tiny_preset_200_steps(channels):
    "200 steps of the tiny preset on CPU: every logged loss finite, generated images of the right shape in [-1, 1]"
    from latent_explain.realism import generate
    imgs = IMGS[..., :channels]
    tr = train_gan(imgs, cfg='tiny', kimg=0.8, batch=4, snap_kimg=0.2, realism_n=0, grid_n=0, progress=False)
    s = tr.state
    assert s['step'] == 200 and s['nan_count'] == 0 and len(s['history']) == 4
    for row in s['history']:
        losses = {k: v for k, v in row.items() if k.startswith('loss_')}
        assert set(losses) == {'loss_G', 'loss_Gpl', 'loss_D', 'loss_Dr1'} and all(np.isfinite(list(losses.values())))
    raw = tr.G_ema(torch.randn(8, tr.G_ema.z_dim), noise_mode='const')
    assert raw.shape == (8, channels, 16, 16) and torch.isfinite(raw).all()
    img = generate(tr.G_ema, 8, seed=0)
    assert img.shape == (8, channels, 16, 16) and img.min() >= -1 and img.max() <= 1 and img.std() > 0.01

def test_stop_request_catches_each_signal_once():
    # Python's usual Ctrl-C handler, whatever the launching shell or an earlier test left in place (a CI run once
    # started this test with a SIGINT handler that does not raise)
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        with StopRequest() as stop:
            signal.raise_signal(signal.SIGINT)            # caught: no KeyboardInterrupt, just the flag
            assert stop.name == 'SIGINT' and signal.getsignal(signal.SIGINT) == before[0]   # a second Ctrl-C interrupts
            signal.raise_signal(signal.SIGTERM)           # a scheduler's SIGTERM after a Ctrl-C: absorbed once
            assert stop.name == 'SIGINT' and signal.getsignal(signal.SIGTERM) == before[1]
            with pytest.raises(KeyboardInterrupt): signal.raise_signal(signal.SIGINT)
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    finally: signal.signal(signal.SIGINT, saved)

def test_ctrl_c_stops_fit_with_checkpoint(tmp_path):
    "SIGINT during step 5: fit stops after it, checkpoints step 5 (not the last snapshot), and a resume goes on"
    tr = train_gan(IMGS, out=tmp_path, kimg=0, **{**FAST, 'snap_kimg': 100})
    step = tr.train_step
    def step_then_ctrl_c():
        step()
        if tr.state['step'] == 5: signal.raise_signal(signal.SIGINT)
    tr.train_step = step_then_ctrl_c
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always'); tr.fit(kimg=1, progress=False)
    assert tr.interrupted == 'SIGINT' and tr.state['step'] == 5
    st = read_state(tmp_path)
    assert st['step'] == 5 and st['history'][-1]['step'] == 5 and 'loss_G' in st['history'][-1]
    assert any('SIGINT: stopped at kimg 0.020' in str(w.message) and 'resume=True' in str(w.message) for w in caught)
    assert train_gan(IMGS, out=tmp_path, resume=True, kimg=0.028, progress=False).state['step'] == 7
