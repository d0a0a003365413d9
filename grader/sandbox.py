"""Running the grading harness inside a bubblewrap sandbox.

The sandbox (see docs/grading.md for the threat model):

- runs as an unprivileged uid on the host (one per worker process, so a fork bomb
  in one job cannot starve another job's process count), mapped to 65534 inside;
- has its own user, pid, ipc, uts, cgroup and network namespaces: no network at
  all, only a private loopback for the kernel and its client;
- sees only read-only binds of /usr, the kernel virtualenv, the harness, the job's
  input files and the three public MNIST files; never the site's code, settings,
  database, media or the test labels;
- writes only to size-capped tmpfs mounts (/submission, the notebook's working
  directory, and /tmp), so it cannot fill the host's disk;
- starts with a cleared environment and rlimits on address space, CPU seconds,
  processes, file size and open files (set by prlimit before bwrap starts);
- dies with its parent, and the worker kills its whole process group at the wall
  clock limit, so a forked child cannot outlive the job.

Results come back over a pipe inherited by the harness alone (the kernel never
gets the descriptor), so nothing in the work directory is ever trusted or followed.
"""
from __future__ import annotations

import fcntl
import functools
import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

from .errors import SystemFault
from .limits import Limits

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
INPUT_MOUNT = "/grader-input"
HARNESS_MOUNT = "/grader-harness"
DATA_MOUNT = "/data/mnist"
WORK_MOUNT = "/submission"
SANDBOX_UID_IN = 65534


class SandboxUnavailable(SystemFault):
    """The sandbox cannot run here; the worker refuses to grade rather than run unconfined."""


def sandbox_mode() -> str:
    mode = settings.GRADER_SANDBOX
    if mode not in ("bwrap", "none"):
        raise SandboxUnavailable(f"GRADER_SANDBOX must be 'bwrap' or 'none' (development only), not {mode!r}")
    return mode


UID_SLOTS = 30000
_claimed: tuple[int, int, int] | None = None  # (pid, slot, lock fd) of this process's sandbox uid


def uid_slot() -> int:
    """This process's sandbox slot: the first one no other live process on the host holds.

    Each grading process (a Celery worker child, a test, `grade_notebook`) needs a host
    uid of its own: the process limit counts per uid, and after a run every process of
    that uid is killed. A slot is claimed with a POSIX lock on a file in a directory
    shared by every checkout on the host, held until this process exits (the kernel
    drops the lock then, even after kill -9), so two services or test runs side by side
    never share a uid. POSIX locks are not inherited by fork: a child claims its own.
    """
    global _claimed
    pid = os.getpid()
    if _claimed and _claimed[0] == pid:
        return _claimed[1]
    lock_dir = Path(settings.GRADER_SANDBOX_UID_LOCK_DIR)
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for slot in range(UID_SLOTS):
        fd = os.open(lock_dir / f"{settings.GRADER_SANDBOX_UID_BASE + slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        _claimed = (pid, slot, fd)
        return slot
    raise SandboxUnavailable(f"all {UID_SLOTS} sandbox uids are in use on this host")


def host_uid() -> int:
    """The unprivileged host uid this process's sandboxes run as (see uid_slot)."""
    return settings.GRADER_SANDBOX_UID_BASE + uid_slot()


def kernel_python() -> Path:
    return Path(settings.GRADER_KERNEL_VENV) / "bin" / "python"


def _prlimit(limits: Limits) -> list[str]:
    mb = 1024 * 1024
    return [
        shutil.which("prlimit") or "/usr/bin/prlimit",
        f"--as={limits.memory_mb * mb}",
        f"--cpu={limits.cpu_seconds}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_size_mb * mb}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--",
    ]


def sandbox_env() -> dict[str, str]:
    venv = str(settings.GRADER_KERNEL_VENV)
    return {
        "PATH": f"{venv}/bin:/usr/bin:/bin",
        "HOME": "/tmp/home",
        "LANG": "C.UTF-8",
        "MNIST_DATA_DIR": DATA_MOUNT,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "JUPYTER_RUNTIME_DIR": "/tmp/jupyter-runtime",
        "JUPYTER_DATA_DIR": "/tmp/jupyter-data",
        "IPYTHONDIR": "/tmp/ipython",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
    }


def bwrap_argv(input_dir: Path, data_files: dict[str, Path], limits: Limits, inner: list[str]) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; run `make system-packages`.")
    venv = str(Path(settings.GRADER_KERNEL_VENV).resolve())
    disk = str(limits.disk_mb * 1024 * 1024)
    argv = [
        bwrap,
        "--unshare-all",  # user, pid, ipc, uts, cgroup and network namespaces
        "--uid", str(SANDBOX_UID_IN), "--gid", str(SANDBOX_UID_IN),
        "--hostname", "sandbox",
        "--die-with-parent",
        "--new-session",  # no controlling terminal to push keystrokes into
        "--clearenv",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/sbin", "/sbin",
        # The writable tmpfs mounts come before the binds: a checkout that lives under
        # /tmp (CI clones there) must not be hidden by the sandbox's own /tmp.
        "--size", disk, "--tmpfs", WORK_MOUNT,
        "--size", disk, "--tmpfs", "/tmp",
        "--ro-bind", venv, venv,
        "--ro-bind", str(HARNESS_DIR), HARNESS_MOUNT,
        "--ro-bind", str(input_dir), INPUT_MOUNT,
    ]
    for name, path in data_files.items():
        argv += ["--ro-bind", str(path), f"{DATA_MOUNT}/{name}"]
    argv += [
        "--proc", "/proc",
        "--dev", "/dev",
        "--remount-ro", "/",
        "--chdir", WORK_MOUNT,
    ]
    for key, value in sandbox_env().items():
        argv += ["--setenv", key, value]
    return argv + ["--"] + inner


def popen_kwargs() -> dict:
    """Drop to this worker's unprivileged uid for the sandbox (bwrap then needs no privileges)."""
    if os.geteuid() != 0:
        return {}  # already unprivileged: bwrap runs as this user
    uid = host_uid()
    return {"user": uid, "group": uid, "extra_groups": []}


@functools.lru_cache(maxsize=1)
def _probe(venv: str, uid: int) -> str | None:
    """Start a sandbox once and import the kernel's packages; return why it failed, or None."""
    from .data import public_files

    probe_dir = Path(settings.GRADER_WORK_ROOT) / f"probe-{os.getpid()}"
    probe_dir.mkdir(parents=True, exist_ok=True)
    probe_dir.chmod(0o755)
    try:
        limits = Limits.from_settings()
        inner = [str(kernel_python()), "-c", "import numpy, ipykernel, nbclient; print('sandbox-ok')"]
        argv = _prlimit(limits) + bwrap_argv(probe_dir, public_files(), limits, inner)
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=120, **popen_kwargs())
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"could not start the sandbox: {exc}"
        if "sandbox-ok" not in out.stdout:
            return (
                f"a trial sandbox failed (exit {out.returncode}): {out.stderr.strip()[-800:]}. "
                f"The kernel environment {venv} and the project directory must be readable by an "
                "unprivileged user, and unprivileged user namespaces must be enabled."
            )
        return None
    finally:
        shutil.rmtree(probe_dir, ignore_errors=True)


def blocked_directory(path: Path) -> Path | None:
    """The first directory on the way to `path` that other users cannot enter, if any."""
    for parent in reversed(Path(path).resolve().parents):
        if not parent.stat().st_mode & 0o001:
            return parent
    return None


def check_sandbox() -> None:
    """Raise SandboxUnavailable, saying why, unless grading can run confined (or is explicitly unconfined)."""
    if sandbox_mode() == "none":
        return
    if not kernel_python().exists():
        raise SandboxUnavailable(f"The kernel environment is missing ({kernel_python()}); run `make kernel-venv`.")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; run `make system-packages`.")
    if os.geteuid() == 0:
        for needed in (settings.GRADER_KERNEL_VENV, HARNESS_DIR, settings.GRADER_WORK_ROOT, settings.MNIST_DATA_DIR):
            blocked = blocked_directory(Path(needed) / "x")
            if blocked:
                raise SandboxUnavailable(
                    f"The grading sandbox runs as an unprivileged user, which cannot enter {blocked} "
                    f"(on the way to {needed}). Make it enterable (chmod o+x) or move that path."
                )
    reason = _probe(str(settings.GRADER_KERNEL_VENV), popen_kwargs().get("user", os.geteuid()))
    if reason:
        _probe.cache_clear()  # try again next time: an operator may fix it without restarting
        raise SandboxUnavailable(f"The grading sandbox is unusable: {reason}")


def command(input_dir: Path, data_files: dict[str, Path], limits: Limits, result_fd: int) -> list[str]:
    """The full command line for one grading run."""
    if sandbox_mode() == "none":
        # Development only (GRADER_SANDBOX=none): same harness and rlimits, no isolation.
        harness = [str(kernel_python()), str(HARNESS_DIR / "run_notebook.py"), str(input_dir), str(result_fd)]
        return _prlimit(limits) + harness
    harness = [str(kernel_python()), f"{HARNESS_MOUNT}/run_notebook.py", INPUT_MOUNT, str(result_fd)]
    return _prlimit(limits) + bwrap_argv(input_dir, data_files, limits, harness)
