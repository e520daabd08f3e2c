"""Drive Zoom's official ``rtms`` client against a URL; print what it receives as JSON lines.

Run as a subprocess (its C SDK owns threads and writes ./logs in the cwd):

    python rtms_official_driver.py '{"meeting_uuid": ..., "rtms_stream_id": ..., "server_urls": ...,
                                     "client": ..., "secret": ..., "want_transcripts": 3,
                                     "audio": "l16" | "default" | "off", "limit_s": 30}'
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import rtms


def main() -> None:
    """Join, print events, exit when enough transcripts arrived or on leave/timeout."""
    args = json.loads(sys.argv[1])
    lock = threading.Lock()
    done = threading.Event()
    counts = {"transcript": 0, "audio": 0}

    def emit(**record: object) -> None:
        with lock:
            sys.stdout.write(json.dumps(record) + "\n")
            sys.stdout.flush()

    client = rtms.Client()

    def on_join(reason: int) -> None:
        emit(kind="join_confirm", reason=reason)
        if reason != 0:
            done.set()

    def on_transcript(data: bytes, size: int, timestamp: int, md: object) -> None:
        counts["transcript"] += 1
        emit(
            kind="transcript",
            text=data.decode("utf-8"),
            size=size,
            timestamp=timestamp,
            user_id=getattr(md, "userId", None),
            user_name=getattr(md, "userName", None),
            start=getattr(md, "startTs", None),
            end=getattr(md, "endTs", None),
        )
        if counts["transcript"] >= args["want_transcripts"] and (
            args["audio"] == "off" or counts["audio"] >= args.get("want_audio", 1)
        ):
            done.set()

    def on_audio(data: bytes, size: int, timestamp: int, md: object) -> None:
        counts["audio"] += 1
        if counts["audio"] <= 5:
            emit(
                kind="audio", size=size, length=len(data), timestamp=timestamp, head=data[:8].hex()
            )

    def on_leave(reason: int) -> None:
        emit(kind="leave", reason=reason)
        done.set()

    client.on_join_confirm(on_join)
    client.on_transcript_data(on_transcript)
    client.on_leave(on_leave)
    client.on_participant_event(
        lambda event, ts, parts: emit(kind="participant", event=event, participants=str(parts))
    )
    client.on_active_speaker_event(
        lambda ts, uid, name: emit(kind="active_speaker", user_id=uid, user_name=name)
    )
    if args["audio"] != "off":
        if args["audio"] == "l16":
            client.set_audio_params(
                rtms.AudioParams(
                    content_type=rtms.AudioContentType.RAW_AUDIO,
                    codec=rtms.AudioCodec.L16,
                    sample_rate=rtms.AudioSampleRate.SR_16K,
                    channel=rtms.AudioChannel.MONO,
                    data_opt=rtms.AudioDataOption.AUDIO_MIXED_STREAM,
                    duration=20,
                    frame_size=320,
                )
            )
        client.on_audio_data(on_audio)
    client.join(
        meeting_uuid=args["meeting_uuid"],
        rtms_stream_id=args["rtms_stream_id"],
        server_urls=args["server_urls"],
        client=args["client"],
        secret=args["secret"],
    )
    finished = done.wait(args.get("limit_s", 30))
    emit(kind="done", finished=finished, counts=counts)
    os._exit(0)  # the C SDK keeps sockets and threads alive; a hard exit is the reliable stop


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
