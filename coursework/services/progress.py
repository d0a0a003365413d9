"""A student's own progress: every task, its status, score, review, due date (with any
extension) and what is left. A fixed handful of queries, whatever the class size and
however much work the student has handed in."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.urls import reverse

from ..models import (Appeal, Assignment, EssaySubmission, QuestionSet, RubricCriterion, Submission,
                      SynthesisResponse)
from ..states import ReviewStatus, SubmissionStatus
from . import appeals as appeal_service
from . import deadlines, disclosure, late_days, publishing, rubrics
from .credit import Credit
from .credit import for_item as credit_for

LEFT = {
    None: "Answer the questions and submit them",
    ReviewStatus.DRAFT: "Finish your draft and submit it",
    ReviewStatus.SUBMITTED: "Nothing: waiting for your TA's review",
    ReviewStatus.RESUBMIT: "Revise your work as your TA asks and submit it again",
    ReviewStatus.REVIEWED: "Nothing: done",
}


@dataclass
class Row:
    task: str
    kind: str
    url: str
    status: str  # the status key, for its colour
    status_label: str
    left: str
    due: datetime | None = None
    extended: bool = False
    late: bool = False
    days_late: int = 0
    credit: Credit | None = None  # the figure that counts and its parts (coursework.services.credit)
    item: object = None  # the reviewed work, for its per-criterion scores
    rubric_changed: bool = False
    appeal: Appeal | None = None
    optional: bool = False
    handed_in: bool = False
    finished: bool = False  # reviewed, or graded


@dataclass
class LateDayBank:
    allowance: int
    spent: list[tuple[str, int]]  # (task title, days spent on it)

    @property
    def left(self) -> int:
        return max(0, self.allowance - sum(days for _, days in self.spent))


@dataclass
class Progress:
    rows: list[Row]
    terms: dict[str, deadlines.Terms] = field(default_factory=dict)  # kind -> the student's terms
    project: str = ""  # "notebook", "essays" or "" (not started)
    late_days: LateDayBank | None = None  # None: the course has no late-day bank

    def _required(self) -> list[Row]:
        """The required synthesis sets, and the one project (the notebook or the essays) as one piece."""
        sets = [r for r in self.rows if r.kind == Assignment.SYNTHESIS and not r.optional]
        project = [r for r in self.rows if r.kind == (self.project or Assignment.NOTEBOOK)]
        return sets + project

    @property
    def required(self) -> int:
        return len(self._required())

    @property
    def handed_in(self) -> int:
        return sum(r.handed_in for r in self._required())

    @property
    def finished(self) -> int:
        return sum(r.finished for r in self._required())


def _fingerprints(tasks: dict[str, Assignment]) -> dict[tuple[str, int | None], str]:
    """Each rubric's current fingerprint, by (kind, question set id), from one query."""
    by_scope: dict[tuple[str, int | None], list] = {}
    kinds = {a.pk: kind for kind, a in tasks.items()}
    for c in RubricCriterion.objects.filter(assignment__in=list(tasks.values())).order_by("question_set", "order", "pk"):
        by_scope.setdefault((kinds[c.assignment_id], c.question_set_id), []).append(c)
    out = {}
    for (kind, set_id), criteria in by_scope.items():
        if kind == Assignment.SYNTHESIS and set_id is not None:
            criteria = by_scope.get((kind, None), []) + criteria
        out[(kind, set_id)] = rubrics.fingerprint(criteria)
    return out


def _status_label(item) -> str:
    # A review saved and not published yet (services.publishing): the student's work is still with the TA.
    return "being reviewed" if item.held else item.get_status_display()


def for_student(student) -> Progress:
    tasks = Assignment.objects.unit_tasks()
    terms = deadlines.terms_for_many(student, tasks.values())
    terms_by_kind = {kind: terms[a.pk] for kind, a in tasks.items()}
    prints = _fingerprints({k: a for k, a in tasks.items() if k in (Assignment.ESSAYS, Assignment.SYNTHESIS)})
    latest_appeals = appeal_service.latest_by_item(student)
    types = ContentType.objects.get_for_models(SynthesisResponse, EssaySubmission, Submission)

    def appeal_of(item):
        return latest_appeals.get((types[type(item)].pk, item.pk))

    rows = []
    synthesis_terms = terms_by_kind.get(Assignment.SYNTHESIS)
    responses = {r.question_set_id: r for r in SynthesisResponse.objects.filter(student=student)}
    for qs in QuestionSet.objects.select_related("page").order_by("optional", "page__order"):
        r = publishing.seen_by(responses.get(qs.pk), student)
        status = r.status if r else None
        row = Row(task=qs.page.title, kind=Assignment.SYNTHESIS, optional=qs.optional,
                  url=reverse("question_set", args=[qs.page.slug]), status=status or "none",
                  status_label=_status_label(r) if r else "not started", left=LEFT[status],
                  due=synthesis_terms.due if synthesis_terms else None,
                  extended=bool(synthesis_terms and synthesis_terms.extension))
        if r:
            row.handed_in = r.status != ReviewStatus.DRAFT
            row.finished = r.status == ReviewStatus.REVIEWED
            row.late, row.days_late, row.item, row.appeal = r.late, r.days_late, r, appeal_of(r)
            row.credit = credit_for(r, student, task=tasks.get(Assignment.SYNTHESIS))
            row.rubric_changed = rubrics.changed_since(r, prints.get((Assignment.SYNTHESIS, qs.pk)))
        if qs.optional and not r:
            row.left = "Optional"
        rows.append(row)

    essays = publishing.seen_by(EssaySubmission.objects.filter(student=student).order_by("-version").first(), student)
    notebook = tasks.get(Assignment.NOTEBOOK)
    submissions = Submission.objects.filter(student=student, assignment=notebook) if notebook else Submission.objects.none()
    counted = submissions.counted()
    # Best by what the student may see: before the reveal, the public half (coursework.services.disclosure).
    field = disclosure.ranking_field(student, notebook) if notebook else "accuracy"
    best = counted.filter(**{f"{field}__isnull": False}).order_by(f"-{field}", "created_at").first()
    latest = submissions.order_by("-created_at").first()
    tally = submissions.aggregate(n=Count("pk"), pending=Count("pk", filter=Q(status__in=[SubmissionStatus.QUEUED,
                                                                                          SubmissionStatus.RUNNING])))
    project = "notebook" if latest else "essays" if essays else ""

    essay_terms = terms_by_kind.get(Assignment.ESSAYS)
    row = Row(task="Essays (non-technical project)", kind=Assignment.ESSAYS, url=reverse("essays"),
              status=essays.status if essays else "none",
              status_label=f"version {essays.version}: {_status_label(essays)}" if essays else "not started",
              left=LEFT[essays.status] if essays else "Write three essays, or do the notebook project instead",
              due=essay_terms.due if essay_terms else None, extended=bool(essay_terms and essay_terms.extension))
    if essays:
        row.handed_in, row.finished = True, essays.status == ReviewStatus.REVIEWED
        row.late, row.days_late, row.item, row.appeal = essays.late, essays.days_late, essays, appeal_of(essays)
        row.credit = credit_for(essays, student, task=tasks.get(Assignment.ESSAYS))
        row.rubric_changed = rubrics.changed_since(essays, prints.get((Assignment.ESSAYS, None)))
    elif project == "notebook":
        row.left, row.optional = "Nothing: you are doing the notebook project instead", True
    rows.append(row)

    nb_terms = terms_by_kind.get(Assignment.NOTEBOOK)
    row = Row(task="Notebook (technical project)", kind=Assignment.NOTEBOOK,
              url=reverse("assignment_detail", args=[notebook.slug]) if notebook else "",
              status=latest.status if latest else "none",
              status_label=(f"{tally['n']} upload{'s' if tally['n'] != 1 else ''}; latest {latest.status}"
                            if latest else "nothing uploaded"),
              left="Upload a notebook, or write the essays instead",
              due=nb_terms.due if nb_terms else None, extended=bool(nb_terms and nb_terms.extension))
    row.handed_in, row.finished = latest is not None, best is not None
    if best:
        best.assignment = notebook  # already loaded
        shown = disclosure.shown(best, student)
        row.credit, row.late, row.days_late, row.item = credit_for(best, student, task=notebook), best.late, \
            best.days_late, best
        row.appeal = appeal_of(best)
        row.status_label += (f"; best {shown.accuracy * 100:.2f}% test accuracy" if shown.whole else
                             f"; best {shown.accuracy * 100:.2f}% on the public half of the test set (provisional "
                             "credit: the whole test set counts once the private half is revealed)")
        row.left = ("Nothing: full credit reached" if row.credit.counts >= 1 else
                    f"Optional: your best earns {row.credit.counts * 100:.0f}% of the credit; full credit from "
                    f"{notebook.full_credit_accuracy * 100:.0f}% test accuracy")
    elif tally["pending"]:
        row.left = "Nothing yet: your notebook is being graded"
    elif latest:
        row.left = "Fix your notebook and upload it again (see its feedback page)"
    if not latest and project == "essays":
        row.left, row.optional = "Nothing: you are doing the essays instead", True
    rows.append(row)
    bank = None
    if late_days.allowance():
        titles = {a.pk: a.title for a in tasks.values()}
        spent = late_days.spent(student)
        bank = LateDayBank(late_days.allowance(), [(titles.get(pk, "another task"), days) for pk, days in spent.items()])
    return Progress(rows=rows, terms=terms_by_kind, project=project, late_days=bank)
