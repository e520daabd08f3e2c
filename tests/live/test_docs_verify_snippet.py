"""The README's few-line verifier accepts what MeetMind signs and refuses tampering."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from meetmind.webhook_signing import generate_secret, signature_headers

DOC = Path(__file__).parents[2] / "docs" / "events.md"


def load_verify() -> object:
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)[0]
    namespace: dict[str, object] = {}
    exec(code, namespace)  # noqa: S102 - running the documentation's own example
    return namespace["verify"]


def test_documented_verifier() -> None:
    verify = load_verify()
    secret = generate_secret()
    body = b'{"type":"transcript.turn","data":{"id":1}}'
    headers = signature_headers(secret, "msg_ses_1_1", int(time.time()), body)
    verify(secret, headers, body)  # type: ignore[operator]
    with pytest.raises(ValueError, match="bad signature"):
        verify(secret, headers, body + b" ")  # type: ignore[operator]
    old = signature_headers(secret, "msg_ses_1_1", int(time.time()) - 301, body)
    with pytest.raises(ValueError, match="stale"):
        verify(secret, old, body)  # type: ignore[operator]
