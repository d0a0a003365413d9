"""Pages for students and visitors: the unit, their work, the leaderboard."""
