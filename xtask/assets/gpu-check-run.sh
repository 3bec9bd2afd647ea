#!/usr/bin/env bash
# hidiff's GPU check (issue 11), copied into the kit by `cargo xtask gpu-check`.
#
# Runs on the GPU machine, from any folder:   bash gpu-kit/run.sh
# Every step prints as it goes, runs under its own timeout and under the whole
# run's budget (a step that would start with under 15 s left is skipped), so a
# hang cannot eat the device time. The report is one JSON file, $OUT/gpu-check.json,
# with the whole log beside it ($OUT/run.log) and the compiled-kernel log of the
# cold start ($OUT/kernels-cold.log).
#
# Settings (environment):
#   OUT                  report folder (default: <kit>/out)
#   GPU_CHECK_DEVICE     cuda (default) or cpu: the CPU dry run of the same steps
#   GPU_CHECK_BUDGET_S   seconds for the whole run (default 510)
#   GPU_CHECK_STEPS      comma-separated subset of the steps below (default: all;
#                        info and unpack always run)
#   GPU_CHECK_PRESET     model preset of the timings (default gopro)
#   GPU_CHECK_SMALL      size of the cold/warm start (default 256x256)
#   GPU_CHECK_SIZES      inference sizes (default 256x256,720x1280)
#   GPU_CHECK_TRAIN      training step BATCHxPATCH (default 8x128)
#   GPU_CHECK_ITERS      timed runs per measurement (default 5)
#   GPU_CHECK_IMAGE      size of the synthetic images of the parity/PSNR steps (default 256x256)
#
# Steps, in priority order: info unpack cold warm parity synth deblur_cpu
# deblur_dev cuda_vs_cpu infer_f32 torch infer_bf16 train half_bf16 half_f16
# infer_f16 cold_balanced.

set -uo pipefail

KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${OUT:-$KIT/out}"
DEV="${GPU_CHECK_DEVICE:-cuda}"
BUDGET="${GPU_CHECK_BUDGET_S:-510}"
STEPS="${GPU_CHECK_STEPS:-all}"
PRESET="${GPU_CHECK_PRESET:-gopro}"
SMALL="${GPU_CHECK_SMALL:-256x256}"
SIZES="${GPU_CHECK_SIZES:-256x256,720x1280}"
TRAIN="${GPU_CHECK_TRAIN:-8x128}"
ITERS="${GPU_CHECK_ITERS:-5}"
IMAGE="${GPU_CHECK_IMAGE:-256x256}"
BATCH="${TRAIN%x*}"
PATCH="${TRAIN#*x}"

mkdir -p "$OUT" || exit 1
W="$(mktemp -d "${TMPDIR:-/tmp}/hidiff-gpu-check.XXXXXX")" || exit 1
HIDIFF="$W/hidiff"
LOG="$OUT/run.log"
STEPS_FILE="$W/steps.jsonl"
: >"$LOG"
: >"$STEPS_FILE"
T0=$(date +%s)
export HIDIFF W KIT DEV
export CUDA_PATH="${CUDA_PATH:-/usr/local/cuda}"
# One kernel cache for the whole run: empty at the cold start, filled by it for the
# warm start and every later step (cold_balanced uses its own).
export HIDIFF_CUBECL_CACHE="$W/cache-cold"
if [ "$DEV" = cpu ]; then
    # The CPU dry run also walks the half-precision path (slowly, on burn's CPU backend).
    export HIDIFF_CPU_HALF=1
fi

say() { printf '%s\n' "$*" | tee -a "$LOG"; }

# A JSON string of stdin: escapes, control characters (terminal codes) dropped.
json_str() {
    local s
    s="$(cat)"
    s="${s//\\/\\\\}"
    s="${s//\"/\\\"}"
    s="${s//$'\t'/\\t}"
    s="${s//$'\r'/}"
    s="${s//$'\n'/\\n}"
    printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')"
}

# info and unpack always run; deblur_*, cuda_vs_cpu and half_* need synth (and half_* deblur_dev).
wanted() { [ "$STEPS" = all ] || [ "$1" = info ] || [ "$1" = unpack ] || [[ ",$STEPS," == *",$1,"* ]]; }

# step NAME MAX_SECONDS RESULT_FILE COMMAND: runs COMMAND (a bash command line)
# with a timeout of min(MAX_SECONDS, budget left), its output shown and logged,
# and records {name, rc, seconds, ...} with RESULT_FILE's JSON (if written) as
# "result" and the output's last 30 lines as "tail".
step() {
    local name="$1" max="$2" result="$3" cmd="$4"
    wanted "$name" || return 0
    local now left t rc start end secs res tail timed_out=false
    now=$(date +%s)
    left=$((BUDGET - (now - T0)))
    if [ "$left" -lt 15 ]; then
        say "== $name: skipped, ${left} s of the budget left"
        printf '{"name":"%s","skipped":true}\n' "$name" >>"$STEPS_FILE"
        return 0
    fi
    t=$((max < left ? max : left))
    say "== $name (timeout ${t} s, $((now - T0)) s into the run): $cmd"
    start=$(date +%s.%N)
    timeout -k 10 "$t" bash -c "$cmd" 2>&1 | tee -a "$LOG" >"$W/$name.log"
    rc=${PIPESTATUS[0]}
    end=$(date +%s.%N)
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then timed_out=true; fi
    say "== $name: exit $rc after $secs s$([ "$timed_out" = true ] && echo ' (TIMED OUT)')"
    res=null
    if [ -n "$result" ] && [ -s "$result" ]; then res="$(cat "$result")"; fi
    tail="$(tail -n 30 "$W/$name.log" | json_str)"
    printf '{"name":"%s","rc":%s,"timed_out":%s,"seconds":%s,"timeout_s":%s,"command":%s,"result":%s,"tail":%s}\n' \
        "$name" "$rc" "$timed_out" "$secs" "$t" "$(printf '%s' "$cmd" | json_str)" "$res" "$tail" \
        | tr -d '\n' >>"$STEPS_FILE"
    printf '\n' >>"$STEPS_FILE"
    return 0
}

say "hidiff GPU check: device $DEV, budget $BUDGET s, kit $KIT, work $W, report $OUT"

SMI_PID=""
if command -v nvidia-smi >/dev/null 2>&1 && [ "$DEV" != cpu ]; then
    nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw --format=csv -lms 2000 \
        >"$OUT/nvidia-smi.csv" 2>/dev/null &
    SMI_PID=$!
fi

step info 20 "" 'uname -a; nproc; free -g | head -2; command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; python3 -c "import torch; print(\"torch\", torch.__version__, torch.cuda.is_available())" 2>&1 | tail -1; true'

# The binary travels stripped and xz-compressed; python3's lzma unpacks it (xz if no python3).
step unpack 60 "" 'if command -v python3 >/dev/null; then
    python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], \"wb\"))" "$KIT/hidiff.xz" "$HIDIFF"
else xz -dc "$KIT/hidiff.xz" >"$HIDIFF"; fi && chmod +x "$HIDIFF" && "$HIDIFF" --version'
if [ ! -x "$HIDIFF" ]; then
    say "the hidiff binary could not be unpacked; stopping"
fi

BENCH="\"\$HIDIFF\" bench --device $DEV --preset $PRESET"
# Cold start: empty caches, every kernel compiled and tuned; the compiled kernels' names logged.
step cold 200 "$W/cold.json" "$BENCH --size $SMALL --no-train --iters 3 --warmup 1 --cubecl-log \"\$W/kernels-cold.log\" --json \"\$W/cold.json\""
# Warm start: a second process on the caches the cold start filled.
step warm 90 "$W/warm.json" "$BENCH --size $SMALL --no-train --iters 3 --warmup 1 --json \"\$W/warm.json\""
if [ -f "$W/kernels-cold.log" ]; then
    cp "$W/kernels-cold.log" "$OUT/kernels-cold.log"
    {
        echo "most compiled kernels (count, name) in the cold start:"
        grep -o '\[Compiling kernel\].*' "$W/kernels-cold.log" | sort | uniq -c | sort -rn | head -40
    } | tee -a "$LOG" >"$W/kernel-names.txt"
fi

# Parity with the golden vectors of the official code, CPU tolerances.
step parity 150 "" '"$HIDIFF" parity --golden "$KIT/golden" --device "$DEV"'

# The same images deblurred on the CPU and on the device (golden weights, small configuration).
SMALLCFG="--weights \"\$KIT/golden\" --config \"\$KIT/golden/small_config.toml\""
step synth 60 "" "\"\$HIDIFF\" prepare synthetic --out \"\$W/synth\" --train 0 --test 4 --test-shift 0 --size $IMAGE"
step deblur_cpu 120 "" "\"\$HIDIFF\" deblur \"\$W/synth/test/input\" $SMALLCFG --device cpu --out \"\$W/deblur-cpu\""
step deblur_dev 120 "" "\"\$HIDIFF\" deblur \"\$W/synth/test/input\" $SMALLCFG --device $DEV --out \"\$W/deblur-f32\""
step cuda_vs_cpu 60 "$W/cuda_vs_cpu.json" '"$HIDIFF" metrics --protocol basicsr --gt-dir "$W/deblur-cpu" --pred-dir "$W/deblur-f32" --json >"$W/cuda_vs_cpu.json"'

# Inference timings of the preset, f32; PyTorch in the same run; bf16; the training step.
step infer_f32 150 "$W/infer_f32.json" "$BENCH --size $SIZES --no-train --iters $ITERS --warmup 2 --precision f32 --json \"\$W/infer_f32.json\""
if [ "$DEV" != cpu ] || [ -n "${GPU_CHECK_TORCH:-}" ]; then
    TORCH_DEV=$([ "$DEV" = cpu ] && echo --cpu)
    step torch 180 "" "if [ ! -f \"\$KIT/bench/bench_torch.py\" ]; then echo 'no bench/ in the kit'; exit 3; fi
    PYTHONUNBUFFERED=1 python3 \"\$KIT/bench/bench_torch.py\" \"\$KIT/bench/official\" $TORCH_DEV --preset $PRESET --sizes $SIZES --train --train-shape $TRAIN --iters $ITERS"
fi
step infer_bf16 150 "$W/infer_bf16.json" "$BENCH --size $SIZES --no-train --iters $ITERS --warmup 2 --precision bf16 --json \"\$W/infer_bf16.json\""
step train 180 "$W/train.json" "$BENCH --no-infer --batch $BATCH --patch $PATCH --iters 3 --warmup 1 --json \"\$W/train.json\""

# Half precision against f32 on the same images (PSNR of the outputs against each other).
step half_bf16 90 "$W/half_bf16.json" "\"\$HIDIFF\" deblur \"\$W/synth/test/input\" $SMALLCFG --device $DEV --precision bf16 --out \"\$W/deblur-bf16\" && \"\$HIDIFF\" metrics --protocol basicsr --gt-dir \"\$W/deblur-f32\" --pred-dir \"\$W/deblur-bf16\" --json >\"\$W/half_bf16.json\""
step half_f16 90 "$W/half_f16.json" "\"\$HIDIFF\" deblur \"\$W/synth/test/input\" $SMALLCFG --device $DEV --precision f16 --out \"\$W/deblur-f16\" && \"\$HIDIFF\" metrics --protocol basicsr --gt-dir \"\$W/deblur-f32\" --pred-dir \"\$W/deblur-f16\" --json >\"\$W/half_f16.json\""
step infer_f16 150 "$W/infer_f16.json" "$BENCH --size $SIZES --no-train --iters $ITERS --warmup 2 --precision f16 --json \"\$W/infer_f16.json\""
# The autotune level: a second cold start with cubecl's default level (hidiff's is minimal).
step cold_balanced 200 "$W/cold_balanced.json" "$BENCH --size $SMALL --no-train --iters 3 --warmup 1 --autotune-level balanced --cubecl-cache \"\$W/cache-balanced\" --cubecl-log \"\$W/kernels-balanced.log\" --json \"\$W/cold_balanced.json\""

if [ -n "$SMI_PID" ]; then kill "$SMI_PID" 2>/dev/null; wait "$SMI_PID" 2>/dev/null; fi

TOTAL=$(($(date +%s) - T0))
CACHE_MIB=$(du -sm "$W/cache-cold" 2>/dev/null | cut -f1)
{
    printf '{"schema":"hidiff-gpu-check/1","device":"%s","budget_s":%s,"total_s":%s,' "$DEV" "$BUDGET" "$TOTAL"
    printf '"settings":{"preset":"%s","small":"%s","sizes":"%s","train":"%s","iters":%s,"image":"%s"},' \
        "$PRESET" "$SMALL" "$SIZES" "$TRAIN" "$ITERS" "$IMAGE"
    printf '"cold_cache_mib":%s,' "${CACHE_MIB:-null}"
    printf '"kit":'
    if [ -s "$KIT/manifest.json" ]; then tr -d '\n' <"$KIT/manifest.json"; else printf 'null'; fi
    printf ',"kernel_names":'
    if [ -s "$W/kernel-names.txt" ]; then json_str <"$W/kernel-names.txt"; else printf 'null'; fi
    printf ',"steps":['
    paste -sd, "$STEPS_FILE"
    printf ']}\n'
} >"$OUT/gpu-check.json"
say "report: $OUT/gpu-check.json ($TOTAL s)"
rm -rf "$W"
