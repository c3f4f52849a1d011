"""Can the sanity check tell a DAB classifier from a darkness detector on IHC, where DAB and darkness go together?

The sanity check (F6) fits the explanation's direction for the classifier and for a weight-randomised copy and asks
that they differ (|cos| ≤ 0.2). A randomised network follows a tile's overall darkness; a DAB classifier follows the
brown stain, which darkens a tile. Where the two move together, both directions land on one axis and the check
cannot pass, however faithful the method. This script measures

1. how tightly DAB fraction and darkness go together: in the real tiles (--data), in tiles whose DAB and total stain
   are rescaled independently in HED space (scikit-image's colour deconvolution: the DAB channel by t ~ U(0.3, 2),
   hematoxylin and eosin by the factor that brings the tile's mean intensity nearest a target drawn independently),
   and in those tiles' reconstructions by the generator's encoder — can the generator hold them apart?
2. the sanity |cos| of the logistic direction on the generator's own samples (as `evaluate` computes it), and on the
   same samples re-weighted so that DAB fraction and darkness are independent: each sample weighted by the inverse
   of its cell's count in a bins × bins grid of the two meters' ranks (effective sample size printed), the labels
   thresholded at each model's weighted median, the logistic regressions fitted with those weights.
   The randomised copy's seeds are varied (--random-seeds): mean and range printed.

Usage: python benchmarks/sanity_decorrelated.py [--clf CLF[,CLF…]] [--gan ihc64] [--encoder ihc64] [--data ihc]
                                                [--n 4096] [--bins 4,6,8] [--random-seeds 1234,1,2]
       (--clf defaults to the demo's bundled IHC classifier; `latent-explain data ihc --out ihc` makes --data)
"""
from __future__ import annotations
import argparse, warnings
import numpy as np
import torch
from scipy.stats import spearmanr, rankdata
from sklearn.linear_model import LogisticRegression
from latent_explain.core import from_generator_range, to_generator_range
from latent_explain.data import read_items, read_at_size
from latent_explain.demo import demo_model_path
from latent_explain.inversion import load_encoder
from latent_explain.latents import load_gan, render, sample_latents, to_space
from latent_explain.meters import dab_fraction, mean_intensity
from latent_explain.predict import as_predictor


def hed_rescaled(u8: np.ndarray, seed: int = 0) -> np.ndarray:
    "Tiles whose DAB stain is scaled by t ~ U(0.3, 2) and whose mean intensity is steered to an independent target"
    from skimage.color import rgb2hed, hed2rgb
    rng = np.random.default_rng(seed)
    lo, hi = np.percentile(mean_intensity(u8), [5, 95])
    out = []
    for img, target in zip(u8, rng.uniform(lo, hi, len(u8))):
        hed, t = rgb2hed(img), rng.uniform(0.3, 2.0)
        cands = []
        for h in np.linspace(0.2, 3.0, 15):   # the H&E factor that brings the mean intensity nearest the target
            c = hed.copy(); c[..., 2] *= t; c[..., :2] *= h
            cands.append((np.clip(hed2rgb(c), 0, 1) * 255).astype(np.uint8))
        out.append(cands[int(np.abs(mean_intensity(np.stack(cands)) - target).argmin())])
    return np.stack(out)


def independence_weights(a: np.ndarray, b: np.ndarray, bins: int) -> np.ndarray:
    "Weights (mean 1) under which a and b are independent on a bins × bins grid of their ranks"
    if bins == 0: return np.ones(len(a))
    u, v = [np.minimum((rankdata(x) - 0.5) / len(x) * bins, bins - 1).astype(int) for x in (a, b)]
    H = np.zeros((bins, bins)); np.add.at(H, (u, v), 1)
    w = 1 / H[u, v]
    return w / w.mean()


def weighted_rank_corr(a, b, w) -> float:
    c = np.cov(rankdata(a), rankdata(b), aweights=w)
    return float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1]))


def weighted_normal(X: np.ndarray, score: np.ndarray, w: np.ndarray) -> np.ndarray:
    "Unit normal of a weighted logistic regression of 'score above its weighted median' on X"
    o = np.argsort(score); c = np.cumsum(w[o])
    y = score > score[o][np.searchsorted(c, c[-1] / 2)]
    v = LogisticRegression(C=1.0, class_weight='balanced', max_iter=3000).fit(X, y, sample_weight=w).coef_[0]
    return v / np.linalg.norm(v)


def scores(p, imgs: torch.Tensor) -> np.ndarray:
    with torch.no_grad(): return torch.cat([p(imgs[i:i + 256]).float().cpu() for i in range(0, len(imgs), 256)]).numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clf', default=str(demo_model_path('clf-ihc')))
    ap.add_argument('--gan', default='ihc64'); ap.add_argument('--encoder', default='ihc64'); ap.add_argument('--data')
    ap.add_argument('--n', type=int, default=4096); ap.add_argument('--bins', default='4,6,8')
    ap.add_argument('--random-seeds', default='1234,1,2')
    a = ap.parse_args()
    warnings.simplefilter('ignore')
    G = load_gan(a.gan, 'G').G
    if a.data:
        u8 = read_at_size(read_items(a.data).path.tolist(), 3, G.cfg.res)[2]
        aug = hed_rescaled(u8)
        with torch.no_grad(): rec = from_generator_range(render(G, load_encoder(a.encoder, G)(to_generator_range(aug))))
        for name, t in (('real tiles', u8), ('HED-rescaled tiles', aug), ('their reconstructions', rec)):
            print(f"{name:<24} ρ(DAB fraction, mean intensity) {spearmanr(dab_fraction(t), mean_intensity(t))[0]:+.2f}")
        print(f"{'':<24} ρ(DAB fraction, rescaled vs reconstructed) {spearmanr(dab_fraction(aug), dab_fraction(rec))[0]:+.2f}")
    ws = sample_latents(G, a.n, 0)
    imgs = torch.cat([render(G, ws[i:i + 256]) for i in range(0, a.n, 256)])
    u8 = from_generator_range(imgs)
    dab, dark = dab_fraction(u8), mean_intensity(u8)
    X = to_space(G, ws, 'w').numpy().astype(float)
    print(f"generated samples ({a.n})    ρ(DAB fraction, mean intensity) {spearmanr(dab, dark)[0]:+.2f}")
    seeds = [int(s) for s in a.random_seeds.split(',')]
    for path in a.clf.split(','):
        p = as_predictor(path)
        s = scores(p, imgs)
        rnd = {r: scores(p.randomized(r), imgs) for r in seeds}
        print(f"\n{path}: ρ(score, DAB) trained {spearmanr(s, dab)[0]:+.2f}; randomised (seed {seeds[0]}) "
              f"ρ(score, intensity) {spearmanr(rnd[seeds[0]], dark)[0]:+.2f}, ρ(score, DAB) {spearmanr(rnd[seeds[0]], dab)[0]:+.2f}")
        for bins in [0] + [int(b) for b in a.bins.split(',')]:
            w = independence_weights(dab, dark, bins)
            t = weighted_normal(X, s, w)
            cos = [abs(float(t @ weighted_normal(X, r, w))) for r in rnd.values()]
            label = 'prior (as evaluate)' if bins == 0 else f'independent, {bins}×{bins}'
            print(f"  {label:<22} ESS {w.sum() ** 2 / (w ** 2).sum():5.0f}  weighted ρ(DAB, intensity) "
                  f"{weighted_rank_corr(dab, dark, w):+.2f}  sanity |cos| mean {np.mean(cos):.2f} "
                  f"(range {min(cos):.2f}–{max(cos):.2f})", flush=True)


if __name__ == '__main__': main()
