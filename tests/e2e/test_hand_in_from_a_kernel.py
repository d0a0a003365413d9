"""The template's hand_in cell, run in a real Jupyter kernel (the notebooks' own environment)
against a running stack: the notebook hands itself in with an upload token, and the link
it prints shows the grade."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.scenarios import TRIVIAL
from tests.support.stack import ROOT, Browser, Stack

pytestmark = pytest.mark.stack
KERNEL_PYTHON = ROOT / ".venv-kernel" / "bin" / "python"
RUN = """
import sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], 4)
nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
nbformat.write(nb, sys.argv[1])
"""


def run_in_a_kernel(tmp_path: Path, *cells: str) -> str:
    """What the cells print, run one after another in a fresh python3 kernel."""
    path = tmp_path / "runner.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells]}))
    subprocess.run([str(KERNEL_PYTHON), "-c", RUN, str(path)], check=True, capture_output=True, timeout=180)
    outputs = [o for cell in json.loads(path.read_text())["cells"] for o in cell.get("outputs", [])]
    texts = [o.get("text", "") for o in outputs if o.get("output_type") == "stream"]
    return "".join(t if isinstance(t, str) else "".join(t) for t in texts)  # a list of lines, as saved


def test_the_template_cell_hands_the_notebook_in_and_its_link_shows_the_grade(tmp_path, redis_target):
    stack = Stack(tmp_path, redis_target)
    stack.env["SITE_URL"] = stack.base_url
    try:
        stack.start()
        token = stack.manage("shell", "-c", (
            "from django.contrib.auth.models import User; from coursework.services import upload_tokens; "
            "print(upload_tokens.make(User.objects.get(username='student'), 'kernel')[1])")).strip().splitlines()[-1]
        mine = tmp_path / "my_notebook.ipynb"
        mine.write_bytes(TRIVIAL)
        cell = (ROOT / "assignments" / "hand_in_cell.py").read_text()

        printed = run_in_a_kernel(tmp_path, cell, f"hand_in({stack.base_url!r}, {token!r}, path={str(mine)!r})",
                                  f"hand_in({stack.base_url!r}, 'cw_revoked-or-made-up', path={str(mine)!r})",
                                  f"hand_in({stack.base_url!r})")

        link = re.search(r"Handed in as upload 1: (\S+)", printed)
        assert link, printed
        assert "Not handed in: That upload token is unknown or revoked" in printed
        assert "No upload token: make one on your settings page" in printed  # no token, no Colab secret
        browser = Browser(stack)
        browser.login("student", "student-demo-pass")
        path = link.group(1).removeprefix(stack.base_url)
        fragment = browser.final_status(path + "status/")
        assert ">graded<" in fragment and re.search(r"\d+\.\d{2}%", fragment), fragment
    finally:
        stack.stop()
