"""The harness's payload as the worker reads it: whatever the bytes, a filled RunOutcome or
a reason it is unusable, and never an exception (the notebook shapes much of what comes back)."""
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.harness import payload
from grader.runner import RunOutcome, _parse_payload
from grader.scoring import RawPredictions

# A few seconds each: enough examples to find the classic mistakes, short enough for `make test`.
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def parsed(raw: bytes, overflow: bool = False) -> RunOutcome:
    outcome = RunOutcome(result={}, notebook=None, predictions=None, wall_seconds=1.0, timed_out=False, log_tail="")
    _parse_payload(raw, overflow, outcome)
    return outcome


def test_it_reads_back_what_the_harness_wrote():
    labels = np.arange(6, dtype=np.int64) % 10
    raw = payload.encode(
        {"result": {"status": "ok", "cell": None},
         "predictions": {"dtype": "<i8", "dtype_name": "int64", "shape": [6]}},
        {"notebook": b'{"cells":[]}', "html": b"<html>\xc3\xa9</html>", "predictions": labels.tobytes()},
    )
    outcome = parsed(raw)
    assert outcome.payload_error is None
    assert outcome.result == {"status": "ok", "cell": None}
    assert outcome.notebook == '{"cells":[]}'
    assert outcome.html == b"<html>\xc3\xa9</html>"  # stored as it came: bytes, not re-encoded
    assert outcome.predictions == RawPredictions("<i8", [6], labels.tobytes(), "int64")


def test_a_grading_runs_second_payload_brings_the_page_to_the_result_sent_before_it():
    result = payload.encode({"result": {"status": "ok", "cell": None}}, {"notebook": b'{"cells":[]}'})
    page = payload.encode({"result": {"render": {"problem": None, "seconds": 0.4}}}, {"html": b"<html></html>"})
    outcome = parsed(result + page)
    assert outcome.payload_error is None
    assert outcome.result == {"status": "ok", "cell": None, "render": {"problem": None, "seconds": 0.4}}
    assert outcome.notebook == '{"cells":[]}' and outcome.html == b"<html></html>"


def test_a_harness_that_failed_drawing_the_page_leaves_the_result_and_a_missing_page():
    result = payload.encode({"result": {"status": "ok"}}, {"notebook": b"{}"})
    failed = payload.encode({"result": {"status": "harness_error", "detail": "Traceback: MemoryError"}}, {})
    outcome = parsed(result + failed)
    assert outcome.result["status"] == "ok" and outcome.html is None
    assert outcome.result["render"] == {"problem": "crashed", "cell": None, "detail": "Traceback: MemoryError"}


def test_where_the_first_payload_ends_is_known_from_its_header_alone():
    first = payload.encode({"result": {"status": "ok"}}, {"notebook": b"x" * 1000, "predictions": b"p" * 10})
    header_end = first.index(b"\n") + 1
    assert payload.first_length(first[:header_end - 1]) is None  # the header line is not all there yet
    assert payload.first_length(first[:header_end]) == len(first)
    assert payload.first_length(first + b"the page follows") == len(first)
    with pytest.raises(payload.PayloadError):
        payload.first_length(b'{"result": {}, "blobs": [["html", -1]]}\n')


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "sent nothing"),
        (b"{" * 300_000, "no header line"),
        (b"[" * 100_000 + b"\n", "not JSON"),  # deep enough to hit the recursion limit
        (b'{"result": []}\n', "no result"),
        (b'{"result": {}, "blobs": [["html", 10]]}\nshort', "malformed blob"),
        (b'{"result": {}, "blobs": [["html", 2], ["html", 0]]}\nab', "malformed blob"),
        (b'{"result": {}, "blobs": [["secrets", 0]]}\n', "malformed blob"),
        (b'{"result": {}, "blobs": [["html", true]]}\nx', "malformed blob"),
        (b'{"result": {}, "blobs": []}\ntrailing', "bytes after the last blob"),
        (b'{"result": {}, "blobs": [], "predictions": [1]}\n', "predictions header"),
        (b'\xff\xfe{"result": {}}\n', "not JSON"),
    ],
)
def test_it_says_why_a_payload_is_unusable(raw, reason):
    outcome = parsed(raw)
    assert reason in outcome.payload_error
    assert outcome.result == {} and outcome.predictions is None and outcome.html is None


def test_a_payload_past_the_limit_is_not_read_at_all():
    assert parsed(payload.encode({"result": {"status": "ok"}}, {}), overflow=True).payload_error == (
        "the harness sent more than the payload limit"
    )


@FUZZ
@given(st.binary(max_size=512))
def test_no_bytes_make_the_reader_raise(raw):
    parsed(raw)


@FUZZ
@given(
    header=st.dictionaries(st.sampled_from(["result", "blobs", "predictions", "extra"]), json_values, max_size=4),
    tail=st.binary(max_size=64),
)
def test_no_header_makes_the_reader_raise_and_a_read_payload_is_well_typed(header, tail):
    outcome = parsed(json.dumps(header).encode() + b"\n" + tail)
    if outcome.payload_error is None:
        assert isinstance(outcome.result, dict)
        assert outcome.html is None or isinstance(outcome.html, bytes)
        assert outcome.notebook is None or isinstance(outcome.notebook, str)


# --- From a readable payload to a grade: hostile contents end as a failed result --------

N = 12  # labels in these tests; the order covers the test images and their noised copy
LABELS = np.arange(N) % 10
REFERENCE = {"accuracy": 0.98, "public_accuracy": 0.98, "private_accuracy": 0.98, "per_digit": [0.98] * 10,
             "description": "reference"}
DTYPES = ["<i8", "<f8", "|u1", "|b1", ">i4", "<f2", "|O", "<U1", "<c16", "|V8", "<M8[s]", "", "i8", "<i16"]


def hostile_result():
    plausible = {
        "status": st.sampled_from(["ok", "failed", "harness_error", "weird"]) | json_values,
        "kind": st.sampled_from(["exception", "cell_timeout", "total_timeout", "dead_kernel", "no_predictions",
                                 "predictions_unreadable", "harness_memory"]) | json_values,
        "cell": st.integers(-3, 5) | json_values,
        "in_harness": json_values,
        "ename": json_values, "evalue": json_values, "detail": json_values,
        "error": st.fixed_dictionaries({}, optional={
            "ename": json_values, "evalue": json_values,
            "traceback": st.lists(st.sampled_from(["Cell In[1], line 2, in f(x)\n----> 2 y", "File /a/b.py:3\n  3 z"])
                                  | st.text(max_size=40) | json_values, max_size=4) | json_values}) | json_values,
        "peak_memory_mb": json_values, "truncated_cells": json_values, "widget_state_dropped": json_values,
        "declared": st.fixed_dictionaries({}, optional={"layer_sizes": json_values, "train_accuracy": json_values})
                    | json_values,
        "render": st.fixed_dictionaries({}, optional={
            "problem": st.sampled_from(["timeout", "too_large", "error", "crashed", None]) | json_values,
            "cell": st.integers(-2, 5) | json_values, "detail": json_values, "allowed_s": json_values,
            "seconds": json_values}) | json_values,
    }
    return st.fixed_dictionaries({}, optional=plausible)


@st.composite
def hostile_payloads(draw):
    header = {"result": draw(hostile_result())}
    blobs = {}
    if draw(st.booleans()):
        dtype = draw(st.sampled_from(DTYPES) | st.text(max_size=6))
        shape = draw(st.sampled_from([[2 * N], [2 * N, 10], [2**40], [], [0], [-1], [2 * N, 1]]) | json_values)
        header["predictions"] = {"dtype": dtype, "shape": shape, "dtype_name": draw(json_values)}
        itemsize = int(dtype[-1]) if dtype[-1:] in "12468" and dtype[-1:] else 8
        size = draw(st.sampled_from([2 * N * itemsize, 0, 2 * N * itemsize - 1, 7]))
        blobs["predictions"] = draw(st.binary(min_size=size, max_size=size))
    if draw(st.booleans()):
        blobs["html"] = draw(st.binary(max_size=32))
    if draw(st.booleans()):
        blobs["notebook"] = draw(st.binary(max_size=32))
    return payload.encode(header, blobs)


@FUZZ
@given(raw=hostile_payloads())
def test_no_readable_payload_makes_grading_raise_anything_but_a_system_fault(raw):
    from grader.errors import SystemFault
    from grader.pipeline import UNREADABLE_RESULTS, result_from_run
    from grader.sandbox import Limits

    run = parsed(raw)
    assert run.payload_error is None
    try:
        result = result_from_run(run, Limits(), np.arange(2 * N), LABELS, REFERENCE)
    except SystemFault:
        return  # the harness's own failure (harness_error, an unknown state): retried, then shown to TAs
    assert result.status in ("graded", "failed") and result.message
    # Every such answer is understood, not merely caught: the catch-all is for what nobody foresaw.
    assert result.message != UNREADABLE_RESULTS, result.log_tail
    if result.status == "graded":
        assert 0 <= result.accuracy <= 1
