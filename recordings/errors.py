"""Errors of the recordings package. Each carries a short ``code`` and a ``reason`` in words that
the service stores next to a failed recording and shows in its API."""

from __future__ import annotations


class RecordingError(Exception):
    code = "recording_error"

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if code is not None:
            self.code = code


class AudioError(RecordingError):
    """A source file that cannot become a recording: missing, empty, truncated, corrupt, silent
    by construction (a header and no samples)."""

    code = "corrupt"

    @property
    def no_audio(self) -> bool:
        """Nothing was ever recorded (no file, no bytes, or a header without samples)."""
        return self.code in ("missing", "empty", "no_audio")


class UnsafePath(RecordingError):
    """A path reported by the PBX that does not map into the inbox."""

    code = "unsafe_path"


class StorageError(RecordingError):
    code = "storage_error"
