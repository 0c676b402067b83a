"""AudioSocket: frames on raw bytes, and the TCP server with a raw socket client."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from pbx_bridge.audiosocket import (
    AudioSocketError,
    AudioSocketServer,
    Frame,
    FrameReader,
    Kind,
    audio_frame,
    encode,
    hangup_frame,
    uuid_frame,
)

U = uuid.UUID("12345678-1234-5678-1234-567812345678")
PCM = bytes(range(256)) + bytes(64)  # 320 bytes


# --- framing --------------------------------------------------------------------------------


def test_encode_header_is_kind_then_big_endian_length() -> None:
    assert encode(Kind.AUDIO, b"\x01\x02\x03") == b"\x10\x00\x03\x01\x02\x03"
    assert audio_frame(PCM)[:3] == b"\x10\x01\x40"  # 320 = 0x0140
    assert hangup_frame() == b"\x00\x00\x00"
    assert uuid_frame(U) == b"\x01\x00\x10" + U.bytes
    assert encode(Kind.ERROR, b"\x04") == b"\xff\x00\x01\x04"


def test_encode_refuses_oversized_payload() -> None:
    with pytest.raises(ValueError, match="65535"):
        encode(Kind.AUDIO, bytes(70_000))


def test_decode_every_kind() -> None:
    data = uuid_frame(U) + audio_frame(PCM) + encode(Kind.DTMF, b"5")
    data += encode(Kind.ERROR, b"\x02") + hangup_frame()
    frames = FrameReader().feed(data)
    assert [f.kind for f in frames] == [Kind.UUID, Kind.AUDIO, Kind.DTMF, Kind.ERROR, Kind.HANGUP]
    assert frames[0].uuid == U
    assert frames[1].payload == PCM
    assert frames[2].digit == "5"
    assert frames[3].error_code == 2
    assert frames[4] == Frame(Kind.HANGUP, b"")


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 7, 319, 320, 321, 1000])
def test_split_reads_at_any_boundary(chunk: int) -> None:
    data = uuid_frame(U) + audio_frame(PCM) * 3 + hangup_frame()
    reader = FrameReader()
    frames: list[Frame] = []
    for i in range(0, len(data), chunk):
        frames += reader.feed(data[i : i + chunk])
    assert [f.kind for f in frames] == [Kind.UUID] + [Kind.AUDIO] * 3 + [Kind.HANGUP]
    assert all(f.payload == PCM for f in frames[1:4])
    assert reader.pending == 0


def test_partial_frame_is_held_back() -> None:
    reader = FrameReader()
    whole = audio_frame(PCM)
    assert reader.feed(whole[:2]) == []  # not even a whole header
    assert reader.feed(whole[2:100]) == []
    assert reader.pending == 100
    assert reader.feed(whole[100:]) == [Frame(Kind.AUDIO, PCM)]


def test_unknown_kind_is_a_clear_error_and_breaks_the_stream() -> None:
    reader = FrameReader()
    with pytest.raises(AudioSocketError, match="unknown frame kind 0x47"):
        reader.feed(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(AudioSocketError, match="already broken"):
        reader.feed(audio_frame(PCM))


def test_unknown_kind_after_good_frames() -> None:
    with pytest.raises(AudioSocketError, match="0x02") as caught:
        FrameReader().feed(audio_frame(PCM) + b"\x02\x00\x00")
    assert caught.value.frames == [Frame(Kind.AUDIO, PCM)]  # still handed to the caller


def test_oversized_frame_is_refused_from_the_header_alone() -> None:
    reader = FrameReader(max_payload=1000)
    with pytest.raises(AudioSocketError, match="AUDIO frame of 1001 bytes is over 1000"):
        reader.feed(b"\x10\x03\xe9")


def test_uuid_frame_must_be_16_bytes() -> None:
    with pytest.raises(AudioSocketError, match="UUID frame of 4 bytes"):
        FrameReader().feed(encode(Kind.UUID, b"abcd"))


def test_uuid_of_another_kind_is_an_error() -> None:
    with pytest.raises(AudioSocketError, match="carries no UUID"):
        _ = Frame(Kind.AUDIO, PCM).uuid


# --- server ---------------------------------------------------------------------------------


_clients: list[asyncio.StreamWriter] = []


@pytest.fixture
async def server() -> AsyncIterator[AudioSocketServer]:
    srv = AudioSocketServer(first_frame_timeout=0.5)
    await srv.start("127.0.0.1", 0)
    yield srv
    await srv.stop()
    while _clients:
        writer = _clients.pop()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def connect(server: AudioSocketServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    _clients.append(writer)
    return reader, writer


async def read_all(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(), 2)


async def test_audio_goes_to_the_session_of_its_uuid(server: AudioSocketServer) -> None:
    session = server.register(U)
    other = server.register()
    got: list[bytes] = []
    ended: list[str] = []
    session.on_audio = got.append
    session.on_end = ended.append
    reader, writer = await connect(server)
    data = uuid_frame(U) + audio_frame(PCM) + encode(Kind.DTMF, b"1") + audio_frame(PCM[:160])
    for i in range(0, len(data), 50):  # split across TCP writes
        writer.write(data[i : i + 50])
        await writer.drain()
    await asyncio.wait_for(session.connected.wait(), 2)
    for _ in range(100):
        if len(got) == 2:
            break
        await asyncio.sleep(0.01)
    assert got == [PCM, PCM[:160]]
    assert session.live and not other.connected.is_set()
    writer.write(hangup_frame())
    await writer.drain()
    await asyncio.wait_for(session.ended.wait(), 2)
    assert ended == ["hangup"]
    assert await read_all(reader) == b""  # the server closed its side
    assert U not in server.sessions


async def test_unknown_uuid_is_closed(server: AudioSocketServer) -> None:
    reader, writer = await connect(server)
    writer.write(uuid_frame(uuid.uuid4()) + audio_frame(PCM))
    assert await read_all(reader) == b""
    assert server.rejected == 1


async def test_first_frame_must_be_the_uuid(server: AudioSocketServer) -> None:
    session = server.register(U)
    reader, writer = await connect(server)
    writer.write(audio_frame(PCM) + uuid_frame(U))
    assert await read_all(reader) == b""
    assert not session.connected.is_set()
    assert server.protocol_errors == 1


async def test_garbage_is_closed(server: AudioSocketServer) -> None:
    reader, writer = await connect(server)
    writer.write(b"SSH-2.0-OpenSSH_9.2\r\n")
    assert await read_all(reader) == b""
    assert server.protocol_errors == 1


async def test_silent_client_is_dropped(server: AudioSocketServer) -> None:
    reader, _ = await connect(server)
    assert await read_all(reader) == b""  # after first_frame_timeout


async def test_a_uuid_connects_once(server: AudioSocketServer) -> None:
    session = server.register(U)
    _, w1 = await connect(server)
    w1.write(uuid_frame(U))
    await asyncio.wait_for(session.connected.wait(), 2)
    r2, w2 = await connect(server)
    w2.write(uuid_frame(U))
    assert await read_all(r2) == b""
    assert session.live


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (encode(Kind.ERROR, b"\x04"), "error frame from Asterisk (code 4)"),
        (b"", "eof"),
        (b"\x55\x00\x00", "protocol error: unknown frame kind 0x55 (garbage on the socket?)"),
    ],
)
async def test_error_eof_and_garbage_end_the_session(
    server: AudioSocketServer, tail: bytes, reason: str
) -> None:
    session = server.register(U)
    _, writer = await connect(server)
    writer.write(uuid_frame(U) + audio_frame(PCM) + tail)
    await writer.drain()
    if not tail:
        writer.close()
    await asyncio.wait_for(session.ended.wait(), 2)
    assert session.end_reason == reason
    assert session.frames_in == 1


async def test_closing_our_side_sends_hangup_then_eof(server: AudioSocketServer) -> None:
    session = server.register(U)
    reader, writer = await connect(server)
    writer.write(uuid_frame(U))
    await asyncio.wait_for(session.connected.wait(), 2)
    session.send_audio(PCM)
    session.close("supervisor stopped")
    assert await read_all(reader) == audio_frame(PCM) + hangup_frame()
    assert session.end_reason == "supervisor stopped"
    assert U not in server.sessions


async def test_closed_before_connecting_refuses_the_connection(server: AudioSocketServer) -> None:
    session = server.register(U)
    session.close("gave up")
    reader, writer = await connect(server)
    writer.write(uuid_frame(U))
    assert await read_all(reader) == b""
    assert server.rejected == 1


async def test_stop_hangs_up_every_session(server: AudioSocketServer) -> None:
    session = server.register(U)
    reader, writer = await connect(server)
    writer.write(uuid_frame(U))
    await asyncio.wait_for(session.connected.wait(), 2)
    await server.stop()
    assert await read_all(reader) == hangup_frame()
    assert session.end_reason == "the service is stopping"
