"""What widgets ask of the rest of the app, stated here as Protocols so that `ui` never imports
`controller`: the composition root (`main.py`, through `app.shell`) hands each widget the real
part (the bridge, the model downloads), and a test may hand it a stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import SignalInstance

T = TypeVar("T")


class Background(Protocol):
    """Runs `fn` off the GUI thread; its result or its error comes back on the GUI thread
    (`controller.bridge.Bridge`)."""

    def run(
        self,
        fn: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        *,
        name: str,
    ) -> Any: ...


class Downloads(Protocol):
    """Model downloads that outlive the dialog that started them
    (`controller.downloads.ModelDownloads`). Signals: `progress(object Progress)`,
    `finished(str name, str error)`."""

    @property
    def progress(self) -> SignalInstance: ...

    @property
    def finished(self) -> SignalInstance: ...

    def running(self, name: str | None = None) -> bool: ...

    def start(self, name: str) -> None: ...

    def cancel(self, name: str) -> None: ...
