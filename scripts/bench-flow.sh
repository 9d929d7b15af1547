#!/usr/bin/env bash
# Flow CFM training step (frozen encoder, trainable DiT + speaker projection, AdamW): C#/TorchSharp vs the same maths
# in PyTorch (Debian's /usr/bin/python3, torch 1.13, attention written out), same weights, batch and draws, 2 threads.
# Usage: scripts/bench-flow.sh [sizes...]   (tiny, small, real; default: tiny small). Env: STEPS_<size>, ROUNDS, THREADS.
# Each round runs C# then PyTorch, each in a fresh process; a side's figure is its median step time over all rounds
# (the machine may be shared) and its largest peak RSS (VmHWM). `real` is the released flow at batch 4 x 10 s
# (peak RSS ~6 GB C#, ~8 GB PyTorch; ~20 min on 2 cores): run it alone, e.g. STEPS_real=2 ROUNDS=1 flock /tmp/stepaudio-bigmem.lock scripts/bench-flow.sh real
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
sizes=("$@"); [ ${#sizes[@]} -eq 0 ] && sizes=(tiny small)
dotnet build src/StepAudio.Cli -c Release -v quiet -nologo >/dev/null
CLI=src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
$PY scripts/bench_machine.py "$THREADS"
for size in "${sizes[@]}"; do
  var="STEPS_$size"; steps=${!var:-$(case $size in tiny) echo 30;; real) echo 2;; *) echo 4;; esac)}
  dir="$work/$size"
  dotnet "$CLI" bench-flow --size "$size" --dir "$dir" --prepare-only
  : >"$work/$size.jsonl"
  for r in $(seq "$ROUNDS"); do
    dotnet "$CLI" bench-flow --reuse --dir "$dir" --steps "$steps" --warmup 1 --threads "$THREADS" >>"$work/$size.jsonl"
    $PY scripts/bench_flow.py --dir "$dir" --steps "$steps" --warmup 1 --threads "$THREADS" >>"$work/$size.jsonl"
  done
  $PY - "$work/$size.jsonl" <<'PYEOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cs = [r for r in rows if r["side"] == "csharp"]; py = [r for r in rows if r["side"] == "pytorch"]
c = statistics.median(r["ms_per_step"] for r in cs); p = statistics.median(r["ms_per_step"] for r in py)
dl = max(abs(a["loss0"] - b["loss0"]) for a in cs for b in py)
size = cs[0]["size"]
gb = lambda side: max(r["peak_rss_bytes"] for r in side) / 1e9
print(f"{size}: csharp {c:.1f} ms/step, pytorch {p:.1f} ms/step, ratio {c / p:.2f}x (goal <= 0.6x); "
      f"peak RSS csharp {gb(cs):.2f} GB, pytorch {gb(py):.2f} GB (ratio {gb(cs) / gb(py):.2f}x); "
      f"step-0 loss csharp {cs[0]['loss0']:.6f} pytorch {py[0]['loss0']:.6f} |diff| {dl:.2e} "
      f"({'OK' if dl <= 1e-4 else 'MISMATCH'}); trainable {cs[0]['trainable']:,}; threads {cs[0]['threads']}; "
      f"rounds {len(cs)}x{cs[0]['steps']} steps; pytorch {py[0]['torch']} with BLAS {py[0]['blas']}")
f = cs[0]["flops"]
print(f"{size}: {f['hardware_flops'] / 1e9:.3g} GFLOP/step; csharp {f['gflops']:.1f} GFLOP/s = {100 * f['share_of_peak']:.0f} % of the "
      f"measured float32 peak {f['peak_gflops']:.0f} GFLOP/s ({100 * f['cpu_share_of_peak']:.0f} % per CPU-second); "
      f"pytorch {f['hardware_flops'] / 1e6 / p:.1f} GFLOP/s")
if dl > 1e-4: sys.exit(1)
PYEOF
done
