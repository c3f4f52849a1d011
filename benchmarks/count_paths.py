"""Which per-image path makes the nuclei count follow α (F1 of the evaluation) while the series stays valid and trusted?

F1 on synthetic histology asks, along a 9-frame explanation series, that the nuclei count follow α with Spearman
ρ ≥ 0.9 in ≥ 90 % of the held-out tiles, with validity (the series crosses p = 0.5) ≥ 0.95 and |p(original) −
p(reconstruction)| < 0.1 in ≥ 90 % at the same time. This explains the same held-out tiles along

- `logistic`: the package's logistic direction (Schutte et al.), the paper's baseline;
- `logodds-ridge`: the ridge-regression direction of the classifier's log-odds on sampled w (as meter_direction.py
  fits it), unit length, its α in sd of the latent cloud along it as for the package's directions;
- `k2` (first, second, either): two orthogonal logistic directions; a tile counts when either series reaches ρ ≥ 0.9;
- `gradient`: the package's per-image gradient direction in w (a straight line along the gradient at the start);
- `latent-shift-wplus` / `latent-shift-w`: a per-image *path* that follows the classifier's gradient (Latent Shift,
  Cohen et al. 2021, walked in the latent instead of an autoencoder's code): from the inverted W+ code, each substep
  moves w by (t − s(w)) · g / ‖g‖², g the gradient of the target's log-odds s w.r.t. the W+ code (wplus) or a
  shift shared by every layer (w), the noise held fixed, t the next level of an even grid in log-odds; both ways
  from the start to ±SPAN log-odds, SPAN = max(1.5 |s(start)|, --min-span) (the package's rule, a symmetric range
  reaching 1.5× the flip, in log-odds), 9 frames evenly spaced in log-odds (α = target log-odds − s(start));

the linear directions over the package's per-image α range (1.5× the flip on its coarse grid, at most ±3 sd), every
method from the encoder's inversion and from the refined one (50 steps with the classifier term 0.1). Per method and
inversion it prints the share of tiles with ρ(α, count) ≥ 0.9, the median ρ, validity, the share with Δp < 0.1, the
share in which the count spans ≥ 0.5 real sd, proximity (median L1 and SSIM of the frame at the flip against the
reconstruction), how far the series reaches in the latent (median largest per-layer RMS distance from the start, in
sd of the cloud along the logistic direction: comparable to |α|), the tiles meeting all three at once, and seconds
per image (series; the inversion's own seconds beside). Every per-tile number goes to --json.

Usage: python benchmarks/count_paths.py --clf runs/clf-h600 --data runs/h600 [--gan histology64] \
           [--encoder histology64] [--n 32] [--substeps 4] [--min-span 2] [--inversions encoder,refined] \
           [--json count_paths.json] [--threads 1]
"""
from __future__ import annotations
import argparse, json, time
import numpy as np
import torch
from latent_explain.core import from_generator_range
from latent_explain.stylegan import load_generator
from latent_explain.inversion import load_encoder
from latent_explain.latents import render, sample_latents
from latent_explain.direction import fit_direction
from latent_explain.explain import Explainer, Explanation, flip_point, measure_frames
from latent_explain.evaluate import read_eval_set, meter_sds, spearman_trend, proximity, monotonicity, attribute_trends
from meter_direction import ridge_direction

INVERSIONS = {'encoder': dict(steps=0), 'refined': dict(steps=50, clf_weight=0.1)}
PATHS = (('w+', False), ('w', False), ('w+', True), ('w', True))   # (space, step in the metric of the w cloud)


class OnceInverted(Explainer):
    "An Explainer that inverts the images once and hands the same W+ codes to every direction explained after"
    _cache = None

    def _inverted(self, x, p, p_orig):
        if self._cache is None:
            t0 = time.time()
            self._cache = Explainer._inverted(self, x, p, p_orig)
            self.inversion_seconds = (time.time() - t0) / len(x)
        return self._cache


def _logodds_and_grad(G, p, w, space):
    "The target's log-odds s (N,) of W+ codes `w`, and its gradient w.r.t. the code (wplus) or a shared shift (w)"
    w = w.detach().requires_grad_(True)
    s = p.score(render(G, w).to(p.device)).float().cpu()
    g = torch.autograd.grad(s.sum(), w)[0]
    if space == 'w': g = g.sum(1, keepdim=True).expand_as(g)   # d s / d(shift added to every layer), on each layer
    return s.detach(), g


def latent_shift_path(G, p, ws, frames: int = 9, substeps: int = 4, space: str = 'w+', factor: float = 1.5,
                      min_span: float = 2.0, max_rms: float = 1.0, metric: torch.Tensor | None = None):
    """Per image a path of `frames` W+ codes whose log-odds rise evenly from frame to frame (the start in the middle),
    over ±span = ±max(`factor`·|s(start)|, `min_span`); a substep moves each layer by at most `max_rms` (RMS over layers).
    `metric` (D×D, e.g. the covariance of w): each step along M·g / gᵀMg instead of g / ‖g‖² (the same first-order rise).
    Returns (codes N×F×L×D, target offsets α N×F, reached log-odds N×F, log-odds at the start N)"""
    N, half = len(ws), frames // 2
    with torch.no_grad(): s0 = p.score(render(G, ws).to(p.device)).float().cpu()
    spans = (factor * s0.abs()).clamp(min=min_span)
    w = torch.cat([ws, ws]).detach().clone()                      # both ways at once: down (first N), up (last N)
    sign, start, span = torch.cat([-torch.ones(N), torch.ones(N)]), torch.cat([s0, s0]), torch.cat([spans, spans])
    codes = {0: ws.clone()}
    for k in range(1, half + 1):
        for j in range(1, substeps + 1):
            t = start + sign * span * ((k - 1) * substeps + j) / (half * substeps)   # the next level on the grid
            s, g = _logodds_and_grad(G, p, w, space)
            pg = g if metric is None else g @ metric
            gg = (g * pg).flatten(1).sum(1) if space == 'w+' else (g[:, 0] * pg[:, 0]).sum(1)
            move = ((t - s) / gg.clamp_min(1e-12)).view(-1, 1, 1) * pg   # δ · g / ‖g‖² (δ · Mg / gᵀMg)
            rms = move.norm(dim=-1).square().mean(-1).sqrt()
            w = (w + (max_rms / rms.clamp_min(1e-12)).clamp(max=1.0).view(-1, 1, 1) * move).detach()
        codes[-k], codes[k] = w[:N].clone(), w[N:].clone()
    order = list(range(-half, half + 1))
    with torch.no_grad():
        reached = [s0 if k == 0 else p.score(render(G, codes[k]).to(p.device)).float().cpu() for k in order]
    A = torch.stack([spans * k / half for k in order], 1)
    return torch.stack([codes[k] for k in order], 1), A.numpy(), torch.stack(reached, 1).numpy(), s0.numpy()


def path_explanations(ex: Explainer, x, names, d, space: str, substeps: int, min_span: float, max_step: float,
                      metric: torch.Tensor | None = None, tag: str = 'latent-shift'):
    """The Latent Shift paths of images `x` from the Explainer's inversion, as `Explanation`s (α: log-odds offsets);
    with each path's reach (largest per-layer RMS distance from the start, in units of `d.scale`) and how well the
    outer frames reached their log-odds level"""
    G, p = ex.G, ex.predictor_for(d)
    p_orig = p.prob(x).numpy()
    ws, recon = ex._inverted(x, p, p_orig)
    codes, A, reached, s0 = latent_shift_path(G, p, ws, substeps=substeps, space=space, min_span=min_span,
                                              max_rms=max_step * d.scale, metric=metric)
    N, F = A.shape
    frames = ex._render(codes.flatten(0, 1), torch.zeros(N * F, G.num_ws * G.w_dim), 'w+').view(N, F, *x.shape[1:])
    probs = p.prob(frames.flatten(0, 1)).view(N, F).numpy()
    p_rec = p.prob(recon).numpy()
    out = []
    for i in range(N):
        u8 = from_generator_range(frames[i])
        out.append(Explanation(names[i], x[i], recon[i], A[i], frames[i], probs[i], float(p_orig[i]), float(p_rec[i]),
                               p.target_name, tag,
                               flip_point(A[i], probs[i]), None, measure_frames(u8, ex.meters),
                               ws=ws[i], frames_u8=u8))
    reach = ((codes - ws[:, None]).norm(dim=-1).square().mean(-1).sqrt().amax(1) / d.scale).numpy()
    gap = np.abs(reached - (s0[:, None] + A))[:, [0, -1]]
    return out, reach, dict(median_span=float(np.median(A[:, -1])), median_end_level_error=float(np.median(gap)))


def per_image(es, meter: str, sd: float) -> dict:
    "Per tile: ρ(α, meter), flipped, Δp < 0.1, the meter's range in real sd"
    return dict(rho=np.array([spearman_trend(e.alphas, e.meters[meter]) for e in es]),
                flip=np.array([e.flip_alpha is not None for e in es]),
                trusted=np.array([e.delta_p < 0.1 for e in es]),
                range_sd=np.array([np.ptp(e.meters[meter]) / sd for e in es]))


def summary(series: list, meter: str, sd: float, seconds: float, reach=None) -> dict:
    "The row of one method: `series` holds one list of explanations, or several (a tile counts when any reaches)"
    pi = [per_image(es, meter, sd) for es in series]
    good = [(r['rho'] >= 0.9) for r in pi]
    rho = np.max([r['rho'] for r in pi], 0)
    flip = np.any([r['flip'] for r in pi], 0)
    joint = np.any([g & r['flip'] for g, r in zip(good, pi)], 0) & pi[0]['trusted']
    row = dict(share_rho_0_9=float(np.mean(np.any(good, 0))), median_rho=float(np.median(rho)),
               validity=float(flip.mean()), delta_p_below_0_1=float(pi[0]['trusted'].mean()),
               count_moved_0_5_sd=float(np.mean(np.any([r['range_sd'] >= 0.5 for r in pi], 0))),
               median_range_sd=float(np.median(np.max([r['range_sd'] for r in pi], 0))),
               joint=int(joint.sum()), seconds_per_image=seconds)
    if len(series) == 1:
        row['monotonicity'] = monotonicity(series[0])
        row['median_abs_rho'] = {m: float(v) for m, v in attribute_trends(series[0]).abs().median().items()}
        row['proximity_l1'], row['proximity_ssim'] = proximity(series[0])
        row['median_alpha_max'] = float(np.median([np.abs(e.alphas).max() for e in series[0]]))
    if reach is not None: row['median_reach_sd'] = float(np.median(reach))
    row['per_image'] = {k: np.stack([r[k] for r in pi]).tolist() for k in ('rho', 'flip', 'range_sd')}
    row['per_image']['trusted'] = pi[0]['trusted'].tolist()
    return row


def linear_reach(es, d) -> np.ndarray:
    "Largest move of each series along `d` in latent units (a W move is the same on every layer: its per-layer size)"
    return np.array([np.abs(e.alphas).max() * d.scale for e in es])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--clf', required=True); ap.add_argument('--data', required=True)
    ap.add_argument('--gan', default='histology64'); ap.add_argument('--encoder', default='histology64')
    ap.add_argument('--meter', default='nuclei_count'); ap.add_argument('--n', type=int, default=32)
    ap.add_argument('--seed', type=int, default=0); ap.add_argument('--substeps', type=int, default=4)
    ap.add_argument('--min-span', type=float, default=2.0, help='smallest half-range of a path, in log-odds')
    ap.add_argument('--max-step', type=float, default=1.0, help='largest per-layer RMS move of a substep, in sd of '
                    'the cloud along the logistic direction')
    ap.add_argument('--inversions', default='encoder,refined'); ap.add_argument('--json', default='count_paths.json')
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    G = load_generator(a.gan); enc = load_encoder(a.encoder, G)
    ev = read_eval_set(a.data, G, a.n, seed=a.seed)
    x, names = ev['x'], ev['names']
    probe = Explainer(G, a.clf, enc)
    sd = meter_sds(ev['real'], {a.meter: probe.meters[a.meter]})[a.meter]
    fits, tf = {}, time.time()
    fits['logistic'] = fit_direction(G, probe.predictor, 'logistic', n=512, seed=a.seed)
    fits['logodds-ridge'] = ridge_direction(G, probe.predictor.score, fits['logistic'])
    fits['k2'] = fit_direction(G, probe.predictor, 'logistic', k=2, n=512, seed=a.seed)
    fits['gradient'] = fit_direction(G, probe.predictor, 'gradient', n=512, seed=a.seed)
    W = sample_latents(G, 2000, seed=a.seed + 1)[:, 0]
    cov = torch.cov(W.T) / torch.cov(W.T).diagonal().mean()   # the cloud's shape in w, mean variance 1 (the -cloud paths)
    unit = fits['logistic']    # the yardstick of every reach: sd of the latent cloud along the logistic direction
    cos = float(fits['logodds-ridge'].vectors[0] @ unit.vectors[0])
    print(f"{a.gan}, {len(x)} held-out tiles of {a.data}, meter {a.meter} (real sd {sd:.2f}); directions fitted in "
          f"{time.time() - tf:.0f} s; cos(ridge, logistic) {cos:.2f}, cos(k2 first, logistic) "
          f"{float(fits['k2'].vectors[0] @ unit.vectors[0]):.2f}", flush=True)
    res = dict(gan=a.gan, encoder=a.encoder, clf=a.clf, data=a.data, n=len(x), meter=a.meter, real_sd=sd,
               substeps=a.substeps, min_span=a.min_span, max_step=a.max_step, cos_ridge_logistic=cos,
               logistic_scale=unit.scale, names=names, rows={})
    for inv in a.inversions.split(','):
        ex = OnceInverted(G, a.clf, enc, repair_steps=0, **INVERSIONS[inv])
        ex._inverted(x.float(), ex.predictor, ex.predictor.prob(x).numpy())
        print(f"[{time.time() - t0:.0f} s] {inv} inversion: {ex.inversion_seconds:.2f} s per image", flush=True)
        rows = res['rows'][inv] = {'inversion_seconds_per_image': ex.inversion_seconds}
        def timed(fn):
            t = time.time(); out = fn(); return out, (time.time() - t) / len(x)
        for m in ('logistic', 'logodds-ridge', 'gradient'):
            es, sec = timed(lambda: ex.explain_batch(x, fits[m], names=names))
            rows[m] = summary([es], a.meter, sd, sec, linear_reach(es, fits[m]) / unit.scale)
            print(f"[{time.time() - t0:.0f} s] {inv} {m}: ρ≥0.9 {rows[m]['share_rho_0_9']:.2f}", flush=True)
        (pair, sec) = timed(lambda: [ex.explain_batch(x, fits['k2'], names=names, index=i) for i in range(2)])
        for tag, ss in (('k2 first', pair[:1]), ('k2 second', pair[1:]), ('k2 either', pair)):
            rows[tag] = summary(ss, a.meter, sd, sec / (2 if len(ss) == 1 else 1),
                                linear_reach(ss[0], fits['k2']) / unit.scale if len(ss) == 1 else None)
        print(f"[{time.time() - t0:.0f} s] {inv} k2: either ρ≥0.9 {rows['k2 either']['share_rho_0_9']:.2f}", flush=True)
        for space, metric in PATHS:
            tag = f'latent-shift-{space.replace("+", "plus")}' + ('-cloud' if metric else '')
            (es, reach, info), sec = timed(lambda: path_explanations(ex, x.float(), names, unit, space, a.substeps,
                                                                      a.min_span, a.max_step, cov if metric else None, tag))
            rows[tag] = {**summary([es], a.meter, sd, sec, reach), **info}
            print(f"[{time.time() - t0:.0f} s] {inv} {tag}: ρ≥0.9 {rows[tag]['share_rho_0_9']:.2f} "
                  f"({sec:.1f} s per image)", flush=True)
    with open(a.json, 'w') as f: json.dump(res, f, indent=1)
    print(f"\n{a.gan}, {len(x)} tiles, {a.meter}; Latent Shift: {a.substeps} substeps per frame, span max(1.5 |s0|, "
          f"{a.min_span:g}) log-odds; joint = ρ ≥ 0.9, flip and Δp < 0.1 on the same tile\n")
    print('| inversion | method | ρ≥0.9 | median ρ | validity | Δp<0.1 | count moved ≥0.5 sd | joint | L1 at flip | '
          'SSIM at flip | reach (sd) | s/image |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    f2 = lambda v: '–' if v is None else f'{v:.2f}'
    for inv, rows in res['rows'].items():
        for m, r in rows.items():
            if not isinstance(r, dict): continue
            print(f"| {inv} | {m} | {r['share_rho_0_9']:.2f} | {r['median_rho']:.2f} | {r['validity']:.2f} | "
                  f"{r['delta_p_below_0_1']:.2f} | {r['count_moved_0_5_sd']:.2f} | {r['joint']}/{len(x)} | "
                  f"{f2(r.get('proximity_l1'))} | {f2(r.get('proximity_ssim'))} | {f2(r.get('median_reach_sd'))} | "
                  f"{r['seconds_per_image']:.2f} |")
    meters = list(probe.meters)
    print(f"\nmedian |ρ(α, meter)| per series\n\n| inversion | method | " + ' | '.join(meters) + ' |')
    print('|---|---|' + '---|' * len(meters))
    for inv, rows in res['rows'].items():
        for m, r in rows.items():
            if isinstance(r, dict) and 'median_abs_rho' in r:
                print(f"| {inv} | {m} | " + ' | '.join(f"{r['median_abs_rho'][k]:.2f}" for k in meters) + ' |')
    print(f"\ninversion s/image: " + ', '.join(f"{k} {v['inversion_seconds_per_image']:.2f}" for k, v in res['rows'].items())
          + f"; results in {a.json}; wall time {time.time() - t0:.0f} s")


if __name__ == '__main__':
    main()
