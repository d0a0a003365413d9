"""The technical project's own notebooks: the template students start from and the
reference solution (offered per coursework.services.solutions)."""
from __future__ import annotations

import json

from django.conf import settings

TEMPLATE_NOTEBOOK = settings.BASE_DIR / "assignments" / "mnist_template.ipynb"
SOLUTION_NOTEBOOK = settings.BASE_DIR / "assignments" / "mnist_solution.ipynb"
# A variant of the project per kernel environment, each with its own pair of notebooks.
PYTORCH_TEMPLATE_NOTEBOOK = settings.BASE_DIR / "assignments" / "mnist_pytorch_template.ipynb"
PYTORCH_SOLUTION_NOTEBOOK = settings.BASE_DIR / "assignments" / "mnist_pytorch_solution.ipynb"
_BY_ENVIRONMENT = {"pytorch": (PYTORCH_TEMPLATE_NOTEBOOK, PYTORCH_SOLUTION_NOTEBOOK)}


def template_for(assignment):
    """The template notebook of this assignment's variant of the project (its environment's)."""
    return _BY_ENVIRONMENT.get(assignment.environment, (TEMPLATE_NOTEBOOK, SOLUTION_NOTEBOOK))[0]


def solution_for(assignment):
    return _BY_ENVIRONMENT.get(assignment.environment, (TEMPLATE_NOTEBOOK, SOLUTION_NOTEBOOK))[1]


def code_of(notebook_bytes: bytes) -> list[str] | None:
    """The notebook's code cells, as text without trailing spaces (None if it is not a notebook).
    Outputs, metadata and markdown do not count: running the template changes none of its code."""
    try:
        cells = json.loads(notebook_bytes)["cells"]
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                   for c in cells if c.get("cell_type") == "code"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return ["\n".join(line.rstrip() for line in source.strip().splitlines()) for source in sources
            if isinstance(source, str) and source.strip()]


def is_unchanged_template(notebook_bytes: bytes, template=TEMPLATE_NOTEBOOK) -> bool:
    return code_of(notebook_bytes) == code_of(template.read_bytes())
