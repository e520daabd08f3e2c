"""``python -m meetmind`` is the ``meetmind`` command."""

from meetmind.cli import main

main()
