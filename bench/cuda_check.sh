#!/bin/sh
# SPDX-License-Identifier: MIT
#
# cuda_check.sh — the CUDA backend's whole check on a GPU machine, in one
# run of about 4 minutes: build, the CUDA tests (verbose), then bench_gan
# --backend cuda against PyTorch eager on the same GPU (bench/torch_gpu.py)
# for dcgan64 and resnet32 WGAN-GP at batch 64 and 256 and the UNet at 64,
# then dcgan64, resnet32 WGAN-GP and the UNet at batch 64 again in bf16
# (genlab --precision bf16 against PyTorch's bf16 autocast). Uses no network
# and installs nothing.
#
#   bench/cuda_check.sh SUMMARY_FILE
#
# Run from the top of a source tree (configured, or configured here with
# ./configure's defaults, after autoreconf when there is no configure yet:
# it finds the toolkit under /usr/local/cuda). The
# summary (plain text: device, test result, one line per bench) goes to
# stdout and to SUMMARY_FILE; the full logs to SUMMARY_FILE.d/.
#
# Each bench runs 20 warm-up and 50 timed iterations (resnet32 WGAN-GP, six
# passes per iteration: 10 and 30 at batch 64, 5 and 10 at 256) under a
# timeout (genlab 40 s, torch 30 s), so a slow case cannot eat the time of
# the others: build ~1 min, tests ~1 min, benches about 2 min (at most
# 9.3 min when every case runs into its timeout).
# Environment: PYTHON (default python3), JOBS (16), TORCH_REF (torch_ref.py,
# whose UNet32 bench/torch_gpu.py runs; default ../shared/bench/torch_ref.py).
set -u
out=${1:?usage: bench/cuda_check.sh SUMMARY_FILE}
logs=$out.d
mkdir -p "$logs"
: > "$out"
PYTHON=${PYTHON:-python3}
JOBS=${JOBS:-16}
TORCH_REF=${TORCH_REF:-../shared/bench/torch_ref.py}
t_start=$(date +%s)

say() { printf '%s\n' "$*" | tee -a "$out"; }
elapsed() { echo $(( $(date +%s) - t_start ))s; }

say "cuda_check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
say "device: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi failed')"
say "nvcc: $(nvcc --version 2>/dev/null | tail -1)"

# ---- build ----
if [ ! -f Makefile ]; then
    ( { [ -x configure ] || autoreconf -fi; } && ./configure) > "$logs/configure.log" 2>&1 ||
        { say "configure FAILED (see $logs/configure.log)"; tail -30 "$logs/configure.log"; exit 1; }
fi
if ! make -j"$JOBS" > "$logs/make.log" 2>&1 ||
   ! make -j"$JOBS" tests/test_backend_ops bench/bench_gan bench/bench_diffusion >> "$logs/make.log" 2>&1; then
    say "build FAILED (see $logs/make.log):"
    grep -E 'error|Error' "$logs/make.log" | head -30 | tee -a "$out"
    exit 1
fi
[ -f plugins/cuda/.libs/cuda.so ] || { say "build: no plugins/cuda/.libs/cuda.so (configure found no CUDA?)"; exit 1; }
say "build: ok ($(elapsed))"

# ---- tests ----
timeout 240 tests/test_backend_ops > "$logs/test_backend_ops.log" 2>&1
rc=$?
cat "$logs/test_backend_ops.log"
say "test_backend_ops: exit $rc ($(elapsed)); $(grep -E '^[0-9]+%: Checks' "$logs/test_backend_ops.log" | tail -1)"
grep -E ':[FE]:' "$logs/test_backend_ops.log" | head -20 | tee -a "$out"

# ---- benches ----
# bench MODEL BATCH WARMUP STEPS [PRECISION]: genlab then torch, each bounded
bench() {
    prec=${5:-fp32}
    amp=
    [ "$prec" = bf16 ] && amp="--amp bf16"
    say "-- $1 batch $2 $prec ($3 warm-up, $4 timed)"
    prog=bench/bench_gan
    [ "$1" = unet32_ddpm ] && prog=bench/bench_diffusion
    timeout 40 $prog --backend cuda --precision "$prec" --batch "$2" --warmup "$3" --steps "$4" \
        "$1" > "$logs/genlab_$1_$2_$prec.log" 2>&1
    r=$?
    if [ $r -eq 0 ]; then
        grep -v '^#' "$logs/genlab_$1_$2_$prec.log" | sed 's/^/genlab\t/' | tee -a "$out"
    else
        say "genlab $1 batch $2 $prec: exit $r: $(tail -2 "$logs/genlab_$1_$2_$prec.log" | tr '\n' ' ')"
    fi
    timeout 30 "$PYTHON" bench/torch_gpu.py --ref "$TORCH_REF" $amp --batch "$2" --warmup "$3" \
        --steps "$4" "$1" > "$logs/torch_$1_$2_$prec.log" 2>&1
    r=$?
    if [ $r -eq 0 ]; then
        tee -a "$out" < "$logs/torch_$1_$2_$prec.log"
    else
        say "torch $1 batch $2 $prec: exit $r: $(tail -2 "$logs/torch_$1_$2_$prec.log" | tr '\n' ' ')"
    fi
}
bench dcgan64 64 20 50
bench resnet32_wgangp 64 10 30
bench dcgan64 256 20 50
bench resnet32_wgangp 256 5 10
bench unet32_ddpm 64 10 30
bench dcgan64 64 20 50 bf16
bench resnet32_wgangp 64 10 30 bf16
bench unet32_ddpm 64 10 30 bf16
say "done ($(elapsed)); logs in $logs/"
