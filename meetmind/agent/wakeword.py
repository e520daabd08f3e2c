"""Wake-word detection over live transcript turns (sans-I/O).

Zoom RTMS delivers the transcript one utterance per speaker at a time. This module decides
whether an utterance addresses the agent ("Hey MeetMind, can you recap?") and extracts the
request. It is pure code: no I/O, no asyncio, no clock; every timestamp is passed in.

Two layers:

* :func:`match_wake_word` looks at one utterance. Matching is case-, punctuation- and
  spacing-insensitive and tolerant of what speech recognition does to a brand name
  ("hey meet mind", "hey, meetmind", "hey mead mind"): windows of words are scored with
  rapidfuzz (character similarity and alignment) and jellyfish (Metaphone and NYSIIS codes),
  words that run past the wake word ("Mindy", "mindset") are penalized, punctuation inside
  a window ("we need to meet, mind the gap") rules it out, and the match must *address* the
  agent rather than mention it ("let's ask MeetMind later"). The engine lives in
  :mod:`meetmind.agent._wakematch`, which documents each rule.
* :class:`WakeWordDetector` is a small per-session state machine fed with :class:`Turn`
  objects. It completes a wake word that ended a turn with the same speaker's next turn,
  expires the wait after ``request_window_ms`` (:meth:`WakeWordDetector.flush`), fires at
  most once per turn id and applies a per-speaker cooldown, so a duplicated utterance fires
  once.

The threshold and scoring weights were tuned on the ``dev`` half of
``bench/wakeword/eval_set.jsonl`` (``python -m bench.wakeword.tune``); the ``test`` half is
reported by ``python -m bench.wakeword.evaluate``.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from dataclasses import dataclass, field

from meetmind.agent import _wakematch
from meetmind.agent._wakematch import MatchTuning

__all__ = [
    "DEFAULT_WAKE_WORDS",
    "MatchTuning",
    "RequestSource",
    "Turn",
    "WakeWordConfig",
    "WakeWordDetection",
    "WakeWordDetector",
    "WakeWordMatch",
    "match_wake_word",
]

DEFAULT_WAKE_WORDS: tuple[str, ...] = ("MeetMind", "Hey MeetMind")
"""Wake words used when a session configures none."""


class RequestSource(enum.Enum):
    """Where the request of a detection came from."""

    AFTER_WAKE_WORD = "after_wake_word"
    """Same turn, after the wake word: "Hey MeetMind, can you recap?"."""
    BEFORE_WAKE_WORD = "before_wake_word"
    """Same turn, before a trailing wake word: "Can you recap, MeetMind?"."""
    NEXT_TURN = "next_turn"
    """The speaker's next turn, after a turn that ended with the wake word."""
    NONE = "none"
    """No request: the wake word ended the turn and the window expired."""


@dataclass(frozen=True, slots=True)
class WakeWordConfig:
    """Per-session wake-word settings.

    Attributes:
        wake_words: The phrases that address the agent, e.g. ``("MeetMind", "Hey MeetMind")``.
            Matching ignores case, punctuation and spacing. A CamelCase word may be heard
            as separate words ("Meet Mind").
        threshold: Minimum match score in ``[0, 1]``.
        request_window_ms: How long to wait for the speaker's next turn when the wake word
            ends a turn, counted from the end of that turn.
        cooldown_ms: After a wake word from a speaker, further wake words from the same
            speaker whose turn starts less than this later are ignored.
        require_address: When true (the default) a wake word must address the agent (start a
            sentence or be set off by a comma); mentions such as "let's ask MeetMind later"
            do not fire. When false every occurrence fires.
        tuning: Scoring weights of the fuzzy matcher.
    """

    wake_words: tuple[str, ...] = DEFAULT_WAKE_WORDS
    threshold: float = 0.77
    request_window_ms: int = 8_000
    cooldown_ms: int = 3_000
    require_address: bool = True
    tuning: MatchTuning = field(default_factory=MatchTuning)

    def __post_init__(self) -> None:
        """Validate the settings.

        Raises:
            ValueError: If there is no usable wake word or a number is out of range.
        """
        if isinstance(self.wake_words, str):
            raise ValueError("wake_words must be a sequence of phrases, not one string")
        if not self.wake_words:
            raise ValueError("at least one wake word is required")
        for phrase in self.wake_words:
            if not _wakematch.has_word(phrase):
                raise ValueError(f"wake word {phrase!r} has no letters or digits")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if self.request_window_ms < 0 or self.cooldown_ms < 0:
            raise ValueError("request_window_ms and cooldown_ms must be >= 0")


@dataclass(frozen=True, slots=True)
class WakeWordMatch:
    """The result of matching one utterance.

    Attributes:
        wake_word: The configured wake word that matched (the longest one when several
            overlap, e.g. "Hey MeetMind" rather than "MeetMind").
        matched_text: The matched span as written in the utterance, e.g. ``"hey, meet mind"``.
        start: Offset of the span in the utterance.
        end: Offset just after the span.
        request: The extracted request, ``""`` when the wake word ends the utterance.
        request_source: ``AFTER_WAKE_WORD``, ``BEFORE_WAKE_WORD`` or ``NONE`` (empty).
        confidence: The match score in ``[0, 1]``.
    """

    wake_word: str
    matched_text: str
    start: int
    end: int
    request: str
    request_source: RequestSource
    confidence: float


@dataclass(frozen=True, slots=True)
class Turn:
    """One utterance of one speaker, as the live transcript delivers it.

    Attributes:
        turn_id: Unique id of the utterance; a second turn with the same id is ignored.
        speaker_id: Who spoke.
        text: What was said.
        start_ms: When the utterance started, in milliseconds on the session's clock.
        end_ms: When it ended, on the same clock.
    """

    turn_id: str
    speaker_id: str
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class WakeWordDetection:
    """The agent was addressed: one detection per request.

    Attributes:
        speaker_id: Who addressed the agent.
        wake_word: The configured wake word that matched.
        matched_text: The matched span as written in the wake turn.
        span: ``(start, end)`` offsets of that span in the wake turn's text.
        request: What the speaker asked, ``""`` if they never said (window expired).
        request_source: Where the request came from.
        turn_ids: The wake turn's id, then the request turn's id if it was another turn.
        wake_turn_id: Id of the turn holding the wake word.
        wake_end_ms: End of the wake turn.
        detected_at_ms: When the detection became complete: the end of the turn holding the
            request, or the window deadline when it expired.
        confidence: The match score in ``[0, 1]``.
    """

    speaker_id: str
    wake_word: str
    matched_text: str
    span: tuple[int, int]
    request: str
    request_source: RequestSource
    turn_ids: tuple[str, ...]
    wake_turn_id: str
    wake_end_ms: int
    detected_at_ms: int
    confidence: float


_SOURCES = {
    "after": RequestSource.AFTER_WAKE_WORD,
    "before": RequestSource.BEFORE_WAKE_WORD,
    "none": RequestSource.NONE,
}


def match_wake_word(text: str, config: WakeWordConfig | None = None) -> WakeWordMatch | None:
    """Find the first wake word that addresses the agent in one utterance.

    Never raises on any text.

    Args:
        text: The utterance, as transcribed.
        config: Wake words and thresholds; the defaults when omitted.

    Returns:
        The match with its extracted request, or None if the agent is not addressed.
    """
    config = config or _DEFAULT_CONFIG
    raw = _wakematch.find(
        text,
        config.wake_words,
        threshold=config.threshold,
        require_address=config.require_address,
        tuning=config.tuning,
    )
    if raw is None:
        return None
    return WakeWordMatch(
        wake_word=raw.wake_word,
        matched_text=text[raw.start : raw.end],
        start=raw.start,
        end=raw.end,
        request=raw.request,
        request_source=_SOURCES[raw.source],
        confidence=raw.score,
    )


_DEFAULT_CONFIG = WakeWordConfig()


# --- the per-session detector -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pending:
    turn: Turn
    match: WakeWordMatch
    deadline_ms: int


class WakeWordDetector:
    """Per-session wake-word state machine over transcript turns.

    Feed every turn with :meth:`process`; call :meth:`flush` when time passes without turns
    (:meth:`next_deadline_ms` says when) and :meth:`drain` when the session ends. Each call
    returns the detections that became complete, oldest first.

    Example:
        >>> detector = WakeWordDetector()
        >>> [d.request for d in detector.process(Turn("t1", "ann", "Hey MeetMind.", 0, 900))]
        []
        >>> [d.request for d in detector.process(Turn("t2", "ann", "Recap please", 2000, 3000))]
        ['Recap please']
    """

    _MAX_SEEN_TURNS = 10_000

    def __init__(self, config: WakeWordConfig | None = None) -> None:
        """Create a detector.

        Args:
            config: The session's wake-word settings; the defaults when omitted.
        """
        self._config = config or _DEFAULT_CONFIG
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self._last_wake_ms: dict[str, int] = {}

    @property
    def config(self) -> WakeWordConfig:
        """The session's wake-word settings."""
        return self._config

    @property
    def pending_speakers(self) -> tuple[str, ...]:
        """Speakers who said the wake word and whose request is still awaited."""
        return tuple(self._pending)

    def next_deadline_ms(self) -> int | None:
        """The earliest time at which :meth:`flush` will expire a pending wake word."""
        return min((p.deadline_ms for p in self._pending.values()), default=None)

    def process(self, turn: Turn) -> list[WakeWordDetection]:
        """Take one turn.

        Pending wake words whose window closed before the turn started are expired first.

        Args:
            turn: The utterance.

        Returns:
            The detections completed by this turn (and by the passage of time up to its
            start), oldest first; empty most of the time.
        """
        if turn.turn_id in self._seen:
            return []
        self._seen[turn.turn_id] = None
        if len(self._seen) > self._MAX_SEEN_TURNS:
            self._seen.popitem(last=False)

        detections = self.flush(turn.start_ms)
        match = match_wake_word(turn.text, self._config)
        pending = self._pending.get(turn.speaker_id)
        if pending is not None:
            request = match.request if match is not None else _wakematch.clean_request(turn.text)
            if request:
                del self._pending[turn.speaker_id]
                detections.append(self._detection(pending, turn, request, RequestSource.NEXT_TURN))
            return detections
        if match is None:
            return detections
        last = self._last_wake_ms.get(turn.speaker_id)
        if last is not None and abs(turn.start_ms - last) < self._config.cooldown_ms:
            return detections
        self._last_wake_ms[turn.speaker_id] = turn.start_ms
        waiting = _Pending(turn, match, turn.end_ms + self._config.request_window_ms)
        if match.request:
            detections.append(self._detection(waiting, turn, match.request, match.request_source))
        else:
            self._pending[turn.speaker_id] = waiting
        return detections

    def flush(self, now_ms: int) -> list[WakeWordDetection]:
        """Expire the wake words whose request window has closed by ``now_ms``.

        Args:
            now_ms: The current time on the session's clock.

        Returns:
            One detection with an empty request per expired wake word, oldest first.
        """
        expired = [p for p in self._pending.values() if p.deadline_ms <= now_ms]
        return self._expire(sorted(expired, key=lambda p: p.deadline_ms))

    def drain(self) -> list[WakeWordDetection]:
        """Expire every pending wake word now (end of session).

        Returns:
            One detection with an empty request per pending wake word, oldest first.
        """
        return self._expire(sorted(self._pending.values(), key=lambda p: p.deadline_ms))

    def _expire(self, expired: list[_Pending]) -> list[WakeWordDetection]:
        detections = []
        for pending in expired:
            del self._pending[pending.turn.speaker_id]
            detections.append(self._detection(pending, None, "", RequestSource.NONE))
        return detections

    @staticmethod
    def _detection(
        pending: _Pending, request_turn: Turn | None, request: str, source: RequestSource
    ) -> WakeWordDetection:
        wake_turn = pending.turn
        if request_turn is None:
            turn_ids: tuple[str, ...] = (wake_turn.turn_id,)
            detected_at = pending.deadline_ms
        else:
            turn_ids = tuple(dict.fromkeys((wake_turn.turn_id, request_turn.turn_id)))
            detected_at = request_turn.end_ms
        return WakeWordDetection(
            speaker_id=wake_turn.speaker_id,
            wake_word=pending.match.wake_word,
            matched_text=pending.match.matched_text,
            span=(pending.match.start, pending.match.end),
            request=request,
            request_source=source,
            turn_ids=turn_ids,
            wake_turn_id=wake_turn.turn_id,
            wake_end_ms=wake_turn.end_ms,
            detected_at_ms=detected_at,
            confidence=pending.match.confidence,
        )
