"""Train the bundled 64 px generators and compare ADA with DiffAugment, within one wall-clock budget.

This is the record of the earlier recipe (per-pixel noise at every layer, 2026-11; see
nbs/experiments/2026-11-bundled-generators.qmd). Today's bundled generators and encoders are reproduced by
`latent-explain train-demo --only generators` (or `python benchmarks/bundled_generators.py`, which runs the same
recipe with chains side by side).

What it does, in this order (each stage gets a share of --budget seconds and stops with a checkpoint when its
share is spent, so the whole script ends on time even on a slow machine):

1. `histology64`: StyleGAN2 preset '64' on --n-hist synthetic H&E tiles (ADA), realism logged with the
   nuclei_count / hematoxylin_fraction / nucleus_mean_area meters.
2. `ihc64`: the same preset on 64 px tiles of scikit-image's IHC image cut with stride 8 (all of the image: the GAN
   models the stain appearance, it is not a classifier and has no validation split), dab_fraction logged.
3. ADA vs DiffAugment on 2,000 synthetic histology tiles: ADA runs for its share of time, DiffAugment then runs
   to the same kimg; both G_ema are scored with the same realism measures.
4. Device checks and timings in a child process (bounded by a timeout): bf16 autocast, channels_last and
   torch.compile give finite outputs close to fp32 eager, and G-forward / main-iteration img/s per preset.
5. `profile` (not in the default stages): torch.profiler over 16 full training steps (every phase, ADA on), the
   top operators by self device time and by self CPU time, and the step rate with and without the profiler, to
   find where a full step loses to the bare main iteration of stage 4.

Every GAN is scored at the end on --n-eval real vs generated images: C2ST accuracy (0.5 = indistinguishable),
the 1-D Wasserstein distance of each meter, and the same numbers for two disjoint halves of the real data (the
floor that finite samples give). Results go to OUT/summary.json and a table on stdout.

Usage: python benchmarks/train_demo_gans.py --out runs/demo [--budget 480] [--device cuda] [--batch 64]
Resume a stage by running again with the same --out: GAN folders that hold a run are continued.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SHARES = dict(histology64=0.43, ihc64=0.19, augcmp=0.24, device_checks=0.09)   # the rest: evaluation and slack
HIST_METERS = ('nuclei_count', 'hematoxylin_fraction', 'nucleus_mean_area')
IHC_METERS = ('dab_fraction', 'hematoxylin_fraction')


def _hist_chunk(args):
    from latent_explain.datasets import synth_histology
    n, seed = args
    return synth_histology(n, seed=seed).images


def histology_images(n: int, seed: int, workers: int) -> np.ndarray:
    "n synthetic H&E tiles (uint8 N×64×64×3), generated in parallel chunks of distinct seeds"
    chunks = [(len(c), seed * 1000 + i) for i, c in enumerate(np.array_split(np.arange(n), max(workers, 1))) if len(c)]
    if workers <= 1: return np.concatenate([_hist_chunk(c) for c in chunks])
    import multiprocessing as mp
    with ProcessPoolExecutor(workers, mp_context=mp.get_context('fork')) as ex:   # before CUDA starts: fork is safe
        return np.concatenate(list(ex.map(_hist_chunk, chunks)))


def ihc_images(stride: int = 8) -> np.ndarray:
    from latent_explain.datasets import ihc_tiles
    return ihc_tiles(size=64, stride=stride).images


def evaluate(G, real: np.ndarray, meters: tuple, n_eval: int, device, seed: int = 0) -> dict:
    "Realism of G_ema against `real`, and the real-vs-real floor of the same measures (`score_generator`)"
    from latent_explain.meters import METERS
    from latent_explain.realism import score_generator
    return score_generator(G, real, {m: METERS[m] for m in meters}, n=n_eval, seed=seed, device=device)


def train_stage(name, images, out, minutes, meters, args) -> dict:
    from latent_explain.meters import METERS
    from latent_explain.train_gan import train_gan
    from latent_explain.gan_run import read_state
    t = time.time()
    gandir = Path(out) / name
    tr = train_gan(images, out=gandir, cfg='64', resume=read_state(gandir) is not None, kimg=1e6, minutes=minutes,
                   batch=args.batch, snap_kimg=args.snap_kimg, device=args.device or None, progress=False,
                   meters={m: METERS[m] for m in meters})
    s = tr.state
    last = [h for h in s['history'] if 'c2st' in h]
    print(f"[{name}] {s['kimg']:.1f} kimg in {time.time() - t:.0f} s this run ({s['train_seconds']:.0f} s in all), "
          f"augment p {s['augment_p']:.3f}, last snapshot c2st {last[-1]['c2st'] if last else float('nan'):.3f}", flush=True)
    return {'gandir': str(gandir), 'kimg': s['kimg'], 'augment_p': s['augment_p'], 'train_seconds': s['train_seconds'],
            'kimg_per_hour': s['kimg'] / max(s['train_seconds'], 1e-9) * 3600, 'n_images': len(images),
            'nan_count': s['nan_count'], 'trainer': tr}


def augment_comparison(images, minutes, args) -> dict:
    "ADA for `minutes`, then DiffAugment to the same kimg; realism of both (in memory, nothing written)"
    from latent_explain.train_gan import train_gan
    rows = {}
    kimg = 1e6
    for aug in ('ada', 'diffaug'):
        t = time.time()
        tr = train_gan(images, cfg='64', kimg=kimg, minutes=minutes * (1 if aug == 'ada' else 2), aug=aug,
                       batch=args.batch, snap_kimg=1e6, realism_n=0, grid_n=0, device=args.device or None,
                       progress=False, seed=1)
        kimg = tr.state['kimg']
        rows[aug] = {'kimg': kimg, 'seconds': time.time() - t, 'augment_p': tr.state['augment_p'],
                     **evaluate(tr.G_ema, images, HIST_METERS, args.n_eval, tr.device)}
        print(f"[augcmp] {aug}: {json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rows[aug].items()})}",
              flush=True)
    return rows


def profile_steps(images, args, steps: int = 16) -> dict:
    "Top operators of `steps` full training steps (after 8 warm-up steps), by self device time and by self CPU time"
    import torch
    from torch.profiler import profile, ProfilerActivity
    from latent_explain.stylegan import gan_preset
    from latent_explain.train_gan import GANTrainer
    from latent_explain.gan_run import TrainOptions
    tr = GANTrainer(images, gan_preset(64), TrainOptions(batch=args.batch, augment_p=0.2, ada_target=-1,
                                                         r1_interval=4), device=args.device or None)
    cuda = tr.device.type == 'cuda'
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    def run(n):
        sync(); t = time.perf_counter()
        for _ in range(n): tr.train_step()
        sync(); return n * args.batch / (time.perf_counter() - t)
    run(8)
    plain = run(steps)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=acts) as prof: run(steps)
    table = lambda key: prof.key_averages().table(sort_by=key, row_limit=15, max_name_column_width=50)
    out = {'img_s': plain, 'by_cpu': table('self_cpu_time_total')}
    if cuda: out['by_device'] = table('self_cuda_time_total')
    for k in ('by_device', 'by_cpu'):
        if k in out: print(f"[profile] {k}\n{out[k]}", flush=True)
    print(f"[profile] {plain:.0f} img/s without the profiler (batch {args.batch}, R1 every 4 steps, ADA p 0.2)", flush=True)
    return out


DEVICE_CHECK = r'''
import json, sys, time, torch, torch.nn.functional as F
from latent_explain.stylegan import Generator, gan_preset, compile_module
from latent_explain.discriminator import Discriminator
dev = torch.device(sys.argv[1]); out = {'device_name': torch.cuda.get_device_name() if dev.type == 'cuda' else 'cpu',
                                        'torch': torch.__version__}
def sync():
    if dev.type == 'cuda': torch.cuda.synchronize()
def rate(fn, n, iters=10):
    fn(); fn(); sync(); t = time.perf_counter()
    for _ in range(iters): fn()
    sync(); return n * iters / (time.perf_counter() - t)
torch.manual_seed(0)
presets, nb = sys.argv[2].split(','), int(sys.argv[3])   # G forward on 4·nb latents, training steps on nb images
for preset in presets:
    for bf16 in (False, True):
        cfg = gan_preset(preset)
        G, D = Generator(cfg, bf16=bf16).to(dev), Discriminator(cfg, bf16=bf16).to(dev)
        oG = torch.optim.Adam(G.parameters(), lr=0.0025, betas=(0.0, 0.99)); oD = torch.optim.Adam(D.parameters(), lr=0.0025, betas=(0.0, 0.99))
        z = torch.randn(4 * nb, cfg.z_dim, device=dev); real = torch.rand(nb, 3, 64, 64, device=dev) * 2 - 1
        def step():
            oG.zero_grad(); F.softplus(-D(G(z[:nb]))).mean().backward(); oG.step()
            oD.zero_grad()
            with torch.no_grad(): fake = G(z[nb:2 * nb])
            (F.softplus(D(fake)).mean() + F.softplus(-D(real)).mean()).backward(); oD.step()
        with torch.no_grad(): g = rate(lambda: G(z), 4 * nb)
        out[f'{preset}_{"bf16" if bf16 else "fp32"}'] = {'gfwd_img_s': round(g), 'train_img_s': round(rate(step, nb))}
        print('DEVICE_CHECK ' + json.dumps(out), flush=True)   # cumulative: a timeout keeps what was measured
cfg = gan_preset('64'); G = Generator(cfg).to(dev).eval(); z = torch.randn(16, cfg.z_dim, device=dev)
with torch.no_grad():
    ref = G(z, noise_mode='const')
    G.synthesis.bf16 = True; b = G(z, noise_mode='const'); G.synthesis.bf16 = False
    G.synthesis.channels_last = True; c = G(z, noise_mode='const'); G.synthesis.channels_last = None
    out['bf16_max_abs_diff'] = float((b - ref).abs().max()); out['channels_last_max_abs_diff'] = float((c - ref).abs().max())
    out['finite'] = bool(torch.isfinite(b).all() and torch.isfinite(c).all())
    print('DEVICE_CHECK ' + json.dumps(out), flush=True)   # before torch.compile, which may outlast the timeout
    t = time.time(); Gc = compile_module(G); k = Gc(z, noise_mode='const'); out['compile_seconds'] = round(time.time() - t, 1)
    out['compile_max_abs_diff'] = float((k - ref).abs().max())
print('DEVICE_CHECK ' + json.dumps(out), flush=True)
'''


def device_checks(device: str, timeout: float) -> dict:
    "Run DEVICE_CHECK in a child process, killed after `timeout` seconds (torch.compile can take long)"
    presets, nb = ('64,reference64', 64) if device.startswith('cuda') else ('64', 8)   # CPU: a quick smoke run
    try:
        p = subprocess.run([sys.executable, '-c', DEVICE_CHECK, device, presets, str(nb)], capture_output=True, text=True, timeout=timeout,
                           env={**os.environ, 'PYTHONPATH': os.pathsep.join(sys.path)})
    except subprocess.TimeoutExpired as e:
        text = e.stdout.decode(errors='replace') if isinstance(e.stdout, bytes) else (e.stdout or '')
        rc, err = f'timed out after {timeout:.0f} s', ''
    else: text, rc, err = p.stdout, p.returncode, p.stderr
    lines = [l for l in text.splitlines() if l.startswith('DEVICE_CHECK ')]
    res = json.loads(lines[-1][len('DEVICE_CHECK '):]) if lines else {}
    if rc != 0: res.update(error=str(rc), stderr=err[-3000:])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='folder for the GAN folders and summary.json')
    ap.add_argument('--budget', type=float, default=480, help='seconds for the whole script')
    ap.add_argument('--device', default='', help="'cuda', 'cpu'; default: CUDA when available")
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--snap-kimg', type=float, default=25)
    ap.add_argument('--n-hist', type=int, default=10000, help='synthetic histology tiles for histology64')
    ap.add_argument('--n-aug', type=int, default=2000, help='tiles for the ADA vs DiffAugment comparison')
    ap.add_argument('--n-eval', type=int, default=1000, help='images per side in the final realism scores')
    ap.add_argument('--workers', type=int, default=min(16, os.cpu_count() or 1))
    ap.add_argument('--stages', default='histology64,ihc64,augcmp,device_checks')
    args = ap.parse_args()
    t0, out = time.time(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stages = args.stages.split(',')
    left = lambda: args.budget - (time.time() - t0)
    share = lambda k: SHARES[k] * args.budget / 60   # minutes
    hist = histology_images(args.n_hist, 0, args.workers)
    aug_imgs = histology_images(args.n_aug, 1, args.workers) if 'augcmp' in stages else None
    print(f"data ready in {time.time() - t0:.0f} s: histology {hist.shape}", flush=True)
    import torch
    from latent_explain.core import tune_glibc_malloc
    tune_glibc_malloc()
    summary = {'budget_s': args.budget, 'batch': args.batch, 'torch': torch.__version__,
               'device': torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != 'cpu' else 'cpu'}
    def save():
        tmp = out / '.summary.json.tmp'; tmp.write_text(json.dumps(summary, indent=1, default=str)); os.replace(tmp, out / 'summary.json')
    for name, imgs, meters in (('histology64', hist, HIST_METERS), ('ihc64', None, IHC_METERS)):
        if name not in stages: continue
        try:
            imgs = ihc_images() if imgs is None else imgs
            r = train_stage(name, imgs, out, min(share(name), max(left() / 60 - 1, 0.1)), meters, args)
            tr = r.pop('trainer')
            r['final'] = evaluate(tr.G_ema, imgs, meters, args.n_eval, tr.device)
            summary[name] = r; print(f"[{name}] final {json.dumps(r['final'])}", flush=True)
            del tr
        except Exception as e:
            import traceback; traceback.print_exc(); summary[name] = {'error': repr(e)}
        save()
    if 'augcmp' in stages:
        try: summary['augcmp'] = augment_comparison(aug_imgs, min(share('augcmp') / 2, max(left() / 180, 0.1)), args)
        except Exception as e:
            import traceback; traceback.print_exc(); summary['augcmp'] = {'error': repr(e)}
        save()
    if 'profile' in stages:
        try: summary['profile'] = profile_steps(hist, args)
        except Exception as e:
            import traceback; traceback.print_exc(); summary['profile'] = {'error': repr(e)}
        save()
    if 'device_checks' in stages:
        dev = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
        summary['device_checks'] = device_checks(dev, max(min(share('device_checks') * 60, left() - 10), 10))
        print(f"[device_checks] {json.dumps(summary['device_checks'])}", flush=True)
        save()
    summary['total_seconds'] = time.time() - t0
    save()
    print(f"done in {summary['total_seconds']:.0f} s -> {out / 'summary.json'}")


if __name__ == '__main__':
    main()
