"""Graded checks: `check_NN_slug.py`, one pytest file per module (names from the manifest).

How to write one is in `tito.course.checks._helpers`.
"""
