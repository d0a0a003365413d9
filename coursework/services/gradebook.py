"""Grades in columns an LMS can import, and one student's history in time order."""
from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q, Sum

from ..models import Assignment, AuditEvent, EssaySubmission, QuestionSet, Submission, SynthesisResponse
from ..states import ReviewStatus, SubmissionStatus


class UnknownTask(LookupError):
    """No task has this slug."""

HEADER = ["username", "email", "display_name", "group",
          "synthesis_sets_submitted", "synthesis_sets_reviewed", "synthesis_score", "synthesis_late",
          "essays_version", "essays_status", "essays_score", "essays_late",
          "notebook_best_accuracy", "notebook_score", "notebook_submissions", "notebook_late", "project"]


# Students are read this many at a time, each batch with its own handful of grouped
# queries, so the export's memory and its time to the first row do not grow with the class.
BATCH = 1000


def _students():
    return (get_user_model().objects.filter(is_staff=False, is_active=True).select_related("profile__group")
            .only("username", "email", "profile__display_name", "profile__group__name").order_by("username"))


def rows() -> tuple[list[str], Iterator[list]]:
    """The header, and one row per student in username order, produced batch by batch."""
    return HEADER, _rows()


def _rows() -> Iterator[list]:
    required_sets = QuestionSet.objects.filter(optional=False).count()
    notebook = Assignment.objects.the(Assignment.NOTEBOOK)
    after = None
    while True:
        batch = _students()
        if after is not None:
            batch = batch.filter(username__gt=after)
        students = list(batch[:BATCH])
        if not students:
            return
        yield from _batch_rows(students, required_sets, notebook)
        after = students[-1].username


def _batch_rows(students: list, required_sets: int, notebook) -> Iterator[list]:
    ids = [s.pk for s in students]
    synthesis = {r["student"]: r for r in SynthesisResponse.objects.filter(question_set__optional=False, student__in=ids)
                 .values("student").annotate(
                     submitted=Count("pk", filter=~Q(status=ReviewStatus.DRAFT)),
                     reviewed=Count("pk", filter=Q(status=ReviewStatus.REVIEWED)),
                     score=Sum("score"), late=Count("pk", filter=Q(late=True)))}
    latest_essays = {}
    for essay in EssaySubmission.objects.filter(student__in=ids).order_by("student", "-version").only(
            "student_id", "version", "status", "score", "late"):
        latest_essays.setdefault(essay.student_id, essay)
    notebooks = {}
    if notebook:
        # One pass over the batch's submissions: the best that counts, how many, whether the counted one was late.
        counts = Q(status=SubmissionStatus.GRADED) & (Q(flagged=False) | Q(flag_resolution="cleared"))
        notebooks = {r["student"]: r for r in Submission.objects.filter(assignment=notebook, student__in=ids)
                     .values("student").annotate(
                         accuracy=Max("accuracy", filter=counts), score=Max("score", filter=counts), n=Count("pk"),
                         late=Count("pk", filter=counts & Q(late=True)), counted=Count("pk", filter=counts))}
    for student in students:
        profile = getattr(student, "profile", None)
        s = synthesis.get(student.pk, {})
        e = latest_essays.get(student.pk)
        n = notebooks.get(student.pk, {})
        b = n if n.get("counted") else {}
        project = "notebook" if b else "essays" if e else ""
        yield [
            student.get_username(), student.email, profile.display_name if profile else "",
            profile.group.name if profile and profile.group else "",
            f"{s.get('submitted', 0)}/{required_sets}", s.get("reviewed", 0), _num(s.get("score")), "yes" if s.get("late") else "no",
            e.version if e else "", e.status if e else "", _num(e.score) if e else "", ("yes" if e.late else "no") if e else "",
            _num(b.get("accuracy"), 6), _num(b.get("score"), 4), n.get("n", 0),
            ("yes" if b.get("late") else "no") if b else "", project,
        ]


def _num(value, digits=2):
    return "" if value is None else round(float(value), digits)


def task_rows(slug: str) -> tuple[list[str], Iterator[list]]:
    """One task's columns only (plus who the student is)."""
    kind = Assignment.objects.filter(slug=slug).values_list("kind", flat=True).first()
    prefix = {Assignment.NOTEBOOK: "notebook_", Assignment.ESSAYS: "essays_", Assignment.SYNTHESIS: "synthesis_"}.get(kind)
    if prefix is None:
        raise UnknownTask(slug)
    header, everything = rows()
    keep = [i for i, name in enumerate(header) if i < 4 or name.startswith(prefix)]
    return [header[i] for i in keep], ([row[i] for i in keep] for row in everything)


def timeline(student) -> list[dict]:
    """Everything one student has done, oldest first."""
    events = []
    for r in SynthesisResponse.objects.filter(student=student).select_related("question_set__page"):
        events.append({"at": r.submitted_at or r.saved_at, "what": f"Synthesis: {r.question_set.page.title}",
                       "status": r.get_status_display(), "grade": r.score, "late": r.late,
                       "link": ("ta_review_synthesis", r.pk)})
    for e in EssaySubmission.objects.filter(student=student):
        events.append({"at": e.submitted_at, "what": f"Essays, version {e.version}", "status": e.get_status_display(),
                       "grade": e.score, "late": e.late, "link": ("ta_review_essays", e.pk)})
    for s in Submission.objects.filter(student=student).select_related("assignment"):
        events.append({"at": s.created_at, "what": f"Notebook {s.original_name}",
                       "status": s.status + (" (flagged)" if s.flag_open else ""),
                       "grade": s.accuracy, "late": s.late, "link": ("ta_notebook", s.pk)})
    for a in AuditEvent.objects.filter(student=student).select_related("actor"):
        events.append({"at": a.at, "what": f"{a.action.replace('_', ' ')} by {a.actor}", "status": "", "grade": None,
                       "late": False, "link": None})
    return sorted(events, key=lambda e: e["at"])
