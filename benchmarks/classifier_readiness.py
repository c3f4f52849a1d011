"""The classifier's readiness (`classifier_readiness`: ctrl_clf and noise_share) of the bundled generators with the
bundled demo classifiers, and of histology generators with a histology classifier you give.

The knee classifiers are scored on 512 new knees (seed 2026), the IHC classifier on the IHC tiles; with
`--hist-clf` (e.g. `latent-explain train-classifier --data tiles-5k --arch regnetx_002 --epochs 3 --out clf-hist`)
`histology64` and every `--gan` given are scored on 512 new synthetic tiles (seed 12).

Usage: python benchmarks/classifier_readiness.py [--hist-clf DIR] [--gan RUN ...] [--n 256] [--noise-draws 8]
"""
import argparse, time
import torch
from latent_explain.realism import classifier_readiness, readiness_verdict
from latent_explain.stylegan import load_generator
from latent_explain.classifier import load_classifier
from latent_explain.demo import demo_model_path
from latent_explain.datasets import synth_knee, synth_histology, ihc_tiles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--hist-clf'); ap.add_argument('--gan', action='append', default=[])
    ap.add_argument('--n', type=int, default=256); ap.add_argument('--noise-draws', type=int, default=8)
    a = ap.parse_args()
    torch.set_num_threads(1)
    knees = synth_knee(n=512, size=64, seed=2026, marker_bias=0.5)
    pairs = [('knee64', load_classifier(demo_model_path('clf-knee-biased')), 'clf-knee-biased', knees),
             ('knee64', load_classifier(demo_model_path('clf-knee-unbiased')), 'clf-knee-unbiased', knees),
             ('ihc64', load_classifier(demo_model_path('clf-ihc')), 'clf-ihc', ihc_tiles(size=64))]
    if a.hist_clf:
        tiles, clf = synth_histology(n=512, size=64, seed=12), load_classifier(a.hist_clf)
        pairs += [(g, clf, a.hist_clf, tiles) for g in ['histology64', *a.gan]]
    print(f"{'generator':<40} {'noise from':>10} {'classifier':<20} {'ctrl_clf':>8} {'noise_share':>11}  verdicts")
    for gan, clf, name, real in pairs:
        G, t = load_generator(gan), time.time()
        r = classifier_readiness(G, clf, real, n=a.n, noise_draws=a.noise_draws)
        v = f"{readiness_verdict('ctrl_clf', r['ctrl_clf'])}/{readiness_verdict('noise_share', r['noise_share'])}"
        print(f"{gan:<40} {G.cfg.noise_from:>10} {name[-20:]:<20} {r['ctrl_clf']:8.3f} {r['noise_share']:11.3f}  {v}  ({time.time() - t:.1f} s)")


if __name__ == '__main__': main()
