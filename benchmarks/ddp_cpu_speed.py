"""Training speed (kimg/h, every phase included) at 64 px on this CPU: one process on all threads vs DDP ranks.

Asks whether splitting the batch over 2 single-threaded gloo ranks (`torchrun --nproc_per_node 2`) trains faster
than 1 process with 2 threads, as small convolutions (batch 32, widths 32-128) might leave a second thread idle.
Measured on the 2-core CPU (2026-11-27, two runs): 1 × 2 203-204 kimg/h, 2 × 1 202-205 (0.99-1.01×), 1 × 1 112-115
(0.55-0.56×): no, two threads already scale 1.8×, and one process is simpler. Each layout trains the same preset, data, seed and
global batch, 17 warm-up steps (one of each lazy regulariser) then `--steps` timed steps; every layout runs in its
own fresh process(es), one after another.

Usage: python benchmarks/ddp_cpu_speed.py [--steps 48] [--batch 32] [--layouts 1x2,2x1,1x1]
"""
import argparse, json, os, socket, subprocess, sys, tempfile, textwrap
from pathlib import Path

WORKER = textwrap.dedent('''
    import json, os, sys, numpy as np, torch
    from pathlib import Path
    from latent_explain.core import tune_glibc_malloc
    sys.path.insert(0, sys.argv[5])   # benchmarks/: the timing loop of width_split_speed
    from width_split_speed import kimg_per_hour, PRESET
    torch.set_num_threads(int(os.environ['OMP_NUM_THREADS']))
    tune_glibc_malloc()
    out, steps, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    world = int(os.environ.get('WORLD_SIZE', '1'))
    kimg_h = kimg_per_hour(PRESET, PRESET, np.load(sys.argv[4]), steps, batch, batch_gpu=batch // world)
    if int(os.environ.get('RANK', '0')) == 0: Path(out).write_text(json.dumps({'kimg_per_h': kimg_h}))
''')


def _free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def run_layout(procs: int, threads: int, steps: int, batch: int, tmp: Path) -> float:
    "kimg/h of `procs` ranks × `threads` threads each"
    out = tmp / f'{procs}x{threads}.json'
    env = {**os.environ, 'OMP_NUM_THREADS': str(threads), 'MASTER_ADDR': '127.0.0.1', 'GLOO_SOCKET_IFNAME': 'lo',
           'MALLOC_MMAP_THRESHOLD_': '2147483647', 'MALLOC_TRIM_THRESHOLD_': '17179869184'}
    args = [str(tmp / 'worker.py'), str(out), str(steps), str(batch), str(tmp / 'images.npy'), str(Path(__file__).resolve().parent)]
    cmd = ([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(procs), '--master_addr', '127.0.0.1',
            '--master_port', str(_free_port())] if procs > 1 else [sys.executable]) + args
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode: raise SystemExit(f"layout {procs}x{threads} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}")
    return json.loads(out.read_text())['kimg_per_h']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=48)
    ap.add_argument('--batch', type=int, default=32, help='global batch, split over the ranks')
    ap.add_argument('--layouts', default='1x2,2x1,1x1', help='comma-separated PROCSxTHREADS')
    a = ap.parse_args()
    import numpy as np
    from latent_explain.datasets import synth_histology
    layouts = [tuple(int(v) for v in l.split('x')) for l in a.layouts.split(',')]
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        (tmp / 'worker.py').write_text(WORKER)
        np.save(tmp / 'images.npy', synth_histology(512, seed=1).images)
        rows = [(p, t, run_layout(p, t, a.steps, a.batch, tmp)) for p, t in layouts]
    base = rows[0][2]
    print(f"preset 64, global batch {a.batch}, {a.steps} timed steps, {os.cpu_count()} CPUs")
    print(f"{'ranks x threads':>16} {'kimg/h':>8} {'vs ' + f'{rows[0][0]}x{rows[0][1]}':>8}")
    for p, t, k in rows: print(f"{f'{p} x {t}':>16} {k:8.1f} {k / base:8.2f}")


if __name__ == '__main__': main()
