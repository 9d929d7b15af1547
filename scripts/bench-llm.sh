#!/usr/bin/env bash
# Step1 LoRA training-step and loader-memory benchmark: C# (TorchSharp) vs PyTorch on the same weights.
#   scripts/bench-llm.sh [steps] [threads] [loader_gb]
# Needs Debian's /usr/bin/python3 with python3-torch (1.13) and numpy for the PyTorch side.
set -euo pipefail
STEPS=${1:-3}
THREADS=${2:-2}
LOADER_GB=${3:-1.5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/bench-llm.XXXXXX)}
PY=/usr/bin/python3
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS

dotnet build "$ROOT/src/StepAudio.Cli" -c Release -v quiet -nologo >/dev/null
CLI=(dotnet "$ROOT/src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll")

"${CLI[@]}" bench-llm --dir "$WORK/cases" --write --steps "$STEPS"
$PY "$ROOT/scripts/bench_machine.py" "$THREADS"
for c in tiny small; do
  cs=$("${CLI[@]}" bench-llm --dir "$WORK/cases" --cases $c --steps "$STEPS" --threads "$THREADS")
  py=$($PY "$ROOT/scripts/bench_llm_torch.py" "$WORK/cases/$c.safetensors" "$STEPS" "$THREADS")
  echo "$cs"
  echo "$py"
  $PY - "$cs" "$py" <<'PYEOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
d = abs(a["step0_loss"] - b["step0_loss"])
print(f'{a["case"]}: C# {a["ms_per_step"]:.1f} ms/step, PyTorch {b["ms_per_step"]:.1f} ms/step, '
      f'ratio C#/PyTorch {a["ms_per_step"] / b["ms_per_step"]:.2f} (goal <= 0.6); '
      f'step-0 loss {a["step0_loss"]:.6f} vs {b["step0_loss"]:.6f} (|diff| {d:.2e}, {"OK" if d <= 1e-4 else "MISMATCH"})')
f = a["flops"]
print(f'{a["case"]}: {f["hardware_flops"]/1e9:.1f} GFLOP/step, C# {f["gflops"]:.1f} GFLOP/s = {100*f["share_of_peak"]:.0f} % of the '
      f'measured fp32 peak {f["peak_gflops"]:.0f} GFLOP/s (per CPU-second {100*f["cpu_share_of_peak"]:.0f} %; goal >= 50 %)')
PYEOF
done

# bf16 base weights, float32 LoRA (how the 3.5B model trains on a CPU): C# only, with the convolution guard (default:
# oneDNN for the bf16 products only) and without it (STEPAUDIO_ONEDNN_CONV=1: oneDNN everywhere, LibTorch's default).
for c in tiny-bf16 small-bf16; do
  on=$("${CLI[@]}" bench-llm --dir "$WORK/cases" --cases $c --steps "$STEPS" --threads "$THREADS" 2>/dev/null)
  off=$(STEPAUDIO_ONEDNN_CONV=1 "${CLI[@]}" bench-llm --dir "$WORK/cases" --cases $c --steps "$STEPS" --threads "$THREADS" 2>/dev/null)
  $PY - "$on" "$off" <<'PYEOF'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f'{a["case"]}: guard on {a["ms_per_step"]:.1f} ms/step, guard off {b["ms_per_step"]:.1f} ms/step, '
      f'ratio {a["ms_per_step"] / b["ms_per_step"]:.2f} (goal <= 1.10); step-0 loss {a["step0_loss"]:.6f} vs {b["step0_loss"]:.6f}')
f = a["flops"]
print(f'{a["case"]}: {f["hardware_flops"]/1e9:.1f} GFLOP/step, {f["gflops"]:.1f} GFLOP/s = {100*f["share_of_peak"]:.0f} % of the '
      f'measured bf16 peak {f["peak_gflops"]:.0f} GFLOP/s (per CPU-second {100*f["cpu_share_of_peak"]:.0f} %; goal >= 50 %)')
PYEOF
done

"${CLI[@]}" bench-llm --dir "$WORK/ckpt" --loader-write-gb "$LOADER_GB"
ld=$("${CLI[@]}" bench-llm --dir "$WORK/ckpt" --loader-load)
echo "$ld"
$PY - "$ld" <<'PYEOF'
import json, sys
r = json.loads(sys.argv[1])
gb = 1e9
print(f'loader: checkpoint {r["checkpoint_bytes"]/gb:.2f} GB bf16 sharded, peak RSS {r["peak_rss_bytes"]/gb:.2f} GB '
      f'({r["peak_over_size"]:.2f}x size; growth during load {r["growth_over_size"]:.2f}x; goal <= 1.3x), {r["seconds"]:.1f} s')
PYEOF
[ -n "${BENCH_DIR:-}" ] || rm -rf "$WORK"
