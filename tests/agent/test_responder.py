"""Responder protocol, load_responder, and the offline ExtractiveResponder."""

from __future__ import annotations

import pytest

from meetmind.agent import ExtractiveResponder, Responder, ResponderLoadError, load_responder
from meetmind.agent.responder import AgentReply, AgentRequest, ContextTurn
from meetmind.domain.errors import ConfigurationError, MeetMindError
from tests.agent.responder_plugins import EchoResponder

# A product sync, as speech recognition delivers it: fillers, crosstalk, an agent turn.
PRODUCT_SYNC = [
    (
        "Priya Sharma",
        "Morning everyone. Quick update: the API migration is finished and p95 "
        "latency dropped by thirty percent.",
    ),
    (
        "Tom Becker",
        "Nice. The big open question is still the launch date. Marketing wants the twelfth.",
    ),
    (
        "Priya Sharma",
        "I think the twelfth is too early, the billing integration still has two open bugs.",
    ),
    ("Ana Lopez", "Yeah."),
    ("Ana Lopez", "Um, what about the pricing page? Is the copy final?"),
    ("Tom Becker", "Not yet, legal is still reviewing the pricing copy."),
    ("Tom Becker", "Okay. So we decided to move the launch to the nineteenth."),
    ("Ana Lopez", "I'll update the launch checklist by Friday."),
    ("Tom Becker", "Priya, can you send the migration report to the customer success team?"),
    ("Priya Sharma", "Sure, I'll send it tomorrow morning."),
    ("Ana Lopez", "Action item for Tom: book the retro room for next week."),
    ("Priya Sharma", "We agreed that billing bugs block the release."),
    ("MeetMind", "Here's a recap: the launch moves to the nineteenth."),
    ("Ana Lopez", "Sounds good."),
]


def transcript(rows: list[tuple[str, str]] = PRODUCT_SYNC) -> tuple[ContextTurn, ...]:
    return tuple(
        ContextTurn(
            speaker_name=name,
            text=text,
            start_ms=i * 6_000,
            end_ms=i * 6_000 + 5_000,
            role="agent" if name == "MeetMind" else "participant",
        )
        for i, (name, text) in enumerate(rows)
    )


def ask(
    text: str, turns: tuple[ContextTurn, ...] | None = None, speaker: str = "Ana Lopez"
) -> AgentRequest:
    return AgentRequest(
        text=text,
        speaker_id="u_ana",
        speaker_name=speaker,
        session_id="ses_1",
        agent_name="MeetMind",
        transcript=transcript() if turns is None else turns,
    )


async def reply(text: str, turns: tuple[ContextTurn, ...] | None = None) -> AgentReply:
    return await ExtractiveResponder().respond(ask(text, turns))


# --- the protocol and load_responder --------------------------------------------------------


def test_built_ins_satisfy_the_protocol() -> None:
    assert isinstance(ExtractiveResponder(), Responder)
    assert isinstance(EchoResponder(), Responder)


@pytest.mark.parametrize(
    "spec",
    [
        "tests.agent.responder_plugins:EchoResponder",
        "tests.agent.responder_plugins:make_echo",
        "tests.agent.responder_plugins:ECHO",
    ],
)
async def test_load_responder_by_import_path(spec: str) -> None:
    responder = load_responder(spec)
    answer = await responder.respond(ask("ping"))
    assert answer.text == "echo: ping" and answer.responder == "echo"


def test_load_builtin_by_name() -> None:
    assert isinstance(load_responder("extractive"), ExtractiveResponder)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.agent.responder_plugins", "must look like"),
        (":EchoResponder", "must look like"),
        ("tests.agent.no_such_module:Thing", "cannot import module"),
        ("tests.agent.responder_plugins:Missing", "has no attribute"),
        ("tests.agent.responder_plugins:NOT_CALLABLE", "neither a responder"),
        ("tests.agent.responder_plugins:make_broken", "no model configured"),
        ("tests.agent.responder_plugins:SyncResponder", "async def respond"),
    ],
)
def test_load_responder_errors_are_typed(spec: str, message: str) -> None:
    with pytest.raises(ResponderLoadError, match=message) as info:
        load_responder(spec)
    assert isinstance(info.value, ConfigurationError) and isinstance(info.value, MeetMindError)
    assert info.value.code == "responder_load_error"
    assert info.value.details["spec"] == spec


# --- ExtractiveResponder ----------------------------------------------------------------------


async def test_recap_quotes_salient_turns_in_order_without_the_agent_or_fillers() -> None:
    answer = await reply("can you recap?")
    assert answer.intent == "recap" and not answer.fallback
    assert answer.responder == "extractive"
    assert answer.text.startswith("Here's a recap:")
    assert "move the launch to the nineteenth" in answer.text
    assert "API migration is finished" in answer.text
    assert "Yeah." not in answer.text and "Sounds good" not in answer.text
    assert "Here's a recap: the launch moves" not in answer.text  # the agent's own turn
    # chronological order
    assert answer.text.index("API migration") < answer.text.index("nineteenth")


async def test_recap_about_a_topic() -> None:
    answer = await reply("give me a summary about pricing")
    assert answer.intent == "recap"
    assert "pricing copy" in answer.text
    assert "migration" not in answer.text


async def test_action_items_are_attributed_to_their_owner() -> None:
    answer = await reply("what are the action items?")
    assert answer.intent == "action_items"
    assert "Ana Lopez: “I'll update the launch checklist by Friday.”" in answer.text
    assert "Priya Sharma (from Tom Becker): “Priya, can you send the migration report" in (
        answer.text
    )
    assert "Tom Becker (from Ana Lopez): “Action item for Tom: book the retro room" in (answer.text)
    assert "Priya Sharma: “Sure, I'll send it tomorrow morning.”" in answer.text


async def test_decisions_with_and_without_topic() -> None:
    answer = await reply("what did we decide about the launch?")
    assert answer.intent == "decisions"
    assert answer.text == (
        "Decisions: Tom Becker: “So we decided to move the launch to the nineteenth.”"
    )
    everything = await reply("which decisions did we make?")
    assert "nineteenth" in everything.text and "billing bugs block the release" in everything.text
    none = await reply("what did we decide about hiring?")
    assert none.text == "I haven't heard a decision about hiring yet."


@pytest.mark.parametrize(
    "question",
    [
        "what did Priya say?",
        "what did priya sharma say?",
        "what did Pria say?",
        "What were Priya's points?",
    ],
)
async def test_what_did_someone_say(question: str) -> None:
    answer = await reply(question)
    assert answer.intent == "speaker"
    assert answer.text.startswith("Priya Sharma said:")
    assert "billing integration" in answer.text
    assert "Tom" not in answer.text.split(":", 1)[0]


async def test_what_did_someone_say_about_a_topic() -> None:
    answer = await reply("what did Tom say about pricing?")
    assert answer.text == (
        "Tom Becker said about pricing: “Not yet, legal is still reviewing the pricing copy.”"
    )
    missing = await reply("what did Tom say about hiring?")
    assert missing.text == "I didn't hear Tom Becker say anything about hiring."


async def test_unknown_speaker_and_self() -> None:
    assert (await reply("what did Bob say?")).text == "I didn't hear Bob say anything yet."
    mine = await reply("what did I say?")
    assert mine.text.startswith("Ana Lopez said:") and "checklist" in mine.text


async def test_request_turn_addressing_the_agent_is_not_evidence() -> None:
    turns = transcript([*PRODUCT_SYNC, ("Ana Lopez", "Hey MeetMind, what are the action items?")])
    answer = await reply("what are the action items?", turns)
    assert "Hey MeetMind" not in answer.text


async def test_unknown_request_gets_a_polite_fallback() -> None:
    answer = await reply("what's the weather in Lisbon?")
    assert answer.fallback and answer.intent == "unknown" and answer.detail == "not_understood"
    assert "recap" in answer.text and "MeetMind" in answer.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("can you recap?", "I haven't heard enough to recap yet."),
        ("any action items?", "I haven't heard any action items yet."),
        ("what did we decide?", "I haven't heard a decision yet."),
        ("what did Tom say?", "I didn't hear Tom say anything yet."),
    ],
)
async def test_empty_transcript(question: str, expected: str) -> None:
    assert (await reply(question, ())).text == expected


async def test_long_meeting_is_bounded_and_deterministic() -> None:
    rows = [(name, f"{text} (part {i})") for i in range(30) for name, text in PRODUCT_SYNC]
    turns = transcript(rows)
    assert len(turns) == 420
    responder = ExtractiveResponder(max_items=3, max_sentence_chars=60)
    first = await responder.respond(ask("recap please", turns))
    second = await responder.respond(ask("recap please", turns))
    assert first == second
    assert first.text.count("“") == 3
    assert all(len(q.split("”")[0]) <= 60 for q in first.text.split("“")[1:])


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        ExtractiveResponder(max_items=0)
