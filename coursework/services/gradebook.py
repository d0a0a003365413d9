"""Grades in columns an LMS can import, and one student's history in time order."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q

from ..models import Assignment, AuditEvent, EssaySubmission, QuestionSet, Submission, SynthesisResponse
from ..states import ReviewStatus, SubmissionStatus
from .deadlines import penalised, penalty_factor


class UnknownTask(LookupError):
    """No task has this slug."""

BASE = ["username", "email", "display_name", "group"]
SYNTHESIS_TOTALS = ["synthesis_sets_submitted", "synthesis_sets_reviewed", "synthesis_score", "synthesis_max",
                    "synthesis_late"]
ESSAYS = ["essays_version", "essays_status", "essays_score", "essays_max", "essays_score_before_penalty",
          "essays_days_late", "essays_late"]
NOTEBOOK = ["notebook_best_accuracy", "notebook_score", "notebook_submissions", "notebook_late"]
# A reviewed item with no score on purpose: the cell says so rather than looking forgotten.
FEEDBACK_ONLY = "feedback only"


def _students():
    return (get_user_model().objects.filter(is_staff=False, is_active=True).select_related("profile__group")
            .order_by("username"))


def set_column(question_set) -> str:
    return f"synthesis_{question_set.page.slug}_score"


def rows() -> tuple[list[str], list[list]]:
    """One row per student, every review's score in it (after any late penalty); a handful
    of queries whatever the class size."""
    tasks = {a.kind: a for a in Assignment.objects.all()}
    synthesis_task, essays_task, notebook = (tasks.get(k) for k in (Assignment.SYNTHESIS, Assignment.ESSAYS,
                                                                    Assignment.NOTEBOOK))
    sets = list(QuestionSet.objects.filter(optional=False).select_related("page").order_by("page__order"))
    header = BASE + [set_column(qs) for qs in sets] + SYNTHESIS_TOTALS + ESSAYS + NOTEBOOK + ["project"]

    synthesis: dict[int, dict] = {}
    for r in SynthesisResponse.objects.filter(question_set__optional=False).values(
            "student", "question_set", "status", "score", "max_score", "feedback_only", "days_late", "late"):
        mine = synthesis.setdefault(r["student"], {"sets": {}, "submitted": 0, "reviewed": 0, "score": None,
                                                   "max": None, "late": False})
        if r["status"] != ReviewStatus.DRAFT:
            mine["submitted"] += 1
        mine["late"] |= r["late"]
        if r["status"] == ReviewStatus.REVIEWED:
            mine["reviewed"] += 1
            if r["feedback_only"] or r["score"] is None:
                mine["sets"][r["question_set"]] = FEEDBACK_ONLY
            else:
                score = r["score"] * penalty_factor(synthesis_task, r["days_late"])
                mine["sets"][r["question_set"]] = _num(score)
                mine["score"] = (mine["score"] or 0) + score
                mine["max"] = (mine["max"] or 0) + (r["max_score"] or 0)

    latest_essays = {}
    for essay in EssaySubmission.objects.order_by("student", "-version").only(
            "student_id", "version", "status", "score", "max_score", "feedback_only", "late", "days_late"):
        latest_essays.setdefault(essay.student_id, essay)

    best, totals, late_best = {}, {}, set()
    if notebook:
        counted = Submission.objects.filter(assignment=notebook, status=SubmissionStatus.GRADED).filter(
            Q(flagged=False) | Q(flag_resolution="cleared"))
        best = {r["student"]: r for r in counted.values("student").annotate(
            accuracy=Max("accuracy"), score=Max(penalised(notebook)))}
        totals = dict(Submission.objects.filter(assignment=notebook).values("student").annotate(n=Count("pk"))
                      .values_list("student", "n"))
        late_best = set(counted.filter(late=True).values_list("student", flat=True))

    out = []
    for student in _students():
        profile = getattr(student, "profile", None)
        s = synthesis.get(student.pk, {"sets": {}, "submitted": 0, "reviewed": 0, "score": None, "max": None,
                                       "late": False})
        e = latest_essays.get(student.pk)
        b = best.get(student.pk, {})
        project = "notebook" if b else "essays" if e else ""
        out.append([
            student.get_username(), student.email, profile.display_name if profile else "",
            profile.group.name if profile and profile.group else "",
            *[s["sets"].get(qs.pk, "") for qs in sets],
            f"{s['submitted']}/{len(sets)}", s["reviewed"], _num(s["score"]), _num(s["max"]),
            "yes" if s["late"] else "no",
            *(_essay_cells(e, essays_task) if e else ["", "", "", "", "", "", ""]),
            _num(b.get("accuracy"), 6), _num(b.get("score"), 4), totals.get(student.pk, 0) if notebook else 0,
            ("yes" if student.pk in late_best else "no") if b else "", project,
        ])
    return header, out


def _essay_cells(e, task) -> list:
    reviewed = e.status == ReviewStatus.REVIEWED
    if reviewed and (e.feedback_only or e.score is None):
        score = before = FEEDBACK_ONLY
    elif reviewed:
        score, before = _num(e.score * penalty_factor(task, e.days_late)), _num(e.score)
    else:
        score = before = ""
    return [e.version, e.status, score, _num(e.max_score) if reviewed else "", before, e.days_late,
            "yes" if e.late else "no"]


def _num(value, digits=2):
    return "" if value is None else round(float(value), digits)


def task_rows(slug: str) -> tuple[list[str], list[list]]:
    """One task's columns only (plus who the student is)."""
    header, everything = rows()
    kind = Assignment.objects.filter(slug=slug).values_list("kind", flat=True).first()
    prefix = {Assignment.NOTEBOOK: "notebook_", Assignment.ESSAYS: "essays_", Assignment.SYNTHESIS: "synthesis_"}.get(kind)
    if prefix is None:
        raise UnknownTask(slug)
    keep = [i for i, name in enumerate(header) if i < len(BASE) or name.startswith(prefix)]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in everything]


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
