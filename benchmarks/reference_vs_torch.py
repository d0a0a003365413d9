"""Train the same network in reference_nn (NumPy) and in PyTorch on the CPU, alternating.

Same architecture, optimiser (Adam), learning-rate schedule, epochs, batch size,
initialisation scale (He normal, zero biases) and data order. Each run happens in
its own child process so that its peak memory is its own; wall time covers the
training loop only (not imports or loading MNIST). Run it with an environment that
has torch (``make bench-reference`` builds one):

    python benchmarks/reference_vs_torch.py [--epochs 10] [--rounds 3]

Beside the two trainings, each round measures the limit the machine sets: a third
child times NumPy's float32 matrix products alone (BLAS, its default threads) at
exactly the shapes one training step multiplies (forward z = a W, backward
dW = a^T delta and delta W^T, per layer, for a full batch), on preallocated operands.
Training FLOPs over that rate is ``roofline_s``: the time the training would take if
it did nothing but its matrix products. A large square product is timed too, for
the machine's peak (``gemm_peak_gflops``, printed, not used).

Last line: ratio=R numpy_s=N torch_s=T roofline_s=F gemm_gflops=G numpy_roofline=X
numpy_acc=A torch_acc=B (medians; ratio is numpy/torch, below 1.0 means NumPy is
faster; numpy_roofline is numpy_s / roofline_s, 1.0 would be nothing but GEMM).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load(data_dir: Path):
    from reference_nn.idx import load_images, load_labels

    return (load_images(data_dir / "train-images-idx3-ubyte"), load_labels(data_dir / "train-labels-idx1-ubyte"),
            load_images(data_dir / "t10k-images-idx3-ubyte"), load_labels(data_dir / "t10k-labels-idx1-ubyte"))


def run_numpy(args, x, y, tx, ty):
    from reference_nn.train import TrainConfig, accuracy, build, train

    config = TrainConfig(sizes=args.sizes, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         lr_decay=args.lr_decay, seed=args.seed)
    net = build(config)
    started = time.perf_counter()
    train(net, x, y, config, progress=False)
    seconds = time.perf_counter() - started
    return seconds, accuracy(net, tx, ty)


def run_torch(args, x, y, tx, ty):
    import numpy as np
    import torch

    torch.manual_seed(args.seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(args.sizes[:-1], args.sizes[1:])):
        linear = torch.nn.Linear(n_in, n_out)
        torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")  # He normal, as reference_nn
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if i < len(args.sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=args.lr_decay)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    rng = np.random.default_rng(args.seed + 1)
    started = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.from_numpy(rng.permutation(len(x)))
        xs, ys = xt[order], yt[order]
        for start in range(0, len(xs), args.batch_size):
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(xs[start:start + args.batch_size]), ys[start:start + args.batch_size])
            loss.backward()
            optimizer.step()
        scheduler.step()
    seconds = time.perf_counter() - started
    with torch.no_grad():
        predictions = model(torch.from_numpy(tx)).argmax(1).numpy()
    return seconds, float((predictions == ty).mean())


def training_gemms(sizes: list[int], batch: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix product of one training step on a batch of ``batch``:
    forward a W per layer, then backward a^T delta per layer and delta W^T for every
    layer but the first (the input needs no gradient)."""
    shapes = [(batch, n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    shapes += [(n_in, batch, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    shapes += [(batch, n_out, n_in) for n_in, n_out in list(zip(sizes[:-1], sizes[1:]))[1:]]
    return shapes


def training_flops(args, n_images: int) -> float:
    """Multiply-adds count two FLOPs; a product's FLOPs grow linearly with the batch, so
    a short last batch counts for what it is."""
    per_image = sum(2 * m * k * n for m, k, n in training_gemms(args.sizes, 1))
    return float(per_image) * n_images * args.epochs


def run_gemm(args, seconds: float = 3.0) -> dict:
    """Rate of NumPy's float32 GEMM at the training's shapes, and at a large square shape."""
    import numpy as np

    rng = np.random.default_rng(args.seed)

    def rate(shapes) -> float:
        ops = [(rng.standard_normal((m, k), dtype=np.float32), rng.standard_normal((k, n), dtype=np.float32),
                np.empty((m, n), dtype=np.float32)) for m, k, n in shapes]
        flops = sum(2 * m * k * n for m, k, n in shapes)
        for a, b, c in ops * 3:  # warm up: threads started, operands in cache as in training
            np.matmul(a, b, out=c)
        trials = []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline or len(trials) < 5:
            started = time.perf_counter()
            for _ in range(20):
                for a, b, c in ops:
                    np.matmul(a, b, out=c)
            trials.append(20 * flops / (time.perf_counter() - started))
        return statistics.median(trials) / 1e9

    return {"gemm_gflops": rate(training_gemms(args.sizes, args.batch_size)), "peak_gflops": rate([(1024, 1024, 1024)])}


def run_profile(args, x, y, steps: int = 400, warmup: int = 50) -> dict:
    """Milliseconds per part of one training step (10th percentiles over ``steps`` steps
    of the default training loop's own parts: gather the batch, forward, backward,
    optimiser step), for the reference_nn found first on sys.path."""
    import numpy as np

    from reference_nn.optim import make_optimizer
    from reference_nn.train import TrainConfig, build

    config = TrainConfig(sizes=args.sizes, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    net = build(config)
    optimizer = make_optimizer(config.optimizer, net.params, net.grads, config.lr)
    x = np.ascontiguousarray(x, dtype=net.dtype)
    order = np.random.default_rng(args.seed + 1).permutation(len(x))
    xb = np.empty((args.batch_size, x.shape[1]), dtype=net.dtype)
    parts = {"gather": [], "forward": [], "backward": [], "optimizer": [], "step": []}
    clock = time.perf_counter
    for i in range(warmup + steps):
        start = (i * args.batch_size) % (len(x) - args.batch_size)
        index = order[start:start + args.batch_size]
        t0 = clock()
        np.take(x, index, axis=0, out=xb)
        yb = y[index]
        t1 = clock()
        net.forward(xb)
        t2 = clock()
        net.backward(yb)
        t3 = clock()
        optimizer.step()
        t4 = clock()
        if i >= warmup:
            for name, seconds in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                parts[name].append(seconds * 1e3)
    return {name: float(np.percentile(ms, 10)) for name, ms in parts.items()}


def profile(args) -> None:
    """Alternate the per-step profile of this checkout's reference_nn with that of
    ``--compare`` (another checkout's root, e.g. the main branch), one child each."""
    roots = [str(ROOT)] + ([str(Path(args.compare).resolve())] if args.compare else [])
    results = {root: [] for root in roots}
    passthrough = [a for a in sys.argv[1:] if a not in ("--profile",)]
    for round_ in range(args.rounds):
        for root in roots if round_ % 2 == 0 else roots[::-1]:
            out = subprocess.run([sys.executable, __file__, *passthrough, "--child", "profile", "--reference-root", root],
                                 capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"the profile of {root} failed:\n{out.stderr}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[root].append(result)
            print(f"round {round_ + 1} {root}: " + "  ".join(f"{k} {v:.3f}" for k, v in result.items()) + " ms (p10)",
                  flush=True)
    for root, rounds in results.items():
        print(f"median of p10s, {root}: "
              + "  ".join(f"{k} {statistics.median(r[k] for r in rounds):.3f}" for k in rounds[0]) + " ms")


def child(args) -> None:
    if args.child == "gemm":
        print(json.dumps(run_gemm(args)))
        return
    if args.child == "profile":
        # main() imported this checkout's reference_nn for its defaults: forget it.
        for name in [n for n in sys.modules if n == "reference_nn" or n.startswith("reference_nn.")]:
            del sys.modules[name]
        sys.path.insert(0, args.reference_root)
        x, y, _, _ = load(Path(args.data_dir))
        print(json.dumps(run_profile(args, x, y)))
        return
    x, y, tx, ty = load(Path(args.data_dir))
    seconds, acc = (run_numpy if args.child == "numpy" else run_torch)(args, x, y, tx, ty)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "accuracy": acc, "peak_mb": peak_mb}))


def main() -> None:
    from reference_nn.train import TrainConfig

    defaults = TrainConfig()  # the reference's own default configuration
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--lr-decay", type=float, default=defaults.lr_decay)
    parser.add_argument("--sizes", type=lambda s: [int(v) for v in s.split(",")], default=defaults.sizes)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--data-dir", default=os.environ.get("MNIST_DATA_DIR", str(ROOT / "var" / "data" / "mnist")))
    parser.add_argument("--profile", action="store_true",
                        help="instead of the comparison, time the parts of one step (p10 in ms) in each round")
    parser.add_argument("--compare", help="with --profile: another checkout's root, profiled alternately")
    parser.add_argument("--child", choices=["numpy", "torch", "gemm", "profile"], help=argparse.SUPPRESS)
    parser.add_argument("--reference-root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if args.profile:
        return profile(args)

    import numpy
    import torch

    print(f"numpy {numpy.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} cores; sizes={args.sizes} adam lr={args.lr} decay={args.lr_decay} "
          f"epochs={args.epochs} batch={args.batch_size} seed={args.seed}; "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')} (every child's)")
    results = {"numpy": [], "torch": [], "gemm": []}
    passthrough = [a for a in sys.argv[1:] if a != "--child"]
    for round_ in range(args.rounds):
        for kind in ("gemm", "numpy", "torch") if round_ % 2 == 0 else ("torch", "numpy", "gemm"):
            out = subprocess.run([sys.executable, __file__, *passthrough, "--child", kind],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[kind].append(result)
            if kind == "gemm":
                print(f"round {round_ + 1} gemm : {result['gemm_gflops']:7.1f} GFLOP/s at the training's shapes, "
                      f"{result['peak_gflops']:.1f} at 1024x1024x1024", flush=True)
                continue
            print(f"round {round_ + 1} {kind:5s}: {result['seconds']:7.2f} s  test accuracy {result['accuracy']:.4f}  "
                  f"peak memory {result['peak_mb']:.0f} MB", flush=True)
    gemm_rounds = results.pop("gemm")
    gemm = {k: statistics.median(r[k] for r in gemm_rounds) for k in ("gemm_gflops", "peak_gflops")}
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    acc = {k: statistics.median(r["accuracy"] for r in v) for k, v in results.items()}
    mem = {k: max(r["peak_mb"] for r in v) for k, v in results.items()}
    print(f"median wall: numpy {med['numpy']:.2f} s, torch {med['torch']:.2f} s; "
          f"peak memory: numpy {mem['numpy']:.0f} MB, torch {mem['torch']:.0f} MB")
    n_images = len(load(Path(args.data_dir))[1])
    flops = training_flops(args, n_images)
    roofline = flops / (gemm["gemm_gflops"] * 1e9)
    print(f"training: {flops / 1e12:.3f} TFLOP of matrix products; GEMM {gemm['gemm_gflops']:.1f} GFLOP/s at its "
          f"shapes (peak {gemm['peak_gflops']:.1f} at 1024^3): roofline {roofline:.2f} s")
    print(f"ratio={med['numpy'] / med['torch']:.3f} numpy_s={med['numpy']:.2f} torch_s={med['torch']:.2f} "
          f"roofline_s={roofline:.2f} gemm_gflops={gemm['gemm_gflops']:.1f} numpy_roofline={med['numpy'] / roofline:.2f} "
          f"numpy_acc={acc['numpy']:.4f} torch_acc={acc['torch']:.4f}")


if __name__ == "__main__":
    main()
