class SystemFault(RuntimeError):
    """The grading machinery failed (not the student's notebook): retried, then shown to TAs."""


class StudentFault(RuntimeError):
    """The notebook caused the failure; the message is for the student and is never retried."""
