"""Recorded audio: one WAV file per session, written as it arrives, never held whole in memory."""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import BinaryIO

__all__ = ["WavRecorder", "wav_header"]

_HEADER_SIZE = 44


def wav_header(data_size: int, *, sample_rate: int, channels: int, sample_width: int = 2) -> bytes:
    """A canonical 44-byte PCM WAV header for ``data_size`` bytes of samples."""
    byte_rate = sample_rate * channels * sample_width
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_size,
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        sample_rate,
        byte_rate,
        channels * sample_width,
        sample_width * 8,
        b"data",
        data_size,
    )


class WavRecorder:
    """Appends raw L16 frames to a WAV file; the header is rewritten after every write.

    Frames are buffered briefly (``flush_bytes``) and written in a worker thread, so the event
    loop never blocks on the disk. A recorder opened on an existing file (a restarted process)
    appends to it.
    """

    def __init__(
        self,
        path: Path,
        *,
        sample_rate: int = 16_000,
        channels: int = 1,
        flush_bytes: int = 32_000,
    ) -> None:
        self.path = path
        self._sample_rate = sample_rate
        self._channels = channels
        self._flush_bytes = flush_bytes
        self._pending = bytearray()
        self._file: BinaryIO | None = None
        self._data_size = 0
        self._lock = asyncio.Lock()

    @property
    def bytes_written(self) -> int:
        """Sample bytes in the file so far."""
        return self._data_size

    async def add(self, frame: bytes) -> None:
        """Queue a frame; writes once enough has gathered."""
        self._pending += frame
        if len(self._pending) >= self._flush_bytes:
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending."""
        async with self._lock:
            if not self._pending:
                return
            data = bytes(self._pending)
            self._pending.clear()
            await asyncio.to_thread(self._write, data)

    def _open(self) -> BinaryIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self.path.stat().st_size >= _HEADER_SIZE:
            handle = self.path.open("r+b")
            self._data_size = self.path.stat().st_size - _HEADER_SIZE
        else:
            handle = self.path.open("w+b")
            handle.write(wav_header(0, sample_rate=self._sample_rate, channels=self._channels))
            self._data_size = 0
        return handle

    def _write(self, data: bytes) -> None:
        if self._file is None:
            self._file = self._open()
        handle = self._file
        handle.seek(_HEADER_SIZE + self._data_size)
        handle.write(data)
        self._data_size += len(data)
        handle.seek(0)
        handle.write(
            wav_header(self._data_size, sample_rate=self._sample_rate, channels=self._channels)
        )
        handle.flush()

    async def close(self) -> None:
        """Flush and close the file."""
        await self.flush()
        async with self._lock:
            if self._file is not None:
                handle, self._file = self._file, None
                await asyncio.to_thread(handle.close)
