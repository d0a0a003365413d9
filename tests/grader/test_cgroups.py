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
