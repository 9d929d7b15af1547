#!/usr/bin/env bash
# Writes DIR/Step-Audio-EditX/: the real Step1 configuration (32 layers, hidden 3072, vocab 74752) with seeded random
# weights in the released layout — two bf16 safetensors shards (~4 GB + ~3 GB), model.safetensors.index.json,
# config.json, and a tokenizer.model with the real vocabulary's layout (74752 ids, <audio_0> at 65536) whose text
# pieces are those of configs/tiny-tokenizer.model (the real tokenizer is not redistributable here) — and
# CosyVoice-300M-25Hz/flow.pt and hift.pt: the released flow (DiT depth 16) and 24 kHz HiFT as fp32
# torch.save(state_dict) files under upstream's keys. Parts already there at these sizes are kept, so a re-run only
# adds what is missing. Streams the LLM tensor by tensor: peak memory ~2 GB, 7.06 GB + ~0.4 GB of disk.
#   scripts/make-real-size.sh DIR [SEED]
set -euo pipefail
DIR=${1:?usage: scripts/make-real-size.sh DIR [SEED]}
SEED=${2:-42}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
dotnet build "$ROOT/src/StepAudio.Cli" -c Release -v quiet -nologo >/dev/null
dotnet "$ROOT/src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll" make-random-model --out "$DIR" \
  --llm step-audio-editx --seed "$SEED" --tokenizer-from "$ROOT/configs/tiny-tokenizer.model" --flow --skip-existing
