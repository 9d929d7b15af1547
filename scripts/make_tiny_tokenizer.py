"""Builds configs/tiny-tokenizer.model, the text tokenizer of the tiny default (configs/tiny.yaml).

Run through scripts/make-tiny-tokenizer.sh, which checks the Debian packages (sentencepiece, python3-sentencepiece,
python3-protobuf). The product never runs Python: it reads the committed model with Microsoft.ML.Tokenizers.

Layout (mirrors Step-Audio-EditX's tokenizer.model, scaled down to Step1Config.Tiny: 1024 text ids + 5120 audio ids):

    0 <unk>   1 <s>   2 </s>   3 <|EOT|>   4 <|BOT|>         (control / user-defined, as in the real vocabulary)
    5..260    <0x00>..<0xFF>                              byte fallback pieces (spm_train puts them here)
    261..     unigram pieces learned from the corpus
    ..1023    <unused_N> (UNUSED) padding, when the corpus yields fewer than 1024 text pieces
    1024..6143 <audio_0>..<audio_5119> (USER_DEFINED, matched verbatim in text; id = 1024 + N)

The corpus is every prompt_text/target_text of data-samples/{train,val}.jsonl plus the fixed strings of the prompt
templates (Step1PromptTemplates in src/StepAudio/Llm/Step1Prompts.cs, with every option of upstream's edit types;
keep TEMPLATE_LINES in step with that file).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from sentencepiece import sentencepiece_model_pb2 as spm_pb2

TEXT_VOCAB = 1024  # Step1Config.Tiny.AudioTokenOffset
AUDIO_TOKENS = 5120  # vq02 1024 + vq06 4096 codes
CORPUS_NAME = "tiny-tokenizer-corpus.txt"  # recorded in trainer_spec.input; fixed so reruns give the same bytes

EMOTIONS = ["happy", "angry", "sad", "humour", "confusion", "disgusted", "empathy", "embarrass", "fear", "surprised",
            "excited", "depressed", "coldness", "admiration"]
STYLES = ["serious", "arrogant", "child", "older", "girl", "pure", "sister", "sweet", "ethereal", "whisper", "gentle",
          "recite", "generous", "act_coy", "warm", "shy", "comfort", "authority", "chat", "radio", "soulful", "story",
          "vivid", "program", "news", "advertising", "roar", "murmur", "shout", "deeply", "loudly", "exaggerated"]
SPEEDS = ["faster", "slower", "more faster", "more slower"]
PARALINGUISTIC_TAGS = ["[Breathing]", "[Laughter]", "[Surprise-oh]", "[Confirmation-en]", "[Uhm]", "[Surprise-ah]",
                       "[Surprise-wa]", "[Sigh]", "[Question-ei]", "[Dissatisfaction-hnn]"]

EDIT_SYSTEM_PROMPT = (
    "As a highly skilled audio editing and tuning specialist, you excel in interpreting user instructions and "
    "applying precise adjustments to meet their needs. Your expertise spans a wide range of enhancement "
    "capabilities, including but not limited to:\n# Emotional Enhancement\n# Speaking Style Transfer\n"
    "# Non-linguistic Adjustments\n# Audio Tuning & Editing\nNote: You will receive instructions in natural "
    "language and are expected to accurately interpret and execute the most suitable audio edits and enhancements.\n")


def template_lines():
    """The fixed text of every prompt, one corpus line per line of prompt text ('\\n' itself is a byte piece)."""
    out = ["system", "human", "assistant"]
    # AUDIO_EDIT_CLONE_SYSTEM_PROMPT_TPL around its placeholders; speaker names are clone_<16 hex digits>.
    out += ["Generate audio with the following timbre, prosody and speaking style", "[speaker_start]",
            "speaker name: clone_0123456789abcdef", "speaker prompt text: ", "speaker audio tokens: ", "[speaker_end]"]
    out += EDIT_SYSTEM_PROMPT.split("\n")
    for e in EMOTIONS + SPEEDS:
        out.append(f"Make the following audio more {e}. The text corresponding to the audio is: ")
    out.append("Remove any emotion in the following audio and the reference text is: ")
    for s in STYLES:
        out.append(f"Make the following audio more {s} style. The text corresponding to the audio is: ")
    out.append("Remove any speaking styles in the following audio and the reference text is: ")
    out.append("Remove any noise from the given audio while preserving the voice content clearly. Ensure that the "
               "speech quality remains intact with minimal distortion, and eliminate all noise from the audio.")
    out.append("Remove any silent portions from the given audio while preserving the voice content clearly. Ensure "
               "that the speech quality remains intact with minimal distortion, and eliminate all silence from the "
               "audio.")
    out.append("Add some non-verbal sounds to make the audio more natural, the new text is : " +
               "".join(PARALINGUISTIC_TAGS))
    out.append("  The text corresponding to the audio is: ")
    out += PARALINGUISTIC_TAGS
    return [line for line in out if line.strip()]


def transcript_lines(root):
    out = []
    for split in ("train", "val"):
        with open(os.path.join(root, "data-samples", f"{split}.jsonl"), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                record = json.loads(line)
                for key in ("prompt_text", "target_text"):
                    text = record.get(key)
                    if text and text not in out:
                        out.append(text)
    return out


def train(corpus_lines, workdir, spm_train):
    corpus = os.path.join(workdir, CORPUS_NAME)
    with open(corpus, "w", encoding="utf-8", newline="\n") as f:
        for line in corpus_lines:
            f.write(line + "\n")
    prefix = os.path.join(workdir, "tiny")
    # The options of the real tokenizer: unigram, byte fallback, identity normalizer, dummy prefix, whitespace kept.
    # vocab_size counts the 5 special and 256 byte pieces; the corpus is too small for 1024, hence the soft limit.
    args = [spm_train, f"--input={corpus}", f"--model_prefix={prefix}", "--model_type=unigram",
            f"--vocab_size={TEXT_VOCAB}", "--hard_vocab_limit=false", "--character_coverage=1.0",
            "--byte_fallback=true", "--unk_id=0", "--bos_id=1", "--eos_id=2", "--pad_id=-1",
            "--user_defined_symbols=<|EOT|>,<|BOT|>", "--normalization_rule_name=identity",
            "--remove_extra_whitespaces=false", "--add_dummy_prefix=true", "--split_digits=false",
            "--num_threads=1", "--random_seed=42", "--minloglevel=1"]
    subprocess.run(args, check=True, cwd=workdir)
    model = spm_pb2.ModelProto()
    with open(prefix + ".model", "rb") as f:
        model.ParseFromString(f.read())
    return model


def build(model):
    P = spm_pb2.ModelProto.SentencePiece
    pieces = model.pieces
    expect = {0: ("<unk>", P.UNKNOWN), 1: ("<s>", P.CONTROL), 2: ("</s>", P.CONTROL), 3: ("<|EOT|>", P.USER_DEFINED),
              4: ("<|BOT|>", P.USER_DEFINED)}
    for i, (piece, kind) in expect.items():
        if pieces[i].piece != piece or pieces[i].type != kind:
            sys.exit(f"error: piece {i} is {pieces[i].piece!r} (type {pieces[i].type}), expected {piece!r}")
    if pieces[5].piece != "<0x00>" or pieces[260].piece != "<0xFF>":
        sys.exit("error: byte pieces are not at ids 5..260")
    n = len(pieces)
    if n > TEXT_VOCAB:
        sys.exit(f"error: spm_train made {n} pieces, more than {TEXT_VOCAB}")
    # Pad to exactly 1024 text ids. UNUSED pieces are never produced by encoding; their score sits below every learned
    # piece so that no reader that ignores the type would prefer them.
    low = min(p.score for p in pieces if p.type == P.NORMAL) - 10.0
    for k in range(TEXT_VOCAB - n):
        p = pieces.add()
        p.piece, p.score, p.type = f"<unused_{k}>", low, P.UNUSED
    # Audio tokens: user-defined pieces (matched verbatim inside text, like upstream's added tokens), id 1024 + N.
    for k in range(AUDIO_TOKENS):
        p = pieces.add()
        p.piece, p.score, p.type = f"<audio_{k}>", 0.0, P.USER_DEFINED
    spec = model.trainer_spec
    del spec.input[:]
    spec.input.append(CORPUS_NAME)
    spec.model_prefix = "tiny-tokenizer"
    spec.vocab_size = len(pieces)
    return n


def check(path, lines):
    """Round trip through Python's sentencepiece: ids of the special pieces, audio pieces, no <unk>, exact decode."""
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=path)
    assert sp.get_piece_size() == TEXT_VOCAB + AUDIO_TOKENS, sp.get_piece_size()
    for piece, i in (("<unk>", 0), ("<s>", 1), ("</s>", 2), ("<|EOT|>", 3), ("<|BOT|>", 4), ("<audio_0>", TEXT_VOCAB),
                     (f"<audio_{AUDIO_TOKENS - 1}>", TEXT_VOCAB + AUDIO_TOKENS - 1)):
        assert sp.piece_to_id(piece) == i, (piece, sp.piece_to_id(piece), i)
    assert sp.encode("<audio_7><audio_5119>")[1:] == [TEXT_VOCAB + 7, TEXT_VOCAB + 5119]
    for line in lines:
        ids = sp.encode(line)
        assert 0 not in ids, line
        assert sp.decode(ids) == line, (line, sp.decode(ids))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.dirname(here), help="repository root")
    ap.add_argument("--out", help="output model (default: ROOT/configs/tiny-tokenizer.model)")
    ap.add_argument("--spm-train", default="spm_train")
    ap.add_argument("--keep-corpus", help="also write the training corpus here")
    a = ap.parse_args()
    out = a.out or os.path.join(a.root, "configs", "tiny-tokenizer.model")

    lines = transcript_lines(a.root) + template_lines()
    with tempfile.TemporaryDirectory() as tmp:
        model = train(lines, tmp, a.spm_train)
    learned = build(model)
    data = model.SerializeToString(deterministic=True)
    with open(out, "wb") as f:
        f.write(data)
    if a.keep_corpus:
        with open(a.keep_corpus, "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(line + "\n" for line in lines))
    check(out, lines)
    print(f"{out}: {len(data)} bytes; {learned} trained pieces + {TEXT_VOCAB - learned} <unused_N> = {TEXT_VOCAB} "
          f"text ids, <audio_0>..<audio_{AUDIO_TOKENS - 1}> at {TEXT_VOCAB}..{TEXT_VOCAB + AUDIO_TOKENS - 1}")


if __name__ == "__main__":
    main()
