"""Share of generated knees that carry the laterality marker, beside the share in the knees the generator was trained on.

The marker decision is `marker_score` above the threshold that best separates the real knees' planted `marker`
factor (synth_knee knows it). Samples are drawn as `generate` draws them: noise from the seed.

    python benchmarks/marker_share.py --gan knee64 --n 2000
"""
import numpy as np
from fastcore.script import call_parse
from latent_explain.datasets import synth_knee
from latent_explain.meters import marker_score
from latent_explain.realism import generate
from latent_explain.stylegan import load_generator

def best_threshold(score, truth):
    "The cut on `score` with the highest accuracy against the 0/1 `truth`"
    cuts = np.unique(score)
    acc = [((score > c) == truth).mean() for c in cuts]
    return float(cuts[int(np.argmax(acc))]), float(max(acc))

@call_parse
def main(gan: str = 'knee64',      # generator folder or bundled name
         n: int = 2000,            # generated and real knees
         marker_bias: float = 0.5, # the training data's marker_bias
         seed: int = 0):           # seed of the real knees and of the latents
    real = synth_knee(n, seed=seed, marker_bias=marker_bias)
    s_real = np.asarray(marker_score(real.images), float)
    cut, acc = best_threshold(s_real, real.factors['marker'].to_numpy())
    G = load_generator(gan)
    for mode in ('random', 'const'):
        s_fake = np.asarray(marker_score(generate(G, n, seed=seed, noise_mode=mode)), float)
        print(f"noise {mode:6s}: marker in {100 * (s_fake > cut).mean():.1f} % of {n} generated knees")
    print(f"reals: marker in {100 * (s_real > cut).mean():.1f} % (planted: {100 * real.factors['marker'].mean():.1f} %); "
          f"threshold {cut:.3f} separates the planted marker with accuracy {acc:.3f}")
