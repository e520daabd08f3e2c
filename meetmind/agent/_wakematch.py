"""The fuzzy, phonetic wake-word matcher behind :mod:`meetmind.agent.wakeword` (private).

One utterance in, at most one match out; pure functions over text.

1. **Tokens.** The text is split into words (letters and digits, inner apostrophes kept)
   with their offsets, so a request is cut from the original text. Each word is compared
   casefolded and accent-free (``norm``); word lists use the casefolded word with its
   apostrophes (``word``: "we'll" is not "well"). What lies between words (``seps``) is
   kept: punctuation is evidence.
2. **Windows.** Each configured wake word is compared with windows of consecutive words:
   one word, or as many words as the wake word has CamelCase parts (at least two), so
   "meet mind", "meet-mind" and "MeetMind" all meet "MeetMind". A window may not contain
   punctuation other than a hyphen ("we need to meet, mind the gap"), nor cut a hyphenated
   compound ("meet-and-greet").
3. **Score.** rapidfuzz ``fuzz.ratio`` on the joined window plus the similarity of the
   jellyfish Metaphone and NYSIIS codes (what tolerates "mead mind", "mid mind"), minus
   penalties from the rapidfuzz Levenshtein alignment: characters past the wake word at the
   window's edges ("Mindy", "minds"; more when they are anything but a plural "s":
   "Meetmindy" is another word, "meet minds" the name misheard), insertions at inner word
   boundaries ("meeting mind"), and a lowercase word followed by a capitalized one
   ("meet Minh"), which is how speech recognition writes a common word and then a different
   name. In a phrase such as "Hey MeetMind", short words gate the match and the name
   carries the score.
4. **Address.** A match must address the agent: it starts a sentence, possibly after
   greetings, hesitations and discourse markers ("Um, so, hey MeetMind"); or follows a
   greeting ("..., hey MeetMind"); or is set off by a comma ("Can you recap, MeetMind?").
   A possessive ("MeetMind's notes") or a sentence-initial subject of a statement
   ("MeetMind is great.") is a mention; a last word "mind" followed without a pause by its
   object ("hey mitt mind sending the deck", "mate mind the step") is the verb.
5. **Request.** The text after the (last repeated) wake word, without the separating
   punctuation and leading hesitations; for a trailing vocative, the clause before it.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

__all__ = ["MatchTuning", "RawMatch", "clean_request", "find", "has_word"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that may precede a wake word at the start of a sentence without turning it into a
# mention: greetings, hesitations and discourse markers ("Um, so, hey MeetMind, ...").
_LEAD_INS = _words(
    """
    hey hi hello hay hei heya ok okay yo so um umm uh uhh uhm er erm hmm hm ah oh eh
    well alright right and now sorry please actually but then also anyway there a
    """
)
# Lead-ins that call for attention: after them a wake word is never a mention.
_ATTENTION = _words("hey hi hello hay hei heya ok okay yo")
# Hesitations dropped from the start of a request ("Hey MeetMind, um, what ...").
_HESITATIONS = _words("um umm uh uhh uhm er erm hmm hm ah mm")
# Verbs that, right after a sentence-initial name, make it the subject of a statement
# ("MeetMind is great.", "MeetMind recorded everything"), unless the sentence is a question.
_DECLARATIVE_FOLLOWERS = _words(
    """
    is was has had isn't wasn't hasn't hadn't seems seemed works worked said says
    recorded records keeps kept got gets missed misses joined
    """
)

# A wake word whose last heard word is one of these verbs, followed with no pause by what the
# verb governs, is the verb phrase: "hey mitt mind sending the deck", "mate mind the step".
_OBJECT_VERBS = _words("mind")
_VERB_COMPLEMENTS = _words("the if my your his her our their me us them you")
_NOT_GERUNDS = _words("during something nothing anything everything morning evening")
# The only suffix speech recognition adds to a name by itself: the plural ("meet minds").
# Any other letters past the wake word make another word ("Mindy", "Meetmindy").
_INFLECTION = "s"

_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_POSSESSIVE_RE = re.compile(r"['\u2019]s$", re.IGNORECASE)
# Separators allowed between the pieces of one wake token: "meet mind", "meet-mind".
_JOIN_SEP_RE = re.compile(r"[\s\-\u2010\u2011]*")
_SENTENCE_END_RE = re.compile(r"[.!?\u2026]")
_CLAUSE_BREAK_RE = re.compile(r"[,;:\u2013\u2014]|\s-\s|^-\s|\s-$")
_CAMEL_RE = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_BARE_HYPHEN_RE = re.compile(r"[\-\u2010\u2011]")
_SHORT_WORD = 3  # wake words this short ("hey", "ok") are matched one transcript token at a time


@dataclass(frozen=True, slots=True)
class MatchTuning:
    """Scoring weights of the fuzzy matcher (tuned on the dev split of the eval set).

    A window of transcript tokens gets ``char_weight * char + metaphone_weight * metaphone +
    nysiis_weight * nysiis``, each term a similarity in ``[0, 1]``, minus the penalties.

    Attributes:
        char_weight: Weight of the rapidfuzz ``fuzz.ratio`` between the joined window and the
            wake token.
        metaphone_weight: Weight of the similarity between their Metaphone codes.
        nysiis_weight: Weight of the similarity between their NYSIIS codes.
        edge_extension_penalty: Subtracted per character the window's words run past the
            wake token at either end ("Mindy", "minds", "premeetmind").
        inner_extension_penalty: Subtracted per character inserted at a word boundary inside
            the window, beyond the first ("meeting mind").
        derivation_penalty: Subtracted, on top of the edge penalty, when what the window's
            words add past the wake token at its end is anything but a plural "s"
            ("Meetmindy", "Mindy" are other words; "meet minds" is the name misheard).
        case_penalty: Subtracted when a window of several words is cased like a common word
            followed by a proper noun ("meet Minh"): speech recognition writes a name split in
            two with one casing ("Meet Mind", "meet mind").
        char_floor: Windows whose character similarity is below this are not scored.
        token_floor: In a multi-word wake phrase, every word must score at least this.
    """

    char_weight: float = 0.4
    metaphone_weight: float = 0.3
    nysiis_weight: float = 0.3
    edge_extension_penalty: float = 0.05
    inner_extension_penalty: float = 0.05
    derivation_penalty: float = 0.15
    case_penalty: float = 0.1
    char_floor: float = 0.55
    token_floor: float = 0.5


# --- text ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    norm: str  # casefolded ASCII letters and digits, for fuzzy matching; "" for other scripts
    word: str  # casefolded with its apostrophes, for word lists ("we'll" is not "well")
    shape: str  # "lower", "title" or "other": how the transcript cased it
    start: int
    end: int
    possessive: bool  # written with a trailing "'s", which norm and word leave out


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    for m in _TOKEN_RE.finditer(text):
        word = m.group()
        possessive = _POSSESSIVE_RE.search(word) is not None and len(word) > 2
        if possessive:
            word = word[:-2]
        lowered = word.casefold().replace("\u2019", "'")
        shape = "lower" if word.islower() else "title" if word.istitle() else "other"
        tokens.append(_Token(_fold(word), lowered, shape, m.start(), m.end(), possessive))
    return tokens


def _separators(text: str, tokens: list[_Token]) -> list[str]:
    """Text before each token (index i: between token i-1 and token i), plus the tail."""
    seps = []
    previous_end = 0
    for token in tokens:
        seps.append(text[previous_end : token.start])
        previous_end = token.end
    seps.append(text[previous_end:])
    return seps


# --- wake word patterns ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _WakeToken:
    norm: str
    metaphone: str
    nysiis: str
    max_span: int  # how many transcript tokens may spell it ("meet" "mind")
    significant: bool  # carries the score; short words ("hey", "ok") only need token_floor


@dataclass(frozen=True, slots=True)
class _WakePattern:
    phrase: str
    tokens: tuple[_WakeToken, ...]


@functools.lru_cache(maxsize=64)
def _compile_patterns(wake_words: tuple[str, ...]) -> tuple[_WakePattern, ...]:
    patterns = []
    for phrase in wake_words:
        words = [(m.group(), _fold(m.group())) for m in _TOKEN_RE.finditer(phrase)]
        words = [(word, norm) for word, norm in words if norm]
        # Short words ("hey", "ok") are weak evidence: they gate the match, the name scores it.
        # A phrase made only of short words is scored by all of them.
        any_long = any(len(norm) > _SHORT_WORD for _, norm in words)
        wake_tokens = []
        for word, norm in words:
            parts = len(_CAMEL_RE.findall(word)) or 1
            # Speech recognition splits a compound at its parts ("Meet Mind"), and may split a
            # one-part name in two ("Jar vis"); never into more words than that.
            max_span = 1 if len(norm) <= _SHORT_WORD else max(2, parts)
            significant = len(norm) > _SHORT_WORD or not any_long
            wake_tokens.append(
                _WakeToken(
                    norm, jellyfish.metaphone(norm), jellyfish.nysiis(norm), max_span, significant
                )
            )
        patterns.append(_WakePattern(phrase, tuple(wake_tokens)))
    return tuple(patterns)


# --- scoring ---------------------------------------------------------------------------


def _similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return Levenshtein.normalized_similarity(a, b)


def _extensions(wake: str, joined: str, boundaries: list[int]) -> tuple[int, int, int] | None:
    """Characters the window adds past the wake token: at its edges, and at inner boundaries.

    Returns:
        ``(head, tail, inner)`` counts (inner beyond the first character), or None when the
        two strings share no character run.
    """
    opcodes = Levenshtein.opcodes(wake, joined)
    equal = [op for op in opcodes if op.tag == "equal"]
    if not equal:
        return None
    first, last = equal[0], equal[-1]
    head = max(0, first.dest_start - first.src_start)
    tail = max(0, (len(joined) - last.dest_end) - (len(wake) - last.src_end))
    inner = 0
    for op in opcodes:
        if op.tag == "insert" and any(op.dest_start == b or op.dest_end == b for b in boundaries):
            inner += op.dest_end - op.dest_start
    return head, tail, max(0, inner - 1)


class _Scorer:
    """Scores windows of one utterance against wake tokens, memoizing per window."""

    __slots__ = ("_cache", "_seps", "_tokens", "_tuning")

    def __init__(self, tokens: list[_Token], seps: list[str], tuning: MatchTuning) -> None:
        self._tokens = tokens
        self._seps = seps
        self._tuning = tuning
        self._cache: dict[tuple[str, int, int], float] = {}

    def best(self, wake: _WakeToken, start: int) -> tuple[int, float] | None:
        """Best window starting at token ``start`` for ``wake``.

        Returns:
            ``(end, score)`` with ``end`` exclusive, or None if no window scores.
        """
        best: tuple[int, float] | None = None
        for span in range(1, wake.max_span + 1):
            end = start + span
            if end > len(self._tokens):
                break
            if span > 1 and not _JOIN_SEP_RE.fullmatch(self._seps[end - 1]):
                break  # punctuation inside the window: "meet, mind"
            score = self._score(wake, start, end)
            if score > 0.0 and (best is None or score > best[1]):
                best = (end, score)
        return best

    def _score(self, wake: _WakeToken, start: int, end: int) -> float:
        key = (wake.norm, start, end)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        score = self._compute(wake, start, end)
        self._cache[key] = score
        return score

    def _compute(self, wake: _WakeToken, start: int, end: int) -> float:
        window = self._tokens[start:end]
        if any(not t.norm for t in window) or any(t.possessive for t in window[:-1]):
            return 0.0
        if (start > 0 and _BARE_HYPHEN_RE.fullmatch(self._seps[start])) or (
            end < len(self._tokens) and _BARE_HYPHEN_RE.fullmatch(self._seps[end])
        ):
            return 0.0  # the window cuts a hyphenated compound: "meet-and-greet"
        joined = "".join(t.norm for t in window)
        if not 0.5 * len(wake.norm) <= len(joined) <= 1.6 * len(wake.norm) + 1:
            return 0.0
        tuning = self._tuning
        char = fuzz.ratio(joined, wake.norm, score_cutoff=tuning.char_floor * 100) / 100
        if char == 0.0:
            return 0.0
        boundaries = []
        offset = 0
        for token in window[:-1]:
            offset += len(token.norm)
            boundaries.append(offset)
        extensions = _extensions(wake.norm, joined, boundaries)
        if extensions is None:
            return 0.0
        head, tail, inner = extensions
        if head >= len(window[0].norm) or tail >= len(window[-1].norm):
            return 0.0  # a whole word at the edge matches nothing: the smaller window counts
        edge = head + tail
        derived = tail > 0 and joined[len(joined) - tail :] != _INFLECTION
        proper_noun_after_common = any(
            a.shape == "lower" and b.shape == "title" for a, b in itertools.pairwise(window)
        )
        score = (
            tuning.char_weight * char
            + tuning.metaphone_weight * _similarity(jellyfish.metaphone(joined), wake.metaphone)
            + tuning.nysiis_weight * _similarity(jellyfish.nysiis(joined), wake.nysiis)
            - tuning.edge_extension_penalty * edge
            - tuning.inner_extension_penalty * inner
            - (tuning.derivation_penalty if derived else 0.0)
            - (tuning.case_penalty if proper_noun_after_common else 0.0)
        )
        return max(0.0, min(1.0, score))


@dataclass(frozen=True, slots=True)
class _Candidate:
    pattern: _WakePattern
    start: int  # token index
    end: int  # exclusive token index
    score: float


def _candidates(
    patterns: tuple[_WakePattern, ...],
    scorer: _Scorer,
    n_tokens: int,
    threshold: float,
    token_floor: float,
) -> list[_Candidate]:
    """Every pattern occurrence scoring at least the threshold, overlaps resolved."""
    found: list[_Candidate] = []
    for pattern in patterns:
        for start in range(n_tokens):
            position = start
            score = 1.0
            for wake in pattern.tokens:
                hit = scorer.best(wake, position) if position < n_tokens else None
                if hit is None or hit[1] < token_floor:
                    break
                position, token_score = hit
                if wake.significant:
                    score = min(score, token_score)
            else:
                if score >= threshold:
                    found.append(_Candidate(pattern, start, position, score))
    # Overlapping candidates: the earliest wins, and at the same start the widest
    # ("hey meetmind" over "meetmind"), then the best scoring.
    found.sort(key=lambda c: (c.start, -(c.end - c.start), -c.score))
    resolved: list[_Candidate] = []
    for candidate in found:
        if not resolved or candidate.start >= resolved[-1].end:
            resolved.append(candidate)
    return resolved


# --- addressing and request extraction --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Address:
    addressed: bool
    vocative: bool  # set off by a comma after other words: "Can you recap, MeetMind?"
    sentence_start: int  # token index where the wake word's sentence starts
    attention: bool  # preceded by (or starting with) "hey", "ok", ...


def _address(tokens: list[_Token], seps: list[str], start: int) -> _Address:
    """Does the wake word at token ``start`` begin a sentence or stand as a vocative?"""
    attention = tokens[start].word in _ATTENTION
    index = start
    while index > 0:
        sep = seps[index]
        if _SENTENCE_END_RE.search(sep):
            return _Address(True, False, index, attention)
        if _CLAUSE_BREAK_RE.search(sep):
            sentence = index
            while sentence > 0 and not _SENTENCE_END_RE.search(seps[sentence]):
                sentence -= 1
            only_lead_ins = all(t.word in _LEAD_INS for t in tokens[sentence:index])
            return _Address(True, not only_lead_ins, sentence, attention)
        previous = tokens[index - 1].word
        if previous not in _LEAD_INS:
            # "... good point, Sam, hey MeetMind": a greeting right before the name addresses
            # the agent wherever it stands.
            return _Address(attention, False, index, attention)
        attention = attention or previous in _ATTENTION
        index -= 1
    return _Address(True, False, 0, attention)


def _is_statement_subject(tokens: list[_Token], seps: list[str], end: int, text_after: str) -> bool:
    """ "MeetMind is great.": a sentence-initial name followed by a declarative verb."""
    if end >= len(tokens) or seps[end].strip():
        return False
    if tokens[end - 1].possessive or tokens[end].word not in _DECLARATIVE_FOLLOWERS:
        return False
    sentence_end = _SENTENCE_END_RE.search(text_after)
    return sentence_end is None or sentence_end.group() != "?"


def _is_verb_phrase(tokens: list[_Token], seps: list[str], end: int) -> bool:
    """ "hey mitt mind sending the deck": the wake word's last word used as a verb."""
    if end >= len(tokens) or tokens[end - 1].word not in _OBJECT_VERBS or seps[end].strip():
        return False
    following = tokens[end].word
    if following in _VERB_COMPLEMENTS:
        return True
    return following.endswith("ing") and len(following) >= 6 and following not in _NOT_GERUNDS


def _request_start(tokens: list[_Token], index: int) -> int:
    """First token index of the request, skipping hesitations ("um, what ...")."""
    while index < len(tokens) and tokens[index].word in _HESITATIONS:
        index += 1
    return index


def has_word(phrase: str) -> bool:
    """Whether a configured wake word has anything to match (letters or digits).

    Args:
        phrase: The configured wake word.

    Returns:
        True if at least one word survives normalization.
    """
    return any(t.norm for t in _tokenize(phrase))


def clean_request(text: str) -> str:
    """A whole turn used as a request: trimmed, without leading hesitations.

    Args:
        text: The turn's text.

    Returns:
        The request, ``""`` if the turn holds nothing but hesitations and punctuation.
    """
    tokens = _tokenize(text)
    index = _request_start(tokens, 0)
    return text[tokens[index].start :].strip() if index < len(tokens) else ""


@dataclass(frozen=True, slots=True)
class RawMatch:
    """What :func:`find` found; ``wakeword`` turns it into the public match type."""

    wake_word: str
    start: int
    end: int
    request: str
    source: Literal["after", "before", "none"]
    score: float


def find(
    text: str,
    wake_words: tuple[str, ...],
    *,
    threshold: float,
    require_address: bool,
    tuning: MatchTuning,
) -> RawMatch | None:
    """Find the first wake word that addresses the agent in one utterance.

    Args:
        text: The utterance.
        wake_words: The configured phrases.
        threshold: Minimum score of a match.
        require_address: Skip occurrences that mention the name rather than address it.
        tuning: Scoring weights.

    Returns:
        The match, or None.
    """
    tokens = _tokenize(text)
    if not tokens:
        return None
    seps = _separators(text, tokens)
    scorer = _Scorer(tokens, seps, tuning)
    patterns = _compile_patterns(wake_words)
    candidates = _candidates(patterns, scorer, len(tokens), threshold, tuning.token_floor)
    for position, candidate in enumerate(candidates):
        address = _address(tokens, seps, candidate.start)
        end_offset = tokens[candidate.end - 1].end
        if require_address:
            if not address.addressed or tokens[candidate.end - 1].possessive:
                continue
            if _is_verb_phrase(tokens, seps, candidate.end):
                continue
            if not address.attention and _is_statement_subject(
                tokens, seps, candidate.end, text[end_offset:]
            ):
                continue
        # A repeated wake word ("Hey MeetMind, hey MeetMind, ...") belongs to the same call.
        last = candidate
        for following in candidates[position + 1 :]:
            if _request_start(tokens, last.end) != following.start:
                break
            last = following
        request_index = _request_start(tokens, last.end)
        source: Literal["after", "before", "none"]
        if request_index < len(tokens):
            request = text[tokens[request_index].start :].strip()
            source = "after"
        elif address.vocative:
            before = text[tokens[address.sentence_start].start : tokens[candidate.start].start]
            mark = _SENTENCE_END_RE.search(text[tokens[last.end - 1].end :])
            request = before.rstrip(" ,;:\u2013\u2014-") + (mark.group() if mark else "")
            source = "before"
        else:
            request = ""
            source = "none"
        return RawMatch(
            wake_word=candidate.pattern.phrase,
            start=tokens[candidate.start].start,
            end=end_offset,
            request=request,
            source=source,
            score=round(candidate.score, 4),
        )
    return None
