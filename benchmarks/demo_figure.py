"""The demo's figure on the front page (nbs/images/demo.jpg): the same held-out knee explained for the biased and the
unbiased knee classifier, and one IHC tile, as `latent-explain demo` draws them.

    python benchmarks/demo_figure.py            # runs the demo (4 images per case) in a temporary folder

The rows are the demo's own strips (`<name>_strip.png`) of the first knee on which both decisions flip and the first
IHC tile, stacked with a label above each."""
import argparse, shutil, tempfile
from pathlib import Path
from PIL import Image, ImageDraw
from latent_explain.demo import run_demo


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='nbs/images/demo.jpg')
    ap.add_argument('--width', type=int, default=1100, help='pixel width of the figure')
    a = ap.parse_args()
    d = Path(tempfile.mkdtemp())
    try:
        res = run_demo(d, n=4, progress=False)
        flips = lambda k: {i['name'] for i in res[k]['images'] if i['flip_alpha'] is not None}
        both = sorted(flips('knee-biased') & flips('knee-unbiased'))   # a knee on which both decisions flip
        knee = both[0] if both else res['knee-biased']['images'][0]['name']
        tile = res['ihc']['images'][0]['name']
        rows = [('Biased knee classifier (trained where a corner marker went with OA): the series adds the marker', d / 'knee-biased' / f'{knee}_strip.png'),
                ('Unbiased knee classifier, the same knee: the series changes the joint space, not the marker', d / 'knee-unbiased' / f'{knee}_strip.png'),
                ('DAB-positivity classifier on a held-out IHC tile: the series adds brown DAB stain', d / 'ihc' / f'{tile}_strip.png')]
        ims = []
        for label, p in rows:
            im = Image.open(p).convert('RGB')
            im = im.resize((a.width, round(im.height * a.width / im.width)), Image.Resampling.LANCZOS)
            canvas = Image.new('RGB', (a.width, im.height + 24), 'white')
            ImageDraw.Draw(canvas).text((8, 5), label, fill='black')
            canvas.paste(im, (0, 24)); ims.append(canvas)
        fig = Image.new('RGB', (a.width, sum(i.height for i in ims)), 'white')
        y = 0
        for i in ims: fig.paste(i, (0, y)); y += i.height
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        fig.save(a.out, quality=85); print('wrote', a.out, fig.size)
    finally: shutil.rmtree(d)


if __name__ == '__main__':
    main()
