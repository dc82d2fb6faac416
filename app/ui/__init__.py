"""Widgets: they render what the controller says and forward what the user does."""
