"""Revealing the leaderboard's private half: confirmed, with the deadline in view, refused
before it unless a TA overrides on purpose (audited)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from coursework.models import Assignment, AuditEvent
from coursework.services import deadlines
from tests.factories import make_assignment, make_profile, make_student

pytestmark = pytest.mark.django_db


def test_revealing_asks_for_confirmation_and_says_when_the_deadline_is(client, ta):
    task = make_assignment(due_at=timezone.now() - timedelta(days=1))
    page = client.get("/ta/assignments/mnist/reveal/").content.decode()
    assert "Reveal the private half?" in page and task.due_at.strftime("%-d %b %Y, %H:%M") in page
    assert "UTC</strong>: it has passed." in page  # no space before the colon
    page = client.post("/ta/assignments/mnist/reveal/", {}).content.decode()
    assert "Tick the box to confirm." in page
    assert not Assignment.objects.get(pk=task.pk).private_revealed
    assert client.post("/ta/assignments/mnist/reveal/", {"confirm": "on"}).url == "/leaderboard/"
    assert Assignment.objects.get(pk=task.pk).private_revealed
    event = AuditEvent.objects.get(action="reveal_private")
    assert event.actor == ta and event.changes["before_deadline"] is False and event.changes["override"] is False


def test_revealing_before_the_deadline_is_refused_unless_overridden_with_a_reason(client, ta):
    task = make_assignment(due_at=timezone.now() + timedelta(days=1))
    page = client.get("/ta/assignments/mnist/reveal/").content.decode()
    assert "it has not passed yet" in page
    page = client.post("/ta/assignments/mnist/reveal/", {"confirm": "on"}).content.decode()
    assert "The deadline has not passed" in page
    page = client.post("/ta/assignments/mnist/reveal/", {"confirm": "on", "override": "on"}).content.decode()
    assert "Say why the private half is revealed before the deadline." in page
    assert not Assignment.objects.get(pk=task.pk).private_revealed and not AuditEvent.objects.exists()
    client.post("/ta/assignments/mnist/reveal/", {"confirm": "on", "override": "on", "reason": "Course ends early"})
    assert Assignment.objects.get(pk=task.pk).private_revealed
    event = AuditEvent.objects.get(action="reveal_private")
    assert event.changes["override"] is True and event.changes["reason"] == "Course ends early"


def test_the_deadline_that_counts_is_the_last_extensions(client, ta):
    task = make_assignment(due_at=timezone.now() - timedelta(days=1))
    student = make_student()
    make_profile(student)
    deadlines.grant_extension(ta, task, timezone.now() + timedelta(days=2), student=student)
    page = client.get("/ta/assignments/mnist/reveal/").content.decode()
    assert "with the latest extension" in page and "it has not passed yet" in page
    client.post("/ta/assignments/mnist/reveal/", {"confirm": "on"})
    assert not Assignment.objects.get(pk=task.pk).private_revealed


def test_going_back_to_the_public_half_needs_only_the_confirmation(client, ta):
    task = make_assignment(due_at=timezone.now() + timedelta(days=1), private_revealed=True)
    client.post("/ta/assignments/mnist/reveal/", {"confirm": "on"})
    assert not Assignment.objects.get(pk=task.pk).private_revealed
    assert AuditEvent.objects.get().action == "hide_private"
