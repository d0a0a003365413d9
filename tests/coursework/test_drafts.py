"""Drafts of the forms students write in: what is typed is kept on the server (as they type,
and when a submit is refused), shown again with a note when they come back, kept apart per
student and per task, and cleared once the work is handed in."""
import pytest

from coursework.models import EssayPrompt, EssaySubmission, ReviewDraft
from coursework.services import appeals, essays, rubrics
from coursework.services import reviews as review_service
from tests.support.essays import ESSAY, post_essays
from tests.factories import make_course, make_student, make_ta, submitted_essays

pytestmark = pytest.mark.django_db


@pytest.fixture
def prompts(db):
    make_course()  # the tasks a draft belongs to, and the prompts
    return list(EssayPrompt.objects.all())


@pytest.fixture
def student(client, db):
    user = make_student()
    client.force_login(user)
    return user


def test_essays_typed_and_autosaved_come_back_with_a_note(client, student, prompts):
    saved = client.post("/essays/draft/", {"e0-prompt": prompts[1].pk, "e0-text": "My first thoughts",
                                          "e1-text": "", "e0-upload": "ignored", "anything": "ignored"}).json()
    assert saved["saved"]
    assert ReviewDraft.objects.get().fields == {"e0-prompt": str(prompts[1].pk), "e0-text": "My first thoughts",
                                                "e1-text": ""}
    page = client.get("/essays/").content.decode()
    assert "Restored your draft from" in page and "My first thoughts" in page
    assert f'<option value="{prompts[1].pk}" selected>' in page


def test_a_refused_submit_keeps_all_three_essays_and_their_prompts_for_the_next_visit(client, student, prompts):
    post_essays(client, prompts[:3], [ESSAY, ESSAY, "Too short, only a few meaningful words."])
    assert not EssaySubmission.objects.exists()
    page = client.get("/essays/").content.decode()
    assert "Restored your draft from" in page
    assert page.count(ESSAY) == 2 and "Too short, only a few meaningful words." in page
    for prompt in prompts[:3]:
        assert f'<option value="{prompt.pk}" selected>' in page


def test_a_submitted_version_clears_the_draft_and_the_page_shows_what_was_submitted(client, student, prompts):
    client.post("/essays/draft/", {"e0-text": "An abandoned start"})
    post_essays(client, prompts[:3], [ESSAY] * 3)
    assert EssaySubmission.objects.count() == 1 and not ReviewDraft.objects.exists()
    page = client.get("/essays/").content.decode()
    assert "Restored your draft" not in page and "An abandoned start" not in page and page.count(ESSAY) == 3


def test_a_draft_older_than_a_version_submitted_since_is_not_shown(client, student, prompts):
    essays.save_typed(student, {"e0-text": "Old words"})
    ReviewDraft.objects.update(saved_at="2020-01-01T00:00Z")
    newer = submitted_essays(student)  # handed in another way (another tab, say) after the draft
    assert essays.typed_draft(student, newer) is None
    assert "Old words" not in client.get("/essays/").content.decode()


def test_each_student_sees_only_their_own_draft(client, student, prompts):
    client.post("/essays/draft/", {"e0-text": "Ana's private words"})
    other = make_student("ben")
    client.force_login(other)
    assert "Ana's private words" not in client.get("/essays/").content.decode()


def reviewed(student):
    item = submitted_essays(student)
    marks = {c.pk: rubrics.Mark(c.max_points - 1) for c in rubrics.criteria_for(item)}
    return review_service.review(item, make_ta(), marks, "Solid start.")


def test_an_appeal_reason_is_kept_as_typed_and_shown_on_both_appeal_forms(client, student, prompts):
    item = reviewed(student)
    assert client.post(f"/appeals/essays/{item.pk}/draft/", {"reason": "Essay 2 names two studies"}).json()["saved"]
    page = client.get(f"/appeals/essays/{item.pk}/").content.decode()
    assert "Restored your draft from" in page and "Essay 2 names two studies" in page
    page = client.get("/essays/").content.decode()  # the short form under the review
    assert "Essay 2 names two studies</textarea>" in page


def test_a_refused_appeal_keeps_its_reason_and_a_filed_one_clears_it(client, student, prompts):
    item = reviewed(student)
    client.post(f"/appeals/essays/{item.pk}/", {"reason": "Look again please", "seen": "an old page"})
    assert appeals.reason_draft(student, item).fields == {"reason": "Look again please"}
    client.post(f"/appeals/essays/{item.pk}/", {"reason": "Look again please", "seen": appeals.state_of(item)["token"]})
    assert appeals.reason_draft(student, item) is None


def test_nobody_saves_a_draft_appeal_on_someone_elses_work(client, student, prompts):
    item = reviewed(make_student("ben"))
    assert client.post(f"/appeals/essays/{item.pk}/draft/", {"reason": "mine now"}).status_code == 404
    assert not ReviewDraft.objects.exists()
