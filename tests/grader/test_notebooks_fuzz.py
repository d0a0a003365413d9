"""Time-boxed fuzz: whatever bytes arrive, validate_notebook_bytes answers with a notebook
or InvalidNotebook, never another exception."""
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.notebooks import InvalidNotebook, validate_notebook_bytes
from tests.support.notebooks import notebook

VALID = notebook("import numpy as np", "def predict(images):\n    return np.zeros(len(images))")
# Each example that gets as far as the schema check starts a confined child, so few of them.
FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


def answers_cleanly(data: bytes) -> None:
    try:
        validate_notebook_bytes(data, 1_000_000)
    except InvalidNotebook as exc:
        assert str(exc)


@FUZZ
@given(st.binary(max_size=2_000))
def test_any_bytes_end_in_a_notebook_or_invalid_notebook(data):
    answers_cleanly(data)


@FUZZ
@given(st.data())
def test_a_mutated_valid_notebook_ends_in_a_notebook_or_invalid_notebook(data):
    raw = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    answers_cleanly(bytes(raw))


@FUZZ
@given(cells=st.lists(st.dictionaries(st.sampled_from(["cell_type", "source", "metadata", "outputs", "id",
                                                       "execution_count", "attachments"]), json_values), max_size=4),
       metadata=json_values)
def test_notebook_shaped_json_ends_in_a_notebook_or_invalid_notebook(cells, metadata):
    answers_cleanly(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}).encode())
