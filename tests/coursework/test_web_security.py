"""CSRF on every form, script injected in every field a user controls, log-in rate
limiting, cookie flags, and a clean deploy check with production settings."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coursework.models import (Answer, Essay, EssayPrompt, EssaySubmission, Profile, QuestionSet, SynthesisResponse)
from coursework.services.content import load_content
from tests.factories import make_assignment, make_student, make_submission, make_ta
from tests.support.summary import count
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = ['<script>alert("x1")</script>', '"><img src=x onerror=alert("x2")>', "javascript:alert('x3')",
            "<svg/onload=alert('x4')>"]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_content()
    make_assignment()
    student = make_student("victim")
    ta = make_ta()
    Profile.objects.create(user=student, display_name=PAYLOADS[0], leaderboard_alias=PAYLOADS[1], show_name_on_leaderboard=True)
    Profile.objects.create(user=ta, display_name="TA", leaderboard_alias="ta")
    qs = QuestionSet.objects.get(page__slug="video-what-is-a-neural-network")
    response = SynthesisResponse.objects.create(student=student, question_set=qs, status="reviewed", ta_feedback=PAYLOADS[2] + PAYLOADS[3])
    for q in qs.questions.all():
        Answer.objects.create(response=response, question=q, text=PAYLOADS[1])
    essays = EssaySubmission.objects.create(student=student, version=1, ta_feedback=PAYLOADS[0])
    for prompt in EssayPrompt.objects.all()[:3]:
        Essay.objects.create(submission=essays, prompt=prompt, text="\\n".join(PAYLOADS), meaningful_words=1,
                             source_name=PAYLOADS[3])
    submission = make_submission(student, status=SubmissionStatus.FAILED, message=PAYLOADS[0], original_name=PAYLOADS[1],
                                 log_tail=PAYLOADS[2], flagged=True, flag_reason=PAYLOADS[3], public_accuracy=0.5, accuracy=0.5)
    return {"student": student, "ta": ta, "response": response, "essays": essays, "submission": submission}


def test_no_stored_script_is_ever_served_unescaped(world):
    pages = ["/", "/essays/", "/synthesis/video-what-is-a-neural-network/", "/assignments/mnist/",
             f"/submissions/{world['submission'].pk}/", "/leaderboard/", "/profile/"]
    ta_pages = ["/ta/", "/ta/?queue=essays", "/ta/?queue=notebooks&status=failed",
                f"/ta/synthesis/{world['response'].pk}/", f"/ta/essays/{world['essays'].pk}/",
                f"/ta/notebooks/{world['submission'].pk}/", f"/ta/students/{world['student'].pk}/"]
    for user, urls in ((world["student"], pages), (world["ta"], ta_pages)):
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, f"{url} answered {response.status_code}: the payloads were not shown"
            html = response.content.decode()
            for payload in PAYLOADS:
                if payload.startswith("javascript:"):
                    # Harmless as text (an essay rendered from Markdown may say it); only a link may not carry it.
                    assert not re.search(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", html, re.I), url
                else:
                    assert payload not in html, f"{url} serves {payload!r} unescaped"
            assert not re.search(r"<(script|img|svg)[^>]*(alert|onerror|onload)", html, re.I), url
            count("stored XSS cases", len(PAYLOADS))


def test_script_in_every_new_text_field_stays_text(world, settings):
    """Rubric titles, descriptions, levels and comments; per-criterion review comments; appeal
    reasons and answers; extension reasons; group names; notifications."""
    from datetime import timedelta

    from django.utils import timezone

    from coursework.models import (Assignment, RubricComment, RubricCriterion, RubricLevel, StudyGroup)
    from coursework.services import appeals, deadlines, essays, notifications, reviews, rubrics
    from tests.factories import make_assignment

    evil = PAYLOADS[0] + PAYLOADS[1] + PAYLOADS[3]
    essays_task = make_assignment("essays", kind=Assignment.ESSAYS, due_at=timezone.now() - timedelta(days=1))
    criterion = RubricCriterion.objects.create(assignment=essays_task, name=evil[:100], description=evil, max_points=2)
    RubricLevel.objects.create(criterion=criterion, points=1, title=evil[:100], description=evil)
    RubricComment.objects.create(criterion=criterion, text=evil)
    group = StudyGroup.objects.create(name=evil[:100], ta=world["ta"])
    world["student"].profile.group = group
    world["student"].profile.save()
    item = reviews.review(world["essays"], world["ta"], {criterion.pk: rubrics.Mark(1, evil)}, evil)
    appeal = appeals.file(world["student"], item, evil, appeals.state_of(item)["token"])
    appeals.answer(world["ta"], appeal, evil, "unchanged")
    open_appeal = appeals.file(world["student"], item, evil, appeals.state_of(item)["token"])
    deadlines.grant_extension(world["ta"], essays_task, timezone.now() + timedelta(days=2), student=world["student"],
                              reason=evil)
    notifications.notify(world["student"], "appeal", "evil", evil[:200], evil, "/essays/")
    reviews.save_draft(world["ta"], item, {"feedback": evil, f"criterion-{criterion.pk}-comment": evil})
    essays.save_typed(world["student"], {"e0-text": evil, "e1-prompt": evil})  # a student's draft, shown again
    pages = {world["student"]: ["/essays/", "/progress/", "/inbox/", f"/appeals/essays/{item.pk}/"],
             world["ta"]: [f"/ta/essays/{item.pk}/", "/ta/rubrics/", "/ta/rubrics/essays/",
                           f"/ta/rubrics/criteria/{criterion.pk}/", "/ta/groups/", f"/ta/groups/{group.pk}/",
                           "/ta/extensions/", f"/ta/appeals/{open_appeal.pk}/", f"/ta/appeals/{appeal.pk}/",
                           "/ta/?queue=appeals", "/ta/?queue=appeals&status=answered", "/ta/assignments/mnist/reveal/",
                           f"/ta/students/{world['student'].pk}/"]}
    for user, urls in pages.items():
        client = Client()
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[3]):
                assert payload not in html, f"{url} serves {payload!r} unescaped"
            assert not re.search(r"<(script|img|svg)[^>]*(alert|onerror|onload)", html, re.I), url
            count("stored XSS cases", 3)


def test_reflected_input_is_escaped_too(world):
    client = Client()
    client.force_login(world["ta"])
    html = client.get("/ta/", {"queue": "synthesis", "group": PAYLOADS[1], "late": PAYLOADS[0]}).content.decode()
    assert PAYLOADS[0] not in html and PAYLOADS[1] not in html
    anonymous = Client()
    html = anonymous.get("/accounts/login/", {"next": PAYLOADS[1]}).content.decode()
    assert PAYLOADS[1] not in html
    count("reflected XSS cases", 3)


def test_every_form_refuses_a_post_without_its_csrf_token(world, monkeypatch):
    from coursework.grading import dispatch

    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    posts = {
        "/accounts/login/": None, "/signup/": None, "/accounts/password_reset/": None,
        "/synthesis/video-what-is-a-neural-network/": "student", "/synthesis/video-what-is-a-neural-network/autosave/": "student",
        "/essays/": "student", "/essays/preview/": "student", "/essays/count/": "student", "/profile/": "student", "/assignments/mnist/": "student",
        f"/ta/synthesis/{world['response'].pk}/": "ta", f"/ta/essays/{world['essays'].pk}/": "ta",
        f"/ta/notebooks/{world['submission'].pk}/": "ta", "/ta/notebooks/regrade-failed/": "ta",
        "/ta/assignments/mnist/reveal/": "ta", "/accounts/logout/": "student",
        "/inbox/": "student", f"/appeals/essays/{world['essays'].pk}/": "student", "/ta/rubrics/essays/": "ta",
        "/ta/groups/move/": "ta", "/ta/extensions/": "ta", f"/ta/drafts/essays/{world['essays'].pk}/": "ta",
    }
    for url, who in posts.items():
        client = Client(enforce_csrf_checks=True)
        if who:
            client.force_login(world[who])
        data = {"notebook": SimpleUploadedFile("a.ipynb", b"{}")} if url == "/assignments/mnist/" else {"x": "1"}
        assert client.post(url, data).status_code == 403, url
        count("CSRF cases", 1)


def test_log_in_is_refused_after_repeated_failures_for_one_account(world, settings):
    settings.LOGIN_FAILURES_ALLOWED = 3
    client = Client()
    for _ in range(3):
        assert client.post("/accounts/login/", {"username": "victim", "password": "wrong"}).status_code == 200
    blocked = client.post("/accounts/login/", {"username": "victim", "password": "pw-for-tests-123"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    # Someone else can still log in.
    assert Client().post("/accounts/login/", {"username": "tara", "password": "pw-for-tests-123"}).status_code == 302


def test_cookies_are_http_only_and_same_site(world):
    client = Client()
    client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "victim", "password": "pw-for-tests-123"})
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    assert client.cookies["csrftoken"]["httponly"] if "csrftoken" in client.cookies else True


def test_the_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "DEBUG": "0", "HTTPS": "1", "SECRET_KEY": "x" * 20 + "Yz9-production-secret-key-0123456789abcdef",
           "ALLOWED_HOSTS": "coursework.example.org", "VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_the_published_development_key_stops_a_production_start(tmp_path):
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "x.org", "VAR_DIR": str(tmp_path),
           "SECRET_KEY": "dev-insecure-default-key-change-me"}
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "coursework.E001" in out.stderr
