"""Qt, not widgets: the bridge onto the GUI thread, the dictation controller, delivery and
its worker, microphones, model downloads. Never imports a widget (`ui`): the shell and
`main.py` connect the two."""
