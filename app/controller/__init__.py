"""Qt, not widgets: the bridge onto the GUI thread and the dictation controller."""
