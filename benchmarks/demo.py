"""Wall time and peak memory of `latent-explain demo` as `make demo` runs it (budget on the 2-core CPU: 60 s, 2 GB).

The demo runs in a fresh process (imports, model loading and writing the page included), as a user starts it; the
peak is the largest resident set of that process (getrusage of the children). Printed, never asserted.

Usage: python benchmarks/demo.py [--n 4] [--threads 0] [--repeats 1]
"""
from __future__ import annotations
import argparse, os, resource, shutil, subprocess, sys, tempfile, time
from pathlib import Path

EXE = Path(sys.executable).with_name('latent-explain')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=4, help='images per case (the command default: 4)')
    ap.add_argument('--threads', type=int, default=0, help='OMP_NUM_THREADS for the demo (0: leave as is)')
    ap.add_argument('--repeats', type=int, default=1)
    a = ap.parse_args()
    env = {**os.environ, 'HF_HUB_OFFLINE': '1'}
    if a.threads: env['OMP_NUM_THREADS'] = str(a.threads)
    walls = []
    for _ in range(a.repeats):
        out = Path(tempfile.mkdtemp()) / 'demo'
        t0 = time.time()
        r = subprocess.run([str(EXE), 'demo', '--out', str(out), '--n', str(a.n)], env=env, capture_output=True, text=True)
        walls.append(time.time() - t0)
        if r.returncode: sys.exit(f'demo failed:\n{r.stderr[-3000:]}')
        shutil.rmtree(out.parent)
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2   # kB -> GB
    threads = a.threads or os.environ.get('OMP_NUM_THREADS', "torch's default")
    print(f"latent-explain demo --n {a.n} ({threads} thread(s), {os.cpu_count()} CPUs): wall "
          f"{min(walls):.1f} s (best of {len(walls)}; budget 60 s, ratio {min(walls) / 60:.2f}); "
          f"peak RSS {peak_gb:.2f} GB (budget 2 GB, ratio {peak_gb / 2:.2f})")


if __name__ == '__main__':
    main()
