#!/usr/bin/env bash
# The staged trainer end to end (configs/tiny.yaml + data-samples/ unless CONFIG is set): per stage steps/s, the share
# of wall time outside the steps from epoch 2 on (goal < 5 %) with its parts (validation, checkpoints, last/ state,
# event subscribers, other), and TorchSharp's live-tensor count and RSS every 100 steps (goal: flat).
# Usage: scripts/bench-train.sh [mode...]   (default: both; or llm, flow). Env: STEPS (1000 per stage), THREADS (2),
# IO ("default rare": once with the config's validation/checkpoint intervals, once with validation at each stage's
# last epoch only and no epoch checkpoints), CONFIG (a YAML config).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-1000}
THREADS=${THREADS:-2}
IO=${IO:-default rare}
modes=("$@"); [ ${#modes[@]} -eq 0 ] && modes=(both)
dotnet build src/StepAudio.Cli -c Release -v quiet -nologo >/dev/null
CLI=src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll
config=(); [ -n "${CONFIG:-}" ] && config=(--config "$CONFIG")
status=0
for mode in "${modes[@]}"; do
  for io in $IO; do
    out=$(dotnet "$CLI" bench-train "${config[@]}" --mode "$mode" --steps "$STEPS" --threads "$THREADS" --io "$io" 2>&1) || status=$?
    echo "$out"
    echo
    grep -q "GROWING" <<<"$out" && status=1
  done
done
exit $status
