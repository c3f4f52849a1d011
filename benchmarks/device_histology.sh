#!/usr/bin/env bash
# Continue the histology generator on a lent GPU for a few minutes, then carry on here on the CPU from where it stopped.
#
# The GPU image has PyTorch, timm, scikit-image and most of what the package needs, but no fastai stack and nothing can
# be fetched there, so the missing packages travel as wheels (Python 3.12), and the run travels as its latest checkpoint.
#
# 1. Here, once:   bash benchmarks/device_histology.sh prepare RUN CLF
#                  RUN: the GAN run to continue (e.g. runs/hist64n32-long); CLF: the classifier whose readiness it logs.
#                  Writes .whl/ and hist-run/ (both ignored by git; about 50 MB together, under the 64 MiB that travels).
# 2. The device:   run(command="bash benchmarks/device_histology.sh train", carry=[".whl", "hist-run"], timeout_s=600)
#                  Installs the wheels, writes the 5,000 training tiles (`latent-explain data synth-histology --n 5000
#                  --seed 5`), resumes the run for MINUTES (default 7) on the GPU and puts the new checkpoint in $OUT
#                  as 15 MiB parts (the device returns at most 16 MiB per file), with the training log.
# 3. Here:         bash benchmarks/device_histology.sh unpack FILES_AT RUN
#                  FILES_AT: the folder the device tool reports; the checkpoint is put into RUN as its latest, so
#                  `latent-explain train-gan --data tiles-5k --out RUN --resume` continues it on the CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
le() { python3 -c 'import sys; from latent_explain.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }

case "${1:-}" in
prepare)
    run=${2:?give the GAN run to continue}; clf=${3:?give the classifier folder whose readiness the run logs}
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || printf '/.whl/\n/hist-run/\n' >> .git/info/exclude
    rm -rf .whl hist-run && mkdir -p hist-run/run
    # the packages the training path imports that the GPU image lacks (pinned to what this checkout is tested with)
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
        fastai==2.8.12 fastcore==2.2.41 fastdownload==0.0.8 fastprogress==1.1.6 fasttransform==0.0.5 plum-dispatch==2.9.0 \
        beartype==0.23.1 pydicom==3.0.2 python-fasthtml==0.14.14 python-multipart==0.0.34 starlette==1.10.0 \
        itsdangerous==2.2.0 httpx2==2.17.0 httpcore2==2.17.0 defusedxml==0.7.1 truststore==0.10.5
    last=$(ls -d "$run"/ckpt-* | sort | tail -1)
    cp "$run"/config.json "$run"/training_state.json hist-run/run/ && cp -r "$last" hist-run/run/
    cp -r "$clf" hist-run/clf
    du -sh .whl hist-run ;;
train)
    # (a dry run on a CPU machine whose Python has every package: SKIP_WHEELS=1 DEVICE=cpu MINUTES=0.2 TILES=200 OUT=DIR)
    [ -n "${SKIP_WHEELS:-}" ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    rm -rf /tmp/tiles-5k && le data synth-histology --n "${TILES:-5000}" --seed 5 --out /tmp/tiles-5k --no-sheet
    # a snapshot (realism and readiness on 1000 images a side) every 50 kimg: at ~2000 kimg/h one every 90 s
    le train-gan --data /tmp/tiles-5k --out hist-run/run --resume --device "${DEVICE:-cuda}" --minutes "${MINUTES:-7}" --kimg 100000 \
        --snap-kimg 50 --clf hist-run/clf 2>&1 | tr '\r' '\n' | tail -c 300000 > "$OUT/train.log" || true
    grep -E 'kimg|c2st|ctrl|error' "$OUT/train.log" | grep -v '%' | tail -n 20
    last=$(ls -d hist-run/run/ckpt-* | sort | tail -1)
    cp hist-run/run/training_state.json "$OUT/"
    tar -C hist-run/run -cf - "$(basename "$last")" | split -b 15M - "$OUT/ckpt.tar.part-"
    ls -la "$OUT" ;;
unpack)
    at=${2:?give the folder the device tool put the files in}; run=${3:?give the GAN run to continue here}
    cat "$at"/ckpt.tar.part-* | tar -C "$run" -xf -
    cp "$at"/training_state.json "$run"/training_state.json
    echo "latest checkpoint of $run: $(ls -d "$run"/ckpt-* | sort | tail -1)" ;;
*)
    sed -n '2,17p' "$0"; exit 2 ;;
esac
