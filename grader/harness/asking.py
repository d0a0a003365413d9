"""Asking the notebook's predict processes about the images (Asker), the cell that starts
them in the kernel (prediction_cell, from predict_cell.py), and reading back what they
answered and what the notebook declared. Runs inside the sandbox, in the harness."""
import io
import json
import os
import select
import signal
import socket
import stat
import struct
import threading
import time
from pathlib import Path

import isolation
import protocol
from fork_safety import BEFORE_FORK

PREDICT_CELL = Path(__file__).resolve().parent / "predict_cell.py"


def read_labels(fh, n: int) -> tuple[dict, bytes | None]:
    """The header of the .npy document a predict process sent, and the bytes of exactly n
    labels if the header describes n labels. The notebook wrote it, so nothing in it is
    trusted: the header is parsed without building the array, and only n * itemsize bytes
    are read."""
    from numpy.lib import format as npy

    version = npy.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unsupported .npy format version {version}")
    header = {"dtype": dtype.str, "dtype_name": str(dtype)[:100], "shape": [int(d) for d in shape][:64]}
    if tuple(shape) != (n,) or not _labels_like(dtype):
        return header, None  # the worker explains what is wrong from the header alone
    data = fh.read(n * dtype.itemsize + 1)
    if len(data) != n * dtype.itemsize:
        raise ValueError(f"it holds {len(data)} bytes of data where its header promises {n * dtype.itemsize}")
    return header, data


def _labels_like(dtype) -> bool:
    return dtype.kind in "biuf" and dtype.itemsize <= 8 and dtype.fields is None and dtype.subdtype is None


class Stopped(Exception):
    """The harness stopped asking (the cell ended or ran out of time)."""


class Asker(threading.Thread):
    """Asks the notebook's predict processes about the images, batch by batch.

    Phase by phase (the probe first, then the test set), it accepts one connection on
    its socket (from the child the prediction cell forked for that phase), sends it that
    phase's images in batches of at most batch_size, each answer awaited before the next
    batch goes, and then ends the phase: it says "done", and makes sure that process has
    exited (killing it if need be) before the next phase's first image is sent. So the
    probe is answered in full before any test image is in the sandbox, and no call of
    predict ever holds more than one batch.

    It records what went wrong in `failure` (the fields of the run's outcome, or a
    "predictions" header for an answer of the wrong shape or type) and the answers in
    `answers`; `complete` once every phase is answered.
    """

    WAIT_S = 0.5  # how often a blocked read or write looks whether it should stop
    LINGER_S = 10  # how long a phase's process may take to exit once told it is done
    LAST_WORD_S = 2  # how long the cell's end waits for the asking to read what was already sent

    def __init__(self, images_fd: int, phases: list[int], batch_size: int, sealed: bool = False,
                 writable: list[str] = ()):
        super().__init__(daemon=True)
        self.images_fd, self.phases, self.batch_size = images_fd, list(phases), max(1, int(batch_size))
        self.sealed, self.writable = sealed, list(writable)
        self.frozen: list[int] = []  # processes stopped while a phase is asked
        self.address = "\0grader-ask-" + os.urandom(16).hex()  # abstract: no file to plant or squat
        self.stopping = threading.Event()
        self.listener = None
        self.peer = None  # pidfd of the process answering the current phase
        self.peer_pid = None
        self.answers: list = []
        self.failure: dict | None = None
        self.complete = False
        self.answered_at = None  # when the last phase's last answer came (epoch seconds)

    def begin(self) -> None:
        """Listen, then ask in the background: called as the prediction cell starts, so the
        socket exists before the cell's children try it."""
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.address)
        self.listener.listen(4)
        self.listener.settimeout(self.WAIT_S)
        self.start()

    def finish(self) -> None:
        """Stop asking and end whatever predict process is still running."""
        if self.is_alive():
            # A predict process that failed at once (it could not seal, or predict raised)
            # has said why before the cell ended: let that be read before stopping.
            self.join(self.LAST_WORD_S)
        self.stopping.set()
        if self.is_alive():
            self.join(30)
        self._end_peer(wait_s=0)
        self._thaw()
        if self.listener is not None:
            self.listener.close()

    def run(self) -> None:
        try:
            pixels = self._read_images()
            offset = 0
            for count in self.phases:
                if not self._ask_phase(pixels[offset:offset + count * 784], count):
                    return
                offset += count * 784
            self.answered_at = time.time()
            self.complete = True
        except Stopped:
            pass
        except Exception as exc:  # noqa: BLE001 -- reported as the harness's own failure
            self.failure = {"harness": f"asking predict failed: {type(exc).__name__}: {exc}"[:2000]}
        finally:
            # Nothing more will be asked: a later phase's process, connecting or waiting to
            # be accepted, is refused at once instead of waiting for the cell's time limit.
            self.listener.close()

    def _read_images(self):
        import numpy

        expected = sum(self.phases) * 784
        data = bytearray(expected)
        view, got = memoryview(data), 0
        with os.fdopen(self.images_fd, "rb", buffering=0) as pipe:  # read once, then closed
            while got < expected:
                step = pipe.readinto(view[got:])
                if not step:
                    raise ValueError(f"the worker sent {got} bytes of images where {expected} were due")
                got += step
        return numpy.frombuffer(data, dtype=numpy.uint8)

    def _ask_phase(self, pixels, count: int) -> bool:
        import numpy

        conn = self._accept()
        before, answered = None, False
        try:
            if self.sealed:
                self._freeze()
                before = isolation.state_of(self.writable)
                problem = self._check_sealed(conn)
                if problem:
                    self.failure = protocol.failed(protocol.ISOLATION, detail=problem)
                    return False
            for start in range(0, count, self.batch_size):
                rows = min(self.batch_size, count - start)
                batch = pixels[start * 784:(start + rows) * 784].astype(numpy.float32) / numpy.float32(255)
                self._send(conn, struct.pack("<q", rows) + batch.tobytes())
                if not self._take_answer(conn, rows):
                    return False
            self._send(conn, struct.pack("<q", 0))
            answered = True
        except isolation.TooMany as exc:
            self.failure = protocol.failed(protocol.ISOLATION, detail=str(exc))
            return False
        except (EOFError, OSError):
            return False  # the process died or hung up without an answer: no failure of its own to tell
        finally:
            conn.close()
            if self.sealed:
                # The phase's process is gone before anything else runs again, and whatever it
                # left in the writable folders fails the run: nothing of one phase reaches the
                # next phase or the kernel.
                self._end_peer(wait_s=self.LINGER_S if answered else 0)
                if before is not None and self.failure is None:
                    try:
                        change = isolation.changed(before, isolation.state_of(self.writable))
                    except isolation.TooMany as exc:
                        change = str(exc)
                    if change:
                        self.failure = protocol.failed(protocol.ISOLATION, detail=change)
                self._thaw()
        if not self.sealed:
            self._end_peer(wait_s=self.LINGER_S)
        return self.failure is None

    def _accept(self):
        while True:
            self._check()
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
            try:
                self.peer = os.pidfd_open(pid)
            except OSError:
                self.peer = None  # gone already: what it said before it went (why it could not seal) is still read
            self.peer_pid = pid
            conn.settimeout(self.WAIT_S)
            return conn

    def _freeze(self) -> None:
        """Stop every process of the sandbox but pid 1, this harness and the phase's own
        predict process, so that nothing can watch the phase (its /proc entries, its timing)
        or be written to while it runs."""
        self.frozen = isolation.stop_all(keep={1, os.getpid(), self.peer_pid})

    def _thaw(self) -> None:
        frozen, self.frozen = self.frozen, []
        isolation.resume(frozen)

    def _check_sealed(self, conn) -> str | None:
        """Wait for the phase's process to say it sealed itself, then look from outside that
        it did: one thread, one seccomp filter more than the kernel it was forked from, no
        descriptor but /dev/null and the harness's socket, no memory shared with another
        process. None if so, else what is wrong (the notebook may have changed the code
        that seals)."""
        said = self._receive(conn, 8)
        if said == b"UNSEALED":
            length, = struct.unpack("<q", self._receive(conn, 8))
            try:
                why = str(json.loads(self._receive(conn, min(max(length, 0), 4096)))["error"])[:500]
            except (ValueError, KeyError, TypeError):
                why = "no reason given"
            return f"the process asked about images could not be sealed ({why})"
        if said != b"SEALED!!":
            return "the process asked about images did not seal itself before it was asked"
        return isolation.seal_problem(self.peer_pid)

    def _take_answer(self, conn, rows: int) -> bool:
        import numpy

        length, = struct.unpack("<q", self._receive(conn, 8))
        cap = rows * 8 + 65536  # room for any header and labels of at most 8 bytes
        if length < 1:
            raise EOFError
        message = self._receive(conn, min(length, cap))
        if message[:1] == b"E":
            try:
                error = json.loads(message[1:])
                self.failure = protocol.failed(protocol.EXCEPTION, ename=str(error["ename"])[:200],
                                               evalue=str(error["evalue"])[:2000])
                lines = error.get("traceback")
                if isinstance(lines, list):
                    self.failure["traceback"] = [str(line)[:2000] for line in lines[-20:]]
            except (ValueError, KeyError, TypeError):
                self.failure = protocol.failed(protocol.PREDICTIONS_UNREADABLE,
                                               detail="an error report that could not be read")
            return False
        try:
            if message[:1] != b"L":
                raise ValueError("the answer is neither labels nor an error")
            header, data = read_labels(io.BytesIO(message[1:]), rows)
        except Exception as exc:  # noqa: BLE001 -- whatever the notebook sent (numpy raises several kinds)
            self.failure = protocol.failed(protocol.PREDICTIONS_UNREADABLE, detail=str(exc)[:300])
            return False
        if data is None:
            self.failure = {"predictions": {**header, "asked": rows}}
            return False
        self.answers.append(numpy.frombuffer(data, dtype=numpy.dtype(header["dtype"])))
        return True

    def _send(self, conn, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._check()
            try:
                view = view[conn.send(view):]
            except socket.timeout:
                continue

    def _receive(self, conn, n: int) -> bytes:
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            self._check()
            try:
                step = conn.recv_into(view[got:])
            except socket.timeout:
                continue
            if not step:
                raise EOFError
            got += step
        return bytes(data)

    def _check(self) -> None:
        if self.stopping.is_set():
            raise Stopped

    def _end_peer(self, wait_s: float) -> None:
        """Wait up to wait_s for the phase's process to exit, then kill it; either way it
        is gone when this returns (a pidfd names that process, never a reused pid)."""
        pidfd, self.peer = self.peer, None
        if pidfd is None:
            return
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)  # readable once the process has exited
            if not poller.poll(wait_s * 1000):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                poller.poll(5000)
        except OSError:
            pass
        finally:
            os.close(pidfd)

    def predictions(self) -> tuple[dict, bytes]:
        """Every answer, in the order asked, as one array's header and bytes."""
        import numpy

        labels = numpy.concatenate(self.answers) if self.answers else numpy.zeros(0, dtype=numpy.int64)
        return {"dtype": labels.dtype.str, "dtype_name": str(labels.dtype), "shape": [int(len(labels))]}, labels.tobytes()


DECLARED_MAX_BYTES = 4096


def read_declared(path: Path) -> dict:
    """What the prediction cell recorded of the notebook's own declarations ({} if nothing
    readable): the kernel wrote the file, so it is read like the predictions, bounded."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return {}
            value = json.loads(fh.read(DECLARED_MAX_BYTES + 1)[:DECLARED_MAX_BYTES])
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def prediction_cell(asker: Asker, declared_path: Path, seal_filter: str | None) -> str:
    """The harness's last cell: torch's fork safety (fork_safety.py), then predict_cell.py's
    functions, called with this run's values."""
    call = (f"_grader_declared(globals(), {str(declared_path)!r})\n"
            f"_grader_predict({asker.address!r}, {len(asker.phases)}, {seal_filter!r}, "
            f"{protocol.NO_PREDICT_MESSAGE!r})\n"
            "del _grader_predict, _grader_declared, _grader_twice\n")
    return BEFORE_FORK + "\n" + PREDICT_CELL.read_text() + "\n\n" + call


def asked(asker: Asker, outcome: dict) -> tuple[dict, tuple[dict, bytes | None] | None]:
    """The run's outcome and the predictions header and bytes, once the prediction cell
    ran to its end: what the predict processes answered, or why they did not."""
    failure = asker.failure or {}
    if "harness" in failure:
        raise RuntimeError(failure["harness"])  # ours, not the notebook's
    if "predictions" in failure:
        return outcome, (failure["predictions"], None)  # the worker explains what is wrong with them
    if failure:
        return {**outcome, **failure}, None
    if not asker.complete:
        return {**outcome, **protocol.failed(protocol.DEAD_KERNEL,
                                             detail="a process asked about images ended before it answered")}, None
    return outcome, asker.predictions()
