"""`python -m stratlog` runs the `stratlog` command."""

from stratlog.cli import main

main()
