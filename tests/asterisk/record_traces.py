"""Re-record the real AMI traces in tests/fixtures/ami/*.txt from the test PBX.

    sudo .venv/bin/python -m tests.asterisk.record_traces            # all scenarios
    .venv/bin/python -m tests.asterisk.record_traces inbound_busy    # some of them
    .venv/bin/python -m tests.asterisk.record_traces --out /tmp/ami  # elsewhere

Each file is the raw AMI byte stream (``\\r\\n`` line endings) received after the login
response, on a fresh connection, until the PBX is idle again. Messages are never edited; only
whole blocks that belong to no scenario (FullyBooted, answered at login) are left out.
Needs root; builds and starts the PBX like the test fixture, and stops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.asterisk.pbx import REPO, AmiClient, AmiMessage, Pbx, PbxError, Sipp

OUT = REPO / "tests" / "fixtures" / "ami"
CALLER = "79161234567"
CUSTOMER = "79031112233"
# Answered at login, or the qualify of 104's empty port settling after a start: not scenario.
NOISE_EVENTS = {"FullyBooted", "ContactStatus", "PeerStatus"}

# A scenario may return which messages to keep (default: all but NOISE_EVENTS).
Keep = Callable[[AmiMessage], bool]
Scenario = Callable[[AmiClient, Sipp, Pbx], Awaitable[Keep | None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


async def wait_proc(proc, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    await asyncio.to_thread(proc.wait, timeout)


async def answered_leg(ami: AmiClient, dest_prefix: str) -> AmiMessage:
    """Wait until the callee channel ``dest_prefix...`` is answered and bridged."""
    dial = await ami.wait_event("DialBegin", DestChannel=dest_prefix + "*")
    await ami.wait_event("DialEnd", DestUniqueid=dial["DestUniqueid"], DialStatus="ANSWER")
    await ami.wait_event("BridgeEnter", Uniqueid=dial["DestUniqueid"])
    return dial


# ------------------------------------------------------------------------------- scenarios


@scenario
async def inbound_answered(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 -> PJSIP/101 answers after ~1 s; the caller hangs up after 3 s of talk."""
    phone = sipp.uas(5071, "uas_answer", calls=1)
    await wait_proc(sipp.start_call(CALLER, "7001", duration_ms=3000))
    await wait_proc(phone, 10)


@scenario
async def inbound_noanswer(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 -> PJSIP/101 rings for the whole Dial timeout (20 s); Asterisk hangs up."""
    phone = sipp.uas(5071, "uas_noanswer", calls=1)
    await wait_proc(sipp.start_call(CALLER, "7001"), 60)
    await wait_proc(phone, 10)


@scenario
async def inbound_busy(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7002 -> PJSIP/103 answers 486 Busy Here."""
    phone = sipp.uas(5073, "uas_busy", calls=1)
    await wait_proc(sipp.start_call(CALLER, "7002"))
    await wait_proc(phone, 10)


@scenario
async def caller_hangup_ringing(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 -> PJSIP/101 rings; the caller CANCELs 2 s after the 180."""
    phone = sipp.uas(5071, "uas_noanswer", calls=1)
    await wait_proc(sipp.start_call(CALLER, "7001", "uac_cancel", duration_ms=2000))
    await wait_proc(phone, 10)


@scenario
async def ring_group_second_answers(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7000 -> PJSIP/101&PJSIP/102: 101 keeps ringing, 102 answers (101 gets CANCEL)."""
    p101 = sipp.uas(5071, "uas_noanswer", calls=1)
    p102 = sipp.uas(5072, "uas_answer", calls=1)
    await wait_proc(sipp.start_call(CALLER, "7000", duration_ms=3000))
    await wait_proc(p101, 10)
    await wait_proc(p102, 10)


@scenario
async def originate_click_to_call(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """Originate PJSIP/101 -> from-managers,CUSTOMER: 101 answers, then the customer
    (127.0.0.1:5080) answers, talks 3 s and hangs up."""
    manager = sipp.uas(5071, "uas_answer", calls=1)
    customer = sipp.uas(5080, "uas_answer_hangup", calls=1)
    await ami.send_action(
        "Originate",
        Channel="PJSIP/101",
        Context="from-managers",
        Exten=CUSTOMER,
        Priority="1",
        CallerID=f'"CRM" <{CUSTOMER}>',
        Timeout="30000",
        Async="true",
        ActionID="originate-1",
    )
    await ami.wait_event("OriginateResponse", ActionID="originate-1", timeout=40)
    await wait_proc(customer, 30)
    await wait_proc(manager, 10)


@scenario
async def originate_manager_noanswer(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """Originate PJSIP/101 whose phone rings but is never picked up; Timeout 15 s."""
    manager = sipp.uas(5071, "uas_noanswer", calls=1)
    await ami.send_action(
        "Originate",
        Channel="PJSIP/101",
        Context="from-managers",
        Exten=CUSTOMER,
        Priority="1",
        CallerID=f'"CRM" <{CUSTOMER}>',
        Timeout="15000",
        Async="true",
        ActionID="originate-1",
    )
    await ami.wait_event("OriginateResponse", ActionID="originate-1", timeout=40)
    await wait_proc(manager, 10)


@scenario
async def originate_manager_unavailable(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """Originate PJSIP/104: nothing listens on 127.0.0.1:5074 and its AOR is qualified, so the
    contact is Unavailable and the originate fails at once (Reason 0, no channel at all)."""
    await ami.send_action(
        "Originate",
        Channel="PJSIP/104",
        Context="from-managers",
        Exten=CUSTOMER,
        Priority="1",
        CallerID=f'"CRM" <{CUSTOMER}>',
        Timeout="30000",
        Async="true",
        ActionID="originate-1",
    )
    await ami.wait_event("OriginateResponse", ActionID="originate-1", timeout=60)


@scenario
async def blind_transfer(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 answered by 101; AMI BlindTransfer of 101's channel to 102@from-managers;
    102 answers; the caller hangs up."""
    p101 = sipp.uas(5071, "uas_answer", calls=1)
    p102 = sipp.uas(5072, "uas_answer", calls=1)
    call = sipp.start_call(CALLER, "7001", duration_ms=8000)
    dial = await answered_leg(ami, "PJSIP/101-")
    await asyncio.sleep(1)
    await ami.send_action(
        "BlindTransfer",
        Channel=dial["DestChannel"],
        Context="from-managers",
        Exten="102",
        ActionID="blindtransfer-1",
    )
    await wait_proc(call, 30)
    await wait_proc(p101, 10)
    await wait_proc(p102, 10)


@scenario
async def attended_transfer(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 answered by 101; AMI Atxfer from 101 to 102@from-managers; 102 answers;
    101 hangs up (AMI Hangup), which completes the transfer; the caller hangs up later."""
    p101 = sipp.uas(5071, "uas_answer", calls=1)
    p102 = sipp.uas(5072, "uas_answer", calls=1)
    call = sipp.start_call(CALLER, "7001", duration_ms=15000)
    dial = await answered_leg(ami, "PJSIP/101-")
    await asyncio.sleep(1)
    await ami.send_action(
        "Atxfer",
        Channel=dial["DestChannel"],
        Context="from-managers",
        Exten="102",
        ActionID="atxfer-1",
    )
    await answered_leg(ami, "PJSIP/102-")
    await asyncio.sleep(1)
    await ami.send_action("Hangup", Channel=dial["DestChannel"], ActionID="hangup-1")
    await wait_proc(call, 30)
    await wait_proc(p101, 10)
    await wait_proc(p102, 10)


@scenario
async def restart_midcall(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """7001 answered by 101, then `core restart now`: the stream up to the disconnect."""
    sipp.uas(5071, "uas_answer", calls=1)
    sipp.start_call(CALLER, "7001", duration_ms=30000)
    await answered_leg(ami, "PJSIP/101-")
    await asyncio.sleep(1)
    await asyncio.to_thread(pbx.rx, "core restart now")
    await ami.drain(quiet=10, limit=20)  # until EOF
    sipp.stop_all()
    await asyncio.to_thread(pbx.start)  # waits until fully booted again


@scenario
async def coreshowchannels_midcall(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> Keep:
    """The answer to CoreShowChannels during an answered 7001 call (re-sync after login)."""
    phone = sipp.uas(5071, "uas_answer", calls=1)
    call = sipp.start_call(CALLER, "7001", duration_ms=4000)
    await answered_leg(ami, "PJSIP/101-")
    await asyncio.sleep(0.5)
    await ami.send_action("CoreShowChannels", ActionID="csc-1")
    await ami.wait_event("CoreShowChannelsComplete", ActionID="csc-1")
    await wait_proc(call, 30)
    await wait_proc(phone, 10)
    # Only the action's answer: Response + CoreShowChannel... + Complete, all with the ActionID.
    return lambda m: m.get("ActionID") == "csc-1"


@scenario
async def inbound_agi_routed(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """A normal number through AGI(agi://127.0.0.1:4573/route); a stub FastAGI server sets
    CRM_DIAL=PJSIP/102, CRM_ROUTE=personal_manager; 102 answers."""
    server = await asyncio.start_server(stub_agi, "127.0.0.1", 4573)
    try:
        phone = sipp.uas(5072, "uas_answer", calls=1)
        await wait_proc(sipp.start_call(CALLER, "74951234567", duration_ms=3000))
        await wait_proc(phone, 10)
    finally:
        server.close()
        await server.wait_closed()


@scenario
async def inbound_agi_down(ami: AmiClient, sipp: Sipp, pbx: Pbx) -> None:
    """A normal number while nothing listens on 4573: AGISTATUS=FAILURE, the dialplan falls
    back to PJSIP/101&PJSIP/102; 101 answers, 102 is cancelled."""
    if not port_free(4573):
        raise PbxError("something listens on 127.0.0.1:4573; stop it to record inbound_agi_down")
    p101 = sipp.uas(5071, "uas_answer", calls=1)
    p102 = sipp.uas(5072, "uas_noanswer", calls=1)
    await wait_proc(sipp.start_call(CALLER, "74951234567", duration_ms=3000))
    await wait_proc(p101, 10)
    await wait_proc(p102, 10)


async def stub_agi(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
        for cmd in (
            'SET VARIABLE CRM_DIAL "PJSIP/102"',
            'SET VARIABLE CRM_ROUTE "personal_manager"',
        ):
            writer.write(cmd.encode() + b"\n")
            await writer.drain()
            await asyncio.wait_for(reader.readline(), 5)  # "200 result=1"
    finally:
        writer.close()


def wait_104_unavailable(pbx: Pbx, timeout: float = 20) -> None:
    """After a start, 104's first qualify takes a few seconds to mark it Unavailable."""
    deadline = time.monotonic() + timeout
    while "Unavail" not in pbx.rx("pjsip show contacts like 104"):
        if time.monotonic() > deadline:
            raise PbxError("PJSIP/104 never turned Unavailable (is something on 127.0.0.1:5074?)")
        time.sleep(0.5)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# ------------------------------------------------------------------------------- recording


def blocks(raw: bytes) -> list[bytes]:
    parts = raw.split(b"\r\n\r\n")
    return [p + b"\r\n\r\n" for p in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


async def record(name: str, pbx: Pbx, out: Path) -> Path:
    try:
        await asyncio.to_thread(pbx.wait_idle, 30)
    except PbxError as exc:
        print(f"!!! hanging up leftovers before {name}: {exc}", file=sys.stderr)
        await asyncio.to_thread(pbx.hangup_all)
    sipp = Sipp()
    ami = AmiClient()
    await ami.connect()
    try:
        keep = await SCENARIOS[name](ami, sipp, pbx) or (lambda m: m.event not in NOISE_EVENTS)
        if ami.writer is not None and not ami.reader.at_eof():  # type: ignore[union-attr]
            await asyncio.to_thread(pbx.wait_idle, 60)
            await ami.drain(quiet=1.5)
    except Exception:
        print(f"!!! {name} failed; sipp logs in {sipp.log_root}", file=sys.stderr)
        for sp in sipp.processes:
            print(sp.log(), file=sys.stderr)
        raise
    finally:
        sipp.stop_all()
        await ami.close()
    shutil.rmtree(sipp.log_root, ignore_errors=True)  # kept only when the scenario failed
    data = b"".join(b for b in blocks(bytes(ami.raw)) if keep(AmiMessage.parse(b)))
    path = out / f"{name}.txt"
    path.write_bytes(data)
    return path


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "names", nargs="*", help=f"scenarios (default: all): {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--keep-running", action="store_true", help="leave Asterisk running")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    pbx = Pbx()
    with pbx.exclusive():
        pbx.setup()
        pbx.start()
        try:
            await asyncio.to_thread(wait_104_unavailable, pbx)
            for name in args.names or list(SCENARIOS):
                started = time.monotonic()
                path = await record(name, pbx, args.out)
                events = [
                    AmiMessage.parse(b).event or "Response" for b in blocks(path.read_bytes())
                ]
                print(
                    f"{name}: {len(events)} messages, {path.stat().st_size} bytes, "
                    f"{time.monotonic() - started:.1f}s -> {path}"
                )
        finally:
            if not args.keep_running:
                pbx.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
