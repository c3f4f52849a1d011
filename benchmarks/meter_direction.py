"""How far can a latent direction move a planted meter? A meter-fitted direction (the oracle) beside the classifier's.

The oracle is the logistic direction of a black-box "classifier" that says whether the meter is above its median over
generated images: no classifier-driven direction can follow the meter more closely than that. Both directions move
the same held-out images (inverted by the encoder, noise held fixed) over the same fixed range, ±A sd of the latent
cloud in 9 frames, and the script prints per direction the share of images whose meter follows α with Spearman
ρ ≥ 0.9 (F1 of the evaluation), the median ρ, and the median range of the meter along the series in real sd.

If the oracle reaches the target and the classifier's direction does not, the gap is in what the classifier reads;
if neither does, the generator's latent does not carry the meter linearly enough.

Usage: python benchmarks/meter_direction.py --gan histology64 --encoder histology64 --clf runs/clf-h600 \
           --data runs/h600 --meter nuclei_count [--n 32] [--alpha 2] [--threads 1]
"""
from __future__ import annotations
import argparse, json, time
from dataclasses import replace
from pathlib import Path
import pandas as pd
import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.linear_model import RidgeCV
from latent_explain.core import to_generator_range
from latent_explain.data import read_image_folder
from latent_explain.meters import METERS
from latent_explain.predict import Predictor
from latent_explain.stylegan import load_generator
from latent_explain.inversion import load_encoder, project
from latent_explain.latents import render_shifted, sample_latents
from latent_explain.direction import fit_direction
from latent_explain.classifier import load_classifier


def meter_oracle(G, meter, n: int = 512, seed: int = 0) -> Predictor:
    "A black box whose probability of 'high' is a logistic of the meter around its median over `n` generated images"
    with torch.no_grad(): v = np.asarray(meter(G.synthesis(sample_latents(G, n, seed=seed), noise_mode='const')), float)
    mid, sd = float(np.median(v)), float(np.std(v)) + 1e-9
    def fn(x):   # float N×C×H×W in [0, 1]
        s = (np.asarray(meter(torch.as_tensor(x) * 2 - 1), float) - mid) / sd
        p = 1 / (1 + np.exp(-4 * s))
        return np.stack([1 - p, p], 1)
    return Predictor.black_box(fn, classes=['low', 'high'], target=1, input='float_nchw')


def ridge_direction(G, score, like, n: int = 2000, seed: int = 1):
    "The ridge-regression direction in w of `score` (images -> one number each; a `Direction` shaped like `like`)"
    ws = sample_latents(G, n, seed=seed)
    with torch.no_grad():
        v = np.concatenate([np.asarray(score(G.synthesis(ws[i:i + 250], noise_mode='const')), float).ravel()
                            for i in range(0, n, 250)])
    W = ws[:, 0].cpu().numpy()
    coef = RidgeCV(alphas=[0.1, 1, 10, 100]).fit(W, v).coef_
    u = torch.tensor(coef / np.linalg.norm(coef), dtype=torch.float32)
    return replace(like, method='ridge', vectors=u[None], scale=float((torch.as_tensor(W) @ u).std()))


def series_stats(G, ws, d, meter, alpha: float, real_sd: float, frames: int = 9) -> dict:
    "Spearman ρ(α, meter) per image over a fixed ±alpha range, and the meter's range in real sd"
    alphas = np.linspace(-alpha, alpha, frames)
    u = d.vectors[0].to(ws.device).expand(len(ws), -1)
    with torch.no_grad():
        vals = np.stack([np.asarray(meter(render_shifted(G, ws, a * d.scale * u, d.space)), float) for a in alphas], 1)
    rho = np.array([spearmanr(alphas, v)[0] if np.ptp(v) > 0 else 0.0 for v in vals])
    rho = np.nan_to_num(rho)
    return {'share_rho_0.9': float((rho >= 0.9).mean()), 'median_rho': float(np.median(rho)),
            'median_range_sd': float(np.median(np.ptp(vals, 1)) / real_sd)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--gan', default='histology64'); ap.add_argument('--encoder', default='histology64')
    ap.add_argument('--clf', required=True); ap.add_argument('--data', required=True)
    ap.add_argument('--meter', default='nuclei_count'); ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--alpha', type=float, default=2.0); ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    G = load_generator(a.gan); enc = load_encoder(a.encoder, G)
    meter = METERS[a.meter]
    imgs = read_image_folder(a.data, channels=G.cfg.img_channels, res=G.cfg.res)
    real_sd = float(np.std(np.asarray(meter(to_generator_range(imgs)), float)))
    table = Path(a.data) / 'labels.csv'   # held-out images: the folder's valid split where it has one
    valid = (pd.read_csv(table)['split'] == 'valid').to_numpy() if table.is_file() else np.ones(len(imgs), bool)
    x = to_generator_range(imgs[valid][:a.n])
    ws = project(G, x, init='encoder', encoder=enc, steps=0).ws
    clf = load_classifier(a.clf)
    clf_dir = fit_direction(G, clf, 'logistic')
    dirs = {'oracle, logistic': fit_direction(G, meter_oracle(G, meter), 'logistic'),
            'oracle, ridge': ridge_direction(G, meter, clf_dir),
            'classifier, logistic': clf_dir,
            'classifier, ridge on log-odds': ridge_direction(G, lambda x: Predictor(clf)(x).float(), clf_dir)}
    rows = {name: series_stats(G, ws, d, meter, a.alpha, real_sd) for name, d in dirs.items()}
    cos = {k: float(torch.nn.functional.cosine_similarity(dirs[k].vectors[0].flatten(), clf_dir.vectors[0].flatten(), dim=0))
           for k in dirs if k != 'classifier, logistic'}
    print(f"{a.gan}, {a.meter}, {len(x)} images, fixed range ±{a.alpha:g} sd, 9 frames")
    print(f"{'direction':30s} {'ρ≥0.9':>6s} {'med ρ':>6s} {'range (real sd)':>16s}")
    for name, r in rows.items():
        print(f"{name:30s} {r['share_rho_0.9']:6.2f} {r['median_rho']:6.2f} {r['median_range_sd']:16.2f}")
    print('cosine with the classifier\'s logistic direction: ' + ', '.join(f'{k} {v:.2f}' for k, v in cos.items())
          + f'; wall time {time.time() - t0:.0f} s')
    print(json.dumps({'rows': rows, 'cosine': cos}))


if __name__ == '__main__':
    main()
