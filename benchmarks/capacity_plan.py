"""The capacity table of docs/operations.md, from a measured grading rate.

Give it the last figure of benchmarks/solution_throughput.py (solution notebooks graded
per minute per core). For each class size and number of uploads per student in the last
hour before the deadline it prints the worker cores needed and the expected wait:

- cores: the fewest that keep the grading slots at most 80% busy over that hour (above
  that, waits grow without bound as the hour goes on);
- expected wait in the queue, uploads spread over the hour: an M/D/c queue (random
  arrivals, each job the measured length), by the Erlang C formula halved for fixed job
  lengths (the Allen-Cunneen approximation);
- the worst case, everyone's uploads in the last 15 minutes: how long after the deadline
  the last of them is graded with those cores, and the cores that grade it all within 15
  minutes of the deadline.

    python benchmarks/capacity_plan.py --per-core-per-min 3.3 [--students 200 500 2000] [--uploads 1 2 3]

Last line: cores_for_2000_students_1_upload=N
"""
from __future__ import annotations

import argparse
import math


def erlang_c(servers: int, offered: float) -> float:
    """The probability that an arrival waits, with `servers` slots and `offered` = λ/μ."""
    if offered >= servers:
        return 1.0
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= offered / k
        total += term
    term *= offered / servers
    last = term * servers / (servers - offered)
    return last / (total + last)


def plan(students: int, uploads: int, per_core_per_min: float, target_busy: float = 0.8) -> dict:
    jobs_per_min = students * uploads / 60
    service_min = 1 / per_core_per_min  # one job's length on one core
    offered = jobs_per_min * service_min
    cores = max(1, math.ceil(offered / target_busy))
    wait_min = erlang_c(cores, offered) * service_min / (cores - offered) / 2
    # All of it inside the last 15 minutes: the slots work from the first upload on.
    after_deadline_min = max(0.0, students * uploads / (cores * per_core_per_min) - 15)
    burst_cores = math.ceil(students * uploads / (30 * per_core_per_min))
    return {"cores": cores, "busy": offered / cores, "wait_s": wait_min * 60, "after_deadline_min": after_deadline_min,
            "burst_cores": burst_cores}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-core-per-min", type=float, required=True)
    parser.add_argument("--students", type=int, nargs="+", default=[200, 500, 2000])
    parser.add_argument("--uploads", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    print(f"grading rate {args.per_core_per_min} solution notebooks per minute per core "
          f"({60 / args.per_core_per_min:.0f} s of one core each)")
    print("| students | uploads each in the last hour | worker cores (2-core hosts) | slots busy | expected wait "
          "| all in the last 15 min: last graded after the deadline | cores to grade that within 15 min |")
    print("|---|---|---|---|---|---|---|")
    for students in args.students:
        for uploads in args.uploads:
            p = plan(students, uploads, args.per_core_per_min)
            print(f"| {students:,} | {uploads} | {p['cores']} ({math.ceil(p['cores'] / 2)}) | {p['busy']:.0%} "
                  f"| {p['wait_s']:.0f} s | {p['after_deadline_min']:.0f} min | {p['burst_cores']} |")
    print(f"cores_for_2000_students_1_upload={plan(2000, 1, args.per_core_per_min)['cores']}")


if __name__ == "__main__":
    main()
