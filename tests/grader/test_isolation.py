"""What the harness compares around each phase of the asking (grader/harness/isolation.py),
on a folder of the test's own: any trace a predict process could leave is a change."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "grader" / "harness"))
import isolation  # noqa: E402  (the harness's own module, imported as the harness imports it)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "weights.npy").write_bytes(b"w" * 100)
    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "sub" / "pipe")
    return tmp_path


def test_nothing_done_is_no_change_and_listing_a_folder_twice_is_not_one(folder):
    before = isolation.state_of([str(folder)])
    assert isolation.changed(before, isolation.state_of([str(folder)])) is None


@pytest.mark.parametrize("trace", ["create", "write", "remove", "read", "fill the fifo"])
def test_every_kind_of_trace_is_a_change_that_names_its_path(folder, trace):
    before = isolation.state_of([str(folder)])
    if trace == "create":
        (folder / "sub" / "answers").write_text("3")
    elif trace == "write":
        (folder / "weights.npy").write_bytes(b"x" * 100)
    elif trace == "remove":
        (folder / "weights.npy").unlink()
    elif trace == "read":
        os.utime(folder / "weights.npy", ns=(before[str(folder / "weights.npy")][5] + 10**9,
                                              before[str(folder / "weights.npy")][3]))
    else:
        reader = os.open(folder / "sub" / "pipe", os.O_RDONLY | os.O_NONBLOCK)
        writer = os.open(folder / "sub" / "pipe", os.O_WRONLY)
        os.write(writer, b"1")
        before = isolation.state_of([str(folder)])  # held open, so the fill is what changes
        os.read(reader, 1)
    change = isolation.changed(before, isolation.state_of([str(folder)]))
    assert change is not None and str(folder) in change, change


def test_a_folder_too_full_to_check_is_said_so(folder, monkeypatch):
    monkeypatch.setattr(isolation, "MAX_ENTRIES", 2)
    with pytest.raises(isolation.TooMany):
        isolation.state_of([str(folder)])


def test_it_never_stops_processes_outside_the_sandbox(monkeypatch):
    """On a host, stopping every process of one's uid would stop the machine."""
    monkeypatch.setattr(os, "getuid", lambda: 0)
    with pytest.raises(RuntimeError):
        isolation.stop_all(keep={os.getpid()})


@pytest.mark.parametrize("line, shared", [
    ("7f1c-7f1d r--s 00000000 fe:00 338846 /usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", False),
    ("7f1c-7f1d rw-s 00000000 00:05 1234 /dev/shm/answers", True),
    ("7f1c-7f1d r--s 00000000 00:05 1234 /tmp/answers", True),
    ("7f1c-7f1d rw-s 00000000 00:01 99 /dev/zero (deleted)", True),
    ("7f1c-7f1d rw-p 00000000 00:00 0", False),
])
def test_only_read_only_files_of_the_read_only_mounts_may_stay_shared(line, shared):
    assert isolation.shares(line) is shared
