"""README.md from nbs/index.ipynb, the one source of the front page (the docs home and the repository's README).

    python scripts/render_readme.py          # rewrite README.md
    python scripts/render_readme.py --check  # exit 1 when README.md is not what index.ipynb renders to

Where Quarto is installed, `nbdev-readme` renders the same notebook; this script does what it does for our front
page without Quarto: markdown cells as they are, code cells as ```python blocks (outputs and cells with `#|`
directives left out), links to chapters and images rewritten to work from the repository root."""
import argparse, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC_URL = 'https://latent-explain.github.io/latent_explain'


def _link(target: str) -> str:
    "A link of index.ipynb as it must read from README.md at the repository root"
    if re.match(r'^[a-z]+://|^#', target): return target
    page = re.sub(r'^\d+_', '', target)                      # 04_classifier.ipynb -> the docs page classifier.html
    if page.endswith(('.ipynb', '.qmd', '.md')): return f"{DOC_URL}/{re.sub(r'[.](ipynb|qmd|md)$', '.html', page)}"
    return f'nbs/{target}'                                    # images and other files beside the notebook


def render(nb_path: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    "The README text of the notebook at `nb_path`"
    parts = []
    for c in json.loads(nb_path.read_text())['cells']:
        src = ''.join(c['source']).strip()
        if not src: continue
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code' and not src.startswith('#|') and not src.startswith('assert'):
            parts.append(f'```python\n{src}\n```')
    text = '\n\n'.join(parts) + '\n'
    return re.sub(r'(\]\()([^)\s]+)', lambda m: m[1] + _link(m[2]), text)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='only compare; exit 1 when README.md differs')
    text, readme = render(), ROOT / 'README.md'
    if p.parse_args().check:
        if readme.read_text() != text:
            sys.exit('README.md is not what nbs/index.ipynb renders to: run `python scripts/render_readme.py`')
        return
    readme.write_text(text)
    print(readme)


if __name__ == '__main__': main()
