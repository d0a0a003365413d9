import json

import pytest

from grader.notebooks import InvalidNotebook, validate_notebook_bytes
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
