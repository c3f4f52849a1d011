"""How long must the C2ST classifier train? A generator's C2ST and the real-vs-real floor at several training lengths.

Real side: `synth_histology(2n, seed=123)`, split into two disjoint halves (the first is scored against the fakes, the
second against the first: the floor). Fakes: n images of the generator (random noise, saved as uint8, as
`score_generator` does). Prints, per number of epochs, the accuracy of one classifier per seed for the generator
and for the floor, and the seconds per classifier. A test whose floor stays near 0.5 while the generator's score
climbs with the epochs was under-trained at the lower count.

Usage: python benchmarks/c2st_epochs.py [--gan histology64] [--n 1000] [--epochs 15,40,80] [--seeds 2] [--threads 2]
"""
import argparse, time
import torch
from latent_explain.data import synth_histology, from_generator_range
from latent_explain.stylegan import load_generator
from latent_explain.train_gan import c2st, generate, as_float_images


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
    real = as_float_images(synth_histology(2 * a.n, size=G.cfg.res, seed=123).images)
    r1, r2 = real[:a.n], real[a.n:]
    fake = as_float_images(from_generator_range(generate(G, a.n, seed=1, noise_mode='random')))
    print(f"C2ST at {a.n} a side; generator {a.gan}; real: synth_histology(seed=123) halves")
    print(f"{'epochs':>6s} {'generator per seed':>{7 * a.seeds + 1}s} {'floor per seed':>{7 * a.seeds + 1}s} {'s/classifier':>13s}")
    for ep in (int(e) for e in a.epochs.split(',')):
        t = time.time()
        gen = [c2st(r1, fake, epochs=ep, seed=s) for s in range(a.seeds)]
        flo = [c2st(r1, r2, epochs=ep, seed=s) for s in range(a.seeds)]
        per = (time.time() - t) / (2 * a.seeds)
        print(f"{ep:6d}  {' '.join(f'{x:6.3f}' for x in gen)}  {' '.join(f'{x:6.3f}' for x in flo)} {per:13.1f}", flush=True)


if __name__ == '__main__': main()
