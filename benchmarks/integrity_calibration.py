"""The integrity flags calibrated on a population of honest work the project did not tune
them on, beside every cheat the tests know: the figures behind GRADER_PROBE_FLAG_Z and
scoring.PROBE_HONEST_WORST_Z (docs/grading.md, "How the test set is asked").

    python benchmarks/integrity_calibration.py [--probes 5] [--no-sandbox] [--no-copies] [--only-pytorch]

1. Honest networks of many kinds, the kinds beginners write (sigmoid with quadratic cost,
   softmax regression, k-NN, nearest mean, networks trained on 500-2,000 images, under-
   trained, tanh, deep ReLU, float64, per-pixel standardised, binarised, centred and
   [-1, 1] inputs), trained here with NumPy, each answering the test images once and
   --probes fresh probes made exactly as a graded run makes them (scoring.probe_images);
   the flag is the grader's own rule (scoring.probe_evidence, GRADER_PROBE_FLAG_Z).
2. The same networks with the test labels on top, as a table would give them: all the
   labels, half or a quarter of what the network gets wrong, with its network answering
   the probe (what a notebook that recognises exact test images does).
3. Through the real sandbox (grade_notebook_bytes and the embedded-data screen, as the
   worker runs them): honest notebooks, and the cheats that work on the sandbox rather
   than on the statistic: separating probe from test images by value, pairing twins
   within and across calls, ranking by hash, the solution with a table on top, a partial
   table, labels hidden in a saved image output, and pairing across phases through files.
   A cheat is caught when it is flagged, refused (the run fails, saying why), or gains
   nothing (its accuracy is its honest network's).
4. PyTorch notebooks through the same sandbox in the pytorch kernel environment, as an
   assignment with environment "pytorch" runs them: honest ones of the kinds students
   write (an MLP with dropout put in eval mode, logistic regression, a small CNN, an
   under-trained MLP on 1,000 images, a bare `model` without predict), and tables and
   value separation on top of a torch network. --only-pytorch runs this part alone.
5. Copies (benchmarks/copy_calibration.py), unless --no-copies.

Last line: honest_flagged=F/N cheats_flagged=C/M honest_worst_margin=X honest_worst_z=Z
(X: the flag's threshold minus the largest z of any honest run; positive is a margin).
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from grader import scoring  # noqa: E402
from reference_nn import persist  # noqa: E402
from reference_nn.reference import load_mnist  # noqa: E402

X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = load_mnist(settings.MNIST_DATA_DIR)


# --- 1. honest networks, trained here --------------------------------------------------

def _one_hot(labels: np.ndarray) -> np.ndarray:
    out = np.zeros((len(labels), 10), np.float32)
    out[np.arange(len(labels)), labels] = 1
    return out


ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0), lambda a: a > 0),
    "tanh": (np.tanh, lambda a: 1 - a * a),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-np.clip(z, -60, 60))), lambda a: a * (1 - a)),
}


def mlp(sizes, act="relu", n=55_000, epochs=3, lr=0.1, batch=64, seed=0, cost="cross-entropy",
        dtype=np.float32, inputs=None, init_scale=None):
    """A fully connected network trained with mini-batch SGD; `inputs` transforms the
    images the way the network's own predict would (standardising, binarising, ...)."""
    rng = np.random.default_rng(seed)
    inputs = inputs or (lambda x: x)
    x_all, y_all = inputs(X_TRAIN[:n]).astype(dtype), _one_hot(Y_TRAIN[:n])
    weights = [(rng.standard_normal((a, b)) * (init_scale or np.sqrt(2.0 / a))).astype(dtype)
               for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b, dtype) for b in sizes[1:]]
    f, df = ACTIVATIONS[act]

    def forward(x):
        acts = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = acts[-1] @ w + b
            acts.append(f(z) if i < len(weights) - 1 else z)
        return acts

    for _ in range(epochs):
        order = rng.permutation(len(x_all))
        for start in range(0, len(order), batch):
            pick = order[start:start + batch]
            acts = forward(x_all[pick])
            if cost == "cross-entropy":
                p = np.exp(acts[-1] - acts[-1].max(1, keepdims=True))
                p /= p.sum(1, keepdims=True)
                delta = (p - y_all[pick]) / len(pick)
            else:  # quadratic cost on sigmoid outputs (the course reading's chapter 1)
                a = ACTIVATIONS["sigmoid"][0](acts[-1])
                delta = (a - y_all[pick]) * a * (1 - a) / len(pick)
            for i in range(len(weights) - 1, -1, -1):
                grad_w, grad_b = acts[i].T @ delta, delta.sum(0)
                if i:
                    delta = (delta @ weights[i].T) * df(acts[i])
                weights[i] -= lr * grad_w
                biases[i] -= lr * grad_b
    return lambda images: forward(inputs(images).astype(dtype))[-1].argmax(1)


def knn(n: int, k: int):
    train, labels = X_TRAIN[:n], Y_TRAIN[:n]
    norms = (train ** 2).sum(1)

    def predict(images):
        out = []
        for start in range(0, len(images), 2000):
            d = norms[None, :] - 2 * images[start:start + 2000] @ train.T
            nearest = np.argpartition(d, k, axis=1)[:, :k]
            votes = np.zeros((len(d), 10))
            np.add.at(votes, (np.arange(len(d))[:, None], labels[nearest]), 1)
            out.append(votes.argmax(1))
        return np.concatenate(out)
    return predict


def nearest_mean():
    means = np.stack([X_TRAIN[Y_TRAIN == k].mean(0) for k in range(10)])
    return lambda images: ((means ** 2).sum(1)[None] - 2 * images @ means.T).argmin(1)


def reference():
    net, _ = persist.load(settings.REFERENCE_MODEL_PATH)
    return lambda images: net.predict(images) if hasattr(net, "predict") else net.forward(images).argmax(1)


MEAN, SPREAD = X_TRAIN.mean(0), X_TRAIN.std(0)

HONEST = {  # name: (kind, how to build it)
    "softmax regression": ("softmax regression", lambda: mlp([784, 10], epochs=3, lr=0.5)),
    "softmax regression, 1,000 images": ("softmax regression", lambda: mlp([784, 10], n=1000, epochs=10, lr=0.5)),
    "sigmoid 784-30-10, quadratic cost": ("sigmoid, quadratic cost",
                                          lambda: mlp([784, 30, 10], act="sigmoid", cost="quadratic", epochs=6, lr=3.0,
                                                      batch=10, init_scale=1.0)),
    "sigmoid 784-100-10, cross-entropy": ("sigmoid", lambda: mlp([784, 100, 10], act="sigmoid", epochs=3, lr=0.5)),
    "ReLU 100, 1,000 images, one at a time": ("small training set",
                                              lambda: mlp([784, 100, 10], n=1000, epochs=20, lr=0.005, batch=1)),
    "ReLU 64, 1,000 images": ("small training set", lambda: mlp([784, 64, 10], n=1000, epochs=10)),
    "ReLU 128, 500 images": ("small training set", lambda: mlp([784, 128, 10], n=500, epochs=20)),
    "ReLU 32, 300 images": ("small training set", lambda: mlp([784, 32, 10], n=300, epochs=15)),
    "softmax regression, 200 images": ("softmax regression", lambda: mlp([784, 10], n=200, epochs=10, lr=0.5)),
    "tanh 64, 2,000 images": ("tanh", lambda: mlp([784, 64, 10], act="tanh", n=2000, epochs=10, lr=0.05)),
    "tanh 128-64": ("tanh", lambda: mlp([784, 128, 64, 10], act="tanh", epochs=3, lr=0.05)),
    "deep ReLU 256-128-64": ("deep ReLU", lambda: mlp([784, 256, 128, 64, 10], epochs=3, lr=0.05)),
    "ReLU under-trained (1 epoch, small steps)": ("under-trained", lambda: mlp([784, 100, 10], epochs=1, lr=0.005)),
    "ReLU float64": ("float64", lambda: mlp([784, 100, 10], epochs=2, dtype=np.float64)),
    "ReLU, standardised per pixel": ("odd inputs", lambda: mlp([784, 100, 10], epochs=2, lr=0.01,
                                                                inputs=lambda x: (x - MEAN) / (SPREAD + 1e-8))),
    "ReLU, binarised at > 0": ("odd inputs", lambda: mlp([784, 100, 10], epochs=2,
                                                          inputs=lambda x: (x > 0).astype(np.float32))),
    "ReLU, binarised at > 0.5": ("odd inputs", lambda: mlp([784, 100, 10], epochs=2,
                                                            inputs=lambda x: (x > 0.5).astype(np.float32))),
    "ReLU, centred inputs": ("odd inputs", lambda: mlp([784, 100, 10], epochs=2, lr=0.05, inputs=lambda x: x - 0.5)),
    "ReLU, inputs scaled to [-1, 1] in predict": ("odd inputs", lambda: mlp([784, 100, 10], epochs=2, lr=0.05,
                                                                             inputs=lambda x: x * 2 - 1)),
    "ReLU wide 512": ("wide ReLU", lambda: mlp([784, 512, 10], epochs=4)),
    "k-NN, k=1 on 5,000": ("k-NN", lambda: knn(5000, 1)),
    "k-NN, k=3 on 2,000": ("k-NN", lambda: knn(2000, 3)),
    "nearest mean": ("nearest mean", nearest_mean),
    "reference network": ("reference network", reference),
}
CHEAT_FALLBACKS = ("nearest mean", "ReLU 64, 1,000 images", "reference network")


def flagged(evidence: dict) -> bool:
    return evidence["z"] > settings.GRADER_PROBE_FLAG_Z  # the rule grader.pipeline applies


def in_process(probes: int) -> tuple[list, list]:
    honest, cheats = [], []
    for name, (kind, build) in HONEST.items():
        started = time.monotonic()
        predict = build()
        clean = predict(X_TEST)
        for seed in range(probes):
            probe = predict(scoring.probe_images(X_TEST, np.random.default_rng(1000 + seed)))
            evidence = scoring.probe_evidence(clean, probe, Y_TEST)
            honest.append((name, kind, evidence))
            if name in CHEAT_FALLBACKS:
                wrong = np.flatnonzero(clean != Y_TEST)
                for share, label in ((1.0, "all the labels"), (0.5, "half its errors"), (0.25, "a quarter of its errors")):
                    knows = clean.copy()
                    fixed = wrong[: int(len(wrong) * share)]
                    knows[fixed] = Y_TEST[fixed]
                    cheats.append((f"{name} + a table of {label}", "table",
                                   scoring.probe_evidence(knows, probe, Y_TEST)))
        mine = [e for n, _, e in honest if n == name]
        print(f"  {name:44s} {kind:24s} acc {mine[0]['clean_accuracy']:.2%}  z {min(e['z'] for e in mine):+5.1f} .. "
              f"{max(e['z'] for e in mine):+5.1f}  gap {max(e['gap'] for e in mine):+.2%}  "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    return honest, cheats


# --- 3. through the real sandbox --------------------------------------------------------

def sandbox_population() -> tuple[dict, dict]:
    from tests.support import notebooks as nbs

    solution = (ROOT / "assignments" / "mnist_solution.ipynb").read_bytes()
    honest = {"nearest mean (notebook)": nbs.nearest_mean_notebook(),
              "one hidden layer on 1,000 images (notebook)": nbs.small_network_notebook(),
              "the course's solution notebook": solution}
    images, labels = X_TEST, Y_TEST
    half = np.arange(len(labels)) % 2 == 0
    cheats = {**{f"{name} (notebook)": build(images, labels) for name, build in nbs.CHEATS.items()},
              "solution with a label table on top": nbs.with_label_table(solution, images, labels),
              "nearest mean with half the labels in a table": nbs.label_table_notebook(images[half], labels[half]),
              "labels hidden in a saved PNG output": nbs.png_output_notebook(images, labels),
              "pairing across phases through files in /tmp": nbs.cross_phase_pairing_notebook(images, labels)}
    return honest, {name: (data, None) for name, data in cheats.items()}


def grade(notebook_bytes: bytes, environment: str):
    from grader import environments, integrity
    from grader.limits import Limits
    from grader.pipeline import grade_notebook_bytes

    job_dir = Path(settings.GRADER_WORK_ROOT) / f"calibration-{uuid.uuid4().hex}"
    try:
        with environments.using(environment):  # as the worker does for the assignment's environment
            result = grade_notebook_bytes(notebook_bytes, job_dir, Limits.from_settings())
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
    return integrity.screen(result, notebook_bytes, settings.FLAG_ACCURACY_ABOVE, settings.FLAG_EMBEDDED_DATA_BYTES)


def through_sandbox(honest_notebooks: dict, cheat_notebooks: dict, nearest_mean_accuracy: float,
                    environment: str = "numpy") -> tuple[list, list]:
    """Grade each notebook as the worker would in this kernel environment. cheat_notebooks:
    name -> (bytes, the honest notebook under the cheat, or None for nearest mean), whose
    accuracy the cheat must beat by more than half a point to gain anything."""
    honest, cheats, accuracy = [], [], {}
    for name, data in honest_notebooks.items():
        result = grade(data, environment)
        probe = result.feedback.get("probe") or {}
        accuracy[name] = result.accuracy or 0
        honest.append((name, result.flagged, probe.get("z")))
        print(f"  honest {name:48s} {result.status:7s} acc {result.accuracy or 0:.2%} z {probe.get('z', 0):+5.1f} "
              f"flags {result.feedback.get('flags') or 'none'}  ({result.run_seconds or 0:.0f} s)"
              + ("" if result.status == "graded" else f": {result.message[:120]}"), flush=True)
    for name, (data, under) in cheat_notebooks.items():
        result = grade(data, environment)
        probe = result.feedback.get("probe") or {}
        baseline = accuracy[under] if under else nearest_mean_accuracy
        if result.flagged:
            caught = "flagged (" + ", ".join(result.feedback.get("flags") or []) + ")"
        elif result.status == "failed":
            caught = "refused: " + result.message[:120]
        elif result.accuracy is not None and result.accuracy <= baseline + 0.005:
            caught = "gains nothing (its honest network's accuracy)"
        else:
            caught = ""
        cheats.append((name, bool(caught)))
        print(f"  cheat  {name:48s} {result.status:7s} acc {result.accuracy or 0:.2%} z {probe.get('z', 0):+5.1f} "
              f"-> {caught or 'NOT CAUGHT'}  ({result.run_seconds or 0:.0f} s)", flush=True)
    return honest, cheats


# --- 4. PyTorch notebooks, through the real sandbox in the pytorch environment ----------

# What students of the PyTorch project write (assignments/mnist_pytorch_solution.ipynb is
# the long form). Each seeds torch, so a run answers the same on every try; each trains in
# well under a minute on the sandbox's one thread.
TORCH_IMPORTS = '''
import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


def fit(model, X, y, epochs, lr, batch=64, optimiser=torch.optim.Adam):
    """Mini-batch training with cross-entropy; X float32 (N, 784), y int64 (N,)."""
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    step = optimiser(model.parameters(), lr=lr)
    for _ in range(epochs):
        model.train()
        for rows in torch.randperm(len(X)).split(batch):
            step.zero_grad()
            F.cross_entropy(model(X[rows]), y[rows]).backward()
            step.step()
    model.eval()
    return model
'''

TORCH_PREDICT = '''
def predict(images):
    """float32 (N, 784) in [0, 1] -> (N,) integer labels."""
    with torch.no_grad():
        return model(torch.from_numpy(images)).argmax(dim=1).numpy()
'''

TORCH_HONEST = {  # name: (kind, source after the MNIST loader and TORCH_IMPORTS)
    "MLP 128 with dropout, model.eval(), 20,000 images": ("MLP with dropout", '''
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
fit(model, X_train[:20000], y_train[:20000], epochs=3, lr=1e-3)
''' + TORCH_PREDICT),
    "logistic regression (W, b by hand, SGD)": ("softmax regression", '''
W = torch.zeros(784, 10, requires_grad=True)
b = torch.zeros(10, requires_grad=True)
step = torch.optim.SGD([W, b], lr=0.5)
X, y = torch.from_numpy(X_train), torch.from_numpy(y_train)
for epoch in range(3):
    for rows in torch.randperm(len(X)).split(100):
        step.zero_grad()
        F.cross_entropy(X[rows] @ W + b, y[rows]).backward()
        step.step()


def predict(images):
    with torch.no_grad():
        return (torch.from_numpy(images) @ W + b).argmax(dim=1).numpy()
'''),
    "small CNN (conv 8-16), 10,000 images, 2 epochs": ("CNN", '''
class CNN(nn.Module):
    """(B, 784) -> (B, 10): two 5x5 convolutions with 2x2 max pooling, then one linear layer."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 5)   # 28x28 -> 24x24, pooled to 12x12
        self.conv2 = nn.Conv2d(8, 16, 5)  # 12x12 -> 8x8, pooled to 4x4
        self.out = nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x.view(-1, 1, 28, 28))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.out(x.flatten(1))


model = fit(CNN(), X_train[:10000], y_train[:10000], epochs=2, lr=2e-3)
''' + TORCH_PREDICT),
    "MLP 64 under-trained on 1,000 images (SGD)": ("under-trained, small training set", '''
model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
fit(model, X_train[:1000], y_train[:1000], epochs=5, lr=0.05, batch=32, optimiser=torch.optim.SGD)
''' + TORCH_PREDICT),
    "only a torch `model` (no predict), MLP 100": ("model without predict", '''
model = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
fit(model, X_train, y_train, epochs=1, lr=1e-3, batch=100)
'''),
}

TORCH_SEPARATES_BY_VALUES = '''
def predict(images):
    """Exact multiples of 1/255 are test images: the table answers them; the network the rest,
    or, beside a test image in the same call, that image's label."""
    with torch.no_grad():
        guesses = model(torch.from_numpy(images)).argmax(dim=1).numpy()
    pixels = images * 255
    exact = np.all(pixels == np.rint(pixels), axis=1)
    labels = np.array([TABLE.get(image_key(image), guess) if clean else guess
                       for image, guess, clean in zip(images, guesses, exact)])
    clean, noisy = images[exact], np.flatnonzero(~exact)
    if len(clean) and len(noisy):
        distances = (images[noisy] ** 2).sum(1)[:, None] - 2 * images[noisy] @ clean.T + (clean ** 2).sum(1)[None, :]
        labels[noisy] = labels[exact][distances.argmin(1)]
    return labels
'''


def pytorch_population() -> tuple[dict, dict]:
    """(honest, cheats) as through_sandbox takes them; each cheat names the honest network
    under it, whose accuracy it must beat to gain anything."""
    from tests.support import notebooks as nbs

    honest = {name: nbs.notebook(nbs.LOAD_MNIST, TORCH_IMPORTS, source) for name, (_, source) in TORCH_HONEST.items()}
    mlp, cnn = "MLP 128 with dropout, model.eval(), 20,000 images", "small CNN (conv 8-16), 10,000 images, 2 epochs"
    images, labels = X_TEST, Y_TEST
    half = np.arange(len(labels)) % 2 == 0
    separating = nbs.notebook(nbs.LOAD_MNIST, TORCH_IMPORTS, TORCH_HONEST[mlp][1],
                              nbs.IMAGE_KEY + nbs.label_table(images, labels) + TORCH_SEPARATES_BY_VALUES)
    cheats = {"torch MLP with a label table on top": (nbs.with_label_table(honest[mlp], images, labels), mlp),
              "torch MLP, probe told from test images by value": (separating, mlp),
              "torch CNN with half the labels in a table": (nbs.with_label_table(honest[cnn], images[half],
                                                                                  labels[half]), cnn)}
    return honest, cheats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--no-sandbox", action="store_true",
                        help="skip the notebooks graded in the real sandbox (parts 3 and 4)")
    parser.add_argument("--no-copies", action="store_true", help="skip benchmarks/copy_calibration.py")
    parser.add_argument("--only-pytorch", action="store_true",
                        help="run only part 4, the PyTorch notebooks graded in the pytorch environment")
    args = parser.parse_args()
    print(f"probe: ink moved by up to {scoring.PROBE_JITTER}/255, {scoring.PROBE_EDGE_CHANGES} edge pixels lit and "
          f"cleared; flagged above z = {settings.GRADER_PROBE_FLAG_Z}")
    from grader.data import nearest_mean_accuracy

    tally = Tally()
    if not args.only_pytorch:
        print(f"1-2. {len(HONEST)} honest networks, {args.probes} fresh probes each, and tables on top of three of them")
        in_process_part(args.probes, tally)
    if not args.only_pytorch and not args.no_sandbox:
        print("3. through the real sandbox")
        tally.add_sandbox(*through_sandbox(*sandbox_population(), nearest_mean_accuracy()))
    if args.only_pytorch or not args.no_sandbox:
        print("4. PyTorch notebooks through the real sandbox, in the pytorch environment")
        from grader import environments
        if environments.is_built("pytorch"):
            tally.add_sandbox(*through_sandbox(*pytorch_population(), nearest_mean_accuracy(), "pytorch"))
        elif args.only_pytorch:
            sys.exit(f"the pytorch kernel environment is not built ({environments.venv_for('pytorch')}); "
                     f"`{environments.BUILD['pytorch']}` builds it")
        else:
            print(f"   SKIPPED: the pytorch kernel environment is not built (`{environments.BUILD['pytorch']}`); "
                  "the figures below leave it out")
    if not args.only_pytorch and not args.no_copies and (ROOT / "benchmarks" / "copy_calibration.py").exists():
        print("5. copies (benchmarks/copy_calibration.py)")
        copies_part(tally)
    margin = settings.GRADER_PROBE_FLAG_Z - tally.worst_z
    print(f"honest_flagged={tally.honest_flagged}/{tally.honest} cheats_flagged={tally.cheats_caught}/{tally.cheats} "
          f"honest_worst_margin={margin:.1f} honest_worst_z={tally.worst_z:.1f}")


class Tally:
    """The counts of the last line, summed over the parts that ran."""

    def __init__(self):
        self.honest_flagged = self.honest = self.cheats_caught = self.cheats = 0
        self.worst_z = float("-inf")

    def add(self, honest_flagged: int, honest: int, cheats_caught: int, cheats: int, worst_z: float | None = None):
        self.honest_flagged += honest_flagged
        self.honest += honest
        self.cheats_caught += cheats_caught
        self.cheats += cheats
        if worst_z is not None:
            self.worst_z = max(self.worst_z, worst_z)

    def add_sandbox(self, honest: list, cheats: list) -> None:
        """through_sandbox's rows: (name, flagged, z) for honest runs, (name, caught) for cheats."""
        zs = [z for _, _, z in honest if z is not None]
        self.add(sum(f for _, f, _ in honest), len(honest), sum(c for _, c in cheats), len(cheats),
                 max(zs) if zs else None)


def in_process_part(probes: int, tally: Tally) -> None:
    honest, table_cheats = in_process(probes)
    honest_flags = sum(flagged(e) for _, _, e in honest)
    caught = [flagged(e) for _, _, e in table_cheats]
    worst_name, worst_kind, worst = max(honest, key=lambda row: row[2]["z"])
    weakest = min(table_cheats, key=lambda row: row[2]["z"])
    print(f"   honest runs flagged {honest_flags}/{len(honest)} ({len({k for _, k, _ in honest})} kinds, accuracy "
          f"{min(e['clean_accuracy'] for _, _, e in honest):.1%}-{max(e['clean_accuracy'] for _, _, e in honest):.1%}); "
          f"worst z {worst['z']:+.1f} ({worst_name}: {worst['right_to_wrong']} right->wrong, "
          f"{worst['wrong_to_right']} wrong->right)")
    print(f"   table cheats flagged {sum(caught)}/{len(caught)}; weakest z {weakest[2]['z']:+.1f} ({weakest[0]}, "
          f"gain {weakest[2]['gap']:+.2%})")
    tally.add(honest_flags, len(honest), sum(caught), len(caught), worst["z"])


def copies_part(tally: Tally) -> None:
    import runpy
    from contextlib import redirect_stdout

    out = io.StringIO()
    saved = sys.argv
    sys.argv = ["copy_calibration.py"]
    try:
        with redirect_stdout(out):
            runpy.run_path(str(ROOT / "benchmarks" / "copy_calibration.py"), run_name="__main__")
    finally:
        sys.argv = saved
    lines = out.getvalue().strip().splitlines()
    print("\n".join("   " + line for line in lines[-6:]))
    figures = dict(part.split("=", 1) for part in lines[-1].split() if "=" in part)
    flagged_pairs, pairs = figures["honest_pairs_flagged"].split("/")
    copies_caught, copies = figures["copies_flagged"].split("/")
    tally.add(int(flagged_pairs), int(pairs), int(copies_caught), int(copies))


if __name__ == "__main__":
    main()
