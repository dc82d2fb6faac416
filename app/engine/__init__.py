"""The local transcription engine: our own server for the realtime protocol."""
