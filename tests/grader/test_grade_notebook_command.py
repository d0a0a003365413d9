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
