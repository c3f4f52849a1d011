"""Reproduce the bundled generators and their encoders: histology64, knee64 and ihc64, from nothing.

Each is the chain of `latent-explain` commands its `provenance.json` records (printed before each runs): training
data, `train-gan --noise-from 64` for a wall-clock budget, a fresh `score-gan` (C2ST, meter distances and the
controllability of every planted meter), the classifier whose output the encoder keeps, and `train-encoder`.
A stage whose output folder exists under --work is reused, so an interrupted run continues where it stopped.

On the 2-core CPU the bundled ones were trained one thread each, two jobs side by side: the GANs 55 (knee), 50
(histology) and 45 (IHC) minutes, each encoder 12 minutes, each classifier 1-2.5 minutes; from those stage times the three chains
should take about 3.3 hours of one core, about 2.1 hours on two cores with `--jobs 2` (the third chain starts when the first ends). --scale multiplies every training budget
(0.02 for a smoke run of a few minutes).

Usage: python benchmarks/bundled_generators.py --work runs/bundled [--only knee64,histology64,ihc64] [--scale 1]
                                               [--jobs 1] [--threads 1]
"""
from __future__ import annotations
import argparse, json, shlex, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

IHC_TILES = ("from pathlib import Path; from PIL import Image; from latent_explain.datasets import ihc_tiles; "
             "t = ihc_tiles(size=64, stride=8); o = Path('{out}'); o.mkdir(); "
             "[Image.fromarray(t.images[i]).save(o / f'{{j:05d}}.png') "
             "for j, i in enumerate(i for i, s in enumerate(t.split) if s == 'train')]")


def chains(w: Path, scale: float, threads: int) -> dict:
    "name -> [(output path, command)] in order; `minutes` budgets scaled"
    m = lambda minutes: f'{minutes * scale:g}'
    le = lambda *a: ['latent-explain', *map(str, a)]
    gan = lambda data, out, meters, minutes: (w / out, le('train-gan', '--data', w / data, '--out', w / out, '--noise-from', 64,
                                                        '--meters', meters, '--threads', threads, '--minutes', m(minutes)))
    score = lambda run, fresh, meters: (w / f'{run}-score.json', le('score-gan', '--gan', w / run, '--data', w / fresh,
                                                                     '--meters', meters, '--threads', threads))
    enc = lambda run, data, clf: (w / f'enc-{run}', le('train-encoder', '--gan', w / run, '--data', w / data, '--out',
                                                      w / f'enc-{run}', '--minutes', m(12), '--clf', w / clf))
    hm, km, im = 'nuclei_count,nucleus_mean_area,hematoxylin_fraction', 'joint_space_width,marker_score', 'dab_fraction,hematoxylin_fraction'
    return {
        'histology64': [
            (w / 'tiles-5k', le('data', 'synth-histology', '--n', 5000, '--seed', 5, '--out', w / 'tiles-5k', '--no-sheet')),
            gan('tiles-5k', 'histology64-run', 'nuclei_count,nucleus_mean_area', 50),
            (w / 'hist-fresh', le('data', 'synth-histology', '--n', 2000, '--seed', 12, '--out', w / 'hist-fresh', '--no-sheet')),
            score('histology64-run', 'hist-fresh', hm),
            (w / 'h600', le('data', 'synth-histology', '--n', 600, '--seed', 1, '--out', w / 'h600', '--no-sheet')),
            (w / 'clf-h600', le('train-classifier', '--data', w / 'h600', '--out', w / 'clf-h600')),
            enc('histology64-run', 'tiles-5k', 'clf-h600')],
        'knee64': [
            (w / 'knee-3k', le('data', 'synth-knee', '--n', 3000, '--seed', 0, '--out', w / 'knee-3k', '--no-sheet')),
            gan('knee-3k', 'knee64-run', km, 55),
            (w / 'knee-fresh', le('data', 'synth-knee', '--n', 2000, '--seed', 11, '--marker-bias', 0.5, '--out', w / 'knee-fresh', '--no-sheet')),
            score('knee64-run', 'knee-fresh', km),
            (w / 'knee-unbiased', le('data', 'synth-knee', '--n', 3072, '--seed', 3, '--marker-bias', 0.5, '--out', w / 'knee-unbiased', '--no-sheet')),
            (w / 'clf-knee-unbiased', le('train-classifier', '--data', w / 'knee-unbiased', '--out', w / 'clf-knee-unbiased', '--epochs', 6)),
            enc('knee64-run', 'knee-3k', 'clf-knee-unbiased')],
        'ihc64': [
            (w / 'ihc-train', [sys.executable, '-c', IHC_TILES.format(out=w / 'ihc-train')]),
            gan('ihc-train', 'ihc64-run', im, 45),
            (w / 'ihc', le('data', 'ihc', '--out', w / 'ihc', '--no-sheet')),
            score('ihc64-run', 'ihc', im),
            (w / 'clf-ihc', le('train-classifier', '--data', w / 'ihc', '--out', w / 'clf-ihc')),
            enc('ihc64-run', 'ihc-train', 'clf-ihc')],
    }


def run_chain(name: str, steps: list, log: Path) -> list:
    "Run one generator's commands in order (reusing existing outputs); [(command name, seconds)]"
    times = []
    for out, cmd in steps:
        label = cmd[1] if cmd[0] == 'latent-explain' else 'ihc tiles'
        if out.exists(): print(f'[{name}] reusing {out}', flush=True); continue
        print(f'[{name}] $', shlex.join(cmd), flush=True)
        t0 = time.time()
        with open(log, 'a') as f:
            r = subprocess.run(cmd, stdout=subprocess.PIPE if out.suffix == '.json' else f, stderr=f, text=True)
        if r.returncode: sys.exit(f'[{name}] failed ({r.returncode}): {shlex.join(cmd)}; see {log}')
        if out.suffix == '.json': out.write_text(r.stdout)
        times.append((label, time.time() - t0))
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='runs/bundled', help='folder for every dataset, run, score and encoder')
    ap.add_argument('--only', default='histology64,knee64,ihc64', help='comma-separated generator names')
    ap.add_argument('--scale', type=float, default=1.0, help='multiplies every --minutes budget (0.02: smoke run)')
    ap.add_argument('--jobs', type=int, default=1, help='chains run side by side (one per core)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads per command')
    a = ap.parse_args()
    w = Path(a.work).resolve(); w.mkdir(parents=True, exist_ok=True)
    all_chains = chains(w, a.scale, a.threads)
    names = [n for n in a.only.split(',') if n]
    if bad := [n for n in names if n not in all_chains]: sys.exit(f'--only: unknown {bad}; choose from {sorted(all_chains)}')
    t0 = time.time()
    with ThreadPoolExecutor(max(a.jobs, 1)) as ex:
        times = dict(zip(names, ex.map(lambda n: run_chain(n, all_chains[n], w / f'{n}.log'), names)))
    print(f"\n{'generator':<12} {'c2st':>6} {'floor':>6}  controllability{'':<30} stage seconds")
    for n in names:
        s = json.loads((w / f'{n}-run-score.json').read_text())
        ctrl = ', '.join(f"{k[5:]} {v:.2f}" for k, v in s.items() if k.startswith('ctrl_'))
        print(f"{n:<12} {s['c2st']:6.3f} {s.get('floor_c2st', float('nan')):6.3f}  {ctrl:<45} "
              + ', '.join(f'{k} {v:.0f}' for k, v in times[n]))
    print(f'wall time {time.time() - t0:.0f} s; generators in {w}/NAME-run (G_ema), encoders in {w}/enc-NAME-run')


if __name__ == '__main__':
    main()
