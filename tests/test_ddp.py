"DDP: 2 CPU ranks (gloo) × batch B give the same weights as 1 process × batch 2B from the same seed."
import os, sys, subprocess, textwrap, socket
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, torch, pytest
from safetensors.torch import load_file

pytestmark = pytest.mark.slow   # every test here starts processes (training runs, torchrun or pip)

WORKER = textwrap.dedent('''
    import sys, os, torch, numpy as np
    torch.set_num_threads(1)
    from safetensors.torch import save_file
    from latent_explain.train_gan import train_gan
    out, world = sys.argv[1], int(os.environ.get('WORLD_SIZE', '1'))
    imgs = np.random.default_rng(0).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)
    tr = train_gan(imgs, out=f'{out}/gan{world}', cfg='tiny', kimg=0.048, batch=4, batch_gpu=2, seed=3, r1_interval=2,
                   pl_interval=2, ada_interval=4, ada_kimg=0.2, augment_p=0.5, ada_target=0.01, snap_kimg=0.016, realism_n=0,
                   grid_n=2, progress=False)
    if tr.rank == 0:
        sd = {f'{n}.{k}': v.contiguous() for n in ('G', 'G_ema', 'D') for k, v in getattr(tr, n).state_dict().items()}
        sd['augment_p'] = torch.tensor(tr.state['augment_p']); sd['pl_mean'] = torch.tensor(tr.state['pl_mean'])
        save_file(sd, f'{out}/w{world}.safetensors')
''')

def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def test_ddp_matches_single_process(tmp_path):
    (tmp_path / 'worker.py').write_text(WORKER)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MASTER_ADDR': '127.0.0.1', 'GLOO_SOCKET_IFNAME': 'lo'}
    ddp = subprocess.Popen([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr',
                            '127.0.0.1', '--master_port', str(_free_port()), str(tmp_path / 'worker.py'), str(tmp_path)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    n = torch.get_num_threads()   # the 1-process reference runs here meanwhile (saves a start-up)
    try: exec(WORKER.replace('sys.argv[1]', repr(str(tmp_path))), {'__name__': 'ref'})
    finally: torch.set_num_threads(n)
    out, _ = ddp.communicate(timeout=120)
    assert ddp.returncode == 0, out[-3000:]
    a, b = load_file(tmp_path / 'w1.safetensors'), load_file(tmp_path / 'w2.safetensors')
    assert a.keys() == b.keys()
    # the ADA statistic was reduced across ranks and moved p. Whatever the seed, p cannot end at 0.5: 12 steps make 3
    # adjustments (an odd number) of ±0.08 each, since the mean sign of D(real), a multiple of 1/16, is never 0.01
    assert float(a['augment_p']) != 0.5
    for k in a: torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)
    # rank 0 alone wrote a complete GAN folder; its generator equals the single-process one
    import json
    st = json.loads((tmp_path / 'gan2' / 'training_state.json').read_text())
    assert st['kimg'] == 0.048 and st['world_size'] == 2 and len(st['history']) == 3
    ga, gb = (load_file(tmp_path / f'gan{w}' / 'generator.safetensors') for w in (1, 2))
    for k in ga: torch.testing.assert_close(ga[k], gb[k], rtol=0, atol=1e-6, msg=k)
    assert not list((tmp_path / 'gan2').rglob('.tmp*'))

STOPPED = textwrap.dedent('''
    import os, sys, time, torch, numpy as np
    torch.set_num_threads(1)
    from pathlib import Path
    from latent_explain.train_gan import train_gan, GANTrainer
    step = GANTrainer.train_step
    def slow_step(self): step(self); time.sleep(0.2)   # longer steps: the signal comes mid-step, as in real runs
    GANTrainer.train_step = slow_step
    Path(sys.argv[1]).mkdir(exist_ok=True)
    (Path(sys.argv[1]) / f'pid{os.environ["RANK"]}').write_text(str(os.getpid()))
    imgs = np.random.default_rng(0).integers(0, 256, (24, 16, 16, 3), dtype=np.uint8)
    tr = train_gan(imgs, out=f'{sys.argv[1]}/gan', cfg='tiny', kimg=100, batch=4, batch_gpu=2, snap_kimg=100,
                   realism_n=0, grid_n=2, progress=False)
    print(f'rank {tr.rank} stopped by {tr.interrupted} at step {tr.state["step"]}', flush=True)
''')

def test_ddp_sigterm_to_one_rank_stops_all_at_one_step(tmp_path):
    "A signal that reaches one rank only (e.g. a node's pre-emption): every rank stops after the same step, no hang"
    import json, re, signal, time
    (tmp_path / 'worker.py').write_text(STOPPED)
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MASTER_ADDR': '127.0.0.1', 'GLOO_SOCKET_IFNAME': 'lo'}
    ddp = subprocess.Popen([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_addr',
                            '127.0.0.1', '--master_port', str(_free_port()), str(tmp_path / 'worker.py'), str(tmp_path)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    state, t0 = tmp_path / 'gan' / 'training_state.json', time.time()
    while not (state.exists() and (tmp_path / 'pid1').exists()) and ddp.poll() is None and time.time() - t0 < 120:
        time.sleep(0.05)
    time.sleep(2)
    assert ddp.poll() is None, ddp.communicate()[0][-3000:]
    os.kill(int((tmp_path / 'pid1').read_text()), signal.SIGTERM)
    try: out, _ = ddp.communicate(timeout=120)   # a rank that went on alone would wait in its next all-reduce for ever
    except subprocess.TimeoutExpired:
        ddp.terminate(); ddp.wait(60)   # torchrun passes it on and SIGKILLs workers that are still there after 30 s
        raise
    stops = {r: (why, int(n)) for r, why, n in re.findall(r'rank (\d) stopped by (SIGTERM|another rank) at step (\d+)', out)}
    assert stops.keys() == {'0', '1'}, out[-3000:]
    assert stops['1'][0] == 'SIGTERM' and stops['0'][0] == 'another rank' and stops['0'][1] == stops['1'][1], stops
    st = json.loads(state.read_text())
    assert st['step'] == stops['0'][1] > 0 and st['world_size'] == 2 and ddp.returncode == 0
    assert not list((tmp_path / 'gan').rglob('.tmp*'))
