"""One dictation, whoever drives it (the app, Retry, first-run, `listen`, `transcribe`).

Plain Python, no Qt (import-linter holds it): the options taken at press, the target app,
the live text, the one `finalize()` and the run. The controller and the command line drive
it; nothing here knows about widgets or threads other than its own.
"""
