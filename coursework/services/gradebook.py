"""Grades in columns an LMS can import, and one student's history in time order."""
from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Max, Q

from ..models import COUNTED, Assignment, AuditEvent, EssaySubmission, QuestionSet, Submission, SynthesisResponse
from ..states import ReviewStatus
from . import credit
from .deadlines import penalised


class UnknownTask(LookupError):
    """No task has this slug."""


BASE = ["username", "email", "display_name", "group"]
# Counts in columns of their own: a cell "2/2" is read as a date by spreadsheets.
SYNTHESIS_TOTALS = ["synthesis_sets_submitted", "synthesis_sets_required", "synthesis_sets_reviewed", "synthesis_score",
                    "synthesis_max", "synthesis_late"]
ESSAYS = ["essays_version", "essays_status", "essays_score", "essays_max", "essays_score_before_penalty",
          "essays_days_late", "essays_late"]
# notebook_score is the best run after any late penalty; the two after it are that run's.
NOTEBOOK = ["notebook_best_accuracy", "notebook_score", "notebook_score_before_penalty", "notebook_days_late",
            "notebook_submissions", "notebook_late"]
# A reviewed item with no score on purpose: the cell says so rather than looking forgotten.
FEEDBACK_ONLY = "feedback only"

# Students are read this many at a time, each batch with its own handful of grouped
# queries, so the export's memory and its time to the first row do not grow with the class.
BATCH = 1000


def _students():
    return (get_user_model().objects.filter(is_staff=False, is_active=True).select_related("profile__group")
            .only("username", "email", "profile__display_name", "profile__group__name").order_by("username"))


def set_column(question_set) -> str:
    return f"synthesis_{question_set.page.slug}_score"


def rows() -> tuple[list[str], Iterator[list]]:
    """The header, and one row per student in username order, produced batch by batch: every
    review's score in it (after any late penalty)."""
    tasks = Assignment.objects.unit_tasks()
    sets = list(QuestionSet.objects.filter(optional=False).select_related("page").order_by("page__order"))
    header = BASE + [set_column(qs) for qs in sets] + SYNTHESIS_TOTALS + ESSAYS + NOTEBOOK + ["project"]
    return header, _rows(tasks, sets)


def _rows(tasks: dict, sets: list) -> Iterator[list]:
    after = None
    while True:
        batch = _students()
        if after is not None:
            batch = batch.filter(username__gt=after)
        students = list(batch[:BATCH])
        if not students:
            return
        yield from _batch_rows(students, tasks, sets)
        after = students[-1].username


def _synthesis(ids: list[int], task) -> dict[int, dict]:
    """Each student's synthesis sets: the score of each reviewed one (after any penalty), and the totals."""
    out: dict[int, dict] = {}
    for r in SynthesisResponse.objects.filter(question_set__optional=False, student__in=ids).values(
            "student", "question_set", "status", "score", "max_score", "feedback_only", "days_late", "late", "late_days_used"):
        mine = out.setdefault(r["student"], {"sets": {}, "submitted": 0, "reviewed": 0, "score": None, "max": None,
                                             "late": False})
        if r["status"] != ReviewStatus.DRAFT:
            mine["submitted"] += 1
        mine["late"] |= r["late"]
        if r["status"] != ReviewStatus.REVIEWED:
            continue
        mine["reviewed"] += 1
        if r["feedback_only"] or r["score"] is None:
            mine["sets"][r["question_set"]] = FEEDBACK_ONLY
            continue
        score = credit.counts(r["score"], task, r["days_late"], r["late_days_used"])
        mine["sets"][r["question_set"]] = _num(score)
        mine["score"] = (mine["score"] or 0) + score
        mine["max"] = (mine["max"] or 0) + (r["max_score"] or 0)
    return out


def _batch_rows(students: list, tasks: dict, sets: list) -> Iterator[list]:
    ids = [s.pk for s in students]
    notebook = tasks.get(Assignment.NOTEBOOK)
    synthesis = _synthesis(ids, tasks.get(Assignment.SYNTHESIS))
    latest_essays = {}
    for essay in EssaySubmission.objects.filter(student__in=ids).order_by("student", "-version").only(
            "student_id", "version", "status", "score", "max_score", "feedback_only", "late", "days_late",
            "late_days_used"):
        latest_essays.setdefault(essay.student_id, essay)
    notebooks = {}
    if notebook:
        # One pass over the batch's submissions: the best that counts (after any late
        # penalty), how many, whether a counted one was late.
        counts = COUNTED
        notebooks = {r["student"]: r for r in Submission.objects.filter(assignment=notebook, student__in=ids)
                     .values("student").annotate(
                         accuracy=Max("accuracy", filter=counts), score=Max(penalised(notebook), filter=counts),
                         n=Count("pk"), late=Count("pk", filter=counts & Q(late=True)),
                         counted=Count("pk", filter=counts))}
        # The run that counts (the best after the penalty): its own score and lateness, in
        # one more query per batch, picked per student in order.
        for r in (Submission.objects.filter(counts, assignment=notebook, student__in=ids)
                  .annotate(credit=penalised(notebook)).order_by("student", F("credit").desc(nulls_last=True), "pk")
                  .values("student", "score", "days_late")):
            notebooks.get(r["student"], {}).setdefault("best", r)
    empty = {"sets": {}, "submitted": 0, "reviewed": 0, "score": None, "max": None, "late": False}
    for student in students:
        profile = getattr(student, "profile", None)
        s = synthesis.get(student.pk, empty)
        e = latest_essays.get(student.pk)
        n = notebooks.get(student.pk, {})
        b = n if n.get("counted") else {}
        project = "notebook" if b else "essays" if e else ""
        yield [
            student.get_username(), student.email, profile.display_name if profile else "",
            profile.group.name if profile and profile.group else "",
            *[s["sets"].get(qs.pk, "") for qs in sets],
            s["submitted"], len(sets), s["reviewed"], _num(s["score"]), _num(s["max"]),
            "yes" if s["late"] else "no",
            *(_essay_cells(e, tasks.get(Assignment.ESSAYS)) if e else [""] * len(ESSAYS)),
            _num(b.get("accuracy"), 6), _num(b.get("score"), 4), _num(b.get("best", {}).get("score"), 4),
            b.get("best", {}).get("days_late", ""), n.get("n", 0),
            ("yes" if b.get("late") else "no") if b else "", project,
        ]


def _essay_cells(e, task) -> list:
    reviewed = e.status == ReviewStatus.REVIEWED
    if reviewed and (e.feedback_only or e.score is None):
        score = before = FEEDBACK_ONLY
    elif reviewed:
        score, before = _num(credit.counts(e.score, task, e.days_late, e.late_days_used)), _num(e.score)
    else:
        score = before = ""
    return [e.version, e.status, score, _num(e.max_score) if reviewed else "", before, e.days_late,
            "yes" if e.late else "no"]


def _num(value, digits=2):
    return "" if value is None else round(float(value), digits)


def task_rows(slug: str) -> tuple[list[str], Iterator[list]]:
    """One task's columns only (plus who the student is)."""
    kind = Assignment.objects.filter(slug=slug).values_list("kind", flat=True).first()
    prefix = {Assignment.NOTEBOOK: "notebook_", Assignment.ESSAYS: "essays_", Assignment.SYNTHESIS: "synthesis_"}.get(kind)
    if prefix is None:
        raise UnknownTask(slug)
    header, everything = rows()
    keep = [i for i, name in enumerate(header) if i < len(BASE) or name.startswith(prefix)]
    return [header[i] for i in keep], ([row[i] for i in keep] for row in everything)


def timeline(student, viewer=None) -> list[dict]:
    """Everything one student has done, oldest first; each piece of work with the credit that
    counts (coursework.services.credit), as `viewer` may see it."""
    tasks = Assignment.objects.unit_tasks()
    events = []
    for r in SynthesisResponse.objects.filter(student=student).select_related("question_set__page"):
        events.append({"at": r.submitted_at or r.saved_at, "what": f"Synthesis: {r.question_set.page.title}",
                       "status": r.get_status_display(), "late": r.late, "feedback_only": r.feedback_only,
                       "credit": credit.for_item(r, viewer, task=tasks.get(Assignment.SYNTHESIS)),
                       "link": ("ta_review_synthesis", r.pk)})
    for e in EssaySubmission.objects.filter(student=student):
        events.append({"at": e.submitted_at, "what": f"Essays, version {e.version}", "status": e.get_status_display(),
                       "late": e.late, "feedback_only": e.feedback_only,
                       "credit": credit.for_item(e, viewer, task=tasks.get(Assignment.ESSAYS)),
                       "link": ("ta_review_essays", e.pk)})
    for s in Submission.objects.filter(student=student).select_related("assignment"):
        events.append({"at": s.created_at, "what": f"Notebook {s.original_name}",
                       "status": s.status + (" (flagged)" if s.flag_open else ""), "accuracy": s.accuracy,
                       "credit": credit.for_item(s, viewer, task=s.assignment), "late": s.late,
                       "link": ("ta_notebook", s.pk)})
    for a in AuditEvent.objects.filter(student=student).select_related("actor"):
        events.append({"at": a.at, "what": f"{a.action.replace('_', ' ')} by {a.actor}", "status": "", "credit": None,
                       "late": False, "link": None})
    return sorted(events, key=lambda e: e["at"])


def rows_for(user_ids: list[int]) -> dict[int, dict]:
    """The gradebook's cells for these students, by user id and column name: what LTI grade
    passback sends, so the LMS holds the number the export shows."""
    tasks = Assignment.objects.unit_tasks()
    sets = list(QuestionSet.objects.filter(optional=False).select_related("page").order_by("page__order"))
    header = BASE + [set_column(qs) for qs in sets] + SYNTHESIS_TOTALS + ESSAYS + NOTEBOOK + ["project"]
    out = {}
    for start in range(0, len(user_ids), BATCH):
        students = list(_students().filter(pk__in=user_ids[start:start + BATCH]))
        for student, row in zip(students, _batch_rows(students, tasks, sets)):
            out[student.pk] = dict(zip(header, row))
    return out
