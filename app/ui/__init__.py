"""Widgets: they render what the controller says and forward what the user does. Never
imports a controller: what a widget needs from the app comes in through its constructor,
typed by the Protocols of `ui.services`."""
