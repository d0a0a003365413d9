from pathlib import Path

from grader.limits import Limits
from grader.sandbox import bwrap_argv


def test_the_writable_tmpfs_mounts_do_not_hide_a_checkout_under_tmp(settings):
    """CI may clone the project under /tmp: the sandbox's own /tmp must be mounted before
    the binds of the kernel environment and the inputs, or it would cover them."""
    settings.GRADER_KERNEL_VENV = Path("/tmp/checkout/.venv-kernel")
    argv = bwrap_argv(Path("/tmp/checkout/var/work/job/input"), {}, Limits.from_settings(), ["true"])
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
