"""LTI 1.3 end to end: a real platform (tests/support/lti_platform.py, signing with its own
key) launches the real site in chromium, reads its roster and receives its grades, through
the real Celery worker."""
import json

import pytest

from tests.support.browser import browser_page
from tests.support.lti_platform import Platform, wait_for
from tests.support.stack import Stack

pytestmark = pytest.mark.stack


@pytest.fixture
def lti_stack(tmp_path, redis_target):
    # A failed score is tried again after a second rather than a minute.
    running = Stack(tmp_path, redis_target, LTI_SCORE_RETRY_S="1").start()
    yield running
    running.stop()


@pytest.fixture
def lms(lti_stack):
    platform = Platform(lti_stack.base_url).start()
    lti_stack.manage("shell", "-c", platform.tool_registration_code())
    yield platform
    platform.stop()


def query(lti_stack, code: str):
    """A value computed by the site's own code in a `manage.py shell`, read back as JSON."""
    out = lti_stack.manage("shell", "-c", "import json\n" + code + "\nprint(json.dumps(result))")
    return json.loads(out.strip().splitlines()[-1])


def account(lti_stack, lms, subject: str):
    return query(lti_stack, f"""
from coursework.models import ExternalIdentity
i = ExternalIdentity.objects.select_related("user__profile").filter(issuer={lms.url!r}, subject={subject!r}).first()
result = i and {{"username": i.user.username, "staff": i.user.is_staff, "name": i.user.profile.display_name,
                 "memberships": list(i.memberships.values_list("learner", flat=True))}}""")


def stored(lti_stack):
    return query(lti_stack, """
from django.contrib.auth.models import User
from coursework.models import ExternalIdentity, LtiMembership, LtiNonce
result = [User.objects.count(), ExternalIdentity.objects.count(), LtiMembership.objects.count(), LtiNonce.objects.count()]""")


def refusal(page) -> str:
    assert page.locator("h1").inner_text() == "This launch was refused", page.content()[:2000]
    return page.locator("#lti-refusal").inner_text()


def test_a_learner_launch_signs_in_a_student_and_instructors_and_tas_as_staff(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("alice", task="mnist"))
        page.wait_for_url(lti_stack.base_url + "/assignments/mnist/")
        assert page.locator("h1").first.inner_text()
        page.goto(lti_stack.base_url + "/ta/")
        assert "Page not found" in page.content() or page.title().startswith("Not found")
    alice = account(lti_stack, lms, "alice")
    assert alice == {"username": alice["username"], "staff": False, "name": "Alice Learner", "memberships": [True]}

    with browser_page() as page:
        page.goto(lms.start_url("ivan"))
        page.wait_for_url(lti_stack.base_url + "/ta/")
        assert page.locator("main").inner_text()
    assert account(lti_stack, lms, "ivan")["staff"] is True

    with browser_page() as page:  # a teaching assistant is staff too
        page.goto(lms.start_url("tina"))
        page.wait_for_url(lti_stack.base_url + "/ta/")
    assert account(lti_stack, lms, "tina")["staff"] is True


def test_an_instructor_launch_brings_in_the_course_roster(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("ivan"))
        page.wait_for_url(lti_stack.base_url + "/ta/")
        wait_for(lambda: account(lti_stack, lms, "carol"), what="the roster sync to make Carol's account")
        assert account(lti_stack, lms, "bob")["name"] == "Bob Learner"
        page.goto(lti_stack.base_url + "/ta/students/search/?q=Carol")
        assert "Carol Learner" in page.content()
    assert account(lti_stack, lms, "carol")["staff"] is False
    assert account(lti_stack, lms, "ivan")["memberships"] == [False]  # an instructor gets no grades back


@pytest.mark.parametrize("tamper, says", [
    ({"claims": {"aud": "some-other-tool", "azp": "some-other-tool"}}, "not meant for this site"),
    ({"expires_in": -120}, "expired"),
    ({"claims": {"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-unknown"}}, "deployment"),
    # Another course of the same LMS and deployment (a teacher's sandbox): not this course.
    ({"claims": {"https://purl.imsglobal.org/spec/lti/claim/context": {"id": "someones-sandbox", "title": "Sandbox"}}},
     "not linked to this site's course"),
])
def test_a_bad_launch_is_refused_with_a_clear_page_and_nothing_stored(lti_stack, lms, tamper, says):
    before = stored(lti_stack)
    with browser_page() as page:
        lms.tamper = tamper
        page.goto(lms.start_url("carol"))
        page.wait_for_url(lti_stack.base_url + "/lti/launch/")
        assert says in refusal(page)
        page.goto(lti_stack.base_url + "/progress/")
        assert "/accounts/login/" in page.url  # nobody was signed in
    assert stored(lti_stack) == before
    assert account(lti_stack, lms, "carol") is None


def test_a_replayed_launch_is_refused(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("alice"))
        page.wait_for_url(lti_stack.base_url + "/")
        before = stored(lti_stack)
        used = lms.launches[-1]
        page.set_content(f'<form id="f" method="post" action="{lti_stack.base_url}/lti/launch/">'
                         f'<input name="id_token" value="{used["id_token"]}"><input name="state" value="{used["state"]}">'
                         '</form>')
        page.locator("#f").evaluate("f => f.submit()")
        page.wait_for_url(lti_stack.base_url + "/lti/launch/")
        assert "already been used" in refusal(page)
    assert stored(lti_stack) == before


def test_another_persons_id_token_is_refused_in_my_browser(lti_stack, lms):
    # Bob's launch is signed but never posted (captured on its way), then posted from
    # Carol's browser with her own login's state.
    with browser_page() as page:
        lms.tamper = {"claims": {}}
        page.route(f"{lti_stack.base_url}/lti/launch/", lambda route: route.abort())
        try:
            page.goto(lms.start_url("bob"))
        except Exception:
            pass  # the aborted post
    bobs = len(lms.launches) - 1
    before = stored(lti_stack)
    with browser_page() as page:
        lms.tamper = {"replay": bobs}
        page.goto(lms.start_url("carol"))
        page.wait_for_url(lti_stack.base_url + "/lti/launch/")
        assert "not started from this browser" in refusal(page)
    assert stored(lti_stack) == before
    assert account(lti_stack, lms, "bob") is None and account(lti_stack, lms, "carol") is None


GRADE = """
from django.utils import timezone
from coursework.models import Assignment, ExternalIdentity, Submission
from coursework.states import SubmissionStatus
task = Assignment.objects.the("notebook")
user = ExternalIdentity.objects.get(subject="alice").user
s = Submission.objects.create(assignment=task, student=user, original_name="nb.ipynb", status=SubmissionStatus.GRADED,
                              accuracy=0.82, public_accuracy=0.82, private_accuracy=0.82, score=task.score_for(0.82),
                              finished_at=timezone.now())
result = s.pk"""

# What a regrade stores on the run (coursework.states.finish after the grading task).
REGRADE = """
from coursework.models import Submission
s = Submission.objects.get()
result = Submission.objects.filter(pk=s.pk).update(accuracy=0.95, private_accuracy=0.95, public_accuracy=0.95,
                                                     score=s.assignment.score_for(0.95))"""

SHOWN = """
from coursework.models import ExternalIdentity
from coursework.services import gradebook
user = ExternalIdentity.objects.get(subject="alice").user
result = gradebook.rows_for([user.pk])[user.pk]["notebook_score"]"""

# The sweep run here rather than by the worker, to read what it found due.
DUE = "from coursework.services import lti\nresult = lti.sync_grades()"


def sync(lti_stack):
    lti_stack.manage("shell", "-c", "from coursework.tasks import lti_sync_grades; lti_sync_grades.delay()")


def test_a_grade_reaches_the_lms_once_after_the_reveal_and_a_regrade_updates_it(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("alice", task="mnist"))
        page.wait_for_url(lti_stack.base_url + "/assignments/mnist/")
    query(lti_stack, GRADE)
    assert query(lti_stack, DUE) == []  # before the reveal the grade does not count: nothing to send
    assert lms.line_items == {}

    query(lti_stack, "from coursework.models import Assignment\n"
                 "result = Assignment.objects.filter(slug='mnist').update(private_revealed=True)")
    lms.fail_score_posts = 1  # the LMS's first answer is a 503: the push is tried again
    sync(lti_stack)
    label = "Technical project: a deep network on MNIST"
    first = wait_for(lambda: lms.gradebook("alice"), what="the grade in the LMS gradebook")[label]
    shown = query(lti_stack, SHOWN)
    assert first["scoreGiven"] == shown and first["scoreMaximum"] == 1.0
    assert first["userId"] == "alice"

    assert query(lti_stack, DUE) == []  # sent and unchanged: nothing due again
    again = query(lti_stack, "from coursework.models import LtiScore\nfrom coursework.services import lti\n"
                         "result = lti.push_score(LtiScore.objects.get().pk)")  # a duplicate delivery
    assert again.startswith("not claimed")

    query(lti_stack, REGRADE)
    sync(lti_stack)
    regraded = query(lti_stack, SHOWN)
    assert regraded > shown
    wait_for(lambda: lms.gradebook("alice")[label]["scoreGiven"] == regraded or None, what="the regraded score")
    assert [p["scoreGiven"] for p in lms.score_posts] == [shown, regraded]
    assert len(lms.line_items) == 1  # one column, however often it was asked for


def test_an_instructor_links_the_unit_and_a_task_into_the_course_and_a_learner_lands_on_the_task(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("ivan", deep=True))
        page.wait_for_url(lti_stack.base_url + "/lti/launch/")
        assert page.locator("h1").inner_text() == "Add to your course"
        page.get_by_label("The (deep learning) Basics: the unit").check()
        page.get_by_label("Technical project: a deep network on MNIST").check()
        page.get_by_role("button", name="Add to the course").click()
        page.wait_for_url(lms.url + "/deep-link-return")
        assert page.locator("#linked li").all_inner_texts() == [
            "The (deep learning) Basics: the unit", "Technical project: a deep network on MNIST"]
    linked = {item["title"]: item for item in lms.deep_link_items}
    task_link = linked["Technical project: a deep network on MNIST"]
    assert task_link["type"] == "ltiResourceLink" and task_link["url"] == lti_stack.base_url + "/lti/launch/"
    assert task_link["custom"] == {"task": "mnist"}

    with browser_page() as page:  # the link the LMS now shows, clicked by a learner
        page.goto(lms.start_url("alice", task=task_link["custom"]["task"]))
        page.wait_for_url(lti_stack.base_url + "/assignments/mnist/")


def test_a_learner_cannot_use_a_deep_linking_launch(lti_stack, lms):
    with browser_page() as page:
        page.goto(lms.start_url("alice", deep=True))
        page.wait_for_url(lti_stack.base_url + "/lti/launch/")
        assert "Only instructors" in refusal(page)
    assert account(lti_stack, lms, "alice") is None
