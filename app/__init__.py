"""Dictate: live-microphone dictation over Together's realtime transcription protocol."""

__version__ = "0.1.0"
