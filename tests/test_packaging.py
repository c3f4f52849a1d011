"The wheel users `pip install` carries the bundled generators, and they load from the installed package by name"
import subprocess, sys, zipfile
from pathlib import Path
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow   # every test here starts processes (pip, python)

@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(ROOT), '--no-deps', '--no-build-isolation', '-q',
                    '-w', str(out)], check=True, capture_output=True, timeout=300)
    whl, = out.glob('latent_explain-*.whl')
    return whl


def test_wheel_ships_bundled_generators(wheel):
    from latent_explain.stylegan import BUNDLED_GENERATORS
    names = set(zipfile.ZipFile(wheel).namelist())
    for g in BUNDLED_GENERATORS:
        for f in ('config.json', 'generator.safetensors', 'training_state.json'):
            assert f'latent_explain/bundled/{g}/{f}' in names, f'{g}/{f} missing from {wheel.name}'
    assert not [n for n in names if '/samples/' in n], 'sample grids are repository documentation, not package data'
    from latent_explain.demo import DEMO_MODELS
    for m in DEMO_MODELS:
        for f in ('config.json', 'provenance.json'):
            assert f'latent_explain/bundled/demo/{m}/{f}' in names, f'demo/{m}/{f} missing from {wheel.name}'
    size = sum(i.file_size for i in zipfile.ZipFile(wheel).infolist() if '/bundled/demo/' in i.filename)
    assert size < 40e6, f'the demo models take {size / 1e6:.1f} MB'


def test_installed_wheel_loads_bundled_generator_by_name(wheel, tmp_path):
    # unpack the wheel as an installed package would be laid out, and import it from there (not from the repo)
    site = tmp_path / 'site'
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import latent_explain, torch; from latent_explain.stylegan import load_generator;"
            "G = load_generator('histology64'); print(latent_explain.__file__);"
            "print(tuple(G(torch.randn(2, G.z_dim), noise_mode='const').shape))")
    r = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                       env={'PYTHONPATH': str(site), 'PATH': '/usr/bin:/bin', 'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines()[0].startswith(str(site)), r.stdout
    assert r.stdout.splitlines()[1] == '(2, 3, 64, 64)'


def test_installed_wheel_runs_demo_outside_checkout(wheel, tmp_path):
    # what `pip install .` then `latent-explain demo` gives: everything the demo needs is package data
    site = tmp_path / 'site'
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import sys, latent_explain; from latent_explain.cli import main; print(latent_explain.__file__);"
            "sys.exit(main(['demo', '--out', 'out', '--n', '1']))")
    work = tmp_path / 'elsewhere'; work.mkdir()
    r = subprocess.run([sys.executable, '-c', code], cwd=work, capture_output=True, text=True, timeout=600,
                       env={'PYTHONPATH': str(site), 'PATH': '/usr/bin:/bin', 'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines()[0].startswith(str(site)), r.stdout
    assert (work / 'out' / 'index.html').is_file() and (work / 'out' / 'metrics.json').is_file()


def test_generator_and_training_load_without_fastai():
    "fastai (2 s a process) loads only where DataLoaders or a classifier are built: not for generate, train-gan, import"
    code = ("import sys, latent_explain.stylegan, latent_explain.train_gan_cli, latent_explain.nvlabs, latent_explain.datasets\n"
            "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('fastai', 'timm')}))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == '[]', r.stdout
