"""Grouping similar answers to one question, so that a TA grades each distinct answer once.

Two thousand students answering "what is the output layer?" write a few dozen distinct
answers. `group_texts` puts answers that say the same thing in the same words (copies,
near-duplicates, the same sentence with a typo or a filler word) into one group, and
leaves everything else apart.

How (docs/reviews.md, "Grouping similar answers"):

1. Answers first fall into strata by what decides whether they are right: the numbers
   they give and their negations and direction words (not, higher, decreases, uphill...),
   in the order they come. Two answers are grouped only within one stratum, so "AlexNet
   won in 2012" never joins "AlexNet won in 2010", nor "it IS a function" "it is not".
2. Within a stratum, answers are compared by their character n-grams within words
   (scikit-learn's TfidfVectorizer, term frequencies only), which shrugs off typos, case, punctuation and word order, and grouped
   by complete-linkage clustering on cosine similarity: every two members of a group are
   at least THRESHOLD alike (single linkage would chain A~B~C into a group where A and C
   differ).

Short essay passages are grouped by the same function, strata and threshold
(coursework.services.passages cuts essays to about an answer's size).

The measure is surface similarity by design: a paraphrase in other words stays a group
of its own, which costs a TA one more grade; merging a right and a wrong answer would
give a whole group the wrong grade. benchmarks/answer_groups.py calibrates THRESHOLD on
the hint population (right and wrong answers to the checked questions) with generated
near-duplicates, and prints the worst case.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

# Complete-linkage cosine similarity between every two members of a group
# (benchmarks/answer_groups.py: no group mixes right and wrong answers at any threshold from 0.4;
# 0.7 finds 96% of near-duplicates and merges no two different answers of the population).
THRESHOLD = 0.7

# Longer answers are not grouped (each is a group of its own): synthesis answers are a few
# sentences, and comparing essays' worth of text from 2,000 students would hold a web
# request for seconds (a student may write 20,000 characters).
MAX_CHARS = 2000

# Words that flip or point an answer's meaning; an answer's stratum keeps them in order.
# Each maps to a canonical form so that inflections agree ("increases", "increasing").
_DECISIVE = {}
for canonical, forms in {
    "not": "not no never none nothing nobody neither nor cannot cant without isnt arent doesnt dont didnt wont "
           "wasnt werent hasnt havent shouldnt couldnt wouldnt",
    "high": "high higher highest", "low": "low lower lowest",
    "big": "big bigger biggest large larger largest", "small": "small smaller smallest",
    "more": "more most", "less": "less least fewer fewest",
    "up": "up upward upwards uphill ascent ascend ascends ascending climb climbs",
    "down": "down downward downwards downhill descend descends descending",
    "increase": "increase increases increased increasing rise rises rising grow grows growing",
    "decrease": "decrease decreases decreased decreasing drop drops dropping fall falls falling shrink shrinks",
    "better": "better best improve improves improved improving", "worse": "worse worst",
    "good": "good", "bad": "bad poor poorly",
    "right": "right correct correctly", "wrong": "wrong incorrect incorrectly",
    "close": "close closer near nearly", "far": "far further farther",
    "accurate": "accurate accurately", "inaccurate": "inaccurate",
    "opposite": "opposite against reverse", "negative": "negative minus", "positive": "positive plus",
    "same": "same",
    "max": "max maximum maximise maximize", "min": "min minimum minimise minimize",
    "first": "first", "last": "last", "input": "input inputs", "output": "output outputs",
}.items():
    for form in forms.split():
        _DECISIVE[form] = canonical
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_TOKEN = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?%?|(?<![\d])[.,]\d+%?|[a-z]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Case, accents, quotes and spacing made uniform."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u00d7", " x ")
    return " ".join(text.split())


def _number(token: str) -> str:
    percent = token.endswith("%")
    token = token.rstrip("%").replace(",", ".")
    if token.startswith(".") or token.startswith("-."):
        token = token.replace(".", "0.", 1)
    try:
        value = float(token)
    except ValueError:
        return token
    return f"{value:g}{'%' if percent else ''}"


def stratum(text: str) -> tuple[str, ...]:
    """The numbers and decisive words of an answer, in order: answers are grouped only within one."""
    out = []
    for token in _TOKEN.findall(normalise(text)):
        if token[0].isdigit() or token[0] in "-.,":
            out.append(_number(token))
            continue
        word = token.replace("'", "")
        if word.endswith("nt") and word[:-2] in ("is", "are", "does", "do", "did", "was", "were", "has", "have",
                                                  "should", "could", "would", "ca", "wo"):
            out.append("not")
        elif word in _NUMBER_WORDS:
            out.append(_NUMBER_WORDS[word])
        elif word in _DECISIVE:
            out.append(_DECISIVE[word])
    return tuple(out)


def vectorise(texts: list[str]):
    """Each text as its character 2- to 4-grams within words, counts dampened, unit length
    (so a dot product is the cosine). No inverse document frequency: with it, how alike two
    answers are would depend on everyone else's, and a group would split or merge as more
    students hand in (it also found fewer near-duplicates: benchmarks/answer_groups.py)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, use_idf=False).fit_transform(texts)


def group_texts(texts: list[str], threshold: float = THRESHOLD) -> list[list[int]]:
    """Indices of `texts` in groups, largest group first (then by first index); every index
    is in exactly one group. Blank answers form a group of their own; answers longer than
    MAX_CHARS are each alone."""
    # Identical answers (after normalising) are one point: it keeps the clustering small
    # when hundreds copy the same sentence.
    distinct: dict[str, list[int]] = defaultdict(list)
    groups: list[list[int]] = []
    for i, text in enumerate(texts):
        if len(text) > MAX_CHARS:
            groups.append([i])
        else:
            distinct[normalise(text)].append(i)
    if "" in distinct:
        groups.append(distinct.pop(""))
    keys = list(distinct)
    if keys:
        strata: dict[tuple, list[int]] = defaultdict(list)
        for n, key in enumerate(keys):
            strata[stratum(key)].append(n)
        vectors = vectorise(keys)
        for members in strata.values():
            for cluster in _clusters(vectors, members, threshold):
                groups.append([i for n in cluster for i in distinct[keys[n]]])
    for group in groups:
        group.sort()
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


# Rows of a stratum compared at once: bounds the similarities held in memory to
# BLOCK_ROWS x stratum size (8 bytes each) however large a stratum grows.
BLOCK_ROWS = 512


def _clusters(vectors, members: list[int], threshold: float) -> list[list[int]]:
    """Complete-linkage clusters of one stratum's texts (rows of `vectors`), every two members
    of a cluster at least `threshold` alike.

    Two texts less alike than the threshold never share a cluster, so every cluster lies
    within one connected part of the graph that joins the pairs at least that alike: the
    clustering runs on each such part alone, which gives the same clusters as running it on
    the whole stratum (but where two merges are exactly as alike: which comes first may differ),
    and most parts are one text (nothing to cluster) or two. A stratum
    of 2,000 passages then costs its pairwise similarities, a block of rows at a time, not a
    2,000-point clustering."""
    if len(members) == 1:
        return [members]
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rows = vectors[members]
    pairs_a, pairs_b = [], []
    for start in range(0, len(members), BLOCK_ROWS):
        block = (rows[start:start + BLOCK_ROWS] @ rows.T).tocoo()
        # Distances as the clustering reads them (1 - cosine < 1 - threshold: merged).
        near = (1 - block.data < 1 - threshold) & (block.row + start < block.col)
        pairs_a.append(block.row[near] + start)
        pairs_b.append(block.col[near])
    a, b = np.concatenate(pairs_a), np.concatenate(pairs_b)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(members), len(members)))
    count, part_of = connected_components(graph, directed=False)
    parts: list[list[int]] = [[] for _ in range(count)]
    for position, part in enumerate(part_of):
        parts[part].append(position)
    out = []
    for part in parts:
        if len(part) <= 2:  # one text, or two joined by their own edge
            out.append([members[p] for p in part])
            continue
        out.extend([members[part[p]] for p in cluster] for cluster in _complete_linkage(rows[part], threshold))
    return out


def _complete_linkage(rows, threshold: float) -> list[list[int]]:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics.pairwise import cosine_distances

    # Distances from the sparse vectors: a dense copy of 2,000 answers' n-grams would take
    # hundreds of megabytes where this takes 8 bytes a pair.
    clustering = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="complete",
                                         distance_threshold=1 - threshold)
    by_label: dict[int, list[int]] = defaultdict(list)
    for position, label in enumerate(clustering.fit_predict(cosine_distances(rows))):
        by_label[int(label)].append(position)
    return list(by_label.values())
