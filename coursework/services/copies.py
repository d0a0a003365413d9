"""Copies go to a TA: a graded notebook that matches the course's released solution, or
another student's upload of the same task, beyond what honest work reaches.

Two kinds of evidence:

- code: the similarity page's normalised shingles (names, layout and comments do not
  count; the template's own lines are left out, since every student starts from it),
  scored by Jaccard similarity;
- behaviour: the same test images wrong (grader.copies: how far the shared mistakes lie
  above what independent mistakes at those accuracies would share, in standard deviations).

Against the solution only code is compared, on the worker before the result is stored, so
an unchanged solution never counts even for a moment. Its behaviour is not compared: it
would need the solution graded in the sandbox once per deployment, and the template fixes
the seed and the suggested layer sizes, so an honest student who trains the way the unit
teaches lands close to the solution's mistakes; the solution's code is what is handed out,
and a copy of it shows in the code.

Against other students: a task (`coursework.tasks.check_copies`) once the result is stored,
because the other side may be stored later; whichever of two copies is checked second
finds the first, and both are flagged. Each graded result keeps a 64-value MinHash of its
code shingles and its packed wrong set in `feedback`; the database returns only those two
fields of each other student's latest graded upload, NumPy picks the candidates, and only
they are read from storage for the exact figure.
"""
from __future__ import annotations

import base64
import dataclasses
import functools

import numpy as np
from django.db import transaction
from django.db.models import F, Window
from django.db.models.fields.json import KT
from django.db.models.functions import RowNumber

from grader import copies as wrong_sets
from grader.result import Feedback, GradeResult, with_flags

from ..models import Submission
from ..states import SubmissionStatus
from . import disclosure, project_files, similarity

COPY = "copy"

# From benchmarks/copy_calibration.py --epochs 1 (docs/grading.md, "What the grader detects"):
#   honest_pairs_flagged=0/20 copies_flagged=20/20 honest_worst_code=0.041
#   honest_worst_behaviour=61.8; weakest copy: code 0.656 (the solution renamed, reformatted
#   and recommented), behaviour 98.6 (ten images changed)
# Code: 0.5, 12 times the honest worst and 0.15 under the weakest copy (and the similarity
# page's own bar): real students filling the template's TODOs with the unit's formulas will
# be closer to each other than these different authors, so the bar stays near the copies.
# Behaviour: 85, 23 above the honest worst (two networks of the template's sizes and recipe,
# another seed) and 13 under a copy rerun that differs on ten images; networks trained
# longer than the benchmark's one epoch share more hard images, hence the wide margin.
CODE_THRESHOLD = 0.5
HONEST_WORST_CODE = 0.041
BEHAVIOUR_THRESHOLD = 85.0
HONEST_WORST_BEHAVIOUR = 61.8

SIGNATURE = 64
# MinHash estimates a Jaccard similarity J with a standard error of sqrt(J(1-J)/64), at
# most 0.0625: a candidate 0.25 below the threshold (four errors) is read and measured.
CANDIDATE_MARGIN = 0.25

_MASK = np.uint64(2**64 - 1)
_SEEDS = np.random.default_rng(20240611).integers(0, 2**63, size=(SIGNATURE, 2), dtype=np.uint64)


# --- code ---------------------------------------------------------------------------------


@functools.cache
def _template() -> frozenset:
    return frozenset(similarity.stable_shingles(similarity.code_tokens(
        similarity.notebook_code(project_files.TEMPLATE_NOTEBOOK.read_bytes()))))


@functools.cache
def _solution() -> frozenset:
    return frozenset(code_shingles(project_files.SOLUTION_NOTEBOOK.read_bytes()))


def code_shingles(notebook_bytes: bytes) -> set[int]:
    """The notebook's code as stable shingles, the template's own left out."""
    tokens = similarity.code_tokens(similarity.notebook_code(notebook_bytes))
    return similarity.stable_shingles(tokens) - _template()


def jaccard(a: set, b: set) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def signature(shingles: set[int]) -> str | None:
    """A MinHash of the shingles (each of 64 bijections of the 64-bit values keeps its least
    image), as base64: 344 characters whatever the notebook's size; None for no code."""
    if not shingles:
        return None
    values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
    with np.errstate(over="ignore"):
        images = ((values[None, :] ^ _SEEDS[:, :1]) * (_SEEDS[:, 1:] | np.uint64(1))) & _MASK
    # The low 32 bits of each minimum: two different minima agree there once in 2**32.
    return base64.b64encode((images.min(axis=1) & np.uint64(0xFFFFFFFF)).astype(">u4").tobytes()).decode("ascii")


def _signature_array(value) -> np.ndarray | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        return None
    return np.frombuffer(raw, dtype=">u4") if len(raw) == 4 * SIGNATURE else None


# --- the evidence -------------------------------------------------------------------------


@dataclasses.dataclass
class Match:
    other: int | None  # the other submission's id; None: the course's solution
    name: str  # who, for the TA
    code: float | None = None
    behaviour: float | None = None  # standard deviations above independent mistakes
    shared_wrong: int | None = None
    expected_wrong: float | None = None
    wrong: tuple[int, int] | None = None  # how many each got wrong

    @property
    def counts(self) -> bool:
        return ((self.code is not None and self.code >= CODE_THRESHOLD)
                or (self.behaviour is not None and self.behaviour >= BEHAVIOUR_THRESHOLD))

    def line(self) -> str:
        """What a TA reads: how strong each piece of evidence is beside the honest worst."""
        parts = []
        if self.code is not None:
            parts.append(f"code {self.code:.0%} the same once names, layout, comments and the template's lines are "
                         f"set aside (honest pairs reached at most {HONEST_WORST_CODE:.0%}: this is "
                         f"{_times(self.code, HONEST_WORST_CODE)} that)")
        if self.behaviour is not None and self.wrong is not None:
            parts.append(f"{self.shared_wrong} of the same test images wrong (of {self.wrong[0]} and {self.wrong[1]}; "
                         f"independent mistakes would share {self.expected_wrong:.0f}), {self.behaviour:.0f} standard "
                         f"deviations above chance where honest networks reached at most "
                         f"{HONEST_WORST_BEHAVIOUR:.0f}")
        return f"Copy of {self.name}: " + "; ".join(parts) + "."

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _times(value: float, worst: float) -> str:
    return f"{value / worst:.1f} times" if worst > 0 else "far above"


def behaviour(a: np.ndarray, b: np.ndarray) -> dict:
    z, shared, expected = wrong_sets.overlap_z(a, b)
    return {"behaviour": z, "shared_wrong": shared, "expected_wrong": expected, "wrong": (int(a.sum()), int(b.sum()))}


# --- against the solution, on the worker --------------------------------------------------


def screen(result: GradeResult, notebook_bytes: bytes) -> GradeResult:
    """The result with its code's signature kept and, if its code is the released solution's,
    the copy flag. Called after the other flags are set (integrity.screen)."""
    if result.status != "graded":
        return result
    mine = code_shingles(notebook_bytes)
    record = {"code": signature(mine), "matches": []}
    kinds, reason = list(result.feedback.flags.flags or []), result.flag_reason
    match = Match(None, similarity.SOLUTION_NAME, code=jaccard(mine, _solution()))
    if match.counts:
        record["matches"].append(match.as_dict())
        kinds.append(COPY)
        reason = "\n".join(filter(None, [reason, match.line()]))
    return with_flags(result, kinds, reason, copies=record)


# --- against other students, after the result is stored -----------------------------------


def _read(submission: Submission) -> bytes | None:
    try:
        with submission.notebook.open("rb") as fh:
            return fh.read()
    except OSError:
        return None


def others(submission: Submission):
    """Each other student's latest graded upload of the same task, with only what the
    comparison needs: the signature and the wrong set, read out of the feedback in SQL."""
    order = [F("created_at").desc(), F("id").desc()]
    latest = (Submission.objects.filter(assignment_id=submission.assignment_id, status=SubmissionStatus.GRADED)
              .exclude(student_id=submission.student_id)
              .annotate(place=Window(RowNumber(), partition_by=[F("student_id")], order_by=order))
              .filter(place=1).values_list("pk", flat=True))
    return (Submission.objects.filter(pk__in=latest)
            .annotate(code_signature=KT("feedback__copies__code"), wrong_set=KT("feedback__wrong"))
            .values_list("pk", "code_signature", "wrong_set"))


def find(submission: Submission) -> list[Match]:
    """Other students' uploads this one matches beyond the thresholds (exact figures)."""
    feedback = disclosure.feedback(submission)
    mine_sig = _signature_array((feedback.flags.copies or {}).get("code"))
    mine_wrong = wrong_sets.unpack(feedback.scores.wrong or "")
    rows = list(others(submission))
    if not rows:
        return []
    ids = np.array([r[0] for r in rows])
    candidates = set()
    if mine_sig is not None:
        sigs = [_signature_array(r[1]) for r in rows]
        have = np.array([s is not None for s in sigs])
        if have.any():
            stacked = np.stack([s if s is not None else np.zeros(SIGNATURE, ">u4") for s in sigs])
            estimate = (stacked == mine_sig[None, :]).mean(axis=1)
            candidates |= set(ids[have & (estimate >= CODE_THRESHOLD - CANDIDATE_MARGIN)].tolist())
    zs = {}
    if mine_wrong is not None:
        for pk, _, packed in rows:
            theirs = wrong_sets.unpack(packed or "")
            if theirs is not None and len(theirs) == len(mine_wrong):
                zs[pk] = behaviour(mine_wrong, theirs)
                if zs[pk]["behaviour"] >= BEHAVIOUR_THRESHOLD:
                    candidates.add(pk)
    if not candidates:
        return []
    mine_code = None
    found = []
    for other in Submission.objects.filter(pk__in=candidates).select_related("student__profile").order_by("pk"):
        if mine_code is None:
            mine_code = code_shingles(_read(submission) or b"")
        match = Match(other.pk, f"{similarity.person_name(other.student)}'s upload #{other.pk}",
                      code=jaccard(mine_code, code_shingles(_read(other) or b"")), **zs.get(other.pk, {}))
        if match.counts:
            found.append(match)
    return found


def _with_match(feedback: Feedback, match: Match) -> Feedback:
    record = dict(feedback.flags.copies or {})
    kept = [m for m in record.get("matches", []) if m.get("other") != match.other]
    record["matches"] = [*kept, match.as_dict()]
    flags = list(feedback.flags.flags or [])
    if COPY not in flags:
        flags.append(COPY)
    return dataclasses.replace(feedback, flags=dataclasses.replace(feedback.flags, flags=flags, copies=record))


def _mark(pk: int, match: Match) -> None:
    """Add one match to a stored result, idempotently. A result not flagged as a copy before is
    flagged (a result cleared of another flag goes back to the TA's queue; an upheld one does
    not count anyway); one already flagged as a copy only records the new match, so a TA's
    decision on it stands."""
    row = Submission.objects.select_for_update().filter(pk=pk, status=SubmissionStatus.GRADED).first()
    if row is None:
        return
    feedback = disclosure.feedback(row)
    already = any(m.get("other") == match.other for m in (feedback.flags.copies or {}).get("matches", []))
    was_copy = COPY in (feedback.flags.flags or [])
    fields = {"feedback": _with_match(feedback, match).to_json()}
    if not already:
        fields["flag_reason"] = "\n".join(filter(None, [row.flag_reason, match.line()]))
    if not was_copy:
        fields["flagged"] = True
        if row.flag_resolution == "cleared":  # cleared of something else: this is new evidence
            fields.update(flag_resolution="", flag_resolved_by=None, flag_resolved_at=None)
    Submission.objects.filter(pk=pk).update(**fields)


def check(submission_id: int) -> int:
    """Compare a stored graded upload with other students' and flag both sides of each match.
    Safe to run twice: a match already recorded changes nothing. Returns the matches found."""
    submission = (Submission.objects.filter(pk=submission_id, status=SubmissionStatus.GRADED)
                  .select_related("student__profile").first())
    if submission is None:
        return 0
    matches = find(submission)
    if not matches:
        return 0
    others_by_pk = {s.pk: s for s in Submission.objects.filter(pk__in=[m.other for m in matches])
                    .select_related("student__profile")}
    with transaction.atomic():
        for match in matches:
            _mark(submission.pk, match)
            mirror = dataclasses.replace(match, other=submission.pk,
                                         name=f"{similarity.person_name(submission.student)}'s upload #{submission.pk}",
                                         wrong=match.wrong[::-1] if match.wrong else None)
            if match.other in others_by_pk:
                _mark(match.other, mirror)
    return len(matches)
