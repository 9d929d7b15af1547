#!/usr/bin/env bash
# Generates data-samples/: short synthetic speech clips (espeak-ng), their transcripts, and train/val manifests.
#
# Needs Debian's espeak-ng and sox. Output is deterministic (espeak-ng is; sox runs with -R and dither off), so
# re-running it reproduces the committed files byte for byte. Tests read the committed files, not this script.
#
#   scripts/make-data-samples.sh [OUT_DIR]     # default: data-samples/ next to scripts/
#
# Layout: OUT/audio/<speaker>/<clip>.wav (mono 16-bit) + <clip>.txt (UTF-8 transcript), OUT/train.jsonl, OUT/val.jsonl.
# Pairs cover clone (same speaker, different sentences), speed (same text, other rate), emotion (pitch and pitch
# range via SSML prosody) and style (espeak-ng's whisper variant). No clip is used by both splits.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/data-samples}"
for tool in espeak-ng sox soxi; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found — install it: sudo apt-get install espeak-ng sox" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out/audio" "$out/train.jsonl" "$out/val.jsonl"
mkdir -p "$out/audio"

# synth SPEAKER CLIP VOICE RATE_HZ SPEED PROSODY TEXT
#   VOICE: espeak-ng voice[+variant]; SPEED: words per minute; PROSODY: SSML <prosody> attributes ("" for none).
synth() {
  local speaker="$1" clip="$2" voice="$3" rate="$4" speed="$5" prosody="$6" text="$7"
  local dir="$out/audio/$speaker" raw="$tmp/$speaker-$clip.wav"
  mkdir -p "$dir"
  if [[ -n "$prosody" ]]; then
    espeak-ng -v "$voice" -s "$speed" -m -w "$raw" "<speak><prosody $prosody>$text</prosody></speak>"
  else
    espeak-ng -v "$voice" -s "$speed" -w "$raw" "$text"
  fi
  # Headroom, resample, trim espeak-ng's silence tails (below -60 dB), pad 0.1 s / 0.2 s of digital silence, then
  # normalise to -1 dBFS so no sample clips; -D: no dither (deterministic).
  sox -R "$raw" -D -b 16 -c 1 "$dir/$clip.wav" gain -6 rate -v "$rate" \
    silence 1 0.02 0.1% reverse silence 1 0.02 0.1% reverse pad 0.1 0.2 norm -1
  printf '%s\n' "$text" > "$dir/$clip.txt"
  local dur
  dur="$(soxi -D "$dir/$clip.wav")"
  if ! awk -v d="$dur" 'BEGIN { exit !(d >= 1.1 && d <= 4.0) }'; then
    echo "error: $speaker/$clip.wav lasts ${dur}s; keep clips within 1.1–4 s (shorten the text or change the speed)" >&2
    exit 1
  fi
}

# speaker  voice  sample rate  whisper rate  | sentences 01–03 train, 04–05 validation
declare -A voice=([en_us_male]=en-us [en_gb_female]=en-gb+f3 [cmn_male]=cmn)
declare -A srate=([en_us_male]=24000 [en_gb_female]=24000 [cmn_male]=16000)
declare -A wrate=([en_us_male]=24000 [en_gb_female]=22050 [cmn_male]=16000)
declare -A normal=([en_us_male]=165 [en_gb_female]=160 [cmn_male]=175)
declare -A s01 s02 s03 s04 s05
s01=([en_us_male]="The morning train was late again." [en_gb_female]="The garden looks lovely in the spring." [cmn_male]="今天天气很好。")
s02=([en_us_male]="Please put the red book on the shelf." [en_gb_female]="Could you open the window a little?" [cmn_male]="我们去公园散步吧。")
s03=([en_us_male]="We walked along the river after dinner." [en_gb_female]="The museum closes at six on Sundays." [cmn_male]="这本书非常有意思。")
s04=([en_us_male]="Bright stars filled the winter sky." [en_gb_female]="A cup of tea would be wonderful." [cmn_male]="明天早上见。")
s05=([en_us_male]="She found the keys under the sofa." [en_gb_female]="The children played football in the park." [cmn_male]="请把门关上。")

speakers=(en_us_male en_gb_female cmn_male)
happy='pitch="+40%" range="x-high"'
sad='pitch="-30%" range="x-low" rate="-15%"'

: > "$tmp/train.jsonl"
: > "$tmp/val.jsonl"
# pair SPLIT SPEAKER PROMPT_CLIP TARGET_CLIP EDIT_TYPE EDIT_INFO ("" for none)
pair() {
  local split="$1" spk="$2" p="$3" t="$4" et="$5" info="$6"
  local pt tt
  pt="$(<"$out/audio/$spk/$p.txt")"
  tt="$(<"$out/audio/$spk/$t.txt")"
  {
    printf '{"prompt_audio_path": "audio/%s/%s.wav", "prompt_text": "%s", ' "$spk" "$p" "$pt"
    printf '"target_audio_path": "audio/%s/%s.wav", "target_text": "%s", ' "$spk" "$t" "$tt"
    printf '"edit_type": "%s", ' "$et"
    [[ -n "$info" ]] && printf '"edit_info": "%s", ' "$info"
    printf '"speaker_id": "%s"}\n' "$spk"
  } >> "$tmp/$split.jsonl"
}

for spk in "${speakers[@]}"; do
  v="${voice[$spk]}" r="${srate[$spk]}" n="${normal[$spk]}"
  synth "$spk" 01 "$v" "$r" "$n" "" "${s01[$spk]}"
  synth "$spk" 01_fast "$v" "$r" $((n * 3 / 2)) "" "${s01[$spk]}"
  synth "$spk" 01_slow "$v" "$r" $((n * 3 / 4)) "" "${s01[$spk]}"
  synth "$spk" 02 "$v" "$r" "$n" "" "${s02[$spk]}"
  synth "$spk" 02_happy "$v" "$r" "$n" "$happy" "${s02[$spk]}"
  synth "$spk" 02_sad "$v" "$r" "$n" "$sad" "${s02[$spk]}"
  synth "$spk" 03 "$v" "$r" "$n" "" "${s03[$spk]}"
  synth "$spk" 03_whisper "${v%%+*}+whisper" "${wrate[$spk]}" "$n" "" "${s03[$spk]}"
  synth "$spk" 04 "$v" "$r" "$n" "" "${s04[$spk]}"
  synth "$spk" 04_fast "$v" "$r" $((n * 3 / 2)) "" "${s04[$spk]}"
  synth "$spk" 05 "$v" "$r" "$n" "" "${s05[$spk]}"

  pair train "$spk" 01 02 clone ""
  pair train "$spk" 02 03 clone ""
  pair train "$spk" 03 01 clone ""
  pair train "$spk" 01 01_fast speed faster
  pair train "$spk" 01 01_slow speed slower
  pair train "$spk" 02 02_happy emotion happy
  pair train "$spk" 02 02_sad emotion sad
  pair train "$spk" 03 03_whisper style whisper
  pair val "$spk" 04 05 clone ""
  pair val "$spk" 05 04 clone ""
  pair val "$spk" 04 04_fast speed faster
done

mv "$tmp/train.jsonl" "$out/train.jsonl"
mv "$tmp/val.jsonl" "$out/val.jsonl"
total="$(du -sb "$out" | cut -f1)"
clips="$(find "$out/audio" -name '*.wav' | wc -l)"
echo "wrote $clips clips, $(wc -l < "$out/train.jsonl") train + $(wc -l < "$out/val.jsonl") val pairs to $out ($((total / 1024)) KiB)"
