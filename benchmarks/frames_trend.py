"""Recompute, from the raw frames that `latent-explain explain` writes, how a stain or meter follows α — independently of
the explainer's own numbers — and compare it with the classifier's probability along the same frames.

For each `<stem>.json` in the folder it reads `<stem>_frames/NN.png` and measures per frame the mean hematoxylin (or
eosin, DAB) optical density with scikit-image's `rgb2hed` (`--stain`), or the mean gray level of gray frames. It prints one
row per image: Spearman ρ(α, stain), ρ(α, p) and whether both move the same way, then the share of images where the
stain follows α (|ρ| ≥ 0.8) in the same sense as the probability.

Usage: python benchmarks/frames_trend.py EXPLAIN_DIR [--stain hematoxylin|eosin|dab|gray]
"""
from __future__ import annotations
import argparse, json
from pathlib import Path
import numpy as np
from PIL import Image
from scipy.stats import spearmanr
from skimage.color import rgb2hed

CHANNEL = {'hematoxylin': 0, 'eosin': 1, 'dab': 2}


def stain_series(frames_dir: Path, stain: str) -> np.ndarray:
    vals = []
    for f in sorted(frames_dir.glob('*.png')):
        a = np.asarray(Image.open(f))
        if stain == 'gray' or a.ndim == 2: vals.append(float(a.mean()))
        else: vals.append(float(rgb2hed(a[..., :3])[..., CHANNEL[stain]].mean()))
    return np.asarray(vals)


def rho(a, b) -> float:
    return 0.0 if np.ptp(b) == 0 else float(spearmanr(a, b)[0])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('folder'); p.add_argument('--stain', default='hematoxylin', choices=[*CHANNEL, 'gray'])
    args = p.parse_args()
    rows = []
    for j in sorted(Path(args.folder).glob('*.json')):
        if j.name == 'config.json': continue
        e = json.loads(j.read_text())
        s = stain_series(j.parent / f'{j.stem}_frames', args.stain)
        if len(s) != len(e['alphas']): raise SystemExit(f"{j}: {len(s)} frames for {len(e['alphas'])} α values")
        r_s, r_p = rho(e['alphas'], s), rho(e['alphas'], e['probs'])
        rows.append((j.stem, r_s, r_p, abs(r_s) >= 0.8 and np.sign(r_s) == np.sign(r_p) and r_p != 0,
                     e['probs'][0], e['probs'][-1]))
    print(f"| image | ρ(α, {args.stain}) | ρ(α, p) | p first → last | follows, same sense |\n|---|---:|---:|---|---|")
    for r in rows: print(f"| {r[0]} | {r[1]:+.2f} | {r[2]:+.2f} | {r[4]:.2f} → {r[5]:.2f} | {'yes' if r[3] else 'no'} |")
    print(f"\n{sum(r[3] for r in rows)} of {len(rows)} images: the {args.stain} content follows α in the sense of the probability")


if __name__ == '__main__':
    main()
