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
