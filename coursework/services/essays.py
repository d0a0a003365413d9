"""Essays: text from what students type or upload, meaningful word counts, versioned submissions."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from grader import confined

from ..extract import read_document
from ..models import Assignment, Essay, EssayPrompt, EssaySubmission
from ..states import ReviewStatus
from . import drafts as kept  # `drafts` here names the essays being checked
from .deadlines import TaskClosed, terms_for

__all__ = ["EssayError", "TaskClosed", "Draft", "check_drafts", "submit_essays", "extract_text", "meaningful_word_count",
           "save_typed", "typed_draft"]

REQUIRED_WORDS = 200
ESSAYS_REQUIRED = 3
MAX_ESSAY_UPLOAD_BYTES = 5 * 1024 * 1024
ALLOWED_EXTENSIONS = (".txt", ".md", ".docx", ".pdf")
# The longest essay the text box takes (EssaySlotForm.text): about 9,000 words, several
# times the longest essay we expect. An upload is held to the same, which also bounds
# every per-keystroke function (the preview's render and word count) downstream.
MAX_ESSAY_CHARS = 60_000
# charset_normalizer guesses a non-UTF-8 file's encoding from this much of it.
DETECTION_SAMPLE_BYTES = 64 * 1024
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")
# A word used more often than this counts this many times: a padded essay is not a long one.
MAX_COUNT_PER_WORD = 8

STOP_WORDS = frozenset("""
a about above after again against all also am an and any are aren't as at be because been before being below
between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't
my myself no nor not now of off on once only or other ought our ours ourselves out over own same shan't she
she'd she'll she's should shouldn't so some such than that that's the their theirs them themselves then there
there's these they they'd they'll they're they've this those through to too under until up very was wasn't we
we'd we'll we're we've were weren't what what's when when's where where's which while who who's whom why why's
will with won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
""".split())
FILLER = frozenset("um uh erm like basically literally really actually stuff things thing etc blah lorem ipsum dolor sit amet".split())
WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['’][A-Za-z]+)*")


class EssayError(ValueError):
    """A problem with an essay or an upload, worded for the student."""


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")


def meaningful_word_count(text: str, prompt: str = "") -> int:
    """Words that carry meaning: not stop words or filler, not a copy of the prompt,
    not the same sentence pasted again, and no single word counted more than a few times."""
    # Linear (each regex has one way to match), and capped: longer text is refused before
    # it gets here (the form, the preview and extract_text), so this only guards a new caller.
    text = (text or "")[:MAX_ESSAY_CHARS]
    prompt_grams = set()
    prompt_words = _words((prompt or "")[:MAX_ESSAY_CHARS])
    if len(prompt_words) >= 5:
        prompt_grams = {tuple(prompt_words[k:k + 5]) for k in range(len(prompt_words) - 4)}
    seen_sentences: set[tuple[str, ...]] = set()
    counts: dict[str, int] = {}
    total = 0
    for sentence in SENTENCE_END.split(text):
        words = _words(sentence)
        key = tuple(words)
        if len(key) >= 2 and key in seen_sentences:
            continue  # the same sentence pasted again counts once
        seen_sentences.add(key)
        # Drop any run of five or more words copied from the prompt.
        copied = set()
        for i in range(len(words) - 4):
            if tuple(words[i:i + 5]) in prompt_grams:
                copied.update(range(i, i + 5))
        previous = None
        for i, word in enumerate(words):
            repeated = word == previous
            previous = word
            if i in copied or repeated or word in STOP_WORDS or word in FILLER or len(word) < 2:
                continue
            counts[word] = counts.get(word, 0) + 1
            if counts[word] <= MAX_COUNT_PER_WORD:
                total += 1
    return total


def extract_text(filename: str, data: bytes) -> str:
    """The text of an uploaded essay, or EssayError saying exactly why not."""
    name = os.path.basename(filename.replace("\\", "/"))
    extension = os.path.splitext(name)[1].lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise EssayError(f"{name}: upload a .txt, .md, .docx or .pdf file.")
    if len(data) > MAX_ESSAY_UPLOAD_BYTES:
        raise EssayError(f"{name} is {len(data) / 1e6:.1f} MB; an essay file may be at most {MAX_ESSAY_UPLOAD_BYTES / 1e6:.0f} MB.")
    if not data.strip():
        raise EssayError(f"{name} is empty.")
    looks_like = "a PDF" if data.startswith(b"%PDF") else "a Word or other ZIP document" if data.startswith(b"PK\x03\x04") else None
    if extension == ".docx":
        if not data.startswith(b"PK\x03\x04"):
            raise EssayError(f"{name} is not a Word document" + (f" (it looks like {looks_like})." if looks_like else "."))
        return _document_text(name, "docx", data)
    if extension == ".pdf":
        if not data.startswith(b"%PDF"):
            raise EssayError(f"{name} is not a PDF" + (f" (it looks like {looks_like})." if looks_like else "."))
        return _document_text(name, "pdf", data)
    if looks_like:
        raise EssayError(f"{name} is not a text file (it looks like {looks_like}); rename it or save it as plain text.")
    return _decode(name, data)


def _too_long(name: str, length: int) -> EssayError:
    return EssayError(f"{name} has {length:,} characters of text; an essay may have at most {MAX_ESSAY_CHARS:,} "
                      "(the limit of the text box). Upload the essay alone, without appendices or copied sources.")


def _document_text(name: str, kind: str, data: bytes) -> str:
    limits = confined.Limits(wall_seconds=settings.ESSAY_READ_WALL_SECONDS, cpu_seconds=settings.ESSAY_READ_CPU_SECONDS,
                             memory_bytes=settings.ESSAY_READ_MEMORY_MB * 1024 * 1024)
    try:
        text, length = read_document(name, kind, data, limits, MAX_ESSAY_CHARS)
    except confined.Refused as exc:
        raise EssayError(str(exc)) from None
    if length > MAX_ESSAY_CHARS:
        raise _too_long(name, length)
    return text


def _decode(name: str, data: bytes) -> str:
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return _checked(name, data.decode(codec))
            except UnicodeDecodeError:
                raise EssayError(f"{name} starts like {codec.upper()} text but is not; save it as UTF-8 text.") from None
    not_text = EssayError(f"{name} does not look like text in any encoding we know; save it as UTF-8 text.")
    if b"\x00" in data:
        raise not_text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # Guess the encoding from a sample (up to a line break), then decode the whole file
        # with it: charset_normalizer's time grows with the file and the encodings it tries.
        sample = data[:DETECTION_SAMPLE_BYTES]
        if len(data) > DETECTION_SAMPLE_BYTES and b"\n" in sample:
            sample = sample[:sample.rindex(b"\n") + 1]
        best = from_bytes(sample).best()
        if best is None:
            raise not_text from None
        try:
            text = data.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            raise not_text from None
    return _checked(name, text, not_text)


def _checked(name: str, text: str, not_text: EssayError | None = None) -> str:
    if len(text) > MAX_ESSAY_CHARS:
        raise _too_long(name, len(text))
    controls = len(CONTROL_CHARS.findall(text))
    if controls > len(text) / 100:
        raise not_text or EssayError(f"{name} does not look like text in any encoding we know; save it as UTF-8 text.")
    return text


@dataclass
class Draft:
    prompt: EssayPrompt
    text: str
    source_name: str = ""

    @property
    def words(self) -> int:
        return meaningful_word_count(self.text, self.prompt.text)


def check_drafts(drafts: list[Draft], unprompted: int = 0) -> list[str]:
    """Everything wrong with a set of essays, one message each (empty when they can be submitted).
    `unprompted`: essays written without a prompt, which their own field's error names."""
    problems = []
    if len(drafts) + unprompted != ESSAYS_REQUIRED:
        problems.append(f"Choose exactly {ESSAYS_REQUIRED} prompts (you chose {len(drafts)}).")
    if len({d.prompt.pk for d in drafts}) != len(drafts):
        problems.append("Each essay needs a different prompt.")
    for draft in drafts:
        if draft.words < REQUIRED_WORDS:
            problems.append(f"The essay on prompt {draft.prompt.order} (\u201c{draft.prompt.text[:60]}…\u201d) has "
                            f"{draft.words} meaningful words: {REQUIRED_WORDS - draft.words} more are needed.")
    return problems


def check_unprompted(slot: int, text: str) -> list[str]:
    """The length problem of an essay whose prompt is not chosen yet (counted without a prompt)."""
    words = meaningful_word_count(text, "")
    if words >= REQUIRED_WORDS:
        return []
    return [f"Essay {slot} has {words} meaningful words: {REQUIRED_WORDS - words} more are needed."]


def closed_to(student) -> str:
    """Why submitting essays is refused now (past the lock date), or "": told together with
    any other problem, so a student does not fix them only to learn the task closed."""
    latest = EssaySubmission.objects.filter(student=student).aggregate(v=Max("version"))["v"] or 0
    if EssaySubmission.objects.filter(student=student, version=latest, status=ReviewStatus.RESUBMIT).exists():
        return ""
    terms = terms_for(student, Assignment.objects.the(Assignment.ESSAYS))
    try:
        if terms:
            terms.refuse_if_closed()
    except TaskClosed as exc:
        return str(exc)
    return ""


@transaction.atomic
def submit_essays(student, drafts: list[Draft]) -> EssaySubmission:
    """A new version of the student's essays. Raises EssayError (what is wrong with them)
    or TaskClosed (past the lock date, unless a TA asked for this resubmission)."""
    problems = check_drafts(drafts)
    if problems:
        raise EssayError(" ".join(problems))
    latest = EssaySubmission.objects.select_for_update().filter(student=student).aggregate(v=Max("version"))["v"] or 0
    now = timezone.now()
    terms = terms_for(student, Assignment.objects.the(Assignment.ESSAYS))
    requested = EssaySubmission.objects.filter(student=student, version=latest, status=ReviewStatus.RESUBMIT).exists()
    if terms and not requested:  # a resubmission a TA asked for is accepted even after the lock date
        terms.refuse_if_closed(now)
    lateness = terms.lateness(now) if terms else None
    submission = EssaySubmission.objects.create(student=student, version=latest + 1, submitted_at=now,
                                                late=bool(lateness and lateness.late),
                                                days_late=lateness.days if lateness else 0)
    for draft in drafts:
        Essay.objects.create(submission=submission, prompt=draft.prompt, text=draft.text,
                             meaningful_words=draft.words, source_name=draft.source_name[:200])
    kept.discard(student, Assignment.objects.the(Assignment.ESSAYS))
    return submission


# --- what the student typed and has not submitted ---------------------------------------------

_TYPED = re.compile(r"e[0-9]-(prompt|text)")


def save_typed(student, fields) -> object | None:
    """Keep the essay form's prompts and texts as the student's draft (as they type, and when a
    submit is refused), so leaving the page or closing the tab loses nothing."""
    task = Assignment.objects.the(Assignment.ESSAYS)
    if task is None:
        return None
    return kept.save(student, task, fields, keep=lambda name: bool(_TYPED.fullmatch(name)))


def typed_draft(student, latest: EssaySubmission | None):
    """The student's draft of their essays, unless a version submitted since is newer."""
    return kept.latest(student, Assignment.objects.the(Assignment.ESSAYS),
                         handed_in_at=latest.submitted_at if latest else None)
