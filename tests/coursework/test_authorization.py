"""Every URL of the site, as an anonymous visitor, the owner, another student and a TA.

Someone else's object is a 404, never a 403 that would confirm it exists; staff pages
are 404 to students too. A new URL must be added here, or the last test fails.
"""
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from coursework.urls import staff as staff_urls
from coursework.urls import student as student_urls
from datetime import timedelta

from django.utils import timezone

from coursework.models import (Appeal, Assignment, Essay, EssayPrompt, EssaySubmission, Extension, Notification,
                               Profile, QuestionSet, RubricCriterion, StudyGroup, SynthesisResponse)
from coursework.services.content import load_content
from tests.factories import make_assignment, make_student, make_submission, make_ta
from coursework.states import SubmissionStatus

pytestmark = pytest.mark.django_db

LOGIN = "login"
PUBLIC, SIGNED_IN, OWNER, STAFF = "public", "signed-in", "owner", "staff"
# The owner's alone: not even a TA sees another person's inbox or files their appeal.
OWN_ONLY, OWN_REDIRECT = "own-only", "own-redirect"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_content()
    make_assignment()
    owner, other, ta = make_student("owner"), make_student("other"), make_ta()
    for user in (owner, other, ta):
        Profile.objects.create(user=user, display_name=user.username, leaderboard_alias=user.username + "-a")
    submission = make_submission(owner, status=SubmissionStatus.GRADED, accuracy=0.9)
    submission.executed_html.save("n.html", ContentFile(b"<p>hi</p>"))
    submission.confusion_png.save("c.png", ContentFile(b"png"))
    submission.gallery_png.save("g.png", ContentFile(b"png"))  # what staff see
    submission.public_gallery_png.save("p.png", ContentFile(b"png"))  # what its owner sees before the reveal
    make_assignment("essays", kind=Assignment.ESSAYS)
    synthesis = make_assignment("synthesis", kind=Assignment.SYNTHESIS, due_at=timezone.now() + timedelta(days=3))
    question_set = QuestionSet.objects.first()
    criterion = RubricCriterion.objects.create(assignment=synthesis, question_set=question_set, name="Q1", order=1)
    doomed = RubricCriterion.objects.create(assignment=synthesis, question_set=question_set, name="Q2", order=2)
    group = StudyGroup.objects.create(name="G1", ta=ta)
    extension = Extension.objects.create(assignment=synthesis, student=owner, due_at=timezone.now() + timedelta(days=5))
    appeal = Appeal.objects.create(student=owner, target=submission, what="Notebook", reason="Please look again",
                                   filed_against={"token": "x"})
    notification = Notification.objects.create(recipient=owner, kind="graded", event_key="e1", title="Graded",
                                               url=f"/submissions/{submission.pk}/")
    qs_response = SynthesisResponse.objects.create(student=owner, question_set=question_set, status="submitted")
    essays = EssaySubmission.objects.create(student=owner, version=1)
    copied = EssaySubmission.objects.create(student=other, version=1)
    text = "Signals flow from dendrites through the soma to the axon and on to other neurons in turn. " * 3
    for e in (essays, copied):
        Essay.objects.create(submission=e, prompt=EssayPrompt.objects.first(), text=text, meaningful_words=200)
    return {"owner": owner, "other": other, "ta": ta, "submission": submission, "response": qs_response,
            "essays": essays, "copied": copied, "criterion": criterion, "doomed": doomed, "group": group,
            "extension": extension, "appeal": appeal, "notification": notification, "question_set": question_set}


def routes(w):
    """name -> (args, who may see it, method)"""
    s = w["submission"].pk
    return {
        "home": ((), PUBLIC, "get"),
        "page": (("back-to-basics",), PUBLIC, "get"),
        "leaderboard": ((), PUBLIC, "get"),
        "leaderboard_rows": ((), PUBLIC, "get"),
        "template_notebook": (("mnist",), PUBLIC, "get"),
        "signup": ((), "anonymous-only", "get"),
        "question_set": (("video-what-is-a-neural-network",), SIGNED_IN, "get"),
        "synthesis_autosave": (("video-what-is-a-neural-network",), SIGNED_IN, "post"),
        "essays": ((), SIGNED_IN, "get"),
        "essay_preview": ((), SIGNED_IN, "post"),
        "essay_count": ((), SIGNED_IN, "post"),
        "essay_draft": ((), SIGNED_IN, "post"),
        # before the due date and without the early setting, only staff see the solution
        "solution_notebook": (("mnist",), STAFF, "get"),
        "profile": ((), SIGNED_IN, "get"),
        "assignment_detail": (("mnist",), SIGNED_IN, "get"),
        "submission_detail": ((s,), OWNER, "get"),
        "submission_status": ((s,), OWNER, "get"),
        "final_upload": ((s,), OWN_ONLY, "post"),
        "submission_notebook": ((s,), OWNER, "get"),
        "submission_figure": ((s, "misclassified"), OWNER, "get"),
        "ta_dashboard": ((), STAFF, "get"),
        "ta_next": (("essays",), "staff-redirect", "get"),
        "ta_review_synthesis": ((w["response"].pk,), STAFF, "get"),
        "ta_review_essays": ((w["essays"].pk,), STAFF, "get"),
        "ta_notebook": ((s,), STAFF, "get"),
        "ta_top_scores": ((), STAFF, "get"),
        "ta_regrade_failed": ((), STAFF, "post"),
        "ta_student": ((w["owner"].pk,), STAFF, "get"),
        "ta_reveal_private": (("mnist",), STAFF, "get"),
        "ta_gradebook": ((), STAFF, "get"),
        "ta_gradebook_task": (("mnist",), STAFF, "get"),
        "ta_similarity": ((), STAFF, "get"),
        "ta_similarity_pair": (("essays", w["essays"].pk, w["copied"].pk), STAFF, "get"),
        "ta_similarity_solution": ((s,), STAFF, "get"),
        "progress": ((), SIGNED_IN, "get"),
        "inbox": ((), SIGNED_IN, "get"),
        "inbox_open": ((w["notification"].pk,), OWN_REDIRECT, "get"),
        "appeal_create": (("notebook", s), OWN_ONLY, "get"),
        "appeal_draft": (("notebook", s), OWN_ONLY, "post"),
        "ta_reveal_name": (("essays", w["essays"].pk), STAFF, "post"),
        "ta_review_draft": (("synthesis", w["response"].pk), STAFF, "post"),
        "ta_appeal": ((w["appeal"].pk,), STAFF, "get"),
        "ta_rubrics": ((), STAFF, "get"),
        "ta_statistics": ((), STAFF, "get"),
        "ta_rubric": (("essays",), STAFF, "get"),
        "ta_rubric_set": (("synthesis", w["question_set"].page.slug), STAFF, "get"),
        "ta_criterion": ((w["criterion"].pk,), STAFF, "get"),
        "ta_criterion_move": ((w["criterion"].pk,), STAFF, "post"),
        "ta_criterion_delete": ((w["doomed"].pk,), STAFF, "post"),
        "ta_groups": ((), STAFF, "get"),
        "ta_group": ((w["group"].pk,), STAFF, "get"),
        "ta_unassigned": ((), STAFF, "get"),
        "ta_group_move": ((), STAFF, "post"),
        "ta_extensions": ((), STAFF, "get"),
        "ta_student_search": ((), STAFF, "get"),
        "ta_extension_withdraw": ((w["extension"].pk,), STAFF, "post"),
        "ta_task_terms": (("synthesis",), STAFF, "get"),
        "ta_answer_questions": ((), STAFF, "get"),
        "ta_answer_groups": ((w["question_set"].questions.first().pk,), STAFF, "get"),
        "ta_essay_prompts": ((), STAFF, "get"),
        "ta_passage_groups": ((EssayPrompt.objects.first().pk,), STAFF, "get"),
        "ta_publish_reviews": (("essays",), STAFF, "get"),
        "playground": ((), SIGNED_IN, "get"),
        # A notebook's own hand-in: a session is no credential there, only an upload token.
        "api_hand_in": (("mnist",), "token-only", "post"),
        # A JSON endpoint: an empty post from someone allowed is a bad request, not a redirect or a 404.
        "playground_predict": ((), "signed-in-json", "post"),
    }


def expected(rule: str, persona: str) -> int | str:
    if rule == PUBLIC:
        return 200
    if rule == "token-only":
        return 401
    if rule == "anonymous-only":
        return 200 if persona == "anonymous" else 302
    if persona == "anonymous":
        return LOGIN
    if rule == SIGNED_IN:
        return 200
    if rule == "signed-in-json":
        return 400
    if rule == OWNER:
        return 404 if persona == "other" else 200
    if rule == "staff-redirect":
        return 302 if persona == "ta" else 404
    if rule in (OWN_ONLY, OWN_REDIRECT):
        return (200 if rule == OWN_ONLY else 302) if persona == "owner" else 404
    return 200 if persona == "ta" else 404  # STAFF


@pytest.mark.parametrize("persona", ["anonymous", "owner", "other", "ta"])
def test_every_url_gives_each_persona_exactly_what_it_should(client, world, persona, monkeypatch):
    from coursework.grading import dispatch

    monkeypatch.setattr(dispatch, "send_grading_task", lambda pk: None)
    if persona != "anonymous":
        client.force_login(world[persona])
    failures = []
    for name, (args, rule, method) in routes(world).items():
        url = reverse(name, args=args)
        response = getattr(client, method)(url)
        want = expected(rule, persona)
        got = response.status_code
        if want == LOGIN:
            ok = got == 302 and response.url.startswith("/accounts/login/")
        elif want == 200 and method == "post":
            ok = got in (200, 302)
        else:
            ok = got == want
        if not ok:
            failures.append(f"{persona} {method.upper()} {url}: got {got}, expected {want}")
    assert failures == []


def test_every_named_url_is_in_the_walk(world):
    named = {p.name for p in student_urls.urlpatterns + staff_urls.urlpatterns if p.name}
    assert named == set(routes(world))


def test_a_students_own_page_never_shows_another_students_existence(client, world):
    client.force_login(world["other"])
    missing = client.get(f"/submissions/{world['submission'].pk}/")
    really_missing = client.get("/submissions/999999/")
    assert missing.status_code == really_missing.status_code == 404


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize("persona", ["anonymous", "owner", "ta"])
def test_every_page_forbids_inline_script_and_has_none(client, world, persona):
    """The same walk for the Content-Security-Policy: every HTML page carries one that runs
    scripts from our own files only, and no page needs more (no inline script or handler)."""
    if persona != "anonymous":
        client.force_login(world[persona])
    failures = []
    for name, (args, _, method) in routes(world).items():
        if method != "get":
            continue
        url = reverse(name, args=args)
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        policy = response.get("Content-Security-Policy", "")
        scripts = re.search(r"script-src ([^;]*)", policy) or re.search(r"default-src ([^;]*)", policy)
        if name == "submission_notebook":  # a notebook's own HTML: a sandbox with no script at all
            if "sandbox" not in policy or "default-src 'none'" not in policy:
                failures.append(f"{url}: {policy!r}")
            continue
        if not scripts or "'unsafe-inline'" in scripts.group(1) or "'unsafe-eval'" in scripts.group(1):
            failures.append(f"{url}: policy {policy!r}")
        html = response.content.decode()
        for found in INLINE_SCRIPT.findall(html) + INLINE_HANDLER.findall(html):
            failures.append(f"{url}: inline {found[:80]!r}")
    assert failures == []
