"""The counterfactual difference map scored as an attribution beside GradCAM, on held-out synthetic knees.

COUT and Quantus' metrics (`latent_explain.attribution_metrics`), with the package's localisation AUC beside them.

Both bundled knee classifiers, each with `knee64`, its encoder and the classifier's bundled direction (series to
±3 sd for the biased model, ±5 for the unbiased one, as in the demo), on knees drawn with the marker independent of
OA (marker_bias 0.5; seed 2026, which no bundled model was trained on). One row per model × map:

- difference map: `LatentShift` (frames at ±α*, halved), its magnitude summed over channels;
- GradCAM: the package's `gradcam` of each knee's predicted class;
- random: a map of uniform random numbers (what chance scores).

Columns:
- COUT: the knee takes its counterfactual's pixels (the end of its series that flips the decision) in the map's order;
  the area under p(counterfactual's class) − p(original's class), in [-1, 1], higher = the top pixels carry the change.
  `COUT rnd`: the same with pixels in random order (8 orders), the model's chance level.
- PF: Quantus pixel flipping (top pixels set to the image's darkest value, 16 steps), area under p(predicted class);
  lower = the top pixels carried the decision.
- RMA own / RMA both: Quantus relevance mass accuracy, the share of the map's mass inside the region the model
  depends on (biased: the corner marker, knees that have one; unbiased: the joint space) and inside both regions.
  A uniform map scores the region's share of the image, printed below the table.
- MPRT: Quantus model parameter randomisation (cascading, every layer): Spearman ρ between the map of the trained
  classifier and of its randomised copy (the difference map's direction fitted again for the copy); lower = the map
  depends on what the classifier learned. A map that ignores the model scores 1.
- AUC own / AUC both: `evaluate.localisation`, the package's localisation AUC against the same regions. It is
  computed as the package computes it: |difference map| at the flip frame of the series and GradCAM of the explained
  class (the direction's: OA, tumour), so its GradCAM differs from the other columns' on images predicted otherwise.
- flipped: the share of counterfactuals (the frames COUT moves to) that the classifier gives another class.

Histology (--histology CLFDIR): the package ships no histology classifier. One is trained with the evaluation's
recipe (resnet18, 15 epochs on 600 tiles: valid accuracy 0.88 in 4 minutes on one CPU core; after 2 epochs it is at
chance, 0.51):
    latent-explain data synth-histology --n 600 --seed 1 --out runs/h600
    latent-explain train-classifier --data runs/h600 --out runs/clf-h600
Its row uses `histology64` with its encoder, a logistic direction fitted here, and the nuclei of held-out tiles as the
region (the label is caused by nuclei density and size, so "own" and "both" are the same region).

Usage: python benchmarks/attribution_scores.py [--n 16] [--seed 2026] [--n-steps 20] [--histology CLFDIR]
                                               [--json scores.json]
"""
import argparse, json, sys, time
import numpy as np
import torch


def score_model(label: str, clf, d, G, enc, x: torch.Tensor, own: np.ndarray, both: np.ndarray, a_max: float,
                n_steps: int) -> tuple[list, dict]:
    "Rows (one per map) of classifier `clf` explained along direction `d`, and the regions' chance levels"
    from latent_explain.attribution import LatentShift
    from latent_explain.attribution_metrics import (QuantusModel, counterfactual_frame, cout, random_cout, quantus_scores,
                                                    latent_shift_explain_func, gradcam_explain_func, random_explain_func)
    from latent_explain.evaluate import localisation
    from latent_explain.explain import Explainer
    attr = LatentShift(clf, G, enc, method=d, a_max=a_max).attribute(x, d.target)
    es = Explainer(G, clf, enc, target=d.target).explain_batch(x, d, a_max=a_max)   # with GradCAM, for `localisation`
    cf = torch.stack([counterfactual_frame(e) for e in es])
    y = clf.probs(x).argmax(1).numpy()
    chance_cout = float(random_cout(clf, x, cf, n_steps=n_steps).mean())
    auc = {'own': localisation(es, own), 'both': localisation(es, both)}     # (difference map, GradCAM) each
    fns = {'difference map': (latent_shift_explain_func(G, enc, d, a_max=a_max), attr, 0),
           'GradCAM': (gradcam_explain_func(), None, 1), 'random': (random_explain_func(), None, None)}
    rows = []
    for name, (fn, maps, col) in fns.items():
        t = time.time()
        maps = fn(model=QuantusModel(clf), inputs=x.numpy(), targets=y) if maps is None else maps
        q = quantus_scores(clf, x, fn, {'own': own, 'both': both}, maps=maps)
        rows.append(dict(model=label, map=name, cout=float(cout(clf, x, cf, maps, n_steps=n_steps).mean()),
                         cout_random=chance_cout, pixel_flipping_auc=q['pixel_flipping_auc'],
                         rma_own=q['relevance_mass_accuracy'].get('own'), rma_both=q['relevance_mass_accuracy'].get('both'),
                         rma_n_own=q['relevance_mass_n'].get('own'), mprt_spearman=q.get('mprt_spearman'),
                         auc_own=None if col is None else auc['own'][col], auc_both=None if col is None else auc['both'][col],
                         flipped=float((clf.probs(cf).argmax(1).numpy() != y).mean()), seconds=time.time() - t))
        print(f'# {label} / {name}: {rows[-1]["seconds"]:.0f} s', file=sys.stderr, flush=True)
    return rows, {**q['relevance_mass_chance'], 'n_own': q['relevance_mass_n'].get('own')}


def knees(n: int, seed: int, n_steps: int):
    "The rows of both bundled knee classifiers, and their regions' chance levels"
    from latent_explain.classifier import load_classifier
    from latent_explain.core import to_generator_range
    from latent_explain.datasets import synth_knee
    from latent_explain.demo import demo_model_path, DEMO_CASES
    from latent_explain.direction import load_direction
    from latent_explain.inversion import load_encoder
    from latent_explain.predict import as_predictor
    from latent_explain.stylegan import load_generator
    G = load_generator('knee64'); enc = load_encoder('knee64', G)
    ds = synth_knee(n, seed=seed, marker_bias=0.5)
    x = to_generator_range(ds.images)
    rows, chance = [], {}
    for key, own in (('biased', ds.masks == 255), ('unbiased', ds.masks == 127)):
        clf = as_predictor(load_classifier(demo_model_path(f'clf-knee-{key}')))
        d = load_direction(demo_model_path(f'dir-knee-{key}'), G, clf)
        a_max = {c.key: c.a_max for c in DEMO_CASES}[f'knee-{key}']
        r, chance[key] = score_model(key, clf, d, G, enc, x, own, ds.masks > 0, a_max, n_steps)
        rows += r
    return rows, chance


def histology(clf_path: str, n: int, seed: int, n_steps: int):
    "The rows of a histology classifier (its direction fitted here) against the nuclei of held-out synthetic tiles"
    from latent_explain.classifier import load_classifier
    from latent_explain.core import to_generator_range
    from latent_explain.datasets import synth_histology
    from latent_explain.direction import fit_direction
    from latent_explain.inversion import load_encoder
    from latent_explain.predict import as_predictor
    from latent_explain.stylegan import load_generator
    G = load_generator('histology64'); enc = load_encoder('histology64', G)
    ds = synth_histology(n, seed=seed)
    x = to_generator_range(ds.images)
    clf = as_predictor(load_classifier(clf_path))
    d = fit_direction(G, clf, 'logistic')
    nuclei = ds.masks > 0                     # the label is caused by nuclei density and size: one region, own = both
    r, chance = score_model('histology', clf, d, G, enc, x, nuclei, nuclei, 3.0, n_steps)
    return r, {'histology': chance}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=16, help='held-out knees (and tiles)')
    ap.add_argument('--seed', type=int, default=2026, help='seed of the held-out images (no bundled model saw 2026)')
    ap.add_argument('--n-steps', type=int, default=20, help="COUT's steps (the curve has n_steps + 1 points)")
    ap.add_argument('--threads', type=int, default=1, help='torch threads')
    ap.add_argument('--histology', metavar='CLFDIR', help='also a histology classifier folder (see above)')
    ap.add_argument('--json', help='also write the table here')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    rows, chance = knees(a.n, a.seed, a.n_steps)
    if a.histology:
        r, c = histology(a.histology, a.n, a.seed, a.n_steps)
        rows += r; chance.update(c)
    f = lambda v, w=6: f'{v:{w}.3f}' if v is not None else f'{"—":>{w}}'
    print(f"{'model':<9} {'map':<15} {'COUT':>6} {'COUT rnd':>8} {'PF':>6} {'RMA own':>7} {'RMA both':>8} {'MPRT':>6} "
          f"{'AUC own':>7} {'AUC both':>8} {'flipped':>7}")
    for r in rows:
        print(f"{r['model']:<9} {r['map']:<15} {f(r['cout'])} {f(r['cout_random'], 8)} {f(r['pixel_flipping_auc'])} "
              f"{f(r['rma_own'], 7)} {f(r['rma_both'], 8)} {f(r['mprt_spearman'])} {f(r['auc_own'], 7)} {f(r['auc_both'], 8)} {f(r['flipped'], 7)}")
    for key, c in chance.items():
        print(f"uniform map's RMA ({key}): own {c['own']:.3f} (over the {c['n_own']} images with the region), "
              f"both {c['both']:.3f}")
    print(f"{a.n} images per dataset (seed {a.seed}), {time.time() - t0:.0f} s")
    if a.json:
        out = dict(command=' '.join(['python', *sys.argv]), n=a.n, seed=a.seed, n_steps=a.n_steps, rows=rows,
                   rma_chance=chance, seconds=time.time() - t0)
        with open(a.json, 'w') as fh: json.dump(out, fh, indent=1)


if __name__ == '__main__':
    main()
