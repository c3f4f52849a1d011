"""Inversion quality and cost on held-out images: encoder alone, encoder + 25 / + 50 refinement steps, and NVlabs'
start (w_avg) + 500 steps. Prints one markdown table of medians over the images: PSNR, SSIM, Δp (with --clf; also its
mean, which a few flipped decisions move while the median hides them), |Δ meter| of each --meters, and seconds per
image (batched, on this machine: compare rows of one run, not runs of different machines).

Without --encoder it first trains one for the generator within a time budget (--minutes) on fresh tiles of the same
dataset (other seeds than the held-out ones); --save-encoder keeps it. A bundled generator ships without its
discriminator, so the perceptual term is off there (a GAN run folder has it in its checkpoint).

Usage: python benchmarks/inversion.py [--gan histology64] [--dataset synth-histology] [--n 64] [--minutes 10]
                                      [--encoder DIR | --save-encoder DIR] [--clf DIR [--clf-weight 0.1]]
                                      [--meters nuclei_count,...]
                                      [--batch 16] [--threads 0]
"""
from __future__ import annotations
import argparse, time
import numpy as np
import torch

from latent_explain.core import to_generator_range
from latent_explain.datasets import make_dataset
from latent_explain.stylegan import load_generator
from latent_explain.core import tune_glibc_malloc
from latent_explain.meters import METERS
from latent_explain.latents import load_discriminator
from latent_explain.inversion import (train_encoder, save_encoder, load_encoder, project,
                                      encoder_loss, Encoder)

HELD_OUT_SEED, TRAIN_SEED = 12345, 777


def held_out(dataset: str, n: int, G) -> torch.Tensor:
    ds = make_dataset(dataset, n=n, size=G.cfg.res, seed=HELD_OUT_SEED)
    a = ds.images[:n]
    if a.shape[-1] != G.cfg.img_channels: a = a.mean(-1, keepdims=True).round().astype(np.uint8) if G.cfg.img_channels == 1 \
                                          else np.repeat(a, 3, -1)
    return to_generator_range(a)


def get_encoder(args, G):
    if args.encoder: return load_encoder(args.encoder, G, gan=args.gan)
    D = load_discriminator(args.gan)
    if D is None: print(f"note: {args.gan} has no discriminator checkpoint: the perceptual term is off")
    reals = make_dataset(args.dataset, n=args.train_n, size=G.cfg.res, seed=TRAIN_SEED).images
    before = encoder_loss(Encoder.for_generator(G), G)
    t0 = time.time()
    enc = train_encoder(G, reals, D=D, steps=10**7, batch=args.train_batch, lr=args.lr, progress=False,
                        generator=args.gan, max_seconds=args.minutes * 60)
    after = encoder_loss(enc, G)
    print(f"encoder: {len(enc.history)} steps in {time.time() - t0:.0f} s (batch {args.train_batch} generated + "
          f"{args.train_batch} real); generated pairs W+ MSE {before['w_mse']:.4f} -> {after['w_mse']:.4f}, "
          f"image L1 {before['l1']:.4f} -> {after['l1']:.4f}")
    if args.save_encoder: save_encoder(enc, args.save_encoder)
    return enc


def run(G, x, args, **kw):
    D = load_discriminator(args.gan)
    meters = {m: METERS[m] for m in args.meters.split(',') if m}
    invs = [project(G, x[i:i + args.batch], D=D, clf=args.clf, meters=meters, **kw) for i in range(0, len(x), args.batch)]
    import pandas as pd
    return pd.concat([v.metrics for v in invs], ignore_index=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gan', default='histology64'); p.add_argument('--dataset', default='synth-histology')
    p.add_argument('--n', type=int, default=64); p.add_argument('--encoder'); p.add_argument('--save-encoder')
    p.add_argument('--minutes', type=float, default=10); p.add_argument('--clf')
    p.add_argument('--batch', type=int, default=16); p.add_argument('--train-batch', type=int, default=8)
    p.add_argument('--train-n', type=int, default=1024); p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--mean-steps', type=int, default=500); p.add_argument('--threads', type=int, default=0)
    p.add_argument('--clf-weight', type=float, default=0.0, help='> 0 (with --clf): adds a row, encoder + 50 steps '
                   "that also keep the classifier's margin")
    p.add_argument('--meters', default='', help=f"comma-separated names of {', '.join(METERS)}")
    args = p.parse_args()
    tune_glibc_malloc()
    if args.threads: torch.set_num_threads(args.threads)
    G = load_generator(args.gan)
    enc = get_encoder(args, G)
    x = held_out(args.dataset, args.n, G)
    rows = [('encoder only', dict(encoder=enc, steps=0)), ('encoder + 25 steps', dict(encoder=enc, steps=25)),
            ('encoder + 50 steps', dict(encoder=enc, steps=50)),
            (f'w_avg + {args.mean_steps} steps', dict(init='mean', steps=args.mean_steps))]
    if args.clf and args.clf_weight: rows.insert(3, (f'encoder + 50 steps, classifier term {args.clf_weight:g}',
                                                     dict(encoder=enc, steps=50, clf_weight=args.clf_weight)))
    print(f"\n{args.n} held-out {args.dataset} tiles (seed {HELD_OUT_SEED}), generator {args.gan}, "
          f"{torch.get_num_threads()} thread(s), W+, pixel L1, lr 0.05\n")
    ms = [m for m in args.meters.split(',') if m]
    print('| start | PSNR (dB) | SSIM |' + (' Δp | mean Δp |' if args.clf else '') + ''.join(f' Δ {m} |' for m in ms) + ' s/image |')
    print('|---|---|---|' + ('---|---|' if args.clf else '') + '---|' * len(ms) + '---|')
    for name, kw in rows:
        m = run(G, x, args, **kw)
        dp = f" {m.delta_p.median():.3f} | {m.delta_p.mean():.3f} |" if args.clf else ''
        dm = ''.join(f" {m[f'd_{k}'].median():.3g} |" for k in ms)
        print(f"| {name} | {m.psnr.median():.2f} | {m.ssim.median():.3f} |{dp}{dm} {m.seconds.median():.3f} |", flush=True)


if __name__ == '__main__': main()
