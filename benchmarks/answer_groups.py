"""How well similar answers are grouped (coursework.services.answer_groups), on the hint
population's right and wrong answers to every checked question with near-duplicates of each
(tests/support/answer_population.py), at several thresholds; and how long grouping takes
for a class of 2,000 answers to one question.

    python benchmarks/answer_groups.py [--thresholds 0.6,0.7,0.75,0.8,0.9] [--students 2000]

Per threshold: groups (of how many answers), mixed groups (right and wrong answers in one
group: the case that must never happen, a wrong grade for a whole group), groups that join
different answers of the population (paraphrases merged: harmless when all are right or all
wrong), near-duplicates found with their source, purity, and the closest right/wrong pair
within one stratum (the margin the threshold keeps). Last line, at the threshold in use:
mixed_groups=M mixed_groups_without_strata=W worst_right_wrong_similarity=S closest_different_in_stratum=D threshold=T
near_duplicates_found=F groups_per_answer=G group_2000_s=X
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from sklearn.metrics.pairwise import cosine_similarity  # noqa: E402

from coursework.services.answer_groups import THRESHOLD, group_texts, normalise, stratum, vectorise  # noqa: E402
from tests.support.answer_population import checks, class_of, population  # noqa: E402


def evaluate(threshold: float, quiet: bool = False) -> dict:
    totals = Counter()
    for check in checks():
        items = population(check)
        groups = group_texts([i.text for i in items], threshold)
        group_of = {i: n for n, g in enumerate(groups) for i in g}
        totals["answers"] += len(items)
        totals["groups"] += len(groups)
        for g in groups:
            labels = {items[i].right for i in g}
            sources = {items[i].source for i in g}
            totals["mixed"] += len(labels) > 1
            totals["merged_sources"] += len(sources) > 1
            majority = Counter(items[i].right for i in g).most_common(1)[0][1]
            totals["pure_members"] += majority
            if len(labels) > 1 and not quiet:
                print(f"  MIXED ({check}): " + " | ".join(items[i].text for i in g))
        # A near-duplicate counts as found when it shares a group with its source answer.
        sources_at = {items[i].source: group_of[i] for i in range(len(items)) if not items[i].copy}
        for i, item in enumerate(items):
            if item.copy:
                totals["copies"] += 1
                totals["copies_found"] += group_of[i] == sources_at[item.source]
    return totals


def closest_pairs() -> dict[str, tuple[float, str]]:
    """The most alike pairs of the population's own answers (near-duplicates left out):
    right and wrong within one stratum (only those could ever share a group), right and
    wrong whatever their strata (what the text measure alone would face), and two different
    answers within one stratum (the over-merge the threshold must stay above)."""
    best = {"right_wrong": (0.0, ""), "right_wrong_any_stratum": (0.0, ""), "different_in_stratum": (0.0, "")}
    for check in checks():
        items = population(check, copies=False)
        texts = [normalise(i.text) for i in items]
        similarity = cosine_similarity(vectorise(texts))
        strata = [stratum(t) for t in texts]
        for a, x in enumerate(items):
            for b, y in enumerate(items):
                if a >= b:
                    continue
                s, where = float(similarity[a, b]), f"{check}: {x.text!r} ~ {y.text!r}"
                kinds = []
                if x.right != y.right:
                    kinds.append("right_wrong_any_stratum")
                    if strata[a] == strata[b]:
                        kinds.append("right_wrong")
                if strata[a] == strata[b]:
                    kinds.append("different_in_stratum")
                for kind in kinds:
                    if s > best[kind][0]:
                        best[kind] = (s, where)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--thresholds", default="0.5,0.6,0.7,0.75,0.8,0.9")
    parser.add_argument("--students", type=int, default=2000)
    args = parser.parse_args()
    thresholds = sorted({float(t) for t in args.thresholds.split(",")} | {THRESHOLD})
    print(f"{'threshold':>9} {'answers':>7} {'groups':>6} {'mixed':>5} {'merged':>6} {'near-dup found':>14} "
          f"{'purity':>6}")
    in_use = None
    for threshold in thresholds:
        t = evaluate(threshold)
        found = t["copies_found"] / t["copies"]
        print(f"{threshold:9.2f} {t['answers']:7d} {t['groups']:6d} {t['mixed']:5d} {t['merged_sources']:6d} "
              f"{found:14.3f} {t['pure_members'] / t['answers']:6.3f}")
        if threshold == THRESHOLD:
            in_use = t
    # What the strata are worth: the same grouping with every answer in one stratum.
    from coursework.services import answer_groups

    kept_stratum = answer_groups.stratum
    answer_groups.stratum = lambda text: ()
    try:
        without = evaluate(THRESHOLD, quiet=True)
    finally:
        answer_groups.stratum = kept_stratum
    print(f"without strata at {THRESHOLD}: {without['mixed']} mixed groups, {without['groups']} groups")
    closest = closest_pairs()
    for kind, (similarity, where) in closest.items():
        print(f"closest {kind.replace('_', ' ')}: {similarity:.3f} ({where or 'no such pair'})")
    worst = closest["right_wrong"][0]

    # A class: every student's answer to one question, copies and near-duplicates of the
    # population's few dozen answers; best of three runs, alternating nothing (one code path).
    seconds, groups = [], 0
    for check in checks():
        texts = [i.text for i in class_of(check, args.students)]
        started = time.perf_counter()
        groups = len(group_texts(texts))
        seconds.append(time.perf_counter() - started)
        print(f"{args.students} answers to {check}: {groups} groups in {seconds[-1]:.2f} s")
    print(f"mixed_groups={in_use['mixed']} mixed_groups_without_strata={without['mixed']} worst_right_wrong_similarity={worst:.3f} "
          f"closest_different_in_stratum={closest['different_in_stratum'][0]:.3f} threshold={THRESHOLD} "
          f"near_duplicates_found={in_use['copies_found'] / in_use['copies']:.3f} "
          f"groups_per_answer={in_use['groups'] / in_use['answers']:.3f} group_{args.students}_s={max(seconds):.2f}")


if __name__ == "__main__":
    main()
