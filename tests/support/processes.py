"""The sandbox's processes, as the tests that check none is left behind see them."""


def sandbox_processes() -> list[int]:
    """Live (not zombie) processes of this test process's own sandbox uid: there should be
    none between runs. Only our own uid: a service or another test run on the same machine
    grades under uids of its own, which are none of our business."""
    from grader.runner import processes_of
    from grader.sandbox import host_uid

    return [pid for pid, state in processes_of(host_uid()) if state != "Z"]
