"""The suite's units of work under pytest-xdist: files, and the machine-wide folders as one."""

from tests.workers import MACHINE_WIDE_UNIT, rank, unit


def test_a_file_is_a_unit_and_the_machine_wide_folders_are_one() -> None:
    found = unit("tests/integration/test_client.py::test_a[x::y]")
    assert found == "tests/integration/test_client.py"
    assert unit("tests/unit/test_keys.py::test_b") == "tests/unit/test_keys.py"
    for nodeid in ("tests/delivery/test_chain.py::t", "tests/desktops/test_gnome.py::t",
                   "tests/packaging/test_linux_installer.py::t"):  # fmt: skip
        assert unit(nodeid) == MACHINE_WIDE_UNIT


def test_the_longest_units_are_queued_first() -> None:
    order = ["tests/unit/test_keys.py::a", "tests/integration/test_client.py::b",
             "tests/soak/test_soak.py::c", "tests/packaging/test_team_files.py::d",
             "tests/gui/test_tray.py::e", "tests/delivery/test_chain.py::f"]  # fmt: skip
    assert sorted(order, key=rank) == [
        "tests/packaging/test_team_files.py::d", "tests/delivery/test_chain.py::f",
        "tests/soak/test_soak.py::c", "tests/integration/test_client.py::b",
        "tests/unit/test_keys.py::a", "tests/gui/test_tray.py::e",
    ]  # fmt: skip
