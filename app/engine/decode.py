"""One greedy Whisper decode, or several sessions' decodes as one batched CTranslate2 call.

A `Request` is what one decode needs: the audio, the language, the user's prompt (kept
whole), the session's recent text (its oldest tokens give way first), how much silence pads
the encoder window, and whether word timings are wanted. `decode_batch` runs requests that
share a `batch_key` as one `encode` and one `generate` (and one `align`): on 2 cores, six
partials took 0.7 s together against 1.6 s one by one. CTranslate2 wants every member of a
batch to have the same number of feature frames and the start-of-transcript token at the
same position, so the window is rounded up to a whole `WINDOW_STEP_S` and the recent text is
cut to leave the prompt a whole number of `PROMPT_STEP` tokens: members of one batch then get
exactly the input they would get alone, and the same text (greedy decoding stops for each
member on its own; one member's longer budget is cut back to its own); word timings agree
to a frame (20 ms), int8 arithmetic over a batch moving a cross-attention weight now and then.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16000
# Whisper's own rule for a segment that is really silence: the no-speech token is likely
# and the text unlikely. The VAD keeps silence from reaching the decoder at all; this
# catches noise that the VAD let through.
NO_SPEECH_PROB = 0.6
LOG_PROB_FLOOR = -1.0
# Whisper's encoder is built for 30 s windows, and encoding a whole window costs ~0.8 s on a
# 2-core machine whatever the clip length. A dictation segment is a few seconds, so we encode
# only the clip plus this much silence: ~3x faster, with the same words on our fixtures.
# With less padding the decoder loops on clips cut mid-word (1 s: 6 of 55 cuts looped;
# 3 s: 1; 5 s: none), and a decode that still looks looped is redone on the full window.
CONTEXT_PAD_S = 5.0
FULL_WINDOW_S = 30.0
WINDOW_STEP_S = 1.0  # encoder windows come in whole steps, so that sessions can share a batch
PROMPT_STEP = 8  # prompts come in whole steps of tokens, for the same reason
MAX_PROMPT_TOKENS = 223  # Whisper's limit for the previous-text prompt
MAX_COMPRESSION = 2.4  # a higher zlib ratio means the decoder looped: decode again, fully


def looks_looped(text: str) -> bool:
    """Whisper's failure on cut-off audio: a phrase said again, or text that compresses too well."""
    data = text.encode()
    if data and len(data) / len(zlib.compress(data)) > MAX_COMPRESSION:
        return True
    words = [w.strip(".,!?;:") for w in text.lower().split()]
    grams = [tuple(words[i : i + 4]) for i in range(len(words) - 3)]
    if len(grams) != len(set(grams)):
        return True
    # Short loops ("Fairly. Fairly. Fairly. Fairly") have no repeated 4-gram: a word or
    # two said again and again back to back is a loop too.
    for n, times in ((1, 4), (2, 3), (3, 3)):
        for i in range(len(words) - n * times + 1):
            gram = words[i : i + n]
            if all(words[i + k * n : i + (k + 1) * n] == gram for k in range(1, times)):
                return True
    return False


@dataclass(frozen=True)
class Word:
    """One decoded word and where it lies in the clip (seconds from the clip's start)."""

    text: str
    start: float
    end: float


@dataclass
class Transcript:
    """A decode's text, with word timings when they were asked for."""

    text: str
    words: list[Word] = field(default_factory=list)
    looped: bool = False  # the text looks looped (see `looks_looped`)


@dataclass(frozen=True, eq=False)
class Request:
    """One decode: `audio` is 16 kHz float; `prompt` the user's, `context` recent text."""

    audio: npt.NDArray[np.float32]
    language: str | None = None
    prompt: str | None = None
    context: str | None = None
    pad_s: float = CONTEXT_PAD_S
    words: bool = False
    # A decode that looks looped is redone over full windows; a partial says False and
    # gets the looped text back (it is then not shown), which costs nothing more.
    fallback: bool = True

    @property
    def window_s(self) -> float:
        needed = self.audio.size / SAMPLE_RATE + self.pad_s
        return min(FULL_WINDOW_S, math.ceil(needed / WINDOW_STEP_S) * WINDOW_STEP_S)


class Prepared:
    """A request with its tokens worked out, ready to join a batch. `tokenizers` gives the
    tokenizer of a language (the one detected, for a request that names none)."""

    def __init__(self, request: Request, tokenizers: Callable[[str | None], Any]) -> None:
        self.request = request
        self.tokenizers = tokenizers
        self.tokenizer = tokenizers(request.language)
        self.prompt = prompt_tokens(self.tokenizer, request.prompt, request.context)
        self.start = self._start()
        seconds = request.audio.size / SAMPLE_RATE
        # CTranslate2 counts the prompt in `max_length`: the budget for new words comes on
        # top of it, or a long prompt leaves no room for any text at all.
        self.max_length = min(448, len(self.start) + int(seconds * 12) + 16)

    def _start(self) -> list[int]:
        return [*self.prompt, *self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]

    def detected(self, language: str) -> None:
        """The language was detected: its start-of-transcript sequence (same length)."""
        self.tokenizer = self.tokenizers(language)
        self.start = self._start()


def prompt_tokens(tokenizer: Any, prompt: str | None, context: str | None) -> list[int]:
    """`<|startofprev|>` and the prompt's tokens, the user's first. The recent text loses
    its oldest words until the count is a whole number of `PROMPT_STEP`s (its oldest tokens,
    where no whole number of words gets there)."""
    user = tokenizer.encode(" " + prompt.strip()) if prompt and prompt.strip() else []
    words = context.split() if context else []
    recent: list[int] = []
    for first in range(len(words)):
        recent = tokenizer.encode(" " + " ".join(words[first:]))
        total = len(user) + len(recent)
        if total <= PROMPT_STEP or (total % PROMPT_STEP == 0 and total <= MAX_PROMPT_TOKENS):
            break
        if len(recent) < PROMPT_STEP:  # no whole words get there: cut tokens instead
            recent = tokenizer.encode(" " + " ".join(words))
            break
    tokens = [*user, *recent][-MAX_PROMPT_TOKENS:]
    cut = len(tokens) % PROMPT_STEP
    if len(tokens) > PROMPT_STEP and cut and len(recent) > cut:
        kept_user = max(0, len(tokens) - len(recent))
        tokens = tokens[:kept_user] + tokens[kept_user + cut :]
    return [tokenizer.sot_prev, *tokens] if tokens else []


def batch_key(prepared: Prepared) -> tuple[Any, ...]:
    """Requests with the same key can run as one batch."""
    r = prepared.request
    return (r.language, len(prepared.start), r.words, r.window_s)


def decode_batch(model: Any, items: list[Prepared]) -> list[Transcript]:
    """One encode and one generate (and one align) for requests sharing a `batch_key`.
    A member whose text looks looped says so (`looped`): its caller decides what to do."""
    import ctranslate2

    frames = int(items[0].request.window_s * 100)
    features = []
    for item in items:
        audio = item.request.audio
        padded = np.zeros(frames * 160, np.float32)
        padded[: audio.size] = audio[: padded.size]
        mel = model.feature_extractor(padded)
        features.append(mel[:, :frames])
    batch = np.ascontiguousarray(np.stack(features))
    encoded = model.model.encode(ctranslate2.StorageView.from_array(batch))
    if model.model.is_multilingual and any(item.request.language is None for item in items):
        found = model.model.detect_language(encoded)
        for item, ranked in zip(items, found, strict=True):
            if item.request.language is None:
                item.detected(ranked[0][0][2:-2])
    results = model.model.generate(
        encoded,
        [item.start for item in items],
        beam_size=1,
        max_length=max(item.max_length for item in items),
        return_scores=True,
        return_no_speech_prob=True,
        suppress_blank=True,
        suppress_tokens=[-1],
    )
    out: list[Transcript] = []
    ids_of: list[list[int]] = []
    for item, result in zip(items, results, strict=True):
        tokenizer = item.tokenizer
        budget = item.max_length - len(item.start)
        ids = [t for t in result.sequences_ids[0] if t < tokenizer.eot][:budget]
        ids_of.append(ids)
        avg_logprob = result.scores[0] * len(ids) / (len(ids) + 1) if ids else 0.0
        if result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOG_PROB_FLOOR:
            out.append(Transcript(""))
            continue
        text = str(tokenizer.decode(ids)).strip()
        out.append(Transcript(text, looped=looks_looped(text)))
    if items[0].request.words:
        _align(model, items, encoded, ids_of, out)
    return out


def _align(
    model: Any,
    items: list[Prepared],
    encoded: Any,
    ids_of: list[list[int]],
    out: list[Transcript],
) -> None:
    """Word timings (cross-attention) for the members that have text."""
    import ctranslate2

    rows = [i for i, t in enumerate(out) if t.text and not t.looped and ids_of[i]]
    if not rows:
        return
    if len(rows) < len(items):
        kept = np.ascontiguousarray(np.asarray(encoded)[rows])
        encoded = ctranslate2.StorageView.from_array(kept)
    tokenizer = items[rows[0]].tokenizer
    frames = [items[i].request.audio.size // 160 for i in rows]
    aligned = model.find_alignment(tokenizer, [ids_of[i] for i in rows], encoded, frames)
    for i, words in zip(rows, aligned, strict=True):
        out[i].words = [Word(w["word"], float(w["start"]), float(w["end"])) for w in words]
