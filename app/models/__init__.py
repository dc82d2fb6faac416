"""Models the local engine can run: the catalogue, the installed store, and downloads.

Qt-free, so the engine, the `dictate models` command and the app's picker share one answer
to "what is installed, and what could be".
"""
