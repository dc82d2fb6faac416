"""An OpenAI-compatible chat completions server on loopback, answering like the real APIs.

For the cleanup's tests and benchmark: `POST /v1/chat/completions`, as JSON or as an SSE
stream (`data: {chunk}` lines, then `data: [DONE]`), with the error bodies the real APIs send.
The request's `model` picks the behaviour, so one server serves every case (the text worked
on is the one between <transcript> tags, or command mode's <selection> tags):

- `clean`: a real (rule-based) cleanup of the transcript: fillers and stutters out, a
  capital, a full stop; `ampersand`: the same with "and" written "&" (a change always seen);
- `think`: the same after a `<think>...</think>` block; `preamble`: after "Here is...:";
- `answer`: answers the request instead of writing it down; `refuse`: refuses;
  `summary`: a few words about it; `empty`: nothing; `lines`: the text on several lines;
  `echo-tags`: the text between <transcript> tags, unchanged;
- `401`, `429`, `500`: that HTTP error.

`first_token_s` delays the first token (the headers go at once, as a real server's do);
`requests` keeps what was asked (the key in `auth`), for the tests to read.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FILLERS = {"um", "uh", "umm", "uhh", "erm", "like,", "um,", "uh,"}
ERRORS = {
    "401": (401, "invalid_api_key", "Invalid API key provided"),
    "429": (429, "rate_limit_exceeded", "Rate limit reached"),
    "500": (500, "server_error", "The server had an error"),
}


def transcript_of(messages: list[dict[str, Any]]) -> str:
    text = str(messages[-1].get("content", ""))
    found = re.search(r"<(transcript|selection)>\s*(.*?)\s*</\1>", text, re.DOTALL)
    return found.group(2) if found else text


def tidy(text: str) -> str:
    """The cleanup a good model makes of a plain transcript, by rule."""
    words: list[str] = []
    for word in text.split():
        if word.lower() in FILLERS:
            continue
        if words and word.lower().strip(",.") == words[-1].lower().strip(",."):
            continue
        words.append(word)
    out = " ".join(words).strip(" ,")
    if not out:
        return ""
    out = out[0].upper() + out[1:]
    return out if out[-1] in ".?!" else out + "."


def answer_for(model: str, transcript: str) -> str:
    cleaned = tidy(transcript)
    return {
        "clean": cleaned,
        "ampersand": cleaned.replace(" and ", " & "),  # a visible change the guard accepts
        "think": f"<think>The user wants a cleanup. Let me fix the punctuation.</think>{cleaned}",
        "preamble": f"Here is the cleaned text:\n\n{cleaned}",
        "answer": (
            "Sure! Here's a draft you can use:\n\nSubject: Quick update\n\nHi team, I wanted "
            "to share a short update on the project timeline and next steps for the launch. "
            "Please let me know if you have any questions.\n\nBest regards"
        ),
        "refuse": "I'm sorry, but I can't help with that request.",
        "summary": "A note about a meeting.",
        "empty": "",
        "lines": cleaned.replace(" ", "\n", 3),
        "echo-tags": f"<transcript>{transcript}</transcript>",
    }.get(model, cleaned)


class LLMServer:
    """The server on 127.0.0.1, a free port; a context manager."""

    def __init__(self, first_token_s: float = 0.0, token_s: float = 0.0) -> None:
        self.first_token_s = first_token_s
        self.token_s = token_s
        self.requests: list[dict[str, Any]] = []
        server = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                with server._lock:
                    server.requests.append({**body, "auth": self.headers.get("authorization")})
                # A client that gave up (its deadline) closes the socket, as with a real server.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answer(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> LLMServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = str(body.get("model", "clean"))
        if model in ERRORS:
            status, code, message = ERRORS[model]
            self._send(handler, status, {"error": {"message": message, "type": code,
                                                   "code": code}})  # fmt: skip
            return
        text = answer_for(model, transcript_of(body.get("messages", [])))
        if not body.get("stream"):
            time.sleep(self.first_token_s)  # pacing: a server slow to its first token
            self._send(handler, 200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            })  # fmt: skip
            return
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.wfile.flush()
        time.sleep(self.first_token_s)  # pacing: a server slow to its first token
        pieces = re.findall(r"\S+\s*|\s+", text) or [""]
        for number, piece in enumerate(pieces):
            if number and self.token_s:
                time.sleep(self.token_s)  # pacing: tokens streamed one at a time
            self._event(handler, {"role": "assistant", "content": piece} if number == 0
                        else {"content": piece}, None, model)  # fmt: skip
        self._event(handler, {}, "stop", model)
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
        handler.close_connection = True

    @staticmethod
    def _event(
        handler: BaseHTTPRequestHandler, delta: dict[str, str], finish: str | None, model: str
    ) -> None:
        chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk",
                 "created": int(time.time()), "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}  # fmt: skip
        handler.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        handler.wfile.flush()

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)
        handler.wfile.flush()
