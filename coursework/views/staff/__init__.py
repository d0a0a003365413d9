"""Pages for TAs and instructors (each module one area; access rules in permissions.py)."""
