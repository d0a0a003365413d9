"""Answers to group, for the grouping test and benchmarks/answer_groups.py: the hint
population (tests/support/hint_population.py: right and wrong answers to each
checked question, many phrasings of each, written to test the hints, not the grouping)
plus near-duplicates made from each of them the ways students make them (case, filler,
a typo, punctuation), seeded.

The population's own answers are the paraphrases (right answers in other words) and the
different answers (wrong ones, and right ones that say something else)."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from coursework.services.answer_groups import stratum
from tests.support.hint_population import POPULATION

FILLERS = ("I think ", "In my opinion ", "Basically, ", "well ", "So ")


@dataclass(frozen=True)
class Item:
    text: str
    source: int  # which answer of the population it was made from
    right: bool
    copy: bool  # a near-duplicate made here, not one of the population's own


def _typo(text: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped inside a long word that decides nothing (a typo in
    "not" or a number changes the answer, not only its spelling)."""
    words = [m for m in re.finditer(r"[A-Za-z]{5,}", text) if not stratum(m.group())]
    if not words:
        return text + " "
    m = rng.choice(words)
    i = rng.randrange(1, len(m.group()) - 2)
    word = m.group()
    return text[:m.start()] + word[:i] + word[i + 1] + word[i] + word[i + 2:] + text[m.end():]


def near_duplicates(text: str, rng: random.Random) -> list[str]:
    return [
        text.lower().rstrip(".") if rng.random() < 0.5 else text.upper(),
        rng.choice(FILLERS) + text[0].lower() + text[1:],
        _typo(text, rng),
        re.sub(r"[,;:]", "", text) + rng.choice(("", ".", "!", " :)")),
    ]


def population(check: str, seed: int = 0, copies: bool = True) -> list[Item]:
    """The population's answers to one checked question, each followed by its near-duplicates."""
    rng = random.Random(f"{seed}-{check}")
    right, wrong, _ = POPULATION[check]
    items = []
    for source, (text, is_right) in enumerate([(t, True) for t in right] + [(t, False) for t in wrong]):
        items.append(Item(text, source, is_right, False))
        if copies:
            items.extend(Item(v, source, is_right, True) for v in near_duplicates(text, rng))
    return items


def checks() -> list[str]:
    return sorted(POPULATION)


def class_of(check: str, students: int, seed: int = 0) -> list[Item]:
    """`students` answers to one question as a class writes them: each student picks one of
    the population's answers (copied as is or as a near-duplicate), so a few dozen
    distinct answers come back many times, each copy with its own small differences."""
    rng = random.Random(f"class-{seed}-{check}")
    pool = population(check, seed)
    out = []
    for _ in range(students):
        item = rng.choice(pool)
        text = item.text
        if rng.random() < 0.5:
            text = rng.choice(near_duplicates(text, rng))
        out.append(Item(text, item.source, item.right, True))
    return out
