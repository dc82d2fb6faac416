"""OS seams: the single-instance channel (dictate ptt), the global hotkey, paste and sounds."""
