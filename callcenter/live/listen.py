"""Live listening: a supervisor hears a live call in the browser.

Path: AMI ``Originate`` of ``AudioSocket/<us>/<uuid>/c(slin)`` running ``ChanSpy(<manager's
uniqueid>,quE)``; Asterisk connects that channel to our AudioSocket server and streams what the
spy hears (both parties) as 8 kHz slin; :class:`SlinTrack` relays it into an aiortc
``RTCPeerConnection`` answering the browser's offer (send-only audio, G.711).

Every session ends, and the spy channel goes, whichever comes first: the supervisor stops it,
the call ends, the peer connection fails or closes (browser gone: ICE consent expires), the
AudioSocket hangs up, or the service stops. Ending closes the AudioSocket connection (which
hangs the spy channel up) and also sends AMI ``Hangup`` for the spy channel's Uniqueid.
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

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from callcenter.calls.telephony import Telephony
from callcenter.core.settings import Settings
from callcenter.live.track import SlinTrack
from pbx_bridge.audiosocket import AudioSocketServer, AudioSocketSession
from pbx_bridge.tracker import (
    SERVICE_CHANNEL_PREFIX,
    CallEnded,
    CallsMerged,
    CallSnapshot,
    Change,
)

log = logging.getLogger(__name__)
# The audio is 8 kHz narrowband: G.711 carries it as is, without resampling or Opus's CPU.
PREFERRED_CODECS = ("audio/PCMU", "audio/PCMA")


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
    started_at: float = field(default_factory=time.time)
    ended_reason: str | None = None

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
        self, call_id: str, sdp: str, sdp_type: str, supervisor_id: int
    ) -> tuple[ListenSession, RTCSessionDescription]:
        """Answer the browser's offer and start the spy; returns once audio flows from Asterisk
        (the AudioSocket has connected)."""
        pbx, call, leg, server = self._listenable(call_id, sdp_type)
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
        )
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
            "listen %s: supervisor %s on call %s (%s)",
            session.id,
            supervisor_id,
            call_id,
            session.spied_channel,
        )
        return session, answer

    def _listenable(
        self, call_id: str, sdp_type: str
    ) -> tuple[str, CallSnapshot, tuple[str, str], AudioSocketServer]:
        """(PBX, call, the answering leg, the AudioSocket server) of a call one may listen
        to now; the reason as an error otherwise."""
        found = self.telephony.live_call(call_id)
        if found is None:
            raise CallNotLive(f"call {call_id} is not live")
        pbx, call, leg = found
        if leg is None:
            raise CallNotAnswered(f"nobody has answered call {call_id} yet")
        link = self.telephony.links.get(pbx)
        if self.server is None:
            raise ListenUnavailable("live listening is off (no AudioSocket server)")
        if link is None or not link.client.connected:
            raise ListenUnavailable(f"PBX {pbx} is not connected")
        if sdp_type != "offer":
            raise BadOffer("type must be 'offer'")
        return pbx, call, leg, self.server

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
        transceiver = pc.addTransceiver(track, direction="sendonly")
        capabilities = RTCRtpSender.getCapabilities("audio").codecs
        preferred = [c for m in PREFERRED_CODECS for c in capabilities if c.mimeType == m]
        transceiver.setCodecPreferences(preferred + [c for c in capabilities if c not in preferred])
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        if transceiver.mid is None:
            raise ValueError("the offer has no audio")
        await pc.setLocalDescription(await pc.createAnswer())  # ICE gathering completes here
        return pc.localDescription

    async def _originate_spy(self, session: ListenSession) -> None:
        link = self.telephony.links[session.pbx]
        response = await link.client.send_action(
            {
                "Action": "Originate",
                "ActionID": session.spy_channel_id,
                "Channel": f"AudioSocket/{self.address}/{session.audio.uuid}/c(slin)",
                "Application": "ChanSpy",
                "Data": f"{session.spied_uniqueid},quE",
                "ChannelId": session.spy_channel_id,
                "CallerID": f"Listen <{session.supervisor_id}>",
                "Async": "true",
            }
        )
        if not response.success:
            raise RuntimeError(str(response.get("Message") or "Originate refused"))

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
        try:
            await session.pc.close()
        except Exception:
            log.exception("listen %s: closing the peer connection failed", session.id)
        await self._hangup_spy(session)
        return session

    async def _hangup_spy(self, session: ListenSession) -> None:
        """Closing the AudioSocket already hangs the spy up; Hangup covers a spy whose socket
        never connected. Channel takes a Uniqueid as well as a name."""
        link = self.telephony.links.get(session.pbx)
        if link is None or not link.client.connected:
            return
        try:
            await link.client.send_action(
                {"Action": "Hangup", "Channel": session.spy_channel_id, "Cause": "16"},
                timeout=self.hangup_timeout,
            )
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
