from pathlib import Path

from grader.limits import Limits
from grader.sandbox import bwrap_argv, command, sanitised_pyvenv_cfg


def test_the_writable_tmpfs_mounts_do_not_hide_a_checkout_under_tmp(settings):
    """CI may clone the project under /tmp: the sandbox's own /tmp must be mounted before
    the binds of the kernel environment and the inputs, or it would cover them."""
    settings.GRADER_KERNEL_VENV = Path("/tmp/checkout/.venv-kernel")
    argv = bwrap_argv(Path("/tmp/checkout/var/work/job/input"), {}, Limits.from_settings(), ["true"], 5, 6)
    tmpfs_tmp = max(i for i, a in enumerate(argv) if a == "/tmp" and argv[i - 1] == "--tmpfs")
    first_bind = min(i for i, a in enumerate(argv) if a == "--ro-bind" and argv[i + 1].startswith("/tmp/checkout"))
    assert tmpfs_tmp < first_bind


def _claim_in_child(lock_dir, queue, hold):
    from django.conf import settings as child_settings

    from grader import sandbox

    child_settings.GRADER_SANDBOX_UID_LOCK_DIR = lock_dir
    queue.put(sandbox.uid_slot())
    hold.wait(30)


def test_each_live_process_claims_a_sandbox_uid_of_its_own_and_frees_it_when_it_dies(settings, tmp_path):
    import multiprocessing

    from grader import sandbox

    settings.GRADER_SANDBOX_UID_LOCK_DIR = tmp_path
    claimed_before, sandbox._claimed = sandbox._claimed, None
    mine = sandbox.uid_slot()
    assert sandbox.uid_slot() == mine  # claimed once per process
    context = multiprocessing.get_context("fork")
    queue, hold = context.Queue(), context.Event()
    child = context.Process(target=_claim_in_child, args=(tmp_path, queue, hold))
    child.start()
    theirs = queue.get(timeout=30)
    assert theirs != mine
    hold.set()
    child.join(30)
    successor = context.Process(target=_claim_in_child, args=(tmp_path, queue, hold))
    successor.start()
    assert queue.get(timeout=30) == theirs  # the dead child's slot is free again
    successor.join(30)
    sandbox._claimed = claimed_before


def _argv(**limits) -> list[str]:
    return bwrap_argv(Path("/var/work/job/input"), {}, Limits.from_settings(limits), ["true"], 5, 6)


def _mounted(argv: list[str], kind: str) -> dict[str, str | None]:
    """{mount point: --size given before it} for each `kind` (--tmpfs, --dev) in argv."""
    return {argv[i + 1]: (argv[i - 1] if argv[i - 2] == "--size" else None) for i, a in enumerate(argv) if a == kind}


def test_every_writable_tmpfs_is_capped_and_dev_itself_is_read_only():
    argv = _argv(disk_mb=64)
    assert _mounted(argv, "--tmpfs") == {"/submission": str(64 << 20), "/tmp": str(64 << 20), "/dev/shm": str(64 << 20)}
    # bwrap's /dev has no size option: it is made read-only after /dev/shm is mounted in it.
    assert argv.index("--dev") < argv.index("/dev/shm") < argv.index("--remount-ro", argv.index("/dev/shm"))
    assert argv[argv.index("--remount-ro") + 1] == "/dev"


def test_nested_user_namespaces_are_disabled_with_an_explicit_user_namespace():
    argv = _argv()
    assert "--disable-userns" in argv and "--unshare-user" in argv  # bwrap refuses the first without the second
    assert argv[argv.index("--seccomp") + 1] == "5"
    assert "--as-pid-1" in argv


def test_the_kernel_environment_is_bound_at_a_fixed_path_with_a_pyvenv_cfg_that_names_no_host_path(tmp_path):
    (tmp_path / "pyvenv.cfg").write_text(
        "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n"
        f"executable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv {tmp_path}\n"
    )
    assert str(tmp_path) not in sanitised_pyvenv_cfg(tmp_path).decode()
    assert b"home = /usr/bin" in sanitised_pyvenv_cfg(tmp_path)
    argv = _argv()
    assert argv[argv.index("--ro-bind-data") + 1:][:2] == ["6", "/opt/kernel/pyvenv.cfg"]


def test_a_job_is_pinned_to_its_slots_core_and_the_reserve_at_idle_priority_unless_pinning_is_off(settings, tmp_path):
    import os

    from grader.cores import host_split
    from grader.sandbox import job_core, job_cores, uid_slot

    cores = sorted(os.sched_getaffinity(0))
    expected = sorted({cores[uid_slot() % len(cores)], *host_split().reserved})  # grader/cores.py: the floor
    with command(tmp_path, {}, Limits.from_settings(), 3, 4, 5) as (argv, fds):
        assert argv[:3] == [argv[0], "--cpu-list", ",".join(map(str, expected))]
        assert argv[0].endswith("taskset") and job_core() == cores[uid_slot() % len(cores)] and job_cores() == expected
        assert ["--class", "idle"] == argv[4:6] and ["-n", "19"] == argv[7:9]
        assert "--nice=0" in argv  # RLIMIT_NICE 0: the nice value cannot be lowered again
        assert {3, 4, 5} <= set(fds)
    settings.GRADER_PIN_CPU = False
    with command(tmp_path, {}, Limits.from_settings(), 3, 4, 5) as (argv, fds):
        assert "--cpu-list" not in argv and argv[0].endswith("ionice")
