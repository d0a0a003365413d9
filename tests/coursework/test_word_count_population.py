"""The meaningful-word counter, calibrated on a population: honest essays of 220 words must
reach 200 whatever their style, and padding must not, whatever its trick.

The honest essays are 220-word passages of prose this test did not write (the course's own
pages, our docs, Python's reference manual, which is technical and full of numbers and
terms) and essays in the voices students write in (tests/support/student_essays.py). The
hostile ones pad a short essay, or nothing at all, to 300 words and more."""
import glob
import random
import re
from pathlib import Path

import pydoc_data.topics
import pytest

from coursework.services import essays
from tests.support.student_essays import ESSAYS, PLAIN

ROOT = Path(__file__).resolve().parents[2]
HONEST_WORDS = 220


def _prose(markdown: str) -> str:
    """A page's prose: no front matter, code blocks or table rows."""
    markdown = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    markdown = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return "\n".join(line for line in markdown.splitlines() if not line.lstrip().startswith("|"))


def _passages(text: str, limit: int | None = None) -> list[str]:
    """Consecutive passages of HONEST_WORDS words, as a word processor counts them (anything
    between spaces with a letter or a digit in it)."""
    words = [w for w in text.split() if re.search(r"\w", w)]
    found = [" ".join(words[i:i + HONEST_WORDS]) for i in range(0, len(words) - HONEST_WORDS + 1, HONEST_WORDS)]
    return found[:limit]


def honest_population() -> list[tuple[str, str]]:
    population = []
    for path in sorted(glob.glob(str(ROOT / "content" / "*.md"))) + sorted(glob.glob(str(ROOT / "docs" / "*.md"))):
        population += [(Path(path).name, p) for p in _passages(_prose(Path(path).read_text()))]
    topics = pydoc_data.topics.topics
    for name in sorted(topics)[::3]:
        population += [(f"Python reference: {name}", p) for p in _passages(topics[name], limit=2)]
    for style, essay in ESSAYS.items():
        population += [(f"student, {style}", p) for p in _passages(essay, limit=1)]
    return population


def hostile_population() -> list[tuple[str, str]]:
    rng = random.Random(25)
    short = " ".join(PLAIN.split()[:90])  # an essay of 90 words, padded below
    short_words = short.split()
    stop_words = sorted(essays.STOP_WORDS)
    rows = ("qwertyuiop", "asdfghjkl", "zxcvbnm")

    def slide():  # a finger run along a row, either way
        row = rng.choice(rows)
        start, length = rng.randrange(len(row) - 3), rng.randint(4, 7)
        run = row[start:start + length]
        return run if rng.random() < 0.5 else run[::-1]

    slides = " ".join(slide() + (slide() if rng.random() < 0.3 else "") for _ in range(320))
    home_row = " ".join("".join(rng.choice("asdfghjkl") for _ in range(rng.randint(3, 9))) for _ in range(320))
    two_hands = " ".join("".join(rng.choice("asdfghjkl" + "qwertyuiop") for _ in range(rng.randint(3, 9)))
                         for _ in range(320))
    lorem = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
             "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip "
             "ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu "
             "fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia "
             "deserunt mollit anim id est laborum. ")
    lorem_shuffled = " ".join(" ".join(rng.sample(lorem.split(), len(lorem.split()))) for _ in range(5))
    cycle = "network weights layer neuron pixel digit gradient descent training error".split()
    cycle_with_little_words = cycle + "the of and to in is it that for on".split()
    stuffed = []
    for word in short_words:
        stuffed += [word] + rng.sample(stop_words, 3)
    homoglyphs = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с"})  # Cyrillic look-alikes
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in short)
    return [
        ("one word pasted 300 times", "network " * 300),
        ("one word pasted 300 times as sentences", "Network. " * 300),
        ("one word joined by punctuation 300 times", "network," * 300),
        ("ten words cycled 30 times", " ".join(cycle * 30)),
        ("ten words cycled in a new order each time", " ".join(" ".join(rng.sample(cycle, 10)) for _ in range(30))),
        ("twenty words and little words cycled", " ".join(" ".join(rng.sample(cycle_with_little_words, 20))
                                                           for _ in range(16))),
        ("lorem ipsum pasted", lorem * 5),
        ("lorem ipsum shuffled", lorem_shuffled),
        ("keyboard mash: runs along a row", slides),
        ("keyboard mash: the home row", home_row),
        ("keyboard mash: the top two rows", two_hands),
        ("a short essay stuffed with little words", " ".join(stuffed)),
        ("a short essay pasted three times", (short + " ") * 3),
        ("a short essay pasted with words joined by punctuation", short + " " + ".".join(short_words) + " "
         + "-".join(short_words)),
        ("a short essay pasted again with zero-width spaces inside words",
         short + " " + " ".join("\u200b".join(w) for w in short_words) + " "
         + " ".join(w[:2] + "\u200d" + w[2:] for w in short_words)),
        ("a short essay pasted again with Cyrillic look-alike letters", short + " " + short.translate(homoglyphs)),
        ("a short essay pasted again in full-width letters", short + " " + fullwidth),
        ("a short essay pasted again with soft hyphens and stacked accents",
         short + " " + " ".join(w[:1] + "\u00ad" + w[1:] + "\u0301" for w in short_words)),
        ("numbers counted up to 300", " ".join(str(n) for n in range(300))),
        ("a short essay and 250 numbers", short + " " + " ".join(str(n) for n in range(250))),
    ]


def test_every_honest_220_word_essay_reaches_200_meaningful_words():
    counted = sorted((essays.meaningful_word_count(text), name) for name, text in honest_population())
    assert len(counted) >= 70
    worst, name = counted[0]
    assert worst >= essays.REQUIRED_WORDS, f"{name} counted {worst} of {HONEST_WORDS} words"


@pytest.mark.parametrize("name, text", hostile_population(), ids=[name for name, _ in hostile_population()])
def test_padding_never_reaches_200_meaningful_words(name, text):
    assert len(re.findall(r"\w+", text)) >= 180  # each has as many words as a short essay, or more
    assert essays.meaningful_word_count(text) < essays.REQUIRED_WORDS


def test_the_short_essay_the_padding_starts_from_is_short_of_200_on_its_own():
    assert 50 < essays.meaningful_word_count(" ".join(PLAIN.split()[:90])) < essays.REQUIRED_WORDS


def test_honest_prose_stays_inside_every_share_and_cap_with_headroom():
    # The share (and the words per distinct word) must leave headroom over what honest prose does.
    for name, text in honest_population():
        words = essays._words(essays._normalised(text))
        kinds = [essays._kind(w) for w in words]
        assert kinds.count("supporting") <= essays.SUPPORTING_SHARE * kinds.count("content"), name
        assert kinds.count("content") <= essays.CONTENT_PER_SUPPORTING * kinds.count("supporting"), name
        distinct = {w.lower() for w, kind in zip(words, kinds) if kind != "none"}
        assert len(words) <= essays.WORDS_PER_DISTINCT_WORD * len(distinct), name
