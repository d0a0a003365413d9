"""Counts that `make reliability` prints in its summary (filled in by the tests as they run)."""
SECURITY: dict[str, int] = {}


def count(kind: str, n: int) -> None:
    SECURITY[kind] = SECURITY.get(kind, 0) + n
