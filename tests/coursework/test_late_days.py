"""The late-day bank: late work under a penalty spends the fewest whole days that cover it,
only when the bank holds them all, never twice, and gives them back when staff move the
due date so that the work is no longer that late."""
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from coursework.models import (Assignment, AuditEvent, EssayPrompt, EssaySubmission, LateDaySpend, Notification,
                               QuestionSet, SynthesisResponse)
from coursework.services import credit, deadlines, essays, late_days, progress, publishing, reviews, rubrics, synthesis
from coursework.services.deadlines import Lateness
from tests.factories import make_profile, make_student, make_ta
from tests.support.essays import ESSAY

pytestmark = pytest.mark.django_db

SETS = ["video-what-is-a-neural-network", "video-neural-networks-and-deep-learning"]


@pytest.fixture
def bank(course, settings):
    settings.LATE_DAYS = 3
    task = course[Assignment.SYNTHESIS]
    task.late_policy, task.late_penalty_per_day = Assignment.PENALTY, 0.2
    task.save()
    return task


def due_ago(task, days: float):
    task.due_at = timezone.now() - timedelta(days=days)
    task.save()


def hand_in(student, slug=SETS[0]) -> SynthesisResponse:
    qs = QuestionSet.objects.get(page__slug=slug)
    return synthesis.save_answers(student, qs, {q.pk: "Because the weights scale the inputs." for q in qs.questions.all()},
                                  submit=True)


def review_full(item):
    marks = {c.pk: rubrics.Mark(c.max_points) for c in rubrics.criteria_for(item)}
    return reviews.review(item, make_ta(), marks, "Good.")


def test_late_work_spends_the_fewest_whole_days_that_cover_it_and_takes_no_penalty(bank):
    student = make_student()
    due_ago(bank, 1.5)
    response = hand_in(student)
    assert (response.days_late, response.late_days_used) == (2, 2)
    assert late_days.remaining(student) == 1
    figure = credit.for_item(review_full(response), student)
    assert (figure.factor, figure.counts) == (1.0, figure.before_penalty)  # nothing taken off
    assert credit.in_words(figure).endswith("(2 late days spent: no late penalty)")


def test_work_later_than_the_days_left_spends_nothing_and_takes_the_penalty(bank, settings):
    settings.LATE_DAYS = 1
    student = make_student()
    due_ago(bank, 1.5)
    response = hand_in(student)
    assert (response.days_late, response.late_days_used) == (2, 0)
    assert late_days.remaining(student) == 1
    figure = credit.for_item(review_full(response), student)
    assert figure.penalty == pytest.approx(0.4)


def test_a_second_late_piece_of_the_same_task_spends_only_the_days_the_first_did_not(bank):
    student = make_student()
    due_ago(bank, 0.5)
    assert hand_in(student, SETS[0]).late_days_used == 1
    due_ago(bank, 1.5)
    assert hand_in(student, SETS[1]).late_days_used == 2
    assert late_days.spent(student) == {bank.pk: 2}
    assert late_days.remaining(student) == 1


def test_days_spent_on_one_task_are_not_there_for_another(bank, course, settings):
    settings.LATE_DAYS = 2
    student = make_student()
    due_ago(bank, 1.5)
    assert hand_in(student).late_days_used == 2
    essays = course[Assignment.ESSAYS]
    essays.late_policy = Assignment.PENALTY
    essays.save()
    with deadlines.transaction.atomic():
        assert late_days.cover(student, essays, 1) == 0
    assert LateDaySpend.objects.filter(student=student, assignment=essays).count() == 0


def test_handing_the_same_lateness_in_again_spends_nothing_more(bank):
    student = make_student()
    due_ago(bank, 1.5)
    hand_in(student)
    for _ in range(2):
        with deadlines.transaction.atomic():
            assert late_days.cover(student, bank, 2) == 2
    assert late_days.remaining(student) == 1
    assert AuditEvent.objects.filter(action="late_days_spent").count() == 1


def test_under_a_policy_without_a_penalty_nothing_is_spent(bank):
    bank.late_policy = Assignment.ACCEPT_LATE
    bank.save()
    student = make_student()
    due_ago(bank, 1.5)
    response = hand_in(student)
    assert (response.late, response.late_days_used) == (True, 0)
    assert late_days.remaining(student) == 3


def test_with_no_bank_nothing_is_spent(bank, settings):
    settings.LATE_DAYS = 0
    student = make_student()
    due_ago(bank, 1.5)
    assert hand_in(student).late_days_used == 0
    assert progress.for_student(student).late_days is None


def test_an_extension_that_makes_the_work_on_time_gives_the_days_back(bank):
    student = make_student()
    due_ago(bank, 1.5)
    response = hand_in(student)
    deadlines.grant_extension(make_ta(), bank, timezone.now(), student=student, reason="ill")
    response.refresh_from_db()
    assert (response.late, response.days_late, response.late_days_used) == (False, 0, 0)
    assert late_days.remaining(student) == 3
    assert AuditEvent.objects.filter(action="late_days_refunded").exists()


def test_an_extension_that_shortens_the_lateness_keeps_only_the_days_still_needed(bank):
    student = make_student()
    due_ago(bank, 2.5)
    response = hand_in(student)
    assert response.late_days_used == 3
    deadlines.grant_extension(make_ta(), bank, bank.due_at + timedelta(days=1.6), student=student)
    response.refresh_from_db()
    assert (response.days_late, response.late_days_used) == (1, 1)
    assert late_days.remaining(student) == 2


def test_my_progress_shows_the_days_left_and_the_credit_the_days_that_covered_it(bank, client):
    student = make_student()
    make_profile(student)
    due_ago(bank, 0.5)
    review_full(hand_in(student))
    client.force_login(student)
    page = client.get("/progress/").content.decode()
    assert "Late days: <strong>2 of 3</strong> left" in page
    assert "1 on Synthesis" in page
    assert "covered by 1 late day: no late penalty" in page


def test_the_gradebook_counts_covered_work_without_the_penalty(bank, client):
    from coursework.services import gradebook

    student = make_student()
    due_ago(bank, 0.5)
    response = review_full(hand_in(student))
    header, rows = gradebook.rows()
    row = dict(zip(header, next(r for r in rows if r[0] == student.username)))
    assert row["synthesis_score"] == round(response.score, 2)


# --- a resubmission a TA requests: due by its own date, resubmit_by ---------------------------


def request_resubmission(item, **kwargs):
    marks = {c.pk: rubrics.Mark(0) for c in rubrics.criteria_for(item)}
    return reviews.review(item, make_ta("tb"), marks, "Please explain the bias too.", request_resubmission=True,
                          **kwargs)


def window_ended(item, days: float):
    """As if the request's window had ended `days` days ago."""
    type(item).objects.filter(pk=item.pk).update(resubmit_by=timezone.now() - timedelta(days=days))


def test_on_time_work_sent_back_after_the_deadline_and_resubmitted_in_the_window_is_on_time(bank, settings):
    settings.RESUBMISSION_DAYS = 7
    student = make_student()
    response = hand_in(student)  # on time: the task is due in a week
    due_ago(bank, 2.5)
    item = request_resubmission(response)
    assert item.resubmit_by == deadlines.end_of_minute(item.reviewed_at + timedelta(days=7))
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (False, 0, 0)
    assert late_days.remaining(student) == 3
    assert credit.for_item(review_full(again), student).penalty == 0


def test_a_resubmission_after_its_window_is_late_by_the_days_past_it_not_past_the_task_due_date(bank):
    student = make_student()
    response = hand_in(student)
    due_ago(bank, 4.5)
    window_ended(request_resubmission(response), 1.5)
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (True, 2, 2)  # not 5, the days past the task's
    assert late_days.remaining(student) == 1


def test_a_late_version_sent_back_and_resubmitted_in_the_window_stays_as_late_and_spends_nothing_new(bank):
    student = make_student()
    due_ago(bank, 0.5)
    first = hand_in(student)
    assert (first.days_late, first.late_days_used) == (1, 1)
    due_ago(bank, 3.5)  # the TA asked days later
    request_resubmission(first)
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (True, 1, 1)
    assert late_days.remaining(student) == 2


def test_a_request_made_before_the_due_date_is_due_a_window_after_the_due_date(bank, settings):
    settings.RESUBMISSION_DAYS = 7
    response = hand_in(make_student())
    item = request_resubmission(response)
    assert item.resubmit_by == deadlines.end_of_minute(bank.due_at + timedelta(days=7))


def test_a_resubmission_date_in_the_past_is_refused_and_nothing_is_saved(bank):
    response = hand_in(make_student())
    with pytest.raises(reviews.ReviewRefused) as refused:
        request_resubmission(response, resubmit_by=timezone.now() - timedelta(hours=1))
    assert "has passed" in refused.value.errors["resubmit_by"]
    response.refresh_from_db()
    assert (response.status, response.resubmit_by) == ("submitted", None)


def test_a_held_request_is_due_as_many_days_after_it_is_published_as_the_ta_gave(bank):
    bank.publish_reviews = Assignment.WHEN_PUBLISHED
    bank.save()
    response = hand_in(make_student())
    due_ago(bank, 3)  # held after the student's due date: time they could not use
    item = request_resubmission(response, resubmit_by=timezone.now() + timedelta(days=3))
    held_for = timedelta(days=2)
    SynthesisResponse.objects.filter(pk=item.pk).update(reviewed_at=item.reviewed_at - held_for)
    publishing.publish(make_ta(), bank)
    published = SynthesisResponse.objects.get(pk=item.pk)
    assert published.resubmit_by - item.resubmit_by == pytest.approx(held_for, abs=timedelta(minutes=1))
    assert published.resubmit_by == deadlines.end_of_minute(published.resubmit_by)  # in time all the minute shown
    told = Notification.objects.get(recipient=response.student, kind=Notification.RESUBMIT)
    assert date_format(timezone.localtime(published.resubmit_by), "D j M Y, H:i") in told.body


def test_a_request_held_before_the_due_date_gets_no_more_than_its_window_after_the_due_date(bank, settings):
    """Until their own due date the student had the task's time anyway: only a hold past it is
    added (the default date already counts the window from the due date)."""
    settings.RESUBMISSION_DAYS = 7
    bank.publish_reviews = Assignment.WHEN_PUBLISHED
    bank.save()
    item = request_resubmission(hand_in(make_student()))
    SynthesisResponse.objects.filter(pk=item.pk).update(reviewed_at=item.reviewed_at - timedelta(days=2))
    publishing.publish(make_ta(), bank)
    assert SynthesisResponse.objects.get(pk=item.pk).resubmit_by == deadlines.end_of_minute(
        bank.due_at + timedelta(days=7))


def test_a_date_before_the_students_own_due_date_is_refused_and_nothing_is_saved(bank):
    response = hand_in(make_student())  # due in a week
    with pytest.raises(reviews.ReviewRefused) as refused:
        request_resubmission(response, resubmit_by=timezone.now() + timedelta(days=1))
    assert "before this student's own due date" in refused.value.errors["resubmit_by"]
    response.refresh_from_db()
    assert (response.status, response.resubmit_by) == ("submitted", None)


def test_a_hand_in_in_the_minute_a_page_shows_as_the_due_date_is_in_the_window(bank):
    # The default date is worked out to the microsecond, but pages show it to the minute.
    item = request_resubmission(hand_in(make_student()))
    shown = deadlines.describe_moment(item.resubmit_by)
    late_in_that_minute = item.resubmit_by.replace(second=59, microsecond=500_000)
    assert deadlines.describe_moment(late_in_that_minute) == shown
    assert deadlines.request_judgement(Lateness(False, 0), item.resubmit_by, late_in_that_minute) == Lateness(False, 0)


def test_a_hand_in_in_the_last_second_of_the_chosen_day_is_in_the_window():
    by = deadlines.end_of_day(date(2026, 12, 14))
    last_second = timezone.make_aware(datetime(2026, 12, 14, 23, 59, 59, 500_000))  # hand-ins carry microseconds
    assert deadlines.request_judgement(Lateness(False, 0), by, last_second) == Lateness(False, 0)
    assert timezone.localtime(by).date() == date(2026, 12, 14)
    assert deadlines.request_judgement(Lateness(False, 0), by, by + timedelta(microseconds=1)) == Lateness(True, 1)


@pytest.fixture
def essay_bank(course, settings):
    settings.LATE_DAYS = 3
    task = course[Assignment.ESSAYS]
    task.late_policy, task.late_penalty_per_day = Assignment.PENALTY, 0.2
    task.save()
    return task


def submit_essays(student) -> EssaySubmission:
    return essays.submit_essays(student, [essays.Draft(prompt=p, text=ESSAY) for p in EssayPrompt.objects.all()[:3]])


def test_an_essay_set_sent_back_after_the_deadline_and_resubmitted_in_the_window_is_on_time(essay_bank):
    student = make_student()
    first = submit_essays(student)
    due_ago(essay_bank, 2.5)
    request_resubmission(first)
    second = submit_essays(student)
    assert (second.version, second.late, second.days_late, second.late_days_used) == (2, False, 0, 0)
    assert late_days.remaining(student) == 3


def test_a_late_essay_set_resubmitted_after_its_window_adds_the_days_past_it(essay_bank):
    student = make_student()
    due_ago(essay_bank, 0.5)
    first = submit_essays(student)
    assert (first.days_late, first.late_days_used) == (1, 1)
    due_ago(essay_bank, 6.5)
    window_ended(request_resubmission(first), 0.5)
    second = submit_essays(student)
    assert (second.late, second.days_late, second.late_days_used) == (True, 2, 2)  # 1 replaced + 1 past the window
    assert late_days.remaining(student) == 1


# --- staff moving a due date afterwards: the request's judgement stays an upper bound ---------


def test_an_extension_granted_after_an_in_window_resubmission_leaves_it_on_time(bank):
    student = make_student()
    hand_in(student)  # on time
    due_ago(bank, 2.5)
    request_resubmission(SynthesisResponse.objects.get(student=student, question_set__page__slug=SETS[0]))
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (False, 0, 0)
    # Staff then give the student one more day: still before the resubmission was handed in.
    deadlines.grant_extension(make_ta("staff"), bank, bank.due_at + timedelta(days=1), student=student)
    again.refresh_from_db()
    assert (again.late, again.days_late, again.late_days_used) == (False, 0, 0)
    assert late_days.remaining(student) == 3


def test_an_essay_set_resubmitted_in_the_window_stays_on_time_after_an_extension(essay_bank):
    student = make_student()
    first = submit_essays(student)
    due_ago(essay_bank, 2.5)
    request_resubmission(first)
    second = submit_essays(student)
    assert (second.late, second.days_late) == (False, 0)
    deadlines.grant_extension(make_ta("staff"), essay_bank, essay_bank.due_at + timedelta(days=1), student=student)
    second.refresh_from_db()
    assert (second.late, second.days_late, second.late_days_used) == (False, 0, 0)
    assert late_days.remaining(student) == 3


def test_an_extension_covering_the_resubmission_still_helps_and_withdrawn_the_request_judges_it_again(bank):
    student = make_student()
    due_ago(bank, 0.5)
    first = hand_in(student)  # 1 day late, 1 late day spent
    due_ago(bank, 3.5)
    request_resubmission(first)
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (True, 1, 1)  # as late as the one it replaces
    extension = deadlines.grant_extension(make_ta("staff"), bank, timezone.now() + timedelta(days=1), student=student)
    again.refresh_from_db()
    assert (again.late, again.days_late, again.late_days_used) == (False, 0, 0)
    assert late_days.remaining(student) == 3  # the day comes back
    deadlines.withdraw_extension(make_ta("staff2"), extension)
    again.refresh_from_db()
    assert (again.late, again.days_late) == (True, 1)  # the request's judgement, not 4 days past the task's date


def test_a_version_handed_in_without_a_request_is_judged_again_as_before(essay_bank):
    student = make_student()
    first = submit_essays(student)
    due_ago(essay_bank, 2.5)
    request_resubmission(first)
    second = submit_essays(student)  # under the request: on time
    review_full(second)  # the request is answered: what comes next was not asked for
    third = submit_essays(student)  # 3 days late against the task's date
    assert (third.late, third.days_late, third.late_days_used) == (True, 3, 3)
    deadlines.grant_extension(make_ta("staff"), essay_bank, essay_bank.due_at + timedelta(days=1), student=student)
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.late, second.days_late) == (False, 0)
    assert (third.late, third.days_late, third.late_days_used) == (True, 2, 2)
    assert late_days.remaining(student) == 1
    assert (second.request_days_late, third.request_days_late) == (0, None)


# --- a further version before the TA looks again: judged by the same request ----------------
#
# A student corrects a typo in the resubmission they were asked for: the request still judges
# it (no new late day), until its date; after it, late by the days past it; and past the lock
# date it is accepted only while the request's window is open, so no unlimited time.


def test_a_synthesis_resubmission_handed_in_again_in_the_window_is_judged_as_the_request_said(bank):
    student = make_student()
    hand_in(student)  # on time
    due_ago(bank, 2.5)
    request_resubmission(SynthesisResponse.objects.get(student=student, question_set__page__slug=SETS[0]))
    assert (hand_in(student).late, late_days.remaining(student)) == (False, 3)
    again = hand_in(student)  # a typo fixed, still in the window
    assert (again.late, again.days_late, again.late_days_used) == (False, 0, 0)  # not 3 days past the task's date
    assert late_days.remaining(student) == 3


def test_a_save_refused_in_the_window_tells_the_student_a_new_hand_in_is_the_resubmission_not_late_work(bank):
    student = make_student()
    hand_in(student)  # on time
    due_ago(bank, 2.5)
    qs = QuestionSet.objects.get(page__slug=SETS[0])
    item = request_resubmission(SynthesisResponse.objects.get(student=student, question_set=qs))
    hand_in(student)
    with pytest.raises(synthesis.NotEditable) as refused:  # an autosave of a typo fixed, in the window
        synthesis.save_answers(student, qs, {q.pk: "Because weights scale inputs." for q in qs.questions.all()})
    told = str(refused.value)
    assert "late work" not in told and "resubmission your TA asked for, on time" in told
    assert deadlines.describe_moment(item.resubmit_by) in told
    again = hand_in(student)  # and what it said is what happens
    assert (again.late, again.days_late) == (False, 0)
    window_ended(again, 0.5)
    with pytest.raises(synthesis.NotEditable, match="count as late work"):
        synthesis.save_answers(student, qs, {q.pk: "Changed once more." for q in qs.questions.all()})


def test_a_save_refused_after_the_lock_date_says_the_task_closed_not_submit_again(bank):
    bank.late_policy = Assignment.CLOSE
    bank.save()
    student = make_student()
    hand_in(student)  # on time
    due_ago(bank, 2.5)
    bank.lock_at = timezone.now() - timedelta(hours=1)
    bank.save()
    qs = QuestionSet.objects.get(page__slug=SETS[0])
    changed = {q.pk: "Changed after the lock date." for q in qs.questions.all()}
    for submit in (False, True):  # an autosave, and pressing submit: the same true message
        with pytest.raises(synthesis.NotEditable) as refused:
            synthesis.save_answers(student, qs, changed, submit=submit)
        assert "closed on" in str(refused.value) and "submit again" not in str(refused.value)


def test_a_save_refused_in_the_window_says_how_late_a_hand_in_would_be_now_and_at_most(bank):
    student = make_student()
    due_ago(bank, 2.5)
    first = hand_in(student)  # 3 days late
    due_ago(bank, 4.5)
    request_resubmission(first)
    resubmitted = hand_in(student)  # in the window: as late as the version it replaces
    assert (resubmitted.late, resubmitted.days_late) == (True, 3)
    # An extension to five hours ago: handed in now it would be 1 day late, and 3 at most in the window.
    deadlines.grant_extension(make_ta("staff"), bank, timezone.now() - timedelta(hours=5), student=student)
    qs = QuestionSet.objects.get(page__slug=SETS[0])
    with pytest.raises(synthesis.NotEditable) as refused:
        synthesis.save_answers(student, qs, {q.pk: "A typo fixed." for q in qs.questions.all()})
    assert "1 day late if handed in now, never more than 3" in str(refused.value)
    again = hand_in(student)
    assert (again.late, again.days_late) == (True, 1)


def test_a_synthesis_resubmission_handed_in_again_after_the_window_is_late_by_the_days_past_it(bank):
    student = make_student()
    due_ago(bank, 0.5)
    first = hand_in(student)  # 1 day late
    due_ago(bank, 6.5)
    request_resubmission(first)
    resubmitted = hand_in(student)
    assert (resubmitted.days_late, resubmitted.late_days_used) == (1, 1)
    # As if handed in half a day before the window ended, 1.5 days ago.
    SynthesisResponse.objects.filter(pk=first.pk).update(resubmit_by=timezone.now() - timedelta(days=1.5),
                                                         submitted_at=timezone.now() - timedelta(days=2))
    again = hand_in(student)
    assert (again.late, again.days_late, again.late_days_used) == (True, 3, 3)  # 1 + 2 past the window, not 7
    assert late_days.remaining(student) == 0


def test_a_synthesis_resubmission_handed_in_again_past_the_lock_date_is_accepted_only_in_the_window(bank, settings):
    settings.RESUBMISSION_DAYS = 7
    bank.late_policy = Assignment.CLOSE
    bank.save()
    student = make_student()
    hand_in(student)
    due_ago(bank, 2.5)
    bank.lock_at = timezone.now() - timedelta(hours=1)
    bank.save()
    qs = QuestionSet.objects.get(page__slug=SETS[0])
    request_resubmission(SynthesisResponse.objects.get(student=student, question_set=qs))
    hand_in(student)
    assert synthesis.closed_to(student, qs) == ""
    again = hand_in(student)  # past the lock date, in the window: accepted, judged as the request said
    assert (again.status, again.late, again.days_late) == ("submitted", False, 0)
    SynthesisResponse.objects.filter(pk=again.pk).update(resubmit_by=timezone.now() - timedelta(hours=1),
                                                         submitted_at=timezone.now() - timedelta(hours=2))
    assert "closed" in synthesis.closed_to(student, qs)
    with pytest.raises(synthesis.TaskClosed):
        hand_in(student)


def test_an_essay_set_resubmitted_again_in_the_window_is_judged_as_the_request_said(essay_bank):
    student = make_student()
    first = submit_essays(student)
    due_ago(essay_bank, 2.5)
    request_resubmission(first)
    submit_essays(student)
    third = submit_essays(student)  # a typo fixed, still in the window
    assert (third.version, third.late, third.days_late, third.late_days_used) == (3, False, 0, 0)
    assert late_days.remaining(student) == 3


def test_an_essay_set_resubmitted_again_after_the_window_is_late_by_the_days_past_it(essay_bank):
    student = make_student()
    due_ago(essay_bank, 0.5)
    first = submit_essays(student)  # 1 day late
    due_ago(essay_bank, 6.5)
    request_resubmission(first)
    second = submit_essays(student)
    assert (second.days_late, second.late_days_used) == (1, 1)
    window_ended(first, 1.5)
    third = submit_essays(student)
    assert (third.late, third.days_late, third.late_days_used) == (True, 3, 3)  # 1 + 2 past the window, not 7
    assert late_days.remaining(student) == 0


def test_an_essay_set_resubmitted_again_past_the_lock_date_is_accepted_only_in_the_window(essay_bank, settings):
    settings.RESUBMISSION_DAYS = 7
    student = make_student()
    first = submit_essays(student)
    due_ago(essay_bank, 2.5)
    essay_bank.late_policy, essay_bank.lock_at = Assignment.CLOSE, timezone.now() - timedelta(hours=1)
    essay_bank.save()
    request_resubmission(first)
    submit_essays(student)
    assert essays.closed_to(student) == ""
    third = submit_essays(student)  # past the lock date, in the window: accepted, judged as the request said
    assert (third.version, third.late, third.days_late) == (3, False, 0)
    window_ended(first, 0.1)
    assert "closed" in essays.closed_to(student)
    with pytest.raises(essays.TaskClosed):
        submit_essays(student)
