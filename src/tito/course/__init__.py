"""Course content: the manifest (`manifest.json`), lessons, graded checks and milestone scripts.

Everything about the course's structure is in `manifest.json` (read through `tito.manifest`):
file names of lessons, checks and milestones follow from it and are checked against it.
"""
