"""Live listening, whisper and barge: a supervisor hears a live call in the browser, and may
speak to the manager only (whisper) or to both sides (barge).

Path: AMI ``Originate`` of ``AudioSocket/<us>/<uuid>/c(slin)`` running ``ChanSpy(<manager's
uniqueid>,quE)``; Asterisk connects that channel to our AudioSocket server and streams what the
spy hears (both parties) as 8 kHz slin; :class:`SlinTrack` relays it into an aiortc
``RTCPeerConnection`` answering the browser's offer (send-only audio, G.711).

Every session ends, and the spy channel goes, whichever comes first: the supervisor stops it,
the call ends, the peer connection fails or closes (browser gone: ICE consent expires), the
AudioSocket hangs up, or the service stops. Ending closes the AudioSocket connection (which
hangs the spy channel up) and also sends AMI ``Hangup`` for the spy channel's Uniqueid.

Speaking: the browser's microphone comes back on the same peer connection; its audio is
resampled to 8 kHz slin and written to the AudioSocket, which is what the spy channel "says".
ChanSpy decides who hears it: nobody in listen mode (``q``, spy only), the manager in whisper
(``w``), both sides in barge (``B``). A mode change starts a new spy with the new options on a
new AudioSocket, moves the peer connection's audio over once it flows, then hangs the old spy
up: the call itself is never touched, and the supervisor hears at most a few frames twice.
(ChanSpy's own ``d`` DTMF switching would need DTMF from the spy's side, which AudioSocket does
not carry towards Asterisk.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from callcenter.calls.telephony import LiveCall, PbxUnavailable, Telephony
from callcenter.core.settings import Settings
from callcenter.live.track import SlinTrack
from pbx_bridge.audiosocket import AudioSocketServer, AudioSocketSession
from pbx_bridge.tracker import (
    SERVICE_CHANNEL_PREFIX,
    CallEnded,
    CallsMerged,
    Change,
)

log = logging.getLogger(__name__)
# The audio is 8 kHz narrowband: G.711 carries it as is, without resampling or Opus's CPU.
PREFERRED_CODECS = ("audio/PCMU", "audio/PCMA")
# ChanSpy's options per mode: u (the exact Uniqueid, in Data), q quiet, E exit with the call.
SPY_OPTIONS = {"listen": "quE", "whisper": "quEw", "barge": "quEB"}
FRAME = 320  # 20 ms of 8 kHz slin, as AudioSocket carries it


class ListenError(Exception):
    code = "listen_failed"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class CallNotLive(ListenError):
    code = "call_not_live"


class CallNotAnswered(ListenError):
    code = "call_not_answered"


class ListenUnavailable(ListenError):
    code = "listen_unavailable"


class BadOffer(ListenError):
    code = "bad_offer"


@dataclass
class ListenSession:
    id: str
    call_id: str
    pbx: str
    supervisor_id: int
    extension: str | None
    spied_uniqueid: str
    spied_channel: str
    spy_channel_id: str
    pc: RTCPeerConnection
    track: SlinTrack
    audio: AudioSocketSession
    mode: str = "listen"
    started_at: float = field(default_factory=time.time)
    ended_reason: str | None = None
    voice: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        return "ended" if self.ended_reason else str(self.pc.connectionState)


class ListenService:
    def __init__(
        self,
        settings: Settings,
        telephony: Telephony,
        *,
        connect_timeout: float = 5.0,
        hangup_timeout: float = 3.0,
    ) -> None:
        self.settings = settings
        self.telephony = telephony
        self.connect_timeout = connect_timeout
        self.hangup_timeout = hangup_timeout
        self.server: AudioSocketServer | None = None
        self.address = ""
        self.sessions: dict[str, ListenSession] = {}
        self.ended = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Listen for AudioSocket connections; a port that cannot be bound is logged, and
        live listening then answers 503."""
        self.telephony.add_listener(self._on_changes)
        if not self.settings.audiosocket_bind:
            return
        host, port = self.settings.audiosocket_host_port
        server = AudioSocketServer()
        try:
            await server.start(host, port)
        except OSError as exc:
            log.error("AudioSocket cannot listen on %s: %s", self.settings.audiosocket_bind, exc)
            return
        self.server = server
        self.address = self.settings.audiosocket_address or f"{host}:{server.port}"
        log.info("AudioSocket for live listening on %s:%s", host, server.port)

    async def stop(self) -> None:
        for session in list(self.sessions.values()):
            await self.stop_session(session.id, "the service is stopping")
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task
        if self.server is not None:
            await self.server.stop()
            self.server = None

    # --- starting ---------------------------------------------------------------------------

    async def listen(
        self, call_id: str, sdp: str, sdp_type: str, supervisor_id: int, mode: str = "listen"
    ) -> tuple[ListenSession, RTCSessionDescription]:
        """Answer the browser's offer and start the spy; returns once audio flows from Asterisk
        (the AudioSocket has connected)."""
        pbx, call, leg, server = await self._listenable(call_id, sdp_type)
        audio = server.register()
        track = SlinTrack()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        session = ListenSession(
            id=uuid.uuid4().hex,
            call_id=call_id,
            pbx=pbx,
            supervisor_id=supervisor_id,
            extension=call.answered_by,
            spied_uniqueid=leg[0],
            spied_channel=leg[1],
            spy_channel_id=f"{SERVICE_CHANNEL_PREFIX}listen-{audio.uuid.hex}",
            pc=pc,
            track=track,
            audio=audio,
            mode=mode,
        )
        pc.on("track", lambda voice: self._hear_supervisor(session, voice))
        try:
            answer = await self._answer(pc, track, sdp)
        except Exception as exc:
            audio.close("bad offer")
            await pc.close()
            raise BadOffer(f"cannot answer this offer: {exc}") from None
        self.sessions[session.id] = session
        audio.on_audio = track.push
        audio.on_end = lambda reason: self._later(session.id, f"AudioSocket: {reason}")

        @pc.on("connectionstatechange")
        def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                self._later(session.id, f"peer connection {pc.connectionState}")

        await self._start_spy(session)
        log.info(
            "listen %s: supervisor %s on call %s (%s), %s",
            session.id,
            supervisor_id,
            call_id,
            session.spied_channel,
            mode,
        )
        return session, answer

    async def _listenable(
        self, call_id: str, sdp_type: str
    ) -> tuple[str, LiveCall, tuple[str, str], AudioSocketServer]:
        """(PBX, call, the answering leg, the AudioSocket server) of a call one may listen
        to now; the reason as an error otherwise. The call may be on a PBX another instance
        leads: that one places the spy, whose audio comes to this instance's AudioSocket."""
        if self.server is None:
            raise ListenUnavailable("live listening is off (no AudioSocket server)")
        if sdp_type != "offer":
            raise BadOffer("type must be 'offer'")
        found = await self.telephony.find_live_call(call_id)
        if found is None:
            raise CallNotLive(f"call {call_id} is not live")
        if found.leg is None:
            raise CallNotAnswered(f"nobody has answered call {call_id} yet")
        status = self.telephony.status().get(found.pbx, {})
        if status.get("leader") and status.get("state") != "connected":
            raise ListenUnavailable(f"PBX {found.pbx} is not connected")
        return found.pbx, found, found.leg, self.server

    async def _start_spy(self, session: ListenSession) -> None:
        """Originate the spy and wait until its audio flows; the session is stopped when
        it does not."""
        try:
            await self._originate_spy(session)
            async with asyncio.timeout(self.connect_timeout):
                await session.audio.connected.wait()
        except Exception as exc:
            await self.stop_session(session.id, f"spy did not start: {exc!r}")
            if isinstance(exc, TimeoutError):
                raise ListenUnavailable(
                    f"the PBX did not connect the spy's audio in {self.connect_timeout:.0f} s"
                ) from None
            raise ListenUnavailable(f"the PBX refused the spy: {exc}") from None
        if session.ended_reason:
            raise ListenUnavailable(f"the spy ended at once: {session.ended_reason}")

    async def _answer(
        self, pc: RTCPeerConnection, track: SlinTrack, sdp: str
    ) -> RTCSessionDescription:
        # Our transceiver first, so the offer's audio m-line takes our codec preferences.
        # sendrecv: the supervisor's microphone comes back when the browser offers it.
        transceiver = pc.addTransceiver(track, direction="sendrecv")
        capabilities = RTCRtpSender.getCapabilities("audio").codecs
        preferred = [c for m in PREFERRED_CODECS for c in capabilities if c.mimeType == m]
        transceiver.setCodecPreferences(preferred + [c for c in capabilities if c not in preferred])
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if transceiver.mid is None:
            raise ValueError("the offer has no audio")
        await pc.setLocalDescription(await pc.createAnswer())  # ICE gathering completes here
        return pc.localDescription

    async def _originate_spy(
        self,
        session: ListenSession,
        audio: AudioSocketSession | None = None,
        mode: str | None = None,
    ) -> None:
        audio = audio or session.audio
        channel_id = f"{SERVICE_CHANNEL_PREFIX}listen-{audio.uuid.hex}"
        options = SPY_OPTIONS[mode or session.mode]
        response = await self.telephony.send_action(
            session.pbx,
            {
                "Action": "Originate",
                "ActionID": channel_id,
                "Channel": f"AudioSocket/{self.address}/{audio.uuid}/c(slin)",
                "Application": "ChanSpy",
                "Data": f"{session.spied_uniqueid},{options}",
                "ChannelId": channel_id,
                "CallerID": f"Listen <{session.supervisor_id}>",
                "Async": "true",
            }
        )
        if not response.success:
            raise RuntimeError(response.message or "Originate refused")

    # --- speaking ---------------------------------------------------------------------------

    async def switch(self, session_id: str, mode: str) -> ListenSession:
        """Listen, whisper or barge on a running session, without touching the call: a new spy
        with the new options, then the old one goes (see the module's docstring)."""
        session = self.sessions.get(session_id)
        if session is None or self.server is None:
            raise ListenError("no such listening session (it may have ended already)", "not_found")
        if mode == session.mode:
            return session
        audio = self.server.register()
        try:
            await self._originate_spy(session, audio, mode)
            async with asyncio.timeout(self.connect_timeout):
                await audio.connected.wait()
        except Exception as exc:
            audio.close("the new spy did not start")
            await self._hangup_spy(session, f"{SERVICE_CHANNEL_PREFIX}listen-{audio.uuid.hex}")
            raise ListenUnavailable(f"the PBX did not start the {mode} spy: {exc!r}") from None
        old, old_channel = session.audio, session.spy_channel_id
        old.on_end = None
        session.audio, session.mode = audio, mode
        session.spy_channel_id = f"{SERVICE_CHANNEL_PREFIX}listen-{audio.uuid.hex}"
        audio.on_audio = session.track.push
        audio.on_end = lambda reason: self._later(session.id, f"AudioSocket: {reason}")
        old.close(f"switched to {mode}")
        await self._hangup_spy(session, old_channel)
        log.info("listen %s on call %s: now %s", session.id, session.call_id, mode)
        return session

    def _hear_supervisor(self, session: ListenSession, voice: MediaStreamTrack) -> None:
        if voice.kind == "audio" and session.voice is None:
            session.voice = asyncio.get_running_loop().create_task(
                self._relay_voice(session, voice)
            )

    async def _relay_voice(self, session: ListenSession, voice: MediaStreamTrack) -> None:
        """The supervisor's microphone to the spy channel, as 20 ms frames of 8 kHz slin."""
        resampler = av.AudioResampler(format="s16", layout="mono", rate=8000)
        pending = bytearray()
        try:
            while True:
                frame = await voice.recv()
                for out in resampler.resample(frame):  # type: ignore[arg-type]
                    pending += out.to_ndarray().tobytes()
                while len(pending) >= FRAME:
                    session.audio.send_audio(bytes(pending[:FRAME]))
                    del pending[:FRAME]
        except MediaStreamError:
            pass

    # --- stopping ---------------------------------------------------------------------------

    def _later(self, session_id: str, reason: str) -> None:
        if session_id not in self.sessions:
            return
        task = asyncio.get_running_loop().create_task(self.stop_session(session_id, reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop_session(self, session_id: str, reason: str) -> ListenSession | None:
        """End a session and remove the spy. Idempotent; never raises."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return None
        session.ended_reason = reason
        self.ended += 1
        log.info("listen %s on call %s ended: %s", session.id, session.call_id, reason)
        session.audio.close(reason)
        session.track.stop()
        if session.voice is not None:
            session.voice.cancel()
        try:
            await session.pc.close()
        except Exception:
            log.exception("listen %s: closing the peer connection failed", session.id)
        await self._hangup_spy(session)
        return session

    async def _hangup_spy(self, session: ListenSession, channel_id: str | None = None) -> None:
        """Closing the AudioSocket already hangs the spy up; Hangup covers a spy whose socket
        never connected. Channel takes a Uniqueid as well as a name."""
        try:
            await self.telephony.send_action(
                session.pbx,
                {
                    "Action": "Hangup",
                    "Channel": channel_id or session.spy_channel_id,
                    "Cause": "16",
                },
                timeout=self.hangup_timeout,
            )
        except PbxUnavailable:
            return
        except Exception as exc:
            log.warning("listen %s: AMI Hangup of the spy failed: %r", session.id, exc)

    async def _on_changes(self, pbx: str, changes: Sequence[Change]) -> None:
        for change in changes:
            if isinstance(change, CallsMerged):
                for session in self.sessions.values():
                    if session.pbx == pbx and session.call_id == change.absorbed_id:
                        session.call_id = change.call.call_id
            elif isinstance(change, CallEnded):
                for session in list(self.sessions.values()):
                    if session.pbx == pbx and session.call_id == change.call.call_id:
                        await self.stop_session(session.id, "the call ended")
