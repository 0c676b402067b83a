"""What a sipp phone hears: the RTP sent to its media port, captured off the loopback device
(a raw AF_PACKET socket; the tier runs as root) and decoded from G.711a. sipp itself keeps no
record of the audio it receives. A test tool."""

from __future__ import annotations

import audioop
import socket
import struct
import threading
import time
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003
ETH_HEADER = 14  # the loopback device's frames carry an (all-zero) Ethernet header
RTP_HEADER = 12


@dataclass
class RtpSniffer:
    port: int
    packets: list[tuple[float, bytes]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> RtpSniffer:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
        sock.bind(("lo", 0))
        sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._run, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def _run(self, sock: socket.socket) -> None:
        seen: set[bytes] = set()  # lo shows each packet once per direction: keep one
        with sock:
            while not self._stop.is_set():
                try:
                    frame = sock.recv(65535)
                except TimeoutError:
                    continue
                ip = frame[ETH_HEADER:]
                if len(ip) < 28 or ip[9] != socket.IPPROTO_UDP:
                    continue
                udp = ip[(ip[0] & 0x0F) * 4 :]
                if struct.unpack("!H", udp[2:4])[0] != self.port:
                    continue
                rtp = udp[8:]
                if len(rtp) <= RTP_HEADER or rtp[1] & 0x7F != 8 or rtp[:12] in seen:
                    continue  # PCMA only; telephone-events and repeats left out
                seen.add(rtp[:12])
                self.packets.append((time.monotonic(), rtp[RTP_HEADER:]))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def pcm(self, start: float, end: float) -> bytes:
        """16-bit PCM of what arrived between two ``time.monotonic()`` moments."""
        payload = b"".join(p for t, p in self.packets if start <= t <= end)
        return audioop.alaw2lin(payload, 2)
