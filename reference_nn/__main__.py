"""Command line.

    python -m reference_nn fetch [--data-dir D] [--from DIR]
    python -m reference_nn train [--sizes 784,512,256,128,10] [--activation relu] [--loss cross_entropy]
                                 [--optimizer adam] [--lr 0.001] [--epochs 10] [--batch-size 128]
                                 [--seed 0] [--out var/reference/model]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from .fetch import FetchError, fetch_mnist
from .network import ACTIVATIONS, LOSSES
from .optim import OPTIMIZERS
from .train import TrainConfig


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers, e.g. 784,512,10 (got {text!r})") from None
    if len(sizes) < 2 or sizes[0] != 784 or sizes[-1] != 10:
        raise argparse.ArgumentTypeError("for MNIST the first size is 784 and the last is 10")
    return sizes


def main(argv: list[str] | None = None) -> int:
    default_data = os.environ.get("MNIST_DATA_DIR", "var/data/mnist")
    parser = argparse.ArgumentParser(prog="python -m reference_nn")
    sub = parser.add_subparsers(dest="command", required=True)

    fetch = sub.add_parser("fetch", help="download and verify the four MNIST files")
    fetch.add_argument("--data-dir", default=default_data)
    fetch.add_argument("--from", dest="user_dir", default=os.environ.get("MNIST_DIR"))

    defaults = TrainConfig()
    train = sub.add_parser("train", help="train a network on MNIST and save it")
    train.add_argument("--data-dir", default=default_data)
    train.add_argument("--sizes", type=_sizes, default=defaults.sizes, help="layer sizes, e.g. 784,512,256,128,10")
    train.add_argument("--activation", choices=ACTIVATIONS, default=defaults.activation)
    train.add_argument("--loss", choices=LOSSES, default=defaults.loss)
    train.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default=defaults.optimizer)
    train.add_argument("--lr", type=float, default=defaults.lr)
    train.add_argument("--lr-decay", type=float, default=defaults.lr_decay)
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--validation", type=int, default=defaults.validation)
    train.add_argument("--out", default="var/reference/model", help="path prefix for .npz and .json")

    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            fetch_mnist(args.data_dir, user_dir=args.user_dir)
        else:
            from .reference import train_and_save

            fetch_mnist(args.data_dir, user_dir=os.environ.get("MNIST_DIR"), progress=False, log=lambda m: None)
            fields = {f.name for f in dataclasses.fields(TrainConfig)}
            config = TrainConfig(**{k: v for k, v in vars(args).items() if k in fields})
            _, meta = train_and_save(config, args.data_dir, args.out)
            print(f"seed {config.seed}, {config.epochs} epochs, {meta['train_seconds']:.1f} s of training")
            print(f"test accuracy {meta['test_accuracy']:.4f}; model written to {args.out}.npz and {args.out}.json")
    except FetchError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
