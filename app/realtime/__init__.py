"""The realtime transcription protocol: wire format, client, backends."""
