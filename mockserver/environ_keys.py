"""WSGI environ keys that ``segmock serve``'s worker offers the app (kept apart so neither imports the other)."""

AFTER_RESPONSE = "segmock.after_response"
"""A list: callables the app appends run once its answer has left, before the thread serves anything else."""
