"""Milestone scripts: `mNN_slug.py`, run by `tito milestone run N` (names from the manifest).

Conventions for a script:
- it imports `tinytorch` and runs on whichever copy tito chose: the student's workspace, or the
  reference with `--reference` (`tito.launch` checks which one was loaded before the script starts);
- it accepts `--quick` (a short run for CI and a first try) and passes on any other arguments;
- it checks its own result and exits 0 only when the milestone's threshold is met, otherwise prints
  "did not converge" (with the numbers) and exits 1;
- it uses only modules listed in the milestone's `requires` in the manifest.
"""
