"""One running app per user, and the channel `dictate ptt start|stop|toggle` talks through.

The first instance listens on a QLocalServer (a Unix socket, or a named pipe on Windows);
later invocations connect, send one command line, and exit. Desktop shortcut settings can
bind `dictate ptt toggle` where global hotkeys are impossible (Wayland).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

COMMANDS = ("start", "stop", "toggle", "show", "quit")


class InstanceServer(QObject):
    """Signals: `command(str)` for each valid command received."""

    command = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(name):
            QLocalServer.removeServer(name)  # a stale socket left by a crash
            self.server.listen(name)
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
    """True when a running instance took the command."""
    if QCoreApplication.instance() is None:
        QCoreApplication([])
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(command.encode() + b"\n")
    socket.waitForBytesWritten(timeout_ms)
    answered = socket.waitForReadyRead(timeout_ms) and bytes(socket.readAll().data()).startswith(
        b"ok"
    )
    socket.disconnectFromServer()
    return answered
