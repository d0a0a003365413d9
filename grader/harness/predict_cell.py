"""The harness's own last cell, run in the kernel once the notebook has run. NOT imported:
the harness reads this file as text (asking.prediction_cell) and sends it to the kernel as
a cell, followed by one line that calls these functions with the run's values, and one
that deletes them again. It runs in the notebook's namespace (globals() is the notebook's).

_grader_predict forks the kernel once per phase, one phase after the other: each child
connects to the harness's socket, seals itself, answers the batches it is sent and nothing
else, and exits before the next child is forked. The asking happens in the harness
(asking.Asker). _grader_declared writes what the notebook says about itself.
"""


def _grader_predict(address, phases, seal_filter, no_predict_message):
    # Here, not in a child: nothing is imported after the fork.
    import io
    import json
    import os
    import socket
    import struct
    import sys
    import numpy
    from IPython import get_ipython

    try:  # IPython imports its traceback machinery when it first formats one: a sealed child could not
        raise ValueError("warming up the traceback formatter")
    except ValueError as exc:
        try:
            get_ipython().InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__)
        except BaseException:
            pass
    scope = globals()
    if callable(scope.get("predict")):
        def answer(images):
            return scope["predict"](images)
    elif scope.get("model") is not None and type(scope["model"]).__module__.split(".")[0] == "torch":
        import torch

        def answer(images):
            with torch.no_grad():
                return scope["model"](torch.from_numpy(images)).argmax(dim=1).numpy()
    else:
        raise NameError(no_predict_message)

    def exactly(sock, n):
        data = bytearray(n)
        view, got = memoryview(data), 0
        while got < n:
            step = sock.recv_into(view[got:])
            if not step:
                raise EOFError
            got += step
        return data

    def seal(sock):
        # Before the first image: nothing this process does from here on may reach another
        # process of the sandbox, now or later (the harness checks each step from outside
        # and stops everything else while it asks). Standard streams go to /dev/null, every
        # other descriptor but the harness's socket is closed, memory shared with other
        # processes is unmapped, and a seccomp filter refuses files, sockets, processes,
        # signals and locks (grader/syscall_filter.py, PREDICT_REFUSED).
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        program = open(seal_filter, "rb").read() if seal_filter else b""
        with open("/proc/self/maps") as fh:
            shared = [line.split()[0] for line in fh if SHARED_WRITABLE(line)]
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        sys.stdout = sys.stderr = io.open(1, "w", closefd=False)  # the kernel's streams belong to its parent
        keep = sock.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 20)
        for span in shared:
            low, high = (int(end, 16) for end in span.split("-"))
            libc.munmap(ctypes.c_void_p(low), ctypes.c_size_t(high - low))
        if program:
            class Program(ctypes.Structure):
                _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
            code = ctypes.create_string_buffer(program, len(program))
            libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (bwrap set it already)
            number = {"x86_64": 317, "aarch64": 277}.get(os.uname().machine, 317)  # seccomp(2)
            # SECCOMP_SET_MODE_FILTER with SECCOMP_FILTER_FLAG_TSYNC: every thread alike
            if libc.syscall(number, 1, 1, ctypes.byref(Program(len(program) // 8, ctypes.addressof(code)))) != 0:
                raise OSError(ctypes.get_errno(), "the grader could not seal the process asked about images")
        sock.sendall(b"SEALED!!")

    def SHARED_WRITABLE(line):
        # Memory shared with another process that either could write: a file's read-only
        # mapping from the read-only mounts (glibc maps its gconv cache so) cannot carry anything.
        fields = line.split()
        return len(fields) > 1 and fields[1][3:4] == "s" and not (
            "w" not in fields[1] and len(fields) > 5 and fields[5].startswith(("/usr/", "/opt/kernel/")))

    def serve():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(address)
        try:
            seal(sock)
        except BaseException as exc:  # the harness says why the run cannot go on
            report = json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}).encode()
            sock.sendall(b"UNSEALED" + struct.pack("<q", len(report)) + report)
            return 1
        while True:
            rows, = struct.unpack("<q", exactly(sock, 8))
            if rows == 0:
                return 0
            images = numpy.frombuffer(exactly(sock, rows * 784 * 4), dtype=numpy.float32).reshape(rows, 784)
            try:
                labels = answer(images)
                if labels is None:
                    raise TypeError("predict(images) returned None; it must return one integer label per image.")
                labels = numpy.asarray(labels)
                if labels.dtype == object:
                    raise TypeError("predict(images) returned a mix of objects; it must return one integer label per image.")
                out = io.BytesIO()
                numpy.save(out, labels, allow_pickle=False)
                message = b"L" + out.getvalue()
            except BaseException as exc:  # sys.exit() in predict is an error of predict's too
                try:  # as IPython shows it (which cell, which line): the page points at the student's line
                    lines = get_ipython().InteractiveTB.structured_traceback(type(exc), exc, exc.__traceback__)
                    lines = [str(line)[:2000] for line in lines][-20:]
                except BaseException:
                    lines = []
                message = b"E" + json.dumps({"ename": type(exc).__name__, "evalue": str(exc)[:2000],
                                             "traceback": lines}).encode()
            sock.sendall(struct.pack("<q", len(message)) + message)
            if message[:1] == b"E":
                return 1

    for _ in range(phases):
        child = os.fork()
        if child == 0:
            code = 1
            try:
                code = serve()
            finally:
                os._exit(code)
        if os.waitpid(child, 0)[1] != 0:
            break  # the harness knows why: the child told it, or stopped answering


def _grader_declared(scope, path):
    # What the notebook says about itself (the template asks for these), for the feedback
    # page's coaching; checked again outside, and never part of the score.
    import itertools
    import json
    declared = {}
    try:  # at most 65 sizes read, whatever the object: an endless iterator must not hang the step
        declared["layer_sizes"] = [int(size) for size in itertools.islice(iter(scope["layer_sizes"]), 65)]
    except Exception:
        pass
    try:
        declared["train_accuracy"] = float(scope["train_accuracy"])
    except Exception:
        pass
    try:  # a torch notebook's predict asked twice (fork_safety.py): for the page, never the score
        declared.update(scope["_grader_twice"])
    except Exception:
        pass
    try:
        with open(path, "w") as fh:
            json.dump(declared, fh)
    except Exception:
        pass
