"""Anonymous review: no student's name on a review page or queue until a TA shows it, audited."""
import pytest
from django.test import Client

from coursework.models import (Assignment, AuditEvent, Essay, EssayPrompt, EssaySubmission, Profile, QuestionSet,
                               SynthesisResponse)
from coursework.services.content import load_content
from coursework.states import SubmissionStatus
from tests.factories import make_student, make_submission, make_ta

pytestmark = pytest.mark.django_db

NAME, USERNAME = "Zephyrine Quillfeather", "zquill99"


@pytest.fixture
def work(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_content()
    for slug, kind in (("essays", Assignment.ESSAYS), ("synthesis", Assignment.SYNTHESIS)):
        Assignment.objects.create(slug=slug, title=slug.title(), kind=kind)
    writer = make_student(USERNAME)
    Profile.objects.create(user=writer, display_name=NAME, leaderboard_alias="quill")
    essays = EssaySubmission.objects.create(student=writer, version=1)
    for prompt in EssayPrompt.objects.all()[:3]:
        Essay.objects.create(submission=essays, prompt=prompt, text="Gradients flow backwards.", meaningful_words=3,
                             source_name=f"{USERNAME}_essays.docx")
    response = SynthesisResponse.objects.create(
        student=writer, question_set=QuestionSet.objects.get(page__slug="video-what-is-a-neural-network"),
        status="submitted")
    notebook = make_submission(writer, status=SubmissionStatus.GRADED, accuracy=0.999, flagged=True,
                               original_name=f"{USERNAME}_mnist.ipynb")
    return {"writer": writer, "essays": essays, "response": response, "notebook": notebook}


def signed_in_ta(name="tara"):
    ta = make_ta(name)
    Profile.objects.create(user=ta, display_name=name.title(), leaderboard_alias=f"{name}-ta")
    client = Client()
    client.force_login(ta)
    return ta, client


def shows_the_student(html: str) -> bool:
    return any(word.lower() in html.lower() for word in (NAME, "Zephyrine", "Quillfeather", USERNAME))


def pages(work) -> dict[str, str]:
    """Each page, and what it calls the student instead."""
    essays, response, notebook = work["essays"].pk, work["response"].pk, work["notebook"].pk
    return {f"/ta/essays/{essays}/": f"Student of item {essays}", f"/ta/synthesis/{response}/": f"Student of item {response}",
            f"/ta/notebooks/{notebook}/": f"Student of item {notebook}",
            "/ta/?queue=essays&group=all": f">item {essays}<", "/ta/?queue=synthesis&group=all": f">item {response}<",
            "/ta/?queue=notebooks&group=all": f">item {notebook}<"}


def test_an_anonymous_review_page_or_queue_shows_no_student_name_or_username_anywhere_in_the_html(work):
    _, client = signed_in_ta()
    for path, instead in pages(work).items():
        html = client.get(path).content.decode()
        assert instead in html, path
        assert not shows_the_student(html), path


def test_a_task_reviewed_with_names_shows_them(work):
    Assignment.objects.update(anonymous_review=False)
    _, client = signed_in_ta()
    for path in pages(work):
        assert NAME in client.get(path).content.decode(), path


def test_showing_a_name_is_audited_and_holds_for_that_ta_on_that_item_only(work):
    tara, client = signed_in_ta()
    _, theo_client = signed_in_ta("theo")
    essays = work["essays"]

    response = client.post(f"/ta/reveal/essays/{essays.pk}/", {"reason": "appeal", "group": "all"})

    assert response.url == f"/ta/essays/{essays.pk}/?group=all"
    event = AuditEvent.objects.get(action="reveal_name")
    assert (event.actor, event.target, event.student, event.changes) == (tara, essays, work["writer"],
                                                                         {"reason": "appeal"})
    assert event.at is not None
    assert NAME in client.get(f"/ta/essays/{essays.pk}/").content.decode()
    assert "reveal_name by" in client.get(f"/ta/essays/{essays.pk}/").content.decode()  # in the item's history
    assert not shows_the_student(theo_client.get(f"/ta/essays/{essays.pk}/").content.decode())
    assert not shows_the_student(client.get(f"/ta/synthesis/{work['response'].pk}/").content.decode())


def test_showing_a_name_needs_a_reason(work):
    _, client = signed_in_ta()

    page = client.post(f"/ta/reveal/notebooks/{work['notebook'].pk}/", follow=True).content.decode()

    assert "Choose why you need the student" in page
    assert not AuditEvent.objects.filter(action="reveal_name").exists()
    assert not shows_the_student(page)
