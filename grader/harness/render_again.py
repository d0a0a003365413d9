"""Draw a stored executed notebook's page again. Runs INSIDE the sandbox, started as the
grading harness is and with the same arguments:

    python render_again.py INPUT_DIR RESULT_FD PROGRESS_FD IMAGES_FD

INPUT_DIR holds submission.ipynb (here the executed notebook a graded run stored: compact
JSON, outputs already capped) and config.json. No notebook runs and nothing is asked (the
images pipe brings nothing and is closed at once): the page is drawn by the same renderer
process, with the same retries around the cell at fault, as at the end of a run
(rendering.render_page), within config["render_timeout_s"]. One payload goes back to
RESULT_FD, as from the harness: {"result": {"status": "ok", "render": ...}} and the page.

It imports nothing from the site: the site's code is not in the sandbox.
"""
import json
import os
import sys
from pathlib import Path

import nbformat
import protocol
from rendering import render_page
from run_notebook import refuse_inspection, send_result, tell_progress


def run(input_dir: Path, config: dict, progress_fd: int) -> tuple[dict, dict[str, bytes]]:
    nb = nbformat.from_dict(json.loads((input_dir / "submission.ipynb").read_bytes()))
    tell_progress(progress_fd, protocol.STEP_RENDER)  # the worker's memory message names the step
    render, html = render_page(nb, config["render_timeout_s"], config["rendered_html_kb"] * 1024)
    return {"result": {"status": protocol.OK, "render": render}}, ({"html": html} if html is not None else {})


def main() -> int:
    input_dir, result_fd, progress_fd, images_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    for fd in (result_fd, progress_fd):
        os.set_inheritable(fd, False)  # the renderer, started below, must not get them
    os.close(images_fd)
    refuse_inspection()
    config = json.loads((input_dir / "config.json").read_text())
    for var in ("HOME", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR"):  # as the harness does: nbconvert looks there
        if var in os.environ:
            Path(os.environ[var]).mkdir(parents=True, exist_ok=True)
    # A fault here is ours: the notebook was stored by a harness, and the renderer reports its own.
    return send_result(result_fd, lambda send: run(input_dir, config, progress_fd))


if __name__ == "__main__":
    sys.exit(main())
