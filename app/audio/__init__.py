"""Microphone and file audio, turned into 16 kHz mono 16-bit frames."""
