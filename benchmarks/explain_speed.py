"""Explanation speed at 64 px: one image end to end (encode, optional refinement, the α search, 9 frames, classifier,
GradCAM, meters, stain change) and 100 images batched; prints where the time goes.

Timing does not depend on what the models learned, so by default the classifier is an untrained resnet18 of the
architecture `train-classifier` builds, and the encoder is the generator's bundled one (an untrained one of the same
backbone when none is bundled); pass --clf / --encoder to time yours.

Usage: python benchmarks/explain_speed.py [--gan histology64] [--clf DIR] [--encoder DIR] [--steps 0] [--n 100]
                                          [--method logistic] [--threads 0]
"""
from __future__ import annotations
import argparse, time
from contextlib import contextmanager
import numpy as np
import torch

from latent_explain.stylegan import load_generator
from latent_explain.core import tune_glibc_malloc
from latent_explain.datasets import make_dataset
from latent_explain.core import to_generator_range, from_generator_range, ModelError
from latent_explain.classifier import Classifier, load_classifier
from latent_explain.inversion import Encoder, load_encoder
from latent_explain.direction import fit_direction, unit_moves
from latent_explain.explain import Explainer, measure_frames, stain_change, flip_point

DATASET = {'histology64': 'synth-histology', 'ihc64': 'ihc', 'knee64': 'synth-knee'}


def untrained_classifier(G):
    from fastai.vision.learner import create_timm_model
    model = create_timm_model('resnet18', 2, pretrained=False, n_in=G.cfg.img_channels)[0].eval()
    return Classifier.from_module(model, classes=['negative', 'positive'], input_size=(G.cfg.res, G.cfg.res))


@contextmanager
def timed(book, key):
    t = time.perf_counter(); yield; book[key] = book.get(key, 0) + time.perf_counter() - t


def explain_timed(ex, x, d, book):
    "Explainer.explain_batch taken apart, with the time of each stage"
    p = ex.predictor_for(d)
    with timed(book, 'invert (encoder + refinement)'): inv = ex.invert(x, p)
    with timed(book, 'direction at each image'): u = unit_moves(ex.G, p, d, inv.ws).detach()
    with timed(book, 'α search (3 frames, classifier)'): A = ex._auto_alphas(x, inv.ws, u, d, 9, 3.0, p, p.prob(inv.recon).numpy())
    with timed(book, 'frames (9, generator)'): frames = ex._series(x, inv.ws, u, d, A)
    with timed(book, 'classifier on frames'): probs = p.prob(frames.flatten(0, 1)).view(len(x), -1).numpy()
    with timed(book, 'GradCAM'): ex._gradcam(x, p, p.prob(x).numpy())
    with timed(book, 'frames to 8 bits'): u8 = [from_generator_range(f) for f in frames]
    with timed(book, 'meters on frames'):
        for f in u8: measure_frames(f, ex.meters)
    with timed(book, 'stain change (rgb2hed)'):
        for f, r in zip(u8, inv.recon): stain_change(f, from_generator_range(r)[0])
    return probs


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--gan', default='histology64'); p.add_argument('--clf'); p.add_argument('--encoder')
    p.add_argument('--steps', type=int, default=0); p.add_argument('--n', type=int, default=100)
    p.add_argument('--method', default='logistic'); p.add_argument('--threads', type=int, default=0)
    args = p.parse_args()
    tune_glibc_malloc()
    if args.threads: torch.set_num_threads(args.threads)
    G = load_generator(args.gan)
    clf = load_classifier(args.clf) if args.clf else untrained_classifier(G)
    try: enc = load_encoder(args.encoder or args.gan, G, gan=args.gan)
    except ModelError: enc = Encoder.for_generator(G).eval()
    ds = make_dataset(DATASET.get(args.gan, 'synth-histology'), n=args.n, size=G.cfg.res, seed=4242)
    x = to_generator_range(ds.images[:args.n])
    ex = Explainer(G, clf, enc, steps=args.steps)
    t = time.perf_counter(); d = fit_direction(G, ex.predictor, args.method, n=512, steps=100)
    fit_s = time.perf_counter() - t
    ex.explain_batch(x[:2], d)                                        # warm-up (first calls allocate)
    rows = []
    for label, batch in [('1 image', x[:1]), (f'{args.n} images, one batch', x)]:
        book = {}
        t = time.perf_counter(); explain_timed(ex, batch, d, book); total = time.perf_counter() - t
        t = time.perf_counter(); ex.explain_batch(batch, d); whole = time.perf_counter() - t
        rows.append((label, total, whole, book))
    print(f"generator {args.gan}, method {args.method} (fit once: {fit_s:.1f} s), refinement steps {args.steps}, "
          f"torch threads {torch.get_num_threads()}\n")
    print("| stage | " + " | ".join(r[0] for r in rows) + " |\n|---|" + "---:|" * len(rows))
    for k in rows[0][3]: print(f"| {k} | " + " | ".join(f"{r[3][k]:.3f} s" for r in rows) + " |")
    print("| **sum of stages** | " + " | ".join(f"**{r[1]:.2f} s**" for r in rows) + " |")
    print("| `explain_batch` as users call it | " + " | ".join(f"{r[2]:.2f} s" for r in rows) + " |")


if __name__ == '__main__':
    main()
