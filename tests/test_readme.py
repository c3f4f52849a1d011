"The front page: README.md is what nbs/index.ipynb renders to, and its command-line quickstart runs as written."
import os, re, subprocess, sys
from pathlib import Path
import pytest

from conftest import ROOT
sys.path.insert(0, str(ROOT / 'scripts'))
from render_readme import render


def test_readme_is_rendered_from_index():
    assert (ROOT / 'README.md').read_text() == render(), 'run `python scripts/render_readme.py`'


def _section_block(text: str, heading: str) -> list[str]:
    "The command lines of the first ```sh block after `heading`, comments stripped"
    body = text.split(heading, 1)[1]
    block = re.search(r'```sh\n(.*?)```', body, re.S)[1]
    return [l.split('#')[0].strip() for l in block.splitlines() if l.split('#')[0].strip()]


def test_readme_links_resolve():
    "Images and chapters the front page links to exist (as files beside index.ipynb)"
    src = (ROOT / 'nbs' / 'index.ipynb').read_text()
    for target in set(re.findall(r'\]\(([^)\s#]+?)\)', src)):
        if '://' not in target: assert (ROOT / 'nbs' / target).exists(), target


@pytest.mark.slow
@pytest.mark.long
def test_readme_command_line_runs_as_written(tmp_path):
    lines = _section_block((ROOT / 'README.md').read_text(), '## Command line')
    assert lines[0].startswith('latent-explain data') and len(lines) >= 4
    env = {**os.environ, 'PATH': f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", 'HF_HUB_OFFLINE': '1'}
    for line in lines:
        r = subprocess.run(line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, f"{line}\n{r.stderr[-2000:]}"
    assert (tmp_path / 'clf' / 'model.safetensors').exists() and (tmp_path / 'samples.png').exists()
