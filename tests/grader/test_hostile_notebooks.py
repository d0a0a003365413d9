"""Notebooks that crash, hang, hoard, fork, flood, probe or tamper: each ends with a clear
message, nothing escapes the sandbox, and the next notebook still grades."""
import os

import nbformat
import pytest
from django.conf import settings

from tests.support import environments
from tests.support.notebooks import nearest_mean_notebook, notebook

CONSTANT = "import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)"
FAST = {"cell_timeout_s": 20, "total_timeout_s": 90}


# The attacks that matter as much with torch loaded (its thread pool, its 300 MB import) run in
# both kernel environments; there the notebook imports torch first.
BOTH = environments.each(*environments.BOTH)


def with_torch(environment: str, source: str) -> str:
    return f"import torch\n{source}" if environment == "pytorch" else source


def predict_returning(expression: str) -> bytes:
    return notebook(f"import numpy as np\ndef predict(images):\n    return {expression}")


@pytest.mark.parametrize(
    "expression, message",
    [
        ("np.full(len(images), 0.5)", "fractional"),
        ("np.full(len(images), np.nan)", "NaN"),
        ("np.full(len(images), 11)", "outside 0-9"),
        ("np.zeros(5, dtype=int)", "must return 500 labels"),  # one batch's worth
        ("None", "returned None"),
        ("[1, 'two', None]", "mix of objects"),
    ],
)
def test_bad_predictions_fail_with_what_is_wrong(grade, expression, message):
    result = grade(predict_returning(expression), **FAST)
    assert result.status == "failed" and message in result.message, result.message


def test_predict_that_raises_is_reported_as_the_grading_step(grade):
    result = grade(notebook("def predict(images):\n    raise RuntimeError('oops')"), **FAST)
    assert result.message == "The grading step that calls predict(images) raised RuntimeError: oops"


@pytest.mark.parametrize("environment", BOTH)
def test_predict_that_sleeps_forever_is_stopped(grade, environment):
    result = grade(notebook(with_torch(environment, "import time\ndef predict(images):\n    time.sleep(3600)")),
                   cell_timeout_s=3, environment=environment)
    assert result.message == "The grading step that calls predict(images) ran longer than 3 seconds and was stopped."


@pytest.mark.parametrize("environment", BOTH)
def test_an_infinite_loop_is_stopped_by_the_cell_limit(grade, environment):
    result = grade(notebook(with_torch(environment, "x = 1"), "while True:\n    pass"), cell_timeout_s=3,
                   environment=environment)
    assert result.message == "Cell 2 ran longer than 3 seconds and was stopped."


def test_the_total_limit_stops_a_notebook_of_many_slow_cells(grade):
    result = grade(notebook(*["import time\ntime.sleep(2)"] * 10), cell_timeout_s=5, total_timeout_s=8)
    assert result.message == "The notebook did not finish within 8 seconds in total and was stopped."


@pytest.mark.parametrize("environment", BOTH)
def test_a_memory_bomb_is_a_memory_error_in_its_cell(grade, environment):
    # torch's import alone reserves 1.3 GB of address space (grader/environments.py, ADDRESS_SPACE_FLOOR_MB)
    room = {"address_space_mb": 2048} if environment == "pytorch" else {}
    result = grade(notebook(with_torch(environment, "x = 1"), "hoard = bytearray(8 * 1024 ** 3)"), memory_mb=1024,
                   environment=environment, **room, **FAST)
    assert result.status == "failed"
    assert result.message.startswith(f"Cell 2 ran out of memory (the limit is {room.get('address_space_mb', 1024)} MB)")
    assert result.feedback["failure"]["mistake"]["key"] == "memory"


@pytest.mark.parametrize("environment", BOTH)
def test_a_fork_bomb_is_contained_and_the_next_notebook_still_grades(grade, environment):
    bomb = "import os\nchildren = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            import time; time.sleep(60); os._exit(0)\n        children += 1\nexcept OSError as exc:\n    raise RuntimeError(f'stopped after {children} children: {exc}')"
    result = grade(notebook(with_torch(environment, bomb), CONSTANT), processes=64, environment=environment, **FAST)
    assert result.status == "failed"
    assert "stopped after" in result.message and "Resource temporarily unavailable" in result.message
    assert grade(nearest_mean_notebook(), environment=environment).status == "graded"


def test_filling_the_disk_hits_the_sandbox_quota_not_the_hosts(grade):
    fill = "with open('filler', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))"
    result = grade(notebook(fill), disk_mb=64, **FAST)
    assert result.message == "Cell 1 raised OSError: [Errno 28] No space left on device"


def test_a_single_huge_file_hits_the_file_size_limit(grade):
    big = "import signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\nwith open('/tmp/big', 'wb') as f:\n    f.write(b'x' * (40 << 20))"
    result = grade(notebook(big), file_size_mb=16, disk_mb=128, **FAST)
    assert result.status == "failed" and "File too large" in result.message


def test_printing_a_gigabyte_keeps_only_the_first_outputs_and_still_grades(grade):
    flood = "import sys\nchunk = 'x' * (1 << 20) + '\\n'\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n    sys.stdout.flush()"
    result = grade(notebook(flood, CONSTANT), stored_output_kb=256, cell_timeout_s=120, total_timeout_s=240)
    assert result.status == "graded", result.message
    assert "further output of this cell was not kept" in result.notebook
    assert len(result.notebook) < 2 * 1024 * 1024


@pytest.mark.parametrize("crash", ["import os\nos._exit(3)", "import ctypes\nctypes.string_at(0)"])
def test_a_kernel_that_dies_is_reported_with_its_cell(grade, crash):
    result = grade(notebook("x = 1", crash), **FAST)
    assert result.message.startswith("The Python kernel died while running cell 2")


@pytest.mark.parametrize("environment", BOTH)
def test_the_network_is_unreachable_and_pip_install_cannot_download(grade, environment):
    probe = (
        "import socket, subprocess, sys\n"
        "for host, port in [('1.1.1.1', 80), ('127.0.0.1', 6379), ('127.0.0.1', 5432), ('127.0.0.1', 8000)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=3)\n"
        "        raise AssertionError(f'reached {host}:{port}')\n"
        "    except OSError:\n"
        "        pass\n"
        "try:\n"
        "    socket.getaddrinfo('pypi.org', 443)\n"
        "    raise AssertionError('resolved a host name')\n"
        "except socket.gaierror:\n"
        "    pass\n"
        "pip = subprocess.run([sys.executable, '-m', 'pip', 'install', '--no-cache-dir', '--timeout', '3', 'six'],\n"
        "                     capture_output=True, text=True)\n"
        "assert pip.returncode != 0, pip.stdout"
    )
    result = grade(notebook(with_torch(environment, probe), CONSTANT), environment=environment, **FAST)
    assert result.status == "graded", result.message


def test_the_notebook_cannot_read_secrets_labels_settings_or_other_submissions(grade):
    forbidden = [
        str(settings.BASE_DIR / "config" / "settings.py"),
        str(settings.BASE_DIR / "var" / "db.sqlite3"),
        str(settings.MNIST_DATA_DIR / "t10k-labels-idx1-ubyte"),
        "/data/mnist/t10k-labels-idx1-ubyte",
        str(settings.MEDIA_ROOT),
        str(settings.GRADER_WORK_ROOT),
        "/etc/shadow",
        "/root",
    ]
    probe = (
        "import os\n"
        f"for path in {forbidden!r}:\n"
        "    assert not os.path.exists(path), f'can see {path}'\n"
        "assert sorted(os.listdir('/data/mnist')) == ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']\n"
        "assert os.getuid() == 65534\n"
        "for target in ['/usr/evil', '/grader-input/evil', '/data/mnist/evil', '/evil']:\n"
        "    try:\n"
        "        open(target, 'w')\n"
        "        raise AssertionError(f'wrote {target}')\n"
        "    except OSError:\n"
        "        pass"
    )
    result = grade(notebook(probe, CONSTANT), **FAST)
    assert result.status == "graded", result.message


def test_symlinks_planted_for_the_grader_lead_nowhere(grade):
    plant = (
        "import os\n"
        "for name in ['/tmp/.grader-predictions.npy', 'result.json', 'executed.ipynb', 'predictions.npy', 'images.npy']:\n"
        "    os.symlink('/data/mnist/train-images-idx3-ubyte', name)\n"
        + CONSTANT
    )
    result = grade(notebook(plant), **FAST)
    # The grader writes and reads no file of the notebook's: the labels come back over a socket.
    assert result.status == "graded", result.message
    assert result.accuracy == pytest.approx(0.098, abs=0.001)  # the zeros of CONSTANT, as answered


def test_a_notebook_that_tampers_with_the_harness_gains_nothing(grade):
    tamper = (
        "import numpy as np\n"
        "real_save = np.save\n"
        "def fake_save(path, arr, **kw):\n"
        "    return real_save(path, np.arange(len(arr)) % 10, **kw)  # 'perfect' labels in file order\n"
        "np.save = fake_save\n"
        "try:\n"
        "    open('/grader-harness/run_notebook.py', 'a').write('# mine')\n"
        "except OSError:\n"
        "    pass\n"
        "def predict(images):\n"
        "    return np.zeros(len(images), dtype=int)"
    )
    result = grade(notebook(tamper), **FAST)
    assert result.status == "graded"
    assert result.accuracy < 0.15  # the secret order makes file-order labels worthless


def test_killing_the_harness_is_a_failure_of_the_notebook(grade):
    result = grade(notebook("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"), **FAST)
    assert result.status == "failed"
    assert "could not collect your notebook's results" in result.message
    assert "[grader] the harness sent nothing" in result.log_tail  # what the TA sees


# --- Resources per job, not per process -------------------------------------------
# Small job limits; address space stays large, as a kernel with numpy reserves ~1 GB.
SMALL_JOB = {"memory_mb": 384, "address_space_mb": 2048, **FAST}
MEMORY_MARGIN_MB = 96  # how far past the limit the watchdog may see a job before it stops it


def test_processes_that_together_pass_the_job_memory_limit_are_stopped(grade):
    """Four processes of 150 MB each: none near the per-process limit, 600 MB together."""
    army = (
        "import os, time\n"
        "for _ in range(4):\n"
        "    if os.fork() == 0:\n"
        "        hoard = []\n"
        "        for _ in range(150):\n"
        "            hoard.append(bytearray(1 << 20))  # touched: bytearray zero-fills\n"
        "            time.sleep(0.005)\n"
        "        time.sleep(60)\n"
        "        os._exit(0)\n"
        "time.sleep(60)"
    )
    result = grade(notebook("x = 1", army, CONSTANT), **SMALL_JOB)
    print(f"watchdog peak {result.peak_memory_mb:.0f} MB for a 384 MB job limit")
    assert result.message == (
        "Your notebook used more than 384 MB in total (all its processes together) and was stopped in cell 2."
    )
    # Where the job has a memory cgroup the kernel stops it at exactly the limit, so the figure
    # may be the limit itself; never far above it.
    assert 384 <= result.peak_memory_mb <= 384 + MEMORY_MARGIN_MB
    assert "stopped at the memory limit: processes" in result.log_tail


def test_filling_dev_shm_hits_its_cap_with_a_clean_error(grade):
    fill = "with open('/dev/shm/filler', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))"
    result = grade(notebook(fill), disk_mb=64, **FAST)
    assert result.message == "Cell 1 raised OSError: [Errno 28] No space left on device"
    assert result.peak_memory_mb > 64  # what /dev/shm held was counted with the processes


def test_what_dev_shm_holds_counts_toward_the_job_memory_limit(grade):
    fill = (
        "import time\n"
        "for i in range(450):\n"
        "    with open(f'/dev/shm/part{i}', 'wb') as f:\n"
        "        f.write(b'x' * (1 << 20))\n"
        "    time.sleep(0.002)\n"
        "time.sleep(60)"
    )
    result = grade(notebook(fill), disk_mb=512, **SMALL_JOB)
    assert result.message.startswith("Your notebook used more than 384 MB in total"), result.message
    assert "tmpfs" in result.log_tail


def test_memfd_hoarding_is_counted_and_stopped(grade):
    """memfd memory sits in no address space and no visible file system: RLIMIT_AS never sees it."""
    hoard = (
        "import os, time\n"
        "held = []\n"
        "for n in range(4):\n"
        "    fd = os.memfd_create(f'hoard{n}')\n"
        "    for _ in range(150):\n"
        "        os.write(fd, b'x' * (1 << 20))\n"
        "        time.sleep(0.002)\n"
        "    held.append(fd)\n"
        "time.sleep(60)"
    )
    result = grade(notebook(hoard), **SMALL_JOB)
    assert result.message == (
        "Your notebook used more than 384 MB in total (all its processes together) and was stopped in cell 1."
    )
    assert result.peak_memory_mb <= 384 + MEMORY_MARGIN_MB


def test_a_busy_fork_army_stays_on_its_cores_at_idle_priority(grade):
    """Seen from the host while it runs: every process of the job is pinned to the slot's
    core and the cores kept from the web (grader/cores.py) at nice 19 and in the idle I/O class, and cannot widen or raise them; and each
    session it runs in (the kernel's, one a child makes with setsid) is an autogroup at
    the lowest priority, so it cannot outweigh the web where the kernel schedules by session."""
    import subprocess
    import threading
    import time

    from grader.runner import processes_of
    from grader.sandbox import host_uid, job_cores
    from grader.watchdog import _autogroup

    army = (
        "import os, time\n"
        "for resist in (lambda: os.sched_setaffinity(0, range(os.cpu_count())), lambda: os.setpriority(os.PRIO_PROCESS, 0, 0)):\n"
        "    try:\n"
        "        resist()\n"
        "        raise AssertionError('undid the pinning or the priority')\n"
        "    except PermissionError:\n"
        "        pass\n"
        "for i in range(4):\n"
        "    if os.fork() == 0:\n"
        "        if i == 0:\n"
        "            os.setsid()  # a session, so an autogroup, of its own\n"
        "        end = time.monotonic() + 8\n"
        "        while time.monotonic() < end:\n"
        "            pass\n"
        "        os._exit(0)\n"
        "for _ in range(4):\n"
        "    os.wait()"
    )
    outcome = {}
    runner = threading.Thread(target=lambda: outcome.update(result=grade(notebook(army, CONSTANT), **FAST)))
    runner.start()
    uid, seen, groups = host_uid(), {}, {}
    while runner.is_alive():
        for pid, state in processes_of(uid):
            if state == "Z":
                continue  # an exited process has no I/O context left to show
            try:
                ioprio = subprocess.run(["ionice", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
                observed = (os.sched_getaffinity(pid), os.getpriority(os.PRIO_PROCESS, pid), ioprio)
                group = _autogroup(pid)
                if dict(processes_of(uid)).get(pid) not in (None, "Z"):  # still running after we looked
                    seen[pid] = observed
                    if group is not None:
                        with open(f"/proc/{pid}/cmdline", "rb") as fh:
                            graded = any(part in fh.read() for part in (b"run_notebook.py", b"ipykernel"))
                        if graded or group[0] in groups:  # not the sandbox's quick self-check before the job
                            groups[group[0]] = group[1]  # the last look counts: a new session waits one sample
            except (ProcessLookupError, PermissionError, OSError):
                pass  # it ended while we looked
        time.sleep(0.2)
    runner.join()
    assert outcome["result"].status == "graded", outcome["result"].message
    assert len(seen) >= 8  # bwrap, init, harness, kernel, four busy children
    cores = frozenset(job_cores())
    assert {(frozenset(cpus), nice, ioprio) for cpus, nice, ioprio in seen.values()} == {(cores, 19, "idle")}
    if _autogroup("self") is not None:  # a kernel that schedules by autogroup
        ours = _autogroup("self")[0]  # the outer bwrap's, shared with this test: left alone
        job_groups = {name: nice for name, nice in groups.items() if name != ours}
        assert len(job_groups) >= 2  # the sessions of the harness and of the child that made its own, at least
        assert set(job_groups.values()) == {19}, job_groups
        assert _autogroup("self")[1] == 0


# --- The kernel surface -------------------------------------------------------------
KERNEL_SURFACE = {
    "nested user namespace (unshare)": "libc.unshare(0x10000000)  # CLONE_NEWUSER",
    "mount of a tmpfs": "libc.mount(b'none', b'/tmp', b'tmpfs', 0, b'size=64g')",
    "io_uring_setup": "params = ctypes.create_string_buffer(120)\nlibc.syscall(425, 8, params)",
    "perf_event_open": "attr = ctypes.create_string_buffer(128)\nlibc.syscall(298, attr, 0, -1, -1, 0)",
    "bpf": "attr = ctypes.create_string_buffer(128)\nlibc.syscall(321, 0, attr, 128)",
    "keyctl": "libc.syscall(250, 0, -3, 0)  # KEYCTL_GET_KEYRING_ID, the session keyring",
    "userfaultfd": "libc.syscall(323, 0)",
    "ptrace of pid 1": "libc.ptrace(16, 1, 0, 0)  # PTRACE_ATTACH",
}


@pytest.mark.parametrize("call", KERNEL_SURFACE.values(), ids=KERNEL_SURFACE.keys())
def test_the_kernel_surface_a_notebook_never_needs_is_refused_with_eperm(grade, call):
    probe = (
        "import ctypes, errno\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        f"{call}\n"
        "err = ctypes.get_errno()\n"
        "assert err == errno.EPERM, f'errno {err} ({errno.errorcode.get(err)}), not EPERM'"
    )
    result = grade(notebook(probe, CONSTANT), **FAST)
    assert result.status == "graded", result.message


def test_pid_1_and_what_the_notebook_can_read_name_no_host_path_or_uid(grade):
    from grader.sandbox import host_uid

    checkout, uid = str(settings.BASE_DIR), str(host_uid())
    probe = (
        "import os, sys\n"
        "cmdline = open('/proc/1/cmdline').read().replace(chr(0), ' ')\n"
        "assert cmdline.startswith('/opt/kernel/bin/python -I -S /grader-harness/init.py'), cmdline\n"
        f"readable = [cmdline, open('/proc/1/environ').read() if os.access('/proc/1/environ', os.R_OK) else '',\n"
        "            repr(dict(os.environ)), sys.prefix, sys.executable, repr(sys.path), open(sys.prefix + '/pyvenv.cfg').read(),\n"
        "            open('/proc/self/status').read(), open('/proc/self/cgroup').read(), os.getcwd()]\n"
        "for text in readable:\n"
        f"    assert {checkout!r} not in text, text\n"
        f"assert {uid!r} not in cmdline.split(), cmdline\n"
        "uids = [line.split()[1:] for line in open('/proc/self/status') if line.startswith(('Uid:', 'Gid:'))]\n"
        "assert uids == [['65534'] * 4] * 2, uids\n"
        "# Mount points are all paths of the sandbox's own (bind sources are the kernel's to show).\n"
        "points = [line.split()[4] for line in open('/proc/self/mountinfo')]\n"
        f"assert not [p for p in points if p.startswith({checkout!r})], points"
    )
    result = grade(notebook(probe, CONSTANT), **FAST)
    assert result.status == "graded", result.message


def test_stopping_pid_1_neither_hangs_nor_ends_the_run(grade):
    stop = "import os, signal\nfor sig in (signal.SIGSTOP, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):\n    os.kill(1, sig)"
    result = grade(notebook(stop, "import time\ntime.sleep(1)", CONSTANT), **FAST)
    assert result.status == "graded", result.message


# --- What a notebook outputs, and what the grader must still read, store and show ------

CAP_KB = 256


def assert_stored_within_the_cap(result, upload: bytes, cap_kb: int = CAP_KB):
    """What is kept of the run: the executed notebook never passes the upload plus the cap,
    and its page stays under the page limit."""
    stored = len(result.notebook.encode())
    assert stored <= len(upload) + cap_kb * 1024, f"executed notebook of {stored} bytes"
    assert result.html is not None and len(result.html) <= settings.GRADER_DEFAULT_LIMITS["rendered_html_kb"] * 1024


def test_a_widget_view_without_a_model_id_is_graded_naming_its_cell_and_the_rest_still_shows(grade):
    view = "from IPython.display import display\ndisplay({'application/vnd.jupyter.widget-view+json': {}}, raw=True)"
    result = grade(notebook("print('first cell ran')", view, CONSTANT), render_timeout_s=240, **FAST)  # the cell at fault, not the clock
    assert result.status == "graded" and result.accuracy == pytest.approx(0.098)  # digit 0 is 980 of the 10,000
    assert result.message == "Test accuracy 9.80% on 10,000 images."  # the grade says nothing of the page
    assert (result.render["problem"], result.render["cell"]) == ("error", 1) and result.render["partial"]
    page = result.html.decode()
    assert "first cell ran" in page and "this cell cannot be displayed" in page


def test_a_forged_labels_header_claiming_two_to_the_forty_labels_is_refused_from_the_header(grade):
    forge = (
        "import numpy as np\n"
        "def forged_save(file, arr, **kw):\n"
        "    np.lib.format.write_array_header_1_0(file, {'descr': '<i8', 'fortran_order': False, 'shape': (2**40,)})\n"
        "    file.write(b'\\0' * 64)\n"
        "np.save = forged_save\n"
        + CONSTANT
    )
    result = grade(notebook(forge), **FAST)
    assert result.message == "predict(images) must return 500 labels, shape (500,); it returned shape (1099511627776,)."


def test_an_answer_that_is_not_labels_is_refused_saying_so(grade):
    plant = "import numpy as np\nnp.save = lambda file, arr, **kw: file.write(b'not a .npy document')\n" + CONSTANT
    result = grade(notebook(plant), **FAST)
    assert result.message.startswith("The labels predict(images) returned could not be read: "), result.message


def test_markdown_that_renders_in_quadratic_time_is_stopped_at_the_render_budget_and_the_grade_stands(grade):
    upload = notebook(CONSTANT)
    nb = nbformat.reads(upload.decode(), as_version=4)
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("[" * 80_000))  # tens of seconds in mistune
    result = grade(nbformat.writes(nb).encode(), render_timeout_s=8, **FAST)
    assert result.status == "graded" and result.accuracy == pytest.approx(0.098), result.message
    assert (result.render["problem"], result.render["cell"]) == ("timeout", 0)
    assert result.render["allowed_s"] <= 6
    assert "[" * 80_000 in result.notebook  # what the page is drawn again from, later


def test_a_flood_of_tracebacks_counts_against_the_output_cap(grade):
    flood = ("ip = get_ipython()\nfor i in range(1000):\n    try:\n        raise ValueError('x' * 10000)\n"
             "    except ValueError:\n        ip.showtraceback()")
    upload = notebook(flood, CONSTANT)
    result = grade(upload, stored_output_kb=CAP_KB, **FAST)  # 10 MB of tracebacks before the cap
    assert result.status == "graded", result.message
    assert_stored_within_the_cap(result, upload)
    assert "further output of this cell was not kept" in result.notebook


def test_a_flood_of_widget_state_counts_against_the_output_cap(grade):
    flood = ("import comm\nfor i in range(200):\n"
             "    comm.create_comm(target_name='jupyter.widget', data={'state': {'_model_name': 'M', "
             "'_model_module': 'm', '_model_module_version': '1', 'blob': 'x' * 100000}, 'buffer_paths': []})")
    upload = notebook(flood, CONSTANT)
    result = grade(upload, stored_output_kb=CAP_KB, **FAST)  # 20 MB of widget state before the cap
    assert result.status == "graded", result.message
    assert_stored_within_the_cap(result, upload)
    assert result.feedback["widget_state_dropped"]


def test_display_updates_count_against_the_output_cap(grade):
    updates = ("from IPython.display import display, update_display\ndisplay('start', display_id='d')\n"
               "for i in range(300):\n    update_display('y' * 100000 + str(i), display_id='d')")
    upload = notebook(updates, CONSTANT)
    result = grade(upload, stored_output_kb=CAP_KB, **FAST)
    assert result.status == "graded", result.message
    assert_stored_within_the_cap(result, upload)


@pytest.mark.parametrize("wait", [False, True])
def test_clear_output_loops_keep_what_is_on_screen_and_never_pass_the_cap(grade, wait):
    redraw = ("from IPython.display import clear_output\nfor i in range(300):\n"
              f"    clear_output(wait={wait})\n    print('z' * 100000, 'epoch', i)")
    upload = notebook(redraw, "print('x' * 600_000)", CONSTANT)  # and then past the cap without clearing
    result = grade(upload, stored_output_kb=CAP_KB, **FAST)
    assert result.status == "graded", result.message
    assert_stored_within_the_cap(result, upload)
    assert "epoch 299" in result.notebook  # a live display costs what it shows, not what it showed
    assert "further output of this cell was not kept" in result.notebook


def test_an_output_nested_too_deep_for_the_grader_is_dropped_not_a_system_fault(grade):
    deep = "from IPython.display import display\nx = []\nfor _ in range(600):\n    x = [x]\ndisplay({'application/json': x}, raw=True)"
    result = grade(notebook(deep, CONSTANT), **FAST)
    assert result.status == "graded", result.message
    assert "an output nested more than 100 levels deep was not kept" in result.notebook


def test_a_malformed_message_from_the_kernel_is_dropped_not_a_system_fault(grade):
    malformed = ("k = get_ipython().kernel\n"
                 "k.session.send(k.iopub_socket, 'error', {'traceback': 5}, parent=k.get_parent())\n"
                 "k.session.send(k.iopub_socket, 'display_data', {'data': 5}, parent=k.get_parent())")
    result = grade(notebook(malformed, CONSTANT), **FAST)
    assert result.status == "graded", result.message
    assert "a malformed 'error' message from the kernel was not kept" in result.notebook


def test_unreadable_bytes_from_the_kernel_fail_the_notebook_not_the_grader(grade):
    raw = ("k = get_ipython().kernel\ns = k.session\n"
           "parts = [s.pack(s.msg_header('display_data')), s.pack(k.get_parent()['header']), s.pack({}), b'{not json']\n"
           "k.iopub_socket.send_multipart([b'x', b'<IDS|MSG>', s.sign(parts)] + parts)")
    result = grade(notebook(raw, CONSTANT), **FAST)
    assert result.status == "failed"
    assert result.message.startswith("While cell 1 ran, the kernel sent the grader a message it could not read")


def test_predict_that_exits_is_reported_as_the_grading_step(grade):
    result = grade(notebook("import sys\ndef predict(images):\n    sys.exit(3)"), **FAST)
    assert result.message == "The grading step that calls predict(images) raised SystemExit: 3"


def test_predict_that_kills_its_own_process_is_reported_as_a_death_in_the_grading_step(grade):
    result = grade(notebook("import os\ndef predict(images):\n    os._exit(0)"), **FAST)
    assert result.message.startswith("The Python kernel died while running the grading step that calls predict(images)")
