#!/usr/bin/env bash
# Real-time factor of the audio tokenizer's parts in C# (TorchSharp / OnnxRuntime) and, where Debian's
# /usr/bin/python3 has torch + torchaudio, of the same computation in PyTorch on the same 16 kHz clip, with the
# C#/PyTorch ratio (lower is better). Parts: CAM++'s Kaldi fbank, the Paraformer front end (fbank + LFR + CMVN), the
# whisper log-mel (vq06 input), the vq02 streaming SANM encoder at the real size (50 blocks, d 512; random weights),
# and the two ONNX models (the tiny stand-ins unless --vq06/--campplus name the real files; no PyTorch baseline).
# The sides alternate for --rounds rounds and the fastest of each is kept (a shared machine stalls threads at random).
# Usage: scripts/bench-tokenizer.sh [--seconds 10] [--repeats 3] [--threads 2] [--rounds 2] [--blocks 50]
#                                   [--vq06 speech_tokenizer_v1.onnx] [--campplus campplus.onnx]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=10 REPEATS=3 THREADS=2 ROUNDS=2 BLOCKS=50 EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --blocks) BLOCKS=$2; shift 2 ;;
    --vq06|--campplus) EXTRA+=("$1" "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source scripts/bench-lib.sh
bench_setup "torch, torchaudio, numpy"
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round/$ROUNDS: C#, $THREADS threads, best of $REPEATS"
  dotnet "$CLI" bench-tokenizer --seconds "$SECONDS_" --repeats "$REPEATS" --threads "$THREADS" --blocks "$BLOCKS" \
    --save-wav "$TMP/clip16k.wav" "${EXTRA[@]}" > "$TMP/cs.$round.txt"
  if [ "$round" = 1 ]; then cat "$TMP/cs.$round.txt"; else grep '^RESULT' "$TMP/cs.$round.txt"; fi
  [ "$HAVE_PY" = 1 ] || continue
  echo "== round $round/$ROUNDS: PyTorch $("$PY" -c 'import torch; print(torch.__version__)'), $THREADS threads, best of $REPEATS"
  "$PY" scripts/bench_tokenizer.py --wav "$TMP/clip16k.wav" --repeats "$REPEATS" --threads "$THREADS" --blocks "$BLOCKS" \
    > "$TMP/py.$round.txt"
  if [ "$round" = 1 ]; then cat "$TMP/py.$round.txt"; else grep '^RESULT' "$TMP/py.$round.txt"; fi
done
if [ "$HAVE_PY" = 0 ]; then
  echo "PyTorch baseline skipped: $PY cannot import torch, torchaudio and numpy (Debian: apt-get install python3-torchaudio)"
  exit 0
fi

echo "== ratio C# / PyTorch (ms for ${SECONDS_} s of audio, fastest of $ROUNDS rounds; < 1 means C# is faster)"
for what in campplus_fbank paraformer_frontend whisper_logmel vq02_encoder; do
  c=$(best cs "$what" ms); p=$(best py "$what" ms)
  [ -z "$c" ] || [ -z "$p" ] && continue
  awk -v w="$what" -v c="$c" -v p="$p" -v s="$SECONDS_" \
    'BEGIN { printf "%-20s C# %9.2f ms (RTF %.4f)  PyTorch %9.2f ms (RTF %.4f)  ratio %.2f\n", w, c, c / 1000 / s, p, p / 1000 / s, c / p }'
done
