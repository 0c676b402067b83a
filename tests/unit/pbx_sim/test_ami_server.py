"""The simulator's AMI server, spoken to by pbx_bridge's real AmiClient and by hand."""

from __future__ import annotations

import asyncio

from pbx_bridge.ami import AmiState
from pbx_bridge.tracker import CallAnswered, Direction, OriginateResult, Status
from pbx_sim import PbxSimulator, Plan
from tests.unit.pbx_sim.conftest import SECRET, Bridge, close, connect, wait_for


async def test_login_gives_fully_booted_and_a_resync(sim: PbxSimulator, bridge: Bridge) -> None:
    assert bridge.raw.getvalue().startswith(b"Asterisk Call Manager/11.0.0\r\n")
    booted = [m for m in bridge.messages() if m.get("Event") == "FullyBooted"]
    assert booted and booted[0]["Privilege"] == "system,all"
    assert sim.ami.logins == 1 and sim.ami.clients == 1
    assert bridge.client.state is AmiState.CONNECTED


async def test_a_wrong_secret_is_refused_and_not_retried(sim: PbxSimulator) -> None:
    bridge = await connect(sim, secret="not-" + SECRET)
    try:
        await wait_for(lambda: bridge.client.state is AmiState.AUTH_FAILED)
        await asyncio.sleep(0.2)
        assert sim.ami.failed_logins == 1
        assert "Authentication failed" in (bridge.client.last_error or "")
    finally:
        await close(bridge)


async def _send(writer: asyncio.StreamWriter, **headers: str) -> None:
    writer.write(("".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
    await writer.drain()


async def _read(reader: asyncio.StreamReader) -> dict[str, str]:
    raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
    return dict(line.split(": ", 1) for line in raw.decode().strip().split("\r\n"))


async def test_the_protocol_by_hand(sim: PbxSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", sim.ami_port)
    assert await reader.readline() == b"Asterisk Call Manager/11.0.0\r\n"
    await _send(writer, Action="Ping", ActionID="p0")
    assert await _read(reader) == {
        "Response": "Error",
        "ActionID": "p0",
        "Message": "Permission denied",
    }
    await _send(writer, Action="Login", ActionID="l1", Username="crm", Secret=SECRET, Events="off")
    assert (await _read(reader))["Message"] == "Authentication accepted"
    assert (await _read(reader))["Event"] == "FullyBooted"
    await _send(writer, Action="Ping", ActionID="p1")
    pong = await _read(reader)
    assert pong["Response"] == "Success" and pong["Ping"] == "Pong" and pong["ActionID"] == "p1"
    await _send(writer, Action="Frobnicate", ActionID="x1")
    error = await _read(reader)
    assert (
        error["Response"] == "Error" and "Invalid/unknown command: Frobnicate" in error["Message"]
    )
    await _send(writer, Action="Hangup", ActionID="h1", Channel="PJSIP/101-000000ff")
    assert (await _read(reader))["Message"] == "No such channel"
    await _send(writer, Action="Originate", ActionID="o1", Exten="1", Async="true")
    assert (await _read(reader))["Message"] == "Channel not specified"
    # Events were turned off at login: a call brings nothing; "Events: on" brings it.
    await _send(writer, Action="Events", ActionID="e1", EventMask="on")
    assert await _read(reader) == {"Response": "Success", "ActionID": "e1", "Events": "On"}
    sim.place_call("79161234567", Plan(outcome="busy"))
    first = await _read(reader)
    assert first["Event"] == "Newchannel" and first["Channel"].startswith("PJSIP/trunk-")
    await _send(writer, Action="Logoff", ActionID="bye")
    while (message := await _read(reader)).get("Response") != "Goodbye":
        assert "Event" in message
    assert message["Message"] == "Thanks for all the fish."
    assert await asyncio.wait_for(reader.read(), 2) == b""
    writer.close()


async def test_core_show_channels_lists_a_live_call(sim: PbxSimulator, bridge: Bridge) -> None:
    task = sim.place_call("79161234567", Plan(answer_after=0.05, talk_seconds=0.8))
    answered = await wait_for(lambda: bridge.of(CallAnswered))
    late = await connect(sim)  # logs in mid-call: the re-sync must find the call
    try:
        await wait_for(lambda: late.client.connected)
        await wait_for(lambda: late.tracker.active_calls)
        [call] = late.tracker.active_calls
        assert call.call_id == answered[0].call.call_id
        assert call.answered_by == "102"
        assert call.direction is Direction.IN
        listed = [m for m in late.messages() if m.get("Event") == "CoreShowChannel"]
        assert {m["Channel"].split("-")[0] for m in listed} == {"PJSIP/trunk", "PJSIP/102"}
        assert len({m["BridgeId"] for m in listed}) == 1 and listed[0]["BridgeId"]
        assert [m for m in late.messages() if m.get("EventList") == "Complete"][0][
            "ListItems"
        ] == "2"
        await task
        await wait_for(lambda: late.ended())
        assert late.ended()[0].call.status is Status.ANSWERED
    finally:
        await close(late)


async def test_originate_rings_the_manager_then_the_customer(
    sim: PbxSimulator, bridge: Bridge
) -> None:
    sim.originate_plans.append(
        (Plan(answer_after=0.05), Plan(answer_after=0.05, talk_seconds=0.3, seed=3))
    )
    response = await bridge.originate("101", "79031112233", "crm-test-1")
    assert response.success and response["Message"] == "Originate successfully queued"
    [result] = await wait_for(lambda: bridge.of(OriginateResult))
    assert result.success and result.call_id == "crm-test-1"
    [ended] = await wait_for(lambda: bridge.ended())
    call = ended.call
    assert (call.call_id, call.direction, call.status) == (
        "crm-test-1",
        Direction.OUT,
        Status.ANSWERED,
    )
    assert call.number == "79031112233" and call.answered_by == "101"
    assert call.recordings == ("/var/spool/asterisk/monitor/crm-test-1.wav",)
    assert (sim.config.inbox / "crm-test-1.wav").stat().st_size > 44
    dials = [m for m in bridge.messages() if m.get("Event") == "DialBegin"]
    assert [d.get("DialString") for d in dials] == ["101", "79031112233@trunk"]
    assert "Channel" not in dials[0]  # Asterisk dials an originated channel from nowhere


async def test_originate_failures_say_why(sim: PbxSimulator, bridge: Bridge) -> None:
    response = await bridge.originate("109", "79031112233", "crm-test-2")  # no such phone
    assert response.success
    [result] = await wait_for(lambda: bridge.of(OriginateResult))
    assert not result.success and result.reason == "the manager's phone is unavailable"

    sim.originate_plans.append((Plan(outcome="noanswer"), Plan()))
    await bridge.originate("101", "79031112233", "crm-test-3")
    # Timeout 5 s in the request; the manager never picks up. Ask the PBX to hang up sooner.
    await wait_for(lambda: sim.ringing())
    assert sim.ringing() == [("101", "crm-test-3")]
    reply = await bridge.client.send_action({"Action": "Hangup", "Channel": "crm-test-3"})
    assert reply.success
    results = await wait_for(lambda: bridge.of(OriginateResult)[1:])
    assert results[0].reason == "the manager's phone hung up"
    ended = await wait_for(lambda: bridge.ended()[1:])
    assert ended[0].call.call_id == "crm-test-3"
    assert ended[0].call.status is Status.FAILED


async def test_hangup_action_ends_a_call(sim: PbxSimulator, bridge: Bridge) -> None:
    task = sim.place_call("79161234567", Plan(answer_after=0.05, talk_seconds=5))
    [answered] = await wait_for(lambda: bridge.of(CallAnswered))
    channel = next(c.name for c in sim.pbx.live_channels() if c.extension == "102")
    reply = await bridge.client.send_action({"Action": "Hangup", "Channel": channel})
    assert reply.success and reply["Message"] == "Channel Hungup"
    await asyncio.wait_for(task, 2)
    [ended] = await wait_for(lambda: bridge.ended())
    assert ended.call.call_id == answered.call.call_id
    assert ended.call.status is Status.ANSWERED
    assert sim.pbx.live_channels() == []
