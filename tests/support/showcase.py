"""A course with something on every page: run inside the stack's database with
`manage.py shell -c "from tests.support.showcase import populate; populate()"` after
seed_demo (and after the demo student's notebooks were graded). Prints, as JSON, the ids
the pages need.

The demo student has a reviewed synthesis set (with an appeal on it, answered), a
reviewed essay set (with an open appeal), a draft synthesis set, an extension; a second
student, "bob", hands in work like the demo student's, so the similarity pages have pairs.
"""
import json
from datetime import timedelta

from django.contrib.auth.models import User

from coursework.models import (Answer, Assignment, Essay, EssayPrompt, EssaySubmission, Profile, QuestionSet,
                               RubricCriterion, StudyGroup, SynthesisResponse)
from coursework.services import appeals, deadlines, reviews, rubrics
from tests.support.essays import ESSAY

ANSWER = "Each neuron holds a number; the weights say how much the neuron before it matters."


def _reviewed(item, ta, feedback: str):
    marks = {c.pk: rubrics.Mark(points=float(c.max_points), comment="Clear.") for c in rubrics.criteria_for(item)}
    return reviews.review(item, ta, marks, feedback)


def _essays(student, version=1):
    submission = EssaySubmission.objects.create(student=student, version=version, status="submitted")
    for prompt in EssayPrompt.objects.order_by("order")[:3]:
        Essay.objects.create(submission=submission, prompt=prompt, text="## My argument\n\n" + ESSAY,
                             meaningful_words=240)
    return submission


def _synthesis(student, question_set, status="submitted"):
    from django.utils import timezone

    response = SynthesisResponse.objects.create(student=student, question_set=question_set, status=status,
                                                submitted_at=timezone.now() if status == "submitted" else None)
    for q in question_set.questions.all():
        Answer.objects.create(response=response, question=q, text=ANSWER)
    return response


def populate() -> dict:
    student, ta = User.objects.get(username="student"), User.objects.get(username="ta")
    group = StudyGroup.objects.get(name="Group A")
    bob, _ = User.objects.get_or_create(username="bob")
    Profile.objects.get_or_create(user=bob, defaults={"display_name": "Bob B.", "leaderboard_alias": "bobcat",
                                                      "group": group})
    sets = list(QuestionSet.objects.order_by("pk"))
    reviewed = _reviewed(_synthesis(student, sets[0]), ta, "Good answers; the second could say why.")
    _synthesis(student, sets[1], status="draft")
    _synthesis(bob, sets[0])
    answered = appeals.file(student, reviewed, "The second answer does say why.", appeals.state_of(reviewed)["token"])
    appeals.answer(ta, answered, "You are right: it does, in its last sentence.", "unchanged")
    essays = _reviewed(_essays(student), ta, "A clear argument.")
    open_appeal = appeals.file(student, essays, "Please read the second essay again.", appeals.state_of(essays)["token"])
    bob_essays = _essays(bob)
    mnist = Assignment.objects.get(slug="mnist")
    deadlines.grant_extension(ta, mnist, mnist.due_at + timedelta(days=3), student=student, reason="Ill for two days")
    ids = {
        "student": student.pk, "bob": bob.pk, "group": group.pk, "reviewed_synthesis": reviewed.pk,
        "bob_synthesis": SynthesisResponse.objects.get(student=bob).pk, "essays": essays.pk,
        "bob_essays": bob_essays.pk, "appeal": open_appeal.pk, "answered_appeal": answered.pk,
        "criterion": RubricCriterion.objects.order_by("pk").first().pk,
        "question_sets": [qs.page.slug for qs in sets],
    }
    print(json.dumps(ids))
    return ids
