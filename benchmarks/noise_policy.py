"""Which per-pixel noise policy lets a generator carry what a classifier reads: a dataset none of the defaults were
tuned on, a generator per policy trained for the same wall-clock budget, each scored with the classifier alone.

The data ("specks", made here and nowhere else in the package): 64 px grayscale patches of a smooth random texture
with 0–9 small bright specks (1–2 px Gaussians); the label is 'positive' when a patch holds 4 specks or more. A
classifier is trained on the patches (`train-classifier`), and for each policy a `train-gan` run of `--minutes`
(in parallel, one thread each) is scored by `score-gan --clf`: C2ST realism, the classifier's controllability
(ctrl_clf) and noise share, and here also the speck count's controllability (a meter only this script knows).

Usage: python benchmarks/noise_policy.py --work DIR [--kimg 30] [--minutes 0] [--policies 0,32,64] [--n 3000] [--serial]
       (every run continues where it stopped: rerun with a larger --kimg to train further; each snapshot logs the
       classifier's readiness, printed at the end as a trajectory per policy)
"""
import argparse, json, subprocess, sys, time
from pathlib import Path
import numpy as np
from scipy import ndimage as ndi

LE = [str(Path(sys.executable).parent / 'latent-explain')]


def specks(n: int, seed: int, size: int = 64):
    "uint8 N×size×size patches and their speck counts"
    rng = np.random.default_rng(seed)
    imgs, counts = [], rng.integers(0, 10, n)
    yy, xx = np.mgrid[:size, :size]
    for c in counts:
        tex = ndi.gaussian_filter(rng.normal(0, 1, (size, size)), rng.uniform(3, 6))
        img = 90 + 25 * tex / (tex.std() + 1e-6) + rng.uniform(-20, 20) * (xx / size - 0.5)
        for _ in range(c):
            cy, cx, r = rng.uniform(4, size - 4, 2).tolist() + [rng.uniform(1.0, 1.8)]
            img += rng.uniform(70, 110) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
        imgs.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(imgs), counts


def speck_count(imgs: np.ndarray) -> np.ndarray:
    "The meter: bright local peaks standing out from the smoothed texture"
    out = []
    for a in imgs.astype(float):
        top = a - ndi.gaussian_filter(a, 4)
        out.append(ndi.label(top > 35)[1])
    return np.array(out, float)


def write(folder: Path, imgs, counts):
    from PIL import Image
    import pandas as pd
    folder.mkdir(parents=True)
    rows = []
    for i, (a, c) in enumerate(zip(imgs, counts)):
        cls = 'positive' if c >= 4 else 'negative'
        (folder / cls).mkdir(exist_ok=True)
        Image.fromarray(a).save(folder / cls / f'{i:05d}.png'); rows.append((f'{cls}/{i:05d}.png', cls))
    pd.DataFrame(rows, columns=['path', 'label']).to_csv(folder / 'labels.csv', index=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', required=True)
    ap.add_argument('--kimg', type=float, default=30, help='train every policy to this many kimg (runs continue)')
    ap.add_argument('--minutes', type=float, default=0, help='stop each training invocation after this long (0: none)')
    ap.add_argument('--policies', default='0,32,64'); ap.add_argument('--n', type=int, default=3000)
    ap.add_argument('--serial', action='store_true', help='train the policies one after another on one core')
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    if not (w / 'specks').exists(): write(w / 'specks', *specks(a.n, 0))
    if not (w / 'fresh').exists(): write(w / 'fresh', *specks(1000, 1))
    if not (w / 'clf').exists():   # first, so that every snapshot logs the classifier's readiness
        subprocess.run(LE + ['train-classifier', '--data', str(w / 'specks'), '--arch', 'regnetx_002', '--epochs', '4',
                             '--out', str(w / 'clf')], check=True, stdout=open(w / 'clf.log', 'w'), stderr=subprocess.STDOUT)
    procs = []
    for pol in a.policies.split(','):
        cmd = LE + ['train-gan', '--data', str(w / 'specks'), '--out', str(w / f'noise-from-{pol}'), '--resume',
                    '--noise-from', pol, '--clf', str(w / 'clf'), '--minutes', str(a.minutes), '--threads', '1',
                    '--kimg', str(a.kimg)]
        p = subprocess.Popen(cmd, stdout=open(w / f'train-{pol}.log', 'a'), stderr=subprocess.STDOUT)
        if a.serial: p.wait()
        procs.append(p)
    for p in procs: p.wait()
    for pol in a.policies.split(','):   # the readiness each snapshot logged while training
        hist = json.loads((w / f'noise-from-{pol}' / 'training_state.json').read_text())['history']
        print(f'noise-from {pol}: ' + ', '.join(f"{h['kimg']:.0f} kimg c2st {h['c2st']:.2f} ctrl_clf {h['ctrl_clf']:.2f} "
                                                 f"noise {h['noise_share']:.2f}" for h in hist if 'ctrl_clf' in h))
    from latent_explain.stylegan import load_generator
    from latent_explain.realism import generate, controllability
    from latent_explain.core import from_generator_range
    real, _ = specks(512, 2)
    print(f"{'policy':<14} {'kimg':>6} {'c2st':>6} {'ctrl_clf':>8} {'noise_share':>11} {'p_real':>6} {'p_gen':>6} {'ctrl_count':>10} {'count≥4 gen/real':>16}")
    for pol in a.policies.split(','):
        run = w / f'noise-from-{pol}'
        r = json.loads(subprocess.run(LE + ['score-gan', '--gan', str(run), '--data', str(w / 'fresh'), '--n', '500',
                                            '--clf', str(w / 'clf'), '--no-floor', '--repeats', '1'],
                                      capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        G = load_generator(run)
        fixed = from_generator_range(generate(G, 256, seed=3, noise_mode='const'))[:, ..., 0]
        ctrl = speck_count(fixed).std() / speck_count(real).std()
        share = (speck_count(fixed) >= 4).mean(), (speck_count(real) >= 4).mean()
        kimg = json.loads((run / 'training_state.json').read_text())['kimg']
        print(f"noise-from {pol:<3} {kimg:6.1f} {r['c2st']:6.3f} {r['ctrl_clf']:8.3f} {r['noise_share']:11.3f} "
              f"{r['p_real']:6.2f} {r['p_generated']:6.2f} {ctrl:10.3f} {share[0]:8.2f}/{share[1]:.2f}", flush=True)


if __name__ == '__main__': main()
