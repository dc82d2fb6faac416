"""Pure logic shared by every part of the app: events, transcript assembly, errors."""
