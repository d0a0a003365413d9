"""What the attacker's inputs cost now, function by function, in this process: the
Markdown preview, the essay readers and the notebook check, each beside an ordinary
input of the same kind, and the largest notebooks the limits still let through.

    python benchmarks/parsers.py [--repeat 3]

Prints the best of --repeat runs for each input, and what it ended in. (The same
attacks against gunicorn: pytest tests/coursework/test_parse_limits_web.py -s.)
Last line: worst_attack_s=X worst_allowed_notebook_s=Y
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from coursework.rendering import render_markdown  # noqa: E402
from coursework.services.essays import EssayError, extract_text, meaningful_word_count  # noqa: E402
from grader.notebooks import InvalidNotebook, NotebookLimits, validate_notebook_bytes  # noqa: E402
from tests.support.documents import (deeply_nested_docx, docx_bytes, pdf_bytes, shared_stream_pdf,  # noqa: E402
                                     zip_bomb_docx)
from tests.support.notebooks import nearest_mean_notebook  # noqa: E402

ESSAY = "Networks learn weights from labelled examples, one small step at a time. " * 400


def notebook(cells: list, **metadata) -> bytes:
    kernel = {"name": "python3", "language": "python", "display_name": "P"}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {"kernelspec": kernel, **metadata}},
                      separators=(",", ":")).encode()


def code(i: int, outputs: list) -> dict:
    return {"cell_type": "code", "id": f"c{i}", "source": "x = 1", "metadata": {}, "execution_count": None,
            "outputs": outputs}


def stream(lines: int) -> dict:
    return {"name": "stdout", "output_type": "stream", "text": ["a\n"] * lines}


def measure(label: str, call, repeat: int) -> float:
    best, outcome = float("inf"), ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            result = call()
            outcome = f"ok ({len(result) if hasattr(result, '__len__') else result})"
        except (EssayError, InvalidNotebook) as exc:
            outcome = str(exc)[:90]
        best = min(best, time.perf_counter() - started)
    print(f"  {label:46s} {best:6.2f} s  {outcome}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    limits, max_bytes = NotebookLimits.from_settings(), settings.MAX_UPLOAD_BYTES
    check = lambda data: lambda: validate_notebook_bytes(data, max_bytes, limits)  # noqa: E731

    print("Markdown preview (render + word count), 60,000 characters:")
    preview = lambda text: lambda: (render_markdown(text), meaningful_word_count(text))  # noqa: E731
    ordinary = [measure("an ordinary essay", preview(ESSAY[:60_000]), repeat)]
    attacks = [measure('"[" x 60,000 (Python-Markdown: about a minute)', preview("[" * 60_000), repeat),
               measure('"![" x 30,000 (the slowest we found)', preview("![" * 30_000), repeat)]

    print("Essay files:")
    ordinary += [measure("an ordinary .docx", lambda: extract_text("e.docx", docx_bytes(ESSAY)), repeat),
                 measure("an ordinary .pdf", lambda: extract_text("e.pdf", pdf_bytes(ESSAY[:5000])), repeat)]
    attacks += [measure("14 KB PDF, 50 pages sharing a 2 MB stream", lambda: extract_text("e.pdf", shared_stream_pdf()),
                        repeat),
                measure(".docx unpacking to 20 MB of XML", lambda: extract_text("e.docx", zip_bomb_docx()), repeat),
                measure(".docx nested 10,000 deep", lambda: extract_text("e.docx", deeply_nested_docx()), repeat),
                measure("5 MB .txt in Latin-1", lambda: extract_text("e.txt", ("é" * 5_000_000).encode("latin-1")),
                        repeat)]

    print("Notebooks:")
    ordinary.append(measure("an ordinary notebook", check(nearest_mean_notebook()), repeat))
    attacks += [measure("nested 100,000 deep", check(b'{"cells":' + b"[" * 100_000 + b"]" * 100_000 + b"}"), repeat),
                measure("100,000 cells", check(notebook([{"cell_type": "raw", "source": "", "metadata": {}}] * 100_000)),
                        repeat)]
    print("Notebooks just inside the limits:")
    allowed = [
        measure(f"{limits.max_cells:,} cells x 5 outputs of 40 lines",
                check(notebook([code(i, [stream(40)] * 5) for i in range(limits.max_cells)])), repeat),
        measure("20 cells, 9,500 outputs", check(notebook([code(i, [stream(45)] * 475) for i in range(20)])), repeat),
        measure("480,000 values of metadata", check(notebook([code(0, [])], padding=[0] * 480_000)), repeat),
    ]
    print(f"worst_attack_s={max(attacks):.2f} worst_allowed_notebook_s={max(allowed):.2f} "
          f"worst_ordinary_s={max(ordinary):.2f}")


if __name__ == "__main__":
    main()
