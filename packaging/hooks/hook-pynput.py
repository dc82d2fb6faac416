"""pynput picks its backend when imported, by platform. PyInstaller's own hook finds them by
importing pynput, which fails on a build machine without a display and then misses the X
backend (`No module named 'pynput.keyboard._xorg'` at run time). Name them all instead."""

hiddenimports = [
    *(f"pynput.keyboard.{name}" for name in ("_xorg", "_uinput", "_win32", "_darwin")),
    *(f"pynput.mouse.{name}" for name in ("_xorg", "_win32", "_darwin")),
]
