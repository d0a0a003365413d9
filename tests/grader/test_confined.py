import os

import pytest

from grader import confined
from grader.confined import LimitExceeded, Limits, Refused

QUICK = Limits(wall_seconds=20, cpu_seconds=1, memory_bytes=256 * 1024 * 1024)
CHOOSE_LAUNCHER = confined._launcher  # the fixture below replaces it in every test


@pytest.fixture(autouse=True, params=["fork server", "new interpreter"])
def launcher(request, monkeypatch):
    """Every test, with each way of starting the child: a fork of the fork server (the web),
    and a new interpreter (Celery's pool processes, which multiprocessing lets start none)."""
    chosen = {"fork server": confined._from_fork_server, "new interpreter": confined._in_new_interpreter}[request.param]
    monkeypatch.setattr(confined, "_launcher", lambda: chosen)
    return request.param


def run(name, data=b"x", limits=QUICK, **kwargs):
    return confined.run(f"tests.support.confined_targets:{name}", data, limits, **kwargs)


def test_it_returns_what_the_function_returned():
    assert run("echo_length", b"abc", times=2) == 6


def test_it_passes_on_the_functions_own_refusal():
    with pytest.raises(Refused, match="no thanks to essay"):
        run("refuse", b"essay")


def test_it_stops_a_function_that_spins_at_the_cpu_limit():
    with pytest.raises(LimitExceeded) as caught:
        run("spin")
    assert caught.value.kind == LimitExceeded.TIME


def test_it_stops_a_function_that_waits_at_the_wall_clock_limit():
    # Generous for a loaded machine: the point is that it ends, not how fast.
    with pytest.raises(LimitExceeded) as caught:
        run("sleep", limits=Limits(wall_seconds=2, cpu_seconds=5))
    assert caught.value.kind == LimitExceeded.TIME


def test_it_stops_a_function_that_allocates_without_end_at_the_memory_limit():
    with pytest.raises(LimitExceeded) as caught:
        run("hoard", limits=Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=256 * 1024 * 1024))
    assert caught.value.kind == LimitExceeded.MEMORY


@pytest.mark.parametrize("name, detail", [("fail", "KeyError"), ("die", "exit status")])
def test_it_reports_a_crash_as_a_crash(name, detail):
    with pytest.raises(LimitExceeded) as caught:
        run(name)
    assert caught.value.kind == LimitExceeded.CRASH and detail in caught.value.detail


def test_the_child_sees_none_of_the_callers_environment(monkeypatch):
    """Not in os.environ, nor in /proc/self/environ (a process's first environment, which
    clearing os.environ leaves as it was): this test process's own variables never appear."""
    monkeypatch.setenv("SECRET_KEY", "not for parsers")
    seen = run("environment")
    ours = set(os.environ) - {"PATH", "LANG"}
    assert set(seen["os.environ"]) <= {"PATH", "LANG"}
    assert not ours & set(seen["first"]), "the child can read this process's environment"


def test_a_large_input_to_a_child_that_never_reads_it_still_ends_at_the_wall_clock():
    with pytest.raises(LimitExceeded) as caught:
        run("sleep", b"x" * (8 * 1024 * 1024), limits=Limits(wall_seconds=2, cpu_seconds=5))
    assert caught.value.kind == LimitExceeded.TIME


def test_a_daemonic_process_such_as_a_celery_pool_process_starts_new_interpreters():
    import multiprocessing

    def report(queue):
        queue.put(CHOOSE_LAUNCHER().__name__)

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=report, args=(queue,), daemon=True)
    child.start()
    chosen = queue.get(timeout=30)
    child.join()
    assert chosen == "_in_new_interpreter"
    assert CHOOSE_LAUNCHER() is confined._from_fork_server  # this test's own process is not daemonic


def test_the_memory_limit_counts_what_the_parser_allocates_not_what_was_loaded_before_it():
    # 200 MB under a 256 MB limit: the fork server's own imports do not eat into it.
    assert run("allocate", limits=Limits(wall_seconds=20, cpu_seconds=5, memory_bytes=256 * 1024 * 1024),
               megabytes=200) == 200


def _only_for_the_fork_server(launcher):
    if launcher != "fork server":
        pytest.skip("about the fork server alone")


def test_children_of_a_running_server_leave_the_callers_environment_alone_for_its_other_threads(launcher, monkeypatch):
    """A threaded web worker (config/gunicorn.py) serves other requests while one starts a
    child: once the server runs, no start may empty os.environ under them."""
    _only_for_the_fork_server(launcher)
    import threading

    monkeypatch.setenv("SECRET_KEY", "the web's own")
    confined.start_server()
    missing, stop = [], threading.Event()

    def watch():
        while not stop.is_set():
            if os.environ.get("SECRET_KEY") != "the web's own":
                missing.append(True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(10):
            assert run("echo_length", b"hello") == 5
    finally:
        stop.set()
        watcher.join()
    assert not missing, "another thread saw the environment emptied"


def test_a_killed_server_starts_again_with_none_of_the_callers_environment(launcher, monkeypatch):
    _only_for_the_fork_server(launcher)
    import signal
    import time
    from multiprocessing import forkserver

    confined.start_server()
    os.kill(forkserver._forkserver._forkserver_pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not confined._server_needs_start() and time.monotonic() < deadline:
        time.sleep(0.05)  # the kill lands, the server becomes a zombie
    assert confined._server_needs_start()
    monkeypatch.setenv("SECRET_KEY", "not for parsers")
    seen = run("environment")
    assert "SECRET_KEY" not in seen["first"] and set(seen["os.environ"]) <= {"PATH", "LANG"}
    assert not confined._server_needs_start()
