#!/usr/bin/env bash
# Packs StepAudio, StepAudio.Notebooks and the `stepaudio` tool into artifacts/packages/ (or $1) under one new version,
# 0.1.0-dev.<UTC timestamp>: the notebook tool and NuGet cache a package by version, so a re-pack under an old one
# would be silently ignored. Notebooks in notebooks/ add this folder (made absolute) as a package source in their first cell.
# Prints the version on its last line. PACK_TOOL=0 skips the tool (its package carries LibTorch: ~30 s more).
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-artifacts/packages}")"
version="${STEPAUDIO_PACK_VERSION:-0.1.0-dev.$(date -u +%Y%m%d%H%M%S)}"
mkdir -p "$out"
# Build in a folder of its own: a pack rebuilds StepAudio under the pack's version, and in the repo's bin/ and obj/ that
# build replaced the assemblies the CLI and the tests were built against while they ran (tests spawning the CLI then
# failed to load StepAudio 1.0.0.0: seen when the notebook tests' pack overlapped the hermetic suite).
build="$(mktemp -d)"; trap 'rm -rf "$build"' EXIT
projects=(src/StepAudio src/StepAudio.Notebooks)
[[ "${PACK_TOOL:-1}" == 1 ]] && projects+=(src/StepAudio.Cli)
for p in "${projects[@]}"; do
  dotnet pack "$p" -c Release -o "$out" -p:Version="$version" -p:UseArtifactsOutput=true -p:ArtifactsPath="$build" -nologo -v quiet
done
echo "$version"
