"""Running the grading harness inside a bubblewrap sandbox.

The sandbox (see docs/grading.md for the threat model):

- runs as an unprivileged uid on the host (one per worker process, so a fork bomb
  in one job cannot starve another job's process count), mapped to 65534 inside;
- has its own user, pid, ipc, uts, cgroup and network namespaces: no network at
  all, only a private loopback for the kernel and its client; no further user
  namespaces (`--disable-userns`), and a seccomp filter (grader/syscall_filter.py)
  refuses the kernel calls a notebook never needs;
- sees only read-only binds of /usr, the kernel virtualenv (at a fixed path, so the
  host's checkout path is not in sys.prefix, PATH or pid 1's command line), the
  harness, the job's input files and the public MNIST training files (no test
  image file: the harness receives the test images over a pipe and asks predict
  about them in batches); never the site's
  code, settings, database, media or the test labels;
- writes only to size-capped tmpfs mounts (/submission, the notebook's working
  directory, /tmp and /dev/shm; /dev itself is read-only), so it cannot fill the
  host's disk, and the worker's memory watchdog counts what they hold;
- starts with a cleared environment and rlimits on address space, CPU seconds,
  processes, file size and open files (set by prlimit before bwrap starts), pinned
  to its slot's CPU core and the cores kept from the web (grader/cores.py) at the
  lowest CPU and I/O priority (set before bwrap starts, so everything inherits it
  and the filter keeps it from being undone);
- has a tiny init of ours as pid 1 (grader/harness/init.py), and dies with its
  parent; the worker kills the whole job at the wall clock or memory limit, so a
  forked child cannot outlive the job.

Results come back over a pipe inherited by the harness alone (the kernel never
gets the descriptor), so nothing in the work directory is ever trusted or followed.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

from django.conf import settings

from . import environments, syscall_filter
from .errors import SystemFault
from .limits import Limits

HARNESS_DIR = Path(__file__).resolve().parent / "harness"
INPUT_MOUNT = "/grader-input"
HARNESS_MOUNT = "/grader-harness"
KERNEL_MOUNT = "/opt/kernel"  # the kernel virtualenv, wherever it lives on the host
DATA_MOUNT = "/data/mnist"
WORK_MOUNT = "/submission"
SCRATCH_MOUNTS = (WORK_MOUNT, "/tmp", "/dev/shm")  # the writable tmpfs mounts, each capped at disk_mb
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
    return environments.active_venv() / "bin" / "python"


def _prlimit(limits: Limits) -> list[str]:
    mb = 1024 * 1024
    return [
        shutil.which("prlimit") or "/usr/bin/prlimit",
        f"--as={limits.process_memory_mb * mb}",
        f"--cpu={limits.cpu_seconds}",
        f"--nproc={limits.processes}",
        f"--fsize={limits.file_size_mb * mb}",
        f"--nofile={limits.open_files}",
        "--core=0",
        "--nice=0",  # RLIMIT_NICE 0: the job can never lower its nice value again
        "--",
    ]


def job_core() -> int | None:
    """The CPU core that is this process's jobs' own: its uid slot modulo the cores it
    may use, so that two grading slots on a host take different cores. None when
    pinning is off (GRADER_PIN_CPU=0)."""
    if not settings.GRADER_PIN_CPU:
        return None
    cores = sorted(os.sched_getaffinity(0))
    return cores[uid_slot() % len(cores)]


def job_cores() -> list[int] | None:
    """The cores this process's jobs may run on: their own, and the cores the web never
    runs on (grader/cores.py). While pages take the job's own core, the scheduler moves
    the job to the reserved ones, where it waits behind no page and shares only with the
    other jobs; so grading has a floor. A fork army still reaches at most its own core and
    the reserve, never another slot's own. None when pinning is off (the job may then run
    anywhere, the reserve included)."""
    own = job_core()
    if own is None:
        return None
    from .cores import host_split

    return sorted({own, *host_split().reserved})


def _priority() -> list[str]:
    """Lowest CPU and I/O priority, and the job's cores, set on the first process of the
    chain so that bwrap and everything after it inherit them. The job cannot undo them:
    RLIMIT_NICE is 0, and the seccomp filter refuses sched_setaffinity and ioprio_set."""
    argv = []
    cores = job_cores()
    if cores is not None:
        argv += [shutil.which("taskset") or "/usr/bin/taskset", "--cpu-list", ",".join(map(str, cores))]
    argv += [shutil.which("ionice") or "/usr/bin/ionice", "--class", "idle"]
    argv += [shutil.which("nice") or "/usr/bin/nice", "-n", "19"]
    return argv


def sandbox_env() -> dict[str, str]:
    venv = KERNEL_MOUNT if sandbox_mode() == "bwrap" else str(environments.active_venv())
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


def sanitised_pyvenv_cfg(venv: Path) -> bytes:
    """The kernel virtualenv's pyvenv.cfg without the line that records the command
    (and so the host path) it was made with."""
    lines = (venv / "pyvenv.cfg").read_text().splitlines()
    return "".join(f"{line}\n" for line in lines if not line.startswith("command")).encode()


def bwrap_argv(input_dir: Path, data_files: dict[str, Path], limits: Limits, inner: list[str],
               seccomp_fd: int, pyvenv_fd: int) -> list[str]:
    """`seccomp_fd` holds the compiled filter, `pyvenv_fd` the sanitised pyvenv.cfg
    (both read by bwrap as it starts: see sandbox_files)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; run `make system-packages`.")
    venv = str(environments.active_venv().resolve())
    disk = str(limits.disk_mb * 1024 * 1024)
    argv = [
        bwrap,
        "--unshare-all",  # user, pid, ipc, uts, cgroup and network namespaces
        "--unshare-user", "--disable-userns",  # and none nested inside (needs the explicit --unshare-user)
        "--uid", str(SANDBOX_UID_IN), "--gid", str(SANDBOX_UID_IN),
        "--hostname", "sandbox",
        "--die-with-parent",
        "--new-session",  # no controlling terminal to push keystrokes into
        "--as-pid-1",  # our init (the inner command) is pid 1, not bwrap with its argument list
        "--clearenv",
        "--seccomp", str(seccomp_fd),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/sbin", "/sbin",
        # The writable tmpfs mounts come before the binds: a checkout that lives under
        # /tmp (CI clones there) must not be hidden by the sandbox's own /tmp.
        "--size", disk, "--tmpfs", WORK_MOUNT,
        "--size", disk, "--tmpfs", "/tmp",
        "--ro-bind", venv, KERNEL_MOUNT,
        "--ro-bind-data", str(pyvenv_fd), f"{KERNEL_MOUNT}/pyvenv.cfg",
        "--ro-bind", str(HARNESS_DIR), HARNESS_MOUNT,
        "--ro-bind", str(input_dir), INPUT_MOUNT,
    ]
    for name, path in data_files.items():
        argv += ["--ro-bind", str(path), f"{DATA_MOUNT}/{name}"]
    argv += [
        "--proc", "/proc",
        # bwrap's /dev is a tmpfs of its own with no size option: give /dev/shm a
        # capped tmpfs and make the rest of /dev read-only, so no mount is both
        # writable and uncapped.
        "--dev", "/dev",
        "--size", disk, "--tmpfs", "/dev/shm",
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--chdir", WORK_MOUNT,
    ]
    for key, value in sandbox_env().items():
        argv += ["--setenv", key, value]
    return argv + ["--"] + inner


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name, 0)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def predict_filter() -> bytes:
    """The seccomp filter a predict process loads on top of the sandbox's to seal itself."""
    try:
        return syscall_filter.compiled_filter(settings.GRADER_SECCOMP_PYTHON, "predict")
    except RuntimeError as exc:
        raise SandboxUnavailable(str(exc)) from exc


@contextlib.contextmanager
def sandbox_files() -> Iterator[tuple[int, int]]:
    """(seccomp_fd, pyvenv_fd) for one sandbox start; closed on exit (bwrap has read
    them by the time the started process is running)."""
    try:
        bpf = syscall_filter.compiled_filter(settings.GRADER_SECCOMP_PYTHON)
    except RuntimeError as exc:
        raise SandboxUnavailable(str(exc)) from exc
    fds = []
    try:
        fds.append(_memfd("seccomp", bpf))
        fds.append(_memfd("pyvenv.cfg", sanitised_pyvenv_cfg(environments.active_venv())))
        yield fds[0], fds[1]
    finally:
        for fd in fds:
            os.close(fd)


def popen_kwargs() -> dict:
    """Drop to this worker's unprivileged uid for the sandbox (bwrap then needs no privileges)."""
    if os.geteuid() != 0:
        return {}  # already unprivileged: bwrap runs as this user
    uid = host_uid()
    return {"user": uid, "group": uid, "extra_groups": []}


@functools.lru_cache(maxsize=8)  # one per kernel environment and uid
def _probe(venv: str, uid: int) -> str | None:
    """Start a sandbox once and import the kernel's packages; return why it failed, or None."""
    from .data import public_files

    probe_dir = Path(settings.GRADER_WORK_ROOT) / f"probe-{os.getpid()}"
    probe_dir.mkdir(parents=True, exist_ok=True)
    probe_dir.chmod(0o755)
    try:
        limits = Limits.from_settings()
        inner = sandboxed_python() + ["-c", "import numpy, ipykernel, nbclient; print('sandbox-ok')"]
        try:
            with sandbox_files() as (seccomp_fd, pyvenv_fd):
                argv = _priority() + _prlimit(limits) + bwrap_argv(probe_dir, public_files(), limits, inner,
                                                                    seccomp_fd, pyvenv_fd)
                out = subprocess.run(argv, capture_output=True, text=True, timeout=120, pass_fds=(seccomp_fd, pyvenv_fd),
                                     **popen_kwargs())
        except SandboxUnavailable as exc:
            return str(exc)
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
        name = environments.active()
        raise SandboxUnavailable(f"The kernel environment {name!r} is missing ({kernel_python()}); "
                                 f"run `{environments.BUILD.get(name, 'make kernel-venv')}`.")
    if shutil.which("bwrap") is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed; run `make system-packages`.")
    if os.geteuid() == 0:
        for needed in (environments.active_venv(), HARNESS_DIR, settings.GRADER_WORK_ROOT, settings.MNIST_DATA_DIR):
            blocked = blocked_directory(Path(needed) / "x")
            if blocked:
                raise SandboxUnavailable(
                    f"The grading sandbox runs as an unprivileged user, which cannot enter {blocked} "
                    f"(on the way to {needed}). Make it enterable (chmod o+x) or move that path."
                )
    reason = _probe(str(environments.active_venv()), popen_kwargs().get("user", os.geteuid()))
    if reason:
        _probe.cache_clear()  # try again next time: an operator may fix it without restarting
        raise SandboxUnavailable(f"The grading sandbox is unusable: {reason}")


def sandboxed_python() -> list[str]:
    """Our init, as pid 1, starting the kernel environment's Python (paths inside the sandbox)."""
    python = f"{KERNEL_MOUNT}/bin/python"
    return [python, "-I", "-S", f"{HARNESS_MOUNT}/init.py", python]


@contextlib.contextmanager
def command(input_dir: Path, data_files: dict[str, Path], limits: Limits, result_fd: int,
            progress_fd: int, images_fd: int, script: str = "run_notebook.py") -> Iterator[tuple[list[str], tuple[int, ...]]]:
    """(argv, descriptors the process must inherit) for one grading run, valid while
    the context is open: start the process inside it. `images_fd` is the read end of
    the pipe that brings the images predict is asked about (see run_notebook.py).
    `script` is the harness to start: run_notebook.py, or render_again.py, which draws a
    stored executed notebook's page again with the same arguments."""
    fds = (result_fd, progress_fd, images_fd)
    if sandbox_mode() == "none":
        # Development only (GRADER_SANDBOX=none): same harness and rlimits, no isolation.
        harness = [str(kernel_python()), str(HARNESS_DIR / script), str(input_dir)] + [str(fd) for fd in fds]
        yield _priority() + _prlimit(limits) + harness, fds
        return
    harness = sandboxed_python() + [f"{HARNESS_MOUNT}/{script}", INPUT_MOUNT] + [str(fd) for fd in fds]
    with sandbox_files() as (seccomp_fd, pyvenv_fd):
        argv = _priority() + _prlimit(limits) + bwrap_argv(input_dir, data_files, limits, harness, seccomp_fd, pyvenv_fd)
        yield argv, fds + (seccomp_fd, pyvenv_fd)
