"""Reproduce the bundled generators and their encoders: histology64, knee64 and ihc64, from nothing, and time each stage.

The recipe is `latent_explain.train_demo.GENERATOR_RECIPES` (what `latent-explain train-demo --only generators` runs):
training data, `train-gan --noise-from 64` for a wall-clock budget (histology64: then continued with --resume), the
lowest-C2ST snapshot exported (histology64: its last weights), a fresh
`score-gan` (C2ST, meter distances and the controllability of every planted meter), the classifier whose output the
encoder keeps, and `train-encoder`. This script runs the three chains side by side (--jobs, one per core), each in its
own process, and prints one table. A step whose output exists under --out is reused, so an interrupted run continues.

On the 2-core CPU the bundled ones were trained one thread each, two jobs side by side: the GANs 55 (knee), 50 + 70
(histology) and 45 (IHC) minutes, each encoder 12 minutes, each classifier 1-2.5 minutes; from those stage times the
three chains take about 4.5 hours of one core, about 2.4 hours on two cores with `--jobs 2` (the third chain starts
when the first ends). --scale multiplies every training budget (0.02 for a smoke run of a few minutes).

Usage: python benchmarks/bundled_generators.py --out runs/bundled [--only knee64,histology64,ihc64] [--scale 1]
                                               [--jobs 1] [--threads 1]
"""
from __future__ import annotations
import argparse, json, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHAIN = ("import json, sys; from pathlib import Path; "
         "from latent_explain.train_demo import GENERATOR_RECIPES, generator_steps, run_steps; "
         "out, name, scale, threads = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]); "
         "(out / 'work').mkdir(parents=True, exist_ok=True); "
         "t = run_steps(generator_steps(out / 'work', out, GENERATOR_RECIPES[name], scale, threads), out / f'times-{name}.json')")


def run_chain(out: Path, name: str, scale: float, threads: int) -> dict:
    "One generator's chain in its own process (log in OUT/NAME.log); {step: seconds} of every step run so far"
    with open(out / f'{name}.log', 'a') as log:
        r = subprocess.run([sys.executable, '-c', CHAIN, str(out), name, str(scale), str(threads)], stdout=log, stderr=log)
    if r.returncode: sys.exit(f'[{name}] failed ({r.returncode}); see {out / f"{name}.log"}')
    t = out / f'times-{name}.json'
    return json.loads(t.read_text()) if t.is_file() else {}


def main():
    from latent_explain.train_demo import GENERATOR_RECIPES
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='runs/bundled', help='folder for the generators (NAME/) and work files (work/)')
    ap.add_argument('--only', default='histology64,knee64,ihc64', help='comma-separated generator names')
    ap.add_argument('--scale', type=float, default=1.0, help='multiplies every training budget (0.02: smoke run)')
    ap.add_argument('--jobs', type=int, default=1, help='chains run side by side (one per core)')
    ap.add_argument('--threads', type=int, default=1, help='torch threads per chain')
    a = ap.parse_args()
    out = Path(a.out).resolve(); out.mkdir(parents=True, exist_ok=True)
    names = [n for n in a.only.split(',') if n]
    if bad := [n for n in names if n not in GENERATOR_RECIPES]: sys.exit(f'--only: unknown {bad}; choose from {sorted(GENERATOR_RECIPES)}')
    t0 = time.time()
    with ThreadPoolExecutor(max(a.jobs, 1)) as ex:
        times = dict(zip(names, ex.map(lambda n: run_chain(out, n, a.scale, a.threads), names)))
    print(f"\n{'generator':<12} {'c2st':>6} {'floor':>6}  controllability{'':<30} stage seconds")
    for n in names:
        s = json.loads((out / 'work' / f'{n}-score.json').read_text())
        ctrl = ', '.join(f"{k[5:]} {v:.2f}" for k, v in s.items() if k.startswith('ctrl_'))
        print(f"{n:<12} {s['c2st']:6.3f} {s.get('floor_c2st', float('nan')):6.3f}  {ctrl:<45} "
              + ', '.join(f'{k} {v:.0f}' for k, v in times[n].items()))
    print(f'wall time {time.time() - t0:.0f} s; generators with their encoders in {out}/NAME/')


if __name__ == '__main__':
    main()
