"""Daily digests through the real parts: the beat task's message sent twice at once to a
real Celery worker over the real broker sends one e-mail with every held notification."""
import time

import pytest

from tests.support.mail import emails
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

SETUP = r"""
from django.contrib.auth.models import User
from django.db import transaction
from coursework.models import Notification, Profile
from coursework.services import notifications
student = User.objects.get(username="student")
student.email = "student@example.org"
student.save()
Profile.objects.filter(user=student).update(email_frequency=Profile.DAILY)
with transaction.atomic():
    for n in (1, 2):
        notifications.notify(student, Notification.REVIEWED, f"digest-test:{n}", f"Held event {n}", "", "/essays/")
print(sorted(Notification.objects.values_list("email_status", flat=True)))
"""

SEND_TWICE = """
from coursework.tasks import send_digests
send_digests.delay(); send_digests.delay()
"""

STATUS = """
from coursework.models import Digest, Notification
print([d.email_status for d in Digest.objects.all()], sorted(Notification.objects.values_list("email_status", flat=True)))
"""


@pytest.fixture
def mail_stack(tmp_path, redis_target):
    running = Stack(tmp_path, redis_target, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                    EMAIL_FILE_PATH=str(tmp_path / "mail"), SITE_URL="http://basics.test",
                    NOTIFICATION_DIGEST_HOUR="0").start()
    yield running
    running.stop()


def test_the_digest_task_delivered_twice_to_a_real_worker_sends_one_email_with_everything(mail_stack, tmp_path):
    assert mail_stack.manage("shell", "-c", SETUP).strip().splitlines()[-1] == "['digest', 'digest']"
    assert emails(tmp_path / "mail") == []  # held: nothing sent at once
    mail_stack.manage("shell", "-c", SEND_TWICE)
    deadline = time.monotonic() + 120
    while (status := mail_stack.manage("shell", "-c", STATUS).strip().splitlines()[-1]) != "['sent'] ['sent', 'sent']":
        assert time.monotonic() < deadline, status
        time.sleep(1)
    # A third run, here and now: today's digest has gone, so it sends nothing.
    assert mail_stack.manage("shell", "-c", "from coursework.tasks import send_digests; print(send_digests())"
                        ).strip().splitlines()[-1] == "0"
    [message] = [m for m in emails(tmp_path / "mail") if "digest" in m["Subject"]]
    assert message["To"] == "student@example.org" and "2 updates" in message["Subject"]
    text = message.get_content()
    assert "Held event 1" in text and "Held event 2" in text and "http://basics.test/essays/" in text
