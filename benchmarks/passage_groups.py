"""How well essay passages are grouped (coursework.services.passages, with the answers' engine
coursework.services.answer_groups), on the passage population written for it
(tests/support/passage_population.py: for two prompts, families of a passage, a close and a
loose paraphrase and a variant in a deciding word, each with four near-duplicates); and how long
a prompt's grouping takes for a class.

    python benchmarks/passage_groups.py [--thresholds 0.5,0.6,0.7,0.8,0.9] [--students 2000]

Per threshold: passages, groups, mixed groups (passages that say different things in one group:
the case that must never happen, one grade for different claims), near-duplicates found with
their source, close and loose paraphrases found with their passage, and variants in a deciding
word grouped with their passage. Then: mixed groups without strata, the closest pairs that say
different things (within one stratum: the margin the threshold keeps), the pairs the strata
cannot see (LIMITS), how alike unrelated passages grow with their length (why windows of three
sentences), and grouping a class's essays on one prompt (a prompt has about 3/7 of a class's
essays: three prompts of seven each), on every essay of the class at once, and on the
worst case (every essay long enough to give its whole share of passages). Last line:
mixed_groups=M mixed_groups_without_strata=W near_duplicates_found=F close_paraphrases_found=C
loose_paraphrases_found=L closest_different_in_stratum=D threshold=T prompt_2000_s=X worst_case_s=Y
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from coursework.services import answer_groups  # noqa: E402
from coursework.services.answer_groups import THRESHOLD, group_texts, normalise, stratum, vectorise  # noqa: E402
from coursework.services.essays import SENTENCE_END  # noqa: E402
from coursework.services.passages import share, split  # noqa: E402
from tests.support.passage_population import FAMILIES, LIMITS, class_essays, own_paragraph, population  # noqa: E402


def evaluate(threshold: float, quiet: bool = False) -> Counter:
    totals = Counter()
    for prompt in sorted(FAMILIES):
        items = population(prompt)
        # Each population passage is one paragraph of three sentences: one passage as cut.
        assert all(split(i.text) == [i.text] for i in items), "a population passage is not one passage"
        groups = group_texts([i.text for i in items], threshold)
        group_of = {i: n for n, g in enumerate(groups) for i in g}
        totals["passages"] += len(items)
        totals["groups"] += len(groups)
        for g in groups:
            if len({items[i].meaning for i in g}) > 1:
                totals["mixed"] += 1
                if not quiet:
                    print(f"  MIXED ({prompt}): " + " | ".join(f"{items[i].family}/{items[i].kind}" for i in g))
        own = {(item.family, item.kind): group_of[i] for i, item in enumerate(items) if not item.copy}
        for i, item in enumerate(items):
            if item.copy:
                totals["copies"] += 1
                totals["copies_found"] += group_of[i] == own[(item.family, item.kind)]
        for family in FAMILIES[prompt]:
            passage = own[(family, "passage")]
            for kind in ("close", "loose", "decisive"):
                totals[kind] += 1
                totals[f"{kind}_found"] += own[(family, kind)] == passage
    return totals


def closest_pairs() -> dict[str, tuple[float, str]]:
    """The most alike pairs of the population's own passages that say different things
    (near-duplicates left out): within one stratum, and whatever their strata."""
    best = {"different_in_stratum": (0.0, ""), "different_any_stratum": (0.0, "")}
    for prompt in sorted(FAMILIES):
        items = population(prompt, copies=False)
        texts = [normalise(i.text) for i in items]
        similarity = cosine_similarity(vectorise(texts))
        strata = [stratum(t) for t in texts]
        for a, x in enumerate(items):
            for b, y in enumerate(items):
                if a >= b or x.meaning == y.meaning:
                    continue
                s, where = float(similarity[a, b]), f"{x.family}/{x.kind} ~ {y.family}/{y.kind}"
                kinds = ["different_any_stratum"] + (["different_in_stratum"] if strata[a] == strata[b] else [])
                for kind in kinds:
                    if s > best[kind][0]:
                        best[kind] = (s, where)
    return best


def unrelated_by_length() -> list[tuple[str, float, float]]:
    """How alike passages of different families are, cut to 1 sentence, 3 (a passage), and 6
    (two passages as one paragraph): median and largest cosine over every pair of one prompt."""
    out = []
    for label, size in (("1 sentence", 1), ("3 sentences", 3), ("6 sentences", 6)):
        sims = []
        for prompt in sorted(FAMILIES):
            passages = [texts[0] for texts in FAMILIES[prompt].values()]
            if size == 1:
                texts = [(f, SENTENCE_END.split(p)[0]) for f, p in enumerate(passages)]
            elif size == 3:
                texts = list(enumerate(passages))
            else:
                texts = [((a, a + 1), passages[a] + " " + passages[a + 1]) for a in range(0, len(passages) - 1, 2)]
            matrix = cosine_similarity(vectorise([normalise(t) for _, t in texts]))
            sims += [float(matrix[a, b]) for a in range(len(texts)) for b in range(a + 1, len(texts))]
        sims.sort()
        out.append((label, sims[len(sims) // 2], sims[-1]))
    return out


def group_class(essays: list[str]) -> tuple[int, int, float]:
    """Passages, groups and seconds for one prompt's essays, as the page cuts and groups them."""
    started = time.perf_counter()
    limit = share(len(essays))
    texts = [p for text in essays for p in split(text, limit)]
    groups = group_texts(texts)
    return len(texts), len(groups), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--thresholds", default="0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--students", type=int, default=2000)
    args = parser.parse_args()
    thresholds = sorted({float(t) for t in args.thresholds.split(",")} | {THRESHOLD})
    print(f"{'threshold':>9} {'passages':>8} {'groups':>6} {'mixed':>5} {'near-dup found':>14} {'close para':>10} "
          f"{'loose para':>10} {'decisive joined':>15}")
    in_use = None
    for threshold in thresholds:
        t = evaluate(threshold)
        print(f"{threshold:9.2f} {t['passages']:8d} {t['groups']:6d} {t['mixed']:5d} "
              f"{t['copies_found'] / t['copies']:14.3f} {t['close_found']:>5}/{t['close']:<4} "
              f"{t['loose_found']:>5}/{t['loose']:<4} {t['decisive_found']:>10}/{t['decisive']:<4}")
        if threshold == THRESHOLD:
            in_use = t
    kept_stratum = answer_groups.stratum
    answer_groups.stratum = lambda text: ()
    try:
        without = evaluate(THRESHOLD, quiet=True)
    finally:
        answer_groups.stratum = kept_stratum
    print(f"without strata at {THRESHOLD}: {without['mixed']} mixed groups, {without['decisive_found']} of "
          f"{without['decisive']} variants in a deciding word grouped with their passage")
    closest = closest_pairs()
    for kind, (similarity, where) in closest.items():
        print(f"closest {kind.replace('_', ' ')}: {similarity:.3f} ({where or 'no such pair'})")
    for a, b in LIMITS:
        joined = len(group_texts([a, b])) == 1
        print(f"a deciding word the strata do not know: {'grouped' if joined else 'apart'} "
              f"({cosine_similarity(vectorise([normalise(a), normalise(b)]))[0, 1]:.3f} alike)")
    for label, median, largest in unrelated_by_length():
        print(f"passages of different families, {label}: median {median:.3f}, largest {largest:.3f} alike")

    # A class: every essay on one prompt has two or three of the prompt's recurring passages
    # among paragraphs of the student's own; best of three (the machine is shared).
    seconds = {}
    per_prompt = round(args.students * 3 / 7)
    for label, count, long in ((f"one prompt ({per_prompt} essays)", per_prompt, False),
                               (f"every essay of the class on one prompt ({args.students})", args.students, False),
                               (f"worst case: {args.students} essays on one prompt, each past its share of passages",
                                args.students, True)):
        written = [e.text for prompt in sorted(FAMILIES) for e in class_essays(prompt, count // 2 + 1)][:count]
        if long:  # eight more paragraphs of their own each: every essay gives its whole share, all distinct
            rng = random.Random(1)
            written = [text + "\n\n" + "\n\n".join(own_paragraph(rng) for _ in range(8)) for text in written]
        random.Random(0).shuffle(written)
        runs = [group_class(written) for _ in range(3)]
        passages, groups, _ = runs[0]
        seconds[label] = min(r[2] for r in runs)
        print(f"{args.students} students, {label}: {passages} passages, {groups} groups, "
              f"best of 3 {seconds[label]:.2f} s")
        if count == per_prompt and not long:
            prompt_seconds = seconds[label]
    print(f"mixed_groups={in_use['mixed']} mixed_groups_without_strata={without['mixed']} "
          f"near_duplicates_found={in_use['copies_found'] / in_use['copies']:.3f} "
          f"close_paraphrases_found={in_use['close_found']}/{in_use['close']} "
          f"loose_paraphrases_found={in_use['loose_found']}/{in_use['loose']} "
          f"closest_different_in_stratum={closest['different_in_stratum'][0]:.3f} threshold={THRESHOLD} "
          f"prompt_{args.students}_s={prompt_seconds:.2f} worst_case_s={max(seconds.values()):.2f}")


if __name__ == "__main__":
    main()
