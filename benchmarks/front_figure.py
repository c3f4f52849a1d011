"""The picture on the front page (nbs/images/front.png): real tiles beside what the bundled generators draw.

    python benchmarks/front_figure.py            # writes nbs/images/front.png

Rows: synthetic H&E tiles (`synth_histology`, seed 1), samples of the bundled `histology64`, real IHC tiles
(`ihc_tiles`), samples of the bundled `ihc64`, synthetic knees (`synth_knee`, seed 1), samples of the bundled
`knee64`; latents seeded, constant noise, so the figure is the same every run."""
import argparse
from pathlib import Path
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import torch
from latent_explain.core import from_generator_range
from latent_explain.datasets import synth_histology, ihc_tiles, synth_knee
from latent_explain.stylegan import load_generator


def samples(name: str, n: int, seed: int = 0) -> np.ndarray:
    "n uint8 samples of the bundled generator `name`"
    G = load_generator(name)
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad(): return from_generator_range(G(z, noise_mode='const'))


def main(out: Path, n: int = 8):
    rows = [('synthetic H&E tiles', synth_histology(n, seed=1).images),
            ('generated: histology64', samples('histology64', n)),
            ('real IHC tiles', ihc_tiles(seed=0).images[:n]),
            ('generated: ihc64', samples('ihc64', n)),
            ('synthetic knees', synth_knee(n, seed=1).images),
            ('generated: knee64', samples('knee64', n))]
    fig, axs = plt.subplots(len(rows), n, figsize=(0.9 * n + 1.6, 0.9 * len(rows)), gridspec_kw=dict(wspace=0.04, hspace=0.06))
    for r, (title, imgs) in enumerate(rows):
        for c in range(n):
            axs[r, c].imshow(imgs[c].squeeze(-1) if imgs[c].shape[-1] == 1 else imgs[c], cmap='gray', vmin=0, vmax=255); axs[r, c].set_xticks([]); axs[r, c].set_yticks([])
        axs[r, 0].set_ylabel(title, rotation=0, ha='right', va='center', fontsize=8)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80, bbox_inches='tight')
    print(out)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', type=Path, default=Path(__file__).resolve().parents[1] / 'nbs' / 'images' / 'front.png')
    main(p.parse_args().out)
