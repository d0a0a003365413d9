"""One sandboxed run of the harness: prepare the inputs, start, watch, collect."""
from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


from . import cgroups, notebooks, sandbox
from .data import public_data_dir, public_files
from .errors import SystemFault
from .harness import payload, protocol
from .limits import WALL_BACKSTOP_FACTOR
from .scoring import RawPredictions
from .watchdog import MB, MemoryWatchdog, cpu_seconds, descendants_of, processes_of

log = logging.getLogger(__name__)
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
# After the wall-clock backstops of the total limit and the rendering budget (the harness
# keeps both in charged time itself), the time it may take to cut outputs, read the labels
# and send them before it is killed.
HARNESS_GRACE_S = 30


def wall_limit_s(limits: sandbox.Limits) -> float:
    """When the worker kills a sandbox whatever the harness is doing (see grader/limits.py)."""
    return WALL_BACKSTOP_FACTOR * (limits.total_timeout_s + limits.render_timeout_s) + HARNESS_GRACE_S


@dataclass
class RunOutcome:
    result: dict  # the harness's account of the run ({} if it sent nothing)
    notebook: str | None  # the executed notebook (outputs capped), compact JSON
    predictions: RawPredictions | None  # as the harness described them, unchecked: scoring checks them
    wall_seconds: float
    timed_out: bool
    log_tail: str
    payload_error: str | None = None
    exit_code: int | None = None
    memory_exceeded: bool = False  # the watchdog stopped the job at its memory limit
    memory_peak_mb: float | None = None  # the most the watchdog saw the whole job hold
    memory_detail: str = ""  # what the peak was made of, for the TA's log
    cpu_seconds: float | None = None  # the job's CPU time when the wall clock stopped it (timed_out)
    last_cell: str | None = None  # the cell the harness last started ("3", "predict", or "render")
    html: bytes | None = None  # the executed notebook as a page, rendered in the sandbox; stored as it is
    page_lost: bool = False  # the result came, then the job was stopped while it drew the page


class _Drain(threading.Thread):
    """Read a pipe to its end, keeping at most `keep` bytes (the head or the tail)."""

    def __init__(self, fd: int, keep: int, tail: bool):
        super().__init__(daemon=True)
        self.fd, self.keep, self.tail = fd, keep, tail
        self.data = bytearray()
        self.overflow = False

    def run(self):
        with os.fdopen(self.fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                self.data += chunk
                if len(self.data) > self.keep:
                    self.overflow = True
                    if self.tail:
                        del self.data[: len(self.data) - self.keep]
                    else:
                        del self.data[self.keep:]


def prepare_inputs(job_dir: Path, notebook_bytes: bytes, phases: list[int], limits: sandbox.Limits,
                   batch_size: int, executed: bool = False) -> Path:
    """Write the read-only inputs of one run; readable (not writable) by the sandbox's uid.

    No image is among them: the images predict is asked about reach the harness through
    a pipe (run_harness), `phases` images at a time (the probe, then the test set)."""
    if job_dir.exists():
        shutil.rmtree(job_dir)
    input_dir = job_dir / "input"
    input_dir.mkdir(parents=True)
    job_dir.chmod(0o711)
    input_dir.chmod(0o755)
    unconfined = sandbox.sandbox_mode() == "none"
    scratch = job_dir / "scratch"
    if unconfined:
        scratch.mkdir()
    config = {
        # Each predict process seals itself with this filter before it is asked anything
        # (the harness checks that it did); unconfined development runs are not sealed.
        "seal_filter": None if unconfined else f"{sandbox.INPUT_MOUNT}/seal.bpf",
        "writable": [] if unconfined else list(sandbox.SCRATCH_MOUNTS),
        "cell_timeout_s": limits.cell_timeout_s,
        "total_timeout_s": limits.total_timeout_s,
        "stored_output_kb": limits.stored_output_kb,
        "render_timeout_s": limits.render_timeout_s,
        "rendered_html_kb": limits.rendered_html_kb,
        "wall_backstop_s": limits.wall_backstop_s,
        "confined": not unconfined,  # whether /proc holds only the job's processes (charged time)
        "phases": [int(n) for n in phases],
        "batch_size": int(batch_size),
        "workdir": str(scratch) if unconfined else sandbox.WORK_MOUNT,
    }
    # A notebook to run gets its copy without outputs or metadata (notebooks.run_copy); an
    # executed one, drawn again as a page, is the grader's own output and keeps them.
    (input_dir / "submission.ipynb").write_bytes(notebook_bytes if executed else notebooks.run_copy(notebook_bytes))
    (input_dir / "config.json").write_text(json.dumps(config))
    if not unconfined:
        (input_dir / "seal.bpf").write_bytes(sandbox.predict_filter())
    for path in input_dir.iterdir():
        path.chmod(0o644)
    return input_dir


class _Results(_Drain):
    """The result pipe's drain, which also says (`first`, an Event) when the harness's first
    payload is all there, so the worker can act on it while the second (the page) comes."""

    def __init__(self, fd: int, keep: int):
        super().__init__(fd, keep, tail=False)
        self.first = threading.Event()
        self.first_length: int | None = None
        self._unreadable = False

    def run(self):
        try:
            with os.fdopen(self.fd, "rb", buffering=0) as pipe:
                while chunk := pipe.read(1 << 16):
                    self.data += chunk
                    if len(self.data) > self.keep:
                        self.overflow = True
                        del self.data[self.keep:]
                    self._look_for_first()
        finally:
            self.first.set()  # at the end at the latest: whoever waits for it is not left waiting

    def _look_for_first(self) -> None:
        if self.first.is_set() or self._unreadable or self.overflow:
            return
        try:
            if self.first_length is None:
                self.first_length = payload.first_length(bytes(self.data[:payload.MAX_HEADER_BYTES + 1]))
        except payload.PayloadError:
            self._unreadable = True  # read whole at the end, where the error is reported
            return
        if self.first_length is not None and len(self.data) >= self.first_length:
            self.first.set()

    def first_payload(self) -> bytes | None:
        """The first payload's bytes, once they are all there (None if they never were)."""
        if self.first_length is None or self.overflow or len(self.data) < self.first_length:
            return None
        return bytes(self.data[:self.first_length])


class _Feed(threading.Thread):
    """Write the images to the harness's pipe, as fast as the harness reads them. The
    harness reads them only once the notebook has run; if it never does (the notebook
    failed first), the write fails when the sandbox ends, and that is no error."""

    def __init__(self, fd: int, data):
        super().__init__(daemon=True)
        self.fd, self.data = fd, data

    def run(self):
        try:
            with os.fdopen(self.fd, "wb", buffering=0) as pipe:
                # Made while the sandbox starts (a callable), or made before it (bytes). If
                # making them fails, the pipe closes empty: the harness reports the images
                # missing, and the pipeline raises the maker's error when it reads the order.
                view = memoryview(self.data() if callable(self.data) else self.data)
                while view:
                    view = view[pipe.write(view):]
        except OSError:
            pass


def run_harness(job_dir: Path, input_dir: Path, limits: sandbox.Limits, images: bytes = b"",
                script: str = "run_notebook.py", wall_s: float | None = None, on_result=None) -> RunOutcome:
    """`images`: the uint8 pixels of every image predict is asked about, in the order asked
    (bytes, or a callable that returns them, called on the thread that feeds the harness).
    `script`: the harness to start (see sandbox.command); `wall_s`: when the worker kills
    the sandbox whatever it is doing (by default the wall-clock backstop, wall_limit_s).

    `on_result(outcome)`: called in this thread with the run's outcome as soon as the
    harness's first payload (the result and predictions) is in, while the sandbox goes on
    drawing the page under the same watch (memory, wall clock); not called if the job
    ends or is stopped first. Whatever it raises stops the sandbox and is raised here.
    The outcome returned at the end has the page (html, result["render"]) too."""
    if wall_s is None:
        wall_s = wall_limit_s(limits)
    become_subreaper()  # before anything, the trial sandbox included, starts a sandbox
    sandbox.check_sandbox()
    result_r, result_w = os.pipe()
    progress_r, progress_w = os.pipe()  # the harness names each cell as it starts it
    log_r, log_w = os.pipe()
    images_r, images_w = os.pipe()  # the images, read by the harness alone: no file holds them
    env = sandbox.sandbox_env() if sandbox.sandbox_mode() == "bwrap" else {
        **sandbox.sandbox_env(), "MNIST_DATA_DIR": str(public_data_dir()), "HOME": str(job_dir / "scratch"),
        "MPLCONFIGDIR": str(job_dir / "scratch" / ".mpl"), "JUPYTER_RUNTIME_DIR": str(job_dir / "scratch" / ".rt"),
        "JUPYTER_DATA_DIR": str(job_dir / "scratch" / ".jd"), "IPYTHONDIR": str(job_dir / "scratch" / ".ip"),
    }
    job_cgroup = cgroups.job_cgroup(limits)
    started = time.monotonic()
    try:
        with sandbox.command(input_dir, public_files(), limits, result_w, progress_w, images_r,
                             script=script) as (argv, fds):
            proc = subprocess.Popen(
                (job_cgroup.wrap(argv) if job_cgroup else argv), env=env, stdin=subprocess.DEVNULL, stdout=log_w,
                stderr=log_w, pass_fds=fds + (job_cgroup.fds if job_cgroup else ()),
                start_new_session=True,  # its own process group: one kill reaches everything it started
                cwd=job_dir, **sandbox.popen_kwargs(),
            )
    except OSError as exc:
        for fd in (result_r, result_w, progress_r, progress_w, log_r, log_w, images_r, images_w):
            os.close(fd)
        if job_cgroup:
            job_cgroup.remove()
        raise SystemFault(f"could not start the sandbox: {exc}") from exc
    finally:
        if job_cgroup:
            job_cgroup.close_child_fds()
    for fd in (result_w, progress_w, log_w, images_r):
        os.close(fd)
    if job_cgroup:
        try:
            job_cgroup.admit(proc.pid)  # before anything of the job's is started
        except SystemFault:
            _kill_group(proc)
            job_cgroup.remove()
            for fd in (result_r, progress_r, log_r, images_w):
                os.close(fd)
            raise
    feed = _Feed(images_w, images)
    feed.start()
    result_reader = _Results(result_r, MAX_PAYLOAD_BYTES)
    progress_reader = _Drain(progress_r, 4096, tail=True)
    log_reader = _Drain(log_r, limits.log_tail_kb * 1024, tail=True)
    for reader in (result_reader, progress_reader, log_reader):
        reader.start()

    watch = _Watch(proc, job_watchdog(proc.pid, limits), started, wall_s, job_cgroup)
    watch.start()  # on a thread of its own: it keeps watching while on_result stores the score
    try:
        if on_result is not None:
            while not (result_reader.first.wait(0.05) or watch.ended.is_set()):
                pass
            first = result_reader.first_payload()
            if first is not None and not watch.ended.is_set():
                early = RunOutcome(result={}, notebook=None, predictions=None,
                                   wall_seconds=time.monotonic() - started, timed_out=False,
                                   log_tail=bytes(log_reader.data).decode(errors="replace"))
                _parse_payload(first, False, early)
                if not early.payload_error:
                    on_result(early)
    except BaseException:
        watch.stop.set()  # the worker gives the job up: nothing of it may go on
        raise
    finally:
        watch.join()
        _kill_group(proc)
        # The kernel killed a process of the job at its cgroup's limit (kernel memory the
        # watchdog cannot see, or faster than it samples): the job ran out of memory.
        cgroup_oom = bool(job_cgroup and job_cgroup.oom_kills())
        cgroup_detail = job_cgroup.describe() if job_cgroup else ""
        # Then what the kernel counted is the figure to tell (the watchdog's misses kernel memory).
        cgroup_peak = job_cgroup.peak_mb() if cgroup_oom else None
        if job_cgroup:
            job_cgroup.remove()
        for reader in (result_reader, progress_reader, log_reader, feed):
            reader.join(10)
    watchdog = watch.watchdog
    peak = watchdog.peak
    outcome = RunOutcome(
        result={}, notebook=None, predictions=None, wall_seconds=time.monotonic() - started,
        timed_out=watch.timed_out, log_tail=bytes(log_reader.data).decode(errors="replace"),
        exit_code=proc.returncode, memory_exceeded=watchdog.exceeded or cgroup_oom,
        # Each count misses something (the watchdog kernel memory, the kernel's stops at the
        # limit it enforces): the larger is the better figure of what the job held.
        memory_peak_mb=max((mb for mb in (cgroup_peak, peak.total / MB if peak else None) if mb is not None),
                           default=None),
        memory_detail=(f"processes {peak.processes / MB:.0f} MB ({peak.count}), tmpfs {peak.tmpfs / MB:.0f} MB, "
                       f"memfd {peak.memfd / MB:.0f} MB; {watchdog.samples} samples"
                       + (f"; {cgroup_detail}" if cgroup_detail else "")) if peak else cgroup_detail,
        last_cell=_last_line(bytes(progress_reader.data)), cpu_seconds=watch.used_cpu,
    )
    raw = bytes(result_reader.data)
    first = result_reader.first_payload()
    if not watch.timed_out and not outcome.memory_exceeded:
        _parse_payload(raw, result_reader.overflow, outcome)
    elif first is not None:
        # Stopped while it drew the page: the result it sent before stands, the page is missing.
        _parse_payload(first, False, outcome)
        outcome.page_lost = True
    return outcome


class _Watch(threading.Thread):
    """The job's watch: the wall clock and the memory watchdog, until the job ends or is
    stopped (the sandbox itself is killed by whoever joins this)."""

    def __init__(self, proc: subprocess.Popen, watchdog: MemoryWatchdog, started: float, wall_s: float,
                 job_cgroup=None):
        super().__init__(daemon=True, name="sandbox-watch")
        self.proc, self.watchdog, self.started, self.wall_s = proc, watchdog, started, wall_s
        self.job_cgroup = job_cgroup  # a cgroup of the job's own, if the host gives one
        self.stop = threading.Event()  # the worker gave up on the job (on_result raised)
        self.ended = threading.Event()
        self.timed_out, self.used_cpu = False, None

    def run(self):
        try:
            while self.proc.poll() is None and not self.stop.is_set():
                if time.monotonic() - self.started > self.wall_s:
                    self.timed_out = True
                    # Before the kill: whether the job itself kept its core busy (then the notebook
                    # stalled its harness) or barely ran (the host starved it).
                    self.used_cpu = cpu_seconds(self.watchdog.find_pids())
                    break
                if self.watchdog.due(time.monotonic()):
                    self.watchdog.sample()
                    if self.watchdog.exceeded or (self.job_cgroup and self.job_cgroup.oom_kills()):
                        break
                time.sleep(0.01)
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # at once; the joiner makes sure all is gone
            except (ProcessLookupError, PermissionError):
                pass
            self.ended.set()


def job_watchdog(outer_pid: int, limits: sandbox.Limits) -> MemoryWatchdog:
    """The memory watchdog of the job started as `outer_pid`: its processes are those of
    the job's host uid (or, running as the worker's own uid, those under outer_pid)."""
    uid = sandbox.popen_kwargs().get("user")
    if uid is not None:
        def find_pids():
            return [pid for pid, state in processes_of(uid) if state != "Z"]
    else:
        def find_pids():
            return descendants_of(outer_pid)
    confined = sandbox.sandbox_mode() == "bwrap"
    return MemoryWatchdog(
        limits.memory_mb * MB, find_pids, outer_pid,
        mounts=sandbox.SCRATCH_MOUNTS if confined else (), mount_size=limits.disk_mb * MB,
    )


def _last_line(raw: bytes) -> str | None:
    lines = raw.decode(errors="replace").split()
    return lines[-1] if lines else None


def _parse_payload(raw: bytes, overflow: bool, outcome: RunOutcome) -> None:
    """Fill `outcome` from the harness's payload, or say in payload_error why it is unusable.

    The notebook can shape much of what the harness sends (outputs, widget state, the
    labels file), so nothing here trusts it: lengths and types are checked and nothing is
    allocated from a size the payload claims. Whatever the bytes, this raises nothing.
    """
    if overflow:
        outcome.payload_error = "the harness sent more than the payload limit"
        return
    if not raw:
        outcome.payload_error = "the harness sent nothing"
        return
    try:
        length = payload.first_length(raw)
        if length is None or length > len(raw):
            length = len(raw)  # decode says what is wrong with it
        header, blobs = payload.decode(raw[:length])
        if length < len(raw):  # a grading run's second payload: the page (none after a busy host's)
            try:
                page_header, page_blobs = payload.decode(raw[length:])
            except payload.PayloadError as exc:
                raise payload.PayloadError(f"{len(raw) - length} bytes after the last blob ({exc})") from None
            render = page_header["result"].get("render")
            # A harness that failed drawing the page left no account of it: the page is missing.
            header["result"]["render"] = render if isinstance(render, dict) else {
                "problem": protocol.RENDER_CRASHED, "cell": None, "detail": str(page_header["result"].get("detail", ""))[-1500:]}
            blobs["html"] = page_blobs.get("html")
        predictions = header.get("predictions")
        if predictions is not None:
            if not isinstance(predictions, dict):
                raise payload.PayloadError("the predictions header is not an object")
            outcome.predictions = RawPredictions(
                dtype=predictions.get("dtype"), shape=predictions.get("shape"),
                data=blobs.get("predictions"), dtype_name=predictions.get("dtype_name", ""), asked=predictions.get("asked"),
            )
        notebook = blobs.get("notebook")
        outcome.notebook = notebook.decode(errors="replace") if notebook is not None else None
        outcome.html = blobs.get("html")
        outcome.result = header["result"]
    except payload.PayloadError as exc:
        outcome.payload_error = f"unreadable harness payload ({exc})"


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill the sandbox and make sure nothing it started is still alive when we return.

    Killing bwrap's process group kills bwrap; the processes inside its pid namespace
    then die with it, but asynchronously. When the sandbox runs as this worker's own
    uid, we wait for (and if need be kill) every process of that uid, so none outlives
    the job or counts against the next job's process limit.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    uid = sandbox.popen_kwargs().get("user")
    if uid is None:
        return
    started = time.monotonic()
    while True:
        live = []
        for pid, state in processes_of(uid):
            if state == "Z":
                _reap(pid)  # a zombie holds nothing but its pid; reap it if it is ours
            else:
                live.append(pid)
        if not live:
            return
        waited = time.monotonic() - started
        if waited > 5:
            for pid in live:
                _signal(pid, signal.SIGKILL)
        if waited > 30:
            log.warning("sandbox processes %s of uid %s survived SIGKILL for 30 s", live, uid)
            return
        time.sleep(0.005)


def become_subreaper() -> None:
    """Orphans of a sandbox (its pid namespace's processes once bwrap is gone) are
    reparented to this worker instead of the host's init, so we can reap them at
    once rather than wait for an init that may reap lazily (seen here: 1-2 s)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not our child (the host's init will reap it)


