"""Does the difference map find the region each knee model depends on, better than GradCAM?

The bundled knee pair: `clf-knee-biased` (the demo's regnetx_002, trained where the corner marker goes with OA in 95 %
of knees; it reads the marker) and `clf-knee-unbiased` (marker independent; it reads the joint). Held-out knees
with the marker independent of the label are explained with `knee64` and its encoder along each direction method, and
the localisation AUC of |difference map at the flip| and of GradCAM is scored against each planted region, exact and
grown by 1–4 px: a change of the joint's width shows on the bone rims around the joint space, which border the mask.
GradCAM of the target's log-odds is all zero where every weighted activation is negative (ReLU), and a constant map
scores 0.5; its AUC over the images where it is not constant is printed beside it.

Usage: python benchmarks/knee_localisation.py --work runs/knee-loc [--n 32] [--methods logistic,stylespace,pixel]
                                              [--json out.json]
"""
from __future__ import annotations
import argparse, json, time
from pathlib import Path
import numpy as np
from stages import once
from latent_explain.demo import demo_model_path
from latent_explain.direction import fit_direction
from latent_explain.evaluate import read_eval_set, localisation_by_region, flip_maps
from latent_explain.explain import Explainer
from latent_explain.latents import load_gan

DEPENDS_ON = {'biased': 'marker', 'unbiased': 'joint_space'}
DILATIONS = (0, 1, 2, 3, 4)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='runs/knee-loc'); ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--methods', default='logistic,stylespace,pixel'); ap.add_argument('--json')
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    once(w / 'knee-eval', 'data', 'synth-knee', '--n', 400, '--seed', 4, '--marker-bias', 0.5, '--out', w / 'knee-eval', '--no-sheet')
    G = load_gan('knee64', 'G').G
    ev = read_eval_set(w / 'knee-eval', G, a.n)
    out = {}
    for model, own in DEPENDS_ON.items():
        ex = Explainer(G, demo_model_path(f'clf-knee-{model}'), 'knee64')
        for m in a.methods.split(','):
            t0 = time.time()
            d = fit_direction(None if m == 'pixel' else ex.G, ex.predictor, m, n=512, seed=0)
            es = ex.explain_batch(ev['x'], d)
            rows, live = {}, [i for i, e in enumerate(es) if np.ptp(e.gradcam) > 0]
            maps = flip_maps(es)   # rendered once, scored against every grown region
            for k in DILATIONS:
                diff, cam = localisation_by_region(es, ev['masks'], ev['regions'], dilate=k, maps=maps)
                cam_live = localisation_by_region([es[i] for i in live], ev['masks'][live], ev['regions'], dilate=k,
                                                  maps=[maps[i] for i in live])[1]
                rows[k] = {'map': diff, 'gradcam': cam, 'gradcam_not_constant': cam_live}
            out[f'{model}/{m}'] = dict(depends_on=own, by_dilation=rows, gradcam_constant=len(es) - len(live),
                                       seconds=round(time.time() - t0, 1))
            print(f"{model:<9} {m:<11} region {own:<12} " + '  '.join(
                f"{k}px {rows[k]['map'][own]:.2f}/{rows[k]['gradcam'][own]:.2f}/{rows[k]['gradcam_not_constant'][own]:.2f}"
                for k in DILATIONS) + f"  GradCAM constant in {len(es) - len(live)}/{len(es)}"
                + f"   (other region, exact: {[r for r in ev['regions'] if r != own][0]} "
                f"{rows[0]['map'][[r for r in ev['regions'] if r != own][0]]:.2f})", flush=True)
    print('columns: AUC of the difference map / GradCAM / GradCAM where not constant, against the region the model depends on, grown by 0–4 px')
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == '__main__': main()
