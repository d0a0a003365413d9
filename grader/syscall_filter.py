"""The sandbox's seccomp filter: kernel calls a notebook never needs are refused.

Everything not named here is allowed (numpy, matplotlib, multiprocessing, ipykernel
and zmq, nbclient, torch). What is named is kernel attack surface or a way around the
sandbox's limits, and fails with EPERM, so Python raises a clean PermissionError
instead of the process dying. bubblewrap loads the compiled filter (`--seccomp FD`)
into the sandbox's first process, before anything of the student's runs; it is
inherited by every process after it and cannot be removed.

The filter is compiled by libseccomp's own Python bindings (Debian's python3-seccomp,
for the system Python): this module runs as a script under that Python and writes
the BPF program to stdout; the worker reads it once per process (`compiled_filter`).
The worker's own Python (a virtualenv, maybe another build) need not have them.
"""
from __future__ import annotations

import errno
import functools
import subprocess
import sys
from pathlib import Path

# Refused with EPERM, by group (see docs/grading.md for why each group is there).
REFUSED = {
    # Nested namespaces: a new user namespace gives the notebook "root" over fresh
    # mounts (a 64 GB tmpfs was mounted that way) and more kernel code to reach.
    "namespaces": ["unshare", "setns"],
    "mounts": ["mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig",
               "fsmount", "fspick", "mount_setattr"],
    # Reading or steering another process of the sandbox (the harness, pid 1).
    "other processes": ["ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
                        "kcmp"],
    # Large, often-exploited kernel interfaces no notebook uses.
    "kernel interfaces": ["io_uring_setup", "io_uring_enter", "io_uring_register", "perf_event_open", "bpf",
                          "userfaultfd", "keyctl", "add_key", "request_key", "open_by_handle_at",
                          "name_to_handle_at", "fanotify_init", "lookup_dcookie", "memfd_secret", "uselib",
                          "ustat", "sysfs", "_sysctl", "nfsservctl", "syslog", "vhangup", "acct", "quotactl",
                          "quotactl_fd", "iopl", "ioperm"],
    "kernel modules and reboot": ["init_module", "finit_module", "delete_module", "create_module",
                                  "get_kernel_syms", "query_module", "kexec_load", "kexec_file_load", "reboot",
                                  "swapon", "swapoff"],
    "clock": ["clock_settime", "settimeofday", "adjtimex", "clock_adjtime"],
    "names": ["sethostname", "setdomainname"],
    "memory placement": ["mbind", "set_mempolicy", "move_pages", "migrate_pages"],
    # System V shared memory and message queues hold memory that no process maps and
    # no file shows, so the memory watchdog could not count it; POSIX shared memory
    # (/dev/shm, memfd) does the same job and is counted.
    "unaccountable memory": ["shmget", "shmat", "shmdt", "shmctl", "msgget", "msgsnd", "msgrcv", "msgctl"],
    # The worker pins the job to one core at the lowest CPU and I/O priority; these
    # would let it widen the pinning or leave the idle I/O class again.
    "scheduling": ["sched_setaffinity", "ioprio_set"],
}

# clone() with any of these flags makes namespaces, like unshare(). CLONE_NEWTIME
# (0x80) is left out: in clone() the low byte is the exit signal, not a flag.
CLONE_NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
PERSONALITY_ALLOWED = (0x0, 0xFFFFFFFF)  # PER_LINUX, and the query that changes nothing
SOCKET_FAMILIES_ALLOWED = (1, 2, 10, 16)  # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (what Flatpak allows)
AF_MAX = 46
TIOCSTI, TIOCLINUX = 0x5412, 0x541C  # push keystrokes into a terminal


def _personality_refused() -> list[tuple[int, int]]:
    """(mask, value) pairs, one comparison each, that match every argument of
    personality() except PERSONALITY_ALLOWED: libseccomp takes only one comparison
    per argument in a rule, so "neither 0 nor 0xffffffff" is spelt out by bits."""
    high = ~0xFFFFFFFF & (2**64 - 1)  # the upper 32 bits
    top = 1 << 31
    # Below 2**31 and not 0: the highest set bit is some k < 31.
    below = [((2**64 - 1) & ~((1 << k) - 1), 1 << k) for k in range(31)]
    # From 2**31 up to (not including) 0xffffffff: bit 31 set, some lower bit j clear.
    upper = [(high | top | (1 << j), top) for j in range(31)]
    # Anything with an upper bit set.
    beyond = [(1 << b, 1 << b) for b in range(32, 64)]
    return below + upper + beyond


# What a predict process may no longer do once it is sealed (see seal() in the
# harness's predict_cell.py, and docs/grading.md "How the test set is asked"): it answers the batches it
# is sent from what it holds in memory, and can leave no trace another process of the
# sandbox could read later. So: no file opened (not even for reading: reading a FIFO
# drains it, reading a file stamps its access time), no file or directory changed, no
# new socket or connection, no process started or signalled, no lock taken, nothing
# about itself changed that /proc shows others (its name, priority, dumpability).
PREDICT_REFUSED = [
    "open", "openat", "openat2", "creat", "open_by_handle_at",
    "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat",
    "mkdir", "mkdirat", "rmdir", "mknod", "mknodat", "chmod", "fchmod", "fchmodat", "fchmodat2",
    "chown", "fchown", "lchown", "fchownat", "utime", "utimes", "utimensat", "futimesat",
    "truncate", "ftruncate", "fallocate", "setxattr", "lsetxattr", "fsetxattr", "removexattr",
    "lremovexattr", "fremovexattr", "flock",
    "socket", "connect", "bind", "listen", "accept", "accept4",
    "execve", "execveat", "fork", "vfork",
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_open",
    "setpriority", "sched_setscheduler", "sched_setparam", "sched_setattr",
    "inotify_init", "inotify_init1", "fanotify_init",
]
CLONE_THREAD = 0x00010000
PR_SET_DUMPABLE, PR_SET_NAME, PR_SET_MM = 4, 15, 35
F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_NOTIFY = 6, 7, 37, 38, 1024, 1026


def _compile_predict() -> bytes:
    """The sealed predict process's own filter, loaded on top of the sandbox's."""
    import seccomp

    sf = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    sf.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL)
    refuse = seccomp.ERRNO(errno.EPERM)
    for name in PREDICT_REFUSED:
        try:
            sf.add_rule(refuse, name)
        except (RuntimeError, ValueError, OSError):
            pass  # not a syscall of this architecture or libseccomp
    # Threads (numpy's BLAS starts its own) are clones with CLONE_THREAD; a new process is not.
    sf.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    sf.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for option in (PR_SET_DUMPABLE, PR_SET_NAME, PR_SET_MM):
        sf.add_rule(refuse, "prctl", seccomp.Arg(0, seccomp.EQ, option))
    for command in (F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_NOTIFY):
        sf.add_rule(refuse, "fcntl", seccomp.Arg(1, seccomp.EQ, command))
    return _export(sf)


def _export(sf) -> bytes:
    import os
    import tempfile

    with tempfile.TemporaryFile() as out:
        sf.export_bpf(out)
        out.flush()
        os.lseek(out.fileno(), 0, os.SEEK_SET)
        return out.read()


def _compile() -> bytes:
    """Build the BPF program. Runs under the Python that has libseccomp's bindings."""
    import seccomp

    sf = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    # A syscall of another ABI (32-bit int 0x80 from a 64-bit process) kills the
    # thread: nothing we run uses one, and the rules below are for the native ABI.
    sf.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL)
    refuse = seccomp.ERRNO(errno.EPERM)
    for names in REFUSED.values():
        for name in names:
            try:
                sf.add_rule(refuse, name)
            except (RuntimeError, ValueError, OSError):
                pass  # not a syscall of this architecture or libseccomp (e.g. create_module on new kernels)
    for flag in CLONE_NAMESPACE_FLAGS.values():
        sf.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, where seccomp cannot look. glibc falls back
    # to clone() when clone3 is missing (ENOSYS), not when it is refused (EPERM),
    # so ENOSYS keeps threads working while every clone is checked above.
    sf.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for mask, value in _personality_refused():
        sf.add_rule(refuse, "personality", seccomp.Arg(0, seccomp.MASKED_EQ, mask, value))
    for family in range(AF_MAX):
        if family not in SOCKET_FAMILIES_ALLOWED:
            sf.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.EQ, family))
    sf.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket", seccomp.Arg(0, seccomp.GE, AF_MAX))
    for request in (TIOCSTI, TIOCLINUX):
        sf.add_rule(refuse, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    return _export(sf)


@functools.lru_cache(maxsize=8)
def compiled_filter(python: str, which: str = "sandbox") -> bytes:
    """The BPF program ("sandbox", or "predict" for a sealed predict process), compiled
    once per worker process by `python` (which must have libseccomp's bindings). Raises
    RuntimeError saying why it could not be built."""
    try:
        out = subprocess.run([python, "-I", str(Path(__file__).resolve()), which], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"could not run {python} to compile the seccomp filter: {exc}") from exc
    if out.returncode != 0 or not out.stdout or len(out.stdout) % 8:
        raise RuntimeError(
            f"{python} could not compile the seccomp filter (exit {out.returncode}): "
            f"{out.stderr.decode(errors='replace').strip()[-600:]}. It needs libseccomp's Python bindings "
            "(Debian: python3-seccomp; `make system-packages`)."
        )
    return out.stdout


if __name__ == "__main__":
    sys.stdout.buffer.write(_compile_predict() if sys.argv[1:] == ["predict"] else _compile())
