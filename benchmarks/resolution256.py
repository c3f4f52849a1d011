"""The user's resolution: time and peak memory of the explaining commands with a 256 px generator of NVlabs'
paper256 size (our `Generator` with `gan_preset(256)`: widths 16384/res capped at 512, z = w = 512, 8 mapping layers;
random weights, which is all a timing needs).

Each stage runs as its own `latent-explain` process under /usr/bin/time, so its wall time and peak resident memory
are its own: writing 300 synthetic tiles at 256 px, saving and loading the generator, a classifier (regnetx_002 at
128 px, 1 epoch), a short encoder, fit-direction (logistic, 512 samples; gradient), explain (per image, with and without the
repair of the reconstructions that fail their verdict) and check. NVlabs' own pickle of this size cannot be made
without NVlabs' code, so `import-generator` is timed on the fixture pickles by the test suite only.

Usage: python benchmarks/resolution256.py --work DIR [--images 4]
"""
import argparse, json, subprocess, sys, time
from pathlib import Path

LE = str(Path(sys.executable).parent / 'latent-explain')


def timed(name, *args, may_refuse=False):
    "Run one command; print and return (wall seconds, peak RSS in GB); `may_refuse`: a refusal (exit 2) is timed too"
    r = subprocess.run(['/usr/bin/time', '-f', '%e %M', *args], capture_output=True, text=True)
    if r.returncode == 2 and may_refuse: print(f"   (refused: {r.stderr.splitlines()[-2][:150]})")
    elif r.returncode != 0: raise SystemExit(f"{name} failed:\n{r.stderr[-2000:]}")
    wall, kb = r.stderr.strip().splitlines()[-1].split()
    wall, gb = float(wall), int(kb) / 1e6
    print(f"{name:<34} {wall:8.1f} s   peak {gb:5.2f} GB", flush=True)
    return wall, gb


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', required=True); ap.add_argument('--images', type=int, default=4)
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    py = [sys.executable, '-c']
    if not (w / 'tiles').exists(): timed('data synth-histology 300 × 256 px', LE, 'data', 'synth-histology', '--n', '300', '--size', '256',
                                         '--out', str(w / 'tiles'), '--no-sheet')
    if not (w / 'gen').exists():
        timed('save a paper256 generator', *py, f"from latent_explain.stylegan import *; import torch; torch.manual_seed(0); "
              f"save_generator(Generator(gan_preset(256)).eval(), {str(w / 'gen')!r})")
    mb = sum(f.stat().st_size for f in (w / 'gen').iterdir()) / 1e6
    print(f"generator folder: {mb:.0f} MB")
    timed('load it', *py, f"from latent_explain.stylegan import load_generator; load_generator({str(w / 'gen')!r})")
    if not (w / 'clf').exists(): timed('train-classifier (128 px, 1 epoch)', LE, 'train-classifier', '--data', str(w / 'tiles'), '--arch',
                                       'regnetx_002', '--epochs', '1', '--size', '128', '--out', str(w / 'clf'))
    if not (w / 'enc').exists(): timed('train-encoder (20 steps)', LE, 'train-encoder', '--gan', str(w / 'gen'), '--data', str(w / 'tiles'),
                                       '--steps', '20', '--batch', '4', '--out', str(w / 'enc'))
    # a random generator's images may all fall in one class (logistic refuses then, after rendering its 512 samples:
    # the cost is the same); the per-image gradient direction explains them all the same
    timed('fit-direction (logistic, 512)', LE, 'fit-direction', '--gan', str(w / 'gen'), '--clf', str(w / 'clf'),
          '--out', str(w / 'dir-logistic'), '--overwrite', may_refuse=True)
    if not (w / 'dir').exists(): timed('fit-direction (gradient)', LE, 'fit-direction', '--gan', str(w / 'gen'), '--clf', str(w / 'clf'),
                                       '--method', 'gradient', '--out', str(w / 'dir'))
    imgs = sorted(p for p in (w / 'tiles').glob('*/*.png') if p.parent.name != 'masks')[:a.images]
    for rs in (0, 50):
        out = w / f'explain-repair{rs}'
        sec, gb = timed(f'explain {len(imgs)} images, repair {rs}', LE, 'explain', *map(str, imgs), '--gan', str(w / 'gen'),
                        '--clf', str(w / 'clf'), '--direction', str(w / 'dir'), '--encoder', str(w / 'enc'), '--out', str(out),
                        '--repair-steps', str(rs), '--overwrite')
        cfg = json.loads((out / 'config.json').read_text())
        print(f"   {sec / len(imgs):.1f} s per image; {len(cfg['untrusted'])} of {len(imgs)} untrusted after the repair")
    timed('check (64 inverted)', LE, 'check', '--gan', str(w / 'gen'), '--clf', str(w / 'clf'), '--data', str(w / 'tiles'),
          '--encoder', str(w / 'enc'), '--out', str(w / 'check'), '--overwrite')


if __name__ == '__main__': main()
