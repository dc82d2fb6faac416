"""One running app per user, and the channel `dictate ptt start|stop|toggle|command|copy-last`
talks through.

The first instance listens on a QLocalServer (a Unix socket, or a named pipe on Windows);
later invocations connect, send one command line, and exit. Desktop shortcut settings can
bind `dictate ptt toggle` where global hotkeys are impossible (Wayland).

On Unix the socket lives in the user's private runtime folder (`paths.runtime_dir`: 0700,
owned by the user), not under a predictable name in the shared temp folder, where another
local user could create it first and take (or answer) every command; the socket itself is
0700 too (`UserAccessOption`). An unsafe folder is refused: the app then runs without the
channel and says why in the log, and `dictate ptt` says why on stderr.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app import paths

COMMANDS = ("start", "stop", "toggle", "command", "show", "quit", "copy-last")

log = logging.getLogger(__name__)


def address(name: str) -> str:
    """Where the server for `name` listens: a path in the private runtime folder on Unix (a
    name with a slash is a path already), the pipe name itself on Windows. Raises
    `paths.UnsafeRuntimeDir` when the folder cannot be trusted."""
    if sys.platform == "win32" or "/" in name:
        return name
    return str(paths.runtime_dir() / name)


class InstanceServer(QObject):
    """Signals: `command(str)` for each valid command received."""

    command = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.problem = ""  # why `dictate ptt` cannot reach this instance, when it cannot
        try:
            where = address(name)
        except paths.UnsafeRuntimeDir as exc:
            self.problem = str(exc)
        else:
            if not self.server.listen(where):
                QLocalServer.removeServer(where)  # a stale socket left by a crash
                if not self.server.listen(where):
                    self.problem = f"cannot listen on {where}: {self.server.errorString()}"
        if self.problem:
            log.warning("`dictate ptt` will not reach this instance: %s", self.problem)
        self.server.newConnection.connect(self._accept)

    @Slot()
    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
            if line in COMMANDS:
                self.command.emit(line)
                socket.write(b"ok\n")
            else:
                socket.write(b"unknown command\n")
            socket.flush()

    def close(self) -> None:
        self.server.close()


def send_command(name: str, command: str, timeout_ms: int = 2000) -> bool:
    """True when a running instance took the command. Raises `paths.UnsafeRuntimeDir` when
    the runtime folder cannot be trusted (nothing is sent then)."""
    where = address(name)
    if QCoreApplication.instance() is None:
        QCoreApplication([])
    socket = QLocalSocket()
    socket.connectToServer(where)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(command.encode() + b"\n")
    socket.waitForBytesWritten(timeout_ms)
    answered = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()).startswith(
        b"ok"
    )
    socket.disconnectFromServer()
    return answered
