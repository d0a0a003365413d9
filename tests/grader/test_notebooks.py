import json

import pytest

from grader.notebooks import InvalidNotebook, NotebookLimits, json_shape, validate_notebook_bytes
from tests.support.notebooks import notebook

LIMIT = 1_000_000


def test_it_accepts_a_python_notebook():
    assert "".join(validate_notebook_bytes(notebook("x = 1"), LIMIT)["cells"][0]["source"]) == "x = 1"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\xff\xfe not utf8", "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (json.dumps({"hello": 1}).encode(), "not a Jupyter notebook"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "cells": []}).encode(), "nbformat 3"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}).encode(), "no code cells"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "bogus"}]}).encode(), "schema"),
        (notebook("x <- 1", kernel_language="R"), "only Python notebooks"),
        (b" " * (LIMIT + 1), "at most 1.0 MB"),
    ],
)
def test_it_rejects_bad_uploads_with_a_specific_message(data, message):
    with pytest.raises(InvalidNotebook, match=message):
        validate_notebook_bytes(data, LIMIT)


def _nb(cells, **extra) -> bytes:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **extra},
                      separators=(",", ":")).encode()


def _code(source="x = 1", outputs=()):
    return {"cell_type": "code", "source": source, "metadata": {}, "execution_count": None, "outputs": list(outputs)}


def test_it_refuses_deeply_nested_json_before_parsing_it():
    deep = b'{"cells": ' + b"[" * 100_000 + b"]" * 100_000 + b', "nbformat": 4}'
    with pytest.raises(InvalidNotebook, match=r"nested 100,001 levels deep; at most 64 can be read"):
        validate_notebook_bytes(deep, 5 * LIMIT)


def test_it_counts_cells_before_checking_the_schema():
    many = _nb([{"cell_type": "raw", "source": "", "metadata": {}}] * 100_000)
    with pytest.raises(InvalidNotebook, match=r"^The notebook has 100,000 cells; at most 2,000 can be graded\."):
        validate_notebook_bytes(many, 5 * LIMIT)


def test_it_refuses_more_outputs_than_it_checks():
    output = {"output_type": "stream", "name": "stdout", "text": "a"}
    with pytest.raises(InvalidNotebook, match=r"The notebook has 10,001 outputs; at most 10,000 can be checked\. Clear"):
        validate_notebook_bytes(_nb([_code(outputs=[output] * 10_001)]), LIMIT)


def test_it_refuses_a_notebook_of_more_json_values_than_it_checks():
    with pytest.raises(InvalidNotebook, match=r"The file holds 5[\d,]+ JSON values; at most 500,000 can be checked"):
        validate_notebook_bytes(_nb([_code()], metadata={"padding": [0] * 500_000}), 5 * LIMIT)


def test_limits_come_from_the_caller():
    with pytest.raises(InvalidNotebook, match="3 cells; at most 2"):
        validate_notebook_bytes(_nb([_code()] * 3), LIMIT, NotebookLimits(max_cells=2))


@pytest.mark.parametrize("data, message", [
    (_nb([_code()], nbformat=5), "could not be read as nbformat 4"),
    (_nb([_code()], metadata={"kernelspec": {"language": 7}}), "schema"),
    (_nb([_code()], metadata={"language_info": {"name": "julia"}}), "only Python notebooks"),
])
def test_the_confined_schema_check_words_its_refusals_for_the_student(data, message):
    with pytest.raises(InvalidNotebook, match=message):
        validate_notebook_bytes(data, LIMIT)


@pytest.mark.parametrize("text, shape", [
    (b'{"a": "[[[{{{", "b": [1, [2, {"c": "]]]"}]]}', (4, 8)),
    (b'["\\"[[[", "\\\\", [[]]]', (3, 6)),  # 5 values; the empty [] counts twice
    (b"[]", (1, 2)),
    (b"7", (0, 1)),
])
def test_json_shape_counts_depth_and_values_outside_strings(text, shape):
    assert json_shape(text) == shape


def test_an_unterminated_string_is_scanned_once_and_left_to_json_to_report():
    # Every quote here would start a fresh scan to the end for a backtracking regex.
    assert json_shape(b'\\"' * 1_000_000) == (0, 1)
    with pytest.raises(InvalidNotebook, match="not valid JSON"):
        validate_notebook_bytes(b'{"cells": [' + b'"\\"' * 100_000, LIMIT)


def test_the_sandbox_gets_each_cells_type_and_source_only():
    """Saved outputs (a PNG can carry a table), attachments and metadata never reach the run,
    and the embedded-data check measures what the run can read, not what was printed."""
    import json

    import nbformat

    from grader import embedded, notebooks

    nb = nbformat.v4.new_notebook()
    nb.metadata["secret"] = "x" * 5000
    code = nbformat.v4.new_code_cell("weights = [0.5] * 3")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=repr([i / 7 for i in range(256)])),
                    nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo" + "A" * 4000})]
    code.metadata["labels"] = "7" * 3000
    text = nbformat.v4.new_markdown_cell("# Notes")
    text.attachments = {"plot.png": {"image/png": "iVBORw0KGgo" + "B" * 4000}}
    nb.cells = [text, code]
    upload = nbformat.writes(nb).encode()
    copy = json.loads(notebooks.run_copy(upload))
    assert [c["cell_type"] for c in copy["cells"]] == ["markdown", "code"]
    assert copy["cells"][1] == {"cell_type": "code", "id": code["id"], "metadata": {}, "source": "weights = [0.5] * 3",
                                "outputs": [], "execution_count": None}
    assert "attachments" not in copy["cells"][0] and set(copy["metadata"]) == {"kernelspec", "language_info"}
    nbformat.validate(nbformat.reads(json.dumps(copy), as_version=4))
    assert embedded.find(notebooks.run_copy(upload))["bytes"] < 200 < embedded.find(upload)["bytes"]
