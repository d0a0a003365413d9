"""Essays: text from what students type or upload, meaningful word counts, versioned submissions."""
from __future__ import annotations

import os
import re
import unicodedata
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
from . import late_days
from .deadlines import Lateness, Request, TaskClosed, at_most, terms_for

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
# The little words (and numbers, and fillers of speech) count, but never more of them than
# this many for each word that carries meaning. The honest essays of
# tests/coursework/test_word_count_population.py have at most 1.34 of them per such word;
# past the share, stuffing a page with "of the and" gains nothing.
SUPPORTING_SHARE = 1.5
# ...and the words that carry meaning count up to this many per little word (or number):
# honest passages have at most 1.75 of them per little word, keyboard mash has no little
# words at all.
CONTENT_PER_SUPPORTING = 3
CONTENT_WITHOUT_SUPPORTING = 20
# An essay counts at most this many words per different word it uses: honest passages of
# 220 words use a new word every 2.45 words at most.
WORDS_PER_DISTINCT_WORD = 3
# Eight words in the same order a second time are a copy: honest prose repeats a phrase of
# five now and then ("the output of the hidden layer"); at six, a grammar listing in
# Python's manual lost 11 of its 220 words.
REPEATED_RUN = 8

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
# Words that fill a pause in speech: they count as the little words do, within the share.
SOFT_FILLER = frozenset("like basically literally really actually stuff things thing etc".split())
# Never a word of an essay: hesitations, and the placeholder Latin of page layouts (less its
# words that are English too: "sit", "non", "id").
FILLER = frozenset("""
um uh erm hmm blah lorem ipsum dolor amet consectetur consectetuer adipiscing adipisicing elit sed eiusmod tempor
incididunt ut labore dolore magna aliqua enim minim veniam quis nostrud exercitation ullamco laboris nisi
aliquip ea commodo consequat duis aute irure reprehenderit voluptate velit esse cillum fugiat nulla pariatur
excepteur sint occaecat cupidatat proident sunt culpa qui officia deserunt mollit anim laborum
""".split())
# A word: letters or digits (any script), with apostrophes inside ("don't"); a number with
# its decimal point or thousands commas ("0.5", "60,000"). Anything else separates words, so
# "words.joined,by-punctuation" counts as the words it joins. One way to match each.
WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")
VOWELS = frozenset("aeiouy")


class EssayError(ValueError):
    """A problem with an essay or an upload, worded for the student."""


# Format characters (zero-width spaces and joiners, soft hyphens, byte-order marks) and
# accents, which NFKD has split off their letters.
INVISIBLE = frozenset({"Cf", "Mn", "Me"})


def _normalised(text: str) -> str:
    """The text as it reads for counting: compatibility forms folded ("ｗｏｒｄ" is "word"),
    accents dropped ("netwörk" is "network") and invisible characters removed (zero-width
    spaces and joiners, soft hyphens), so a copy dressed up with them is still a copy, and
    "net\u200bwork" is one word, not two."""
    if text.isascii():
        return text  # nothing to fold or drop, and most essays: skip the walk over every character
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in INVISIBLE)


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in WORD.findall(text)]


def _kind(word: str) -> str:
    """"content" (a word that carries meaning), "supporting" (a little word, a filler of
    speech or a number: counted within the share) or "none"."""
    lower = word.lower()
    letters = [c for c in lower if c.isalpha()]
    if not letters:
        return "supporting"  # a number: "784", "0.5", "2012"
    if lower in STOP_WORDS or lower in SOFT_FILLER:
        return "supporting"
    if lower in FILLER:
        return "none"
    if not lower.isascii() and len({_script(c) for c in letters}) > 1:
        return "none"  # "nеtwork" with a Cyrillic е: made to look like a word it is not
    if len(letters) < 2:
        return "supporting" if len(letters) < len(lower) else "none"  # "3D" is a term; "x" alone is not
    if _mashed(word, letters):
        return "none"
    return "content"


def _script(letter: str) -> str:
    return unicodedata.name(letter, "?").split(" ")[0]


def _mashed(word: str, letters: list[str]) -> bool:
    """Keys struck at random, not a word: four letters or more without a vowel, five
    consonants in a row, a q without its u, a j before a consonant (the rare English word
    like "strengths" is lost with them), or a run of neighbouring keys ("sdfg", "lkjh").
    Names with capitals inside ("PostgreSQL", "ReLU") and short acronyms ("CNNs", "LLMs")
    are words."""
    if any(c.isupper() for c in word[1:]) and (not word.isupper() or len(letters) <= 6):
        return False
    if not all(c.isascii() for c in letters):
        return False
    if len(letters) >= 4 and not VOWELS.intersection(letters):
        return True
    spelled = "".join(letters)
    if MASH.search(spelled):
        return True
    return len(spelled) >= 4 and all(pair in KEY_NEIGHBOURS for pair in zip(spelled, spelled[1:]))


KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
KEY_NEIGHBOURS = frozenset((row[i], row[i + d]) for row in KEY_ROWS for i in range(len(row)) for d in (-1, 1)
                           if 0 <= i + d < len(row))
MASH = re.compile(r"[b-df-hj-np-tv-xz]{5}|q(?!u)|(?<![aeioubdny])j[b-df-hj-np-tv-xz]")


SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")


def meaningful_word_count(text: str, prompt: str = "") -> int:
    """The words of an essay as a reader counts them, less padding: a word that carries
    meaning counts, up to MAX_COUNT_PER_WORD times; little words and numbers count, up to
    SUPPORTING_SHARE of them per meaningful word (and meaningful words up to
    CONTENT_PER_SUPPORTING per little word); nothing counts in a sentence pasted again, in a
    run of REPEATED_RUN words said before, in a run of five copied from the prompt, in a word
    repeated straight after itself, in placeholder Latin or in keyboard mash; and the total
    is at most WORDS_PER_DISTINCT_WORD per different word used. Calibrated on honest and
    hostile essays in tests/coursework/test_word_count_population.py."""
    # Linear (each regex has one way to match), and capped: longer text is refused before
    # it gets here (the form, the preview and extract_text), so this only guards a new caller.
    text = _normalised((text or "")[:MAX_ESSAY_CHARS])
    prompt_grams = set()
    prompt_words = [w.lower() for w in _words(_normalised((prompt or "")[:MAX_ESSAY_CHARS]))]
    if len(prompt_words) >= 5:
        prompt_grams = {tuple(prompt_words[k:k + 5]) for k in range(len(prompt_words) - 4)}
    seen_sentences: set[tuple[str, ...]] = set()
    original: list[str] = []
    for sentence in SENTENCE_END.split(text):
        words = _words(sentence)
        key = tuple(w.lower() for w in words)
        if len(key) >= 2 and key in seen_sentences:
            continue  # the same sentence pasted again counts once
        seen_sentences.add(key)
        original += words
    words = [w.lower() for w in original]
    # Runs copied from the prompt, or from earlier in the essay itself: a passage pasted
    # again with its sentences joined or cut differently is no longer the same sentence.
    copied, earlier = set(), set()
    for i in range(len(words)):
        if tuple(words[i:i + 5]) in prompt_grams:
            copied.update(range(i, i + 5))
        gram = tuple(words[i:i + REPEATED_RUN])
        if len(gram) == REPEATED_RUN and gram in earlier:
            copied.update(range(i, i + REPEATED_RUN))
        earlier.add(gram)
    counts: dict[str, int] = {}
    content = supporting = 0
    distinct: set[str] = set()
    previous = None
    for i, word in enumerate(words):
        repeated = word == previous
        previous = word
        if i in copied or repeated:
            continue
        kind = _kind(original[i])
        if kind != "none":
            distinct.add(word)
        if kind == "supporting":
            supporting += 1
        elif kind == "content":
            counts[word] = counts.get(word, 0) + 1
            if counts[word] <= MAX_COUNT_PER_WORD:
                content += 1
    # Prose has little words between its meaningful ones; a heap of words without them
    # (keyboard mash, a list of keywords) counts only as far as it has some, past the first
    # few words (a heading, the first words typed).
    content = min(content, CONTENT_PER_SUPPORTING * supporting + CONTENT_WITHOUT_SUPPORTING)
    total = content + min(supporting, int(SUPPORTING_SHARE * content))
    # A few words cycled in a new order each time escape the rules above, not this one.
    return min(total, WORDS_PER_DISTINCT_WORD * len(distinct))


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
    request = _request(student)
    if request and request.accepts(timezone.now()):
        return ""
    terms = terms_for(student, Assignment.objects.the(Assignment.ESSAYS))
    try:
        if terms:
            terms.refuse_if_closed()
    except TaskClosed as exc:
        return str(exc)
    return ""


def _request(student) -> Request | None:
    """The TA's request the student's next version is judged by, if one is outstanding: their
    latest version sent back, or handed in under a request (request_days_late) and not reviewed
    since, when a further version corrects it. Then the request is the last version sent back:
    each version handed in under one follows either it or another such version, and that row
    still holds the replaced lateness and the request's date, so nothing is copied onto the
    new rows. A request still held until a TA publishes it is not one yet: the student
    cannot see it."""
    latest = EssaySubmission.objects.filter(student=student).order_by("-version").first()
    if latest is None:
        return None
    if latest.status == ReviewStatus.RESUBMIT:
        return None if latest.held else Request(Lateness(latest.late, latest.days_late), latest.resubmit_by)
    if latest.status != ReviewStatus.SUBMITTED or latest.request_days_late is None:
        return None
    sent_back = (EssaySubmission.objects.filter(student=student, version__lt=latest.version,
                                                status=ReviewStatus.RESUBMIT, held=False)
                 .order_by("-version").first())
    if sent_back is None:
        return None
    return Request(Lateness(sent_back.late, sent_back.days_late), sent_back.resubmit_by, again=True)


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
    request = _request(student)
    if terms and not (request and request.accepts(now)):  # a resubmission a TA asked for may come after the lock
        terms.refuse_if_closed(now)
    judged = request.judge(now) if request else None  # against the request's own due date
    bound = judged.days if judged else None  # kept for staff's later moves of the due date
    lateness = at_most(terms.lateness(now) if terms else Lateness(False, 0), bound)
    days_late = lateness.days
    submission = EssaySubmission.objects.create(student=student, version=latest + 1, submitted_at=now,
                                                late=lateness.late, days_late=days_late, request_days_late=bound,
                                                late_days_used=late_days.cover(student, terms and terms.assignment,
                                                                               days_late))
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
