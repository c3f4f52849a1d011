"""The benchmarks' way of running a stage: one `latent-explain` command, printed first, skipped when its output exists.

Imported by the scripts beside it (`from stages import sh, once`; a script's own folder is on its import path)."""
import shlex, subprocess, sys
from pathlib import Path


def sh(*args, log=None):
    "Run one latent-explain command (printed first); stop the benchmark when it fails"
    cmd = ['latent-explain', *map(str, args)]
    print('$', shlex.join(cmd), flush=True)
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL if log is None else open(log, 'w'), stderr=subprocess.STDOUT)
    if r.returncode: sys.exit(f"failed ({r.returncode}): {shlex.join(cmd)}" + (f"; see {log}" if log else ''))


def once(path: Path, *args, **kw):
    "Run the command unless its output `path` exists already"
    if path.exists(): print(f'# reusing {path}'); return
    sh(*args, **kw)
