"""The faithfulness table from nothing: data, classifiers, generators, encoders, directions, evaluation.

Each stage is a `latent-explain` command (printed before it runs), so every number in the table can be reproduced by
hand. A stage whose output folder already exists under --work is reused, so a second run only re-evaluates.

Datasets (each with ground-truth masks and meters):
- synthetic histology: a tumour/normal classifier on 600 tiles (the label is caused by nuclei density and size);
  explained with the bundled `histology64` generator and its encoder.
- synthetic knees: two classifiers, one trained where a corner marker co-occurs with OA in 95 % of knees (biased),
  one where it is independent (unbiased); both explained on knees drawn with marker_bias 0.5, with the generator
  `knee64` (bundled, or trained here for --knee-minutes when absent) and its encoder.
- IHC (--ihc): a DAB-positivity classifier on scikit-image's IHC tiles, explained with `ihc64`.

Targets (F1–F6 of the evaluation chapter) are printed beside each row.

With --figures DIR it also explains one OA and one normal knee of the evaluation set for both knee classifiers and
writes the strips there as JPEG: the same knees, the shortcut visible in one series and absent from the other.

Usage: python benchmarks/faithfulness.py --work runs/faith [--n 32] [--knee-minutes 55] [--encoder-minutes 12] [--ihc]
                                         [--figures nbs/experiments/figures]
"""
from __future__ import annotations
import argparse, json, shutil, time
from pathlib import Path
from stages import sh, once


def bundled(name: str) -> bool:
    from latent_explain.stylegan import bundled_generator_path
    return (bundled_generator_path(name) / 'generator.safetensors').is_file()


def bundled_encoder(name: str) -> bool:
    from latent_explain.stylegan import bundled_generator_path
    return (bundled_generator_path(name) / 'encoder' / 'encoder.safetensors').is_file()


def gan_and_encoder(w: Path, name: str, data: Path, clf: Path, gan_minutes: float, enc_minutes: float, gan_args=()):
    "The bundled generator and encoder `name`, or ones trained here"
    gan = name
    if not bundled(name):
        once(w / f'{name}-run', 'train-gan', '--data', data, '--out', w / f'{name}-run', '--minutes', gan_minutes, *gan_args,
             log=w / f'{name}-run.log')
        gan = w / f'{name}-run' / 'best' if (w / f'{name}-run' / 'best').is_dir() else w / f'{name}-run'
    enc = name
    if not bundled_encoder(name) or not bundled(name):
        enc = w / f'enc-{name}'
        once(enc, 'train-encoder', '--gan', gan, '--data', data, '--out', enc, '--minutes', enc_minutes, '--clf', clf)
    return gan, enc


def evaluate(w: Path, tag: str, gan, clf, enc, data, n: int) -> dict:
    out = w / f'eval-{tag}.json'
    once(out, 'evaluate', '--gan', gan, '--clf', clf, '--encoder', enc, '--data', data, '--n', n, '--json', out)
    return json.loads(out.read_text())


def knee_strips(w: Path, gan, enc, figures: Path):
    "Explain one OA and one normal evaluation knee for the biased and the unbiased classifier; strips as JPEG"
    from PIL import Image
    images = w / 'knee-figure-images'
    if not images.exists():   # `explain` wants distinct stems: prefix the class
        images.mkdir()
        for cls in ('OA', 'normal'):
            f = sorted((w / 'knee-eval' / cls).glob('*.png'))[0]; shutil.copy(f, images / f'{cls}_{f.name}')
    figures.mkdir(parents=True, exist_ok=True)
    for k in ('biased', 'unbiased'):
        clf, d, ex = w / f'clf-knee-{k}', w / f'dir-knee-{k}', w / f'ex-knee-{k}'
        once(d, 'fit-direction', '--gan', gan, '--clf', clf, '--method', 'logistic', '--out', d)
        once(ex, 'explain', '--gan', gan, '--clf', clf, '--encoder', enc, '--direction', d, '--out', ex,
             *sorted(images.glob('*.png')))
        for strip in sorted(ex.glob('*_strip.png')):
            out = figures / f'knee-{k}-{strip.stem}.jpg'
            Image.open(strip).convert('RGB').save(out, quality=85); print('wrote', out)


REGION = {'knee-biased': 'marker', 'knee-unbiased': 'joint_space'}   # the region each knee model depends on


def row(tag: str, m: str, r: dict, planted: str, other: str | None) -> str:
    if 'error' in r: return f"{tag:<15} {m:<11} not evaluated: {r['error']}"
    ch, mv = r.get('attribute_changed', {}), r.get('attribute_moved', {})
    f = lambda v: '   –' if v is None else f'{v:5.2f}'
    reg = REGION.get(tag)   # on the region the model depends on (knees); elsewhere the one planted region
    loc_d = r.get('localisation_auc_by_region', {}).get(reg) if reg else r.get('localisation_auc')
    loc_c = r.get('gradcam_localisation_auc_by_region', {}).get(reg) if reg else r.get('gradcam_localisation_auc')
    grown = lambda k: r.get(k, {}).get(reg) if reg else None   # the region grown by a few pixels (its edges)
    return (f"{tag:<15} {m:<11} {f(r['validity'])} {f(r['monotonicity'])} {f(r.get('attribute_spearman_median'))} "
            f"{f(r.get('attribute_spearman_090'))} {f(ch.get(planted))} {f(ch.get(other) if other else None)} "
            f"{f(mv.get(planted))} {f(mv.get(other) if other else None)} "
            f"{f(r.get('localisation_auc'))} {f(r.get('gradcam_localisation_auc'))} {f(loc_d)} {f(loc_c)} "
            f"{f(grown('localisation_auc_by_region_dilated'))} {f(grown('gradcam_localisation_auc_by_region_dilated'))} "
            f"{f(r.get('delta_p_below_0.1'))} {f(r.get('sanity_cosine'))} {f(r.get('realism_c2st'))} "
            f"{f(r['proximity_ssim'])} {r['seconds']:6.0f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='runs/faithfulness', help='folder for every dataset, model and result')
    ap.add_argument('--n', type=int, default=32, help='held-out images per dataset')
    ap.add_argument('--knee-minutes', type=float, default=55, help='train-gan budget when knee64 is not bundled')
    ap.add_argument('--encoder-minutes', type=float, default=12, help='train-encoder budget where no encoder is bundled')
    ap.add_argument('--ihc', action='store_true', help='also the IHC row (ihc64)')
    ap.add_argument('--figures', help='folder for the knee strips (biased and unbiased classifier, same knees)')
    a = ap.parse_args()
    w = Path(a.work); w.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    # data
    once(w / 'h600', 'data', 'synth-histology', '--n', 600, '--seed', 1, '--out', w / 'h600', '--no-sheet')
    once(w / 'knee-biased', 'data', 'synth-knee', '--n', 3072, '--seed', 2, '--marker-bias', 0.95, '--out', w / 'knee-biased', '--no-sheet')
    once(w / 'knee-unbiased', 'data', 'synth-knee', '--n', 3072, '--seed', 3, '--marker-bias', 0.5, '--out', w / 'knee-unbiased', '--no-sheet')
    once(w / 'knee-eval', 'data', 'synth-knee', '--n', 400, '--seed', 4, '--marker-bias', 0.5, '--out', w / 'knee-eval', '--no-sheet')
    # classifiers
    once(w / 'clf-h600', 'train-classifier', '--data', w / 'h600', '--out', w / 'clf-h600', log=w / 'clf-h600.log')
    for k in ('biased', 'unbiased'):
        once(w / f'clf-knee-{k}', 'train-classifier', '--data', w / f'knee-{k}', '--out', w / f'clf-knee-{k}', '--epochs', 6,
             log=w / f'clf-knee-{k}.log')
    # generators and encoders
    if not bundled_encoder('histology64'):
        once(w / 'tiles-5k', 'data', 'synth-histology', '--n', 5000, '--seed', 5, '--out', w / 'tiles-5k', '--no-sheet')
    hgan, henc = gan_and_encoder(w, 'histology64', w / 'tiles-5k', w / 'clf-h600', 0, a.encoder_minutes)
    if not bundled('knee64') or not bundled_encoder('knee64'):
        once(w / 'knee-3k', 'data', 'synth-knee', '--n', 3000, '--seed', 0, '--out', w / 'knee-3k', '--no-sheet')
    kgan, kenc = gan_and_encoder(w, 'knee64', w / 'knee-3k', w / 'clf-knee-unbiased', a.knee_minutes, a.encoder_minutes,
                                 ('--noise-from', 64, '--meters', 'joint_space_width,marker_score'))
    # evaluation
    res = {'histology': (evaluate(w, 'histology', hgan, w / 'clf-h600', henc, w / 'h600', a.n), 'nuclei_count', 'nucleus_mean_area'),
           'knee-biased': (evaluate(w, 'knee-biased', kgan, w / 'clf-knee-biased', kenc, w / 'knee-eval', a.n), 'marker_score', 'joint_space_width'),
           'knee-unbiased': (evaluate(w, 'knee-unbiased', kgan, w / 'clf-knee-unbiased', kenc, w / 'knee-eval', a.n), 'marker_score', 'joint_space_width')}
    if a.ihc:
        once(w / 'ihc', 'data', 'ihc', '--out', w / 'ihc', '--no-sheet')
        once(w / 'clf-ihc', 'train-classifier', '--data', w / 'ihc', '--out', w / 'clf-ihc', log=w / 'clf-ihc.log')
        igan, ienc = gan_and_encoder(w, 'ihc64', w / 'ihc', w / 'clf-ihc', 0, a.encoder_minutes)
        res['ihc'] = (evaluate(w, 'ihc', igan, w / 'clf-ihc', ienc, w / 'ihc', a.n), 'dab_fraction', 'hematoxylin_fraction')
    print(f"\n{'set':<15} {'method':<11} valid mono  ρplant ρ≥0.9 chg·P chg·O mov·P mov·O  locD  locCAM locD·R locCAM·R locD·R+ locCAM·R+ Δp<.1 sanity c2st  ssim   s")
    for tag, (r, planted, other) in res.items():
        for m, v in r['methods'].items(): print(row(tag, m, v, planted, other))
    print("columns: validity; monotonicity (median ρ(α,p)); median ρ(α, planted meter); share of images with ρ ≥ 0.9;\n"
          "share of images where the planted meter (P) / the other meter (O) follows α (|ρ| ≥ 0.8 over ≥ 0.5 real sd);\n"
          "mov: share of images where it spans ≥ 0.5 real sd along the series in any shape (a step counts);\n"
          "AUC of the difference map / GradCAM against the planted masks (all regions; R: the region the model depends\n"
          "on: knee-biased the marker, knee-unbiased the joint space; elsewhere the one planted region; R+: that region\n"
          "grown by 2 px, which takes in the edges a change of shape moves);\n"
          "share with |Δp| < 0.1 after inversion;\n"
          "|cos| with the direction for a weight-randomised classifier; C2ST of frames vs reals; SSIM at the flip; seconds.\n"
          "P/O: histology nuclei_count / nucleus_mean_area, knee marker_score / joint_space_width, IHC dab / hematoxylin.\n"
          "Targets: F1 histology ρ≥0.9 in ≥90 % of images, validity ≥0.95, monotonicity ≥0.95; F2 knee-biased chg·P (or mov·P) ≥0.8,\n"
          "knee-unbiased ≤0.1, both chg·O > 0; F3 IHC ρ ≥0.9; F4 locD·R > locCAM·R; F5 Δp<.1 ≥0.9; F6 sanity ≤0.2.")
    if a.figures: knee_strips(w, kgan, kenc, Path(a.figures))
    print(f"wall time {time.time() - t0:.0f} s")
    (w / 'table.json').write_text(json.dumps({k: v[0] for k, v in res.items()}, indent=1))


if __name__ == '__main__':
    main()
