"""Due dates, extensions and the late policy: one function decides, for every kind of work,
against each student's own due date."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Assignment, AuditEvent, EssaySubmission, StudyGroup, SynthesisResponse
from coursework.services import deadlines, essays, notebooks, synthesis
from tests.support.essays import ESSAY
from tests.factories import make_course, make_profile, make_student, make_submission, make_ta
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(settings, tmp_path, monkeypatch):
    from coursework.grading import dispatch

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    return make_course(due_in_days=-1.5)  # the deadline passed a day and a half ago: two days late


@pytest.fixture
def student():
    user = make_student("ana")
    make_profile(user, group=StudyGroup.objects.create(name="G1"))
    return user


def drafts():
    from coursework.models import EssayPrompt

    return [essays.Draft(prompt=p, text=ESSAY) for p in EssayPrompt.objects.all()[:3]]


def test_late_work_is_marked_against_the_students_own_due_date_in_all_three_kinds(course, student):
    now = timezone.now()
    submission = notebooks.submit_notebook(student, course[Assignment.NOTEBOOK], "a.ipynb", notebook("x = 1"))
    essay_set = essays.submit_essays(student, drafts())
    from coursework.models import QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    answers = {q.pk: "Because of the weights." for q in qs.questions.all()}
    response = synthesis.save_answers(student, qs, answers, submit=True)
    for item in (submission, essay_set, response):
        assert item.late and item.days_late == 2, type(item).__name__
    # An extension past now: the same work handed in now is on time.
    for task in course.values():
        deadlines.grant_extension(make_ta(f"ta-{task.slug}"), task, now + timedelta(days=1), student=student)
    for item in (submission, essay_set, response):
        item.refresh_from_db()
        assert not item.late and item.days_late == 0, type(item).__name__


def test_the_students_own_extension_wins_over_their_groups(course, student):
    task = course[Assignment.ESSAYS]
    group_due, own_due = task.due_at + timedelta(days=3), task.due_at + timedelta(days=1)
    ta = make_ta()
    deadlines.grant_extension(ta, task, group_due, group=student.profile.group)
    assert deadlines.due_for(student, task) == group_due
    deadlines.grant_extension(ta, task, own_due, student=student)
    assert deadlines.due_for(student, task) == own_due
    other = make_student("ben")
    make_profile(other)  # no group
    assert deadlines.due_for(other, task) == task.due_at
    assert deadlines.last_due(task) == group_due


def test_an_extension_that_ends_before_the_original_deadline_is_refused_with_the_dates(client, course, student):
    ta = make_ta()
    client.force_login(ta)
    task = course[Assignment.ESSAYS]
    early = timezone.localtime(task.due_at - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    page = client.post("/ta/extensions/", {"assignment": task.pk, "student": "ana", "due_at": early,
                                           "reason": "Ill"}).content.decode()
    assert "An extension must end after the task&#x27;s own due date" in page and "is not later" in page
    assert 'value="Ill"' in page  # what was typed is still there
    assert not task.extensions.exists()


def test_an_extension_for_a_student_who_does_not_exist_or_for_nobody_is_refused(client, course):
    client.force_login(make_ta())
    task = course[Assignment.ESSAYS]
    later = timezone.localtime(task.due_at + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = client.post("/ta/extensions/", {"assignment": task.pk, "student": "nobody", "due_at": later}).content.decode()
    assert "No student has the name, username or e-mail “nobody”." in page
    page = client.post("/ta/extensions/", {"assignment": task.pk, "due_at": later}).content.decode()
    assert "Choose either one student or one group" in page
    assert not task.extensions.exists()


def test_granting_and_withdrawing_an_extension_is_audited_and_shown_to_the_student(client, course, student):
    ta = make_ta()
    client.force_login(ta)
    task = course[Assignment.NOTEBOOK]
    later = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    response = client.post("/ta/extensions/", {"assignment": task.pk, "student": "ana",
                                               "due_at": later.strftime("%Y-%m-%dT%H:%M"), "reason": "Ill"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="extension_granted")
    assert event.student == student and event.changes["after"] == later.isoformat()
    client.force_login(student)
    page = client.get("/progress/").content.decode()
    assert later.strftime("%-d %b %Y %H:%M") in page and "extended" in page
    assert "your extension" in client.get("/assignments/mnist/").content.decode()
    client.force_login(ta)
    client.post(f"/ta/extensions/{task.extensions.get().pk}/withdraw/")
    assert not task.extensions.exists() and AuditEvent.objects.filter(action="extension_withdrawn").exists()


def test_a_closed_task_refuses_work_with_a_message_and_keeps_a_synthesis_draft(client, course, student):
    for task in course.values():
        task.late_policy, task.lock_at = Assignment.CLOSE, timezone.now() - timedelta(hours=1)
        task.save()
    client.force_login(student)
    page = client.post("/assignments/mnist/", {"notebook": _upload()}).content.decode()
    assert "closed on" in page and "late work is no longer accepted" in page
    with pytest.raises(deadlines.TaskClosed):
        essays.submit_essays(student, drafts())
    from coursework.models import QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    data = {f"q-{q.pk}": "My careful answer" for q in qs.questions.all()}
    page = client.post(f"/synthesis/{qs.page.slug}/", {**data, "submit": "1"}).content.decode()
    assert "late work is no longer accepted" in page and "saved as a draft" in page
    response = SynthesisResponse.objects.get(student=student)
    assert response.status == "draft" and response.answers.first().text == "My careful answer"
    assert not EssaySubmission.objects.exists() and not course[Assignment.NOTEBOOK].submissions.exists()


def test_a_closed_task_is_named_together_with_every_other_problem_in_one_round(client, course, student):
    for task in course.values():
        task.late_policy, task.lock_at = Assignment.CLOSE, timezone.now() - timedelta(hours=1)
        task.save()
    client.force_login(student)
    from coursework.models import EssayPrompt, QuestionSet

    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    data = {f"q-{q.pk}": "" for q in qs.questions.all()}
    page = client.post(f"/synthesis/{qs.page.slug}/", {**data, "submit": "1"}).content.decode()
    assert "still blank: question 1" in page and "late work is no longer accepted" in page
    prompts = list(EssayPrompt.objects.all()[:3])
    essays_data = {f"e{i}-prompt": p.pk for i, p in enumerate(prompts)}
    essays_data.update({"e0-text": ESSAY, "e1-text": ESSAY, "e2-text": "Too short."})
    page = client.post("/essays/", essays_data).content.decode()
    assert "more are needed" in page and "late work is no longer accepted" in page


def test_an_extension_reopens_a_closed_task_for_that_student_only(course, student):
    task = course[Assignment.NOTEBOOK]
    task.late_policy, task.lock_at = Assignment.CLOSE, None  # closes at the due date itself
    task.save()
    other = make_student("ben")
    make_profile(other)
    deadlines.grant_extension(make_ta(), task, timezone.now() + timedelta(days=1), student=student)
    assert notebooks.submit_notebook(student, task, "a.ipynb", notebook("x = 1")).late is False
    with pytest.raises(deadlines.TaskClosed):
        notebooks.submit_notebook(other, task, "a.ipynb", notebook("x = 1"))


def test_a_resubmission_a_ta_asked_for_is_accepted_after_the_lock(course, student):
    task = course[Assignment.ESSAYS]
    task.late_policy, task.lock_at = Assignment.CLOSE, timezone.now() - timedelta(hours=1)
    task.save()
    EssaySubmission.objects.create(student=student, version=1, status="resubmit")
    assert essays.submit_essays(student, drafts()).version == 2


def test_the_penalty_policy_takes_a_share_per_day_late_and_the_student_is_told_first(client, course, student):
    task = course[Assignment.NOTEBOOK]
    task.late_policy, task.late_penalty_per_day = Assignment.PENALTY, 0.25
    task.save()
    client.force_login(student)
    page = client.get("/assignments/mnist/").content.decode()
    assert "loses 25% for each day" in page
    terms = deadlines.terms_for(student, task)
    assert terms.penalty_factor(0) == 1 and terms.penalty_factor(2) == 0.5 and terms.penalty_factor(9) == 0
    late = make_submission(student, status="graded", accuracy=0.95, public_accuracy=0.95, score=1.0, late=True,
                           days_late=2)
    page = client.get(f"/submissions/{late.pk}/").content.decode()
    # The credit that counts is the headline; what it was before the penalty stands beside it.
    assert '<strong class="credit-counts">50%</strong> of the credit' in page
    assert "100% before the late penalty of 50% (2 days late)" in page


def test_a_part_day_late_counts_as_a_day(course, student):
    terms = deadlines.terms_for(student, course[Assignment.ESSAYS])
    assert terms.lateness(terms.due + timedelta(minutes=1)) == deadlines.Lateness(True, 1)
    assert terms.lateness(terms.due + timedelta(days=1, seconds=1)) == deadlines.Lateness(True, 2)
    assert terms.lateness(terms.due) == deadlines.Lateness(False, 0)


def _upload():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.ipynb", notebook("x = 1"), content_type="application/x-ipynb+json")


def test_moving_a_tasks_due_date_judges_work_already_handed_in_again_and_is_audited(client, course, student):
    task = course[Assignment.NOTEBOOK]
    submission = notebooks.submit_notebook(student, task, "a.ipynb", notebook("x = 1"))
    assert submission.late
    client.force_login(make_ta())
    later = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/ta/deadlines/mnist/", {"mnist-due_at": later, "mnist-late_policy": "penalty",
                                                    "mnist-late_penalty_per_day": "0.2", "mnist-lock_at": ""})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert not submission.late and submission.days_late == 0
    event = AuditEvent.objects.get(action="deadline_changed")
    assert event.changes["after"]["late_policy"] == "penalty" and event.changes["before"]["late_policy"] == "accept"


def test_a_lock_date_before_the_due_date_or_a_penalty_above_all_is_refused(client, course):
    client.force_login(make_ta())
    task = course[Assignment.ESSAYS]
    due = timezone.localtime(task.due_at)
    page = client.post("/ta/deadlines/essays/", {
        "essays-due_at": due.strftime("%Y-%m-%dT%H:%M"), "essays-late_policy": "close",
        "essays-late_penalty_per_day": "1.5",
        "essays-lock_at": (due - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}).content.decode()
    assert "The lock date must be at or after the due date" in page and "at most 1 (100%)" in page
    task.refresh_from_db()
    assert task.late_policy == Assignment.ACCEPT_LATE


def test_a_due_date_changed_in_the_admin_judges_work_again_too(client, course, student):
    task = course[Assignment.ESSAYS]
    essay_set = essays.submit_essays(student, drafts())
    assert essay_set.late
    ta = make_ta()
    client.force_login(ta)
    later = timezone.localtime(timezone.now() + timedelta(days=2))
    page = client.get(f"/admin/coursework/assignment/{task.pk}/change/")
    assert page.status_code == 200
    data = {"slug": task.slug, "title": task.title, "kind": task.kind, "due_at_0": later.strftime("%Y-%m-%d"),
            "due_at_1": later.strftime("%H:%M:%S"), "full_credit_accuracy": "0.9", "zero_credit_accuracy": "0.1",
            "limits": "{}", "daily_submission_limit": "10", "late_policy": "accept", "late_penalty_per_day": "0.1",
            "lock_at_0": "", "lock_at_1": "", "environment": "numpy", "publish_reviews": "at_once"}
    assert client.post(f"/admin/coursework/assignment/{task.pk}/change/", data).status_code == 302
    essay_set.refresh_from_db()
    assert not essay_set.late and AuditEvent.objects.filter(action="deadline_changed", actor=ta).exists()


def test_a_ta_finds_a_student_for_an_extension_by_name_username_or_e_mail(client, course):
    client.force_login(make_ta())
    ana = make_student("ana")
    make_profile(ana, email="ana.lopez@uni.example")
    from coursework.models import Profile

    Profile.objects.filter(user=ana).update(display_name="Ana López")
    make_profile(make_student("bea"), email="bea@uni.example")
    for typed in ("lópez", "ANA", "ana.lopez@uni"):
        found = client.get("/ta/students/search/", {"q": typed}).json()["students"]
        assert found == [{"username": "ana", "label": "Ana López · ana · ana.lopez@uni.example"}], typed
    assert client.get("/ta/students/search/", {"q": "a"}).json()["students"] == []  # too short to narrow
    assert client.get("/ta/students/search/", {"q": make_ta("tim").username}).json()["students"] == []


def test_the_extension_form_takes_the_name_or_e_mail_a_ta_knows_and_offers_the_picker(client, course, student):
    client.force_login(make_ta())
    task = course[Assignment.ESSAYS]
    page = client.get("/ta/extensions/").content.decode()
    assert 'list="student-options"' in page and '<datalist id="student-options"' in page
    assert 'data-search-url="/ta/students/search/"' in page
    later = timezone.localtime(task.due_at + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    student.email = "ana@uni.example"
    student.save()
    for typed in ("Ana", "ana@uni.example"):  # make_profile's display name, then the e-mail
        task.extensions.all().delete()
        response = client.post("/ta/extensions/", {"assignment": task.pk, "student": typed, "due_at": later})
        assert response.status_code == 302, typed
        assert task.extensions.get().student == student


def test_a_name_two_students_share_is_refused_with_their_usernames(client, course):
    client.force_login(make_ta())
    task = course[Assignment.ESSAYS]
    make_profile(make_student("sam1"))
    make_profile(make_student("sam2"))
    from coursework.models import Profile

    Profile.objects.update(display_name="Sam Lee")
    later = timezone.localtime(task.due_at + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page = client.post("/ta/extensions/", {"assignment": task.pk, "student": "sam lee", "due_at": later}).content.decode()
    assert "Two or more students are called “sam lee”" in page and "sam1, sam2" in page
    assert not task.extensions.exists()
