"""Rubrics: the criteria staff score work against, their levels and comment banks, the
defaults seeded from the unit's own rules, and the snapshot a review keeps.

The essays have one rubric (criteria of the essays task). Synthesis answers have one
rubric per question set (criteria with that set), plus any criteria of the synthesis
task without a set, which apply to every set. A review stores a snapshot of the rubric
as it was with its points and comments (Reviewed.rubric), so a later edit of the rubric
never changes a review already given; `changed_since` tells when the two differ.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, Prefetch, Q

from ..models import Assignment, EssaySubmission, QuestionSet, RubricComment, RubricCriterion, RubricLevel
from .audit import audit


@dataclass(frozen=True)
class Scope:
    """Which rubric: a task, and for synthesis answers, one question set."""

    assignment: Assignment
    question_set: QuestionSet | None = None

    @property
    def title(self) -> str:
        if self.question_set is not None:
            return f"{self.assignment.title}: {self.question_set.page.title}"
        return self.assignment.title

    def criteria(self):
        """The criteria a review in this scope scores, in order, with levels and comments."""
        rows = RubricCriterion.objects.filter(assignment=self.assignment)
        if self.assignment.kind == Assignment.SYNTHESIS:
            rows = rows.filter(Q(question_set=self.question_set) | Q(question_set__isnull=True))
        return rows.prefetch_related(
            Prefetch("levels", queryset=RubricLevel.objects.all()),
            Prefetch("comments", queryset=RubricComment.objects.all())).order_by(
            F("question_set").asc(nulls_first=True), "order", "pk")

    def own_criteria(self):
        """The criteria edited on this scope's page (for a set: only the set's own)."""
        return RubricCriterion.objects.filter(assignment=self.assignment, question_set=self.question_set)


def scope_of(item) -> Scope | None:
    """The rubric a synthesis response or an essay set is reviewed against (None before `seed_demo`)."""
    if isinstance(item, EssaySubmission):
        assignment = Assignment.objects.the(Assignment.ESSAYS)
        return Scope(assignment) if assignment else None
    assignment = Assignment.objects.the(Assignment.SYNTHESIS)
    return Scope(assignment, item.question_set) if assignment else None


def task_of(item) -> Assignment | None:
    scope = scope_of(item)
    return scope.assignment if scope else None


def criteria_for(item) -> list[RubricCriterion]:
    scope = scope_of(item)
    return list(scope.criteria()) if scope else []


def scopes() -> list[tuple[Scope, int]]:
    """Every rubric staff can build, with how many criteria it has (three queries)."""
    tasks = {a.kind: a for a in Assignment.objects.filter(kind__in=[Assignment.ESSAYS, Assignment.SYNTHESIS])}
    counts = {(r["assignment"], r["question_set"]): r["n"] for r in
              RubricCriterion.objects.values("assignment", "question_set").annotate(n=Count("pk"))}
    out = []
    if Assignment.ESSAYS in tasks:
        essays = tasks[Assignment.ESSAYS]
        out.append((Scope(essays), counts.get((essays.pk, None), 0)))
    if Assignment.SYNTHESIS in tasks:
        synthesis = tasks[Assignment.SYNTHESIS]
        for question_set in QuestionSet.objects.select_related("page").order_by("optional", "page__order"):
            out.append((Scope(synthesis, question_set), counts.get((synthesis.pk, question_set.pk), 0)))
    return out


# --- what a review keeps -----------------------------------------------------------------


def fingerprint(criteria) -> str:
    """What a score depends on (titles, points, bonus, deduction, order): a description or comment edit does not count."""
    # A deduction is keyed only where there is one, so rubrics from before deductions keep their fingerprints.
    key = [[c.pk, c.name, c.max_points, c.bonus] + ([True] if c.deduction else []) for c in criteria]
    return hashlib.sha1(json.dumps(key).encode()).hexdigest()[:16]


def maximum(criteria) -> int:
    """The points available: bonus criteria add on top, deductions only take off."""
    return sum(c.max_points for c in criteria if not c.bonus and not c.deduction)


@dataclass
class Mark:
    """A TA's points and comment on one criterion, as typed."""

    points: float | None = None
    comment: str = ""
    save_to_bank: bool = False


def check_marks(criteria, marks: dict[int, Mark], feedback_only: bool) -> dict[str, str]:
    """Everything wrong with a review's marks, by form field name (empty when it can be saved)."""
    errors = {}
    if not criteria and not feedback_only:
        errors["rubric"] = ("This task has no rubric yet, so a review cannot carry a score: build the rubric first, "
                            "or tick \u201cfeedback only\u201d to send comments without a score.")
    for c in criteria:
        mark = marks.get(c.pk) or Mark()
        field = f"criterion-{c.pk}"
        if mark.points is None:
            if not feedback_only and not c.bonus and not c.deduction:  # an empty deduction takes nothing off
                errors[field] = f"{c.name}: give it points (0 to {c.max_points}), or tick \u201cfeedback only\u201d."
        elif mark.points < 0:
            errors[field] = f"{c.name}: points cannot be negative (you gave {mark.points:g})."
        elif mark.points > c.max_points:
            errors[field] = (f"{c.name}: {mark.points:g} is more than the {c.max_points} points it may take off."
                             if c.deduction else f"{c.name}: {mark.points:g} is more than its maximum of "
                                                 f"{c.max_points} points.")
        if len(mark.comment) > 4000:
            errors[f"{field}-comment"] = f"{c.name}: a comment may be at most 4,000 characters."
    return errors


def snapshot(criteria, marks: dict[int, Mark], scored: bool) -> dict:
    """The rubric as it is now, with this review's points and comments."""
    rows = []
    for c in criteria:
        mark = marks.get(c.pk) or Mark()
        points = mark.points if scored else None
        if scored and points is None and (c.bonus or c.deduction):
            points = 0.0
        row = {"id": c.pk, "title": c.name, "description": c.description, "max_points": c.max_points,
               "bonus": c.bonus, "points": points, "comment": mark.comment.strip()}
        if c.deduction:
            row["deduction"] = True  # its points are taken off the total
        rows.append(row)
    return {"fingerprint": fingerprint(criteria), "criteria": rows}


def total(snap: dict) -> float | None:
    """The points given, less the deductions, never below 0 (None: no points given at all)."""
    points = [-r["points"] if r.get("deduction") else r["points"] for r in snap.get("criteria", [])
              if r.get("points") is not None]
    return max(0.0, float(sum(points))) if points else None


def changed_since(item, current_fingerprint: str | None) -> bool:
    """Whether the rubric was edited after this review was given (its scores stay as given)."""
    given = (item.rubric or {}).get("fingerprint")
    return bool(given and current_fingerprint and given != current_fingerprint)


def marks_of(item) -> dict[int, Mark]:
    """A review's marks by criterion id, to fill the form when a TA reviews again."""
    return {r["id"]: Mark(r.get("points"), r.get("comment", "")) for r in (item.rubric or {}).get("criteria", [])}


def add_to_banks(criteria, marks: dict[int, Mark]) -> int:
    """Keep comments a TA asked to reuse in their criteria's banks (a text already there is not added twice)."""
    added = 0
    for c in criteria:
        mark = marks.get(c.pk)
        if not mark or not mark.save_to_bank or not mark.comment.strip():
            continue
        text = mark.comment.strip()
        if not any(existing.text == text for existing in c.comments.all()):
            last = max((existing.order for existing in c.comments.all()), default=0)
            RubricComment.objects.create(criterion=c, order=last + 1, text=text)
            added += 1
    return added


# --- building a rubric --------------------------------------------------------------------


def describe_criterion(c: RubricCriterion) -> dict:
    return {"title": c.name, "max_points": c.max_points, "bonus": c.bonus, "deduction": c.deduction,
            "description": c.description}


@transaction.atomic
def add_criterion(actor, scope: Scope, **fields) -> RubricCriterion:
    last = scope.own_criteria().aggregate(last=Max("order"))["last"] or 0
    criterion = RubricCriterion.objects.create(assignment=scope.assignment, question_set=scope.question_set,
                                               order=last + 1, **fields)
    audit(actor, "rubric_criterion_added", scope.assignment, scope=scope.title, after=describe_criterion(criterion))
    return criterion


def record_edit(actor, criterion: RubricCriterion, before: dict) -> None:
    after = describe_criterion(criterion)
    if after != before:
        audit(actor, "rubric_criterion_changed", criterion.assignment, criterion=criterion.pk, before=before,
              after=after)


@transaction.atomic
def move(actor, criterion: RubricCriterion, step: int) -> bool:
    """Swap a criterion with its neighbour above (step -1) or below (+1) in its own rubric."""
    siblings = list(RubricCriterion.objects.select_for_update().filter(
        assignment=criterion.assignment_id, question_set=criterion.question_set_id).order_by("order", "pk"))
    index = next(i for i, c in enumerate(siblings) if c.pk == criterion.pk)
    other = index + step
    if not 0 <= other < len(siblings):
        return False
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for order, c in enumerate(siblings, start=1):
        c.order = order
    RubricCriterion.objects.bulk_update(siblings, ["order"])
    audit(actor, "rubric_reordered", criterion.assignment, order=[c.name for c in siblings])
    return True


@transaction.atomic
def delete(actor, criterion: RubricCriterion) -> None:
    """Reviews already given keep their snapshot of it."""
    audit(actor, "rubric_criterion_removed", criterion.assignment, before=describe_criterion(criterion))
    criterion.delete()


# --- defaults from the unit's own rules ---------------------------------------------------

# The essay project asks for three essays on prompts the student picks, each at least 200
# meaningful words, thought through and connected to the unit. One criterion per rule.
ESSAY_RUBRIC = [
    {"name": "Addresses the chosen prompts", "max_points": 3,
     "description": "Each essay answers the prompt it names and stays with it, rather than writing around the topic.",
     "levels": [(3, "All three on their prompts"), (2, "One essay drifts"), (1, "Two essays drift"),
                (0, "The essays do not answer their prompts")],
     "comments": ["Each essay takes its prompt head on.",
                  "This essay wanders from its prompt in places: bring each paragraph back to the question it asks."]},
    {"name": "At least 200 meaningful words each", "max_points": 2,
     "description": "The counter's figure: words that carry meaning, leaving out filler, repeats and text copied "
                    "from the prompt.",
     "levels": [(2, "All three reach 200"), (1, "One falls short"), (0, "Two or more fall short")],
     "comments": ["Each essay has room to develop its idea.",
                  "One essay is short of 200 meaningful words: a worked example would give it substance."]},
    {"name": "Reasoning and examples", "max_points": 3,
     "description": "Claims come with reasons, and ideas from the unit (neurons, weights, training) are tied to "
                    "concrete examples.",
     "levels": [(3, "Argued with examples throughout"), (2, "Mostly argued"), (1, "Assertions more than reasons"),
                (0, "No reasoning to follow")],
     "comments": ["A concrete example carries the argument well here.",
                  "Say why you believe this: a reason or an example from the unit would make the point land."]},
    {"name": "Clarity", "max_points": 2,
     "description": "A reader follows the argument without rereading: plain sentences, one idea per paragraph.",
     "levels": [(2, "Clear and well organised"), (1, "Mostly clear"), (0, "Hard to follow")],
     "comments": ["Clear and easy to follow.", "Split the long paragraphs so that each makes one point."]},
]
QUESTION_LEVELS = [(2, "Complete and correct"), (1, "Partly there"), (0, "Missing or off the point")]
QUESTION_COMMENTS = ["Clear and correct.",
                     "On the right track: look again at the part of the video that covers this.",
                     "Say why, not only what: add the reason behind your answer."]


def _create(assignment, question_set, order, spec) -> RubricCriterion:
    criterion = RubricCriterion.objects.create(
        assignment=assignment, question_set=question_set, order=order, name=spec["name"],
        description=spec.get("description", ""), max_points=spec["max_points"], bonus=spec.get("bonus", False),
        deduction=spec.get("deduction", False))
    RubricLevel.objects.bulk_create([RubricLevel(criterion=criterion, points=level[0], title=level[1],
                                                 description=level[2] if len(level) > 2 else "")
                                     for level in spec["levels"]])
    RubricComment.objects.bulk_create([RubricComment(criterion=criterion, order=i, text=text)
                                       for i, text in enumerate(spec["comments"], start=1)])
    return criterion


def default_criteria(scope: Scope) -> list[dict]:
    if scope.question_set is None:
        return ESSAY_RUBRIC if scope.assignment.kind == Assignment.ESSAYS else []
    specs = []
    for q in scope.question_set.questions.all():
        bonus = q.bonus
        specs.append({"name": f"{'Bonus question' if bonus else 'Question'} {q.order}", "max_points": 1 if bonus else 2,
                      "description": q.text[:2000], "bonus": bonus,
                      "levels": [(1, "Answered well"), (0, "Not answered")] if bonus else QUESTION_LEVELS,
                      "comments": QUESTION_COMMENTS})
    return specs


@transaction.atomic
def seed_scope(scope: Scope) -> int:
    """The suggested criteria for a rubric that has none yet (a rubric with criteria is left alone)."""
    if scope.own_criteria().exists():
        return 0
    specs = default_criteria(scope)
    for order, spec in enumerate(specs, start=1):
        _create(scope.assignment, scope.question_set, order, spec)
    return len(specs)


def seed_defaults() -> int:
    """Seed every empty rubric (essays, each question set); safe to run again."""
    return sum(seed_scope(scope) for scope, count in scopes() if count == 0)


# --- a rubric as text ------------------------------------------------------------------------
# A rubric leaves the site as JSON and comes back in (to the same rubric next term, or to
# another task's), so that it can be kept, reviewed and reused as text. Imported criteria
# are added after the rubric's own; nothing already there is changed.
TEXT_FORMAT = 1
MAX_TEXT_BYTES = 256 * 1024
MAX_CRITERIA, MAX_LEVELS, MAX_COMMENTS = 50, 20, 50


class RubricRefused(Exception):
    """A rubric text that cannot be imported, with what to fix (nothing was imported)."""


def as_text(scope: Scope) -> str:
    """The scope's own criteria as JSON, with their levels and comment banks."""
    criteria = scope.own_criteria().prefetch_related("levels", "comments").order_by("order", "pk")
    data = {"format": TEXT_FORMAT, "rubric": scope.title, "criteria": [
        {"name": c.name, "description": c.description, "max_points": c.max_points, "bonus": c.bonus,
         **({"deduction": True} if c.deduction else {}),
         "levels": [{"points": lv.points, "title": lv.title, "description": lv.description} for lv in c.levels.all()],
         "comments": [comment.text for comment in c.comments.all()]}
        for c in criteria]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _text(value, where: str, limit: int, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RubricRefused(f"{where} must be {'a non-empty' if required else 'a'} text.")
    if len(value) > limit:
        raise RubricRefused(f"{where} is {len(value)} characters long; at most {limit}.")
    return value.strip() if required else value


def parse_text(raw: bytes | str) -> list[dict]:
    """The criteria of a rubric text, checked; RubricRefused names the first problem."""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_TEXT_BYTES:
        raise RubricRefused(f"The rubric text is {len(raw) // 1024} KB; at most {MAX_TEXT_BYTES // 1024} KB.")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise RubricRefused(f"This is not a rubric exported from this site: it is not JSON ({error}).") from None
    if not isinstance(data, dict) or data.get("format") != TEXT_FORMAT or not isinstance(data.get("criteria"), list):
        raise RubricRefused(f'This is not a rubric exported from this site: it needs "format": {TEXT_FORMAT} and a '
                            '"criteria" list.')
    if not data["criteria"] or len(data["criteria"]) > MAX_CRITERIA:
        raise RubricRefused(f"A rubric text holds 1 to {MAX_CRITERIA} criteria; this one has {len(data['criteria'])}.")
    specs = []
    for n, item in enumerate(data["criteria"], start=1):
        where = f"Criterion {n}"
        if not isinstance(item, dict):
            raise RubricRefused(f"{where} must be an object with a name and max_points.")
        points = item.get("max_points")
        if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= 100:
            raise RubricRefused(f"{where}: max_points must be a whole number from 1 to 100.")
        levels, comments = item.get("levels", []), item.get("comments", [])
        if not isinstance(levels, list) or len(levels) > MAX_LEVELS:
            raise RubricRefused(f"{where}: levels must be a list of at most {MAX_LEVELS}.")
        if not isinstance(comments, list) or len(comments) > MAX_COMMENTS:
            raise RubricRefused(f"{where}: comments must be a list of at most {MAX_COMMENTS}.")
        spec = {"name": _text(item.get("name"), f"{where}'s name", 100, required=True),
                "description": _text(item.get("description"), f"{where}'s description", 2000),
                "max_points": points, "bonus": item.get("bonus", False) is True,
                "deduction": item.get("deduction", False) is True, "levels": [], "comments": []}
        if spec["bonus"] and spec["deduction"]:
            raise RubricRefused(f"{where}: a criterion either adds bonus points or takes points off, not both.")
        for m, level in enumerate(levels, start=1):
            lv_points = level.get("points") if isinstance(level, dict) else None
            if not isinstance(lv_points, (int, float)) or isinstance(lv_points, bool) or not 0 <= lv_points <= points:
                raise RubricRefused(f"{where}, level {m}: points must be a number from 0 to {points}.")
            spec["levels"].append((float(lv_points), _text(level.get("title"), f"{where}, level {m}'s title", 100,
                                                          required=True),
                                   _text(level.get("description"), f"{where}, level {m}'s description", 1000)))
        for m, comment in enumerate(comments, start=1):
            spec["comments"].append(_text(comment, f"{where}, comment {m}", 2000, required=True))
        specs.append(spec)
    return specs


@transaction.atomic
def import_text(actor, scope: Scope, raw: bytes | str) -> int:
    """Add the criteria of a rubric text after the scope's own; returns how many. Audited."""
    specs = parse_text(raw)
    last = scope.own_criteria().select_for_update().aggregate(last=Max("order"))["last"] or 0
    for order, spec in enumerate(specs, start=last + 1):
        _create(scope.assignment, scope.question_set, order, spec)
    audit(actor, "rubric_imported", scope.assignment, scope=scope.title, criteria=[s["name"] for s in specs])
    return len(specs)
