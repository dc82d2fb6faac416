"""Speech recognition: faster-whisper models, loaded once and shared by every session.

`ModelRegistry` loads each model once (the first on start, others on first request) and
reports how long it took. `Recognizer.transcribe` is the one decode call of the engine: greedy
(beam 1, temperature 0, no timestamps) over an encoder window cut to the clip, so that
partials are cheap and the final of a segment matches the partial it may reuse. It runs on
worker threads; CTranslate2 releases the GIL.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.blas import limit_blas_threads
from app.engine.models import ModelNotAvailableError, ModelSpec, available_ids, resolve

log = logging.getLogger(__name__)

# Whisper's own rule for a segment that is really silence: the no-speech token is likely
# and the text unlikely. The VAD keeps silence from reaching the decoder at all; this
# catches noise that the VAD let through.
NO_SPEECH_PROB = 0.6
LOG_PROB_FLOOR = -1.0


def pick_device(device: str) -> tuple[str, str]:
    """(device, why): "auto" is CUDA when CTranslate2 sees a GPU, else the CPU, with the reason."""
    if device != "auto":
        return device, "as asked"
    try:
        import ctranslate2

        count = ctranslate2.get_cuda_device_count()
    except Exception as exc:
        return "cpu", f"CUDA unavailable ({exc})"
    if count > 0:
        return "cuda", f"{count} CUDA device(s) found"
    return "cpu", "no CUDA device found"


# Whisper's encoder is built for 30 s windows, and encoding a whole window costs ~0.8 s on a
# 2-core machine whatever the clip length. A dictation segment is a few seconds, so we encode
# only the clip plus this much silence: ~3x faster, with the same words on our fixtures.
# With less padding the decoder loops on clips cut mid-word (1 s: 6 of 55 cuts looped;
# 3 s: 1; 5 s: none), and a decode that still looks looped is redone on the full window.
CONTEXT_PAD_S = 5.0
FULL_WINDOW_S = 30.0
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
    """A decode with word timings: what a final cut in the middle of speech needs."""

    text: str
    words: list[Word] = field(default_factory=list)


@dataclass
class Recognizer:
    """One loaded model; `transcribe` may be called from several threads at once."""

    spec: ModelSpec
    model: Any  # faster_whisper.WhisperModel
    device: str
    load_seconds: float
    device_note: str = ""  # why this device: "no CUDA device found", "CUDA failed (...)"

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    def transcribe(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None = None,
        prompt: str | None = None,
    ) -> str:
        """The words in `audio` (16 kHz float), or "" when Whisper itself says it is silence."""
        if audio.size < 1600:  # under 0.1 s: nothing a person said
            return ""
        if self.spec.english_only:
            language = "en"
        if audio.size / 16000 + CONTEXT_PAD_S < FULL_WINDOW_S:
            found = self._short_context(audio, language, prompt)
            if found is not None:
                return found.text
        return self._full_windows(audio, language, prompt)

    def transcribe_words(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Like `transcribe`, with each word's timing (cross-attention alignment), so that a
        segment cut in the middle of speech can be finalized at a word boundary. Words are
        empty where only the fallback path could decode the clip."""
        if audio.size < 1600:
            return Transcript("")
        if self.spec.english_only:
            language = "en"
        if audio.size / 16000 + CONTEXT_PAD_S < FULL_WINDOW_S:
            found = self._short_context(audio, language, prompt, words=True)
            if found is not None:
                return found
        return Transcript(self._full_windows(audio, language, prompt))

    def _short_context(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None,
        prompt: str | None,
        words: bool = False,
    ) -> Transcript | None:
        """One greedy decode over a shortened encoder window; None asks for the full path."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer

        padded = np.concatenate([audio, np.zeros(int(CONTEXT_PAD_S * 16000), np.float32)])
        features = self.model.feature_extractor(padded)
        frames = min(features.shape[-1] // 2 * 2, 3000)
        batch = np.ascontiguousarray(features[None, :, :frames])
        encoded = self.model.model.encode(ctranslate2.StorageView.from_array(batch))
        if language is None and self.model.model.is_multilingual:
            token, _prob = self.model.model.detect_language(encoded)[0][0]
            language = token[2:-2]
        tokenizer = Tokenizer(
            self.model.hf_tokenizer,
            self.model.model.is_multilingual,
            task="transcribe",
            language=language or "en",
        )
        tokens: list[int] = []
        if prompt:
            tokens = [tokenizer.sot_prev, *tokenizer.encode(" " + prompt.strip())[-223:]]
        tokens += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        result = self.model.model.generate(
            encoded,
            [tokens],
            beam_size=1,
            # CTranslate2 counts the prompt in `max_length`: the budget for new words comes
            # on top of it, or a long prompt leaves no room for any text at all.
            max_length=min(448, len(tokens) + int(audio.size / 16000 * 12) + 16),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
        )[0]
        ids = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
        avg_logprob = result.scores[0] * len(ids) / (len(ids) + 1) if ids else 0.0
        if result.no_speech_prob > NO_SPEECH_PROB and avg_logprob < LOG_PROB_FLOOR:
            return Transcript("")
        text = str(tokenizer.decode(ids)).strip()
        if looks_looped(text):
            return None
        if not words or not ids:
            return Transcript(text)
        aligned = self.model.find_alignment(tokenizer, [ids], encoded, audio.size // 160)
        timed = [Word(w["word"], float(w["start"]), float(w["end"])) for w in aligned[0]]
        return Transcript(text, timed)

    def _full_windows(
        self, audio: npt.NDArray[np.float32], language: str | None, prompt: str | None
    ) -> str:
        """faster-whisper's own 30 s windows: for long buffers and as the fallback."""
        segments, _info = self.model.transcribe(
            audio,
            language=language or None,
            task="transcribe",
            beam_size=1,
            best_of=1,
            temperature=0.0,
            without_timestamps=True,
            condition_on_previous_text=False,
            initial_prompt=prompt or None,
            vad_filter=False,
            no_speech_threshold=NO_SPEECH_PROB,
            log_prob_threshold=LOG_PROB_FLOOR,
        )
        parts = [
            s.text.strip()
            for s in segments
            if not (s.no_speech_prob > NO_SPEECH_PROB and s.avg_logprob < LOG_PROB_FLOOR)
        ]
        return " ".join(p for p in parts if p)


def _load(spec: ModelSpec, device: str, workers: int) -> Any:
    from faster_whisper import WhisperModel

    limit_blas_threads()
    # The workers share the cores: each decode on cores / workers threads. Two threads per
    # decode on 2 cores with 2 workers cost 40 % more CPU for the same wall time (threads
    # that wait spin), and a second decode then had no core of its own.
    return WhisperModel(
        spec.path,
        device=device,
        compute_type="int8" if device == "cpu" else "float16",
        cpu_threads=max(1, (os.cpu_count() or 2) // max(1, workers)),
        num_workers=workers,
    )


def load_recognizer(spec: ModelSpec, device: str = "auto", workers: int = 2) -> Recognizer:
    """Load `spec` on the device asked for; with "auto", a GPU whose CUDA libraries are
    missing (cuBLAS, cuDNN) falls back to the CPU and `device_note` says why in one line."""
    chosen, why = pick_device(device)
    started = time.perf_counter()
    try:
        model = _load(spec, chosen, workers)
    except Exception as exc:
        if device != "auto" or chosen == "cpu":
            raise
        why = f"CUDA failed ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        log.warning("%s: %s, falling back to the CPU", spec.model_id, why)
        chosen = "cpu"
        model = _load(spec, chosen, workers)
    elapsed = time.perf_counter() - started
    log.info("loaded %s on %s (%s) in %.2f s", spec.model_id, chosen, why, elapsed)
    return Recognizer(spec, model, chosen, elapsed, why)


class ModelRegistry:
    """Loads each model id once; thread-safe. A model that is loading holds only its own
    lock: sessions of models already loaded are answered at once meanwhile, which is what
    lets the app switch models in the background while the old one serves."""

    def __init__(self, device: str = "auto", workers: int = 2) -> None:
        self.device = device
        self.workers = workers
        self._lock = threading.Lock()  # guards the two dicts, never held while loading
        self._loaded: dict[str, Recognizer] = {}
        self._loading: dict[str, threading.Lock] = {}

    def loaded(self, model_id: str) -> Recognizer | None:
        with self._lock:
            return self._loaded.get(model_id)

    def get(self, model_id: str) -> Recognizer:
        """The recognizer for `model_id`; raises ModelNotAvailableError if it cannot load."""
        found = self.loaded(model_id)
        if found is not None:
            return found
        spec = resolve(model_id)
        with self._lock:
            found = self._loaded.get(spec.model_id)
            if found is not None:
                return found
            gate = self._loading.setdefault(spec.model_id, threading.Lock())
        with gate:  # a second request for the same model waits for the first load
            found = self.loaded(spec.model_id)
            if found is not None:
                return found
            try:
                recognizer = load_recognizer(spec, self.device, self.workers)
            except Exception as exc:
                raise ModelNotAvailableError(model_id, self.available(), str(exc)) from exc
            with self._lock:
                self._loaded[spec.model_id] = recognizer
                self._loaded[model_id] = recognizer
            return recognizer

    def available(self) -> list[str]:
        ids = set(available_ids())
        with self._lock:
            ids.update(r.model_id for r in self._loaded.values())
        return sorted(ids)
