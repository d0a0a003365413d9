import csv
import re
import io

import pytest
from django.utils import timezone

from coursework.models import (Assignment, AuditEvent, EssaySubmission, Notification, Profile, RubricCriterion,
                               StudyGroup, Submission, SynthesisResponse)
from coursework.services.content import load_content
from tests.factories import make_assignment, make_student, make_submission, make_ta
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db


def download(client, path: str) -> str:
    """A streamed response's whole body."""
    response = client.get(path)
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_content()
    synthesis = Assignment.objects.create(slug="synthesis", title="Synthesis", kind=Assignment.SYNTHESIS)
    RubricCriterion.objects.create(assignment=synthesis, order=1, name="Accuracy", max_points=3)
    RubricCriterion.objects.create(assignment=synthesis, order=2, name="Reasoning", max_points=2)
    group = StudyGroup.objects.create(name="G1")
    students = []
    for name in ("amy", "ben", "cal"):
        user = make_student(name)
        Profile.objects.create(user=user, display_name=name.title(), leaderboard_alias=name + "-alias", group=group)
        students.append(user)
    from coursework.models import QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    responses = [SynthesisResponse.objects.create(student=s, question_set=qs, status="submitted") for s in students]
    return {"students": students, "responses": responses, "criteria": list(RubricCriterion.objects.all())}


def test_a_review_scores_the_rubric_notifies_the_student_and_moves_to_the_next_item(client, setup):
    ta = make_ta()
    client.force_login(ta)
    first, second = setup["responses"][:2]
    accuracy, reasoning = setup["criteria"]
    response = client.post(f"/ta/synthesis/{first.pk}/", {
        f"criterion-{accuracy.pk}": "2.5", f"criterion-{accuracy.pk}-comment": "Right on weights.",
        f"criterion-{reasoning.pk}": "2", "feedback": "Clear answers.", "version": "0"})
    assert response.status_code == 302 and response.url == f"/ta/synthesis/{second.pk}/"
    first.refresh_from_db()
    assert first.status == "reviewed" and first.score == 4.5 and first.max_score == 5
    assert [(c["title"], c["points"], c["comment"]) for c in first.rubric["criteria"]] == [
        ("Accuracy", 2.5, "Right on weights."), ("Reasoning", 2.0, "")]
    event = first.audit_trail.get()
    assert event.actor == ta and event.changes["before"]["status"] == "submitted" and event.changes["after"]["score"] == 4.5
    assert Notification.objects.get(recipient=first.student).kind == "reviewed"
    client.force_login(setup["students"][0])
    page = client.get("/synthesis/video-what-is-a-neural-network/").content.decode()
    assert "Clear answers." in page and "Right on weights." in page and "2.5 / 3" in page and "4.5" in page


def test_the_last_review_of_a_queue_returns_to_the_queue(client, setup):
    client.force_login(make_ta())
    for r in setup["responses"][:2]:
        SynthesisResponse.objects.filter(pk=r.pk).update(status="reviewed")
    last = setup["responses"][2]
    response = client.post(f"/ta/synthesis/{last.pk}/", {"feedback": "ok", "feedback_only": "on"})
    assert response.url == "/ta/?queue=synthesis"


def test_a_ta_can_request_a_resubmission_and_the_student_can_edit_again(client, setup):
    client.force_login(make_ta())
    target = setup["responses"][0]
    client.post(f"/ta/synthesis/{target.pk}/", {"feedback": "Please expand question 3.", "feedback_only": "on",
                                                "request_resubmission": "1"})
    target.refresh_from_db()
    assert target.status == "resubmit" and target.editable
    assert Notification.objects.get(recipient=target.student).kind == "resubmit"


def test_queues_filter_by_group_and_lateness_and_count(client, setup):
    client.force_login(make_ta())
    SynthesisResponse.objects.filter(pk=setup["responses"][0].pk).update(late=True)
    page = client.get("/ta/?queue=synthesis&late=yes")
    assert page.context["counts"]["synthesis"] == 1
    other = StudyGroup.objects.create(name="G2")
    assert client.get(f"/ta/?queue=synthesis&group={other.pk}").context["counts"]["synthesis"] == 0


def test_essay_queue_shows_only_the_latest_version(client, setup):
    client.force_login(make_ta())
    amy = setup["students"][0]
    EssaySubmission.objects.create(student=amy, version=1)
    latest = EssaySubmission.objects.create(student=amy, version=2)
    items = list(client.get("/ta/?queue=essays").context["items"])
    assert items == [latest]


def test_flags_are_resolved_with_an_audit_trail_and_failed_notebooks_regraded(client, setup, monkeypatch, django_capture_on_commit_callbacks):
    from coursework.grading import dispatch

    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    ta = make_ta()
    client.force_login(ta)
    flagged = make_submission(setup["students"][0], status=SubmissionStatus.GRADED, accuracy=0.99, flagged=True,
                              flag_reason="Integrity probe: gap 80%")
    failed = make_submission(setup["students"][1], status=SubmissionStatus.FAILED, message="Cell 2 raised X")
    assert client.get("/ta/?queue=notebooks").context["counts"]["notebooks"] == 2
    page = client.get(f"/ta/notebooks/{flagged.pk}/").content.decode()
    assert "Integrity probe: gap 80%" in page
    client.post(f"/ta/notebooks/{flagged.pk}/", {"action": "upheld"})
    flagged.refresh_from_db()
    assert flagged.flag_resolution == "upheld" and flagged.flag_resolved_by == ta
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/ta/notebooks/{failed.pk}/", {"action": "regrade"})
    failed.refresh_from_db()
    assert failed.status == "queued"
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"flag_upheld", "regrade"}


def test_the_gradebook_has_a_row_per_student_in_lms_friendly_columns(client, setup):
    client.force_login(make_ta())
    amy = setup["students"][0]
    make_submission(amy, status=SubmissionStatus.GRADED, accuracy=0.9731, score=1.0)
    SynthesisResponse.objects.filter(student=amy).update(status="reviewed", score=4)
    rows = list(csv.DictReader(io.StringIO(download(client, "/ta/gradebook.csv"))))
    assert [r["username"] for r in rows] == ["amy", "ben", "cal"]
    assert rows[0]["notebook_best_accuracy"] == "0.9731" and rows[0]["project"] == "notebook"
    assert rows[0]["synthesis_sets_reviewed"] == "1" and rows[0]["synthesis_score"] == "4.0"
    per_task = download(client, "/ta/gradebook/mnist.csv").splitlines()[0]
    assert per_task.startswith("username,email,display_name,group,notebook_")
    assert "synthesis" not in per_task


def test_the_student_timeline_lists_everything_in_order(client, setup):
    client.force_login(make_ta())
    amy = setup["students"][0]
    make_submission(amy, status=SubmissionStatus.FAILED)
    page = client.get(f"/ta/students/{amy.pk}/").content.decode()
    assert "Synthesis: Video 2" in page and "Notebook nb.ipynb" in page


def fill_queues(setup, students: int, offset: int) -> None:
    """`students` more students, each with work waiting in all three queues."""
    from coursework.models import QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    group = StudyGroup.objects.first()
    for i in range(offset, offset + students):
        user = make_student(f"extra{i}")
        Profile.objects.create(user=user, display_name=f"Extra {i}", leaderboard_alias=f"extra-{i}", group=group)
        SynthesisResponse.objects.create(student=user, question_set=qs, status="submitted")
        EssaySubmission.objects.create(student=user, version=1, status="resubmit")
        EssaySubmission.objects.create(student=user, version=2)
        make_submission(user, status=SubmissionStatus.FAILED, log_tail="Traceback ..." * 100)


@pytest.mark.parametrize("queue", ["synthesis", "essays", "notebooks"])
def test_a_queue_page_runs_the_same_queries_for_a_short_and_a_long_queue(client, setup, queue):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(make_ta())
    sizes = []
    for offset, students in ((0, 2), (2, 30)):
        fill_queues(setup, students, offset)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/ta/?queue={queue}")
        sizes.append(len(queries))
        assert 0 < len(page.context["items"]) <= 25
    assert sizes[0] == sizes[1]


def test_a_notebook_queue_row_loads_no_feedback_or_sandbox_log(client, setup):
    client.force_login(make_ta())
    fill_queues(setup, 1, 0)
    item = client.get("/ta/?queue=notebooks").context["items"][0]
    assert {"feedback", "log_tail"} <= item.get_deferred_fields()


def test_a_tab_count_stops_at_the_cap_and_says_so(client, setup, monkeypatch):
    from coursework.services import reviews

    monkeypatch.setattr(reviews, "COUNT_CAP", 2)
    client.force_login(make_ta())
    page = client.get("/ta/?queue=synthesis")  # three waiting, more than the cap
    assert page.context["counts"]["synthesis"] == 3
    assert '<span class="count" id="count-synthesis">2+</span>' in page.content.decode()
    SynthesisResponse.objects.filter(pk=setup["responses"][0].pk).update(status="reviewed")
    page = client.get("/ta/?queue=synthesis")
    assert '<span class="count" id="count-synthesis">2</span>' in page.content.decode()


def test_an_essay_superseded_while_waiting_leaves_the_queue_for_the_newer_version(client, setup):
    client.force_login(make_ta())
    amy, ben = setup["students"][:2]
    old = EssaySubmission.objects.create(student=amy, version=1)  # never reviewed
    newer = EssaySubmission.objects.create(student=amy, version=2)
    bens = EssaySubmission.objects.create(student=ben, version=1)
    page = client.get("/ta/?queue=essays")
    assert set(page.context["items"]) == {newer, bens} and old not in page.context["items"]
    assert page.context["counts"]["essays"] == 2


def test_the_gradebook_streams_every_student_once_across_batches(client, setup, monkeypatch):
    from coursework.services import gradebook

    monkeypatch.setattr(gradebook, "BATCH", 2)  # three students: a full batch, then a partial one
    client.force_login(make_ta())
    make_submission(setup["students"][2], status=SubmissionStatus.GRADED, accuracy=0.95, score=1.0)
    response = client.get("/ta/gradebook.csv")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["username"] for r in rows] == ["amy", "ben", "cal"]
    assert [r["project"] for r in rows] == ["", "", "notebook"] and rows[2]["notebook_best_accuracy"] == "0.95"
    assert [r["notebook_submissions"] for r in rows] == ["0", "0", "1"] and rows[2]["notebook_late"] == "no"


def queues_version() -> int:
    from coursework.models import QueuesVersion

    return QueuesVersion.objects.values_list("version", flat=True).first() or 0


def test_the_queues_version_counts_what_the_queue_pages_show_and_not_autosaves_or_clean_grading(setup):
    amy = setup["students"][0]
    draft_student = make_student("dora")
    from coursework.models import QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    make_assignment()  # a new task shows on the page (its gradebook link): before we start counting
    start = queues_version()
    # Not shown in any queue: a draft autosaved, an upload queued, claimed, graded cleanly.
    draft = SynthesisResponse.objects.create(student=draft_student, question_set=qs)
    SynthesisResponse.objects.filter(pk=draft.pk).update(saved_at=draft.saved_at)
    upload = make_submission(amy)
    Submission.objects.filter(pk=upload.pk).update(status=SubmissionStatus.RUNNING)
    Submission.objects.filter(pk=upload.pk).update(status=SubmissionStatus.GRADED, accuracy=0.97)
    assert queues_version() == start
    steps = [
        lambda: SynthesisResponse.objects.filter(pk=draft.pk).update(status="submitted"),  # enters the queue
        lambda: SynthesisResponse.objects.filter(pk=setup["responses"][0].pk).update(status="reviewed"),  # leaves
        lambda: EssaySubmission.objects.create(student=amy, version=1),
        # A request's due date moved, the status unchanged (a second request, a publication).
        lambda: SynthesisResponse.objects.filter(pk=setup["responses"][0].pk).update(resubmit_by=timezone.now()),
        lambda: EssaySubmission.objects.filter(student=amy).update(resubmit_by=timezone.now()),
        lambda: Submission.objects.filter(pk=upload.pk).update(flagged=True),  # a flag to check
        lambda: Submission.objects.filter(pk=upload.pk).update(flag_resolution="cleared"),
        lambda: make_submission(amy, status=SubmissionStatus.FAILED),
        lambda: Profile.objects.filter(user=amy).update(display_name="Amy P."),
        lambda: StudyGroup.objects.filter(name="G1").update(name="Group one"),
        lambda: Assignment.objects.filter(slug="synthesis").update(title="Synthesis answers"),
        lambda: SynthesisResponse.objects.filter(student=draft_student).delete(),
    ]
    seen = [queues_version()]
    for step in steps:
        step()
        seen.append(queues_version())
    assert all(later > earlier for earlier, later in zip(seen, seen[1:])), seen


def test_a_cached_queue_page_shows_a_change_at_once_and_reads_no_queue_rows_when_nothing_changed(client, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Assignment.objects.filter(slug="synthesis").update(anonymous_review=False)  # a renamed student must show
    client.force_login(make_ta())
    first = client.get("/ta/?queue=synthesis").content.decode()
    assert 'id="count-synthesis">3<' in first and "Amy" in first
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/ta/?queue=synthesis").content.decode()
    listing = lambda html: html[html.index('<nav class="tabs"'):html.index("</table>")]  # noqa: E731
    assert listing(again) == listing(first)  # the same queue, from the cache...
    assert not any("coursework_synthesisresponse" in q["sql"] for q in queries.captured_queries)
    Profile.objects.filter(user=setup["students"][0]).update(display_name="Amelia")
    SynthesisResponse.objects.filter(pk=setup["responses"][1].pk).update(status="reviewed")
    changed = client.get("/ta/?queue=synthesis").content.decode()  # ...until something on it changes
    assert 'id="count-synthesis">2<' in changed and "Amelia" in changed and ">Amy<" not in changed


def test_each_ta_gets_their_own_csrf_token_on_a_cached_queue_page(client, setup):
    from django.test import Client

    pages = []
    for name in ("tara", "theo"):
        browser = Client()
        browser.force_login(make_ta(name))
        page = browser.get("/ta/?queue=notebooks")
        pages.append((page.content.decode(), page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""))
    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1) for html, _ in pages]
    assert tokens[0] != tokens[1]


def test_the_notebook_queue_leaves_out_an_unchanged_template_whose_upload_was_refunded(client, setup):
    from django.utils import timezone

    client.force_login(make_ta())
    amy, ben = setup["students"][:2]
    make_submission(amy, status=SubmissionStatus.FAILED, message="Cell 3 raised NotImplementedError",
                    refunded_at=timezone.now())
    broken = make_submission(ben, status=SubmissionStatus.FAILED, message="Cell 2 raised ValueError")
    page = client.get("/ta/?queue=notebooks&status=failed")
    assert list(page.context["items"]) == [broken]
    assert client.get("/ta/?queue=notebooks").context["counts"]["notebooks"] == 1


def test_a_review_out_of_one_point_says_point_not_points(client, setup):
    from coursework.services.reviews import StaleReview

    amy = setup["students"][0]
    response = setup["responses"][0]
    SynthesisResponse.objects.filter(pk=response.pk).update(status="reviewed", score=1, max_score=1)
    client.force_login(amy)
    page = client.get("/synthesis/video-what-is-a-neural-network/").content.decode()
    assert re.search(r"of 1 point\b", page) and "1 points" not in page
    response.refresh_from_db()
    assert "(1 of 1 point)" in str(StaleReview(response))
