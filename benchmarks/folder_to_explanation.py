"""From a folder to explanations with the defaults: the "specks" data of `noise_policy.py` (a planted biomarker no
default was tuned on) through `latent-explain run` within its default budget, from nothing, then scored by a meter
the package does not have (`noise_policy.speck_count`).

Reports the wall time of each stage (RUN/times.json), the check's verdicts, and the planted biomarker's recovery
over the held-out explanations: the share of series in which the speck count moves by ≥ 0.5 real sd with the sign
of the change of p(positive), and the median Spearman ρ of the count along α — beside the same for the pixel
baseline (`explain` with a `pixel` direction, no generator), on the same images.

Usage: python benchmarks/folder_to_explanation.py --work DIR [--hours 1] [--n 8]
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np
from PIL import Image
sys.path.insert(0, str(Path(__file__).parent))
from noise_policy import specks, speck_count, write

LE = str(Path(sys.executable).parent / 'latent-explain')


def recovery(folder: Path, real_sd: float) -> dict:
    "Share of series whose speck count moves ≥ 0.5 sd with the sign of Δp, and the median ρ of the count along α"
    from scipy.stats import spearmanr
    moved, rhos = [], []
    for j in sorted(folder.glob('*.json')):
        if j.name == 'config.json': continue
        r = json.loads(j.read_text())
        frames = np.stack([np.asarray(Image.open(f).convert('L')) for f in sorted((folder / f"{r['name']}_frames").glob('*.png'))])
        count = speck_count(frames)
        dp, dc = r['probs'][-1] - r['probs'][0], count[-1] - count[0]
        moved.append(abs(dc) >= 0.5 * real_sd and np.sign(dc) == np.sign(dp))
        rhos.append(0.0 if np.ptp(count) == 0 else spearmanr(r['alphas'], count)[0])
    return dict(n=len(moved), moved=float(np.mean(moved)), rho_median=float(np.median(rhos)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', required=True); ap.add_argument('--hours', type=float, default=1.0)
    ap.add_argument('--n', type=int, default=8, help='held-out images per class')
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    if not (w / 'specks').exists(): write(w / 'specks', *specks(3000, 0))
    t0 = time.time()
    subprocess.run([LE, 'run', '--data', str(w / 'specks'), '--out', str(w / 'run'), '--hours', str(a.hours), '--n', str(a.n)], check=True)
    print(f"run: {(time.time() - t0) / 60:.1f} min wall;", json.loads((w / 'run' / 'times.json').read_text()))
    chk = json.loads((w / 'run' / 'check' / 'check.json').read_text())
    print('check:', chk['overall'], {k: (round(v['value'], 3), v['verdict']) for k, v in chk['verdicts'].items()})
    real_sd = float(np.std(speck_count(specks(512, 2)[0])))
    print('latent (logistic):', recovery(w / 'run' / 'explanations', real_sd))
    held = sorted(str(p) for p in (w / 'run' / 'data' / 'heldout').rglob('*.png'))
    run = w / 'run'
    if not (w / 'pixel-dir').exists():
        subprocess.run([LE, 'fit-direction', '--gan', str(run / 'gan'), '--clf', str(run / 'clf'), '--method', 'pixel',
                        '--out', str(w / 'pixel-dir')], check=True)
    subprocess.run([LE, 'explain', *held, '--gan', str(run / 'gan'), '--clf', str(run / 'clf'), '--direction', str(w / 'pixel-dir'),
                    '--out', str(w / 'pixel'), '--overwrite'], check=True, capture_output=True)
    print('pixel baseline:   ', recovery(w / 'pixel', real_sd))


if __name__ == '__main__': main()
