#!/usr/bin/env bash
# One stage-1 training step at the real size, bf16 frozen base + float32 LoRA (r 8, alpha 32, q/k/v) + AdamW, on one
# sequence of TOKENS ids (the first PROMPT not scored): C# (TorchSharp) and Debian's PyTorch, each in a fresh process.
# Prints step seconds, peak RSS (VmHWM) against the 7.06 GB of bf16 weights (goal < 1.5×) and the C#/PyTorch ratio.
#   scripts/bench-real-size.sh DIR [TOKENS] [STEPS] [THREADS]     # DIR from scripts/make-real-size.sh
# Env: BASE_DTYPE (bf16 | fp32, C# side only; fp32 needs ~2x the weights' memory), CKPT=1 (gradient checkpointing, C# only).
# Needs ~21 GB of free memory at 1,000 tokens: the PyTorch side peaked at 20.7 GB (1.13 has no fused attention), C# at 17.4 GB.
set -euo pipefail
DIR=${1:?usage: scripts/bench-real-size.sh DIR [TOKENS] [STEPS] [THREADS]}
TOKENS=${2:-1000}
STEPS=${3:-2}
THREADS=${4:-2}
PROMPT=$((TOKENS * 2 / 5))
MODEL="$DIR/Step-Audio-EditX"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS

dotnet build "$ROOT/src/StepAudio.Cli" -c Release -v quiet -nologo >/dev/null
extra=(--base-dtype "${BASE_DTYPE:-bf16}"); [ "${CKPT:-0}" = 1 ] && extra+=(--gradient-checkpointing)
cs=$(dotnet "$ROOT/src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll" bench-real-size --model "$MODEL" \
  --tokens "$TOKENS" --prompt "$PROMPT" --steps "$STEPS" --threads "$THREADS" "${extra[@]}" | tail -1)
echo "$cs"
$PY "$ROOT/scripts/bench_machine.py" "$THREADS"
py=$(cd "$ROOT/scripts" && $PY bench_real_size_torch.py "$MODEL" "$TOKENS" "$PROMPT" "$STEPS" "$THREADS" | tail -1) || py='{}'
echo "$py"
$PY - "$cs" "$py" "$TOKENS" <<'PYEOF'
import json, sys
a, b, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
gb = 1e9
w = a["checkpoint_bytes"]
def line(name, r):
    s = r["step_seconds"]
    return (f'{name}: load {r["load_seconds"]:.0f} s, RSS after load {r["rss_after_load_bytes"]/gb:.2f} GB, '
            f'peak {r["peak_rss_bytes"]/gb:.2f} GB ({r["peak_rss_bytes"]/w:.2f}x the {w/gb:.2f} GB weights; goal < 1.5x), '
            f'step 0 loss {r["step0_loss"]:.4f}, steps ' + ", ".join(f"{x:.1f}" for x in s) + " s")
print(f"real size, {n} tokens, batch 1")
print(line("C#     ", a))
f = a["flops"]
print(f'C# last step: {f["hardware_flops"]/1e12:.2f} TFLOP (model {f["model_flops"]/1e12:.2f}), {f["gflops"]:.1f} GFLOP/s = '
      f'{100*f["share_of_peak"]:.0f} % of the measured {a["base_dtype"]} peak {f["peak_gflops"]:.0f} GFLOP/s '
      f'(per CPU-second {100*f["cpu_share_of_peak"]:.0f} %; goal >= 50 %)')
if b:
    print(line("PyTorch", b))
    print(f'ratio C#/PyTorch (last step): {a["step_seconds"][-1] / b["step_seconds"][-1]:.2f}')
else:
    print("PyTorch: failed (see above)")
PYEOF
