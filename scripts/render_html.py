"""Standalone HTML pages of the documentation, readable in any browser without Quarto.

    python scripts/render_html.py                                # all of nbs/ -> _html/, listed in _html/index.html
    python scripts/render_html.py --out site --demo demo_output  # also copy a demo page to site/demo/
    python scripts/render_html.py nbs/22_explain.ipynb           # only some pages

The notebooks are stored executed, so they are converted as they are (never run). The markdown pages of the docs
(`architecture.qmd`, `experiments/*.qmd`) are rendered too, so that the chapters' links to them lead somewhere.
Every page carries its images inline (outputs and the figures the markdown points at), so it can be opened from
file:// or passed on alone. nbdev cell directives are honoured the way the docs site honours them: `#| hide` and
`#| include: false` drop a cell, `#| echo: false` keeps only its output, `#| output: false` keeps only its code, and
the `#|` lines themselves are not shown. Links between pages point at the rendered pages. The front page
(`index.ipynb`) becomes `home.html`, because `index.html` is the list of all pages."""
import argparse, base64, html, mimetypes, os, re, shutil
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
# what a demo folder holds that a browser shows; anything else there (arrays, checkpoints) stays out of the site
DEMO_SUFFIXES = {'.html', '.png', '.gif', '.jpg', '.jpeg', '.svg', '.webp', '.css', '.js', '.json', '.txt'}


def doc_pages(nbs: Path = NBS) -> list[Path]:
    "The sources of the docs in reading order: front page, other top-level pages, chapters, tutorials, experiments"
    front = [nbs / 'index.ipynb'] if (nbs / 'index.ipynb').exists() else []
    exp = nbs / 'experiments'
    experiments = ([exp / 'index.qmd'] if (exp / 'index.qmd').exists() else []) + \
                  sorted(p for p in exp.glob('*.qmd') if p.name != 'index.qmd')
    return (front + sorted(nbs.glob('*.qmd')) + sorted(nbs.glob('[0-9][0-9]_*.ipynb'))
            + sorted((nbs / 'tutorials').glob('*.ipynb')) + experiments)


def _page_name(src: Path) -> Path:
    "Where the page of a source file goes, relative to the output folder (the layout of nbs/ is kept)"
    src = src.resolve()
    rel = src.relative_to(NBS.resolve()) if src.is_relative_to(NBS.resolve()) else Path(src.name)
    return Path('home.html') if rel == Path('index.ipynb') else rel.with_suffix('.html')


def _directives(src: str) -> dict[str, str]:
    "The leading `#| key: value` lines of a cell (`#| hide` reads as hide: true)"
    out = {}
    for line in src.splitlines():
        if not line.startswith('#|'): break
        key, _, val = line[2:].strip().partition(':')
        out[key.strip()] = val.strip().lower() or 'true'
    return out


def _prepare(nb):
    "Apply the nbdev directives to the cells, via the tags nbconvert's TagRemovePreprocessor reads"
    cells = []
    for c in nb.cells:
        if c.cell_type == 'markdown': c.source = _explicit_ids(c.source)
        if c.cell_type != 'code':
            cells.append(c); continue
        d = _directives(c.source)
        if d.get('hide') == 'true' or d.get('include') == 'false': continue
        c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|')).strip('\n')
        if not c.source and not c.get('outputs'): continue   # a cell of directives only (`#| default_exp`)
        tags = c.metadata.setdefault('tags', [])
        if d.get('echo') == 'false' or not c.source: tags.append('remove_input')
        if d.get('output') == 'false': tags.append('remove_output')
        cells.append(c)
    nb.cells = cells
    return nb


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    "The `key: value` lines of a page's YAML front matter (flat, as the docs use it) and the text after it"
    m = re.match(r'^---\s*\n(.*?)\n---\s*\n', text, re.S)
    if not m: return {}, text
    meta = {}
    for line in m[1].splitlines():
        k, sep, v = line.partition(':')
        if sep and not line.startswith((' ', '\t')): meta[k.strip()] = v.strip().strip('"\'')
    return meta, text[m.end():]


def _explicit_ids(md: str) -> str:
    "Headings with a Pandoc id (`## Text {#the-id}`) as an anchor with that id before the plain heading"
    return re.sub(r'^(#{1,6}\s.*?)\s*\{#([\w.-]+)\}\s*$', r'<a id="\2"></a>\n\n\1', md, flags=re.M)


def _qmd_notebook(path: Path):
    "A markdown page of the docs as a one-cell notebook: its title and description as nbdev writes them, then the text"
    import nbformat
    meta, body = _front_matter(path.read_text(encoding='utf-8'))
    # Quarto's callout blocks (`::: {.callout-note}` ... `:::`) read as quotes
    body = re.sub(r'^:::[ \t]*\{\.callout-[^}]*\}[ \t]*\n(.*?)^:::[ \t]*$',
                  lambda m: '\n'.join('> ' + l for l in m[1].rstrip('\n').splitlines()) + '\n', body, flags=re.S | re.M)
    head = f"# {meta.get('title', path.stem)}\n\n" + (f"> {meta['description']}\n\n" if meta.get('description') else '')
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(head + _explicit_ids(body))])


def _title(nb, fallback: str) -> tuple[str, str]:
    "The page title and one-line description nbdev reads from the first markdown cell (`# Title` / `> description`)"
    for c in nb.cells:
        if c.cell_type != 'markdown': continue
        t = re.search(r'^#\s+(.+)$', c.source, re.M)
        d = re.search(r'^>\s*(.+)$', c.source, re.M)
        if t: return t[1].strip(), (d[1].strip() if d else '')
        break
    return fallback, ''


def _local(url: str) -> bool:
    "A relative reference to a file (not data:, http:, mailto:, an absolute path or an anchor of the same page)"
    return not re.match(r'^[a-z][a-z0-9+.-]*:|^/|^#', url, re.I)


def _inline_images(page: str, base: Path) -> str:
    "Replace relative `<img src>` that name an existing file by a data URL, so the page stands alone"
    def sub(m):
        src = html.unescape(m[2])
        if not _local(src): return m[0]
        f = base / re.split(r'[?#]', src)[0]
        if not f.is_file(): return m[0]
        mime = mimetypes.guess_type(f.name)[0] or 'application/octet-stream'
        return f'{m[1]}data:{mime};base64,{base64.b64encode(f.read_bytes()).decode()}{m[3]}'
    return re.sub(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', sub, page)


def _link_pages(page: str, src: Path) -> str:
    "Point links at other sources of the docs (`22_explain.ipynb`, `../architecture.qmd#x`) to their pages"
    here = _page_name(src).parent
    def sub(m):
        target, anchor = html.unescape(m[2]), m[3] or ''
        if not _local(target) or not (src.parent / target).is_file(): return m[0]
        rel = os.path.relpath(_page_name(src.parent / target), here or '.')
        return f'{m[1]}{html.escape(Path(rel).as_posix())}{anchor}"'
    return re.sub(r'(<a\b[^>]*?\bhref=")([^"#?]+\.(?:ipynb|qmd))(#[^"]*)?"', sub, page)


def _slug(m) -> str:
    "Heading ids as Quarto writes them (`Where the time goes` -> where-the-time-goes), so links with anchors still land"
    ident = re.sub(r'[^\w.-]', '', unquote(html.unescape(m[2])).lower())   # nbconvert %-encodes non-ASCII
    return f'{m[1]}{html.escape(ident)}"'


def _heading_ids(page: str) -> str:
    page = re.sub(r'(<h[1-6]\b[^>]*?\bid=")([^"]*)"', _slug, page)
    page = re.sub(r'(<a class="anchor-link" href="#)([^"]*)"', _slug, page)
    # an explicit id's anchor is redundant where the heading's own id already reads the same
    ids = set(re.findall(r'<h[1-6]\b[^>]*?\bid="([^"]*)"', page))
    return re.sub(r'<a id="([^"]*)"></a>\s*', lambda m: '' if m[1] in ids else m[0], page)


def _index_page(groups: dict[str, list[tuple[str, str, str]]], demo: bool) -> str:
    "The list of all pages, grouped as the docs' sidebar groups them"
    def item(href, title, desc):
        return (f'<li><a href="{html.escape(href)}">{html.escape(title)}</a>'
                + (f' <span class="desc">{html.escape(desc)}</span>' if desc else '') + '</li>')
    sections = ''.join(f'<h2>{html.escape(name)}</h2>\n<ul>\n' + '\n'.join(item(*e) for e in entries) + '\n</ul>\n'
                       for name, entries in groups.items() if entries)
    if demo:
        sections += ('<h2>Demo</h2>\n<ul>\n' + item('demo/index.html', 'Counterfactual explanations, end to end',
                                                     'the page the demo writes: series, difference maps, sliders') + '\n</ul>\n')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>latent_explain documentation</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
li{{margin:.4rem 0}} .desc{{color:#555}} .desc::before{{content:"— "}}</style></head>
<body><h1>latent_explain documentation</h1>
<p>Every page of the documentation, rendered with the outputs stored in the notebooks.</p>
{sections}</body></html>
"""


def render(out, notebooks=None, demo=None) -> list[Path]:
    """Write one HTML page per source (default: all of `doc_pages()`; `.ipynb` or `.qmd`) and an `index.html`
    listing them into `out`; with `demo` (a folder holding an `index.html`), copy its page and pictures to `out/demo/`.

    Returns the pages written: the sources' in order, then `index.html`, then `demo/index.html` when copied."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    sources = [Path(p).resolve() for p in (doc_pages() if notebooks is None else notebooks)]
    cfg = Config()
    cfg.TagRemovePreprocessor.remove_input_tags = ('remove_input',)
    cfg.TagRemovePreprocessor.remove_all_outputs_tags = ('remove_output',)
    exporter = HTMLExporter(config=cfg)   # the JupyterLab look; images of outputs are stored inline already
    exporter.register_preprocessor(TagRemovePreprocessor(config=cfg), enabled=True)
    pages, groups = [], {'Chapters': [], 'Tutorials': [], 'Experiments': []}
    for src in sources:
        nb = _qmd_notebook(src) if src.suffix == '.qmd' else _prepare(nbformat.read(src, as_version=4))
        title, desc = _title(nb, src.stem)
        nb.metadata['title'] = title   # the <title> of the page
        body, _ = exporter.from_notebook_node(nb, resources={'metadata': {'name': title, 'path': str(src.parent)}})
        name = _page_name(src)
        page = out / name
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(_heading_ids(_link_pages(_inline_images(body, src.parent), src)), encoding='utf-8')
        pages.append(page)
        group = {'tutorials': 'Tutorials', 'experiments': 'Experiments'}.get(name.parts[0], 'Chapters')
        groups[group].append((name.as_posix(), title, desc))
    if demo is not None:
        demo = Path(demo)
        if not (demo / 'index.html').is_file(): raise FileNotFoundError(f'{demo} holds no index.html (not a demo folder)')
        dest = out / 'demo'
        if dest.exists(): shutil.rmtree(dest)
        for f in sorted(demo.rglob('*')):
            if f.is_file() and f.suffix.lower() in DEMO_SUFFIXES:
                (dest / f.relative_to(demo)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, dest / f.relative_to(demo))
    index = out / 'index.html'
    index.write_text(_index_page(groups, demo is not None), encoding='utf-8')
    pages.append(index)
    if demo is not None: pages.append(out / 'demo' / 'index.html')
    return pages


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default=ROOT / '_html', type=Path, help='folder to write the pages to (default: _html)')
    p.add_argument('--demo', type=Path, help='a demo output folder (index.html and its pictures) to copy to OUT/demo/')
    p.add_argument('pages', nargs='*', type=Path, help='notebooks or .qmd pages to render (default: all of nbs/)')
    a = p.parse_args()
    if a.demo is not None and not (a.demo / 'index.html').is_file(): p.error(f'--demo {a.demo}: no index.html there')
    for page in render(a.out, a.pages or None, a.demo): print(page)


if __name__ == '__main__': main()
