"""Which cgroup, if any, the jobs' cgroups go under: detected, never assumed."""
import logging
import os

import pytest

from grader import cgroups

MOUNTINFO = "30 25 0:26 / {mount} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"


def _cgroup(path, controllers="cpuset cpu io memory pids", procs="", root=False):
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text(controllers + "\n")
    (path / "cgroup.subtree_control").write_text("")
    (path / "cgroup.procs").write_text(procs)
    if not root:
        (path / "memory.max").write_text("max\n")
    return path


@pytest.fixture
def hierarchy(tmp_path):
    mount = _cgroup(tmp_path / "cgroup", root=True)
    return mount, MOUNTINFO.format(mount=mount)


def test_a_process_in_the_root_cgroup_uses_no_cgroup(hierarchy):
    mount, mountinfo = hierarchy
    found = cgroups.detect("auto", "0::/\n", mountinfo)
    assert found.path is None and "root cgroup" in found.reason


def test_without_a_cgroup_v2_hierarchy_no_cgroup_is_used():
    found = cgroups.detect("auto", "0::/\n", "22 1 0:20 / /proc rw - proc proc rw\n")
    assert found.path is None and "no cgroup v2" in found.reason


def test_an_unmarked_parent_is_the_hosts_and_is_left_alone(hierarchy):
    mount, mountinfo = hierarchy
    _cgroup(mount / "system.slice")
    _cgroup(mount / "system.slice" / "worker.service", procs="123\n")
    found = cgroups.detect("auto", "0::/system.slice/worker.service\n", mountinfo)
    assert found.path is None and "not marked as delegated" in found.reason


def test_a_parent_marked_as_delegated_is_used(hierarchy):
    mount, mountinfo = hierarchy
    unit = _cgroup(mount / "system.slice" / "grader.service")
    _cgroup(unit / "worker", procs="123\n")
    try:
        os.setxattr(unit, "user.delegate", b"1")
    except OSError:
        pytest.skip("this file system keeps no user xattrs")
    found = cgroups.detect("auto", "0::/system.slice/grader.service/worker\n", mountinfo)
    assert found.path == unit


def test_a_container_that_owns_its_cgroup_namespace_uses_its_root(tmp_path):
    # In a cgroup namespace the container's cgroup is the root we see, but it is not the
    # host's root: it has memory.max.
    mount = _cgroup(tmp_path / "cgroup")
    _cgroup(mount / "worker", procs="1\n")
    found = cgroups.detect("auto", "0::/worker\n", MOUNTINFO.format(mount=mount))
    assert found.path == mount


@pytest.mark.parametrize("problem, expected", [
    ({"controllers": "cpu io"}, "does not offer the memory and pids controller"),
    ({"procs": "77\n"}, "holds processes itself"),
    ({"root": True}, "root of the hierarchy"),
])
def test_a_cgroup_it_cannot_use_is_refused_with_the_reason(tmp_path, hierarchy, problem, expected):
    mount, mountinfo = hierarchy
    chosen = _cgroup(tmp_path / "chosen", **problem)
    found = cgroups.detect(str(chosen), "0::/\n", mountinfo)
    assert found.path is None and expected in found.reason


def test_off_means_no_cgroup_and_an_explicit_usable_path_is_used(tmp_path, hierarchy):
    mount, mountinfo = hierarchy
    chosen = _cgroup(tmp_path / "chosen")
    assert cgroups.detect("off", "0::/\n", mountinfo).path is None
    assert cgroups.detect(str(chosen), "0::/\n", mountinfo).path == chosen


def test_this_machine_is_detected_and_the_mode_is_logged(caplog):
    cgroups.mode.cache_clear()
    with caplog.at_level(logging.INFO, logger="grader.cgroups"):
        found = cgroups.mode()
    assert f"grading resource limits: {found.name} ({found.reason})" in caplog.text
    cgroups.mode.cache_clear()


def test_a_job_cgroup_gets_the_jobs_limits_and_is_removed(tmp_path, settings):
    from grader.limits import Limits

    parent = _cgroup(tmp_path / "grader")
    job = cgroups.JobCgroup(parent, Limits.from_settings({"memory_mb": 300, "processes": 40}))
    try:
        assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids +cpu"
        assert (job.path / "memory.max").read_text() == str(300 << 20)
        assert (job.path / "pids.max").read_text() == "40"
        wrapped = job.wrap(["true"])
        assert wrapped[-1] == "true" and str(job.fds[0]) in wrapped
    finally:
        job.close_child_fds()
        for name in ("memory.max", "pids.max"):
            (job.path / name).unlink()
        os.close(job._write)
    job.remove()
    assert not job.path.exists()


# cgroup v1 (grader/cgroups.py: used where no cgroup v2 is delegated, by a root worker).
V1_MOUNTINFO = ("30 25 0:26 / {memory} rw,relatime - cgroup cgroup rw,memory\n"
                "31 25 0:27 / {pids} rw,relatime - cgroup cgroup rw,pids\n")
V1_PROC = "5:pids:/\n4:memory:/machine/worker\n0::/\n"


def _v1_hierarchy(tmp_path):
    memory, pids = tmp_path / "memory", tmp_path / "pids"
    own = memory / "machine" / "worker"
    own.mkdir(parents=True)
    pids.mkdir()
    for name in ("memory.limit_in_bytes", "memory.oom_control"):
        (own / name).write_text("")
    return memory, pids, V1_MOUNTINFO.format(memory=memory, pids=pids)


def test_without_a_delegated_v2_cgroup_a_root_worker_uses_v1_below_its_own_memory_cgroup(tmp_path):
    memory, pids, mountinfo = _v1_hierarchy(tmp_path)
    found = cgroups.detect_v1("auto", V1_PROC, mountinfo, "nothing delegated", euid=0)
    assert found.version == 1 and found.path == memory / "machine" / "worker" / "coursework-grader"
    assert found.pids_path == pids / "coursework-grader"
    assert found.name == "cgroup v1 (memory and pids controller, made by the grader)"


@pytest.mark.parametrize("setting, euid, mounted, expected", [
    ("auto", 1000, True, "only by a worker running as root"),
    ("auto", 0, False, "no cgroup v1 memory controller is mounted"),
    ("off", 0, True, "nothing delegated"),
])
def test_v1_is_not_used_unless_safe_and_the_reason_is_said(tmp_path, setting, euid, mounted, expected):
    memory, pids, mountinfo = _v1_hierarchy(tmp_path)
    found = cgroups.detect_v1(setting, V1_PROC, mountinfo if mounted else "", "nothing delegated", euid=euid)
    assert found.path is None and expected in found.reason
    assert found.name.startswith("watchdog and rlimits only")


def test_the_v2_detection_falls_back_to_v1_on_a_hybrid_host(tmp_path, monkeypatch):
    memory, pids, mountinfo = _v1_hierarchy(tmp_path)
    unified = _cgroup(tmp_path / "unified", root=True)
    monkeypatch.setattr(cgroups.os, "geteuid", lambda: 0)
    found = cgroups.detect("auto", V1_PROC, mountinfo + MOUNTINFO.format(mount=unified))
    assert found.version == 1 and "root cgroup of the v2 hierarchy" in found.reason


def _this_hosts_v1() -> cgroups.Mode:
    with open("/proc/self/cgroup") as fh, open("/proc/self/mountinfo") as mi:
        found = cgroups.detect_v1("auto", fh.read(), mi.read(), "test")
    if found.path is None:
        pytest.skip(f"this host cannot use cgroup v1: {found.reason}")
    return found


@pytest.fixture
def v1(tmp_path):
    """This host's cgroup v1, under a parent of this test's own (removed afterwards)."""
    found = _this_hosts_v1()
    parent = found.path.parent / f"coursework-grader-test-{os.getpid()}"
    pids = found.pids_path.parent / parent.name if found.pids_path else None
    for path in filter(None, (parent, pids)):
        path.mkdir()
    yield cgroups.Mode(parent, "test", version=1, pids_path=pids)
    for path in filter(None, (parent, pids)):
        for job in path.iterdir():
            if job.is_dir():
                cgroups._remove(job)
        path.rmdir()


def _run_in(job, code: str):
    import subprocess
    import sys

    proc = subprocess.Popen(job.wrap([sys.executable, "-c", code]), pass_fds=job.fds)
    job.close_child_fds()
    job.admit(proc.pid)
    return proc


def test_a_v1_job_cgroup_gets_the_jobs_limits_and_is_removed(v1):
    from grader.limits import Limits

    job = cgroups.JobCgroupV1(v1, Limits.from_settings({"memory_mb": 300, "processes": 40}))
    assert int((job.path / "memory.limit_in_bytes").read_text()) == 300 << 20
    assert int((job.path / "memory.kmem.tcp.limit_in_bytes").read_text()) == cgroups.tcp_limit(
        Limits.from_settings({"memory_mb": 300})) == 300 << 17
    if v1.pids_path:
        assert (job.pids / "pids.max").read_text().strip() == "40"
    proc = _run_in(job, "import time; time.sleep(0.2)")
    assert proc.wait() == 0 and job.oom_kills() == 0
    job.remove()
    assert not any(path.exists() for path in job.paths)


def test_socket_buffers_in_a_v1_job_are_charged_and_stopped_at_its_limit(v1):
    from grader.limits import Limits

    # Kernel memory, not the process's own: unread data queued in AF_UNIX socket pairs.
    fill = ("import socket\nkeep = []\nfor _ in range(200):\n    a, b = socket.socketpair()\n"
            "    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)\n    a.setblocking(False)\n"
            "    try:\n        while True: a.send(b'x' * 65536)\n    except BlockingIOError:\n        keep.append((a, b))\n")
    job = cgroups.JobCgroupV1(v1, Limits.from_settings({"memory_mb": 200}))
    try:
        proc = _run_in(job, fill)
        assert proc.wait() == -9
        assert job.oom_kills() == 1 and 190 < job.peak_mb() <= 200
        assert "killed at its limit" in job.describe()
    finally:
        job.remove()


def test_leftovers_of_dead_workers_are_removed_and_live_workers_kept(v1):
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()
    namespace = cgroups._pid_namespace()
    gone = v1.path / f"job-{namespace}-{dead.pid}-00000000"
    mine = v1.path / f"job-{namespace}-{os.getpid()}-11111111"
    elsewhere = v1.path / f"job-1-{dead.pid}-22222222"  # another pid namespace's: its pids are not ours
    for path in (gone, mine, elsewhere):
        path.mkdir()
    assert cgroups.remove_leftovers(v1.path) == [gone]
    assert mine.exists() and elsewhere.exists() and not gone.exists()
