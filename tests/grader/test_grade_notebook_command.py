"""`manage.py grade_notebook --json`: the same sandbox and scoring, printed for a person or a script."""
import json
from io import StringIO

from django.core.management import call_command

from tests.support.notebooks import notebook


def test_the_json_report_holds_the_figures_and_not_the_page(tmp_path):
    path = tmp_path / "constant.ipynb"
    path.write_bytes(notebook("def predict(images):\n    return [3] * len(images)"))
    out = StringIO()
    call_command("grade_notebook", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["status"] == "graded" and report["accuracy"] == 0.101
    assert "html" not in report and "notebook" not in report  # megabytes a terminal does not want


def test_the_report_carries_the_sites_flags_at_its_default_bars(tmp_path):
    from grader import data

    path = tmp_path / "label_table.ipynb"
    path.write_bytes(notebook(f"LABELS = {data.test_set()[1].tolist()!r}",
                              "import numpy as np\n\ndef predict(images):\n    return np.resize(np.array(LABELS), len(images))"))
    out = StringIO()
    call_command("grade_notebook", str(path), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["flagged"] and "embedded" in report["feedback"]["flags"]
    assert report["feedback"]["embedded"]["bytes"] > 4000 and "Embedded data" in report["flag_reason"]
