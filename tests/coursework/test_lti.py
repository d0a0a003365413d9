"""LTI grade passback and roster against a real platform on a local port (the tool's key
handed to it, as no web server serves /lti/jwks/ here): the figure each line item holds,
line items made once, scores sent once, retried when the LMS fails, and the roster."""
import pytest
from django.utils import timezone

from coursework.models import Assignment, LtiContext, ExternalIdentity, LtiLineItem, LtiMembership, LtiPlatform, LtiScore
from coursework.services import gradebook, lti, reviews, rubrics
from coursework.states import SubmissionStatus
from tests.factories import make_course, make_submission, submitted_essays, make_ta
from tests.support.lti_platform import INSTRUCTOR, LEARNER, Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def lms(settings, tmp_path):
    settings.LTI_PRIVATE_KEY_PATH = str(tmp_path / "tool.pem")
    settings.MEDIA_ROOT = tmp_path
    platform = Platform("http://127.0.0.1:9", tool_key_set=lti.jwks()).start()
    LtiPlatform.objects.create(name="Test LMS", issuer=platform.url, client_id=platform.client_id,
                               auth_login_url=platform.url + "/auth", auth_token_url=platform.url + "/token",
                               key_set_url=platform.url + "/jwks", deployment_ids=[platform.deployment_id],
                               context_ids=["course-101"])
    yield platform
    platform.stop()


@pytest.fixture
def course():
    return make_course()


def enrol(lms, subject: str, learner: bool = True) -> ExternalIdentity:
    context, _ = LtiContext.objects.get_or_create(
        platform=LtiPlatform.objects.get(), context_id="course-101",
        defaults={"deployment_id": lms.deployment_id, "lineitems_url": lms.url + "/lineitems",
                  "ags_scopes": [lti.AGS_LINEITEM, lti.AGS_SCORE], "memberships_url": lms.url + "/memberships"})
    identity = lti._identity(lms.url, subject, staff=not learner, name=subject.title())
    LtiMembership.objects.create(context=context, identity=identity, learner=learner)
    return identity


def graded(student, accuracy: float):
    task = Assignment.objects.the(Assignment.NOTEBOOK)
    return make_submission(student, status=SubmissionStatus.GRADED, accuracy=accuracy, public_accuracy=accuracy,
                           private_accuracy=accuracy, score=task.score_for(accuracy), finished_at=timezone.now())


def push_due():
    return [lti.push_score(pk) for pk in lti.sync_grades()]


def reveal():
    Assignment.objects.filter(kind=Assignment.NOTEBOOK).update(private_revealed=True)


def test_a_notebook_grade_is_sent_only_after_the_reveal_with_the_gradebooks_number(lms, course):
    alice = enrol(lms, "alice")
    graded(alice.user, 0.82)
    assert push_due() == [] and lms.line_items == {}
    reveal()
    assert push_due() == ["sent"]
    shown = gradebook.rows_for([alice.user_id])[alice.user_id]["notebook_score"]
    (score,) = lms.gradebook("alice").values()
    assert score["scoreGiven"] == shown and score["scoreMaximum"] == 1.0
    assert score["activityProgress"] == "Completed" and score["gradingProgress"] == "FullyGraded"


def test_an_unchanged_grade_is_never_sent_twice_and_a_duplicate_message_sends_nothing(lms, course):
    alice = enrol(lms, "alice")
    graded(alice.user, 0.82)
    reveal()
    assert push_due() == ["sent"]
    assert push_due() == []
    assert lti.push_score(LtiScore.objects.get().pk).startswith("not claimed")
    assert len(lms.score_posts) == 1


def test_a_line_item_is_made_once_per_course_and_task_however_often_it_is_asked_for(lms, course):
    alice = enrol(lms, "alice")
    task = Assignment.objects.the(Assignment.NOTEBOOK)
    first = lti.line_item(alice.memberships.get().context_id, task.pk)
    assert lti.line_item(alice.memberships.get().context_id, task.pk) == first
    LtiLineItem.objects.all().delete()  # our row lost (a restore): the LMS's column is found by its tag
    assert lti.line_item(alice.memberships.get().context_id, task.pk).url == first.url
    assert len(lms.line_items) == 1


def test_a_failing_lms_gets_the_score_again_later_and_a_regrade_replaces_it(lms, course, settings):
    settings.LTI_SCORE_RETRY_S = 0
    alice = enrol(lms, "alice")
    run = graded(alice.user, 0.82)
    reveal()
    lms.fail_score_posts = 1
    assert push_due() == ["failed this time; tried again later"]
    row = LtiScore.objects.get()
    assert row.status == LtiScore.PENDING and "503" in row.last_error and lms.score_posts == []
    assert push_due() == ["sent"]
    type(run).objects.filter(pk=run.pk).update(accuracy=0.95, private_accuracy=0.95,
                                               score=run.assignment.score_for(0.95))
    assert push_due() == ["sent"]
    assert [p["scoreGiven"] for p in lms.score_posts] == [
        round(run.assignment.score_for(0.82), 4), round(run.assignment.score_for(0.95), 4)]


def test_a_score_refused_by_the_lms_for_good_is_not_retried(lms, course):
    alice = enrol(lms, "alice")
    graded(alice.user, 0.82)
    reveal()
    lti.sync_grades()
    LtiLineItem.objects.update(url=lms.url + "/lineitems/404")
    assert [lti.push_score(pk) for pk in LtiScore.objects.values_list("pk", flat=True)] == ["gave up"]
    assert LtiScore.objects.get().status == LtiScore.FAILED
    assert push_due() == []


def test_a_figure_changed_while_it_was_being_sent_stays_due(lms, course):
    alice = enrol(lms, "alice")
    graded(alice.user, 0.82)
    reveal()
    (pk,) = lti.sync_grades()
    assert lti.claim_score(pk)
    row = LtiScore.objects.get(pk=pk)
    run = alice.user.submissions.get()
    type(run).objects.filter(pk=run.pk).update(accuracy=0.95, private_accuracy=0.95,
                                               score=run.assignment.score_for(0.95))
    assert lti.sync_grades() == []  # the sweep sees the regrade meanwhile: the row is still being sent
    assert LtiScore.objects.get(pk=pk).status == LtiScore.SENDING
    lti._finish(row, row.wanted_given, row.wanted_maximum, sent_now=True)  # the send of the old figure ends
    assert LtiScore.objects.get(pk=pk).status == LtiScore.PENDING
    assert push_due() == ["sent"]
    assert [p["scoreGiven"] for p in lms.score_posts] == [round(run.assignment.score_for(0.95), 4)]


def test_reviewed_essays_are_sent_after_the_late_penalty_and_instructors_get_nothing(lms, course):
    alice = enrol(lms, "alice")
    enrol(lms, "ivan", learner=False)
    essays = submitted_essays(alice.user)
    Assignment.objects.filter(kind=Assignment.ESSAYS).update(late_policy=Assignment.PENALTY, late_penalty_per_day=0.1)
    type(essays).objects.filter(pk=essays.pk).update(days_late=2)
    essays.refresh_from_db()
    reviews.review(essays, make_ta(), {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)}, "Good.")
    assert push_due() == ["sent"]
    row = gradebook.rows_for([alice.user_id])[alice.user_id]
    (score,) = lms.gradebook("alice").values()
    assert score["scoreGiven"] == row["essays_score"]
    assert row["essays_score"] == pytest.approx(round(row["essays_score_before_penalty"] * 0.8, 2))  # 2 days at 10%
    assert score["scoreMaximum"] == row["essays_max"]
    assert lms.gradebook("ivan") == {}


def test_the_roster_makes_accounts_with_the_lms_roles_and_drops_members_who_left(lms, course):
    enrol(lms, "ivan", learner=False)
    context = LtiContext.objects.get()
    assert lti.sync_roster(context.pk) == 5
    people = {i.subject: i.user for i in ExternalIdentity.objects.select_related("user__profile")}
    assert set(people) == {"alice", "bob", "carol", "ivan", "tina"}
    assert [people[s].is_staff for s in ("alice", "bob", "carol", "ivan", "tina")] == [False, False, False, True, True]
    assert people["bob"].profile.display_name == "Bob Learner"
    del lms.users["carol"]
    lti.sync_roster(context.pk)
    assert not LtiMembership.objects.get(identity__subject="carol").active
    assert lti.sync_roster(context.pk) == 4  # again: the same accounts, none new
    assert ExternalIdentity.objects.count() == 5


@pytest.mark.parametrize("roles, staff", [
    ([LEARNER], False), ([INSTRUCTOR], True),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], True),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"], None), ([], None)])
def test_roles_map_to_student_staff_or_no_access(roles, staff):
    assert lti._is_staff(roles) is staff


def test_a_login_from_an_unregistered_lms_gets_a_clear_page(client, lms):
    response = client.get("/lti/login/", {"iss": "https://lms.elsewhere.example", "login_hint": "x",
                                          "target_link_uri": "http://testserver/lti/launch/"})
    assert response.status_code == 400
    assert "not registered" in response.content.decode()


def test_a_launch_that_is_not_a_signed_token_is_refused_and_stores_nothing(client, lms):
    response = client.post("/lti/launch/", {"id_token": "not.a.token", "state": "state-x"})
    assert response.status_code == 403
    assert "This launch was refused" in response.content.decode()
    assert ExternalIdentity.objects.count() == 0 and not response.wsgi_request.user.is_authenticated


def test_a_review_held_until_a_ta_publishes_reaches_the_lms_only_when_published(lms, course):
    from coursework.services import publishing

    alice = enrol(lms, "alice")
    task = Assignment.objects.the(Assignment.ESSAYS)
    ta = make_ta()
    publishing.set_mode(ta, task, Assignment.WHEN_PUBLISHED)
    essays = submitted_essays(alice.user)
    reviews.review(essays, ta, {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)}, "Good.")
    essays.refresh_from_db()
    assert essays.held
    assert push_due() == [] and lms.gradebook("alice") == {}  # the student cannot see it here, so not there either
    publishing.publish(ta, task)
    assert push_due() == ["sent"]
    (score,) = lms.gradebook("alice").values()
    assert score["scoreGiven"] == gradebook.rows_for([alice.user_id])[alice.user_id]["essays_score"]


def test_grades_go_only_to_the_lms_courses_this_course_is_taught_in(lms, course):
    alice = enrol(lms, "alice")
    # A teacher of another course on the same LMS lists alice and launches the tool once.
    sandbox = LtiContext.objects.create(platform=LtiPlatform.objects.get(), context_id="someones-sandbox",
                                        deployment_id=lms.deployment_id, lineitems_url=lms.url + "/lineitems",
                                        ags_scopes=[lti.AGS_LINEITEM, lti.AGS_SCORE])
    LtiMembership.objects.create(context=sandbox, identity=alice, learner=True)
    essays = submitted_essays(alice.user)
    reviews.review(essays, make_ta(), {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(essays)}, "Good.")
    assert push_due() == ["sent"]
    assert set(LtiScore.objects.values_list("line_item__context__context_id", flat=True)) == {"course-101"}
    assert lti.sync_roster(sandbox.pk) == 0  # nor is its roster read


def test_a_roster_makes_accounts_but_never_changes_who_is_staff(lms, course):
    ta = enrol(lms, "tina", learner=False)
    assert ta.user.is_staff
    lms.users["tina"]["roles"] = [LEARNER]  # listed as a learner: her own launch decides, not the list
    lti.sync_roster(LtiContext.objects.get().pk)
    ta.user.refresh_from_db()
    assert ta.user.is_staff


def test_a_grade_that_stops_counting_is_cleared_at_the_lms_once(lms, course):
    alice = enrol(lms, "alice")
    run = graded(alice.user, 0.82)
    reveal()
    assert push_due() == ["sent"]
    # A TA upholds an integrity flag: the run no longer counts here, so the LMS must not show it.
    type(run).objects.filter(pk=run.pk).update(flagged=True, flag_resolution="upheld")
    assert push_due() == ["sent"]
    (shown,) = lms.gradebook("alice").values()
    assert "scoreGiven" not in shown and shown["gradingProgress"] == "NotReady"
    assert push_due() == [] and len(lms.score_posts) == 2
    # Cleared by the TA after all: the figure goes back.
    type(run).objects.filter(pk=run.pk).update(flag_resolution="cleared")
    assert push_due() == ["sent"]
    (shown,) = lms.gradebook("alice").values()
    assert shown["scoreGiven"] == round(run.assignment.score_for(0.82), 4)


def test_a_learner_the_lms_never_had_a_figure_for_is_sent_nothing_to_clear(lms, course):
    alice, bob = enrol(lms, "alice"), enrol(lms, "bob")
    graded(alice.user, 0.82)
    graded(bob.user, 0.5).__class__.objects.filter(student=bob.user).update(flagged=True)
    reveal()
    assert push_due() == ["sent"]
    assert [post["userId"] for post in lms.score_posts] == [alice.subject]


def test_a_new_essay_version_waiting_for_its_review_leaves_the_lms_figure_as_it_was(lms, course):
    ta, alice = make_ta(), enrol(lms, "alice")
    first = submitted_essays(alice.user)
    reviews.review(first, ta, {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(first)}, "Good.")
    assert push_due() == ["sent"]
    submitted_essays(alice.user, version=2)  # the student hands in a new version
    assert push_due() == []
    (shown,) = lms.gradebook("alice").values()
    assert shown["scoreGiven"] > 0


def test_a_regrade_in_progress_does_not_clear_the_lms_figure(lms, course):
    alice = enrol(lms, "alice")
    run = graded(alice.user, 0.82)
    reveal()
    assert push_due() == ["sent"]
    type(run).objects.filter(pk=run.pk).update(status=SubmissionStatus.QUEUED)
    assert push_due() == [] and len(lms.score_posts) == 1


def test_a_score_due_for_an_lms_course_no_longer_listed_is_not_sent(lms, course):
    alice = enrol(lms, "alice")
    graded(alice.user, 0.82)
    reveal()
    due = lti.sync_grades()
    LtiPlatform.objects.update(context_ids=[])
    assert [lti.push_score(pk) for pk in due] == ["not sent: course not listed"]
    assert lms.score_posts == [] and LtiScore.objects.get().status == LtiScore.FAILED
