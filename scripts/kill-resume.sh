#!/usr/bin/env bash
# Kill-and-resume check of `stepaudio finetune`.
#
#   scripts/kill-resume.sh [KILLS] [--no-build] [--keep]      (KILLS defaults to 5; CI passes 3)
#
# Trains a short copy of the embedded default (configs/tiny.yaml on data-samples/: stage epochs 2/3/1, last/ saved
# every 3 steps, epoch checkpoints every 2 epochs) twice: once uninterrupted (the reference), once SIGKILLed (kill -9)
# KILLS times at varying moments - mid-epoch, while a checkpoint or last/ state is being written, right after a
# checkpoint and before the state that follows it, during the startup of a resume, during a validation - and resumed
# with --resume after each kill. After every kill it checks the run folder: every *.pt and *.safetensors written since
# the last check passes `stepaudio inspect`, last/LATEST names a complete state, JSON files are whole, and no
# half-written file carries a real file's name. At the end the killed run's metrics.jsonl must hold the reference's
# steps with the same loss, bit for bit (and every other field but the timing), its final last/ weights must equal the
# reference's byte for byte, and summary.json must report the same losses and steps.
#
# Needs only bash, coreutils, awk and the .NET SDK. Exit 0 when everything matches; 1 with a message naming what did
# not. Environment: KILL_RESUME_NO_BUILD=1 (= --no-build), KILL_RESUME_SEED (kill timing; default random),
# KILL_RESUME_WORK (work folder; default a new one under $TMPDIR, removed on success unless --keep),
# KILL_RESUME_SEGMENT_TIMEOUT (seconds one process may run, default 900), KILL_RESUME_REUSE_REF=1 (keep the reference
# run already in KILL_RESUME_WORK; for work on this script).
set -euo pipefail
shopt -s nullglob

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KILLS=5
BUILD=1
KEEP=0
[[ ${KILL_RESUME_NO_BUILD:-0} == 1 ]] && BUILD=0
for arg in "$@"; do
  case $arg in
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    ''|*[!0-9]*) echo "kill-resume: unknown argument '$arg' (usage: scripts/kill-resume.sh [KILLS] [--no-build] [--keep])" >&2; exit 2 ;;
    *) KILLS=$arg ;;
  esac
done
(( KILLS >= 1 )) || { echo "kill-resume: KILLS must be at least 1" >&2; exit 2; }
SEED=${KILL_RESUME_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
SEGMENT_TIMEOUT=${KILL_RESUME_SEGMENT_TIMEOUT:-900}
STATE_INTERVAL=3

fail() {
  echo "kill-resume: FAIL: $*" >&2
  [[ -n ${PID:-} ]] && kill -9 "$PID" 2>/dev/null || true
  [[ -n ${WORK:-} ]] && echo "kill-resume: the runs are kept in $WORK (reference: ref/, killed: killed/, output: *.out)" >&2
  exit 1
}
info() { echo "kill-resume: $*"; }

# A sleep without a fork: read with a timeout from a pipe nobody writes to.
exec {NAPFD}<> <(:)
nap() { read -r -t "$1" -u "$NAPFD" _ || true; }

# ---------------------------------------------------------------- build
CLI_DLL=$ROOT/src/StepAudio.Cli/bin/Release/net10.0/linux-x64/StepAudio.Cli.dll
T0=$SECONDS
if (( BUILD )); then
  info "building the CLI (Release)"
  dotnet build "$ROOT/src/StepAudio.Cli" -c Release -nologo -v q >/tmp/kill-resume-build.$$ 2>&1 \
    || { cat /tmp/kill-resume-build.$$ >&2; rm -f /tmp/kill-resume-build.$$; fail "dotnet build src/StepAudio.Cli -c Release failed"; }
  rm -f /tmp/kill-resume-build.$$
  info "built in $(( SECONDS - T0 )) s"
fi
[[ -f $CLI_DLL ]] || fail "$CLI_DLL not found: build with 'dotnet build src/StepAudio.Cli -c Release' or drop --no-build"
cli() { dotnet "$CLI_DLL" "$@"; }

# ---------------------------------------------------------------- config
if [[ -n ${KILL_RESUME_WORK:-} ]]; then WORK=$KILL_RESUME_WORK; mkdir -p "$WORK"; else WORK=$(mktemp -d "${TMPDIR:-/tmp}/kill-resume.XXXXXX"); fi
REUSE_REF=${KILL_RESUME_REUSE_REF:-0}   # 1: keep the reference run already in KILL_RESUME_WORK (to debug this script)
[[ -e $WORK/killed ]] && fail "$WORK already holds a killed run; give an empty KILL_RESUME_WORK"
(( REUSE_REF )) || [[ ! -e $WORK/ref ]] || fail "$WORK already holds a reference run; give an empty KILL_RESUME_WORK"
CONFIG=$WORK/config.yaml
# The shared feature cache, when one exists, saves the reference run the extraction; the copy keeps it private.
[[ -d $ROOT/data-samples/.cache && ! -e $WORK/cache ]] && cp -r "$ROOT/data-samples/.cache" "$WORK/cache"
sed -E \
  -e "s|^(\s*tokenizer_path:).*|\1 $ROOT/configs/tiny-tokenizer.model|" \
  -e "s|^(\s*train_path:).*|\1 $ROOT/data-samples/train.jsonl|" \
  -e "s|^(\s*val_path:).*|\1 $ROOT/data-samples/val.jsonl|" \
  -e "s|^(\s*cache_dir:).*|\1 $WORK/cache|" \
  -e "s|^(\s*ckpt_dir:).*|\1 $WORK/runs|" \
  -e "s|^(\s*stage1_epochs:).*|\1 2|" \
  -e "s|^(\s*stage2_epochs:).*|\1 3|" \
  -e "s|^(\s*stage3_epochs:).*|\1 1|" \
  -e "s|^(\s*save_interval:).*|\1 2|" \
  -e "s|^(\s*state_interval:).*|\1 $STATE_INTERVAL|" \
  -e "s|^(\s*sample_interval:).*|\1 0|" \
  "$ROOT/configs/tiny.yaml" >"$CONFIG"
for key in tokenizer_path train_path val_path cache_dir ckpt_dir stage1_epochs stage2_epochs stage3_epochs save_interval state_interval; do
  [[ $(grep -cE "^\s*$key:" "$CONFIG") == 1 ]] || fail "configs/tiny.yaml has no single '$key:' line to rewrite (update this script)"
done
cli check --config "$CONFIG" >"$WORK/check.out" 2>&1 || { cat "$WORK/check.out" >&2; fail "the derived config $CONFIG does not validate"; }

# ---------------------------------------------------------------- helpers on a run folder
# The highest step of a complete metrics.jsonl line (a line cut by a kill does not count).
last_step() { awk '/}$/ && match($0, /"step":[0-9]+/) { s = substr($0, RSTART + 7, RLENGTH - 7) } END { print s + 0 }' "$1/metrics.jsonl" 2>/dev/null || echo 0; }
# step loss per metrics line ("skipped" for a skipped step), and the whole line without its timing.
losses() { awk 'match($0, /"step":[0-9]+/) { s = substr($0, RSTART + 7, RLENGTH - 7); l = "skipped"; if (match($0, /,"loss":[^,}]*/)) l = substr($0, RSTART + 8, RLENGTH - 8); print s, l }' "$1"; }
untimed() { sed -E 's/,"seconds":[^,}]*//' "$1"; }
# Entries half-written files live in: AtomicFile's NAME.tmp-PID-GUID, TrainerState's last/.tmp-GUID/.
tmp_entries() { local f; for f in "$1"/last/.tmp-* "$1"/*.tmp-* "$1"/*/*.tmp-*; do echo "$f"; done; }
json_whole() {  # a JSON object file that is not cut: starts with { and ends with }
  [[ -s $1 ]] && [[ $(head -c 1 "$1") == '{' ]] && [[ $(tr -d ' \n\r\t' <"$1" | tail -c 1) == '}' ]]
}
state_field() { sed -nE "s/^  \"$2\": ([0-9]+),?$/\1/p" "$1/state.json"; }
latest_state() { local run=$1; [[ -f $run/last/LATEST ]] && echo "$run/last/$(tr -d ' \n\r' <"$run/last/LATEST")"; }

# Checks the folder of a stopped run; $2 is a marker file: only files newer than it (written since) are inspected.
check_folder() {
  local run=$1 marker=$2 f n=0 state
  if [[ -d $run/last ]]; then
    [[ -f $run/last/LATEST ]] || fail "$run/last/ exists but has no LATEST"
    state=$(latest_state "$run")
    [[ -d $state ]] || fail "last/LATEST names $(basename "$state"), which does not exist"
    for f in state.json weights.safetensors optimizer.bin; do
      [[ -s $state/$f ]] || fail "the state last/LATEST names lacks $f: $state"
    done
    json_whole "$state/state.json" || fail "$state/state.json is not a whole JSON object"
    [[ -n $(state_field "$state" global_step) ]] || fail "$state/state.json has no global_step"
    cli inspect "$state/weights.safetensors" >/dev/null 2>"$WORK/inspect.err" \
      || fail "stepaudio inspect fails on $state/weights.safetensors: $(cat "$WORK/inspect.err")"
    n=$((n + 1))
  fi
  for f in "$run"/*.pt "$run"/*/*.pt "$run"/*/*.safetensors; do
    [[ $f -nt $marker ]] || continue
    cli inspect "$f" >/dev/null 2>"$WORK/inspect.err" || fail "stepaudio inspect fails on $f: $(cat "$WORK/inspect.err")"
    n=$((n + 1))
  done
  for f in "$run"/run.json "$run"/summary.json "$run"/*/adapter_config.json; do
    [[ -e $f ]] || continue
    json_whole "$f" || fail "$f is not a whole JSON object"
  done
  [[ -f $run/run.json ]] || fail "$run lost its run.json"
  # Every line of metrics.jsonl but a last one cut by the kill is a whole object.
  if [[ -f $run/metrics.jsonl ]]; then
    local bad
    bad=$(awk -v last="$(wc -l <"$run/metrics.jsonl")" 'NR <= last && !/^\{"step":[0-9]+,.*\}$/ { print NR ": " $0 }' "$run/metrics.jsonl" | head -3 || true)
    [[ -z $bad ]] || fail "metrics.jsonl has broken lines: $bad"
  fi
  # Half-written files are left under temporary names only, which no reader takes for a real file.
  for f in $(tmp_entries "$run"); do
    case $(basename "$f") in
      .tmp-*|*.tmp-[0-9]*-*) ;;
      *) fail "unexpected temporary file name $f" ;;
    esac
    [[ $f == *.pt || $f == *.safetensors || $f == *.json || $f == *.jsonl ]] && fail "a temporary file carries a real extension: $f"
  done
  INSPECTED=$n
}

# ---------------------------------------------------------------- the reference run
info "work folder $WORK; kill timing seed $SEED"
REF=$WORK/ref
T1=$SECONDS
if (( REUSE_REF )) && [[ -f $REF/summary.json ]]; then
  info "reusing the reference run in $REF"
else
  cli finetune --config "$CONFIG" --output "$REF" --no-tensorboard >"$WORK/ref.out" 2>&1 \
    || { tail -20 "$WORK/ref.out" >&2; fail "the reference run failed"; }
fi
REF_SECONDS=$(( SECONDS - T1 ))
N=$(last_step "$REF")
(( N > 2 * STATE_INTERVAL )) || fail "the reference run made only $N steps"
info "reference run: $N steps in $REF_SECONDS s"

# ---------------------------------------------------------------- the killed run
RUN=$WORK/killed
OUT=$WORK/killed.out
MARKER=$WORK/.marker
# The last kill is mid-epoch late in the last stage (joint: its resume loads a two-group AdamW state); the others
# take these kinds in turn, at steps spread from just after the first save of last/ to that last kill.
KINDS=(during-write after-checkpoint validation resume-startup mid-epoch)
K_KIND=(); K_WHERE=(); K_STATE=(); K_REDO=()
PID=
SEG_START=0
LOG_LINES=0     # train.log lines before this segment
WATCH_LINES=0   # train.log lines before the moment a kill started watching for an event

start_segment() {  # $1: extra finetune options
  touch "$MARKER"
  LOG_LINES=$(log_lines)
  echo "===== segment $(( ${#K_KIND[@]} + 1 )): finetune $*" >>"$OUT"
  # The command itself in the background (not the cli function: that would put a subshell between $! and dotnet,
  # and kill -9 would leave the trainer running).
  # shellcheck disable=SC2086
  dotnet "$CLI_DLL" finetune --config "$CONFIG" --output "$RUN" --no-tensorboard $1 >>"$OUT" 2>&1 &
  PID=$!
  SEG_START=$SECONDS
  if [[ -r /proc/$PID/cmdline ]] && ! tr '\0' ' ' <"/proc/$PID/cmdline" | grep -q 'StepAudio.Cli.dll finetune'; then
    nap 0.2   # between fork and exec
    tr '\0' ' ' <"/proc/$PID/cmdline" | grep -q 'StepAudio.Cli.dll finetune' || fail "process $PID is not the trainer"
  fi
}
alive() {
  kill -0 "$PID" 2>/dev/null || return 1
  (( SECONDS - SEG_START < SEGMENT_TIMEOUT )) || fail "a finetune process ran over $SEGMENT_TIMEOUT s"
}
# Called when the process ended before the planned kill: only fine if it is the last segment.
ended_early() {
  local rc=0
  wait "$PID" || rc=$?
  PID=
  tail -5 "$OUT" >&2
  if (( rc == 0 )); then
    fail "the run finished (step $(last_step "$RUN") of $N) before kill $(( ${#K_KIND[@]} + 1 )) of $KILLS landed: use fewer kills"
  fi
  fail "a finetune process exited with $rc before it was killed"
}
wait_step() {  # until the run has completed step $1
  while (( $(last_step "$RUN") < $1 )); do alive || ended_early; nap 0.05; done
}
new_log() { tail -n +"$(( ${1:-$LOG_LINES} + 1 ))" "$RUN/train.log" 2>/dev/null || true; }
log_lines() { if [[ -f $RUN/train.log ]]; then wc -l <"$RUN/train.log"; else echo 0; fi; }
# Until a train.log line written since WATCH_LINES matches $1 (grep reads to the end: no SIGPIPE under pipefail).
wait_log() { until new_log "$WATCH_LINES" | grep -E "$1" >/dev/null; do alive || ended_early; nap 0.01; done; }
kill_now() { kill -9 "$PID" 2>/dev/null || true; }
trap '[[ -n ${PID:-} ]] && kill -9 "$PID" 2>/dev/null; true' EXIT

for (( i = 0; i < KILLS; i++ )); do
  kind=${KINDS[i % ${#KINDS[@]}]}
  (( i == KILLS - 1 )) && kind=mid-epoch
  # Kill i waits for step `target`: from just after the first state save (step $STATE_INTERVAL) to 3 steps before the end.
  target=$(( N - 3 ))
  (( i < KILLS - 1 )) && target=$(( STATE_INTERVAL + 1 + i * (N - 4 - STATE_INTERVAL) / (KILLS - 1) ))
  if (( i == 0 )); then start_segment ""; else start_segment "--resume"; fi
  before_tmp=" $(tmp_entries "$RUN" | tr '\n' ' ') "
  note=
  case $kind in
    mid-epoch)
      # A random moment (0-0.6 s) after the target step: mostly inside the next step, between two saves of last/.
      wait_step "$target"
      nap "0.$(printf %03d $(( RANDOM % 600 )))"
      alive || ended_early
      kill_now ;;
    during-write)
      # Poll (no forks) for a new temporary file or state folder and kill while it is there.
      wait_step "$target"
      declare -A seen=()
      for f in $(tmp_entries "$RUN"); do seen[$f]=1; done
      hit=
      while [[ -z $hit ]]; do
        for f in "$RUN"/last/.tmp-* "$RUN"/*.tmp-* "$RUN"/*/*.tmp-*; do
          [[ -n ${seen[$f]:-} ]] && continue
          kill_now; hit=$f; break
        done
        [[ -n $hit ]] && break
        alive || ended_early
        nap 0.002
      done
      unset seen
      note="aimed at the write of ${hit#"$RUN"/}"
      if [[ -e $hit ]]; then note=; fi ;;   # still there: the kill landed in that write (reported below)
    after-checkpoint)
      # Right after an LLM or flow checkpoint is saved, before the last/ state that follows it.
      wait_step "$target"
      WATCH_LINES=$(log_lines)
      wait_log 'saved (llm|flow) (best|epoch) checkpoint'
      kill_now
      note="right after: $(new_log "$WATCH_LINES" | grep -E 'saved (llm|flow) (best|epoch) checkpoint' | tail -1 | sed -E "s|^[0-9: -]+||; s|$RUN/||" || true)" ;;
    resume-startup)
      # While the resumed process loads (config, data, models, state) and rewrites metrics.jsonl.
      step0=$(last_step "$RUN")
      nap "$(( 1 + RANDOM % 2 )).$(printf %03d $(( RANDOM % 1000 )))"
      alive || ended_early
      kill_now
      note="$(( SECONDS - SEG_START )) s after the start" ;;
    validation)
      # During the validation after an epoch's last step.
      wait_step "$target"
      WATCH_LINES=$(log_lines)
      wait_log 'step [0-9]+ \(([0-9]+)/\1\)'
      nap 0.05
      alive || ended_early
      kill_now ;;
  esac
  krc=0
  wait "$PID" 2>/dev/null || krc=$?
  PID=
  (( krc == 137 )) || { tail -5 "$OUT" >&2; fail "kill $(( i + 1 )) came too late: the process had already exited with $krc"; }
  # Where it landed.
  at=$(last_step "$RUN")
  line=$(grep -E "^\{\"step\":$at," "$RUN/metrics.jsonl" | tail -1 || true)
  stage=$(sed -nE 's/.*"stage":([0-9]+).*/\1/p' <<<"$line")
  epoch=$(sed -nE 's/.*"epoch":([0-9]+).*/\1/p' <<<"$line")
  last_event=$(new_log | tail -1 | sed -E "s|^[0-9: -]+||; s|$RUN/||g; s/ \| .*//; s/: loss .*//; s/ checkpoint (last\/)?[^ ]+ / /" || true)
  left=""
  for f in $(tmp_entries "$RUN"); do [[ $before_tmp == *" $f "* ]] || left+=" ${f#"$RUN"/}"; done
  where="after step $at (stage ${stage:-?}, epoch ${epoch:-?}); last event: ${last_event:-none}"
  [[ -n $left ]] && where+="; killed mid-write, left:$left"
  [[ $kind == during-write && -z $left ]] && where+="; that write finished just before the kill"
  [[ -n $note ]] && where+="; $note"
  if [[ $kind == resume-startup ]] && (( at > step0 )); then where+="; (it had already made steps)"; fi
  check_folder "$RUN" "$MARKER"
  state=$(latest_state "$RUN") || fail "no last/LATEST after kill $(( i + 1 )) (step $at): nothing to resume from"
  from=$(state_field "$state" global_step)
  from+=" (stage $(( $(state_field "$state" stage_index) + 1 )), epoch $(state_field "$state" epoch), next window $(state_field "$state" next_window))"
  redo=$(( at - ${from%% *} ))
  K_KIND+=("$kind"); K_WHERE+=("$where"); K_STATE+=("$from"); K_REDO+=("$redo")
  info "kill $(( i + 1 ))/$KILLS ($kind): $where; resumes from step $from; $redo finished steps to redo; folder checked, $INSPECTED files inspected"
done

start_segment "--resume"
rc=0
while alive; do nap 0.2; done
wait "$PID" || rc=$?
PID=
(( rc == 0 )) || { tail -20 "$OUT" >&2; fail "the last resume exited with $rc"; }
grep -q "^done: $RUN" "$OUT" || fail "the last resume did not report 'done: $RUN'"
check_folder "$RUN" "$MARKER"   # files of earlier segments were checked after their kill
KILLED_SECONDS=$(( SECONDS - T1 - REF_SECONDS ))

# ---------------------------------------------------------------- compare with the reference
losses "$REF/metrics.jsonl" >"$WORK/ref.losses"
losses "$RUN/metrics.jsonl" >"$WORK/killed.losses"
seq 1 "$N" >"$WORK/steps.expected"
cut -d' ' -f1 "$WORK/ref.losses" | cmp -s - "$WORK/steps.expected" || fail "the reference metrics.jsonl does not hold steps 1..$N once each"
if ! cut -d' ' -f1 "$WORK/killed.losses" | cmp -s - "$WORK/steps.expected"; then
  dup=$(cut -d' ' -f1 "$WORK/killed.losses" | sort -n | uniq -d | head -5 | tr '\n' ' ' || true)
  fail "the killed run's metrics.jsonl does not hold steps 1..$N once each, in order (duplicated: ${dup:-none}; see $RUN/metrics.jsonl)"
fi
if ! diff "$WORK/ref.losses" "$WORK/killed.losses" >"$WORK/losses.diff"; then
  fail "per-step losses differ from the uninterrupted run (step loss, < reference, > killed):
$(head -10 "$WORK/losses.diff")"
fi
if ! diff <(untimed "$REF/metrics.jsonl") <(untimed "$RUN/metrics.jsonl") >"$WORK/metrics.diff"; then
  fail "losses match but other metrics (lr, grad_norm, llm/flow loss) differ:
$(head -6 "$WORK/metrics.diff")"
fi
ref_state=$(latest_state "$REF"); run_state=$(latest_state "$RUN")
cmp -s "$ref_state/weights.safetensors" "$run_state/weights.safetensors" \
  || fail "the final weights (last/ state) differ from the reference's"
summary_numbers() { grep -E '"(step0_llm_loss|step0_flow_loss|best_llm_loss|best_flow_loss|steps|skipped_steps|start_[a-z]+_loss|end_[a-z]+_loss|completed|cancelled)"' "$1/summary.json"; }
diff <(summary_numbers "$REF") <(summary_numbers "$RUN") >"$WORK/summary.diff" \
  || fail "summary.json differs from the reference's: $(head -6 "$WORK/summary.diff")"
resumes=$(grep -c 'resumed after step' "$RUN/train.log" || true)

# ---------------------------------------------------------------- report
redone=0; writes=0
for r in "${K_REDO[@]}"; do redone=$(( redone + r )); done
for w in "${K_WHERE[@]}"; do [[ $w == *"killed mid-write"* ]] && writes=$(( writes + 1 )); done
echo
echo "kill-resume report (seed $SEED)"
echo "  reference: $N steps in $REF_SECONDS s; killed run: $KILLS kills, $(( KILLS + 1 )) processes, $KILLED_SECONDS s (with checks); load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?)"
for (( i = 0; i < KILLS; i++ )); do
  echo "  kill $(( i + 1 )) [${K_KIND[i]}] ${K_WHERE[i]} -> resumed from step ${K_STATE[i]}, ${K_REDO[i]} finished steps redone"
done
echo "  steps redone in all: $redone; kills that landed mid-write: $writes; resumes that reached training: $resumes"
echo "  metrics.jsonl: steps 1..$N, every loss equal to the reference's (and lr, grad_norm, stage, epoch)"
echo "  final last/ weights equal byte for byte; summary.json losses equal; every checkpoint passed stepaudio inspect"
leftover=$(tmp_entries "$RUN" | wc -l)
(( leftover > 0 )) && echo "  $leftover temporary file(s) of interrupted writes remain under their .tmp- names (never read)"
(( writes > 0 )) || echo "  note: no kill caught a write in progress this time (the writes are short); rerun to try again"
echo "PASS"
(( KEEP )) || [[ -n ${KILL_RESUME_WORK:-} ]] || rm -rf "$WORK"
