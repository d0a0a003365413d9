"""Implausible scores go to a TA: accuracy above the assignment's bar and notebooks that
carry embedded data are flagged; a flagged row is "under review" on the leaderboard until a
TA decides; the TA sees the code with the data marked, and the ten highest scores."""
from pathlib import Path

import pytest

from coursework import tasks
from coursework.grading import dispatch
from coursework.models import Assignment
from coursework.services import integrity, reviews
from grader import data
from grader.result import GradeResult
from tests.factories import make_assignment, make_profile, make_student, make_submission, make_ta
from tests.support.notebooks import nearest_mean_notebook, notebook

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def label_table_notebook() -> bytes:
    # The test labels in a literal; predict answers with as many as it is asked for.
    return notebook(f"LABELS = {data.test_set()[1].tolist()!r}",
                    "import numpy as np\n\ndef predict(images):\n    return np.resize(np.array(LABELS), len(images))")


def graded(accuracy: float, flagged: bool = False) -> GradeResult:
    return GradeResult(status="graded", message="", accuracy=accuracy, public_accuracy=accuracy,
                       private_accuracy=accuracy, flagged=flagged,
                       flag_reason="Integrity probe: gap 40%" if flagged else "", feedback={"per_digit": []})


def test_a_notebook_with_a_10000_label_literal_is_flagged_for_embedded_data():
    result = integrity.screen(graded(0.97), make_assignment(), label_table_notebook())
    assert result.flagged and result.feedback["flags"] == ["embedded"]
    assert "Embedded data" in result.flag_reason and "number list of" in result.flag_reason
    assert "cell 1 (code, line 1)" in result.flag_reason


def test_an_ordinary_notebook_is_not_flagged_and_the_solution_only_as_a_copy():
    result = integrity.screen(graded(0.98), make_assignment(), nearest_mean_notebook())
    assert not result.flagged and result.feedback["flags"] == [] and result.flag_reason == ""
    # neither embedded data nor implausible accuracy: handed in as one's own, it is a copy (tests/coursework/test_copies.py)
    solution = (ROOT / "assignments" / "mnist_solution.ipynb").read_bytes()
    assert integrity.screen(graded(0.98), make_assignment(), solution).feedback["flags"] == ["copy"]


def test_accuracy_above_the_assignments_bar_is_flagged_and_the_bar_is_a_setting_per_assignment(settings):
    task = make_assignment()
    assert task.implausible_above == settings.FLAG_ACCURACY_ABOVE == 0.992
    result = integrity.screen(graded(0.995), task, nearest_mean_notebook())
    assert result.flagged and result.feedback["flags"] == ["accuracy"] and "99.50%" in result.flag_reason
    assert not integrity.screen(graded(0.992), task, nearest_mean_notebook()).flagged  # at the bar is plausible
    task.flag_accuracy_above = 0.999
    assert not integrity.screen(graded(0.995), task, nearest_mean_notebook()).flagged


def test_the_graders_own_flag_is_kept_beside_the_sites():
    result = integrity.screen(graded(0.995, flagged=True), make_assignment(), label_table_notebook())
    assert result.feedback["flags"] == ["probe", "accuracy", "embedded"]
    assert result.flag_reason.startswith("Integrity probe: gap 40%\nImplausible accuracy")


def test_a_failed_run_is_not_screened():
    failed = GradeResult(status="failed", message="Cell 2 raised NameError")
    assert integrity.screen(failed, make_assignment(), label_table_notebook()) is failed


@pytest.fixture
def board(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment(kind=Assignment.NOTEBOOK)
    people = {}
    for name, public in (("ana", 0.95), ("ben", 0.96)):
        people[name] = make_student(name)
        make_profile(people[name])
        make_submission(people[name], status="graded", accuracy=public, public_accuracy=public, private_accuracy=public)
    return people


def test_a_flagged_best_is_under_review_on_the_leaderboard_until_a_ta_decides(client, board):
    flagged = make_submission(board["ana"], status="graded", accuracy=0.999, public_accuracy=0.9991,
                              private_accuracy=0.999, flagged=True, flag_reason="Implausible accuracy")
    rows = client.get("/leaderboard/rows/").content.decode()
    assert "under review" in rows and "99.91%" not in rows
    assert rows.index("ben-alias") < rows.index("ana-alias") < rows.index("under review")
    reviews.resolve_flag(flagged, make_ta(), "cleared")
    rows = client.get("/leaderboard/rows/").content.decode()
    assert "under review" not in rows and "99.91%" in rows and rows.index("ana-alias") < rows.index("ben-alias")


def test_an_upheld_flag_leaves_the_row_as_it_was_and_a_lower_flagged_result_changes_nothing(client, board):
    flagged = make_submission(board["ana"], status="graded", accuracy=0.999, public_accuracy=0.9991,
                              private_accuracy=0.999, flagged=True)
    make_submission(board["ben"], status="graded", accuracy=0.90, public_accuracy=0.90, private_accuracy=0.9,
                    flagged=True)
    rows = client.get("/leaderboard/rows/").content.decode()
    assert rows.count("under review") == 1  # ana's; ben's flagged result is below his best
    reviews.resolve_flag(flagged, make_ta(), "upheld")
    rows = client.get("/leaderboard/rows/").content.decode()
    assert "under review" not in rows and "99.91%" not in rows and "95.00%" in rows


def test_the_ta_sees_the_students_code_with_the_embedded_literal_marked(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = make_assignment(kind=Assignment.NOTEBOOK)
    student = make_student()
    nb = label_table_notebook()
    result = integrity.screen(graded(0.97), task, nb)
    submission = make_submission(student, nb, status="graded", accuracy=0.97, public_accuracy=0.97,
                                 private_accuracy=0.97, flagged=True, flag_reason=result.flag_reason,
                                 feedback=result.feedback.to_json())
    client.force_login(make_ta())
    page = client.get(f"/ta/notebooks/{submission.pk}/").content.decode()
    assert "Flag: embedded data" in page and "The student's code" in page
    assert '<mark class="embedded">[7, 2, 1, 0, 4,' in page and "more characters]" in page
    assert "def predict(images):" in page
    client.force_login(student)
    assert client.get(f"/ta/notebooks/{submission.pk}/").status_code in (302, 403, 404)


def test_the_top_10_lists_the_ten_best_students_with_their_flags(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment(kind=Assignment.NOTEBOOK)
    for k in range(12):
        student = make_student(f"s{k:02d}")
        make_profile(student)
        make_submission(student, status="graded", accuracy=0.90 + k / 200, public_accuracy=0.9, private_accuracy=0.9,
                        flagged=k == 11, feedback={"flags": ["accuracy", "embedded"]} if k == 11 else {})
    client.force_login(make_ta())
    page = client.get("/ta/notebooks/top/").content.decode()
    assert "S11" in page and "S02" in page and "S01" not in page and "S00" not in page
    assert page.index("S11") < page.index("S10") < page.index("S02")
    assert "implausible accuracy" in page and "embedded data" in page


def test_a_label_table_notebook_graded_by_the_real_task_is_flagged(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    student = make_student()
    make_profile(student)
    # The labels as one string literal: a page of 10,000 highlighted numbers takes long to render on a busy machine.
    digits = "".join(map(str, data.test_set()[1].tolist()))
    submission = make_submission(student, notebook(f"import numpy as np\nLABELS = np.array(list('{digits}'), dtype=int)",
                                                   "def predict(images):\n    return np.resize(LABELS, len(images))"))
    status = tasks.grade_submission.apply(args=[submission.pk]).get()
    submission.refresh_from_db()
    assert status == "graded", submission.message
    assert submission.flagged and "embedded" in submission.feedback["flags"]


def test_the_assignment_page_says_briefly_what_is_hidden_and_what_is_checked(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_assignment(kind=Assignment.NOTEBOOK, flag_accuracy_above=0.995)
    client.force_login(make_student())
    page = client.get("/assignments/mnist/").content.decode()
    assert "What the leaderboard hides and checks" in page and "public half only" in page
    assert "above 99.5% test accuracy" in page and "under review" in page


def test_data_outside_the_cells_never_reaches_the_run_and_is_not_counted(settings, tmp_path):
    """Notebook metadata (like saved outputs and attachments) is left out of the copy the
    sandbox runs, so the labels there cannot be read back and are no embedded data."""
    import nbformat

    settings.MEDIA_ROOT = tmp_path
    task = make_assignment(kind=Assignment.NOTEBOOK)
    nb = nbformat.v4.new_notebook()
    nb.metadata["answers"] = "".join(map(str, data.test_set()[1].tolist()))
    nb.cells = [nbformat.v4.new_code_cell("def predict(images):\n    return images.argmax(1) % 10")]
    result = integrity.screen(graded(0.97), task, nbformat.writes(nb).encode())
    assert not result.flagged and result.feedback["embedded"]["bytes"] < 100


def test_the_top_10_numbers_its_rows_by_rank_not_by_submission_id(client, settings, tmp_path):
    import re

    settings.MEDIA_ROOT = tmp_path
    make_assignment(kind=Assignment.NOTEBOOK)
    for k, accuracy in enumerate((0.91, 0.95)):
        student = make_student(f"s{k:02d}")
        make_profile(student)
        make_submission(student, status="graded", accuracy=accuracy, public_accuracy=accuracy, private_accuracy=accuracy)
    best = integrity.top_scores(Assignment.objects.get())[0]
    client.force_login(make_ta())
    page = client.get("/ta/notebooks/top/").content.decode()
    first_cells = re.findall(r"<tr><td>(.*?)</td>", page.split("<tbody>")[1])
    assert first_cells == ["1", "2"]
    assert f'href="/ta/notebooks/{best.pk}/"' in page  # each row still opens its notebook
