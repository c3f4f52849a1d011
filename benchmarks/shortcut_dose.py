"""Dose–response shortcut audit: how much a knee classifier reads the planted corner marker, as a function of how
often the marker went with OA in its training data.

For each marker rate r in 0, 25, 50, 75, 100 %: 3,072 synthetic knees where, in a share r of knees, the marker is
present exactly when the knee has OA, and in the rest it is drawn independently of the label (so the marker's
correlation with the label is r; `latent-explain data synth-knee --marker-bias 0.5 + r/2`); a classifier with the
bundled demo recipe (regnetx_002, 6 epochs); its logistic direction in `knee64`. Then, on the same 32 held-out knees
with the marker independent of OA, every model is audited with `latent_explain.audit.audit_models` (the engine of
`latent-explain audit`), which reports the three curves of the figure:

- the classic shortcut gap: accuracy on knees whose marker agrees with the label minus on the same knees flipped;
- the share of explanation series in which the marker moves (`marker_score` spans ≥ 0.5 sd of real knees);
- the region sensitivity: each model's mean probability change when the generator adds the marker to the same knees
  (±2 sd along the latent direction of `marker_score`, fitted without any classifier);
- the marker's share of the difference map's mass at the flip point (its pixels grown by one: 1.3 % of the image),
  and, for comparison, the share in the corner box a user would draw around it (`MARKER_BOX`, 4.8 %).

It also prints the counterfactual-alignment matrix between the five models (model A's series scored by model B); the
figure shows, per model, how closely it follows the series of the model trained at 100 % (which reads only the
marker).

With --second-direction it also fits two orthogonal logistic directions (k = 2) per model and reports, for each, the
share of series that move the marker and the joint: whether a second direction shows what the first passes by.

Usage: python benchmarks/shortcut_dose.py --work runs/dose [--n 32] [--figure nbs/experiments/figures/shortcut-dose.png]
       [--json nbs/experiments/figures/shortcut-dose.json] [--second-direction]
"""
from __future__ import annotations
import argparse, json, time
from pathlib import Path
from stages import sh, once

RATES = (0.0, 0.25, 0.5, 0.75, 1.0)


def models(w: Path) -> dict:
    "Data, classifier and direction for every marker rate: {'r=25%': (clf folder, direction folder)}"
    out = {}
    for i, r in enumerate(RATES):
        tag = f'{round(100 * r)}'
        data, clf, d = w / f'knee-r{tag}', w / f'clf-r{tag}', w / f'dir-r{tag}'
        once(data, 'data', 'synth-knee', '--n', 3072, '--seed', 20 + i, '--marker-bias', 0.5 + r / 2, '--out', data, '--no-sheet')
        once(clf, 'train-classifier', '--data', data, '--arch', 'regnetx_002', '--epochs', 6, '--out', clf, '--half',
             log=w / f'clf-r{tag}.log')
        once(d, 'fit-direction', '--gan', 'knee64', '--clf', clf, '--method', 'logistic', '--out', d)
        out[f'r={tag}%'] = (clf, d)
    return out


def second_direction(ms: dict, inp: dict):
    "Per model, the share of series that move the marker and the joint along each of two orthogonal directions"
    from latent_explain.audit import audit_series
    from latent_explain.classifier import load_classifier
    from latent_explain.direction import fit_direction
    from latent_explain.explain import Explainer
    from latent_explain.inversion import load_encoder
    from latent_explain.predict import as_predictor
    from latent_explain.stylegan import load_generator
    G = load_generator('knee64'); enc = load_encoder('knee64', G)
    for tag, (clf, _) in ms.items():
        p = as_predictor(load_classifier(clf))
        d = fit_direction(G, p, 'logistic', k=2, n=512, seed=0)
        ex = Explainer(G, p, enc, target=d.target)
        ser = {f'{tag} k={i + 1}': ex.explain_batch(inp['x'], d, a_max=5.0, index=i) for i in range(2)}
        r = audit_series(ser, {k: ex.predictor_for(d) for k in ser}, inp['real'], inp['region'], 'marker_score')
        for k, m in r['models'].items():
            print(f"{k:<12} marker moved {m['region_moved']:.2f}  joint moved {m['moved']['joint_space_width']:.2f}  "
                  f"validity {m['validity']:.2f}", flush=True)


def figure(res: dict, path: Path):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rates = [100 * r for r in RATES]
    rows = [res['models'][k] for k in res['models']]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.2), dpi=110)
    ax.plot(rates, [m['shortcut_gap'] for m in rows], 'o-', label='shortcut gap (accuracy agree − flipped)')
    ax.plot(rates, [m['region_moved'] for m in rows], 's-', label='series that move the marker')
    ax.plot(rates, [m['region_sensitivity'] for m in rows], 'v-', label='Δp when the generator adds the marker')
    top = list(res['models'])[-1]
    ax.plot(rates, [res['alignment'][top][k] for k in res['models']], 'd-', label=f"alignment with the {top} model's series")
    ax.set_ylim(-0.2, 1.05); ax.legend(fontsize=7, loc='upper left')
    bx.plot(rates, [m['region_mass'] for m in rows], '^-', color='C2', label="marker's share of the difference map")
    bx.axhline(res['region']['area'], color='grey', ls='--', lw=0.8, label="marker's share of the image")
    bx.set_ylim(0, None); bx.legend(fontsize=7, loc='upper left')
    for a in (ax, bx):
        a.set_xlabel('knees whose marker goes with OA in training (%)', fontsize=8); a.set_xticks(rates); a.grid(alpha=0.3)
    fig.suptitle('Dose–response of the marker shortcut (32 held-out knees, marker independent of OA)', fontsize=9)
    fig.tight_layout(); path.parent.mkdir(parents=True, exist_ok=True); fig.savefig(path); print('wrote', path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='runs/dose', help='folder for the data, classifiers and directions')
    ap.add_argument('--n', type=int, default=32, help='held-out knees explained per model')
    ap.add_argument('--figure', help='PNG of the three curves against the marker rate')
    ap.add_argument('--json', help='file for the audit of the five models')
    ap.add_argument('--second-direction', action='store_true', help='also audit two orthogonal directions per model')
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    ms = models(w)
    print(f'# models ready in {time.time() - t0:.0f} s', flush=True)
    import numpy as np
    from latent_explain.audit import knee_audit_inputs, audit_models, audit_series
    from latent_explain.datasets import MARKER_BOX
    t1 = time.time()
    inp = knee_audit_inputs(n=a.n, seed=2026)
    res = audit_models({k: dict(clf=str(c), direction=str(d)) for k, (c, d) in ms.items()}, 'knee64', 'knee64', **inp)
    res['seconds_audit'] = round(time.time() - t1, 1)
    box = np.zeros((64, 64), bool); t, b, l, r = (round(v * 64) for v in MARKER_BOX); box[t:b, l:r] = True
    res_box = audit_series(res.pop('series'), res.pop('predictors'), inp['real'], box, 'marker_score')
    res['box'] = dict(area=res_box['region']['area'], models={k: {c: m[c] for c in ('region_mass', 'region_auc')}
                                                             for k, m in res_box['models'].items()})
    print(f"# the marker: {100 * res['region']['area']:.1f} % of the image; the corner box {100 * res['box']['area']:.1f} %; "
          f"the generator's marker move changes marker_score by {res['region']['sensitivity_meter_change_sd']:.2f} real sd")
    print(f"{'model':<8} {'gap':>6} {'sens':>6} {'moved':>6} {'mass':>6} {'auc':>6} {'massbx':>6} {'aucbx':>6} {'mnac':>6} {'cd':>6} {'valid':>6}")
    for k, m in res['models'].items():
        f = lambda v: '     –' if v is None else f'{v:6.3f}'
        mb = res['box']['models'][k]
        print(f"{k:<8} {f(m['shortcut_gap'])} {f(m['region_sensitivity'])} {f(m['region_moved'])} {f(m['region_mass'])} {f(m['region_auc'])} "
              f"{f(mb['region_mass'])} {f(mb['region_auc'])} {f(m['collateral_mean'])} {f(m.get('correlation_difference'))} "
              f"{f(m['validity'])}")
    names = list(res['alignment'])
    print('alignment (row: whose series; column: who scores them)\n' + ' ' * 8 + ''.join(f'{n:>8}' for n in names))
    for r in names: print(f'{r:<8}' + ''.join(f"{res['alignment'][r][c]:8.2f}" for c in names))
    print(f'# audit of {len(ms)} models on {a.n} knees: {res["seconds_audit"]:.0f} s; total {time.time() - t0:.0f} s')
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1, default=float)); print('wrote', a.json)
    if a.figure: figure(res, Path(a.figure))
    if a.second_direction: second_direction(ms, inp)


if __name__ == '__main__':
    main()
