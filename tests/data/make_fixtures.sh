#!/usr/bin/env bash
# Regenerates the speech fixtures of tests/data from texts.json (espeak-ng + sox).
# The WAVs are committed, so tests do not need this; it documents where they came from.
set -euo pipefail
cd "$(dirname "$0")"
python3 - <<'PY'
import json, subprocess
texts = json.load(open("texts.json"))
voices = {"delete": "en", "paragraph": "en"}  # tiny.en hears en-us "new", "that" badly
for name, text in texts.items():
    subprocess.run(["espeak-ng", "-v", voices.get(name, "en-us"), "-s", "160", "-w", f"{name}.raw.wav", text], check=True)
    subprocess.run(["sox", f"{name}.raw.wav", "-r", "16000", "-c", "1", "-b", "16", f"{name}.wav"], check=True)
    subprocess.run(["rm", f"{name}.raw.wav"], check=True)
PY
