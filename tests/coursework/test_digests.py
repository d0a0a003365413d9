"""Daily digests: a student who chose one gets one e-mail a day with everything since the
last, however often the beat task runs, and nothing is lost when a send dies half-way."""
import time
from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone

from coursework import tasks
from coursework.models import Digest, Notification, Profile
from coursework.services import digests, notifications
from coursework.states import EmailStatus
from tests.factories import make_profile, make_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://basics.example.org"
    settings.NOTIFICATION_DIGEST_HOUR = 7
    sent_at_once = []
    monkeypatch.setattr(notifications, "enqueue_email", sent_at_once.append)
    user = make_student("dana")
    profile = make_profile(user, email="dana@example.org")
    profile.email_frequency = Profile.DAILY
    profile.save()
    user.sent_at_once = sent_at_once
    return user


def at(day: int, hour: int):
    return timezone.make_aware(datetime(2026, 12, day, hour, 0))


def tell(user, n: int):
    return notifications.notify(user, Notification.REVIEWED, f"test:{user.pk}:{n}", f"Event number {n}", "", "/essays/")


def test_a_student_who_chose_a_digest_gets_one_email_with_every_event_and_none_at_once(student):
    for n in (1, 2):
        tell(student, n)
    assert student.sent_at_once == [] and mail.outbox == []
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.DIGEST}
    assert digests.run(at(8, 8)) == 1
    [message] = mail.outbox
    assert message.to == ["dana@example.org"] and "2 updates" in message.subject
    assert "Event number 1" in message.body and "Event number 2" in message.body
    assert "https://basics.example.org/essays/" in message.body
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}


def test_a_student_who_chose_each_event_is_not_put_in_a_digest(student):
    Profile.objects.filter(user=student).update(email_frequency=Profile.EACH)
    assert tell(student, 1).email_status == EmailStatus.PENDING  # sent on its own, after commit
    assert digests.run(at(8, 8)) == 0 and Digest.objects.count() == 0


def test_running_it_twice_or_all_day_sends_one_email_a_day_and_later_events_wait_for_the_next(student):
    tell(student, 1)
    assert digests.run(at(8, 8)) == 1
    assert digests.run(at(8, 8)) == 0
    tell(student, 2)
    assert digests.run(at(8, 20)) == 0  # today's digest has gone
    assert len(mail.outbox) == 1
    assert digests.run(at(9, 7)) == 1
    assert len(mail.outbox) == 2 and "Event number 2" in mail.outbox[1].body
    assert "Event number 1" not in mail.outbox[1].body
    assert Digest.objects.filter(recipient=student).count() == 2


def test_nothing_is_gathered_before_the_digest_hour(student):
    tell(student, 1)
    assert digests.run(at(8, 6)) == 0 and Digest.objects.count() == 0
    assert digests.run(at(8, 7)) == 1


def test_a_send_that_dies_half_way_loses_nothing_and_is_sent_once_its_worker_is_silent(student, settings):
    tell(student, 1)
    [digest_id] = digests.gather(at(8, 8))
    assert digests.claim(digest_id)  # a worker claims it, then dies before sending
    assert digests.run(at(8, 8)) == 0 and mail.outbox == []  # another run leaves a live send alone
    settings.NOTIFICATION_EMAIL_STALE_S = 0
    time.sleep(0.01)
    assert digests.run(timezone.now() + timedelta(seconds=1)) == 1
    assert len(mail.outbox) == 1 and Digest.objects.get().email_attempts == 2
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<digest-{digest_id}@")


def test_a_mail_server_that_refuses_keeps_the_digest_for_a_later_try(student, settings, monkeypatch):
    tell(student, 1)

    def refuse(self, fail_silently=False):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert digests.run(at(8, 8)) == 0
    digest = Digest.objects.get()
    assert digest.email_status == EmailStatus.PENDING and "connection refused" in digest.email_error
    assert digests.run(at(8, 8)) == 0  # within its pause: not tried again yet
    monkeypatch.undo()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digests.run(timezone.now() + timedelta(hours=2)) == 1
    assert Notification.objects.get().email_status == EmailStatus.SENT


def test_a_student_who_turned_email_off_after_the_events_gets_no_digest(student):
    tell(student, 1)
    Profile.objects.filter(user=student).update(email_notifications=False)
    assert digests.run(at(8, 8)) == 0 and mail.outbox == []
    assert Notification.objects.get().email_status == EmailStatus.SKIPPED


def test_the_settings_page_offers_the_choice(student, client):
    client.force_login(student)
    page = client.get("/profile/").content.decode()
    assert "One daily digest" in page
    client.post("/profile/", {"display_name": "Dana", "leaderboard_alias": "dana-alias",
                                       "email_notifications": "on", "email_frequency": "each"})
    assert Profile.objects.get(user=student).email_frequency == Profile.EACH


def test_beat_runs_the_digest_task():
    schedule = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "coursework.tasks.send_digests" in schedule and tasks.send_digests.name == "coursework.tasks.send_digests"


def test_a_run_that_dies_after_gathering_leaves_the_digest_for_the_next_run(student):
    tell(student, 1)
    tell(student, 2)
    digests.gather(at(8, 8))  # the worker dies here, before sending
    assert mail.outbox == []
    assert digests.run(at(8, 9)) == 1
    assert "2 updates" in mail.outbox[0].subject and Digest.objects.count() == 1
