"""A real microphone without a sound card: PulseAudio's pipe source fed in real time.

PortAudio's ALSA `pulse`/`default` devices record from it exactly as from a microphone
(`../shared/RECIPES.md`). `VirtualMic.play` writes speech into the FIFO paced at real time,
with silence around it; `unplug` unloads the source module mid-recording; `suspend` puts
the source to sleep (it delivers nothing, like a USB or Bluetooth microphone asleep).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import soxr


class VirtualMic:
    def __init__(
        self, rate: int = 48000, *, speakers: bool = False, beside: VirtualMic | None = None
    ) -> None:
        self.rate = rate
        self.speakers = speakers  # a null sink too, so sounds really play
        self.beside = beside  # a second microphone in the first one's PulseAudio
        self.name = "second" if beside is not None else "virtmic"
        self.runtime: Path = beside.runtime if beside else Path(tempfile.mkdtemp(prefix="pulse-"))
        self.runtime.chmod(0o700)
        self.fifo = self.runtime / f"{self.name}.fifo"
        self.env = dict(os.environ, XDG_RUNTIME_DIR=str(self.runtime))
        self._feeder: threading.Thread | None = None
        self._stop = threading.Event()
        self._queue: list[bytes] = []
        self._pending = b""
        self._lock = threading.Lock()
        self.module: str | None = None
        self.sink_module: str | None = None
        self.feeder_tid = 0
        self._home: str | None = None
        self._shared: Path | None = None

    def start(self) -> None:
        if self.beside is not None:
            self._start_beside()
            return
        subprocess.run(
            [
                "pulseaudio", "-n", "--daemonize=yes", "--exit-idle-time=-1", "--disallow-exit",
                "-L", "module-native-protocol-unix",
            ],
            env=self.env, check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        self.load_source()
        # PortAudio reads XDG_RUNTIME_DIR when it starts, in this very process.
        os.environ["XDG_RUNTIME_DIR"] = str(self.runtime)
        self._stop.clear()
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _start_beside(self) -> None:
        """A second PortAudio device, `second`: an ALSA pulse PCM (with a hint, so PortAudio
        lists it) on a second pipe source. ALSA reads it from $HOME/.asoundrc, so HOME points
        into this microphone's folder while it lives."""
        args = f"source_name={self.name} file={self.fifo} format=s16le rate={self.rate} channels=1"
        self.module = self._pactl("load-module", "module-pipe-source", args)
        (self.runtime / ".asoundrc").write_text(
            f'pcm.{self.name} {{\n type pulse\n device "{self.name}"\n'
            f' hint {{ show on\n description "Second microphone" }}\n}}\n'
        )
        self._home = os.environ.get("HOME")
        os.environ["HOME"] = str(self.runtime)
        self._stop.clear()
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def load_source(self) -> None:
        args = f"source_name=virtmic file={self.fifo} format=s16le rate={self.rate} channels=1"
        self.module = self._pactl("load-module", "module-pipe-source", args)
        self._pactl("set-default-source", "virtmic")
        if self.speakers:
            self.sink_module = self._pactl("load-module", "module-null-sink", "sink_name=nullout")
            self._pactl("set-default-sink", "nullout")

    def _pactl(self, *args: str) -> str:
        done = subprocess.run(
            ["pactl", *args], env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def share(self) -> str:
        """A second socket of this PulseAudio that any local user may use (for an app that
        runs as another user, as on the real-desktop tests); returns it as a PULSE_SERVER."""
        if self._shared is None:
            self._shared = Path(tempfile.mkdtemp(prefix="pulse-shared-"))
            self._shared.chmod(0o755)
            socket = self._shared / "native"
            self._pactl("load-module", "module-native-protocol-unix", f"socket={socket}",
                        "auth-anonymous=1")  # fmt: skip
            socket.chmod(0o777)
        return f"unix:{self._shared / 'native'}"

    def unplug(self) -> None:
        """Unload the source, as if the microphone were pulled out.

        The null sink goes too: PulseAudio moves a stream whose source vanished to another
        source, and the sink's monitor would be one.
        """
        for module in (self.module, self.sink_module):
            if module:
                self._pactl("unload-module", module)
        self.module = self.sink_module = None

    def suspend(self, asleep: bool = True) -> None:
        """The source stops delivering audio (True) or delivers again (False)."""
        self._pactl("suspend-source", self.name, "1" if asleep else "0")

    def play(self, pcm16k: bytes) -> None:
        """Queue 16 kHz mono speech; it is resampled to the source rate and fed in real time."""
        mono = np.frombuffer(pcm16k, "<i2").astype(np.float32) / 32768
        data = soxr.resample(mono, 16000, self.rate)
        raw = np.clip(np.round(data * 32767), -32768, 32767).astype("<i2").tobytes()
        with self._lock:
            self._queue.append(raw)

    def _feed(self) -> None:
        self.feeder_tid = threading.get_native_id()
        while not self._stop.is_set():  # after an unplug, feed the new source's FIFO
            try:
                self._feed_fifo()
            except OSError:
                self._stop.wait(0.05)

    def _feed_fifo(self) -> None:
        step = self.rate // 50 * 2  # 20 ms
        silence = b"\x00" * step
        fd = os.open(self.fifo, os.O_WRONLY)
        try:
            due = time.monotonic()
            while not self._stop.is_set():
                with self._lock:
                    if not self._pending and self._queue:
                        self._pending = self._queue.pop(0)
                    chunk, self._pending = self._pending[:step], self._pending[step:]
                os.write(fd, (chunk or silence).ljust(step, b"\x00"))
                due += 0.02
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing: a microphone delivers in real time
                elif delay < -0.1:
                    # The write blocked (nobody was reading): a microphone does not deliver
                    # the time it missed in a burst afterwards, so neither do we.
                    due = time.monotonic()
        finally:
            os.close(fd)

    def flush(self) -> None:
        """Forget speech still queued (a previous test's)."""
        with self._lock:
            self._queue.clear()
            self._pending = b""

    @property
    def idle(self) -> bool:
        """Everything played so far has been written."""
        with self._lock:
            return not self._queue and not self._pending

    def stop(self) -> None:
        self._stop.set()
        if self.beside is not None:
            if self._home is not None:
                os.environ["HOME"] = self._home
            if self.module:
                self._pactl("unload-module", self.module)
            if self._feeder:
                self._feeder.join(5)
            return
        subprocess.run(["pulseaudio", "--kill"], env=self.env, check=False, capture_output=True)
        if self._feeder:
            self._feeder.join(5)
        shutil.rmtree(self.runtime, ignore_errors=True)
        if self._shared is not None:
            shutil.rmtree(self._shared, ignore_errors=True)
