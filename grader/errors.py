class SystemFault(RuntimeError):
    """The grading machinery failed (not the student's notebook): retried, then shown to TAs."""


class StudentFault(RuntimeError):
    """The notebook caused the failure; the message is for the student and is never retried.

    `mistake` names a mistake grader.explain knows how to explain (e.g. "probabilities").
    """

    def __init__(self, message: str, mistake: str | None = None):
        super().__init__(message)
        self.mistake = mistake
