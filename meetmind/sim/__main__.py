"""``python -m meetmind.sim``: run the Zoom simulator."""

from meetmind.sim.cli import main

main()
