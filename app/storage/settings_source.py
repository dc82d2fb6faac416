"""The running app's one settings source, with change notifications.

Every part reads `current` when it acts, or subscribes to the keys it cares about and is told
when they change (qutebrowser's `config.changed` with its `change_filter`, without Qt). `apply`
replaces the settings as a whole, so a reader never sees half an edit, and calls each
subscriber whose keys changed, on the caller's thread (the GUI thread in the app). Saving is
the caller's business (off the GUI thread); this object never touches the disk.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import fields

from app.storage.settings import Settings

log = logging.getLogger(__name__)

Listener = Callable[[Settings], None]


class SettingsSource:
    def __init__(self, settings: Settings) -> None:
        self._current = settings
        self._listeners: list[tuple[frozenset[str], Listener]] = []

    @property
    def current(self) -> Settings:
        """The settings now in force. Treat as read-only: change them with `apply`."""
        return self._current

    def subscribe(self, listener: Listener, *keys: str) -> None:
        """Call `listener(settings)` whenever one of `keys` changes (any key when none)."""
        unknown = set(keys) - {f.name for f in fields(Settings)}
        if unknown:
            raise ValueError(f"no such setting: {', '.join(sorted(unknown))}")
        self._listeners.append((frozenset(keys), listener))

    def apply(self, new: Settings) -> set[str]:
        """Make `new` (a copy of it) current; returns the names of the settings that changed."""
        old, self._current = self._current, copy.deepcopy(new)
        changed = {f.name for f in fields(Settings) if getattr(old, f.name) != getattr(new, f.name)}
        if changed:
            log.info("settings changed: %s", ", ".join(sorted(changed)))
        for keys, listener in list(self._listeners):
            if changed and (not keys or keys & changed):
                listener(self._current)
        return changed

    def edit(self) -> Settings:
        """A private copy to change and hand back to `apply`."""
        return copy.deepcopy(self._current)
