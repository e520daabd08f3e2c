"""The curated public surface of meetmind.agent."""

from __future__ import annotations

import meetmind.agent
from meetmind.agent import bridge, extractive, openai_compat, responder, wakeword


def test_agent_all_is_sorted_and_complete() -> None:
    exported = meetmind.agent.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n))
    for name in exported:
        assert hasattr(meetmind.agent, name)
    for module in (bridge, extractive, openai_compat, responder, wakeword):
        missing = set(module.__all__) - set(exported)
        assert missing <= {"DEFAULT_FALLBACK_TEXT"}, (module.__name__, missing)
