#!/usr/bin/env bash
# `stepaudio plan`'s predicted peak against the peak RSS of real training steps, each in a fresh process (peak memory
# is per process and per machine, so this is a script, not a unit test). Cases: the tiny default (all three stages)
# and the real-size flow (preset step-audio-editx, stage 2) on data-samples/. Each case's config is configs/tiny.yaml
# with data.filter.token_max_length set to the data's longest target (TOKEN_MAX dual frames; data-samples' longest
# target is 3.65 s = 92 at 25 Hz), so that the plan's worst case is the batch the data really has.
# Usage: scripts/plan-vs-measured.sh   Env: TOKEN_MAX (92), THREADS (2), CASES ("tiny flow-real").
set -euo pipefail
cd "$(dirname "$0")/.."
TOKEN_MAX=${TOKEN_MAX:-92}
THREADS=${THREADS:-2}
CASES=${CASES:-tiny flow-real}
dotnet build src/StepAudio.Cli -c Release -v quiet -nologo >/dev/null
CLI=src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll
trap 'rm -f configs/.plan-vs-measured-*.yaml' EXIT

# configs/tiny.yaml with the filter cap, and with the real flow preset for flow-real (relative paths need configs/).
write_config() {
  local out=configs/.plan-vs-measured-$1.yaml
  sed "s/^    min_length: 50 .*/    min_length: 50\n    token_max_length: $TOKEN_MAX/" configs/tiny.yaml > "$out"
  if [ "$1" = flow-real ]; then
    awk '/^  flow:/ {f=1} f && /preset: tiny/ {sub(/preset: tiny/, "preset: step-audio-editx"); f=0} {print}' "$out" > "$out.tmp" && mv "$out.tmp" "$out"
  fi
  echo "$out"
}

printf '%-10s %-5s %14s %14s %8s\n' case mode "predicted MiB" "measured MiB" "error"
for c in $CASES; do
  case $c in tiny) mode=both ;; flow-real) mode=flow ;; *) echo "unknown case $c" >&2; exit 2 ;; esac
  cfg=$(write_config "$c")
  plan=$(dotnet "$CLI" plan --config "$cfg" --mode "$mode" --memory 1TB)
  echo "$plan" >&2
  predicted=$(grep -oP '^(fits|tight): peak \K[0-9.]+ [GM]iB' <<<"$plan" | awk '{print ($2=="GiB") ? $1*1024 : $1}')
  measured_kb=$( { /usr/bin/time -v dotnet "$CLI" bench-train --config "$cfg" --mode "$mode" --steps 1 --io rare \
    --threads "$THREADS" --no-tensorboard >/dev/null; } 2>&1 | grep -oP 'Maximum resident set size \(kbytes\): \K[0-9]+')
  awk -v c="$c" -v m="$mode" -v p="$predicted" -v k="$measured_kb" \
    'BEGIN { r = k / 1024; printf "%-10s %-5s %14.1f %14.1f %+7.1f%%\n", c, m, p, r, 100 * (p - r) / r }'
done
