"""How much a knee classifier leans on the planted marker: accuracy on knees whose marker agrees with the label
against knees whose marker is flipped (and with the marker absent or present everywhere).

A classifier of the anatomy scores alike on all four; a shortcut shows as the gap agree − flipped (100 points: it
reads nothing but the marker).

Usage: python benchmarks/shortcut_gap.py CLFDIR [CLFDIR ...] [--n 400] [--seed 4]
       (bundled: latent_explain/bundled/demo/clf-knee-biased, .../clf-knee-unbiased)
"""
import argparse
import torch
from latent_explain.classifier import load_classifier
from latent_explain.datasets import synth_knee


def accuracy(clf, knees) -> float:
    x = torch.tensor(knees.images).permute(0, 3, 1, 2).float() / 255   # the classifier's input: [0, 1]
    with torch.no_grad(): p = clf(x).softmax(1)[:, 1].numpy()
    return float(((p > 0.5) == knees.labels).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('clf', nargs='+', help='knee classifier folders')
    ap.add_argument('--n', type=int, default=400); ap.add_argument('--seed', type=int, default=4)
    a = ap.parse_args()
    sets = {m: synth_knee(a.n, seed=a.seed, marker=m) for m in ('agree', 'flipped', 'absent', 'present')}
    print(f"{'classifier':<50} {'agree':>6} {'flipped':>8} {'absent':>7} {'present':>8} {'gap':>6}")
    for path in a.clf:
        c = load_classifier(path).eval()
        acc = {m: accuracy(c, ks) for m, ks in sets.items()}
        print(f"{path:<50} {acc['agree']:6.3f} {acc['flipped']:8.3f} {acc['absent']:7.3f} {acc['present']:8.3f} "
              f"{100 * (acc['agree'] - acc['flipped']):6.1f}")


if __name__ == '__main__':
    main()
