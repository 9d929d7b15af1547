#!/usr/bin/env bash
# Regenerates configs/tiny-tokenizer.model, the SentencePiece text tokenizer of the tiny default (configs/tiny.yaml):
# a unigram model with byte fallback trained on data-samples/ transcripts and the prompt templates, <s>=1, <|EOT|>=3,
# <|BOT|>=4, exactly 1024 text ids, then <audio_0>..<audio_5119> at ids 1024..6143 (Step1Config.Tiny).
# See scripts/make_tiny_tokenizer.py for the layout.
#
# Needs Debian's sentencepiece (spm_train) and the Python bindings of the system Python:
#   sudo apt-get install sentencepiece python3-sentencepiece python3-protobuf
# Deterministic: spm_train runs single-threaded with a fixed seed, and the model is serialized deterministically, so
# re-running it reproduces the committed file byte for byte (checked with sentencepiece 0.1.97, Debian 12). The
# product reads the committed file; only this maintenance script needs Python.
#
#   scripts/make-tiny-tokenizer.sh [OUT_MODEL]     # default: configs/tiny-tokenizer.model
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/configs/tiny-tokenizer.model}"
# Debian's python3-sentencepiece installs into the system Python, which a pyenv or conda python3 on PATH would hide.
py="${PYTHON:-/usr/bin/python3}"
hint="install them: sudo apt-get install sentencepiece python3-sentencepiece python3-protobuf"
command -v spm_train >/dev/null || { echo "error: spm_train not found — $hint" >&2; exit 1; }
"$py" -c 'import sentencepiece, google.protobuf; from sentencepiece import sentencepiece_model_pb2' 2>/dev/null ||
  { echo "error: $py cannot import sentencepiece and protobuf — $hint (or set PYTHON)" >&2; exit 1; }

exec "$py" "$root/scripts/make_tiny_tokenizer.py" --root "$root" --out "$out"
