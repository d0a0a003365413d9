"""What each synthesis hint costs on answers shaped to make a regular expression backtrack,
beside an ordinary answer, in this process (the autosave endpoint runs every check of a
question set on each save).

    python benchmarks/hints.py [--repeat 3]

Prints the best of --repeat runs per check and input. Last line: worst_attack_s=X
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from coursework.models import Question  # noqa: E402
from coursework.services.hints import CHECKS, hint_for  # noqa: E402

INPUTS = {
    "ordinary answer": "Each output is off by 0.25, so each squared error is 0.0625; the MSE is 0.0625. " * 3,
    "20,000 digits": "1" * 20_000,
    "digits and dots": "1." * 10_000,
    "digits and commas": "1," * 10_000,
    "fractions": "1/" * 10_000,
    "spaces": " " * 19_999 + "x",
    "it is, repeated": "it is " * 3_000,
    "a number rejected, repeated": "0.25 is not " * 1_500,
    "a range never closed": "between 1" + " 1" * 9_000,
}


def best(check: str, text: str, repeat: int) -> float:
    question = Question(answer_check=check, text="?")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        hint_for(question, text)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    worst = 0.0
    for check in sorted(CHECKS):
        for name, text in INPUTS.items():
            seconds = best(check, text, args.repeat)
            if name != "ordinary answer":
                worst = max(worst, seconds)
            print(f"{check:20} {name:30} {seconds * 1000:9.2f} ms")
    print(f"worst_attack_s={worst:.3f}")


if __name__ == "__main__":
    main()
