"""How much a knee classifier leans on the planted marker: `predict.shortcut_gap` (accuracy on knees whose marker
agrees with the label against the same knees with the marker flipped) for each classifier folder given.

A classifier of the anatomy scores alike on both; a gap of 1.0 means it reads nothing but the marker.

Usage: python benchmarks/shortcut_gap.py CLFDIR [CLFDIR ...] [--n 400] [--seed 4]
       (bundled: latent_explain/bundled/demo/clf-knee-biased, .../clf-knee-unbiased)
"""
import argparse
from latent_explain.predict import shortcut_gap


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('clf', nargs='+', help='knee classifier folders')
    ap.add_argument('--n', type=int, default=400); ap.add_argument('--seed', type=int, default=4)
    a = ap.parse_args()
    print(f"{'classifier':<50} {'agree':>6} {'flipped':>8} {'gap':>6}")
    for path in a.clf:
        g = shortcut_gap(path, n=a.n, seed=a.seed)
        print(f"{path:<50} {g['acc_agree']:6.3f} {g['acc_flipped']:8.3f} {g['gap']:6.3f}")


if __name__ == '__main__':
    main()
