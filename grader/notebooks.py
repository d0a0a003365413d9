"""Checking an uploaded notebook before it is stored or queued."""
from __future__ import annotations

import json

import nbformat


class InvalidNotebook(ValueError):
    """The upload is not a notebook we can run; the message is shown to the student."""


def validate_notebook_bytes(data: bytes, max_bytes: int) -> nbformat.NotebookNode:
    """Return the parsed notebook, or raise InvalidNotebook saying exactly what is wrong."""
    if len(data) > max_bytes:
        raise InvalidNotebook(
            f"The file is {len(data) / 1e6:.1f} MB; notebooks may be at most {max_bytes / 1e6:.1f} MB. "
            "Clear the outputs (Kernel > Restart & Clear Output) and upload again."
        )
    if not data.strip():
        raise InvalidNotebook("The file is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidNotebook(f"The file is not UTF-8 text (byte {exc.start}); a .ipynb file is JSON.") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidNotebook(f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).") from None
    if not isinstance(raw, dict) or "cells" not in raw or "nbformat" not in raw:
        raise InvalidNotebook("The file is JSON but not a Jupyter notebook (it has no 'cells' or 'nbformat').")
    major = raw.get("nbformat")
    if not isinstance(major, int) or major < 4:
        raise InvalidNotebook(
            f"The notebook uses nbformat {major!r}; version 4 is required. "
            "Open and save it in a current Jupyter to upgrade it."
        )
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise InvalidNotebook(f"The notebook does not follow the nbformat 4 schema: {exc.message}") from None
    if not any(cell.cell_type == "code" and cell.source.strip() for cell in nb.cells):
        raise InvalidNotebook("The notebook has no code cells to run.")
    language = (nb.metadata.get("kernelspec") or {}).get("language") or (nb.metadata.get("language_info") or {}).get("name")
    if language and language.lower() != "python":
        raise InvalidNotebook(f"The notebook's kernel is {language!r}; only Python notebooks can be graded.")
    return nb
