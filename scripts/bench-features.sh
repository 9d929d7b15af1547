#!/usr/bin/env bash
# Times resampling + the 24 kHz log-mel per clip in C# (TorchSharp) and, when Debian's /usr/bin/python3 has torch,
# the same computation in PyTorch on the same clips, and prints the C#/PyTorch ratio (lower is better; goal <= 1).
# The two run in alternation for --rounds rounds and the fastest round of each is kept, because on a shared machine
# other processes stall torch's worker threads at random (best of N within a run is not enough).
# Usage: scripts/bench-features.sh [--dir data-samples] [--seconds 10] [--repeats 5] [--threads 2] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=data-samples SECONDS_=10 REPEATS=5 THREADS=2 ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source scripts/bench-lib.sh
bench_setup "torch, numpy"
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS: C# (TorchSharp), $THREADS torch threads, best of $REPEATS per clip"
  dotnet "$CLI" bench-features --dir "$DIR" --seconds "$SECONDS_" --repeats "$REPEATS" --threads "$THREADS" \
    --save-synthetic "$TMP/synthetic.wav" > "$TMP/cs.$round.txt"
  if [ "$round" = 1 ]; then cat "$TMP/cs.$round.txt"; else grep '^RESULT' "$TMP/cs.$round.txt"; fi
  [ "$HAVE_PY" = 1 ] || continue
  echo "== round $round/$ROUNDS: PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), $THREADS threads, best of $REPEATS per clip"
  "$PY" scripts/bench_features.py --dir "$DIR" --synthetic "$TMP/synthetic.wav" --repeats "$REPEATS" \
    --threads "$THREADS" > "$TMP/py.$round.txt"
  if [ "$round" = 1 ]; then cat "$TMP/py.$round.txt"; else grep '^RESULT' "$TMP/py.$round.txt"; fi
done
if [ "$HAVE_PY" = 0 ]; then
  echo "PyTorch baseline skipped: $PY cannot import torch and numpy (Debian: apt-get install python3-torch)"
  exit 0
fi

echo "== ratio C# / PyTorch (ms per clip, fastest of $ROUNDS rounds; < 1 means C# is faster)"
for what in folder synthetic; do
  for field in resample_ms mel_ms total_ms; do
    c=$(best cs "$what" "$field"); p=$(best py "$what" "$field")
    [ -z "$c" ] || [ -z "$p" ] && continue
    awk -v w="$what" -v f="$field" -v c="$c" -v p="$p" \
      'BEGIN { printf "%-9s %-11s C# %9.3f  PyTorch %9.3f  ratio %s\n", w, f, c, p, (p > 0 ? sprintf("%.2f", c / p) : "n/a") }'
  done
done
