"""RIFF/WAVE headers, read by hand: MixMonitor's files are plain 16-bit PCM, and the header says
whether Asterisk has finished the file (it writes the sizes when it closes it)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from recordings.errors import AudioError

HEAD_BYTES = 4096
_PCM = 1
_EXTENSIBLE = 0xFFFE


@dataclass(frozen=True)
class WavHeader:
    audio_format: int
    channels: int
    sample_rate: int
    bits_per_sample: int
    block_align: int
    riff_size: int
    data_offset: int
    data_size: int  # as declared; 0 while the writer has not finished the file

    @property
    def is_pcm16(self) -> bool:
        return self.audio_format == _PCM and self.bits_per_sample == 16

    def complete(self, file_size: int) -> bool:
        """Do the declared sizes match the file (a closed file, maybe with a pad byte)?"""
        end = self.data_offset + self.data_size
        return (
            self.data_size > 0
            and self.riff_size + 8 in (file_size, file_size - 1)
            and end
            in (
                file_size,
                file_size - 1,
            )
        )

    def data_end(self, file_size: int) -> int:
        """Where the samples end: the declared size when the file holds it, else the file's end
        (an unfinished header says 0; a cut file is shorter than it says)."""
        declared = self.data_offset + self.data_size
        if self.data_size == 0 or declared > file_size:
            return file_size
        return declared


def is_riff(head: bytes) -> bool:
    return head[:4] == b"RIFF"


def parse_header(head: bytes, name: str = "file") -> WavHeader:
    """Parse the start of a RIFF/WAVE file; raises :class:`AudioError` with a reason."""
    if len(head) < 12 or head[8:12] != b"WAVE":
        if head[:4] == b"RIFF" and len(head) < 12:
            raise AudioError(f"{name}: truncated WAV header ({len(head)} bytes)", code="truncated")
        raise AudioError(f"{name}: not a RIFF/WAVE file", code="corrupt")
    riff_size = struct.unpack_from("<I", head, 4)[0]
    pos = 12
    fmt: tuple[int, int, int, int, int] | None = None
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        size = struct.unpack_from("<I", head, pos + 4)[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body + 16 > len(head):
                raise AudioError(
                    f"{name}: truncated WAV header (the format chunk is cut short)",
                    code="truncated",
                )
            audio_format, channels, rate, _byte_rate, align, bits = struct.unpack_from(
                "<HHIIHH", head, body
            )
            if audio_format == _EXTENSIBLE and size >= 40 and body + 26 <= len(head):
                audio_format = struct.unpack_from("<H", head, body + 24)[0]
            fmt = (audio_format, channels, rate, align, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError(f"{name}: WAV data before its format chunk", code="corrupt")
            audio_format, channels, rate, align, bits = fmt
            if channels == 0 or rate == 0:
                raise AudioError(
                    f"{name}: bad WAV header ({channels} channels at {rate} Hz)", code="corrupt"
                )
            return WavHeader(audio_format, channels, rate, bits, align, riff_size, body, size)
        pos = body + size + (size & 1)
    raise AudioError(
        f"{name}: truncated WAV header: no data chunk in the first {len(head)} bytes",
        code="truncated",
    )


def read_header(path: Path) -> WavHeader | None:
    """The header of a WAV file, or None when the file is not RIFF at all."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    if not is_riff(head):
        return None
    return parse_header(head, path.name)
