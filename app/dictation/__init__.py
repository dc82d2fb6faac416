"""One dictation, whoever drives it (the app, Retry, first-run, `listen`, `transcribe`): no Qt."""
