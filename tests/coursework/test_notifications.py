"""Notifications: one per event, in the inbox with an unread count, and e-mailed once by a
Celery task after commit, with failures waiting for the sweeper."""
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from coursework import states, tasks
from coursework.grading import dispatch, regrade, store
from coursework.models import Notification
from coursework.services import notifications, reviews
from coursework.states import EmailStatus
from grader.result import GradeResult
from tests.factories import full_marks, make_course, make_profile, make_student, make_submission, make_ta, submitted_essays
from tests.support.notebooks import notebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://basics.example.org"
    # The task a commit sends runs right here, as a worker would run it.
    monkeypatch.setattr(notifications, "enqueue_email",
                        lambda pk: tasks.send_notification_email.apply(args=[pk]).get())
    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    return make_course()


@pytest.fixture
def student():
    user = make_student("ana")
    make_profile(user, email="ana@example.org")
    return user


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def test_a_failed_notebook_tells_its_student_once_with_the_result_stored(course, student, django_capture_on_commit_callbacks):
    submission = make_submission(student, status="running", attempts=1)
    result = GradeResult(status="failed", message="Cell 3 raised NameError: name 'model' is not defined")
    with django_capture_on_commit_callbacks(execute=True):
        assert store.record_result(submission.pk, 1, result)
    assert not store.record_result(submission.pk, 1, result)  # a duplicate delivery stores nothing, tells nothing
    n = Notification.objects.get()
    assert n.kind == "failed" and n.recipient == student and "did not finish" in n.title
    assert "Cell 3 raised NameError" in n.body and n.url == f"/submissions/{submission.pk}/"
    assert n.email_status == EmailStatus.SENT and len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["ana@example.org"] and email.subject.startswith("[Basics] Your notebook")
    assert f"https://basics.example.org/submissions/{submission.pk}/" in email.body
    assert email.extra_headers["Message-ID"] == f"<notification-{n.pk}@basics.example.org>"


def test_a_notebook_graded_by_the_real_task_tells_its_student(course, student, django_capture_on_commit_callbacks):
    submission = make_submission(student, notebook("def predict(images):\n    return [3] * len(images)"))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.grade_submission.apply(args=[submission.pk]).get() == "graded"
    n = Notification.objects.get(recipient=student)
    submission.refresh_from_db()
    assert n.kind == "graded" and f"{submission.public_accuracy:.2%} on the public half" in n.title
    assert n.event_key == f"graded:submission-{submission.pk}:attempt-1"


def test_a_regrade_is_a_new_event_and_tells_again(course, student):
    submission = make_submission(student, status="running", attempts=1)
    store.record_result(submission.pk, 1, GradeResult(status="failed", message="x"))
    regrade.regrade([submission.pk], make_ta(), via="test")
    assert states.claim(submission.pk) == 2
    store.record_result(submission.pk, 2, GradeResult(status="failed", message="x"))
    assert Notification.objects.filter(recipient=student).count() == 2


def test_the_email_is_sent_once_however_often_its_task_is_delivered(course, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = notifications.notify(student, Notification.REVIEWED, "review:x:v1", "Reviewed", "Body", "/essays/")
    assert notifications.notify(student, Notification.REVIEWED, "review:x:v1", "Reviewed again") is None
    assert tasks.send_notification_email.apply(args=[n.pk]).get().startswith("not claimed")
    assert tasks.send_due_emails.apply().get() == 0
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


def test_a_mail_server_that_is_down_delays_the_email_and_the_page_still_works(
        client, course, student, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    essays = submitted_essays(student)
    client.force_login(make_ta())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/ta/essays/{essays.pk}/", full_marks(essays))
    assert response.status_code == 302  # the review is saved; the e-mail waits
    n = Notification.objects.get()
    assert n.email_status == EmailStatus.PENDING and n.email_attempts == 1
    assert "ConnectionRefusedError" in n.email_error and n.email_next_try_at > timezone.now()
    assert tasks.send_due_emails.apply().get() == 0  # not before its pause is over
    # The mail server is back; the pause is over; the sweeper sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Notification.objects.filter(pk=n.pk).update(email_next_try_at=timezone.now() - timedelta(seconds=1))
    assert tasks.send_due_emails.apply().get() == 1
    n.refresh_from_db()
    assert n.email_status == EmailStatus.SENT and n.email_attempts == 2 and len(mail.outbox) == 1


def test_an_email_that_keeps_failing_is_given_up_after_the_allowed_attempts(course, student, settings):
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    n = notifications.notify(student, Notification.GRADED, "k", "Graded")
    for _ in range(3):
        tasks.send_notification_email.apply(args=[n.pk])
    n.refresh_from_db()
    assert n.email_status == EmailStatus.FAILED and n.email_attempts == 2


def test_a_worker_that_went_silent_mid_send_is_released_and_tried_again(course, student):
    n = notifications.notify(student, Notification.GRADED, "k", "Graded")
    Notification.objects.filter(pk=n.pk).update(email_status=EmailStatus.SENDING, email_attempts=1,
                                                email_claimed_at=timezone.now() - timedelta(hours=1))
    assert tasks.send_due_emails.apply().get() == 1
    n.refresh_from_db()
    assert n.email_status == EmailStatus.SENT and len(mail.outbox) == 1


def test_a_student_who_turned_email_off_gets_none_but_sees_it_in_the_inbox(client, course, student):
    client.force_login(student)
    client.post("/profile/", {"display_name": "Ana", "leaderboard_alias": "ana-alias"})  # the box left unticked
    assert not student.profile.__class__.objects.get(pk=student.profile.pk).email_notifications
    n = notifications.notify(student, Notification.REVIEWED, "k1", "Your TA reviewed your essays")
    assert n.email_status == EmailStatus.SKIPPED
    # Turned off after the event, before the e-mail went out: still none.
    other = make_student("ben")
    make_profile(other, email="ben@example.org")
    late = notifications.notify(other, Notification.REVIEWED, "k2", "Reviewed")
    other.profile.email_notifications = False
    other.profile.save()
    assert tasks.send_notification_email.apply(args=[late.pk]).get() == EmailStatus.SKIPPED
    assert mail.outbox == []
    page = client.get("/inbox/").content.decode()
    assert "Your TA reviewed your essays" in page and 'id="unread-count"' in page


def test_the_unread_count_is_one_query_and_opening_a_notification_marks_it_read(
        client, course, student, django_assert_num_queries):
    first = notifications.notify(student, Notification.GRADED, "k1", "One", url="/progress/")
    notifications.notify(student, Notification.GRADED, "k2", "Two")
    with django_assert_num_queries(1):
        assert notifications.unread_count(student) == 2
    client.force_login(student)
    assert '<span class="unread" id="unread-count" aria-label="2 unread">2</span>' in client.get("/").content.decode()
    assert client.get(f"/inbox/{first.pk}/").url == "/progress/"
    assert ">1</span>" in client.get("/").content.decode()
    client.force_login(make_student("eve"))
    assert client.get(f"/inbox/{first.pk}/").status_code == 404
    client.force_login(student)
    client.post("/inbox/")
    assert 'id="unread-count"' not in client.get("/").content.decode()


def test_a_flag_decision_tells_the_student(course, student):
    submission = make_submission(student, status="graded", accuracy=0.99, flagged=True, flag_reason="probe")
    reviews.resolve_flag(submission, make_ta(), "upheld")
    n = Notification.objects.get()
    assert n.kind == "flag" and "does not count" in n.title


def test_script_in_a_notification_stays_text_in_the_inbox_and_the_email(client, course, student, settings):
    n = notifications.notify(student, Notification.APPEAL, "k", "<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
    client.force_login(student)
    page = client.get("/inbox/").content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    tasks.send_notification_email.apply(args=[n.pk])
    assert mail.outbox[0].content_subtype == "plain"


def test_a_line_break_in_a_title_does_not_stop_the_email(course, student):
    # A display name with a line break reached an appeal's subject: BadHeaderError on every retry.
    n = notifications.notify(student, Notification.APPEAL, "k", "Appeal from Eve\r\nBcc: everyone@example.org", "")
    tasks.send_notification_email.apply(args=[n.pk])
    assert mail.outbox[0].subject == "[Basics] Appeal from Eve Bcc: everyone@example.org"


def test_a_display_name_is_kept_on_one_line(client, student):
    client.force_login(student)
    client.post("/profile/", {"display_name": "Eve\r\nBcc: x@example.org\t", "leaderboard_alias": "eve-a",
                              "email_notifications": "on"})
    student.profile.refresh_from_db()
    assert student.profile.display_name == "Eve Bcc: x@example.org"
