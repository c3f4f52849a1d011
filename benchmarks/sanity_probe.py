"""Why does a weight-randomised classifier's direction line up with the trained one's? (F6 of the evaluation)

Fits the logistic direction for a classifier and for its weight-randomised copy (`Predictor.randomized`, as
`sanity_cosine` does), then prints: their |cos|; how much of each lies on the latent cloud's top principal axes and
the |cos| left once those axes are removed; and, over generated images, the Spearman ρ of each model's score with
the image's mean intensity and with the planted meter. A random network's score that follows overall darkness, on
data where the planted meter also follows darkness, makes the two directions agree whatever the classifier learned.

Usage: python benchmarks/sanity_probe.py --gan ihc64 --clf runs/clf-ihc --meter dab_fraction [--threads 1]
"""
from __future__ import annotations
import argparse
import numpy as np
import torch
from scipy.stats import spearmanr
from latent_explain.stylegan import load_generator
from latent_explain.classifier import load_classifier
from latent_explain.predict import Predictor
from latent_explain.latents import sample_latents
from latent_explain.direction import fit_direction
from latent_explain.meters import METERS


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--gan', default='ihc64'); ap.add_argument('--clf', required=True)
    ap.add_argument('--meter', default='dab_fraction'); ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    G, clf = load_generator(a.gan), Predictor(load_classifier(a.clf))
    rnd = clf.randomized()
    v = fit_direction(G, clf, 'logistic', n=512).vectors[0]
    vr = fit_direction(G, rnd, 'logistic', n=512, threshold='median').vectors[0]
    print(f"{a.gan}, {a.clf}: |cos| of the trained and the randomised model's logistic directions {float((v @ vr).abs()):.2f}")
    ws = sample_latents(G, 2000, seed=3)[:, 0]
    _, S, Vt = torch.linalg.svd(ws - ws.mean(0), full_matrices=False)
    print('variance share of the top 3 principal axes of w:', ', '.join(f'{float(s):.3f}' for s in (S**2 / (S**2).sum())[:3]))
    for name, u in (('trained', v), ('randomised', vr)):
        print(f'{name:10s} direction: share on axes 1-3', ', '.join(f'{float(c**2):.3f}' for c in Vt[:3] @ u))
    for k in (1, 3):
        P = torch.eye(len(v)) - Vt[:k].T @ Vt[:k]
        p, q = P @ v, P @ vr
        print(f'|cos| with the top {k} axis/axes removed: {float((p @ q).abs() / p.norm() / q.norm()):.2f}')
    with torch.no_grad():
        x = G.synthesis(sample_latents(G, 256, seed=5), noise_mode='const')
        scores = {n: c(x).float().numpy() for n, c in (('trained', clf), ('randomised', rnd))}
    mi, m = (np.asarray(METERS[k](x), float) for k in ('mean_intensity', a.meter))
    for n, s in scores.items():
        print(f'{n:10s} score over 256 generated images: ρ with mean intensity {spearmanr(s, mi)[0]:+.2f}, '
              f'with {a.meter} {spearmanr(s, m)[0]:+.2f}')
    print(f'ρ of {a.meter} with mean intensity: {spearmanr(m, mi)[0]:+.2f}')


if __name__ == '__main__':
    main()
