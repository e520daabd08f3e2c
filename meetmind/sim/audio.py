"""Meeting audio synthesis: per-speaker tones, noise, silence or a WAV file, framed per RTMS params.

Audio is a pure function of script time, so a stream can replay any past interval (RTMS buffers up
to 60 s) without keeping audio in memory. Encodings: L16 (s16le PCM) and G.711 A-law are
synthesised for real. Opus and G.722 are *not* synthesised: Opus packets are single-byte packets
holding an empty 20 ms CELT frame (RFC 6716 3.2.1, decoded as silence) and G.722 packets are
zero-filled frames of the right size; both are documented limitations.
"""

from __future__ import annotations

import array
import bisect
import math
import random
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

from meetmind.sim.scripts import Script, ScriptParticipant, Utterance
from meetmind.zoom.rtms.enums import SAMPLE_RATE_HZ, AudioSampleRate, MediaCodec
from meetmind.zoom.rtms.params import AudioParams

__all__ = ["AudioFrame", "AudioRenderer", "alaw_encode", "read_wav_mono"]

_FULL_SCALE = 32767


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """One packet's worth of encoded audio; ``speaker`` is ``None`` for the mixed stream."""

    speaker: ScriptParticipant | None
    payload: bytes


def _alaw_sample(pcm: int) -> int:
    sign = 0x00 if pcm < 0 else 0x80
    magnitude = min(-pcm if pcm < 0 else pcm, 32635) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


_ALAW = bytes(_alaw_sample(v) for v in range(-32768, 32768))


def alaw_encode(samples: array.array[int]) -> bytes:
    """G.711 A-law bytes of 16-bit PCM samples."""
    table = _ALAW
    return bytes(table[s + 32768] for s in samples)


def read_wav_mono(path: Path, rate_hz: int) -> array.array[int]:
    """Read a PCM WAV file as mono 16-bit samples at ``rate_hz`` (nearest-sample resampling)."""
    with wave.open(str(path), "rb") as wav:
        width, channels, src_rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    if width == 2:
        data = array.array("h")
        data.frombytes(raw)
        if sys.byteorder == "big":
            data.byteswap()
    elif width == 1:
        data = array.array("h", ((b - 128) << 8 for b in raw))
    else:
        raise ValueError(f"{path}: only 8- and 16-bit PCM WAV files are supported")
    mono = (
        data
        if channels == 1
        else array.array(
            "h",
            (sum(data[i : i + channels]) // channels for i in range(0, len(data), channels)),
        )
    )
    if src_rate == rate_hz or not mono:
        return mono
    n_out = len(mono) * rate_hz // src_rate
    return array.array("h", (mono[i * src_rate // rate_hz] for i in range(n_out)))


class AudioRenderer:
    """Renders the meeting's audio for any script-time interval.

    Args:
        script: The meeting script (speaking intervals come from its utterances).
        seed: Seed for the noise source (same seed, same audio).
    """

    def __init__(self, script: Script, seed: int = 0) -> None:
        self.script = script
        self.seed = seed
        self._utterances: list[Utterance] = list(script.utterances)
        self._starts = [u.at for u in self._utterances]
        self._longest = max((u.duration for u in self._utterances), default=0.0)
        self._tones: dict[tuple[int, int], array.array[int]] = {}
        self._wav: dict[int, array.array[int]] = {}

    def speakers(self, t0: float, t1: float) -> list[ScriptParticipant]:
        """Participants speaking at some point in script time ``[t0, t1)``."""
        lo = bisect.bisect_left(self._starts, t0 - self._longest)
        hi = bisect.bisect_left(self._starts, t1)
        keys: list[str] = []
        for u in self._utterances[lo:hi]:
            if u.at < t1 and u.end > t0 and u.speaker not in keys:
                keys.append(u.speaker)
        return [self.script.participant(k) for k in keys]

    def frames(self, t0: float, params: AudioParams, *, per_participant: bool) -> list[AudioFrame]:
        """Encoded packets for the interval starting at script time ``t0``.

        Mixed audio yields one packet per interval (silence when nobody speaks); per-participant
        audio yields one packet per speaking participant (muted users send nothing).
        """
        ms = params.send_rate or 20
        rate = SAMPLE_RATE_HZ[
            AudioSampleRate(1 if params.sample_rate is None else params.sample_rate)
        ]
        n = rate * ms // 1000
        start = round(t0 * rate)
        speakers = self.speakers(t0, t0 + ms / 1000)
        if per_participant:
            return [
                AudioFrame(p, self._encode(self._voice([p], start, n, rate), params))
                for p in speakers
            ]
        return [AudioFrame(None, self._encode(self._voice(speakers, start, n, rate), params))]

    def _voice(
        self, speakers: list[ScriptParticipant], start: int, n: int, rate: int
    ) -> array.array[int]:
        spec = self.script.audio
        amp = spec.amplitude * _FULL_SCALE
        if spec.source == "silence" or (not speakers and spec.source != "noise"):
            return array.array("h", bytes(2 * n))
        if spec.source == "noise":
            rng = random.Random(self.seed * 1_000_003 + start)
            level = amp if speakers else amp * 0.05
            return array.array("h", (int(rng.uniform(-level, level)) for _ in range(n)))
        if spec.source == "wav" and spec.wav is not None:
            data = self._wav.get(rate)
            if data is None:
                data = self._wav[rate] = read_wav_mono(spec.wav, rate)
            if not data:
                return array.array("h", bytes(2 * n))
            return array.array("h", (data[(start + i) % len(data)] for i in range(n)))
        tables = [self._tone(p.tone_hz, rate, amp) for p in speakers]
        offset = start % rate
        out = array.array("h", bytes(2 * n))
        for table in tables:
            for i in range(n):
                out[i] = max(-_FULL_SCALE, min(_FULL_SCALE, out[i] + table[(offset + i) % rate]))
        return out

    def _tone(self, hz: int, rate: int, amp: float) -> array.array[int]:
        table = self._tones.get((hz, rate))
        if table is None:
            step = 2 * math.pi * hz / rate
            table = array.array("h", (int(amp * math.sin(step * i)) for i in range(rate)))
            self._tones[(hz, rate)] = table
        return table

    @staticmethod
    def _encode(samples: array.array[int], params: AudioParams) -> bytes:
        codec = MediaCodec.L16 if params.codec is None else params.codec
        channels = params.channel or 1
        if codec == MediaCodec.OPUS:
            return bytes([0xFC if channels == 2 else 0xF8])  # TOC: CELT FB 20 ms, empty frame
        if codec == MediaCodec.G722:
            return bytes(8 * (params.send_rate or 20))
        if channels == 2:
            stereo = array.array("h", bytes(4 * len(samples)))
            stereo[0::2] = samples
            stereo[1::2] = samples
            samples = stereo
        if codec == MediaCodec.G711:
            return alaw_encode(samples)
        if sys.byteorder == "big":
            samples = array.array("h", samples)
            samples.byteswap()
        return samples.tobytes()
