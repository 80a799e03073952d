"""Lessons: `NN_slug.py` in Jupytext percent format, one per module (names from the manifest).

`tito init` turns each into `lessons/NN_slug.ipynb` in the student's workspace, with a first cell
that puts the workspace's `tinytorch` first on `sys.path`. A lesson also runs as a plain script
against the reference implementation.
"""
