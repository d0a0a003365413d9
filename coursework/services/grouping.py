"""A question's answers in groups of similar ones, each group graded at once on the
question's criterion, each member adjustable afterwards (docs/reviews.md, "Grouping similar
answers"). The text work is coursework.services.answer_groups; this module is the course's
side: which answers, what a grade does to each member's review, claims and the audit.

A group grade gives every member an AnswerGrade (points and comment on the question's
criterion), audited per response as "group_grade". When every criterion of a member's set
then has points (from its own earlier review or from group grades), the response is
reviewed with them through reviews.review, exactly as if a TA had typed them: the student
is told, the review is audited, the claim released. Members already graded or reviewed on
that criterion keep their points unless the TA asks to replace them, and the page says how
many were kept; members another TA holds (services.claims) are left alone.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..models import Answer, AnswerGrade, Question, ReviewClaim, RubricCriterion, SynthesisResponse
from ..states import ReviewStatus
from . import reviews, rubrics
from .answer_groups import THRESHOLD, group_texts
from .audit import audit_many

# Answers a TA can grade in a group: handed in and not sent back for a resubmission.
GROUPED_STATUSES = (ReviewStatus.SUBMITTED, ReviewStatus.REVIEWED)
CACHE_SECONDS = 24 * 3600
# More answers than a class has, in one grade: refused before the database is asked.
MAX_GRADED_AT_ONCE = 10_000


@dataclass
class Member:
    answer_id: int
    response_id: int
    text: str
    student: str
    points: float | None  # on the question's criterion: the saved review's, else the group grade's
    reviewed: bool
    held_by: str = ""  # another TA working on the response now


@dataclass
class Wording:
    """One text in a group, with the answers that say it word for word: a TA may leave it out
    of the group's grade (grouping can join answers a deciding word the strata do not know
    sets apart)."""

    text: str
    answer_ids: list[int]

    @property
    def ids(self) -> str:
        return ",".join(map(str, self.answer_ids))


class ListsWordings:
    """A group whose page lists its first wordings (``wordings_shown``), each with a tick box."""

    wordings: list
    wordings_shown: list

    @property
    def wordings_unshown(self) -> int:
        return len(self.wordings) - len(self.wordings_shown)

    @property
    def unshown_ids(self) -> str:
        """The items of the wordings a page does not list: graded with the group (the page
        says so and links to the group alone, where every wording can be left out)."""
        return ",".join(w.ids for w in self.wordings[len(self.wordings_shown):])


@dataclass
class Group(ListsWordings):
    number: int
    members: list[Member] = field(default_factory=list)
    shown: list[Member] = field(default_factory=list)  # the members a page lists
    wordings_shown: list[Wording] = field(default_factory=list)  # the wordings a page lists, each with a tick box

    @cached_property
    def wordings(self) -> list[Wording]:
        """Its texts, the most answers first."""
        by_text: dict[str, list[int]] = {}
        for m in self.members:
            by_text.setdefault(m.text, []).append(m.answer_id)
        return [Wording(text, ids) for text, ids in sorted(by_text.items(), key=lambda kv: -len(kv[1]))]

    @property
    def ids(self) -> str:
        return ",".join(str(m.answer_id) for m in self.members)

    @property
    def tally(self) -> list[tuple[float | None, int]]:
        return tally(m.points for m in self.members)


def tally(points) -> list[tuple[float | None, int]]:
    """How many members have which points on the criterion (None: not graded yet), most first."""
    counts: dict[float | None, int] = {}
    for value in points:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda kv: (kv[0] is None, -(kv[0] or 0)))


def criterion_for(question: Question, criteria) -> RubricCriterion | None:
    """The criterion that scores this question: the suggested rubric names it after the
    question's order and copies its text (rubrics.default_criteria)."""
    names = {f"Question {question.order}", f"Bonus question {question.order}"}
    return next((c for c in criteria if c.name in names), None) or next(
        (c for c in criteria if c.description.strip() and c.description.strip() == question.text[:2000].strip()), None)


def _answers(question: Question) -> list[dict]:
    # Plain rows, not model instances: a class of 2,000 would build 8,000 objects a view.
    return list(Answer.objects.filter(question=question, response__status__in=GROUPED_STATUSES).values(
        "pk", "text", "response_id", "response__status", "response__rubric", "response__student__username",
        "response__student__profile__display_name", "grade__points", "grade__criterion_id").order_by("pk"))


def _grouped_ids(answers) -> list[list[int]]:
    """Groups of answer ids. Cached under a digest of every answer's id and text, so an
    edited or new answer regroups the question and nothing else ever has to clear it
    (grouping 2,000 answers takes about a second: benchmarks/answer_groups.py)."""
    digest = hashlib.sha1(json.dumps([THRESHOLD, [(a["pk"], a["text"]) for a in answers]]).encode()).hexdigest()
    key = f"answer-groups:{digest}"
    ids = cache.get(key)
    if ids is None:
        ids = [[answers[i]["pk"] for i in g] for g in group_texts([a["text"] for a in answers])]
        cache.set(key, ids, CACHE_SECONDS)
    return ids


def held_by_others(ta, model, ids) -> dict[int, str]:
    """The items of `model` among `ids` another TA holds now (services.claims), with who."""
    kind = ContentType.objects.get_for_model(model)
    live = (ReviewClaim.objects.filter(target_type=kind, target_id__in=ids, expires_at__gt=timezone.now())
            .exclude(holder=ta).select_related("holder__profile"))
    return {c.target_id: reviews.person(c.holder) for c in live}


def reviewed_points(status, rubric, criterion) -> float | None:
    """The points a saved review gave on `criterion` (None: not reviewed, or no points on it)."""
    if criterion is None or status != ReviewStatus.REVIEWED:
        return None
    row = next((r for r in (rubric or {}).get("criteria", []) if r.get("id") == criterion.pk), None)
    return row.get("points") if row is not None else None


def _points(status, rubric, grade_points, grade_criterion_id, criterion) -> float | None:
    """Points on `criterion`: the saved review's, else the group grade's."""
    if criterion is None:
        return None
    reviewed = reviewed_points(status, rubric, criterion)
    if reviewed is not None:
        return reviewed
    return grade_points if grade_criterion_id == criterion.pk else None


def _points_on(response: SynthesisResponse, answer: Answer, criterion: RubricCriterion) -> float | None:
    """The same for a locked response and its answer (loaded with select_related("grade"))."""
    try:
        grade = answer.grade
    except AnswerGrade.DoesNotExist:
        grade = None
    return _points(response.status, response.rubric, grade and grade.points, grade and grade.criterion_id, criterion)


def _graded_on_another(answer: Answer, criterion: RubricCriterion) -> bool:
    """An answer holds one group grade: one given on another criterion (a set-wide one picked
    from this question's page, say) is kept unless the TA replaces it, never lost unseen."""
    try:
        return answer.grade.criterion_id != criterion.pk
    except AnswerGrade.DoesNotExist:
        return False


def groups_for(question: Question, ta, criterion: RubricCriterion | None) -> list[Group]:
    """The question's handed-in answers in groups of similar ones, largest first."""
    answers = _answers(question)
    by_id = {a["pk"]: a for a in answers}
    held = held_by_others(ta, SynthesisResponse, [a["response_id"] for a in answers])
    groups = []
    for number, ids in enumerate(_grouped_ids(answers), start=1):
        group = Group(number)
        for pk in ids:
            a = by_id[pk]
            status = a["response__status"]
            group.members.append(Member(
                pk, a["response_id"], a["text"],
                a["response__student__profile__display_name"] or a["response__student__username"],
                _points(status, a["response__rubric"], a["grade__points"], a["grade__criterion_id"], criterion),
                status == ReviewStatus.REVIEWED, held.get(a["response_id"], "")))
        groups.append(group)
    return groups


@dataclass
class Outcome:
    graded: int = 0
    reviews_completed: int = 0
    kept: int = 0  # already reviewed, or graded on this criterion, and not to be replaced
    held: int = 0  # another TA holds them
    gone: int = 0  # no longer handed in (sent back, or not this question's)
    left_out: int = 0  # with another passage in a wording the TA left out of the grade (passages only)


class GradeRefused(ValueError):
    pass


def check_grade(criteria, criterion: RubricCriterion, points: float, comment: str, count: int, what: str) -> None:
    """GradeRefused unless `criterion` is in the rubric and takes these points and comment, for
    `count` items (`what`: "answers", "passages") at most MAX_GRADED_AT_ONCE."""
    if criterion.pk not in {c.pk for c in criteria}:
        raise GradeRefused("That criterion is not in this rubric.")
    errors = rubrics.check_marks([criterion], {criterion.pk: rubrics.Mark(points, comment)}, feedback_only=False)
    if errors:
        raise GradeRefused(" ".join(errors.values()))
    if count == 0:
        raise GradeRefused(f"No {what} were chosen: tick at least one wording.")
    if count > MAX_GRADED_AT_ONCE:
        raise GradeRefused(f"At most {MAX_GRADED_AT_ONCE:,} {what} can be graded at once.")


def grade(ta, question: Question, answer_ids, criterion: RubricCriterion, points: float, comment: str = "",
          replace: bool = False) -> Outcome:
    """Give `points` (and `comment`) on `criterion` to each of these answers to `question`."""
    criteria = rubrics.criteria_for(SynthesisResponse(question_set=question.question_set))
    answer_ids = {int(pk) for pk in answer_ids}
    check_grade(criteria, criterion, points, comment, len(answer_ids), "answers")
    outcome = Outcome()
    finished = []
    with transaction.atomic():
        answers = list(Answer.objects.filter(pk__in=answer_ids, question=question).select_related("response", "grade"))
        responses = {r.pk: r for r in SynthesisResponse.objects.select_for_update().filter(
            pk__in=[a.response_id for a in answers], status__in=GROUPED_STATUSES)}
        held = held_by_others(ta, SynthesisResponse, list(responses))
        outcome.gone = len(answer_ids) - len([a for a in answers if a.response_id in responses])
        to_grade = []
        for a in answers:
            response = responses.get(a.response_id)
            if response is None:
                continue
            if a.response_id in held:
                outcome.held += 1
            elif not replace and (response.status == ReviewStatus.REVIEWED
                                  or _points_on(response, a, criterion) is not None
                                  or _graded_on_another(a, criterion)):
                # A saved review, even one without points on this criterion (feedback only), is
                # a TA's decision: replaced only when asked.
                outcome.kept += 1
            else:
                to_grade.append((a, response))
        before = {a.pk: _points_on(r, a, criterion) for a, r in to_grade}
        AnswerGrade.objects.filter(answer__in=[a for a, _ in to_grade]).delete()
        AnswerGrade.objects.bulk_create([AnswerGrade(answer=a, criterion=criterion, points=points, comment=comment,
                                                     graded_by=ta) for a, _ in to_grade])
        group_of = {r.pk: a for a, r in to_grade}
        audit_many(ta, "group_grade", [r for _, r in to_grade], lambda r: {
            "question": question.order, "criterion": criterion.name, "before": before[group_of[r.pk].pk],
            "after": points, "comment": comment, "group_size": len(answer_ids)})
        outcome.graded = len(to_grade)
        finished = _complete([r for _, r in to_grade], criteria)
        for response, marks in finished:
            reviews.review(response, ta, marks, response.ta_feedback)
    outcome.reviews_completed = len(finished)
    return outcome


def _complete(responses, criteria) -> list[tuple[SynthesisResponse, dict]]:
    """The responses whose every scored criterion now has points, with their marks."""
    reviewed_at = {r.pk: r.reviewed_at for r in responses}
    grades: dict[int, dict[int, rubrics.Mark]] = {}
    for g in AnswerGrade.objects.filter(answer__response__in=responses).select_related("answer"):
        # A grade older than the response's review is in it already, or was changed there by a TA.
        if reviewed_at[g.answer.response_id] is None or g.graded_at > reviewed_at[g.answer.response_id]:
            grades.setdefault(g.answer.response_id, {})[g.criterion_id] = rubrics.Mark(g.points, g.comment)
    return completed(responses, criteria, grades)


def completed(items, criteria, grades: dict[int, dict[int, rubrics.Mark]]) -> list[tuple[object, dict]]:
    """The items (reviewed work) whose every scored criterion has points once their group
    grades (`grades`: item pk -> criterion pk -> mark) are added to their saved review's
    points, with those marks: each is ready for reviews.review."""
    out = []
    for item in items:
        marks = rubrics.marks_of(item) if item.status == ReviewStatus.REVIEWED else {}
        marks = {pk: m for pk, m in marks.items() if m.points is not None}
        marks.update(grades.get(item.pk, {}))
        if all(c.bonus or c.deduction or c.pk in marks for c in criteria):  # an empty deduction takes nothing
            out.append((item, marks))
    return out


def marks_for(response: SynthesisResponse) -> dict[int, rubrics.Mark]:
    """Group grades of a response's answers, to fill its review form."""
    return {g.criterion_id: rubrics.Mark(g.points, g.comment)
            for g in AnswerGrade.objects.filter(answer__response=response)}
