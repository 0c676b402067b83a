"""A SIP REGISTER over secure WebSocket (RFC 7118), as a browser's softphone sends it, with
the RFC 2617 digest made from an HA1: what JsSIP does with its ``ha1`` setting. A test tool
for the real Asterisk; the browser tier registers with JsSIP itself."""

from __future__ import annotations

import asyncio
import hashlib
import re
import ssl
import uuid

import websockets

WSS = "wss://127.0.0.1:8089/ws"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _request(user: str, call_id: str, tag: str, cseq: int, auth: str = "") -> str:
    host = "127.0.0.1"
    return (
        f"REGISTER sip:{host} SIP/2.0\r\n"
        f"Via: SIP/2.0/WSS client.invalid;branch=z9hG4bK{uuid.uuid4().hex[:12]}\r\n"
        f"Max-Forwards: 70\r\nTo: <sip:{user}@{host}>\r\nFrom: <sip:{user}@{host}>;tag={tag}\r\n"
        f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
        f"Contact: <sip:{user}@client.invalid;transport=ws>;expires=60\r\n"
        f"{auth}Expires: 60\r\nContent-Length: 0\r\n\r\n"
    )


def _authorization(challenge: str, user: str, realm: str, ha1: str) -> str:
    nonce = re.search(r'nonce="([^"]+)"', challenge)
    assert nonce, challenge
    opaque = re.search(r'opaque="([^"]+)"', challenge)
    uri = "sip:127.0.0.1"
    ha2 = _md5(f"REGISTER:{uri}")
    cnonce, nc = uuid.uuid4().hex[:8], "00000001"
    response = _md5(f"{ha1}:{nonce[1]}:{nc}:{cnonce}:auth:{ha2}")
    extra = f', opaque="{opaque[1]}"' if opaque else ""
    return (
        f'Authorization: Digest username="{user}", realm="{realm}", nonce="{nonce[1]}", '
        f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, '
        f'cnonce="{cnonce}"{extra}\r\n'
    )


async def _final(ws: websockets.ClientConnection, cseq: int) -> str:
    """The answer to our request (Asterisk may send its own OPTIONS between)."""
    while True:
        message = str(await ws.recv())
        if message.startswith("SIP/2.0") and f"CSeq: {cseq} REGISTER" in message:
            return message


async def register(user: str, realm: str, ha1: str, url: str = WSS) -> int:
    """The status code Asterisk gives the authenticated REGISTER (200 when it took it)."""
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the tier's self-signed pair
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
    async with websockets.connect(url, subprotocols=["sip"], ssl=tls) as ws:  # type: ignore[list-item]
        await ws.send(_request(user, call_id, tag, 1))
        challenge = await _final(ws, 1)
        if not challenge.startswith("SIP/2.0 401"):
            return int(challenge.split()[1])
        await ws.send(_request(user, call_id, tag, 2, _authorization(challenge, user, realm, ha1)))
        return int((await _final(ws, 2)).split()[1])


def _ok(request: str) -> str:
    """200 OK to an in-dialog-less request (Asterisk's qualify OPTIONS)."""
    keep = [line for line in request.split("\r\n") if line.split(":", 1)[0] in
            ("Via", "From", "To", "Call-ID", "CSeq")]  # fmt: skip
    return "SIP/2.0 200 OK\r\n" + "\r\n".join(keep) + "\r\nContent-Length: 0\r\n\r\n"


async def stay_registered(
    user: str, realm: str, ha1: str, stop: asyncio.Event, url: str = WSS
) -> int:
    """Register, then stay connected answering Asterisk's OPTIONS, as an idle browser tab
    does, until ``stop``; the REGISTER's status code."""
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    call_id, tag = uuid.uuid4().hex, uuid.uuid4().hex[:8]
    async with websockets.connect(url, subprotocols=["sip"], ssl=tls) as ws:  # type: ignore[list-item]
        await ws.send(_request(user, call_id, tag, 1))
        challenge = await _final(ws, 1)
        await ws.send(_request(user, call_id, tag, 2, _authorization(challenge, user, realm, ha1)))
        status = int((await _final(ws, 2)).split()[1])
        while status == 200 and not stop.is_set():
            try:
                message = str(await asyncio.wait_for(ws.recv(), 0.5))
            except TimeoutError:
                continue
            if message.startswith("OPTIONS "):
                await ws.send(_ok(message))
        return status
