"""Mutation check of the hostile-input tests of the explaining commands: each guard is disabled in a copy of the
package, and `tests/test_hostile_explain.py` must fail (the mutant is "killed"). A surviving mutant is a guard no
test holds. The mutants name source lines exactly: when a guard is rewritten, update its line here.

Usage: python benchmarks/hostile_mutations.py [--work DIR]   (about 15 s per mutant on this CPU)
"""
import argparse, shutil, subprocess, sys, os, tempfile
from pathlib import Path
M = [  # (module, original, mutant, what it disables)
 ('stylegan.py', 'for name, low, high in _CONFIG_INTS: _check_int(name, getattr(self, name), low, high)', 'pass', 'config int bounds'),
 ('stylegan.py', "if wide: raise ModelError", "if False: raise ModelError", 'width bound'),
 ('inversion.py', "    check_backbone(cfg['backbone'], f\"{where}: backbone\")\n", '', 'encoder backbone check'),
 ('inversion.py', "if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi: raise bad(f, f\"a whole number in [{lo}, {hi}]\")", "pass", 'encoder int bounds'),
 ('latents.py', "    if n_in is None or n_in == gan.channels: return", "    return", 'classifier channels'),
 ('latents.py', "    if gan.channels == 3 and gray and all(g for g, _ in gray):", "    if False:", 'image channels'),
 ('data.py', "        if min(a.shape[:2]) < MIN_SIDE:", "        if False:", 'tiny images'),
 ('core.py', "and not (replace or overwrite) and _complete(p)", "and not (True or overwrite) and _complete(p)", 'same-kind replace'),
 ('inversion.py', "        clear_stale(out, 'inversion', _inversion_files(out))", "        pass", 'stale inversion files'),
 ('train_demo.py', "    out = check_output(out, 'demo-models', '--out', overwrite); check_unlocked(out)", "    out = check_output(out, 'demo-models', '--out', overwrite)", 'train-demo lock'),
 ('stylegan.py', "    warnings.warn(f\"{name}: the folder {p.resolve()} is used", "    (f\"{name}: the folder {p.resolve()} is used", 'shadow warning'),
 ('explain.py', "    load_direction(direction)   # its every field", "    # load_direction(direction)   # its every field", 'direction first'),
 ('inversion.py', "    check_backbone(backbone)\n", "", 'backbone name in train-encoder'),
]
ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
ap.add_argument('--work', default=None, help='scratch folder for the mutated copies (default: a temporary one)')
args = ap.parse_args()
src = Path(__file__).resolve().parent.parent
work = Path(args.work or tempfile.mkdtemp(prefix='mutants-'))
killed = 0
for mod, a, b, what in M:
    d = work / 'copy'; shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(src / 'latent_explain', d / 'latent_explain'); shutil.copytree(src / 'tests', d / 'tests')
    f = d / 'latent_explain' / mod; s = f.read_text()
    assert s.count(a) == 1, (mod, a, s.count(a))
    f.write_text(s.replace(a, b))
    r = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-x', '-p', 'no:cacheprovider', 'tests/test_hostile_explain.py'],
                       cwd=d, capture_output=True, text=True, env={**os.environ, 'PYTHONPATH': str(d), 'HF_HUB_OFFLINE': '1'})
    last = [l for l in r.stdout.splitlines() if 'passed' in l or 'failed' in l or 'error' in l][-1:]
    killed += bool(r.returncode)
    print(f"{what:32s} {'KILLED' if r.returncode else 'SURVIVED'}  {last}", flush=True)
print(f"{killed} of {len(M)} mutants killed")
