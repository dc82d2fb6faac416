"""The per-app profiles page: the rules shown, the app of the last dictation added with one
click, rows that cannot be used named and left out, and what is saved read back the same."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from app.delivery.xtest import Window
from app.dictation.profiles import profiles_from
from app.dictation.target import Target
from app.storage.settings import Settings
from app.ui.profiles_page import DELIVERY, ONE_LINE, ProfilesPage
from app.ui.settings_dialog import SettingsDialog

MAIL = Target(Window("0x1", "Inbox - Mail", "geary.Geary", 4242), "geary")
SHELL = Target(Window("0x2", "~ - bash", "xterm.XTerm", 4343), "xterm")


def test_the_app_in_front_is_added_with_one_click(qtbot: QtBot) -> None:
    page = ProfilesPage(Settings(), MAIL)
    qtbot.addWidget(page)
    assert page.table.rowCount() == 1  # the terminals' profile every settings file starts with
    assert page.add_front.isEnabled() and "geary" in page.add_front.text()
    page.add_front.click()
    edited = Settings()
    page.apply(edited)
    rules = profiles_from(edited.profiles).rules
    assert [p.name for p in rules] == ["Terminals", "Mail"]
    assert rules[1].apps == ("geary",) and rules[1].style == "clean" and not rules[1].one_line
    assert profiles_from(edited.profiles).choose(MAIL) == rules[1]


def test_a_terminal_in_front_gets_one_verbatim_line(qtbot: QtBot) -> None:
    page = ProfilesPage(Settings(profiles=[]), SHELL)
    qtbot.addWidget(page)
    page.add_front.click()
    edited = Settings()
    page.apply(edited)
    (profile,) = profiles_from(edited.profiles).rules
    assert (profile.apps, profile.style, profile.one_line) == (("xterm",), "verbatim", True)


def test_a_wayland_app_named_by_the_input_method_is_added_too(qtbot: QtBot) -> None:
    editor = Target().with_input_method("gtk4-im:org.gnome.TextEditor", 0)
    page = ProfilesPage(Settings(profiles=[]), editor)
    qtbot.addWidget(page)
    assert page.add_front.isEnabled() and "texteditor" in page.add_front.text()
    page.add_front.click()
    edited = Settings()
    page.apply(edited)
    (profile,) = profiles_from(edited.profiles).rules
    assert profile.apps == ("texteditor",) and not profile.one_line
    assert profile.name == "texteditor"  # no title known: the app's name
    assert profiles_from(edited.profiles).choose(editor) == profile
    on_sway = Target(app_id="foot", name="~", app_pid=4343)  # what sway's IPC says
    page = ProfilesPage(Settings(profiles=[]), on_sway)
    qtbot.addWidget(page)
    page.add_front.click()
    page.apply(edited)
    (profile,) = profiles_from(edited.profiles).rules
    assert (profile.name, profile.apps, profile.style, profile.one_line) == (
        "foot", ("foot",), "verbatim", True)  # fmt: skip  # a title "~" names no app


def cell(page: ProfilesPage, column: int) -> QTableWidgetItem:
    item = page.table.item(0, column)
    assert item is not None
    return item


def test_nothing_captured_yet_offers_no_app_and_bad_rows_are_named(qtbot: QtBot) -> None:
    page = ProfilesPage(Settings(profiles=[]), None)
    qtbot.addWidget(page)
    assert not page.add_front.isEnabled()
    page.add.click()
    cell(page, 1).setText("")  # no apps: cannot be used
    assert "Row(s) 1" in page.problems.text()
    cell(page, 1).setText("firefox, Navigator")
    cell(page, 3).setText("de")
    cell(page, ONE_LINE).setCheckState(Qt.CheckState.Checked)
    cell(page, DELIVERY).setText("teleport")  # no such method: named, left out
    assert "Row(s) 1" in page.problems.text()
    cell(page, DELIVERY).setText("paste")
    assert page.problems.text() == ""
    edited = Settings()
    page.apply(edited)
    (profile,) = profiles_from(edited.profiles).rules
    assert profile.apps == ("firefox", "Navigator") and profile.language == "de"
    assert profile.one_line and profile.delivery == "paste"


def test_the_settings_dialog_saves_profiles_and_the_command_hotkey(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(command_hotkey="<ctrl>+<alt>+e"), [], False, front=MAIL)
    qtbot.addWidget(dialog)
    dialog.profiles_page.add_front.click()
    dialog.command_hotkey.set_combo("<ctrl>+<alt>+j")
    saved = dialog.accepted_settings()
    assert [p["name"] for p in saved.profiles] == ["Terminals", "Mail"]
    assert saved.command_hotkey == "<ctrl>+<alt>+j"
