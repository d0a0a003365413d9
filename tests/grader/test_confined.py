import pytest

from grader import confined
from grader.confined import LimitExceeded, Limits, Refused

QUICK = Limits(wall_seconds=20, cpu_seconds=1, memory_bytes=256 * 1024 * 1024)


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
    monkeypatch.setenv("SECRET_KEY", "not for parsers")
    assert set(run("environment")) == {"PATH", "LANG"}


def test_the_memory_limit_counts_what_the_parser_allocates_not_what_was_loaded_before_it():
    # 200 MB under a 256 MB limit: the fork server's own imports do not eat into it.
    assert run("allocate", limits=Limits(wall_seconds=20, cpu_seconds=5, memory_bytes=256 * 1024 * 1024),
               megabytes=200) == 200
