"""Getting the dictated text into the app the user is typing in (Qt-free): the input method
(`ibus`), typing through XTest (`xtest`), paste (`paste`), Wayland typing tools (`wayland`),
and the chain that picks one and reports what happened (`chain`)."""
