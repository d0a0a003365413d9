"""Functions for grader.confined's tests to run in a child (importable without Django)."""
from grader.confined import Refused


def echo_length(data: bytes, times: int = 1) -> int:
    return len(data) * times


def spin(data: bytes) -> None:
    while True:
        pass


def sleep(data: bytes) -> None:
    import time

    time.sleep(60)


def hoard(data: bytes) -> None:
    blocks = []
    while True:
        blocks.append(bytearray(64 * 1024 * 1024))


def refuse(data: bytes) -> None:
    raise Refused(f"no thanks to {data.decode()}")


def fail(data: bytes) -> None:
    raise KeyError("a bug")


def die(data: bytes) -> None:
    import os

    os.abort()


def environment(data: bytes) -> dict:
    import os

    with open("/proc/self/environ", "rb") as first:
        names = [entry.split(b"=", 1)[0].decode() for entry in first.read().split(b"\0") if entry]
    return {"os.environ": dict(os.environ), "first": names}


def allocate(data: bytes, megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024)) // (1024 * 1024)
