"""Stream work entries and lease values: the pure parts of scale-out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetmind.cluster.leases import Owner, parse_owner
from meetmind.cluster.work import BadWorkError, StreamWork, WorkOp
from meetmind.zoom.events import RtmsStreamEvent, RtmsStreamEventKind

texts = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(
    op=st.sampled_from(WorkOp),
    tenant=texts.filter(bool),
    session=texts.filter(bool),
    stream=texts,
    uuid=texts,
    urls=texts,
    reason=st.none() | st.integers(0, 40),
    failover=st.booleans(),
)
def test_work_survives_redis_fields(
    op: WorkOp,
    tenant: str,
    session: str,
    stream: str,
    uuid: str,
    urls: str,
    reason: int | None,
    failover: bool,
) -> None:
    work = StreamWork(op, tenant, session, stream, uuid, urls, reason, failover)
    as_redis_returns = {k.encode(): v.encode() for k, v in work.to_fields().items()}
    assert StreamWork.from_fields(as_redis_returns) == work


def test_work_of_a_zoom_event_and_back() -> None:
    event = RtmsStreamEvent(
        kind=RtmsStreamEventKind.STOPPED,
        meeting_uuid="u==",
        rtms_stream_id="s1",
        server_urls=None,
        meeting_id="1",
        account_id="a",
        operator_id="o",
        stop_reason=6,
        event_ts=1,
    )
    work = StreamWork.of_event("t1", "sess", event)
    assert work.op is WorkOp.STOPPED and work.stop_reason == 6
    back = work.event()
    assert (back.kind, back.rtms_stream_id, back.meeting_uuid, back.stop_reason) == (
        RtmsStreamEventKind.STOPPED,
        "s1",
        "u==",
        6,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"op": "explode", "tenant_id": "t", "session_id": "s"},
        {"op": "started", "tenant_id": "", "session_id": "s"},
        {"op": "started", "tenant_id": "t"},
        {"op": "stopped", "tenant_id": "t", "session_id": "s", "stop_reason": "six"},
    ],
)
def test_bad_work_is_a_typed_error(fields: dict[str, str]) -> None:
    with pytest.raises(BadWorkError):
        StreamWork.from_fields(fields)


@pytest.mark.parametrize(
    ("raw", "owner"),
    [
        (b"host-12-ab:7", Owner("host-12-ab", 7)),
        ("a:b:c:15", Owner("a:b:c", 15)),
        (None, None),
        (b"nocolon", None),
        (b"w:notanumber", None),
        (b":3", None),
    ],
)
def test_lease_values(raw: bytes | str | None, owner: Owner | None) -> None:
    assert parse_owner(raw) == owner
