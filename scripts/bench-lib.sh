# Shared by the C#-vs-PyTorch bench scripts (bench-features.sh, bench-tokenizer.sh); sourced from the repository root.

# bench_setup MODULES: TMP (removed on exit), the CLI built in Release (CLI), PY and HAVE_PY (1 when PY imports the
# comma-separated MODULES), and the PyTorch side's machine line for $THREADS threads.
bench_setup() {
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  dotnet build src/StepAudio.Cli -c Release -v q -nologo > "$TMP/build.log" || { cat "$TMP/build.log"; exit 1; }
  CLI=src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll
  PY=/usr/bin/python3
  HAVE_PY=1
  "$PY" -c "import $1" 2>/dev/null || HAVE_PY=0
  if [ "$HAVE_PY" = 1 ]; then "$PY" scripts/bench_machine.py "$THREADS"; fi
}

# best SIDE WHAT FIELD: the smallest FIELD of the RESULT lines named WHAT over every round of SIDE (cs or py).
best() { cat "$TMP"/"$1".*.txt | awk -v w="$2" -v f="$3" '$1=="RESULT" && $2==w {
  for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1]==f && (m=="" || kv[2]+0 < m)) m = kv[2]+0 } }
  END { print m }'; }
