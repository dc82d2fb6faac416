"""The app's shell: what the window's buttons, banner and menus open (settings, history, the
first-run setup), built from widgets (`ui`) and driven through the controllers (`controller`).

It sits above both so that neither imports the other: widgets only render and ask through
their signals and the Protocols of `ui.services`; controllers hold no widget.
"""
