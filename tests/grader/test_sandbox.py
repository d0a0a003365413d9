from pathlib import Path

from grader.sandbox import Limits, bwrap_argv


def test_the_writable_tmpfs_mounts_do_not_hide_a_checkout_under_tmp(settings):
    """CI may clone the project under /tmp: the sandbox's own /tmp must be mounted before
    the binds of the kernel environment and the inputs, or it would cover them."""
    settings.GRADER_KERNEL_VENV = Path("/tmp/checkout/.venv-kernel")
    argv = bwrap_argv(Path("/tmp/checkout/var/work/job/input"), {}, Limits.from_settings(), ["true"])
    tmpfs_tmp = max(i for i, a in enumerate(argv) if a == "/tmp" and argv[i - 1] == "--tmpfs")
    first_bind = min(i for i, a in enumerate(argv) if a == "--ro-bind" and argv[i + 1].startswith("/tmp/checkout"))
    assert tmpfs_tmp < first_bind
