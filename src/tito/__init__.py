"""tito: the TinyTorch course tool.

It reads the course manifest (`tito/course/manifest.json`), generates the student edition of the
`tinytorch` package, manages the student's workspace, grades it in a separate process and records
progress. The command line is `tito` (`tito --help`).
"""
