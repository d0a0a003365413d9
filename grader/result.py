"""A grade, typed: what one grading run returns (GradeResult) and the feedback stored with it.

The feedback is stored as JSON on the submission (Submission.feedback) and read by the
site's pages, some of it from rows stored years of code ago. Its sections are typed here;
Feedback.to_json() writes the keys those pages read (the figures of the whole test set
at the top level, "public", "probe", "failure", "check", "flags"...), and
Feedback.from_json() reads any stored row back without losing anything: a key a section
does not know is kept as it came (in `extra`), and a key a row never had is written back
as absent, not as null. So from_json(row).to_json() == row for every row, old or new.

During the move to typed access a Feedback also reads as the mapping it stores
(feedback["per_digit"], feedback.get("failure")), so that the site's readers can move one
at a time.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any


class _Absent:
    """A key the stored row does not have (as against one it has, holding null)."""

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Any = _Absent()


def _absent():
    return field(default=ABSENT)


@dataclass
class _Section:
    """A part of the stored JSON: its fields are keys of one JSON object (the parent's own,
    for an inline section); `extra` keeps what this code does not know."""

    extra: dict = field(default_factory=dict, repr=False)

    @classmethod
    def keys_known(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "extra")

    @classmethod
    def from_json(cls, data) -> _Section:
        data = data if isinstance(data, dict) else {}
        known = cls.keys_known()
        return cls(**{k: data[k] for k in known if k in data}, extra={k: v for k, v in data.items() if k not in known})

    def to_json(self) -> dict:
        out = {name: getattr(self, name) for name in self.keys_known() if getattr(self, name) is not ABSENT}
        return {**out, **self.extra}


@dataclass
class RunFacts(_Section):
    """What every result tells of the run itself (inline: top-level keys)."""

    limits: dict = _absent()  # Limits.as_dict()
    truncated_cells: list = _absent()  # cells whose outputs the cap cut
    widget_state_dropped: bool = _absent()
    render_seconds: float | None = _absent()
    charged_seconds: float | None = _absent()  # what the limits counted, for TAs
    # When predict's last answer came (epoch seconds, the host's clock): the score's delay is stored against it.
    answered_at: float | None = _absent()


@dataclass
class Scores(_Section):
    """A graded run's figures on the whole test set (inline: top-level keys)."""

    per_digit: list = _absent()  # accuracy per true digit, 10 floats
    confusion: list = _absent()  # 10 x 10 counts, rows true digits
    reference: dict = _absent()  # the reference network's figures
    per_digit_delta: list = _absent()
    misclassified: list = _absent()  # [{"index", "true", "predicted"}], a spread of the wrong ones
    misclassified_total: int = _absent()
    wrong: str = _absent()  # every wrong test image, packed (grader.copies)
    baseline: dict = _absent()  # {"nearest_mean_accuracy"}
    confused_pairs: list = _absent()  # [{"true", "predicted", "count", "images"}]
    declared: dict = _absent()  # what the notebook declared about itself, checked


@dataclass
class PublicHalf(_Section):
    """What a student sees before the private half is revealed ("public")."""

    per_digit: list = _absent()
    confusion: list = _absent()
    confused_pairs: list = _absent()


@dataclass
class Probe(_Section):
    """The noise probe's evidence (scoring.probe_evidence) and the bar it was held to ("probe")."""

    clean_accuracy: float = _absent()
    noisy_accuracy: float = _absent()
    gap: float = _absent()
    right_to_wrong: int = _absent()
    wrong_to_right: int = _absent()
    changed: int = _absent()
    z: float = _absent()
    flag_z: float = _absent()
    honest_worst_z: float = _absent()
    batch_size: int = _absent()


@dataclass
class FailureShown(_Section):
    """A failed run explained for its page (grader.explain; "failure")."""

    error: str = _absent()
    cell: int = _absent()  # 1-based
    line: int = _absent()
    function: str = _absent()
    source: dict = _absent()
    frames: list = _absent()
    frames_hidden: int = _absent()
    mistake: dict = _absent()  # {"key", "name", "fix"}: grader.failures.MISTAKES


@dataclass
class Check(_Section):
    """A check's verdict ("check")."""

    sample_size: int = _absent()
    passed: bool = _absent()
    correct: int = _absent()
    labels_seen: list = _absent()
    dtype: str = _absent()


@dataclass
class Flags(_Section):
    """What the screens after grading found (inline): grader.integrity's and the site's."""

    flags: list = _absent()  # the kinds raised: grader.integrity.PROBE, ACCURACY, EMBEDDED; "copies"
    embedded: dict = _absent()  # grader.embedded.find's scan
    copies: dict = _absent()  # the site's copy check (coursework.services.copies)


INLINE = {"run": RunFacts, "scores": Scores, "flags": Flags}
NESTED = {"public": PublicHalf, "probe": Probe, "failure": FailureShown, "check": Check}


@dataclass
class Feedback(Mapping):
    """The feedback of one result, by section; reads as its stored JSON too (Mapping)."""

    run: RunFacts = field(default_factory=RunFacts)
    scores: Scores = field(default_factory=Scores)
    flags: Flags = field(default_factory=Flags)
    public: PublicHalf | None = None
    probe: Probe | None = None
    failure: FailureShown | None = None
    check: Check | None = None
    extra: dict = field(default_factory=dict, repr=False)  # keys no section knows, kept as stored

    @classmethod
    def from_json(cls, data) -> Feedback:
        data = data if isinstance(data, dict) else {}
        inline_keys = {k for section in INLINE.values() for k in section.keys_known()}
        parts: dict = {name: section.from_json({k: v for k, v in data.items() if k in section.keys_known()})
                       for name, section in INLINE.items()}
        for key, section in NESTED.items():
            if isinstance(data.get(key), dict):
                parts[key] = section.from_json(data[key])
        # A nested key that is not an object (no row has one) is kept as it came.
        extra = {k: v for k, v in data.items()
                 if k not in inline_keys and not (k in NESTED and isinstance(v, dict))}
        return cls(**parts, extra=extra)

    def to_json(self) -> dict:
        out: dict = {}
        for name in INLINE:
            out.update(getattr(self, name).to_json())
        for key in NESTED:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key).to_json()
        return {**out, **self.extra}

    # Read as the stored mapping (the site's readers, until each moves to the sections).
    def __getitem__(self, key):
        return self.to_json()[key]

    def __iter__(self):
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())

    def __eq__(self, other) -> bool:
        if isinstance(other, Mapping):
            return self.to_json() == dict(other)
        return NotImplemented

    __hash__ = None  # mutable, like the dict it stands for


@dataclass
class GradeResult:
    status: str  # "graded" or "failed"
    message: str
    accuracy: float | None = None
    public_accuracy: float | None = None
    private_accuracy: float | None = None
    flagged: bool = False
    flag_reason: str = ""
    run_seconds: float | None = None
    peak_memory_mb: float | None = None
    feedback: Feedback = field(default_factory=Feedback)  # a stored row's JSON is read as one too
    notebook: str | None = None  # the executed notebook (compact JSON), outputs capped
    log_tail: str = ""
    html: bytes | None = None  # the executed notebook as a page, rendered in the sandbox
    # The renderer's account of that page: "problem" is None when it is whole; otherwise the
    # page is missing or partial, and a graded result's page is drawn again later.
    render: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.feedback, Feedback):
            self.feedback = Feedback.from_json(self.feedback)


def with_flags(result: GradeResult, kinds: list[str], flag_reason: str, **found) -> GradeResult:
    """The result with these flags raised (none: not flagged) and what the screen found
    (embedded=..., copies=...) kept in its feedback."""
    flags = replace(result.feedback.flags, flags=list(kinds), **found)
    return replace(result, flagged=bool(kinds), flag_reason=flag_reason,
                   feedback=replace(result.feedback, flags=flags))
