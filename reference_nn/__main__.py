"""Command line: ``python -m reference_nn fetch [--data-dir D] [--from DIR]``."""
from __future__ import annotations

import argparse
import os
import sys

from .fetch import FetchError, fetch_mnist


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_nn")
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="download and verify the four MNIST files")
    fetch.add_argument("--data-dir", default=os.environ.get("MNIST_DATA_DIR", "var/data/mnist"))
    fetch.add_argument("--from", dest="user_dir", default=os.environ.get("MNIST_DIR"))
    args = parser.parse_args(argv)
    if args.command == "fetch":
        try:
            fetch_mnist(args.data_dir, user_dir=args.user_dir)
        except FetchError as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
