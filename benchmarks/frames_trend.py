"""Recompute, from the raw frames that `latent-explain explain` writes, how a stain or meter follows α — independently of
the explainer's own numbers — and compare it with the classifier's probability along the same frames.

For each `<stem>.json` in the folder it reads `<stem>_frames/NN.png` and measures per frame the mean hematoxylin (or
eosin, DAB) optical density with scikit-image's `rgb2hed` (`--stain`), the mean gray level of gray frames, or
(`--stain nuclei`) the number of nuclei: connected regions of hematoxylin density above Otsu's threshold of the
series' first frame, of at least 6 pixels (scikit-image's `threshold_otsu`, `label`, `regionprops`). It prints one
row per image: Spearman ρ(α, stain), ρ(α, p) and whether both move the same way, then the share of images where the
stain follows α (|ρ| ≥ 0.8) in the same sense as the probability.

Usage: python benchmarks/frames_trend.py EXPLAIN_DIR [--stain hematoxylin|eosin|dab|gray|nuclei]
"""
from __future__ import annotations
import argparse, json
from pathlib import Path
import numpy as np
from PIL import Image
from scipy.stats import spearmanr
from skimage.color import rgb2hed
from skimage.filters import threshold_otsu
from skimage.measure import label, regionprops

CHANNEL = {'hematoxylin': 0, 'eosin': 1, 'dab': 2}
OWN_METER = {'hematoxylin': 'hematoxylin_fraction', 'dab': 'dab_fraction', 'nuclei': 'nuclei_count'}


def nuclei_counts(frames: list[np.ndarray], min_px: int = 6) -> list[float]:
    "Nuclei per frame: hematoxylin regions above one threshold (Otsu's, of the first frame) of at least `min_px` pixels"
    hem = [rgb2hed(a[..., :3])[..., 0] for a in frames]
    t = threshold_otsu(hem[0])
    return [float(sum(r.area >= min_px for r in regionprops(label(h > t)))) for h in hem]


def stain_series(frames_dir: Path, stain: str) -> np.ndarray:
    frames = [np.asarray(Image.open(f)) for f in sorted(frames_dir.glob('*.png'))]
    if stain == 'nuclei': return np.asarray(nuclei_counts(frames))
    vals = []
    for a in frames:
        if stain == 'gray' or a.ndim == 2: vals.append(float(a.mean()))
        else: vals.append(float(rgb2hed(a[..., :3])[..., CHANNEL[stain]].mean()))
    return np.asarray(vals)


def rho(a, b) -> float:
    return 0.0 if np.ptp(b) == 0 else float(spearmanr(a, b)[0])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('folder'); p.add_argument('--stain', default='hematoxylin', choices=[*CHANNEL, 'gray', 'nuclei'])
    args = p.parse_args()
    rows = []
    for j in sorted(Path(args.folder).glob('*.json')):
        if j.name == 'config.json': continue
        e = json.loads(j.read_text())
        s = stain_series(j.parent / f'{j.stem}_frames', args.stain)
        if len(s) != len(e['alphas']): raise SystemExit(f"{j}: {len(s)} frames for {len(e['alphas'])} α values")
        r_s, r_p = rho(e['alphas'], s), rho(e['alphas'], e['probs'])
        own = e.get('meters', {}).get(OWN_METER.get(args.stain, ''))   # the explainer's own meter on the same frames
        rows.append((j.stem, r_s, r_p, abs(r_s) >= 0.8 and np.sign(r_s) == np.sign(r_p) and r_p != 0,
                     e['probs'][0], e['probs'][-1], None if own is None else rho(e['alphas'], own)))
    name = OWN_METER.get(args.stain, '')
    print(f"| image | ρ(α, {args.stain}) | ρ(α, p) | p first → last | follows, same sense | explainer's ρ(α, {name}) |"
          "\n|---|---:|---:|---|---|---:|")
    for r in rows: print(f"| {r[0]} | {r[1]:+.2f} | {r[2]:+.2f} | {r[4]:.2f} → {r[5]:.2f} | {'yes' if r[3] else 'no'} | "
                         f"{'–' if r[6] is None else f'{r[6]:+.2f}'} |")
    print(f"\n{sum(r[3] for r in rows)} of {len(rows)} images: the {args.stain} content follows α in the sense of the probability")
    both = [(r[1], r[6]) for r in rows if r[6] is not None]
    if both:
        a, b = np.array(both).T
        print(f"against the explainer's {name}: median ρ {np.median(a):+.2f} here, {np.median(b):+.2f} there; "
              f"|ρ| ≥ 0.9 in {np.mean(np.abs(a) >= 0.9):.0%} here, {np.mean(np.abs(b) >= 0.9):.0%} there; "
              f"same verdict (|ρ| ≥ 0.9 or not) for {np.mean((np.abs(a) >= 0.9) == (np.abs(b) >= 0.9)):.0%} of the images")


if __name__ == '__main__':
    main()
