"""Goals and pacing (issue 23). This increment: the pacing arithmetic only (pacing.py)."""
