"""The gradebook CSV against the reviews themselves: every reviewed item's score is in its
cell, after any late penalty, for a seeded class."""
import csv
import io
import random

import pytest

from coursework.models import Assignment, EssaySubmission, QuestionSet, SynthesisResponse
from coursework.services import gradebook, reviews, rubrics
from tests.factories import make_course, make_profile, make_student, make_ta, submitted_essays, submitted_synthesis

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_class(settings, tmp_path):
    """Twenty students, each with some synthesis sets and maybe essays, most of it reviewed
    with points drawn from a seeded generator; some work late under a 10%-a-day penalty."""
    settings.MEDIA_ROOT = tmp_path
    tasks = make_course()
    for task in tasks.values():
        task.late_policy, task.late_penalty_per_day = Assignment.PENALTY, 0.1
        task.save()
    rng = random.Random(7)
    ta = make_ta()
    sets = list(QuestionSet.objects.filter(optional=False).select_related("page"))
    for i in range(20):
        student = make_student(f"s{i:02d}")
        make_profile(student)
        work = [submitted_synthesis(student, qs.page.slug) for qs in sets if rng.random() < 0.8]
        if rng.random() < 0.6:
            work.append(submitted_essays(student))
        for item in work:
            if rng.random() < 0.15:
                continue  # waiting for review
            type(item).objects.filter(pk=item.pk).update(days_late=rng.choice([0, 0, 0, 1, 3]))
            item.refresh_from_db()
            marks = {c.pk: rubrics.Mark(rng.randint(0, c.max_points * 2) / 2) for c in rubrics.criteria_for(item)}
            reviews.review(item, ta, marks, "Reviewed.")
    return {"ta": ta, "sets": sets}


def text_of(response) -> str:
    return b"".join(response.streaming_content).decode()  # the gradebook is streamed


def rows_of(client, path="/ta/gradebook.csv"):
    return {r["username"]: r for r in csv.DictReader(io.StringIO(text_of(client.get(path))))}


def test_every_reviewed_item_has_its_score_in_the_gradebook_after_any_late_penalty(client, seeded_class):
    client.force_login(seeded_class["ta"])
    rows = rows_of(client)
    assert len(rows) == 20
    checked = 0
    for r in SynthesisResponse.objects.filter(status="reviewed").select_related("student", "question_set__page"):
        cell = rows[r.student.username][f"synthesis_{r.question_set.page.slug}_score"]
        assert cell != "" and float(cell) == pytest.approx(round(r.score * max(0, 1 - 0.1 * r.days_late), 2))
        checked += 1
    for e in EssaySubmission.objects.filter(status="reviewed").select_related("student"):
        row = rows[e.student.username]
        assert float(row["essays_score"]) == pytest.approx(round(e.score * max(0, 1 - 0.1 * e.days_late), 2))
        assert float(row["essays_score_before_penalty"]) == pytest.approx(e.score)
        assert float(row["essays_max"]) == 10 and int(row["essays_days_late"]) == e.days_late
        checked += 1
    assert checked > 30  # the seeded class has plenty of reviewed work
    # Work not reviewed yet has an empty cell, never a zero.
    for r in SynthesisResponse.objects.filter(status="submitted").select_related("student", "question_set__page"):
        assert rows[r.student.username][f"synthesis_{r.question_set.page.slug}_score"] == ""
    # The totals are the sums of the cells.
    for row in rows.values():
        cells = [float(row[f"synthesis_{qs.page.slug}_score"]) for qs in seeded_class["sets"]
                 if row[f"synthesis_{qs.page.slug}_score"] not in ("", gradebook.FEEDBACK_ONLY)]
        assert (float(row["synthesis_score"]) if row["synthesis_score"] else 0) == pytest.approx(sum(cells), abs=0.02)


def test_a_feedback_only_review_says_so_in_its_cell(client, seeded_class):
    student = make_student("zed")
    make_profile(student)
    item = reviews.review(submitted_essays(student), seeded_class["ta"], {}, "Come and see me.", feedback_only=True)
    client.force_login(seeded_class["ta"])
    row = rows_of(client)["zed"]
    assert row["essays_status"] == "reviewed" and row["essays_score"] == gradebook.FEEDBACK_ONLY
    assert item.score is None


def test_the_per_task_csv_keeps_only_that_tasks_columns(client, seeded_class):
    client.force_login(seeded_class["ta"])
    header = text_of(client.get("/ta/gradebook/synthesis.csv")).splitlines()[0].split(",")
    assert header[:4] == ["username", "email", "display_name", "group"]
    assert all(h.startswith("synthesis_") for h in header[4:]) and len(header) > 8


def test_no_cell_of_the_gradebook_is_one_a_spreadsheet_would_read_as_a_date(client, seeded_class):
    client.force_login(seeded_class["ta"])
    rows = rows_of(client)
    row = rows["s00"]
    assert int(row["synthesis_sets_required"]) == len(seeded_class["sets"])
    assert 0 <= int(row["synthesis_sets_submitted"]) <= len(seeded_class["sets"])
    for row in rows.values():
        assert not any("/" in cell or "-" in cell.lstrip("-") for cell in row.values() if cell), row


def test_the_notebook_gradebook_has_the_counted_runs_days_late_and_its_score_before_the_penalty(client, settings,
                                                                                                  tmp_path):
    from tests.factories import make_submission

    settings.MEDIA_ROOT = tmp_path
    notebook = make_course()[Assignment.NOTEBOOK]
    notebook.late_policy, notebook.late_penalty_per_day = Assignment.PENALTY, 0.1
    notebook.save()
    ana, ben = make_student("ana"), make_student("ben")
    for student in (ana, ben):
        make_profile(student)
    # Ana's better run came two days late (1.0 -> 0.8): her on-time 0.9 counts.
    make_submission(ana, status="graded", accuracy=0.97, score=1.0, late=True, days_late=2)
    make_submission(ana, status="graded", accuracy=0.95, score=0.9)
    # Ben's run a day late still beats his on-time one (1.0 -> 0.9 against 0.85).
    make_submission(ben, status="graded", accuracy=0.97, score=1.0, late=True, days_late=1)
    make_submission(ben, status="graded", accuracy=0.93, score=0.85)
    client.force_login(make_ta())
    rows = rows_of(client, "/ta/gradebook/mnist.csv")
    assert [rows["ana"][k] for k in ("notebook_score", "notebook_score_before_penalty", "notebook_days_late")] == [
        "0.9", "0.9", "0"]
    assert [rows["ben"][k] for k in ("notebook_score", "notebook_score_before_penalty", "notebook_days_late")] == [
        "0.9", "1.0", "1"]


def test_a_display_name_a_spreadsheet_would_run_as_a_formula_is_written_as_text(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_course()
    names = ['=HYPERLINK("http://example.org","x")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1", "-2+3", "Ada Lovelace"]
    for i, name in enumerate(names):
        profile = make_profile(make_student(f"f{i}"))
        profile.display_name = name
        profile.save()
    client.force_login(make_ta())
    rows = rows_of(client)
    assert [rows[f"f{i}"]["display_name"] for i in range(len(names))] == ["'" + n for n in names[:4]] + ["Ada Lovelace"]
