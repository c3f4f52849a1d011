"`latent-explain demo` as a user runs it: one command, the bundled models, a page whose images all exist"
import json, re
import pytest
from conftest import run_cli


@pytest.fixture(scope='module')
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp('demo') / 'out'
    r = run_cli('demo', '--out', out, '--n', 2)
    assert r.returncode == 0, r.stderr[-2000:]
    return out, r.stdout


def test_demo_writes_page_with_every_image(demo_out):
    out, stdout = demo_out
    page = (out / 'index.html').read_text()
    srcs = [s for s in re.findall(r'<img[^>]* src="([^"]+)"', page) if not s.startswith('data:')]   # a slider's frames are inline
    assert len(srcs) >= 2 * 3 * 2, srcs                 # a strip and a GIF per image, 2 images, 3 cases
    assert all((out / s).is_file() for s in srcs), [s for s in srcs if not (out / s).is_file()]
    assert page.count('type="range"') >= 3            # one static slider per case
    assert 'index.html' in stdout and str(out.name) in stdout


def test_demo_metrics_parse_and_show_the_shortcut(demo_out):
    out, _ = demo_out
    m = json.loads((out / 'metrics.json').read_text())
    assert set(m['cases']) == {'ihc', 'knee-biased', 'knee-unbiased'}
    for case in m['cases'].values():
        assert case['n_images'] == 2 and len(case['images']) == 2
        assert 0 <= case['validity'] <= 1 and -1 <= case['monotonicity'] <= 1
        # p(target) rises along +α: each direction was fitted for its model
        assert all(i['p_last'] > i['p_first'] for i in case['images']), case['images']
        # every series shown passes its own verdict, with the reconstruction's fidelity recorded
        assert all(i['verdict'] == 'trusted' and i['psnr'] > 10 and 0 < i['ssim'] <= 1 for i in case['images']), case['images']
    # the two knee classifiers were explained on the same knees
    names = lambda k: [i['name'] for i in m['cases'][k]['images']]
    assert names('knee-biased') == names('knee-unbiased')


def test_demo_refuses_foreign_folder_and_bad_n(tmp_path):
    (tmp_path / 'mine.txt').write_text('x')
    r = run_cli('demo', '--out', tmp_path)
    assert r.returncode != 0 and '--overwrite' in r.stderr
    r = run_cli('demo', '--out', tmp_path / 'new', '--n', 0)
    assert r.returncode != 0 and '--n' in r.stderr and not (tmp_path / 'new').exists()
