"""Essay passages in groups of similar ones, so that a TA grades a recurring passage once
(docs/reviews.md, "Essay passages in groups"). The text work is the synthesis answers' own
(coursework.services.answer_groups: the same strata, measure and threshold); grading follows
coursework.services.grouping: the same rules on claims, saved reviews, "replace", the audit
and anonymity.

Passages. Each essay is cut into paragraphs (a blank line, a Markdown heading or a list item
starts one); a paragraph of up to PASSAGE_SENTENCES + 1 sentences is one passage, a longer one
is cut into windows of PASSAGE_SENTENCES sentences from its start (a last sentence alone joins
the window before it). Windows of about a synthesis answer's size keep the measure where it
was calibrated: longer ones on one topic grow alike by chance, and carry so many numbers and
negations that one changed anywhere parts a copy from its source; single sentences group stock
phrases ("In conclusion, ...") that say nothing worth a grade (benchmarks/passage_groups.py
compares the sizes). Passages of fewer than MIN_WORDS words (headings, sign-offs) are not
grouped, nor any past an essay's share (`share`: 10 to 40 of its first passages).

Grading. A group's grade gives each essay set (EssaySubmission) with a member passage a
PassageGrade on the chosen criterion of the essays' rubric, audited as "group_grade". The
grades fill the set's review form, where each can be changed; they never complete a review
by themselves (unlike an answer group's): a passage is a part of a set of three essays, and
a set could carry a copied passage beside junk, or two passages graded apart. A TA saves
the set's review on its page, having read the whole set. Sets already reviewed, or graded
on that criterion, keep their points unless the TA asks to replace them; sets another TA holds
are left alone; only each student's latest version, handed in and not sent back, is grouped.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, OuterRef

from ..models import Essay, EssayPrompt, EssaySubmission, PassageGrade, RubricCriterion
from ..states import ReviewStatus
from . import rubrics
from .answer_groups import THRESHOLD, group_texts
from .audit import audit_many
from .essays import SENTENCE_END, WORD
from .grouping import (CACHE_SECONDS, GROUPED_STATUSES, GradeRefused, ListsWordings, Outcome, check_grade,
                       held_by_others, reviewed_points, tally)

__all__ = ["GradeRefused", "Outcome", "split", "groups_for", "grade", "marks_for", "prompts"]

PASSAGE_SENTENCES = 3
MIN_WORDS = 8
# Passages grouped per essay: at most 40 (about ten times the words an essay needs), and fewer
# when a prompt has so many essays that together they would pass MAX_PASSAGES_PER_PROMPT, but
# never fewer than 10 (three times the words needed; the test population's essays have 5 to 7).
# Passages past an essay's share are reviewed on its own page. This bounds a prompt's grouping
# (linear in its passages: benchmarks/passage_groups.py) whatever students paste.
MAX_PASSAGES_PER_ESSAY = 40
MIN_PASSAGES_PER_ESSAY = 10
MAX_PASSAGES_PER_PROMPT = 20_000


def share(essays: int) -> int:
    """How many passages of each essay are grouped, for a prompt with this many essays."""
    return min(MAX_PASSAGES_PER_ESSAY, max(MIN_PASSAGES_PER_ESSAY, MAX_PASSAGES_PER_PROMPT // max(essays, 1)))
# A new paragraph: after a blank line, or at a Markdown heading (a paragraph of its own line) or list item.
_HEADING = re.compile(r"\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"\s{0,3}(?:[-*+]|\d{1,3}[.)])\s")


def _paragraphs(text: str) -> list[str]:
    out: list[str] = []
    lines: list[str] = []

    def end():
        if lines:
            out.append(" ".join(lines))
            lines.clear()

    for line in text.splitlines():
        heading = _HEADING.match(line)
        if not line.strip() or heading or _LIST_ITEM.match(line):
            end()
        if line.strip():
            lines.append(line.strip())
        if heading:
            end()
    end()
    return out


def split(text: str, limit: int = MAX_PASSAGES_PER_ESSAY) -> list[str]:
    """An essay's first `limit` passages, in order (see the module's docstring)."""
    passages = []
    for paragraph in _paragraphs(text or ""):
        sentences = [s for s in SENTENCE_END.split(paragraph) if s.strip()]
        if len(sentences) <= PASSAGE_SENTENCES + 1:
            windows = [sentences]
        else:
            windows = [sentences[i:i + PASSAGE_SENTENCES] for i in range(0, len(sentences), PASSAGE_SENTENCES)]
            if len(windows[-1]) == 1:
                last = windows.pop()
                windows[-1] = windows[-1] + last
        for window in windows:
            passage = " ".join(window)
            if len(WORD.findall(passage)) >= MIN_WORDS:
                passages.append(passage)
                if len(passages) == limit:
                    return passages
    return passages


# --- which essays, and their passages in groups ---------------------------------------------


def _latest():
    """Essays of each student's latest version, handed in and not sent back."""
    newer = EssaySubmission.objects.filter(student=OuterRef("submission__student"),
                                           version__gt=OuterRef("submission__version"))
    return Essay.objects.filter(submission__status__in=GROUPED_STATUSES).filter(~Exists(newer))


def prompts() -> list[tuple[EssayPrompt, int]]:
    """Every prompt with how many essays on it are handed in (two queries)."""
    counts = dict(_latest().values_list("prompt").annotate(n=Count("pk")).order_by())
    return [(p, counts.get(p.pk, 0)) for p in EssayPrompt.objects.all()]


def _essays(prompt: EssayPrompt) -> list[dict]:
    # Plain rows: a prompt of a class of 2,000 has about 850 essays.
    return list(_latest().filter(prompt=prompt).values(
        "pk", "text", "submission_id", "submission__status", "submission__rubric", "submission__reviewed_at",
        "submission__student__username", "submission__student__profile__display_name").order_by("pk"))


def _grouped(essays) -> tuple[list[list[tuple[int, int]]], int]:
    """The groups of passages that recur in two essays or more, as (essay id, passage index)
    lists, and how many passages there are in all. Cached under a digest of every essay's id
    and text, so a new version regroups its prompt and nothing has to clear the cache."""
    limit = share(len(essays))
    digest = hashlib.sha1(json.dumps([THRESHOLD, PASSAGE_SENTENCES, MIN_WORDS, limit,
                                      [(e["pk"], e["text"]) for e in essays]]).encode()).hexdigest()
    key = f"passage-groups:{digest}"
    found = cache.get(key)
    if found is None:
        refs, texts = [], []
        for e in essays:
            for index, passage in enumerate(split(e["text"], limit)):
                refs.append((e["pk"], index))
                texts.append(passage)
        groups = [[refs[i] for i in g] for g in group_texts(texts)]
        found = ([g for g in groups if len({essay for essay, _ in g}) > 1], len(texts))
        cache.set(key, found, CACHE_SECONDS)
    return found


def _pending(grades, reviewed_at) -> list:
    """Grades given since the set's review (all of them before it has one): those not yet in it."""
    return [g for g in grades if reviewed_at is None or g.graded_at > reviewed_at]


def _points_now(grade, status, rubric, reviewed_at, criterion) -> float | None:
    """A set's points on the criterion: a grade given since its review, else the review's."""
    if _pending([grade] if grade is not None else [], reviewed_at):
        return grade.points
    return reviewed_points(status, rubric, criterion)


@dataclass
class Member:
    """One essay with a passage in the group, standing for its essay set."""

    essay_id: int
    submission_id: int
    student: str
    passages: list[int]  # indices of its passages in the group
    points: float | None  # on the chosen criterion: the saved review's, else a grade given since
    reviewed: bool
    held_by: str = ""  # another TA working on the set now
    texts: list[str] = field(default_factory=list)

    @property
    def ids(self) -> str:
        return ",".join(f"{self.essay_id}:{i}" for i in self.passages)


@dataclass
class Wording:
    text: str
    members: list[Member]  # the essays it is in
    shown: list[Member] = field(default_factory=list)  # those a page names

    @property
    def unnamed(self) -> int:
        return len(self.members) - len(self.shown)

    @property
    def ids(self) -> str:
        """Its passages, as the page posts them: a TA may leave one wording out of a group's grade
        (grouping can join passages a deciding word the strata do not know sets apart)."""
        return ",".join(f"{m.essay_id}:{i}" for m in self.members for i, t in zip(m.passages, m.texts) if t == self.text)


@dataclass
class Group(ListsWordings):
    number: int
    members: list[Member] = field(default_factory=list)
    wordings: list[Wording] = field(default_factory=list)
    shown: list[Member] = field(default_factory=list)  # the members a page lists
    wordings_shown: list[Wording] = field(default_factory=list)

    @property
    def ids(self) -> str:
        return ",".join(m.ids for m in self.members)

    @property
    def tally(self) -> list[tuple[float | None, int]]:
        return tally(m.points for m in self.members)


@dataclass
class Page:
    groups: list[Group]
    essays: int
    passages: int  # cut from the prompt's essays, recurring or not
    share: int  # of each essay's first passages


def groups_for(prompt: EssayPrompt, ta, criterion: RubricCriterion | None) -> Page:
    """The prompt's recurring passages in groups, the most essays first."""
    essays = _essays(prompt)
    by_id = {e["pk"]: e for e in essays}
    ids, passages = _grouped(essays)
    submissions = [e["submission_id"] for e in essays]
    held = held_by_others(ta, EssaySubmission, submissions)
    grades = {} if criterion is None else {
        g.submission_id: g for g in PassageGrade.objects.filter(criterion=criterion, submission_id__in=submissions)}
    texts: dict[int, list[str]] = {}
    groups = []
    for number, refs in enumerate(ids, start=1):
        group, members = Group(number), {}
        for essay_id, index in refs:
            e = by_id[essay_id]  # the cache key holds every essay grouped
            if essay_id not in texts:
                texts[essay_id] = split(e["text"])
            member = members.get(essay_id)
            if member is None:
                status, submission = e["submission__status"], e["submission_id"]
                member = members[essay_id] = Member(
                    essay_id, submission,
                    e["submission__student__profile__display_name"] or e["submission__student__username"], [],
                    _points_now(grades.get(submission), status, e["submission__rubric"], e["submission__reviewed_at"],
                                criterion),
                    status == ReviewStatus.REVIEWED, held.get(submission, ""))
                group.members.append(member)
            member.passages.append(index)
            member.texts.append(texts[essay_id][index])
        if len(group.members) < 2:
            continue
        by_text: dict[str, list[Member]] = {}
        for m in group.members:
            for text in dict.fromkeys(m.texts):
                by_text.setdefault(text, []).append(m)
        group.wordings = [Wording(t, ms) for t, ms in sorted(by_text.items(), key=lambda kv: -len(kv[1]))]
        groups.append(group)
    groups.sort(key=lambda g: (-len(g.members), g.number))
    for number, group in enumerate(groups, start=1):
        group.number = number
    return Page(groups, len(essays), passages, share(len(essays)))


# --- grading a group ---------------------------------------------------------------------


def parse_ids(raw: str) -> dict[int, list[int]]:
    """ "essay:index,..." as the page posts it, to essay id -> passage indices (malformed ones dropped)."""
    out: dict[int, list[int]] = {}
    for token in raw.split(","):
        essay, _, index = token.strip().partition(":")
        if essay.isdigit() and index.isdigit() and len(essay) < 12 and len(index) < 6:
            out.setdefault(int(essay), []).append(int(index))
    return out


def grade(ta, prompt: EssayPrompt, passages: dict[int, list[int]], criterion: RubricCriterion, points: float,
          comment: str = "", replace: bool = False, left_out: dict[int, list[int]] | None = None) -> Outcome:
    """Give `points` (and `comment`) on `criterion` to the essay set of each essay on `prompt`
    with one of these passages (essay id -> passage indices, as the group showed them), but
    not to an essay with one of the `left_out` passages too (a wording the TA unticked: the
    grade was judged not to fit it, so the set is graded on its own review page)."""
    criteria = rubrics.criteria_for(EssaySubmission())
    check_grade(criteria, criterion, points, comment, sum(len(v) for v in passages.values()), "passages")
    outcome = Outcome()
    mixed = set(passages) & set(left_out or {})
    if mixed:
        outcome.left_out = len(mixed)
        passages = {essay: indices for essay, indices in passages.items() if essay not in mixed}
    with transaction.atomic():
        essays = list(_latest().filter(pk__in=list(passages), prompt=prompt).order_by("pk"))
        sets = {s.pk: s for s in EssaySubmission.objects.select_for_update().filter(
            pk__in=[e.submission_id for e in essays], status__in=GROUPED_STATUSES)}
        essays = [e for e in essays if e.submission_id in sets]
        # Essays no longer handed in (sent back, a newer version, another prompt's) are left alone.
        outcome.gone = len(passages) - len(essays)
        held = held_by_others(ta, EssaySubmission, list(sets))
        earlier = {g.submission_id: g for g in PassageGrade.objects.filter(submission__in=list(sets),
                                                                           criterion=criterion)}
        to_grade, before = [], {}
        for essay in essays:
            submission = sets[essay.submission_id]
            given = earlier.get(submission.pk)
            if submission.pk in held:
                outcome.held += 1
            elif not replace and (submission.status == ReviewStatus.REVIEWED or given is not None):
                # A saved review, even one without points on this criterion (feedback only), is a
                # TA's decision, and so is a grade on the criterion: replaced only when asked.
                outcome.kept += 1
            elif submission.pk not in before:
                before[submission.pk] = _points_now(given, submission.status, submission.rubric,
                                                    submission.reviewed_at, criterion)
                to_grade.append((essay, submission))
        words = {essay.pk: _words(essay, passages[essay.pk]) for essay, _ in to_grade}
        PassageGrade.objects.filter(submission__in=[s for _, s in to_grade], criterion=criterion).delete()
        PassageGrade.objects.bulk_create([
            PassageGrade(submission=s, essay=e, criterion=criterion, passage=words[e.pk], points=points,
                         comment=comment, graded_by=ta) for e, s in to_grade])
        essay_of = {s.pk: e for e, s in to_grade}
        size = sum(len(v) for v in passages.values())
        audit_many(ta, "group_grade", [s for _, s in to_grade], lambda s: {
            "prompt": prompt.order, "criterion": criterion.name, "before": before[s.pk], "after": points,
            "comment": comment, "group_size": size, "passage": words[essay_of[s.pk].pk][:500]})
        outcome.graded = len(to_grade)
    return outcome


def _words(essay: Essay, indices: list[int]) -> str:
    cut = split(essay.text)
    return "\n\n".join(cut[i] for i in sorted(set(indices)) if i < len(cut))


def _pending_marks(submissions) -> dict[int, dict[int, rubrics.Mark]]:
    reviewed_at = {s.pk: s.reviewed_at for s in submissions}
    out: dict[int, dict[int, rubrics.Mark]] = {}
    for g in PassageGrade.objects.filter(submission__in=submissions):
        if _pending([g], reviewed_at[g.submission_id]):
            out.setdefault(g.submission_id, {})[g.criterion_id] = rubrics.Mark(g.points, g.comment)
    return out


def grades_for(submission: EssaySubmission) -> list[PassageGrade]:
    """Grades given with passage groups and not yet in the set's review, with the passage each
    came from, for its review page to say so."""
    return _pending(submission.passage_grades.select_related("criterion").order_by("criterion__order"),
                    submission.reviewed_at)


def marks_for(submission: EssaySubmission) -> dict[int, rubrics.Mark]:
    """The same as marks, to fill the set's review form."""
    return {g.criterion_id: rubrics.Mark(g.points, g.comment) for g in grades_for(submission)}
