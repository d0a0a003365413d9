"""URLs by audience: student.py (students and visitors), staff.py (TAs, under /ta/)."""
