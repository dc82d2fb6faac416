"""What a session's decodes share: the recognizer, the client's options, the recent text.

Partials and finals of one session ask for decodes the same way: the user's prompt (the
vocabulary) first, then the session's recent completed text, and the padding that suits
the kind of decode. Keeping that in one place is what lets a partial's text stand as the
final's when the audio and the prompt are the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from app.engine.context import Context
from app.engine.decode import CONTEXT_PAD_S, Request
from app.engine.items import SessionOptions
from app.engine.scheduler import DecodeJob

# An ordinary partial encodes its clip with this much silence after it (a final: 5 s): its
# encoder costs half as much; the partial that loops for lack of it is not shown, and the
# one taken at a pause (which may become the final) is decoded as a final is.
PARTIAL_PAD_S = 2.0

Prompt = tuple[str | None, str | None]  # (the user's prompt, the recent text)


class Jobs:
    """Builds the decodes of one session."""

    def __init__(self, recognizer: Any, options: SessionOptions) -> None:
        self.recognizer = recognizer
        self.options = options
        self.context = Context()

    def prompt(self, start: int) -> Prompt:
        """(the user's prompt, the recent text) for a decode of audio from `start`."""
        return self.options.prompt, self.context.recent(start)

    def job(
        self,
        audio: npt.NDArray[np.float32],
        prompt: Prompt,
        final_grade: bool = True,
        words: bool = False,
    ) -> DecodeJob:
        """A decode of `audio`; an ordinary partial (not `final_grade`) encodes less silence
        after the clip and is not checked for loops or repeats: the session does not show
        one that looks wrong."""
        request = Request(
            audio,
            self.options.language,
            prompt[0],
            prompt[1],
            pad_s=CONTEXT_PAD_S if final_grade else PARTIAL_PAD_S,
            words=words,
            fallback=final_grade,
        )
        return DecodeJob(self.recognizer, request)
