"""Training speed (kimg/h, every phase included) of generator/discriminator width splits at 64 px on this machine.

D runs three times per step (on fakes for G's loss, on fakes and reals for its own), so its widths decide most of a
step's cost; this measures what a wider G costs when D is kept or narrowed. One process, one variant after another,
same data and batch, 17 warm-up steps (one of each lazy regulariser) then `--steps` timed steps.

Usage: python benchmarks/width_split_speed.py [--steps 32] [--threads 2] [--variants preset,g_wide_d_narrow]
"""
import argparse, time
import torch
from latent_explain.datasets import synth_histology
from latent_explain.stylegan import GANConfig, gan_preset
from latent_explain.core import tune_glibc_malloc
from latent_explain.train_gan import GANTrainer
from latent_explain.gan_run import TrainOptions

PRESET = {4: 128, 8: 128, 16: 128, 32: 64, 64: 32}
WIDE = {4: 128, 8: 128, 16: 128, 32: 128, 64: 64}
NARROW = {4: 128, 8: 128, 16: 64, 32: 32, 64: 16}
VARIANTS = {'preset': (PRESET, PRESET), 'both_wide': (WIDE, WIDE), 'g_wide': (WIDE, PRESET),
            'g_wide_d_narrow': (WIDE, NARROW), 'd_narrow': (PRESET, NARROW)}


def kimg_per_hour(g: dict, d: dict, images, steps: int, batch: int, batch_gpu: int = 0) -> float:
    "Training kimg/h of the 64 preset with G widths `g` and D widths `d` (also per rank under torchrun: `batch_gpu`)"
    cfg = GANConfig.from_dict({**gan_preset(64).to_dict(), 'preset': '', 'channels': g, 'd_channels': d})
    tr = GANTrainer(images, cfg, TrainOptions(batch=batch, batch_gpu=batch_gpu, realism_n=0, grid_n=0))
    for _ in range(17): tr.train_step()
    t, n0 = time.perf_counter(), tr.state['cur_nimg']
    for _ in range(steps): tr.train_step()
    return (tr.state['cur_nimg'] - n0) / (time.perf_counter() - t) * 3.6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=32)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, default=0, help='torch CPU threads (0: torch default)')
    ap.add_argument('--variants', default=','.join(VARIANTS))
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    tune_glibc_malloc()
    images = synth_histology(256, seed=1).images
    base = None
    print(f"{'variant':<18} {'G widths 4..64':<24} {'D widths 4..64':<24} {'kimg/h':>7} {'vs preset':>9}")
    for name in a.variants.split(','):
        g, d = VARIANTS[name]
        r = kimg_per_hour(g, d, images, a.steps, a.batch)
        base = r if name == 'preset' else base
        ratio = f"{r / base:.2f}×" if base else '-'
        print(f"{name:<18} {str(list(g.values())):<24} {str(list(d.values())):<24} {r:7.0f} {ratio:>9}", flush=True)


if __name__ == '__main__':
    main()
