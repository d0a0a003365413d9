"""What the reliability scenarios share: a notebook that grades in a moment, settings that
make recovery quick, waiting for a batch and counting what happened to it."""
import time

from tests.support.notebooks import notebook

TRIVIAL = notebook("import numpy as np\ndef predict(images):\n    return np.zeros(len(images), dtype=int)")
# Silence is noticed after 15 s and swept every 2 s: a scenario's recovery takes seconds, not minutes.
FAST_RECOVERY = {"GRADER_STALE_RUNNING_S": "15", "GRADER_SWEEP_EVERY_S": "2", "GRADER_STUCK_AFTER_S": "5"}

def wait_for_all(stack, ids, timeout=600) -> dict[int, str]:
    deadline = time.monotonic() + timeout
    while True:
        statuses = stack.statuses()
        pending = [i for i in ids if statuses.get(i) in ("queued", "running")]
        if not pending or time.monotonic() > deadline:
            return statuses
        time.sleep(2)


def tally(stack, ids, statuses):
    stored = stack.stored_results()
    lost = [i for i in ids if i not in statuses or statuses[i] in ("failed", "error")]
    stuck = [i for i in ids if statuses.get(i) in ("queued", "running")]
    duplicated = sum(n - 1 for i, n in stored.items() if i in ids and n > 1)
    missing_result = [i for i in ids if statuses.get(i) == "graded" and stored.get(i, 0) == 0]
    return lost + missing_result, duplicated, stuck
