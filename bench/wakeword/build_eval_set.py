"""Build the labelled wake-word evaluation set (``eval_set.jsonl``).

Run ``python -m bench.wakeword.build_eval_set`` to regenerate the file. The output is
deterministic (fixed seed), so a regeneration that changes the file is a visible diff.

The set was written before the detector was tuned, and every item carries a fixed ``split``
(``dev`` or ``test``, from a hash of its id): thresholds are tuned on ``dev`` only and the
numbers reported for ``test`` are held out.

Item shapes (one JSON object per line):

* single utterance: ``{"id", "split", "category", "text", "label", "request"}``, optionally
  ``"wake_words"`` (a per-session wake-word list; the default list otherwise). ``label`` says
  whether the agent is addressed; ``request`` is the expected extracted request (``""`` when
  the wake word ends the turn, ``null`` for negatives).
* conversation: ``{"id", "split", "category", "turns", "expected"}`` where ``turns`` are
  ``{"turn_id", "speaker", "text", "start_ms", "end_ms"}`` and ``expected`` lists
  ``{"speaker", "wake_turn_id", "request"}``; the evaluator flushes at ``flush_ms``.

Labelling rules for ``request``: the text after the (last repeated) wake word, without the
separating punctuation and without leading hesitation fillers ("um", "uh"); when the wake
word is a trailing vocative ("Can you recap, MeetMind?") the request is the clause before it
with the final punctuation; a human reading of the utterance decides, not the detector.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any

__all__ = ["build_items", "main"]

OUT = Path(__file__).with_name("eval_set.jsonl")
SEED = 20261125

# --- positives ------------------------------------------------------------------------

REQUESTS = [
    "can you recap?",
    "recap the last ten minutes.",
    "give us a quick summary.",
    "summarize what we've said so far.",
    "what did we decide about the launch?",
    "what are the action items?",
    "list the action items for Dana.",
    "what did Priya say about the budget?",
    "who owns the migration ticket?",
    "remind me what we agreed on pricing.",
    "take a note: we ship on Friday.",
    "note that Sam will follow up with legal.",
    "what was the deadline we set?",
    "how long have we been talking?",
    "can you summarize the discussion on hiring?",
    "what questions are still open?",
    "read back the last decision.",
    "what did Marco say about the API?",
    "did anyone volunteer for the demo?",
    "what's the next agenda item?",
    "capture that as an action item for me.",
    "what time did we say for the follow-up?",
    "who spoke most about the roadmap?",
    "mark this as a decision.",
    "please summarize the customer feedback part.",
    "what were the risks we listed?",
    "can you repeat the last point?",
    "what's the status of the Q3 plan?",
    "any blockers mentioned so far?",
    "what did we say about the mobile release?",
    "give me the three main takeaways.",
    "who is presenting next?",
    "what did Alex commit to?",
    "list all the dates mentioned today.",
    "how many action items do we have?",
    "what was the number Jordan quoted for hosting?",
    "summarize the last five minutes, please.",
    "are there any unanswered questions?",
    "please draft follow-up notes.",
    "what did the client ask for?",
    "write down that the budget is approved.",
    "what were the key decisions?",
    "can you remind everyone of the deadline?",
    "when is the next sync?",
    "what's left on the agenda?",
    "explain what Kim meant by the staging issue.",
    "who hasn't spoken yet?",
    "did we agree on the vendor?",
    "recap.",
    "summary, please.",
    "action items?",
    "what did I miss?",
    "catch me up.",
    "what was said about security?",
    "could you list the owners for each task?",
    "what did Maria say about hiring?",
    "tell us what we decided last week.",
    "what's our launch date again?",
    "record that the demo moved to Tuesday.",
    "what did we conclude on the pricing tiers?",
    "can you give me a one-line summary?",
    "please list the open bugs we discussed.",
    "what topics have we covered?",
    "who raised the latency concern?",
    "how did we resolve the licensing question?",
    "what's the plan for the beta?",
    "can you share the action items in chat?",
    "what percentage did Lee mention?",
    "what's the summary so far?",
    "mind summarizing the last part?",
    "meet me halfway and give a short recap.",
    "what did we say about the meeting next week?",
]

# How speech recognition writes the brand. Weights follow a rough guess of frequency:
# the exact forms dominate, each mishearing is rarer.
BRAND_FORMS: list[tuple[str, int]] = [
    ("MeetMind", 14),
    ("Meetmind", 5),
    ("meetmind", 4),
    ("Meet Mind", 8),
    ("meet mind", 7),
    ("Meet mind", 2),
    ("Meet-Mind", 2),
    ("meet-mind", 1),
    ("MEETMIND", 1),
    ("meat mind", 3),
    ("Meat Mind", 2),
    ("mead mind", 2),
    ("Mead Mind", 1),
    ("mid mind", 2),
    ("Mid Mind", 1),
    ("mid-mind", 1),
    ("meet mined", 2),
    ("meet mine", 2),
    ("Meet Mine", 1),
    ("mean mind", 1),
    ("MeatMind", 1),
    ("Meatmind", 1),
    ("me mind", 1),
    ("neat mind", 1),
    ("meed mind", 1),
    ("meet mynd", 1),
    ("Meet Mynd", 1),
    ("mitt mind", 1),
    ("meetmine", 1),
    ("meat mined", 1),
    ("Meat-Mind", 1),
    ("meet minds", 1),
    ("meek mind", 1),
    ("met mind", 1),
]

# What comes before the brand when the speaker addresses the agent at the start of a turn.
GREETINGS: list[tuple[str, int]] = [
    ("Hey {b}", 20),
    ("Hey, {b}", 6),
    ("hey {b}", 6),
    ("{b}", 14),
    ("Hi {b}", 3),
    ("Hi, {b}", 2),
    ("Hay {b}", 1),
    ("Okay {b}", 2),
    ("OK, {b}", 2),
    ("Yo {b}", 1),
    ("Um, hey {b}", 2),
    ("Uh, {b}", 1),
    ("So, {b}", 2),
    ("So {b}", 1),
    ("Alright, {b}", 1),
    ("Alright, hey {b}", 1),
    ("Oh, hey {b}", 1),
    ("Hello {b}", 1),
    ("Hey hey {b}", 1),
    ("Sorry, {b}", 1),
    ("Excuse me, {b}", 1),
    ("And {b}", 1),
    ("Well, {b}", 1),
]

AFTER_BRAND: list[tuple[str, int]] = [
    (", ", 20),
    (" ", 8),
    (". ", 3),
    ("! ", 2),
    ("? ", 1),
    (": ", 1),
    (" - ", 1),
    ("... ", 1),
    (", um, ", 2),
    (", uh ", 1),
    (" um ", 1),
]

PRE_CONTEXT = [
    "Okay, that's settled. ",
    "Thanks, everyone. ",
    "Right. ",
    "Good point, Sam. ",
    "Let's pause here. ",
    "I think we're done with pricing. ",
    "Sorry, I was muted. ",
    "That's fair. ",
    "Moving on. ",
    "Quick interruption. ",
    "Before we wrap up. ",
    "One second. ",
]

# Questions that work as a trailing vocative: "<question>, MeetMind?"
VOCATIVE_QUESTIONS = [
    "Can you recap that",
    "What were the action items",
    "What did we decide about the launch",
    "Could you summarize the last ten minutes",
    "Who owns the migration",
    "What did Priya say about the budget",
    "Any open questions",
    "Did we agree on the vendor",
    "What's next on the agenda",
    "Can you list the decisions so far",
    "What's the deadline again",
    "Can you note that down",
]

WAKE_ONLY_ENDINGS = [".", "?", "", "!", "...", ","]

# --- negatives ------------------------------------------------------------------------

# Ordinary meeting talk, no trace of the brand.
ORDINARY = [
    "Let's get started, everyone's here.",
    "Can you share your screen?",
    "I think the budget is fine for Q3.",
    "We need to ship the beta by Friday.",
    "Who's taking notes today?",
    "Sorry, you're on mute.",
    "Can everyone see my slides?",
    "The numbers look better than last month.",
    "I'll follow up with legal after this call.",
    "Let's move on to the next agenda item.",
    "Does anyone have questions about the roadmap?",
    "I'm not sure that's the right priority.",
    "The migration is blocked on the database upgrade.",
    "Priya, could you walk us through the design?",
    "We lost about ten percent of users after the change.",
    "Let me check and get back to you.",
    "That sounds good to me.",
    "Can we timebox this to five minutes?",
    "I disagree, the customers asked for exports first.",
    "Marco is out today, so I'll cover his update.",
    "The demo moved to Tuesday.",
    "Hey everyone, sorry I'm late.",
    "Hey Sam, can you hear me?",
    "Hi all, quick update from the platform team.",
    "Okay, let's wrap up.",
    "Thanks for joining, see you next week.",
    "What did the client say about pricing?",
    "Can you recap the last point?",
    "Let's summarize the decisions before we leave.",
    "I'll write up the action items and send them around.",
    "The meeting notes are in the shared drive.",
    "We should schedule a follow-up meeting.",
    "My mind went blank for a second.",
    "Let me think about it and ping you.",
    "The latency went down after the cache fix.",
    "Do we have a date for the launch?",
    "Jordan quoted around four thousand a month for hosting.",
    "I need to drop in five minutes.",
    "Can someone else present? My camera is broken.",
    "We agreed on the vendor last week.",
    "The test suite is flaky again.",
    "Let's take this offline.",
    "Is the recording on?",
    "Hey, can you hear me now?",
    "Hi, hi, sorry, bad connection.",
    "OK, so the plan is to launch in March.",
    "Alright, let's review the open bugs.",
    "Um, I think that's everything from me.",
    "So, where were we?",
    "Yo, nice work on the release.",
    "We hit our target for the quarter.",
    "I'm going to send the deck after the call.",
    "Let's do a quick round of updates.",
    "Please keep your updates short today.",
    "Could you repeat that? You cut out.",
    "The contract renewal is next month.",
    "Hiring is on hold until January.",
    "What's the status of the security review?",
    "The staging environment is down again.",
    "I can take that action item.",
    "Let's revisit this in the next sync.",
    "We need a decision on the pricing tiers.",
    "I'm fine with either option.",
    "Who raised the latency concern?",
    "The mobile release slipped by a week.",
    "Okay, any other business?",
    "Hey, quick question about the invoice.",
    "Can you paste the link in the chat?",
    "Let's give everyone a minute to read.",
    "I think we covered everything on the agenda.",
    "Great, thanks, that's really helpful.",
    "Sorry, go ahead.",
    "No, you go first.",
    "Yeah, exactly.",
    "Mm-hmm.",
    "Okay.",
    "Right, right.",
    "Let's meet again on Thursday.",
    "Did you get my message?",
    "The summary from last week is in the doc.",
]

# Sounds-alike and looks-alike speech: the hard negatives.
NEAR_MISS = [
    "We need to meet, mind the gap in the schedule.",
    "We need to meet. Mind the gap.",
    "The meeting mindset matters more than the tools.",
    "I'll meet Mindy at the airport.",
    "Hey Mike, can you share your screen?",
    "I want you to meet my team.",
    "Meet my colleague Sarah, she runs design.",
    "Keep in mind the deadline is Friday.",
    "Never mind, I found it.",
    "Meet me in the lobby after the call.",
    "Who's writing the meeting minutes?",
    "I don't mind meeting on Fridays.",
    "Great minds think alike.",
    "I'm meeting Minh tomorrow about the contract.",
    "Hey Mindy, are you still there?",
    "Hey, meet Mina, she just joined the team.",
    "Let's do a mid-month check-in.",
    "I made a mind map of the features.",
    "We met in the middle on the price.",
    "I changed my mind about the vendor.",
    "I finally made up my mind.",
    "I'm of two minds about this.",
    "He's a real mastermind with spreadsheets.",
    "Hey mastermind, nice plan.",
    "Mind if I share my screen?",
    "Do you mind repeating that?",
    "Would you mind taking notes?",
    "Hey Mead, mind if I jump in?",
    "Hey Meade, mind sharing your screen?",
    "Hey mate, mind the step on your way out.",
    "Hey Mitt, mind sending the deck?",
    "Amit, mind the time please.",
    "Hey Amit, mind giving an update?",
    "Meet, mind you, is the wrong word here.",
    "We'll meet, mind you, only after the audit.",
    "Nice to meet you, Mindy.",
    "It was great to meet Mindy's team.",
    "Let's meet Monday instead.",
    "Meat and potatoes, that's the core product.",
    "The meat of the proposal is on page three.",
    "We should meet more often.",
    "I'll meet you there.",
    "Mind the cache when you deploy.",
    "Remind me to send the invoice.",
    "That's a reminder for everyone.",
    "The mindfulness session is at noon.",
    "She is very open-minded about the roadmap.",
    "We're like-minded on this one.",
    "It's a mind-blowing result.",
    "I had the meeting in mind when I wrote it.",
    "I'll keep the meeting in mind.",
    "What's on your mind?",
    "Mid-year reviews start next week.",
    "Hey Mickey, how's it going?",
    "Hey Minnie, you're on mute.",
    "Meet Mike, our new engineer.",
    "Let me meet with my manager first.",
    "I met Mindy last week.",
    "We need a mind shift on testing.",
    "The mind-meld between design and eng is great.",
    "Meet and greet starts at six.",
    "Hey, meet my dog, Biscuit.",
    "Hey, mean mind games won't work on me.",
    "You might mind the noise from the construction.",
    "Might mine be the last one?",
    "Meet mine at noon, it's the blue car.",
    "I'd like you to meet Minh, our new designer.",
    "Hey, meet Minh, he's taking over support.",
    "Let's meet Minh at the station.",
    "Meet Mint Mobile, our new sponsor.",
    "Hey Mimi, mind joining us?",
    "The media mind-share numbers are in.",
    "Media, mind the embargo.",
    "Hey, Meet up at noon?",
    "The meetup is at the Mind Lab.",
    "The Mind Lab team will meet us there.",
    "Mind-reading isn't a strategy.",
    "I meant mind your step.",
    "Need, mind, and money, those are the criteria.",
    "I need mine back by Tuesday.",
    "Meet Mindful, the meditation app we're partnering with.",
    "Hey, meet Mindaugas from the Vilnius office.",
    "Meet minds halfway, that's the idea.",
    "Meeting Mindy was the highlight of the trip.",
    "Hey Midge, mind the clock.",
    "Hey Mindy, meet Mike.",
    "My mind is made up.",
    "Mean, median and mode.",
    "Meeting, mind you, not a workshop.",
    "We should meet; mind the time zones though.",
    "Let's meet: mind the agenda.",
    "Meet-and-greet, mind you, is optional.",
    "Hey, Meat Loaf is playing in the background.",
    "Meadow Mind is the name of their consultancy.",
    "Hey team, minds on the task please.",
    "Hey, nice mindset.",
    "Amit mind the time please.",
    "Hey mate mind the step.",
    "hey mead mind if i jump in",
    "we need to meet mind you its late",
]

# The brand is mentioned, not addressed: people talking about the product.
MENTIONS = [
    "I think MeetMind is really useful.",
    "Let's ask MeetMind later.",
    "The MeetMind summary was wrong last time.",
    "Did MeetMind record the last meeting?",
    "We should integrate MeetMind with Slack.",
    "MeetMind's transcript said otherwise.",
    "Is MeetMind recording this?",
    "Without MeetMind we'd lose half our notes.",
    "I read the MeetMind docs yesterday.",
    "Our MeetMind bill went up this month.",
    "The new meet mind release fixed the lag.",
    "Has anyone tried the MeetMind API?",
    "I turned off MeetMind for the board call.",
    "MeetMind is great.",
    "MeetMind was pretty helpful yesterday.",
    "MeetMind has a new dashboard.",
    "MeetMind recorded everything, so check there.",
    "Sales loves MeetMind.",
    "I'm not sure meet mind got that right.",
    "We could use meet mind for the retro.",
    "Can we trust MeetMind with customer calls?",
    "Who set up MeetMind for this meeting?",
    "I'll check what MeetMind said about it.",
    "Maybe MeetMind can summarize it later.",
    "The MeetMind bot joined twice.",
    "We're evaluating MeetMind against two other tools.",
    "Our MeetMind webhook is failing.",
    "Remind me to update the MeetMind settings.",
    "That's the meetmind integration I mentioned.",
    "I like how meet mind handles action items.",
]

# The brand inside a longer word or a compound.
INSIDE_WORD = [
    "MeetMinder is a different product.",
    "The MeetMindful app keeps pinging me.",
    "Check the meetmindset channel.",
    "Our meetingmind wiki needs updates.",
    "Meetminded people, please stay.",
    "The #meetmindteam channel is quiet.",
    "Mindmeet is their competitor.",
    "Send it to meetmindbot at our domain.",
    "Hey Meetminder, welcome.",
    "Hey Meetmindy, how are you?",
    "Hey premeetmind crew.",
    "The meetmindless approach failed.",
]

NAMES_NEAR = ["Mindy", "Minh", "Mina", "Milo", "Mike", "Mia", "Maya", "Mindaugas", "Minnie", "Mimi"]
NAMES_FAR = ["Sarah", "Tom", "Priya", "Jordan", "Kim", "Alex", "Lee", "Dana", "Marco", "Sam"]
MEET_FRAMES = [
    "I'd like you to meet {n}.",
    "Hey, meet {n}, our new hire.",
    "You should meet {n} from sales.",
    "We'll meet {n} after lunch.",
    "Meet {n}, she's leading the project.",
    "Come meet {n} at the booth.",
]
MY_NOUNS = [
    "team",
    "manager",
    "co-founder",
    "deadline",
    "mentor",
    "cousin",
    "targets",
    "expectations",
]
MY_FRAMES = [
    "Can you meet my {x} on Friday?",
    "Hey, meet my {x}.",
    "We didn't meet my {x} this quarter.",
    "I want to meet my {x} first.",
]
MIND_FRAMES = [
    "Mind the {x}.",
    "Hey, mind the {x}.",
    "Please keep the {x} in mind.",
    "We need to meet, mind the {x}.",
    "Meet the {x}, mind you.",
]
MIND_NOUNS = ["gap", "deadline", "budget", "time", "scope", "audience", "dependencies", "step"]

# --- custom wake words ----------------------------------------------------------------

# Each positive is (utterance, expected request); negatives are plain utterances.
CUSTOM_POS: dict[str, list[tuple[str, str]]] = {
    "Jarvis": [
        ("Jarvis, can you recap?", "can you recap?"),
        ("Hey Jarvis, what are the action items?", "what are the action items?"),
        ("jarvis what did we decide", "what did we decide"),
        ("Jarvis! Summarize the last ten minutes.", "Summarize the last ten minutes."),
        ("Jar vis, who owns the migration?", "who owns the migration?"),
        ("Jarvus, what's next on the agenda?", "what's next on the agenda?"),
        ("Okay, Jarvis, note that we ship Friday.", "note that we ship Friday."),
        ("Jarves, can you list the decisions?", "can you list the decisions?"),
    ],
    "Hey Nova": [
        ("Hey Nova, can you recap?", "can you recap?"),
        ("hey nova what did we decide", "what did we decide"),
        ("Hey, Nova, list the action items.", "list the action items."),
        ("Hey Nova! Who owns the migration?", "Who owns the migration?"),
        ("Hey no va, summarize the call.", "summarize the call."),
        ("Hay Nova, what's next?", "what's next?"),
        ("Hey Nover, what did Priya say?", "what did Priya say?"),
        ("Hey Novah, read back the decision.", "read back the decision."),
    ],
}
CUSTOM_NEG: dict[str, list[str]] = {
    "Jarvis": [
        "Travis, can you recap?",
        "Hey Travis, what are the action items?",
        "Put it in the jar, vis-a-vis the budget.",
        "I talked to Jarvis Cocker's manager.",
        "Harvest season is our busiest time.",
        "Service is down again.",
        "Davis will send the notes.",
        "Let's ask Jarvis about it later.",
    ],
    "Hey Nova": [
        "Hey, no, wait, that's wrong.",
        "Hey Noah, can you recap?",
        "Hey Nora, what did we decide?",
        "Our Nova Scotia office is closed.",
        "Nova, can you recap?",
        "It's a supernova of a quarter.",
        "Hey, nobody told me about the launch.",
        "Hey, novel idea: let's ship early.",
    ],
}

# --- conversations (request in the next turn, expiry, duplicates) ----------------------


def _split(item_id: str) -> str:
    digest = hashlib.sha256(item_id.encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "test"


def _weighted(rng: random.Random, options: list[tuple[str, int]]) -> str:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def _capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _strip_punctuation(text: str) -> str:
    """Mimic transcripts without punctuation: drop it, keep apostrophes and spaces."""
    text = re.sub(r"[^\w\s'-]", " ", text)
    text = text.replace(" - ", " ")
    return re.sub(r"\s+", " ", text).strip()


def _positives(rng: random.Random) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(category: str, text: str, request: str) -> None:
        if text in seen:
            return
        seen.add(text)
        items.append({"category": category, "text": text, "label": True, "request": request})

    # Wake word then request in the same turn: the bulk of real use.
    attempts = 0
    while sum(1 for it in items if it["category"].startswith("pos_turn")) < 230:
        attempts += 1
        if attempts > 10_000:
            raise RuntimeError("could not draw enough distinct positives")
        brand = _weighted(rng, BRAND_FORMS)
        greeting = _weighted(rng, GREETINGS)
        separator = _weighted(rng, AFTER_BRAND)
        request = rng.choice(REQUESTS)
        head = greeting.format(b=brand)
        sentence_break = separator in (". ", "! ", "? ", "... ")
        body = _capitalize_first(request) if sentence_break else request
        text = head + separator + body
        category = "pos_turn_start"
        if rng.random() < 0.12:
            text = rng.choice(PRE_CONTEXT) + text
            category = "pos_turn_mid"
        style = rng.random()
        if style < 0.12:
            text = text.lower()
            body = body.lower()
            category += "_lower"
        elif style < 0.20:
            text = _strip_punctuation(text).lower()
            body = _strip_punctuation(body).lower()
            category += "_nopunct"
        add(category, text, body)

    # The wake word alone: the request will come in the next turn.
    while sum(1 for it in items if it["category"] == "pos_wake_only") < 30:
        brand = _weighted(rng, BRAND_FORMS)
        greeting = _weighted(rng, GREETINGS)
        text = greeting.format(b=brand) + rng.choice(WAKE_ONLY_ENDINGS)
        if rng.random() < 0.2:
            text = rng.choice(PRE_CONTEXT) + text
        add("pos_wake_only", text, "")

    # Trailing vocative: the request comes first.
    for question in VOCATIVE_QUESTIONS:
        for _ in range(2):
            brand = _weighted(rng, BRAND_FORMS)
            mark = rng.choice(["?", "?", "."])
            add("pos_vocative_end", f"{question}, {brand}{mark}", f"{question}{mark}")

    # Repeated wake word and filler-heavy starts (hand-written).
    for text, request in [
        ("Hey MeetMind, hey MeetMind, can you recap?", "can you recap?"),
        ("MeetMind, MeetMind, what are the action items?", "what are the action items?"),
        ("Hey meet mind. Hey meet mind! Summarize the call.", "Summarize the call."),
        ("Um, uh, hey MeetMind, um, what did we decide?", "what did we decide?"),
        ("Okay so, meet mind, what's next?", "what's next?"),
        ("Sorry to interrupt. MeetMind, who owns the migration?", "who owns the migration?"),
        ("Right, MeetMind: list the decisions.", "list the decisions."),
        (
            "Hey MeetMind—what did Priya say about the budget?",
            "what did Priya say about the budget?",
        ),
        ("HEY MEETMIND, RECAP PLEASE", "RECAP PLEASE"),
        ("hey,meetmind,recap please", "recap please"),
        ("Hey   Meet   Mind ,  can you recap?", "can you recap?"),
        ("Hey MeetMind... um... what were the risks?", "what were the risks?"),
        (
            "Hey MeetMind, can you, like, recap the last part?",
            "can you, like, recap the last part?",
        ),
        ("Okay, MeetMind, what's the status of the Q3 plan?", "what's the status of the Q3 plan?"),
        ("And MeetMind, please draft the follow-up notes.", "please draft the follow-up notes."),
        ("Hey MeetMind, mind summarizing the last part?", "mind summarizing the last part?"),
        (
            "Hey MeetMind, what did we say about meeting Mindy?",
            "what did we say about meeting Mindy?",
        ),
        ("Hey Meet Mind, what's on my mind?", "what's on my mind?"),
        (
            "Hey MeetMind can you recap the meeting mindset discussion",
            "can you recap the meeting mindset discussion",
        ),
        ("Thanks everyone. Meet Mind, what did we decide?", "what did we decide?"),
        ("Can you, MeetMind, recap the last ten minutes?", "Can you recap the last ten minutes?"),
        ("Quick question, MeetMind, who owns the migration?", "who owns the migration?"),
        ("Quick question MeetMind who owns the migration", "who owns the migration"),
        ("A meet mind, what's the deadline?", "what's the deadline?"),
        ("I was wondering meet mind can you recap", "can you recap"),
        ("can you recap that meet mind", "can you recap that"),
        ("Hey there, MeetMind, what did we miss?", "what did we miss?"),
        ("Hey there MeetMind what did we miss", "what did we miss"),
        ("MeetMind is there anything left on the agenda?", "is there anything left on the agenda?"),
    ]:
        add("pos_hand", text, request)
    return items


def _negatives(rng: random.Random) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(category: str, text: str) -> None:
        if text in seen:
            return
        seen.add(text)
        items.append({"category": category, "text": text, "label": False, "request": None})

    for text in ORDINARY:
        add("neg_ordinary", text)
    for text in NEAR_MISS:
        add("neg_near_miss", text)
    for text in MENTIONS:
        add("neg_mention", text)
    for text in INSIDE_WORD:
        add("neg_inside_word", text)

    # Templated near misses, each slot drawn without replacement to keep variety.
    names = NAMES_NEAR + NAMES_FAR
    for frame in MEET_FRAMES:
        for name in rng.sample(names, 5):
            add("neg_meet_name", frame.format(n=name))
    for frame in MY_FRAMES:
        for noun in rng.sample(MY_NOUNS, 4):
            add("neg_meet_my", frame.format(x=noun))
    for frame in MIND_FRAMES:
        for noun in rng.sample(MIND_NOUNS, 3):
            add("neg_mind", frame.format(x=noun))

    # Transcripts without punctuation or casing, a sample of the hard ones.
    hard = [it["text"] for it in items if it["category"] in ("neg_near_miss", "neg_meet_name")]
    for text in rng.sample(hard, 25):
        add("neg_nopunct", _strip_punctuation(text).lower())
    return items


def _custom() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for wake_word, positives in CUSTOM_POS.items():
        for text, request in positives:
            items.append(
                {
                    "category": "custom_pos",
                    "text": text,
                    "label": True,
                    "request": request,
                    "wake_words": [wake_word],
                }
            )
        for text in CUSTOM_NEG[wake_word]:
            items.append(
                {
                    "category": "custom_neg",
                    "text": text,
                    "label": False,
                    "request": None,
                    "wake_words": [wake_word],
                }
            )
    return items


def _conversations() -> list[dict[str, Any]]:
    """Multi-turn cases: timing is part of the label."""

    def turn(tid: str, speaker: str, text: str, start: int, end: int) -> dict[str, Any]:
        return {"turn_id": tid, "speaker": speaker, "text": text, "start_ms": start, "end_ms": end}

    convs: list[dict[str, Any]] = []

    def conv(
        category: str,
        turns: list[dict[str, Any]],
        expected: list[dict[str, Any]],
        flush_ms: int,
    ) -> None:
        convs.append(
            {"category": category, "turns": turns, "expected": expected, "flush_ms": flush_ms}
        )

    nexts = [
        ("Hey MeetMind.", "Can you recap the last ten minutes?"),
        ("Hey meet mind", "what did we decide about pricing"),
        ("MeetMind?", "Who owns the migration?"),
        ("Um, hey MeetMind...", "What are the action items?"),
        ("Hey, mead mind.", "Summarize the customer feedback part."),
        ("Okay, meet mind.", "Um, what's the next agenda item?"),
    ]
    for i, (wake, request) in enumerate(nexts):
        expected_request = re.sub(r"^(Um|uh),?\s*", "", request)
        # The request follows after a pause, within the window.
        conv(
            "conv_next_turn",
            [
                turn(f"a{i}", "alice", wake, 1_000, 2_000),
                turn(f"b{i}", "alice", request, 3_500, 6_000),
            ],
            [{"speaker": "alice", "wake_turn_id": f"a{i}", "request": expected_request}],
            20_000,
        )
        # Someone else speaks in between; the request is still the speaker's next turn.
        conv(
            "conv_next_turn_crosstalk",
            [
                turn(f"a{i}", "alice", wake, 1_000, 2_000),
                turn(f"c{i}", "bob", "Sorry, go ahead.", 2_100, 2_900),
                turn(f"b{i}", "alice", request, 3_000, 5_500),
            ],
            [{"speaker": "alice", "wake_turn_id": f"a{i}", "request": expected_request}],
            20_000,
        )
        # The speaker never continues: the window expires with an empty request, and a later
        # turn (after the window) is ordinary talk, not a request.
        conv(
            "conv_window_expired",
            [
                turn(f"a{i}", "alice", wake, 1_000, 2_000),
                turn(f"d{i}", "alice", "Anyway, back to the budget.", 15_000, 17_000),
            ],
            [{"speaker": "alice", "wake_turn_id": f"a{i}", "request": ""}],
            30_000,
        )
    # Duplicated delivery of the same utterance under a new id: one detection.
    for i, text in enumerate(
        ["Hey MeetMind, can you recap?", "Meet mind, list the action items.", "Hey MeetMind."]
    ):
        request = text.split(", ", 1)[1] if ", " in text else ""
        conv(
            "conv_duplicate",
            [
                turn(f"x{i}", "carol", text, 5_000, 7_000),
                turn(f"y{i}", "carol", text, 5_050, 7_020),
            ],
            [{"speaker": "carol", "wake_turn_id": f"x{i}", "request": request}],
            30_000,
        )
    # Two speakers each address the agent.
    conv(
        "conv_two_speakers",
        [
            turn("t1", "alice", "Hey MeetMind, can you recap?", 1_000, 3_000),
            turn("t2", "bob", "Hey MeetMind, and list the action items.", 3_200, 5_000),
        ],
        [
            {"speaker": "alice", "wake_turn_id": "t1", "request": "can you recap?"},
            {"speaker": "bob", "wake_turn_id": "t2", "request": "and list the action items."},
        ],
        30_000,
    )
    # The same speaker asks twice, well apart: two detections.
    conv(
        "conv_two_requests",
        [
            turn("u1", "dave", "Hey MeetMind, can you recap?", 1_000, 3_000),
            turn("u2", "dave", "Thanks. Let's continue with hiring.", 10_000, 13_000),
            turn("u3", "dave", "Hey MeetMind, what did we decide on hiring?", 60_000, 63_000),
        ],
        [
            {"speaker": "dave", "wake_turn_id": "u1", "request": "can you recap?"},
            {"speaker": "dave", "wake_turn_id": "u3", "request": "what did we decide on hiring?"},
        ],
        90_000,
    )
    # Ordinary conversation: nothing expected.
    conv(
        "conv_negative",
        [
            turn("n1", "erin", "We need to meet, mind the gap in the schedule.", 1_000, 4_000),
            turn("n2", "frank", "I'll meet Mindy about it.", 4_200, 6_000),
            turn("n3", "erin", "Great, keep the meeting mindset.", 6_500, 8_000),
        ],
        [],
        30_000,
    )
    return convs


def build_items() -> list[dict[str, Any]]:
    """Return every evaluation item, with ids and splits assigned.

    Returns:
        The items in file order.
    """
    rng = random.Random(SEED)
    groups: list[tuple[str, list[dict[str, Any]]]] = [
        ("p", _positives(rng)),
        ("n", _negatives(rng)),
        ("c", _custom()),
        ("v", _conversations()),
    ]
    items: list[dict[str, Any]] = []
    for prefix, group in groups:
        for index, item in enumerate(group):
            item_id = f"{prefix}{index:04d}"
            items.append({"id": item_id, "split": _split(item_id), **item})
    return items


def main() -> None:
    """Write ``eval_set.jsonl`` next to this module."""
    items = build_items()
    with OUT.open("w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for item in items:
        counts[item["category"]] = counts.get(item["category"], 0) + 1
    print(f"wrote {len(items)} items to {OUT}")
    for category, count in sorted(counts.items()):
        print(f"  {category:28} {count}")


if __name__ == "__main__":
    main()
