#!/usr/bin/env bash
# The GPU check of issue 13, in one run on a machine with an NVIDIA GPU:
#   1. builds the CLI and the tests against LibTorch with CUDA (-p:TorchBackend=cuda),
#   2. parity: one LLM LoRA step (checkpointed, plain vs CPU; and dropout's mask replay) and one flow decoder step on
#      the GPU against the CPU, loss and every gradient (stepaudio check-device),
#   3. the device tests (tiny training on cuda: first losses against the CPU's),
#   4. a timed real-size LLM step (1,000 tokens, bf16 base, LoRA, checkpointing) when a real-size folder is given,
#   5. the peak GPU memory over the whole run (nvidia-smi, sampled every 200 ms).
# Needs: an NVIDIA driver (nvidia-smi), the .NET 10 SDK, a NuGet source that serves libtorch-cuda-12.8-linux-x64
# 2.10.0 (nuget.org does; this project's own registry does not), ~10 GB of disk for the CUDA LibTorch, and for step 4
# a folder from scripts/make-real-size.sh (7 GB) and a GPU with ≥ 16 GB.
#   scripts/gpu-check.sh [REAL_SIZE_DIR] [DEVICE]        # DEVICE default cuda (or cuda:N)
# Exit status: non-zero when any step fails. Output ends with a summary block to paste into an issue.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REAL=${1:-}
DEVICE=${2:-cuda}
OUT="$ROOT/artifacts/gpu-check"
mkdir -p "$OUT"
command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: this machine has no NVIDIA driver" >&2; exit 1; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"

# A CUDA build replaces the CPU LibTorch in obj/ and bin/; the next CPU build restores it again.
echo "== build (TorchBackend=cuda)"
dotnet build "$ROOT/src/StepAudio.Cli" -c Release -p:TorchBackend=cuda -v quiet -nologo
dotnet build "$ROOT/tests/StepAudio.Tests" -c Release -p:TorchBackend=cuda -v quiet -nologo
CLI="$ROOT/src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll"

nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$OUT/memory.csv" &
MONITOR=$!
trap 'kill $MONITOR 2>/dev/null || true' EXIT
status=0

echo "== parity: a training step on $DEVICE against the CPU"
dotnet "$CLI" check-device --device "$DEVICE" --size small | tee "$OUT/parity.txt" || status=1

echo "== device tests (tiny training on cuda)"
dotnet test "$ROOT/tests/StepAudio.Tests" -c Release -p:TorchBackend=cuda --no-build \
  --filter "FullyQualifiedName~DeviceTests|FullyQualifiedName~DeviceParityCheckTests" | tail -3 | tee "$OUT/tests.txt" || status=1

if [[ -n "$REAL" ]]; then
  echo "== real-size LLM step on $DEVICE (1,000 tokens, bf16 base, LoRA r 8 q/k/v, checkpointing)"
  dotnet "$CLI" bench-real-size --model "$REAL/Step-Audio-EditX" --tokens 1000 --prompt 400 --steps 3 \
    --gradient-checkpointing --device "$DEVICE" | tail -1 | tee "$OUT/real-size.json" || status=1
else
  echo "== real-size step skipped: give the folder of scripts/make-real-size.sh as the first argument"
fi

kill $MONITOR 2>/dev/null || true
wait $MONITOR 2>/dev/null || true
peak=$(sort -n "$OUT/memory.csv" | tail -1)
echo
echo "== summary ($(date -u +%FT%TZ), $(git -C "$ROOT" rev-parse --short HEAD))"
cat "$OUT/gpu.txt"
cat "$OUT/parity.txt"
cat "$OUT/tests.txt"
[[ -f "$OUT/real-size.json" ]] && cat "$OUT/real-size.json"
echo "peak GPU memory used (whole run, all processes): ${peak:-?} MiB"
echo "gpu-check: $([[ $status == 0 ]] && echo PASS || echo FAIL)"
exit $status
