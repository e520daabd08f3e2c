"""The Zoom simulator: a faithful local Zoom (OAuth, REST, webhooks, RTMS) for tests and demos.

See ``docs/simulator.md``. The main entry point is :class:`~meetmind.sim.simulator.Simulator`.
"""

from meetmind.sim.clock import ScaledClock, SimClock
from meetmind.sim.context import SimConfig
from meetmind.sim.faults import Fault, FaultKind
from meetmind.sim.record import Entry, Recorder
from meetmind.sim.rest import RestFault
from meetmind.sim.scripts import Script, ScriptError, load_script, shipped_scripts
from meetmind.sim.simulator import Simulator

__all__ = [
    "Entry",
    "Fault",
    "FaultKind",
    "Recorder",
    "RestFault",
    "ScaledClock",
    "Script",
    "ScriptError",
    "SimClock",
    "SimConfig",
    "Simulator",
    "load_script",
    "shipped_scripts",
]
