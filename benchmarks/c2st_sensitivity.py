"""How strict is our C2ST? Scores small, known changes of the synthetic-histology generator as if they were a GAN.

Real side: `synth_histology(n, seed=123)`; other side: a copy of `synth_histology` with one constant changed, drawn
with seed 456 (the first row changes nothing: the real-vs-real floor). Prints C2ST accuracy per C2ST seed, and the
fine and coarse views (`c2st_views`, seed 0). The changed copies are built from the function's source, each edit
checked to apply, so a change in `synth_histology` fails loudly here instead of measuring the wrong thing.

Usage: python benchmarks/c2st_sensitivity.py [--n 1000] [--seeds 3] [--threads 2]
"""
import argparse, inspect, time
import torch
import latent_explain.data as D
from latent_explain.realism import c2st, c2st_views

CHANGES = {
    'none': [],
    'stroma texture amplitude x1.2': [('0.35 * fine', '0.42 * fine')],
    'stroma texture grain sigma 1.0 -> 1.25 px': [('(size, size), 1.0 * s)', '(size, size), 1.25 * s)')],
    'optical blur up to 1.2 px (0.9)': [('r.uniform(0, 0.9) * s', 'r.uniform(0, 1.2) * s')],
    'sensor noise x2 (3/255)': [('1.5 / 255', '3.0 / 255')],
    'eosin +10 %': [('eosin = 0.045', 'eosin = 0.0495')],
    'nucleus radius +0.1 px': [('r.uniform(1.9, 2.9)', 'r.uniform(2.0, 3.0)')],
}


def changed_generator(edits):
    "`synth_histology` with the source edits (old, new) applied"
    src = inspect.getsource(D.synth_histology)
    for old, new in edits:
        if old not in src: raise SystemExit(f"synth_histology no longer contains {old!r}: update CHANGES")
        src = src.replace(old, new)
    ns = dict(vars(D)); exec(src, ns)
    return ns['synth_histology']


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=1000, help='images a side')
    ap.add_argument('--seeds', type=int, default=3, help='C2ST seeds (each its own split and initialisation)')
    ap.add_argument('--threads', type=int, default=0)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    real = D.synth_histology(a.n, seed=123).images
    print(f"C2ST at {a.n} a side; real: synth_histology(seed=123), other: changed copy (seed=456)")
    print(f"{'change':44s} {'C2ST per seed':>{7 * a.seeds}s} {'fine':>6s} {'coarse':>7s}")
    for name, edits in CHANGES.items():
        t = time.time()
        other = changed_generator(edits)(a.n, seed=456).images
        accs = ' '.join(f'{c2st(real, other, seed=s):6.3f}' for s in range(a.seeds))
        v = c2st_views(real, other, ('fine', 'coarse'), seed=0)
        print(f"{name:44s} {accs} {v['fine']:6.3f} {v['coarse']:7.3f}   ({time.time() - t:.0f} s)", flush=True)


if __name__ == '__main__': main()
