"""The `dictate` subcommands, one module each; `app.cli` only parses and dispatches."""
