"""An offline responder that answers from the transcript itself, with no model.

:class:`ExtractiveResponder` classifies the request with a few patterns, then quotes the
transcript:

* **speaker**: "what did Priya say (about the launch)?": that speaker's most salient
  sentences, filtered by the topic when there is one;
* **action items**: "what are the action items / next steps / who owns ...?": sentences
  with a commitment or an assignment ("I'll ...", "Tom, can you ...", "by Friday",
  "action item", "owner"), attributed to who takes them on;
* **decisions**: "what did we decide (about X)?": sentences such as "we decided / agreed /
  let's go with ...";
* **recap**: "recap", "summary", "catch me up": the most salient sentences, scored by a small
  TF-IDF over the sentences of the transcript, told in order;
* anything else: a polite reply saying what the agent can do (``fallback=True``).

The agent's own turns, turns that address it by name and the request itself are left out of
the evidence. Everything is
pure and deterministic; a few hundred turns take a few milliseconds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from meetmind.agent.responder import AgentReply, AgentRequest, ContextTurn

__all__ = ["ExtractiveResponder"]

_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_RE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are aren't as at be because been before
    being below between both but by can can't could couldn't did didn't do does doesn't doing
    don't down during each few for from further get got had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd
    i'll i'm i've if in into is isn't it it's its itself just let's like me more most mustn't
    my myself no nor not now of off on once only or other ought our ours ourselves out over
    own really right same she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too um uh under until up us very was wasn't we we'd
    we'll we're we've were weren't what what's when when's where where's which while who
    who's whom why why's will with won't would wouldn't yeah yes yep ok okay you you'd you'll
    you're you've your yours yourself yourselves going gonna think know mean well sure thing
    thanks thank hey hi hello maybe actually kind sort lot one two guess see say said
    """.split()  # noqa: SIM905  (a word list reads better as text)
)

# --- request classification -------------------------------------------------------------

_SPEAKER_RE = re.compile(
    r"\bwhat\s+(?:did|does|has|have|was|were|is)\s+(?P<name>.+?)\s+"
    r"(?:say|said|saying|mention|mentioned|talk|talking|think|thinks|thought|suggest|suggested"
    r"|propose|proposed|want|wanted|ask|asked)\b(?P<rest>.*)",
    re.IGNORECASE,
)
_SPEAKER_POINTS_RE = re.compile(
    r"\b(?:what\s+(?:were|are)\s+)?(?P<name>[\w\-]+)['\u2019]s\s+(?:points?|update|view|take|"
    r"opinion|comments?|concerns?)\b(?P<rest>.*)",
    re.IGNORECASE,
)
_ACTION_REQUEST_RE = re.compile(
    r"\b(?:action\s*items?|to-?dos?|next\s+steps?|follow[\s-]*ups?|tasks?|assignments?|"
    r"who(?:'s|\s+is)?\s+(?:owns?|doing|on|taking|handling|responsible)|who\s+will|owners?|"
    r"assigned|deliverables?|takeaways?)\b",
    re.IGNORECASE,
)
_DECISION_REQUEST_RE = re.compile(
    r"\b(?:decide[ds]?|decision|decisions|agree[ds]?|agreement|conclu\w+|settle[ds]?|"
    r"land(?:ed)?\s+on|go\s+with)\b",
    re.IGNORECASE,
)
_RECAP_REQUEST_RE = re.compile(
    r"\b(?:recap|summar\w*|sum\s+(?:it\s+|that\s+|this\s+)?up|catch\s+(?:me|us)\s+up|overview|"
    r"tl;?dr|highlights?|missed|what\s+(?:did|have)\s+(?:we|you|they)\s+(?:discuss|cover|talk)\w*|"
    r"what(?:'s|\s+has)\s+(?:been|happened)|so\s+far|key\s+points?|main\s+points?|gist)\b",
    re.IGNORECASE,
)
_TOPIC_RE = re.compile(
    r"\b(?:about|on|regarding|re|concerning|for|around|with)\s+(?P<topic>.+)", re.IGNORECASE
)
_SELF_NAMES = frozenset({"i", "me", "myself"})
_GROUP_NAMES = frozenset({"we", "us", "everyone", "everybody", "they", "you", "people", "the team"})

# --- evidence in the transcript -----------------------------------------------------------

_COMMITMENT_RE = re.compile(
    r"\b(?:i['\u2019]ll|i\s+will|i['\u2019]m\s+going\s+to|i\s+am\s+going\s+to|i\s+can\s+take|"
    r"i['\u2019]ll\s+take|let\s+me\s+(?:take|handle|do|send|write|check|follow)|"
    r"we['\u2019]ll|we\s+will|(?:he|she|they)['\u2019]ll|(?:he|she|they)\s+will)\b",
    re.IGNORECASE,
)
_ASSIGNMENT_RE = re.compile(
    r"\b(?:action\s*items?|to-?dos?|owner|owns|assign\w*|follow[\s-]*up|take\s+care\s+of|"
    r"(?:can|could|would)\s+you|please\s+\w+|is\s+going\s+to|needs?\s+to|"
    r"by\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|"
    r"eod|eow|end\s+of\s+(?:the\s+)?(?:day|week|month|sprint)|next\s+\w+|the\s+\d+\w*))\b",
    re.IGNORECASE,
)
_DECISION_RE = re.compile(
    r"\b(?:we(?:['\u2019]ve|\s+have)?\s+(?:decided|agreed|settled|concluded)|"
    r"(?:it['\u2019]s|it\s+is)\s+(?:decided|agreed|settled)|decided\s+to|agreed\s+(?:to|on|that)|"
    r"the\s+decision\s+is|decision:|let['\u2019]s\s+go\s+with|we['\u2019]re\s+going\s+with|"
    r"we\s+(?:will|['\u2019]ll)\s+go\s+with|final\s+(?:answer|call|decision)|"
    r"settled\s+on|consensus\s+is|so\s+that['\u2019]s\s+decided)\b",
    re.IGNORECASE,
)
_QUESTION_END_RE = re.compile(r"\?\s*$")
_FIRST_PERSON_START_RE = re.compile(
    r"^\s*(?:(?:ok(?:ay)?|so|yeah|sure|alright|and|then|fine)[,\s]+)*(?:i['\u2019]ll|i\s|i['\u2019]m\s)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class _Sentence:
    index: int  # position in the transcript, for chronological order
    speaker: str
    text: str
    words: tuple[str, ...]  # content words


def _content_words(text: str) -> tuple[str, ...]:
    return tuple(
        w for w in _WORD_RE.findall(text.casefold().replace("\u2019", "'")) if w not in _STOPWORDS
    )


def _stem(word: str) -> str:
    """A crude stem so that "launch", "launches" and "launching" meet."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _clean_topic(topic: str) -> str:
    return re.sub(r"[?.!]+$", "", topic).strip()


class ExtractiveResponder:
    """Answers recap, action-item, decision and "what did X say" requests from the transcript.

    Example:
        >>> import asyncio
        >>> from meetmind.agent.responder import AgentRequest, ContextTurn
        >>> turns = [ContextTurn("Priya", "We decided to ship on Monday.", 0, 2000)]
        >>> request = AgentRequest("what did we decide?", "u1", "Tom", "ses_1", "MeetMind", turns)
        >>> asyncio.run(ExtractiveResponder().respond(request)).text
        'Decisions: Priya: “We decided to ship on Monday.”'
    """

    name = "extractive"

    def __init__(self, *, max_items: int = 5, max_sentence_chars: int = 240) -> None:
        """Create the responder.

        Args:
            max_items: Most sentences quoted in one reply.
            max_sentence_chars: Quoted sentences longer than this are cut with an ellipsis.

        Raises:
            ValueError: If a limit is not positive.
        """
        if max_items < 1 or max_sentence_chars < 20:
            raise ValueError("max_items must be >= 1 and max_sentence_chars >= 20")
        self._max_items = max_items
        self._max_chars = max_sentence_chars

    async def respond(self, request: AgentRequest) -> AgentReply:
        """Answer one request; never raises on any transcript.

        Args:
            request: The request and the recent transcript.

        Returns:
            The reply; ``fallback`` is true when the request was not understood.
        """
        return self.answer(request)

    def answer(self, request: AgentRequest) -> AgentReply:
        """The synchronous core of :meth:`respond` (pure, deterministic).

        Args:
            request: The request and the recent transcript.

        Returns:
            The reply.
        """
        sentences = _evidence(request)
        text = request.text.strip()
        speaker = _speaker_request(text)
        if speaker is not None:
            return self._speaker(request, sentences, *speaker)
        if _ACTION_REQUEST_RE.search(text):
            return self._action_items(sentences, _topic(text))
        if _DECISION_REQUEST_RE.search(text):
            return self._decisions(sentences, _topic(text))
        if _RECAP_REQUEST_RE.search(text):
            return self._recap(sentences, _topic(text))
        return AgentReply(
            text=(
                f"Sorry, I'm not sure how to help with that. I can recap the meeting, list "
                f"action items and decisions, or tell you what someone said. Try: "
                f"“{request.agent_name}, what did we decide?”"
            ),
            responder=self.name,
            fallback=True,
            intent="unknown",
            detail="not_understood",
        )

    # --- intents ----------------------------------------------------------------------------

    def _recap(self, sentences: list[_Sentence], topic: str | None) -> AgentReply:
        pool = _about(sentences, topic) if topic else sentences
        if not pool:
            text = (
                f"I haven't heard anything about {topic} yet."
                if topic
                else "I haven't heard enough to recap yet."
            )
            return self._reply(text, "recap")
        chosen = _salient(pool, sentences, self._max_items)
        intro = f"Here's a recap about {topic}:" if topic else "Here's a recap:"
        return self._reply(f"{intro} {self._quote_all(chosen)}", "recap")

    def _action_items(self, sentences: list[_Sentence], topic: str | None) -> AgentReply:
        items = [s for s in sentences if _is_action(s)]
        if topic:
            items = _about(items, topic)
        if not items:
            about = f" about {topic}" if topic else ""
            return self._reply(f"I haven't heard any action items{about} yet.", "action_items")
        names = {s.speaker for s in sentences}
        items = _dedupe(items)[-self._max_items :]
        parts = []
        for sentence in items:
            owner = _owner(sentence, names)
            label = owner if owner == sentence.speaker else f"{owner} (from {sentence.speaker})"
            parts.append(f"{label}: “{self._clip(sentence.text)}”")
        return self._reply("Action items: " + " ".join(parts), "action_items")

    def _decisions(self, sentences: list[_Sentence], topic: str | None) -> AgentReply:
        found = [s for s in sentences if _DECISION_RE.search(s.text)]
        if topic:
            found = _about(found, topic)
        if not found:
            about = f" about {topic}" if topic else ""
            return self._reply(f"I haven't heard a decision{about} yet.", "decisions")
        chosen = _dedupe(found)[-self._max_items :]
        return self._reply("Decisions: " + self._quote_all(chosen), "decisions")

    def _speaker(
        self, request: AgentRequest, sentences: list[_Sentence], name: str, topic: str | None
    ) -> AgentReply:
        folded = name.casefold()
        if folded in _GROUP_NAMES:
            return (
                self._decisions(sentences, topic)
                if topic is None
                else self._recap(sentences, topic)
            )
        if folded in _SELF_NAMES:
            who: str | None = request.speaker_name
        else:
            who = _resolve_name(name, {s.speaker for s in sentences})
        if who is None:
            return self._reply(f"I didn't hear {name} say anything yet.", "speaker")
        theirs = [s for s in sentences if s.speaker == who]
        if topic:
            about = _about(theirs, topic)
            if not about:
                return self._reply(f"I didn't hear {who} say anything about {topic}.", "speaker")
            theirs = about
        if not theirs:
            return self._reply(f"I didn't hear {who} say anything yet.", "speaker")
        chosen = _salient(theirs, sentences, self._max_items)
        about_text = f" about {topic}" if topic else ""
        quotes = " ".join(f"“{self._clip(s.text)}”" for s in chosen)
        return self._reply(f"{who} said{about_text}: {quotes}", "speaker")

    # --- formatting -------------------------------------------------------------------------

    def _reply(self, text: str, intent: str) -> AgentReply:
        return AgentReply(text=text, responder=self.name, intent=intent)

    def _quote_all(self, sentences: Iterable[_Sentence]) -> str:
        return " ".join(f"{s.speaker}: “{self._clip(s.text)}”" for s in sentences)

    def _clip(self, text: str) -> str:
        if len(text) <= self._max_chars:
            return text
        return text[: self._max_chars - 1].rsplit(" ", 1)[0] + "…"


# --- helpers -------------------------------------------------------------------------------


def _speaker_request(text: str) -> tuple[str, str | None] | None:
    """``(name, topic)`` for "what did <name> say (about <topic>)", else None."""
    match = _SPEAKER_RE.search(text) or _SPEAKER_POINTS_RE.search(text)
    if match is None:
        return None
    name = match.group("name").strip(" ,")
    if len(name.split()) > 3 or not name:
        return None
    rest = match.group("rest")
    topic_match = _TOPIC_RE.search(rest)
    topic = _clean_topic(topic_match.group("topic")) if topic_match else None
    return name, topic or None


def _topic(text: str) -> str | None:
    match = _TOPIC_RE.search(text)
    if match is None:
        return None
    topic = _clean_topic(match.group("topic"))
    # "what are the action items for today / so far" carry no topic.
    if not _content_words(topic) or topic.casefold() in {"today", "now", "the meeting", "us"}:
        return None
    return topic


def _evidence(request: AgentRequest) -> list[_Sentence]:
    """Sentences of the participants' turns, without the agent's turns and the request."""
    request_words = _content_words(request.text)
    agent = _squash(request.agent_name)
    turns: Sequence[ContextTurn] = request.transcript
    sentences: list[_Sentence] = []
    index = 0
    for turn in turns:
        if turn.role == "agent" or (agent and agent in _squash(turn.text)):
            continue  # the agent's replies, and requests addressed to it
        if (
            request_words
            and turn.speaker_name == request.speaker_name
            and _contains(_content_words(turn.text), request_words)
        ):
            continue  # the turn that holds the request
        for raw in _SENTENCE_RE.findall(turn.text):
            text = raw.strip()
            words = _content_words(text)
            if not words:
                continue
            sentences.append(_Sentence(index, turn.speaker_name, text, words))
            index += 1
    return sentences


def _squash(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _about(sentences: list[_Sentence], topic: str) -> list[_Sentence]:
    """Sentences sharing a content word (stemmed) with the topic."""
    wanted = {_stem(w) for w in _content_words(topic)}
    if not wanted:
        return sentences
    return [s for s in sentences if wanted & {_stem(w) for w in s.words}]


def _salient(pool: list[_Sentence], corpus: list[_Sentence], limit: int) -> list[_Sentence]:
    """The ``limit`` highest TF-IDF sentences of ``pool``, in transcript order.

    Each sentence is a document. A sentence scores the sum of its distinct stems' weights
    (term frequency in the whole transcript times inverse sentence frequency) over the
    square root of its length, plus a bonus for decisions and commitments; short
    acknowledgements ("sounds good") rank last.
    """
    documents = [{_stem(w) for w in s.words} for s in corpus]
    frequency: Counter[str] = Counter(_stem(w) for s in corpus for w in s.words)
    document_frequency: Counter[str] = Counter(stem for doc in documents for stem in doc)
    n = len(corpus)

    def score(sentence: _Sentence) -> float:
        stems = {_stem(w) for w in sentence.words}
        weight = sum(
            math.log1p(frequency[s]) * math.log((n + 1) / (document_frequency[s] + 0.5))
            for s in stems
        )
        weight /= math.sqrt(len(sentence.words) + 2)
        if _DECISION_RE.search(sentence.text):
            weight *= 1.5
        elif _COMMITMENT_RE.search(sentence.text):
            weight *= 1.25
        if len(stems) < 3:
            weight *= 0.3
        if _QUESTION_END_RE.search(sentence.text):
            weight *= 0.6
        return weight

    ranked = sorted(_dedupe(pool), key=lambda s: (-score(s), s.index))[:limit]
    return sorted(ranked, key=lambda s: s.index)


def _dedupe(sentences: list[_Sentence]) -> list[_Sentence]:
    seen: set[tuple[str, ...]] = set()
    unique = []
    for sentence in sentences:
        if sentence.words not in seen:
            seen.add(sentence.words)
            unique.append(sentence)
    return unique


def _is_action(sentence: _Sentence) -> bool:
    text = sentence.text
    if _ASSIGNMENT_RE.search(text):
        return True
    # A commitment that is not a question: "I'll send the deck." (not "Will you?")
    return bool(_COMMITMENT_RE.search(text)) and not _QUESTION_END_RE.search(text)


def _owner(sentence: _Sentence, names: set[str]) -> str:
    """Who takes the action on: a participant named in it, else the speaker."""
    if _FIRST_PERSON_START_RE.match(sentence.text):
        return sentence.speaker
    firsts = {name.split()[0].casefold(): name for name in names if name.split()}
    for word in re.findall(r"[A-Za-z][\w\-]*", sentence.text):
        owner = firsts.get(word.casefold())
        if owner is not None and owner != sentence.speaker:
            return owner
    return sentence.speaker


def _resolve_name(name: str, speakers: set[str]) -> str | None:
    """The transcript speaker a spoken name refers to (full name, first name, or close)."""
    if not speakers:
        return None
    folded = name.casefold()
    choices: dict[str, str] = {}
    for speaker in sorted(speakers):
        choices.setdefault(speaker.casefold(), speaker)
        parts = speaker.split()
        if parts:
            choices.setdefault(parts[0].casefold(), speaker)
    if folded in choices:
        return choices[folded]
    best = process.extractOne(folded, list(choices), scorer=fuzz.ratio, score_cutoff=75)
    return choices[best[0]] if best is not None else None
