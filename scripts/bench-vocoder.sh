#!/usr/bin/env bash
# Real-time factors of the two vocoders on 10 s of 24 kHz mel with 2 torch threads:
# HiFT at the shipped size (random weights) and Griffin-Lim with 32 iterations.
# Usage: scripts/bench-vocoder.sh [extra bench-vocoder options, e.g. --repeats 5]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/StepAudio.Cli -c Release -v q -nologo >/dev/null
exec dotnet src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll bench-vocoder \
  --seconds 10 --threads 2 --iterations 32 "$@"
