"""The harness's own functions, run here unconfined: the exact cap on the executed notebook it
sends back, and reading the labels file the kernel wrote without trusting it.
(The same attacks through the real sandbox are in test_hostile_notebooks.py.)"""
import json
import os

import nbformat
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CAP_KB = 4


def executed(*cells, widgets=None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = list(cells)
    if widgets is not None:
        nb.metadata["widgets"] = widgets
    return nb


def code(*outputs):
    cell = nbformat.v4.new_code_cell("print('hello')")
    cell.outputs = list(outputs)
    return cell


def stream(size: int, text: str = "x"):
    return nbformat.v4.new_output("stream", name="stdout", text=text * size)


def error(lines: int = 3, width: int = 50, evalue: str = "boom"):
    return nbformat.v4.new_output("error", ename="ValueError", evalue=evalue,
                                  traceback=[f"line {i} " + "-" * width for i in range(lines)])


def allowance(trimming, nb) -> int:
    """What bound_outputs may send for this notebook: its size without outputs plus the cap."""
    bare = nbformat.from_dict(json.loads(trimming.compact(nb)))
    for cell in bare.cells:
        cell.outputs = []
    bare.metadata.pop("widgets", None)
    return len(trimming.compact(bare)) + CAP_KB * 1024


def test_outputs_are_kept_in_order_until_the_cap_then_none_with_one_notice(trimming):
    nb = executed(code(stream(1000, "a")), code(stream(2000, "b"), stream(2000, "c")), code(stream(10, "d")))
    allowed = allowance(trimming, nb)
    cut = trimming.bound_outputs(nb, allowed, CAP_KB, None, None, set())
    texts = [[o.get("text", "")[:1] for o in cell.outputs] for cell in nb.cells]
    assert texts == [["a"], ["b", "["], []]  # c passed the cap; d, though small, comes after the cut
    assert "further output of this cell was not kept" in nb.cells[1].outputs[-1].text
    assert cut["truncated_cells"] == [1, 2] and not cut["widget_state_dropped"]
    assert len(trimming.compact(nb)) <= allowed


def test_errors_count_against_the_cap_but_the_failing_cells_first_error_is_always_kept(trimming):
    flood = code(*[error(width=200) for _ in range(100)])  # caught exceptions shown with showtraceback()
    failing = code(stream(5000), error(lines=2000, width=100, evalue="the real cause"))
    nb = executed(flood, failing)
    allowed = allowance(trimming, nb)
    trimming.bound_outputs(nb, allowed, CAP_KB, 1, None, set())
    assert len(nb.cells[0].outputs) < 100
    kept = [o for o in nb.cells[1].outputs if o.output_type == "error"]
    assert len(kept) == 1 and kept[0].evalue == "the real cause"
    assert kept[0].traceback[-1].startswith("line 1999")  # the end of a traceback is where the cause is
    assert "earlier traceback lines were not kept" in kept[0].traceback[0]
    assert len(trimming.compact(nb)) <= allowed


def test_an_error_cut_while_running_is_restored_to_its_failing_cell(trimming):
    nb = executed(code(stream(100)), code(stream(100)))
    remembered = (1, trimming.trim_error(error(evalue="kept aside")))
    trimming.bound_outputs(nb, allowance(trimming, nb), CAP_KB, 1, remembered, {1})
    assert [o.evalue for o in nb.cells[1].outputs if o.output_type == "error"] == ["kept aside"]


def test_widget_state_is_dropped_when_it_does_not_fit_after_the_outputs(trimming):
    state = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"state": {"blob": "z" * 20_000}}}}}
    nb = executed(code(stream(100)), widgets=state)
    allowed = allowance(trimming, nb)
    assert trimming.bound_outputs(nb, allowed, CAP_KB, None, None, set())["widget_state_dropped"]
    assert "widgets" not in nb.metadata and len(trimming.compact(nb)) <= allowed

    small = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {"state": {"value": 3}}}}}
    nb = executed(code(stream(100)), widgets=small)
    assert not trimming.bound_outputs(nb, allowance(trimming, nb), CAP_KB, None, None, set())["widget_state_dropped"]
    assert nb.metadata.widgets == small


def test_an_output_too_deep_to_write_is_dropped_not_raised(trimming):
    deep = []
    for _ in range(5000):
        deep = [deep]
    nb = executed(code())
    allowed = allowance(trimming, nb)
    # Built without nbformat.from_dict, which would itself recurse too deep on it.
    nb.cells[0].outputs.append(nbformat.NotebookNode(output_type="display_data", data={"application/json": deep}, metadata={}))
    trimming.bound_outputs(nb, allowed, CAP_KB, None, None, set())
    assert len(nb.cells[0].outputs) == 1 and "not kept" in nb.cells[0].outputs[0].text


outputs = st.lists(
    st.one_of(
        st.builds(stream, st.integers(0, 3000), st.sampled_from(["x", "é", "\x00", "\\"])),
        st.builds(error, st.integers(0, 300), st.integers(0, 300)),
        st.builds(lambda n: nbformat.v4.new_output("display_data", data={"text/html": "<b>" * n}), st.integers(0, 2000)),
    ),
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(cells=st.lists(outputs, min_size=1, max_size=5), failed=st.none() | st.integers(0, 4),
       widget_bytes=st.none() | st.integers(0, 6000))
def test_the_executed_notebook_never_exceeds_its_size_without_outputs_plus_the_cap(trimming, cells, failed, widget_bytes):
    widgets = None if widget_bytes is None else {"s": {"state": {"b": "w" * widget_bytes}}}
    nb = executed(*[code(*outs) for outs in cells], widgets=widgets)
    allowed = allowance(trimming, nb)
    trimming.bound_outputs(nb, allowed, CAP_KB, failed if failed is not None and failed < len(cells) else None, None, set())
    assert len(trimming.compact(nb)) <= allowed
    nbformat.validate(nb)  # still a notebook the renderer accepts


# --- The labels file ---------------------------------------------------------------------

N = 5


def write_npy(path, header: dict, data: bytes = b""):
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(fh, header)
        fh.write(data)


def read(asking, path):
    with open(path, "rb") as fh:
        return asking.read_labels(fh, N)


def test_it_reads_exactly_n_labels(asking, tmp_path):
    np.save(tmp_path / "p.npy", np.arange(N, dtype=np.int32))
    header, data = read(asking, tmp_path / "p.npy")
    assert header == {"dtype": "<i4", "dtype_name": "int32", "shape": [N]}
    assert np.frombuffer(data, "<i4").tolist() == list(range(N))


def test_a_header_claiming_two_to_the_forty_labels_is_passed_on_without_reading_them(asking, tmp_path):
    write_npy(tmp_path / "p.npy", {"descr": "<i8", "fortran_order": False, "shape": (2**40,)}, b"\0" * 64)
    assert read(asking, tmp_path / "p.npy") == ({"dtype": "<i8", "dtype_name": "int64", "shape": [2**40]}, None)


def test_scores_instead_of_labels_are_described_not_sent(asking, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((N, 10)))
    assert read(asking, tmp_path / "p.npy") == ({"dtype": "<f8", "dtype_name": "float64", "shape": [N, 10]}, None)


def test_a_pickled_object_array_is_described_and_never_unpickled(asking, tmp_path):
    np.save(tmp_path / "p.npy", np.array([object()] * N), allow_pickle=True)
    header, data = read(asking, tmp_path / "p.npy")
    assert header["dtype"] == "|O" and data is None


def test_a_document_shorter_than_its_header_promises_is_refused(asking, tmp_path):
    write_npy(tmp_path / "p.npy", {"descr": "<i8", "fortran_order": False, "shape": (N,)}, b"\0" * 8)
    with pytest.raises(ValueError, match="holds 8 bytes of data where its header promises 40"):
        read(asking, tmp_path / "p.npy")


# --- Asking predict processes, batch by batch, phase by phase ---------------------------------

ANSWERING_PROCESS = r'''
import socket, struct, sys, time, io
import numpy as np
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect("\0" + sys.argv[1])
def exactly(n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data
while True:
    rows, = struct.unpack("<q", exactly(8))
    if rows == 0:
        break
    images = np.frombuffer(exactly(rows * 784 * 4), np.float32).reshape(rows, 784)
    print(rows, int(round(images[0, 0] * 255)), flush=True)  # what it was asked: size, first pixel
    out = io.BytesIO()
    np.save(out, np.full(rows, 7))
    message = b"L" + out.getvalue()
    sock.sendall(struct.pack("<q", len(message)) + message)
if sys.argv[2] == "linger":
    time.sleep(3600)  # told it is done, and still there
'''


def test_each_phase_is_asked_in_batches_and_its_process_is_gone_before_the_next_phase(asking, tmp_path):
    import subprocess
    import sys

    pixels = (np.arange(5 * 784) // 784 * 10).astype(np.uint8)  # image k's pixels are all 10 * k
    read_end, write_end = os.pipe()
    os.write(write_end, pixels.tobytes())
    os.close(write_end)
    asker = asking.Asker(read_end, [3, 2], batch_size=2)
    asker.LINGER_S = 1
    asker.begin()
    script = tmp_path / "answer.py"
    script.write_text(ANSWERING_PROCESS)
    first = subprocess.Popen([sys.executable, str(script), asker.address[1:], "linger"], stdout=subprocess.PIPE, text=True)
    assert first.wait(timeout=60) == -9  # killed by the asker, which the next phase waited for
    second = subprocess.Popen([sys.executable, str(script), asker.address[1:], "exit"], stdout=subprocess.PIPE, text=True)
    assert second.wait(timeout=60) == 0
    asker.finish()
    assert first.stdout.read().split("\n")[:-1] == ["2 0", "1 20"]  # the probe: images 0-1, then 2
    assert second.stdout.read().split("\n")[:-1] == ["2 30"]  # the test images, 3 and 4, in one batch
    header, data = asker.predictions()
    assert asker.complete and header["shape"] == [5] and np.frombuffer(data, header["dtype"]).tolist() == [7] * 5


@pytest.mark.parametrize("plant", ["symlink", "fifo", "nested", "huge", "list", "missing"])
def test_what_the_kernel_left_as_its_declarations_is_read_bounded_or_not_at_all(asking, tmp_path, plant):
    import json
    import os

    target = tmp_path / "d.json"
    if plant == "symlink":
        (tmp_path / "real.json").write_text(json.dumps({"layer_sizes": [784, 10]}))
        target.symlink_to(tmp_path / "real.json")
    elif plant == "fifo":
        os.mkfifo(target)
    elif plant == "nested":
        target.write_text("[" * 4000 + "]" * 4000)
    elif plant == "huge":
        target.write_text(json.dumps({"layer_sizes": [1] * 100_000}))
    elif plant == "list":
        target.write_text("[1, 2]")
    assert asking.read_declared(target) == {}


def test_declarations_the_prediction_cell_wrote_are_read(asking, tmp_path):
    (tmp_path / "d.json").write_text('{"layer_sizes": [784, 64, 10], "train_accuracy": 0.9}')
    assert asking.read_declared(tmp_path / "d.json") == {"layer_sizes": [784, 64, 10], "train_accuracy": 0.9}
