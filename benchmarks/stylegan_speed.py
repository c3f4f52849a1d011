"""StyleGAN2 speed on this machine: G forward and a main training iteration (G step + D step), fp32 and bf16.

Prints, per preset, img/s, FLOPs per image (counted with torch.utils.flop_counter.FlopCounterMode), this machine's
fp32 matmul FLOP/s measured in the same process, and the achieved utilisation
    (FLOPs/img × img/s) / matmul FLOP/s
so that numbers taken on a busy or different machine can still be compared (ratios, not absolute speeds).

glibc's malloc returns every block above its (dynamic, at most 32 MiB) mmap threshold to the OS on free and gets
it back with mmap + page faults; CPU training was reported 1.5-3× slower and erratic because of it. Setting
MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ high keeps freed memory in the heap. They are read once when the
process starts, so this script runs each measurement in a child process: A) with the variables set, B) with glibc's
defaults, C) defaults + latent_explain.core.tune_glibc_malloc(), which applies the same settings in-process with
mallopt(). For your own runs either start the process with

    MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184 latent-explain train-gan ...

or call tune_glibc_malloc() first thing. On a busy machine numbers move a lot: compare the util % column (a ratio
to a matmul probe run right before each timed iteration), or pass --threads 1.

Anchor (NVlabs' stylegan2-ada-pytorch at 'reference64' on this machine type): ≈ 47 GFLOP/image main iteration at
≈ 79 % of the fp32 matmul rate (≈ 2.9 img/s). Goals: ≥ 80 % fp32 utilisation at 'reference64', bf16 ≥ 1.5× fp32.

Usage: python benchmarks/stylegan_speed.py [--iters 3] [--batch 16] [--presets 32,64,reference64] [--threads 0]
       python benchmarks/stylegan_speed.py --profile [--bf16] --presets reference64     # torch.profiler table
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time

MALLOC_ENV = {'MALLOC_MMAP_THRESHOLD_': str(16 << 30), 'MALLOC_TRIM_THRESHOLD_': str(16 << 30)}


def matmul_flops(n=2048, reps=8, rounds=3):
    "fp32 FLOP/s of n×n matmuls (best of `rounds` timed rounds)"
    import torch
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2): a @ b
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps): a @ b
        best = max(best, 2 * n ** 3 * reps / (time.perf_counter() - t))
    return best


def make(preset, bf16):
    import torch
    from latent_explain.stylegan import Generator, gan_preset
    from latent_explain.discriminator import Discriminator
    torch.manual_seed(0)
    cfg = gan_preset(preset)
    G, D = Generator(cfg, bf16=bf16), Discriminator(cfg, bf16=bf16)
    # Adam with beta1 = 0 as in StyleGAN2 (torch 2.14 rejects the integer 0: use 0.0)
    kw = dict(lr=0.0025, betas=(0.0, 0.99), eps=1e-8)
    return cfg, G, D, torch.optim.Adam(G.parameters(), **kw), torch.optim.Adam(D.parameters(), **kw)


def train_step(G, D, optG, optD, batch, real):
    "One main iteration without regularisation: G step then D step, non-saturating logistic loss"
    import torch, torch.nn.functional as F
    z = torch.randn(batch, G.z_dim)
    G.requires_grad_(True); D.requires_grad_(False)            # no D weight gradients in the G step
    loss = F.softplus(-D(G(z, update_w_avg=True))).mean()
    optG.zero_grad(set_to_none=True); loss.backward(); optG.step()
    G.requires_grad_(False); D.requires_grad_(True)            # G only runs forward in the D step
    with torch.no_grad(): fake = G(torch.randn(batch, G.z_dim))
    loss = F.softplus(D(fake)).mean() + F.softplus(-D(real)).mean()
    optD.zero_grad(set_to_none=True); loss.backward(); optD.step()


def timed(fn, iters, warmup=1, probe=None):
    """Median seconds of `fn` over `iters` runs. With `probe` (a function returning FLOP/s), a short matmul probe runs
    right before each timed run, and the median of the per-run (seconds, probe rate) pairs is returned too: on a
    shared machine the load changes from second to second, and a ratio of neighbours is far steadier."""
    for _ in range(warmup): fn()
    ts, rates = [], []
    for _ in range(iters):
        if probe: rates.append(probe())
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    med = lambda v: sorted(v)[len(v) // 2]
    return (med(ts), med(rates), [r * t for r, t in zip(rates, ts)]) if probe else med(ts)


def measure(preset, batch, iters, bf16, what=('gfwd', 'train', 'flops')):
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    cfg, G, D, optG, optD = make(preset, bf16)
    real = torch.rand(batch, cfg.img_channels, cfg.res, cfg.res) * 2 - 1
    r = dict(preset=preset, bf16=bf16, batch=batch)
    step = lambda: train_step(G, D, optG, optD, batch, real)
    if 'flops' in what:
        with FlopCounterMode(display=False) as fc: step()
        r['gflop_per_img'] = fc.get_total_flops() / batch / 1e9
    if 'gfwd' in what:
        z = torch.randn(batch, G.z_dim)
        with torch.no_grad(): r['gfwd_img_s'] = batch / timed(lambda: G(z), iters)
    if 'train' in what:
        t, rate, rt = timed(step, iters, probe=lambda: matmul_flops(reps=2, rounds=1))
        r['train_img_s'], r['probe_flops'] = batch / t, rate
        if 'flops' in what:   # utilisation of each run against the matmul probe just before it; median
            utils = sorted(r['gflop_per_img'] * 1e9 * batch / x for x in rt)
            r['util'] = utils[len(utils) // 2]
    return r


def child(args):
    import torch
    if args.threads: torch.set_num_threads(args.threads)
    tuned = False
    if args.mallopt:
        from latent_explain.core import tune_glibc_malloc
        tuned = tune_glibc_malloc()
    torch.manual_seed(0)
    out = dict(malloc_env=all(os.environ.get(k) == v for k, v in MALLOC_ENV.items()), mallopt=tuned,
               threads=torch.get_num_threads(), results=[])
    mm = [matmul_flops()]
    for p in args.presets:
        for bf16 in ([False, True] if args.full else [False]):
            what = ('gfwd', 'train', 'flops') if args.full else ('train',)
            out['results'].append(measure(p, args.batch, args.iters, bf16, what))
    mm.append(matmul_flops())
    out['matmul_flops'] = sum(mm) / len(mm)
    print('JSON' + json.dumps(out))


def profile(args):
    import torch
    if args.threads: torch.set_num_threads(args.threads)
    from torch.profiler import profile as prof, ProfilerActivity
    p = args.presets[-1]
    cfg, G, D, optG, optD = make(p, args.bf16)
    real = torch.rand(args.batch, cfg.img_channels, cfg.res, cfg.res) * 2 - 1
    train_step(G, D, optG, optD, args.batch, real)
    with prof(activities=[ProfilerActivity.CPU]) as pr:
        for _ in range(max(1, args.iters // 2)): train_step(G, D, optG, optD, args.batch, real)
    print(pr.key_averages().table(sort_by='self_cpu_time_total', row_limit=25))


def run_child(args, malloc, full, mallopt=False):
    env = {k: v for k, v in os.environ.items() if k not in MALLOC_ENV}
    if malloc: env.update(MALLOC_ENV)
    cmd = [sys.executable, __file__, '--child', '--iters', str(args.iters), '--batch', str(args.batch), '--threads', str(args.threads),
           '--presets', ','.join(args.presets)] + (['--full'] if full else []) + (['--mallopt'] if mallopt else [])
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0: sys.exit(f"benchmark child failed:\n{res.stderr}")
    return json.loads(next(l for l in res.stdout.splitlines() if l.startswith('JSON'))[4:])


def report(fast, slow, tuned):
    print(f"threads: {fast['threads']}; best fp32 matmul 2048² of the whole run: {fast['matmul_flops'] / 1e9:.0f} GFLOP/s")
    print("util % = FLOPs/img × img/s ÷ fp32 FLOP/s of a 2048² matmul probe run just before each timed iteration "
          "(median over iterations)")
    print(f"\nA) MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ set before start, batch {fast['results'][0]['batch']}")
    hdr = (f"{'preset':<12} {'dtype':<5} {'G fwd img/s':>11} {'train img/s':>11} {'GFLOP/img':>9} {'probe GF/s':>10} "
           f"{'util %':>7} {'bf16 ×':>7}")
    print(hdr); print('-' * len(hdr))
    base, gflop = {}, {}
    for r in fast['results']:
        speed = '' if not r['bf16'] else f"{r['train_img_s'] / base[r['preset']]:.2f}"
        if not r['bf16']: base[r['preset']], gflop[r['preset']] = r['train_img_s'], r['gflop_per_img']
        print(f"{r['preset']:<12} {'bf16' if r['bf16'] else 'fp32':<5} {r['gfwd_img_s']:>11.1f} {r['train_img_s']:>11.2f} "
              f"{r['gflop_per_img']:>9.2f} {r['probe_flops'] / 1e9:>10.0f} {100 * r['util']:>7.1f} {speed:>7}")
    print("\nfp32 main iteration under the other allocator settings (B: glibc defaults, "
          "C: defaults + tune_glibc_malloc() in-process)")
    hdr = f"{'preset':<12} {'malloc':<8} {'train img/s':>11} {'probe GF/s':>10} {'util %':>7} {'A/B img/s':>10}"
    print(hdr); print('-' * len(hdr))
    for name, run in (('B default', slow), ('C mallopt', tuned)):
        for r in run['results']:
            util = gflop[r['preset']] * 1e9 * r['train_img_s'] / r['probe_flops']
            print(f"{r['preset']:<12} {name:<8} {r['train_img_s']:>11.2f} {r['probe_flops'] / 1e9:>10.0f} {100 * util:>7.1f} "
                  f"{base[r['preset']] / r['train_img_s'] if name.startswith('B') else float('nan'):>10.2f}")
    print("\nAnchor: NVlabs stylegan2-ada-pytorch, reference64, this machine type: ≈47 GFLOP/img at ≈79 % (≈2.9 img/s).")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--iters', type=int, default=3, help='timed iterations per measurement (median reported)')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--presets', default='32,64,reference64')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0 = torch default, all cores)')
    ap.add_argument('--profile', action='store_true', help='torch.profiler table of the last preset, then exit')
    ap.add_argument('--bf16', action='store_true', help='with --profile: profile the bf16 autocast path')
    ap.add_argument('--child', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--full', action='store_true', help=argparse.SUPPRESS)
    ap.add_argument('--mallopt', action='store_true', help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.presets = args.presets.split(',')
    if args.child: return child(args)
    if args.profile: return profile(args)
    fast = run_child(args, malloc=True, full=True)
    slow = run_child(args, malloc=False, full=False)
    tuned = run_child(args, malloc=False, full=False, mallopt=True)
    report(fast, slow, tuned)


if __name__ == '__main__':
    main()
