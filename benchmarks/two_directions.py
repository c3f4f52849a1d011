"""Does a second direction show the shortcut the first one passes by? (F2 of the evaluation, with k = 2)

A biased knee classifier reads the corner marker *and* the joint space; its first logistic direction often flips the
decision through the joint before the marker appears. This fits k = 2 mutually orthogonal logistic directions for
each classifier, explains the same held-out knees along each, and prints per direction and for the pair (either
direction) the share of series in which the marker score changes (follows α, |ρ| ≥ 0.8, by ≥ 0.5 real sd) or moves
(spans ≥ 0.5 real sd in any shape), and the share in which the joint-space width changes, with each direction's
validity. F2 asks the biased model's series to change the marker in ≥ 80 % of the knees and the unbiased model's in
≤ 10 %, while both change the joint.

Usage: python benchmarks/two_directions.py --clf runs/clf-knee-biased runs/clf-knee-unbiased --data runs/knee-eval
           [--gan knee64] [--encoder knee64] [--n 32] [--fixed 3] [--threads 1]
"""
from __future__ import annotations
import argparse, time
import numpy as np
import torch
from latent_explain.stylegan import load_generator
from latent_explain.inversion import load_encoder
from latent_explain.direction import fit_direction
from latent_explain.explain import Explainer
from latent_explain.evaluate import read_eval_set, meter_sds, validity, meter_changed, meter_moved


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--clf', nargs='+', required=True); ap.add_argument('--data', required=True)
    ap.add_argument('--gan', default='knee64'); ap.add_argument('--encoder', default='knee64')
    ap.add_argument('--n', type=int, default=32); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--fixed', type=float, default=0, help='> 0: every series over the fixed range ±FIXED sd (9 frames) '
                    'instead of the range that crosses each image\'s decision boundary')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    G = load_generator(a.gan); enc = load_encoder(a.encoder, G)
    ev = read_eval_set(a.data, G, a.n, seed=0)
    print(f"{a.gan}, {len(ev['x'])} held-out images of {a.data}, logistic directions, k = 2, encoder inversion, "
          + (f'fixed range ±{a.fixed:g} sd' if a.fixed > 0 else 'range crossing each decision boundary'))
    print(f"{'classifier':28s} {'series':8s} {'valid':>6s} {'marker chg':>10s} {'marker mov':>10s} {'joint chg':>9s}")
    for clf in a.clf:
        ex = Explainer(G, clf, enc, steps=0)
        sd = meter_sds(ev['real'], ex.meters)
        d = fit_direction(G, ex.predictor, 'logistic', k=2, n=512, seed=0)
        alphas = np.linspace(-a.fixed, a.fixed, 9) if a.fixed > 0 else None
        series = [ex.explain_batch(ev['x'], d, alphas=alphas, index=i, names=ev['names']) for i in range(2)]
        rows = {}
        for i, es in enumerate(series):
            mc, mm = meter_changed(es, 'marker_score', sd['marker_score']), meter_moved(es, 'marker_score', sd['marker_score'])
            jc = meter_changed(es, 'joint_space_width', sd['joint_space_width'])
            rows[f'dir {i + 1}'] = (validity(es), mc, mm, jc)
        (v1, mc1, mm1, jc1), (v2, mc2, mm2, jc2) = rows.values()
        rows['either'] = (float(np.mean([e1.flip_alpha is not None or e2.flip_alpha is not None
                                         for e1, e2 in zip(*series)])), mc1 | mc2, mm1 | mm2, jc1 | jc2)
        for name, (v, mc, mm, jc) in rows.items():
            print(f"{clf[-28:]:28s} {name:8s} {v:6.2f} {mc.mean():10.2f} {mm.mean():10.2f} {jc.mean():9.2f}")
    print(f"wall time {time.time() - t0:.0f} s")


if __name__ == '__main__':
    main()
