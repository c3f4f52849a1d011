"""How long must the C2ST classifier train? A generator's C2ST and the real-vs-real floor at several training lengths.

Real side: `synth_histology(2n, seed=123)`. Each seed is one `score_generator` call with a single classifier per
score (`repeats=1`): its own draw of n real images, n fakes and a disjoint real half for the floor. Prints, per
number of epochs, the generator's and the floor's C2ST per seed and the seconds per seed (one call: the fakes, two
classifiers and the spread). A test whose floor stays near 0.5 while the generator's score climbs with the epochs
was under-trained at the lower count.

Usage: python benchmarks/c2st_epochs.py [--gan histology64] [--n 1000] [--epochs 15,40,80] [--seeds 2] [--threads 2]
"""
import argparse, time
import torch
from latent_explain.datasets import synth_histology
from latent_explain.stylegan import load_generator
from latent_explain.realism import score_generator

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--gan', default='histology64', help='generator folder or bundled name (64 px, 3 channels)')
    ap.add_argument('--n', type=int, default=1000, help='images a side')
    ap.add_argument('--epochs', default='15,40,80', help='comma-separated training lengths')
    ap.add_argument('--seeds', type=int, default=2, help='classifiers per length (each its own split and initialisation)')
    ap.add_argument('--threads', type=int, default=0)
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    G = load_generator(a.gan)
    real = synth_histology(2 * a.n, size=G.cfg.res, seed=123).images
    print(f"C2ST at {a.n} a side; generator {a.gan}; real: synth_histology(seed=123)")
    print(f"{'epochs':>6s} {'generator per seed':>{7 * a.seeds + 1}s} {'floor per seed':>{7 * a.seeds + 1}s} {'s/seed':>7s}")
    for ep in (int(e) for e in a.epochs.split(',')):
        t = time.time()
        runs = [score_generator(G, real, n=a.n, seed=s, repeats=1, c2st_epochs=ep) for s in range(a.seeds)]
        per = (time.time() - t) / a.seeds
        gen, flo = ' '.join(f"{r['c2st']:6.3f}" for r in runs), ' '.join(f"{r['floor_c2st']:6.3f}" for r in runs)
        print(f"{ep:6d}  {gen}  {flo} {per:7.1f}", flush=True)

if __name__ == '__main__': main()
