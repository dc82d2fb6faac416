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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine import memory
from app.engine.blas import limit_blas_threads
from app.engine.decode import (
    FULL_WINDOW_S,
    LOG_PROB_FLOOR,
    NO_SPEECH_PROB,
    Prepared,
    Request,
    Transcript,
    batch_key,
    decode_batch,
)
from app.engine.models import ModelNotAvailableError, ModelSpec, available_ids, resolve
from app.engine.repeats import has_repeat, squeezed_copy, text_of

log = logging.getLogger(__name__)


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


@dataclass
class Recognizer:
    """One loaded model; `transcribe` may be called from several threads at once."""

    spec: ModelSpec
    model: Any  # faster_whisper.WhisperModel
    device: str
    load_seconds: float
    device_note: str = ""  # why this device: "no CUDA device found", "CUDA failed (...)"
    _tokenizers: dict[str, Any] = field(default_factory=dict, repr=False)

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
        return self.decode([Request(audio, language, prompt)])[0].text

    def transcribe_words(
        self,
        audio: npt.NDArray[np.float32],
        language: str | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Like `transcribe`, with each word's timing (cross-attention alignment), so that a
        segment cut in the middle of speech can be finalized at a word boundary. Words are
        empty where only the fallback path could decode the clip."""
        return self.decode([Request(audio, language, prompt, words=True)])[0]

    def tokenizer(self, language: str | None) -> Any:
        """The tokenizer for transcribing `language` (made once per language)."""
        from faster_whisper.tokenizer import Tokenizer

        key = "en" if self.spec.english_only or not language else language
        found = self._tokenizers.get(key)
        if found is None:
            found = Tokenizer(
                self.model.hf_tokenizer,
                self.model.model.is_multilingual,
                task="transcribe",
                language=key,
            )
            self._tokenizers[key] = found
        return found

    def prepare(self, request: Request) -> Prepared | None:
        """The request ready for a batch; None where it must take the full-window path."""
        if self.spec.english_only:
            request = replace(request, language="en")
        if request.audio.size / 16000 + request.pad_s >= FULL_WINDOW_S:
            return None
        return Prepared(request, self.tokenizer)

    def decode(self, requests: list[Request]) -> list[Transcript]:
        """Decode every request, those that share a `batch_key` as one batch. Clips under
        0.1 s are silence; a looped decode is redone over full windows where the request
        allows it. Thread-safe: CTranslate2 runs it on one of its replicas."""
        out: list[Transcript | None] = [None] * len(requests)
        groups: dict[tuple[Any, ...], list[tuple[int, Prepared]]] = {}
        for i, request in enumerate(requests):
            if request.audio.size < 1600:  # under 0.1 s: nothing a person said
                out[i] = Transcript("")
                continue
            prepared = self.prepare(request)
            if prepared is None:
                out[i] = Transcript(self._full_windows(request))
            else:
                groups.setdefault(batch_key(prepared), []).append((i, prepared))
        for members in groups.values():
            found = self.decode_prepared([p for _, p in members])
            for (i, _), transcript in zip(members, found, strict=True):
                out[i] = transcript
        return [t if t is not None else Transcript("") for t in out]

    def decode_prepared(self, items: list[Prepared]) -> list[Transcript]:
        """One batch of prepared requests that share a `batch_key` (see `decode`)."""
        found = decode_batch(self.model, items)
        return [self._checked(p.request, t) for p, t in zip(items, found, strict=True)]

    def _checked(self, request: Request, found: Transcript) -> Transcript:
        """A final's text as the audio holds it: a loop is decoded again, and so is a phrase
        written twice where the word timings show one copy squeezed into no time."""
        if not request.fallback:
            return found  # a partial: the session does not show what looks wrong
        if found.looped:
            return self._again(request)
        if not has_repeat(found.text):
            return found
        timed = found if found.words else self._one(replace(request, words=True))
        squeezed = squeezed_copy(timed.words) if timed.words else None
        if squeezed is None:
            return found  # no timings to judge by, or both copies were said: keep them
        log.info("a phrase written twice over one copy of speech: decoding again")
        # The recent text is the usual trigger, and the exact end of the window another.
        for retry in (
            replace(request, context=None, pad_s=request.pad_s + 1),
            replace(request, context=None, pad_s=request.pad_s + 3),
        ):
            again = self._one(retry)
            if again.text and not again.looped and not has_repeat(again.text):
                return again
        return Transcript(text_of(squeezed), squeezed if request.words else [])

    def _one(self, request: Request) -> Transcript:
        """One decode of one request, no checks (the full-window path where it must)."""
        prepared = self.prepare(request)
        if prepared is None:
            return Transcript(self._full_windows(request))
        return decode_batch(self.model, [prepared])[0]

    def _again(self, request: Request) -> Transcript:
        """A decode that looped, redone: with a little more silence after the clip (where a
        loop starts depends on the window: on our fixtures one more second ended most of
        them), then without the recent text (a prompt can lead into a loop), then over full
        windows."""
        for retry in (
            replace(request, pad_s=request.pad_s + 1),
            replace(request, pad_s=request.pad_s + 3),
            replace(request, pad_s=request.pad_s + 1, context=None),
        ):
            if self.prepare(retry) is None:
                break
            found = self._one(retry)
            if not found.looped:
                return found
        return Transcript(self._full_windows(request))

    def _full_windows(self, request: Request) -> str:
        """faster-whisper's own 30 s windows: for long buffers and as the fallback."""
        language = "en" if self.spec.english_only else request.language
        prompt = " ".join(p.strip() for p in (request.prompt, request.context) if p) or None
        segments, _info = self.model.transcribe(
            request.audio,
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
    if device == "cpu":
        memory.tune_for_decoding()
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
