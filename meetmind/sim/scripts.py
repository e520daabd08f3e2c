"""Meeting scripts: who joins, who says what and when, chat, audio and faults.

A script is JSON or YAML (see ``docs/simulator.md``)::

    title: Daily stand-up
    duration: 300            # seconds; the meeting ends then (omit to run until ended)
    language: 9              # RTMS_TRANSCRIPT_LANGUAGE of the utterances (default English)
    audio: {source: tone}    # tone | noise | silence | wav (with `wav: file.wav`)
    participants:
      - {id: alice, name: Alice Chen, join: 0, host: true}
      - {id: bob, name: Bob Okafor, join: 3, leave: 250}
    utterances:
      - {at: 5, speaker: alice, text: "Morning all.", duration: 2}
    chat:
      - {at: 40, sender: bob, text: "PR is up"}
    faults:
      - {at: 120, kind: drop_media, media: transcript}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from meetmind.domain.errors import InvalidInputError
from meetmind.sim.faults import Fault, parse_fault
from meetmind.zoom.rtms.enums import TranscriptLanguage

__all__ = [
    "AudioSpec",
    "ChatLine",
    "Script",
    "ScriptError",
    "ScriptParticipant",
    "Utterance",
    "load_script",
    "parse_script",
    "shipped_scripts",
]

_BASE_USER_ID = 16778240  # Zoom-like uint32 user ids
_SECONDS_PER_WORD = 0.35


class ScriptError(InvalidInputError):
    """A meeting script is malformed."""

    code = "invalid_script"


@dataclass(frozen=True, slots=True)
class ScriptParticipant:
    """A participant: ``key`` is the script's handle, ``user_id`` the RTMS uint32 id."""

    key: str
    name: str
    user_id: int
    join: float = 0.0
    leave: float | None = None
    host: bool = False
    tone_hz: int = 220

    def present_at(self, t: float) -> bool:
        """Whether the participant is in the meeting at script time ``t``."""
        return self.join <= t and (self.leave is None or t < self.leave)


@dataclass(frozen=True, slots=True)
class Utterance:
    """A spoken line: audible from ``at`` for ``duration`` s, transcribed when it ends."""

    at: float
    speaker: str
    text: str
    duration: float

    @property
    def end(self) -> float:
        """Script time at which the utterance ends."""
        return self.at + self.duration


@dataclass(frozen=True, slots=True)
class ChatLine:
    """A chat message sent at ``at``."""

    at: float
    sender: str
    text: str


@dataclass(frozen=True, slots=True)
class AudioSpec:
    """How meeting audio is synthesised: per-speaker tones, noise, silence or a WAV file."""

    source: str = "tone"
    wav: Path | None = None
    amplitude: float = 0.2


@dataclass(frozen=True, slots=True)
class Script:
    """A parsed, validated meeting script."""

    name: str
    title: str
    participants: tuple[ScriptParticipant, ...]
    utterances: tuple[Utterance, ...] = ()
    chat: tuple[ChatLine, ...] = ()
    faults: tuple[Fault, ...] = ()
    duration: float | None = None
    language: int = int(TranscriptLanguage.ENGLISH)
    audio: AudioSpec = field(default_factory=AudioSpec)

    def participant(self, key: str) -> ScriptParticipant:
        """The participant with script handle ``key``."""
        for p in self.participants:
            if p.key == key:
                return p
        raise KeyError(key)

    @property
    def host(self) -> ScriptParticipant:
        """The host (first participant flagged ``host``, else the first one)."""
        return next((p for p in self.participants if p.host), self.participants[0])

    def summary(self) -> dict[str, Any]:
        """A short JSON description."""
        return {
            "name": self.name,
            "title": self.title,
            "duration": self.duration,
            "participants": [
                {"id": p.key, "name": p.name, "user_id": p.user_id} for p in self.participants
            ],
            "utterances": len(self.utterances),
            "chat": len(self.chat),
            "faults": [f.to_json() for f in self.faults],
        }


def _num(raw: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = raw.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScriptError(f"{where}.{key}", "must be a non-negative number")
    return float(value)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ScriptError(f"{where}.{key}", "must be a non-empty string")
    return value


def _list(raw: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ScriptError(key, "must be a list of objects")
    return value


def parse_script(
    raw: Mapping[str, Any], *, name: str = "inline", base_dir: Path | None = None
) -> Script:
    """Validate a script given as a mapping (parsed JSON/YAML).

    Args:
        raw: The script.
        name: A name for it (shipped scripts use their file stem).
        base_dir: Directory that relative WAV paths are resolved against.

    Raises:
        ScriptError: The script is malformed (the error names the field).
    """
    if not isinstance(raw, Mapping):
        raise ScriptError("script", "must be an object")
    participants: list[ScriptParticipant] = []
    for i, p in enumerate(_list(raw, "participants")):
        where = f"participants[{i}]"
        key = str(p.get("id") or p.get("name") or "")
        if not key:
            raise ScriptError(f"{where}.id", "is required")
        if any(q.key == key for q in participants):
            raise ScriptError(f"{where}.id", f"duplicate participant {key!r}")
        leave = p.get("leave")
        user_id = p.get("user_id", _BASE_USER_ID + 1024 * i)
        if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id < 2**32:
            raise ScriptError(f"{where}.user_id", "must be a uint32")
        tone = p.get("tone", 180 + 70 * i)
        if not isinstance(tone, int) or not 50 <= tone <= 4000:
            raise ScriptError(f"{where}.tone", "must be an integer Hz between 50 and 4000")
        participants.append(
            ScriptParticipant(
                key=key,
                name=str(p.get("name") or key),
                user_id=user_id,
                join=_num(p, "join", where, 0.0),
                leave=None if leave is None else _num(p, "leave", where),
                host=bool(p.get("host", False)),
                tone_hz=tone,
            )
        )
    if not participants:
        raise ScriptError("participants", "at least one participant is required")
    by_key = {p.key: p for p in participants}

    utterances: list[Utterance] = []
    for i, u in enumerate(_list(raw, "utterances")):
        where = f"utterances[{i}]"
        speaker = _text(u, "speaker", where)
        if speaker not in by_key:
            raise ScriptError(f"{where}.speaker", f"unknown participant {speaker!r}")
        text = _text(u, "text", where)
        at = _num(u, "at", where)
        default = max(1.0, round(len(text.split()) * _SECONDS_PER_WORD, 2))
        duration = _num(u, "duration", where, default)
        if duration <= 0:
            raise ScriptError(f"{where}.duration", "must be positive")
        if not by_key[speaker].present_at(at):
            raise ScriptError(f"{where}.at", f"{speaker!r} is not in the meeting at {at}s")
        utterances.append(Utterance(at, speaker, text, duration))

    chat: list[ChatLine] = []
    for i, c in enumerate(_list(raw, "chat")):
        where = f"chat[{i}]"
        sender = _text(c, "sender", where)
        if sender not in by_key:
            raise ScriptError(f"{where}.sender", f"unknown participant {sender!r}")
        chat.append(ChatLine(_num(c, "at", where), sender, _text(c, "text", where)))

    faults: list[Fault] = []
    for i, f in enumerate(_list(raw, "faults")):
        try:
            fault = parse_fault(f, f"faults[{i}]")
        except InvalidInputError as exc:
            raise ScriptError(exc.field, exc.message) from None
        if fault.at is None:
            raise ScriptError(f"faults[{i}].at", "scripted faults need a time")
        faults.append(fault)

    audio_raw = raw.get("audio") or {}
    if not isinstance(audio_raw, Mapping):
        raise ScriptError("audio", "must be an object")
    source = str(audio_raw.get("source", "tone"))
    if source not in ("tone", "noise", "silence", "wav"):
        raise ScriptError("audio.source", "must be tone, noise, silence or wav")
    wav: Path | None = None
    if source == "wav":
        wav = Path(_text(audio_raw, "wav", "audio"))
        if not wav.is_absolute() and base_dir is not None:
            wav = base_dir / wav
        if not wav.is_file():
            raise ScriptError("audio.wav", f"no such file: {wav}")
    amplitude = float(audio_raw.get("amplitude", 0.2))
    if not 0 <= amplitude <= 1:
        raise ScriptError("audio.amplitude", "must be between 0 and 1")

    total = raw.get("duration")
    language = raw.get("language", int(TranscriptLanguage.ENGLISH))
    try:
        TranscriptLanguage(language)
    except ValueError:
        raise ScriptError("language", "must be an RTMS_TRANSCRIPT_LANGUAGE value") from None
    return Script(
        name=name,
        title=str(raw.get("title") or name),
        participants=tuple(participants),
        utterances=tuple(sorted(utterances, key=lambda u: u.at)),
        chat=tuple(sorted(chat, key=lambda c: c.at)),
        faults=tuple(sorted(faults, key=lambda f: f.at or 0.0)),
        duration=None if total is None else _num(raw, "duration", "script"),
        language=int(language),
        audio=AudioSpec(source, wav, amplitude),
    )


def shipped_scripts() -> list[str]:
    """Names of the scripts that ship with MeetMind (``meetmind/sim/scripts``)."""
    folder = resources.files("meetmind.sim") / "scripts"
    return sorted(
        Path(entry.name).stem
        for entry in folder.iterdir()
        if entry.name.endswith((".yaml", ".yml", ".json"))
    )


def load_script(source: str | Path | Mapping[str, Any] | Script) -> Script:
    """Load a script by shipped name, file path, or inline mapping.

    Raises:
        ScriptError: Unknown name, unreadable file or invalid content.
    """
    if isinstance(source, Script):
        return source
    if isinstance(source, Mapping):
        return parse_script(source)
    path = Path(source)
    if not path.suffix:
        folder = resources.files("meetmind.sim") / "scripts"
        for suffix in (".yaml", ".yml", ".json"):
            candidate = folder / f"{path.name}{suffix}"
            if candidate.is_file():
                return _parse_text(candidate.read_text("utf-8"), path.name, suffix, None)
        raise ScriptError(
            "script", f"no shipped script {str(source)!r}; one of {shipped_scripts()}"
        )
    if not path.is_file():
        raise ScriptError("script", f"no such file: {path}")
    return _parse_text(path.read_text("utf-8"), path.stem, path.suffix, path.parent)


def _parse_text(text: str, name: str, suffix: str, base_dir: Path | None) -> Script:
    try:
        raw = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScriptError("script", f"cannot parse {name}: {exc}") from exc
    return parse_script(raw, name=name, base_dir=base_dir)
