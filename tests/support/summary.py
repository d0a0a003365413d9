"""Counts that `make reliability` prints in its summary (filled in by the tests as they run)."""
SECURITY: dict[str, int] = {}
RESULTS: list[dict] = []


def record(scenario: str, runs: int, submissions: int, lost: int, duplicated: int, stuck: int, note: str = "") -> None:
    RESULTS.append({"scenario": scenario, "runs": runs, "submissions": submissions, "lost": lost,
                    "duplicated": duplicated, "stuck": stuck, "note": note})


def count(kind: str, n: int) -> None:
    SECURITY[kind] = SECURITY.get(kind, 0) + n
