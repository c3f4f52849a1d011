"""The verdict on every explanation: how many of the demo's series start from a reconstruction the classifier reads
differently from the original (|Δp| ≥ 0.1), with and without the repair the Explainer spends on them, and its cost.

For each demo case and held-out image: p on the original, on the reconstruction without repair and with
`repair_steps` steps of the decision-keeping refinement (only on the images that fail the verdict), the
reconstruction's PSNR and SSIM, and the seconds each explain_batch took on this machine.

Usage: python benchmarks/verdict.py [--n 4] [--repair-steps 50] [--threads 1]
"""
import argparse, time, warnings
import torch
from latent_explain.demo import DEMO_CASES, demo_images, load_case


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n', type=int, default=4, help='held-out images per case (the demo shows 4)')
    ap.add_argument('--repair-steps', type=int, default=50)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads); warnings.simplefilter('ignore', UserWarning)
    total = {0: 0, a.repair_steps: 0}
    for c in DEMO_CASES:
        ex, d = load_case(c); ims = demo_images(c, a.n)
        runs = {}
        for steps in (0, a.repair_steps):
            ex.repair_steps = steps
            t0 = time.time(); runs[steps] = ex.explain_batch(ims['x'], d, names=ims['names'], a_max=c.a_max)
            runs[steps] = (runs[steps], time.time() - t0)
        for steps, (es, sec) in runs.items():
            bad = [e.name for e in es if not e.trusted]; total[steps] += len(bad)
            print(f"{c.key:<14} repair {steps:3d}: {len(bad)} of {len(es)} untrusted {bad}  {sec:.1f} s")
        for e0, e1 in zip(runs[0][0], runs[a.repair_steps][0]):
            print(f"   {e0.name:<34} p {e0.p_original:.2f}  recon {e0.p_recon:.2f} -> {e1.p_recon:.2f}   "
                  f"PSNR {e0.psnr:.1f} -> {e1.psnr:.1f} dB  SSIM {e0.ssim:.2f} -> {e1.ssim:.2f}")
    print(f"untrusted over all cases: {total[0]} without repair, {total[a.repair_steps]} with {a.repair_steps} repair steps")


if __name__ == '__main__': main()
