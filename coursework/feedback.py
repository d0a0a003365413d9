"""What a submission's feedback page shows, computed from the stored figures: the comparison
with the reference network (with the test's own noise allowed for), the weakest digits and
what they are mistaken for, and next steps chosen from what the run showed.

`shown` (coursework.services.disclosure) says what the viewer may see: the per-digit and
confusion figures are the whole test set's, so a student sees them only after the reveal,
and before it every figure here is the public half's."""
from __future__ import annotations

import math

from .services import disclosure

# Two accuracies closer than this many standard errors of the test are "about the same":
# 1.96 is the usual 95% band.
Z = 1.96
TEST_IMAGES = 10_000
GAP_WORTH_A_NOTE = 0.03  # training accuracy this far above test: memorising, not only learning
NEAR_BASELINE = 0.03  # this close to the nearest-mean classifier: the network has barely trained
HIDDEN_LAYERS_ASKED = 3
NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def noise_band(accuracy: float, images: int) -> float:
    """Half-width of the band within which a test of `images` images cannot tell two
    networks near `accuracy` apart (about ±0.3 points at 97.5% on 10,000 images)."""
    p = min(max(accuracy, 0.0), 1.0)
    return Z * math.sqrt(max(p * (1 - p), 1e-4) / max(images, 1))


def _digit_counts(seen: dict) -> list[int]:
    confusion = seen.get("confusion")
    if isinstance(confusion, list) and len(confusion) == 10:
        return [sum(row) for row in confusion]
    return [seen["images"] // 10] * 10


def digit_rows(submission, shown) -> list[dict]:
    seen = disclosure.figures(submission, shown)
    mine, ref = seen["per_digit"], seen["reference"]
    if not mine or not ref:
        return []
    counts = _digit_counts(seen)
    rows = []
    for d in range(10):
        band = noise_band(ref[d], counts[d])
        delta = mine[d] - ref[d]
        rows.append({"digit": d, "mine": mine[d], "reference": ref[d], "delta": delta, "band": band,
                     "same": abs(delta) <= band})
    return rows


def comparison(submission, shown) -> str:
    """One sentence on how the student compares with the reference network, on the same images."""
    ref = (disclosure.feedback(submission).scores.reference or {}).get("accuracy" if shown.whole else "public_accuracy")
    if shown.accuracy is None or ref is None:
        return ""
    images = TEST_IMAGES if shown.whole else TEST_IMAGES // 2
    where = "" if shown.whole else " on the public half"
    points = (shown.accuracy - ref) * 100
    band = noise_band(ref, images) * 100
    if abs(points) <= band:
        return (f"About the same as the reference network ({ref:.2%}{where}): {abs(points):.2f} points "
                f"{'above' if points > 0 else 'below'} it is within the ±{band:.1f} points a test of "
                f"{images:,} images cannot tell apart.")
    side = "above" if points > 0 else "below"
    return f"The reference network scores {ref:.2%}{where}: you are {abs(points):.2f} points {side} it."


def weakest_digits(submission, shown, count: int = 3) -> list[dict]:
    """The digits the network gets wrong most often, each with the digits it takes them for."""
    rows = digit_rows(submission, shown)
    seen = disclosure.figures(submission, shown)
    confusion = seen["confusion"]
    weakest = sorted(rows, key=lambda r: r["mine"])[:count]
    pairs = {(p.get("true"), p.get("predicted")): p for p in seen["confused_pairs"] or [] if isinstance(p, dict)}
    for row in weakest:
        row["mistaken_for"] = []
        if not (isinstance(confusion, list) and len(confusion) == 10):
            continue
        d = row["digit"]
        wrong = sorted(((confusion[d][p], p) for p in range(10) if p != d and confusion[d][p]), reverse=True)
        for times, predicted in wrong[:2]:
            row["mistaken_for"].append({
                "digit": predicted, "times": times,
                "examples": [image for image in (pairs.get((d, predicted)) or {}).get("images", [])
                             if isinstance(image, str)][:3],
            })
    return weakest


def _count(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def next_steps(submission, shown) -> list[str]:
    """What to try next, chosen from what this run showed and what the notebook declared
    (on the figures `shown` lets the viewer see)."""
    scores = disclosure.feedback(submission).scores
    accuracy = shown.accuracy
    if accuracy is None:
        return []
    steps = []
    declared = scores.declared or {}
    changed = declared.get("predict_disagreed")
    if changed:
        steps.append(f"predict gave different labels for the same images: asked twice about {_count(changed)} of "
                     f"{declared.get('predict_asked_twice', 64)} training images before the test, it changed its "
                     "answer for them. A PyTorch model left in training mode keeps dropping units at random, which "
                     "costs accuracy: call model.eval() after training (model.train() only while training), and "
                     "predict under torch.no_grad().")
    sizes = declared.get("layer_sizes")
    if sizes:
        hidden = len(sizes) - 2
        if hidden < HIDDEN_LAYERS_ASKED:
            steps.append(f"The project asks for at least {_count(HIDDEN_LAYERS_ASKED)} hidden layers; yours has "
                         f"{_count(hidden)} ({' → '.join(map(str, sizes))}). Add layers between the input and the "
                         "output, for example 784 → 256 → 128 → 64 → 10.")
        if sizes[0] != 784 or sizes[-1] != 10:
            steps.append(f"Your layer_sizes run from {sizes[0]} to {sizes[-1]}: an MNIST network takes 784 inputs "
                         "(one per pixel) and gives 10 outputs (one per digit).")
    train = declared.get("train_accuracy")
    if train is not None and train - accuracy > GAP_WORTH_A_NOTE:
        steps.append(f"Your network gets {train:.1%} of its training images right but {accuracy:.1%} of the test "
                     "images: it memorises the training set more than it learns digits. Stop training when the "
                     "validation accuracy stops rising, or try smaller layers or weight decay.")
    baseline = (scores.baseline or {}).get("nearest_mean_accuracy")
    if baseline is not None and accuracy < baseline + NEAR_BASELINE:
        steps.append(f"Comparing each image with the average image of each digit, with no training at all, scores "
                     f"{baseline:.1%}; your network scores {accuracy:.1%}. Check that the loss falls during training "
                     "(print it each epoch), that the learning rate is neither tiny nor huge (try 0.1 for plain "
                     "gradient descent, 0.001 for Adam), and that you train on all the training images for several "
                     "epochs.")
    ref = (scores.reference or {}).get("accuracy" if shown.whole else "public_accuracy")
    images = TEST_IMAGES if shown.whole else TEST_IMAGES // 2
    if not steps and ref is not None and accuracy < ref - noise_band(ref, images):
        steps.append("Your architecture is what the project asks for; to close the gap with the reference, train for "
                     "a few more epochs with a learning rate that shrinks each epoch, or use Adam instead of plain "
                     "gradient descent.")
    return steps
