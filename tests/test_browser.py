"""The pages a newcomer reads, opened in a real browser: the rendered chapters and the demo page show every image, and
the demo's sliders change the picture. Headless Debian `chromium` driven by playwright; skipped where it is missing."""
import os, shutil, subprocess, sys
from pathlib import Path
import pytest

from conftest import ROOT
sys.path.insert(0, str(ROOT / 'scripts'))
from render_html import render

pytestmark = pytest.mark.slow   # starts a browser (and, on first use, may install it)

SHOTS = ROOT / '_html' / 'screenshots'   # kept after the run, to look at what the browser showed
INSTALL_HINT = ('the browser tests need Debian\'s chromium and the playwright and nbconvert packages: '
                '`apt-get install chromium` (as root) and `pip install playwright nbconvert` (or `pip install -e .[dev]`)')
pytest.importorskip('nbconvert', reason=INSTALL_HINT)
pytest.importorskip('playwright.sync_api', reason=INSTALL_HINT)


def _find_chromium() -> str | None:
    # /usr/bin/chromium is Debian's shell launcher (it adds desktop flags and checks memory); the binary it starts
    # takes playwright's flags directly and starts quieter
    exe = shutil.which('chromium')
    if exe and Path('/usr/lib/chromium/chromium').is_file(): return '/usr/lib/chromium/chromium'
    return exe


@pytest.fixture(scope='module')
def chromium() -> str:
    "The path of a chromium binary, installed with apt when missing and we are root; otherwise the tests skip"
    exe = _find_chromium()
    if exe is None and hasattr(os, 'geteuid') and os.geteuid() == 0 and shutil.which('apt-get'):
        env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
        try:
            subprocess.run(['apt-get', 'update', '-q'], check=True, capture_output=True, env=env, timeout=300)
            subprocess.run(['apt-get', 'install', '-y', '-q', 'chromium'], check=True, capture_output=True, env=env,
                           timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            pytest.skip(f'installing chromium failed ({e}); {INSTALL_HINT}')
        exe = _find_chromium()
    if exe is None: pytest.skip(INSTALL_HINT)
    return exe


@pytest.fixture(scope='module')
def browser(chromium):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        # --no-sandbox: chromium will not start as root (containers, CI) with its sandbox on
        b = p.chromium.launch(executable_path=chromium, headless=True, args=['--no-sandbox'])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    "A fresh tab that loads only local files: the CDN scripts the pages name (MathJax, require.js, icons) fail fast"
    ctx = browser.new_context(viewport={'width': 1280, 'height': 900})
    ctx.route('**/*', lambda route: route.continue_() if route.request.url.startswith(('file:', 'data:'))
              else route.abort())
    pg = ctx.new_page()
    errors = []
    pg.on('pageerror', lambda e: errors.append(str(e)))
    pg.errors = errors
    yield pg
    ctx.close()


def _open(page, path: Path):
    page.goto(path.resolve().as_uri(), wait_until='load', timeout=30_000)


def _wait_images(page, timeout=15_000):
    "Wait until every <img> has a source and has decoded; then report those that did not load"
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function('() => Array.from(document.images).every(i => i.src && i.complete && i.naturalWidth > 0)',
                               timeout=timeout)
    except PlaywrightTimeout: pass   # the caller's assertion names the images that did not load
    return page.evaluate('() => Array.from(document.images).map(i => ({src: i.src.slice(0, 120), w: i.naturalWidth}))')


def _check_images(page, min_count=1):
    imgs = _wait_images(page)
    assert len(imgs) >= min_count, f'{page.url}: expected at least {min_count} images, found {len(imgs)}'
    broken = [i['src'] for i in imgs if i['w'] == 0]
    assert not broken, f'{page.url}: images that did not load: {broken}'
    return imgs


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    "A full-page screenshot in tmp_path and in _html/screenshots/, checked to be a real picture of a page"
    from PIL import Image
    shot = tmp_path / f'{name}.png'
    page.screenshot(path=str(shot), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / shot.name)
    assert shot.stat().st_size > 10_000, f'{shot}: {shot.stat().st_size} bytes'
    with Image.open(shot) as im:
        assert im.format == 'PNG' and im.width >= 1000 and im.height >= 300, (im.format, im.size)
        lo, hi = im.convert('L').getextrema()
        assert hi - lo > 100, 'the screenshot is (nearly) one colour'
    return shot


# ---------------------------------------------------------------------------------------------------- the chapters

@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp('html')
    pages = render(out, notebooks=[ROOT / 'nbs' / '22_explain.ipynb', ROOT / 'nbs' / 'index.ipynb'])
    return out, pages


def test_render_writes_pages_and_index(rendered):
    out, pages = rendered
    assert [p.relative_to(out).as_posix() for p in pages] == ['22_explain.html', 'home.html', 'index.html']
    assert all(p.stat().st_size > 300 for p in pages)


@pytest.mark.parametrize('name, heading, min_images', [('22_explain.html', 'Explanations', 1),
                                                       ('home.html', 'latent_explain', 1)])
def test_rendered_chapter_shows_its_images(rendered, page, name, heading, min_images):
    out, _ = rendered
    _open(page, out / name)
    assert page.title() == heading
    assert page.locator('h1').first.inner_text().strip().rstrip('¶').strip() == heading
    _check_images(page, min_images)


def test_index_lists_the_pages(rendered, page):
    out, _ = rendered
    _open(page, out / 'index.html')
    assert page.title() and page.locator('h1').count() == 1
    hrefs = page.eval_on_selector_all('a', 'as => as.map(a => a.getAttribute("href"))')
    assert sorted(hrefs) == ['22_explain.html', 'home.html']
    assert all((out / h).is_file() for h in hrefs)


# -------------------------------------------------------------------------------------------------- the demo page

def _jshtml_page(folder: Path) -> Path:
    """A page of a matplotlib slider, as a notebook's output carries one: the `to_jshtml()` of a small animation (a dot
    that moves across five frames) and a picture referenced by a relative path"""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation
    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3, 2), dpi=60)
    ax.set_xlim(-0.5, 4.5); ax.set_ylim(-1, 1)
    dot, = ax.plot([0], [0], 'o', ms=12)
    fig.savefig(folder / 'strip.png')
    anim = FuncAnimation(fig, lambda i: dot.set_data([i], [0]) or (dot,), frames=5)
    slider = anim.to_jshtml()
    plt.close(fig)
    (folder / 'index.html').write_text(f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>slider page</title>'
                                       f'</head><body><h1>A slider page</h1><img src="strip.png" alt="strip">'
                                       f'{slider}</body></html>', encoding='utf-8')
    return folder


@pytest.fixture(scope='module', params=['jshtml', 'demo'])
def demo_site(request, tmp_path_factory):
    """A demo folder copied into a rendered site (`render(demo=...)`), as `scripts/render_html.py --demo` publishes it:
    a page of matplotlib sliders made here, and the page `latent_explain.demo.run_demo` writes"""
    src = tmp_path_factory.mktemp(f'{request.param}-src')
    if request.param == 'jshtml': _jshtml_page(src)
    else:
        demo = pytest.importorskip('latent_explain.demo', reason='latent_explain.demo is not in this version')
        # a checkout where no demo model has been made yet (`latent-explain train-demo`) has nothing to show; a
        # partial set still runs, and fails, as an installation missing one of them would
        if not any(demo.DEMO_DIR.glob('*/config.json')):
            pytest.skip(f'no bundled demo models in {demo.DEMO_DIR}: make them with `latent-explain train-demo`')
        demo.run_demo(src, n=1, progress=False)
    out = tmp_path_factory.mktemp(f'{request.param}-site')
    pages = render(out, notebooks=[], demo=src)
    assert pages[-1] == out / 'demo' / 'index.html'
    return request.param, pages[-1]


def test_demo_page_images_and_sliders(demo_site, page, tmp_path):
    name, html = demo_site
    _open(page, html)
    assert page.title() or page.locator('h1, h2').count(), 'the page has neither a title nor a heading'
    _check_images(page, 2)   # the strip and the first frame of a slider
    sliders = page.locator('input[type=range]')
    assert sliders.count() >= 1, 'no slider on the page'
    for i in range(sliders.count()):
        # a slider (matplotlib's or an explanation's) swaps the src of the <img> in its own `.animation` box
        before, after, top = page.evaluate('''i => {
            const s = document.querySelectorAll('input[type=range]')[i];
            const img = (s.closest('.animation') || s.parentElement).querySelector('img');
            const before = img.src;
            s.value = s.max;
            s.dispatchEvent(new Event('input', {bubbles: true}));
            return [before, img.src, Number(s.max)];
        }''', i)
        assert top >= 1, f'slider {i} has a single frame'
        assert after != before, f'moving slider {i} to its end did not change the frame shown'
    _check_images(page, 2)   # the last frames decode too
    assert not page.errors, page.errors
    _screenshot(page, tmp_path, f'demo-{name}')
