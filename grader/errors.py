class SystemFault(RuntimeError):
    """The grading machinery failed (not the student's notebook): retried, then shown to TAs."""


class HostBusy(SystemFault):
    """The host starved the job: the wall clock ran out while the notebook's charged time
    (its own running and sleeping, not its waiting for a CPU) was under its limits. The
    run is done again without using one of the notebook's attempts."""


class StudentFault(RuntimeError):
    """The notebook caused the failure; the message is for the student and is never retried.

    `mistake` names a mistake grader.explain knows how to explain (e.g. "probabilities").
    """

    def __init__(self, message: str, mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake
