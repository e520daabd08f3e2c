"""The agent tests reuse the stream fixtures (a simulator and MeetMind wired together)."""

from tests.streams.conftest import follow, stream_stack

__all__ = ["follow", "stream_stack"]
