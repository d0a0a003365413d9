"""Embedded data in a notebook: measured in a confined child, wherever a notebook can keep
it (literals, comments, markdown, outputs, metadata, attachments), and small for the
course's own notebooks."""
from pathlib import Path

import nbformat
import pytest
from django.conf import settings

from grader import confined, data, embedded
from tests.support.notebooks import nearest_mean_notebook, notebook

ROOT = Path(__file__).resolve().parents[2]


def labels() -> list[int]:
    return data.test_set()[1].tolist()


def with_cell(cell) -> bytes:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("def predict(images):\n    return images.argmax(1) % 10"), cell]
    return nbformat.writes(nb).encode()


def test_a_list_of_the_10000_test_labels_is_far_above_the_limit_and_located():
    found = embedded.find(notebook(f"LABELS = {labels()!r}\n\ndef predict(images):\n    return LABELS"))
    assert found["bytes"] > 2 * settings.FLAG_EMBEDDED_DATA_BYTES
    top = found["findings"][0]
    assert top["kind"] == "number list" and top["cell"] == 0 and top["line"] == 1 and top["col"] == 9


def test_the_same_labels_as_a_string_bytes_or_a_comment_count_too():
    digits = "".join(map(str, labels()))
    for source in (f"T = '{digits}'", f"T = b'{digits}'", "\n".join(f"# {digits[i:i + 100]}" for i in range(0, 10_000, 100))):
        assert embedded.find(notebook(source))["bytes"] > settings.FLAG_EMBEDDED_DATA_BYTES, source[:20]


def test_data_hidden_in_markdown_metadata_an_attachment_or_an_output_counts():
    digits = "".join(map(str, labels()))
    markdown = nbformat.v4.new_markdown_cell(" ".join(digits))
    metadata = nbformat.v4.new_code_cell("x = 1")
    metadata.metadata["labels"] = digits
    attachment = nbformat.v4.new_markdown_cell("![t](attachment:t.png)",
                                               attachments={"t.png": {"image/png": digits.encode().hex()}})
    output = nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", text=", ".join(digits))])
    for cell, where in ((markdown, "text"), (metadata, "cell metadata"), (attachment, "attachment t.png"),
                        (output, "output")):
        found = embedded.find(with_cell(cell))
        assert found["bytes"] > settings.FLAG_EMBEDDED_DATA_BYTES and found["findings"][0]["where"] == where, where


def test_the_solution_the_template_and_an_ordinary_notebook_carry_little():
    for nb in (ROOT / "assignments" / "mnist_solution.ipynb", ROOT / "assignments" / "mnist_template.ipynb"):
        # Well under the flag (the template's self-check cell and its comments count too).
        assert embedded.find(nb.read_bytes())["bytes"] < settings.FLAG_EMBEDDED_DATA_BYTES * 0.7, nb.name
    assert embedded.find(nearest_mean_notebook())["bytes"] < settings.FLAG_EMBEDDED_DATA_BYTES / 2


def test_a_notebook_too_large_to_check_in_the_time_allowed_is_reported_not_waited_for():
    huge = notebook("T = [" + ",".join(["[1,2,3]"] * 300_000) + "]")
    found = embedded.find(huge, confined.Limits(wall_seconds=0.3, cpu_seconds=1, memory_bytes=512 * 2**20))
    assert found["bytes"] is None and "could not be checked for embedded data" in found["problem"]


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"{\"cells\": 7}"])
def test_a_file_that_is_not_a_notebook_is_measured_as_empty_or_refused_with_a_reason(raw):
    found = embedded.find(raw)
    assert found["bytes"] == 0 or found["problem"]
