"""Inbound calls through the simulated dialplan, routed by pbx_bridge's real FastAGI server and
seen by its real AmiClient and CallTracker: what the bridge sees is what it would see from
Asterisk 22 with the sample dialplan."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbx_bridge.agi import FastAgiServer
from pbx_bridge.tracker import CallAnswered, DevicePresence, DeviceRinging, Status
from pbx_sim import PbxSimulator, Plan
from recordings.wav import read_header
from tests.fakes.traces import load_trace
from tests.unit.pbx_sim.conftest import Bridge, Routes, wait_for

PREFIX = "/var/spool/asterisk/monitor"


def complete_wav(path: Path) -> float:
    """Seconds of audio in a finished 8 kHz mono WAV (sizes written on close)."""
    header = read_header(path)
    assert header is not None and header.complete(path.stat().st_size), path
    assert (header.channels, header.sample_rate, header.bits_per_sample) == (1, 8000, 16)
    return header.data_size / 16000


async def test_a_routed_call_rings_the_routed_phone_and_is_recorded(
    sim: PbxSimulator, bridge: Bridge, routes: tuple[Routes, FastAgiServer]
) -> None:
    await sim.place_call("89161234567", Plan(answer_after=0.1, talk_seconds=0.6, seed=1))
    [ended] = await wait_for(bridge.ended)
    call = ended.call
    assert (call.status, call.route, call.answered_by, call.rang) == (
        Status.ANSWERED,
        "personal_manager",
        "102",
        ("102",),
    )
    assert call.number == "89161234567"
    [request] = routes[0].requests
    assert request.script == "route" and request.caller_id == "89161234567"
    assert request.dialled == "74951234567" and request.uniqueid == call.call_id
    assert request.headers["agi_channel"].startswith("PJSIP/trunk-")
    assert request.headers["agi_network"] == "yes"
    assert call.recordings == (f"{PREFIX}/{call.call_id}.wav",)
    inbox = sim.config.inbox
    seconds = [complete_wav(inbox / f"{call.call_id}{leg}.wav") for leg in ("", "-r", "-t")]
    assert seconds == pytest.approx([0.6] * 3, abs=0.01)
    states = [(c.extension, c.state) for c in bridge.of(DevicePresence)]
    assert states == [("102", "RINGING"), ("102", "INUSE"), ("102", "NOT_INUSE")]
    assert bridge.bad == []


async def test_the_service_down_takes_the_fallback_group(
    sim: PbxSimulator, bridge: Bridge, routes: tuple[Routes, FastAgiServer]
) -> None:
    sim.agi_url = "agi://127.0.0.1:9/route"  # nothing listens: AGISTATUS=FAILURE
    await sim.place_call("79161234567", Plan(answer_after=0.1, talk_seconds=0.2))
    [ended] = await wait_for(bridge.ended)
    assert ended.call.status is Status.ANSWERED
    assert ended.call.route is None
    assert sorted(ended.call.rang) == ["101", "102", "103"]
    assert routes[0].requests == []


async def test_no_opinion_takes_the_fallback_group(
    sim: PbxSimulator, bridge: Bridge, routes: tuple[Routes, FastAgiServer]
) -> None:
    routes[0].variables = {"CRM_DIAL": "", "CRM_ROUTE": "fallback"}
    await sim.place_call("79161234567", Plan(answer_after=0.1, talk_seconds=0.2))
    [ended] = await wait_for(bridge.ended)
    assert ended.call.route == "fallback"
    assert sorted(ended.call.rang) == ["101", "102", "103"]
    # One of the group answered, the others' legs were cancelled.
    assert ended.call.answered_by in ("101", "102", "103")
    dial_ends = [m["DialStatus"] for m in bridge.messages() if m.get("Event") == "DialEnd"]
    assert sorted(dial_ends) == ["ANSWER", "CANCEL", "CANCEL"]


async def test_busy_phones_make_a_busy_call(sim: PbxSimulator, bridge: Bridge) -> None:
    await sim.place_call("79161234567", Plan(outcome="busy"))
    [ended] = await wait_for(bridge.ended)
    assert ended.call.status is Status.BUSY
    # MixMonitor leaves a header-only file of a call nobody answered.
    assert (sim.config.inbox / f"{ended.call.call_id}.wav").stat().st_size == 44


async def test_the_caller_gives_up_while_it_rings(sim: PbxSimulator, bridge: Bridge) -> None:
    await sim.place_call("79161234567", Plan(outcome="noanswer", patience=0.3))
    [ended] = await wait_for(bridge.ended)
    assert (ended.call.status, ended.call.status_reason) == (
        Status.MISSED,
        "the caller hung up before an answer",
    )
    assert ended.call.rang == ("102",)


async def test_nobody_answers_the_routed_phone_then_the_group(
    sim: PbxSimulator, bridge: Bridge
) -> None:
    await sim.place_call("79161234567", Plan(outcome="noanswer", patience=10))
    [ended] = await wait_for(bridge.ended, timeout=8)
    assert (ended.call.status, ended.call.status_reason) == (Status.MISSED, "nobody answered")
    assert ended.call.rang[0] == "102" and sorted(ended.call.rang) == ["101", "102", "103"]


async def test_the_browser_answers_a_ringing_phone(sim: PbxSimulator, bridge: Bridge) -> None:
    task = sim.place_call("79161234567", Plan(outcome="noanswer", patience=3, talk_seconds=0.2))
    [ring] = await wait_for(lambda: bridge.of(DeviceRinging))
    call_id = ring.call.call_id
    assert sim.ringing() == [("102", call_id)]
    assert not sim.answer("101", call_id)  # not ringing there
    assert not sim.answer("102", "1790000000.999")  # another call
    assert sim.answer("102", call_id)
    [answered] = await wait_for(lambda: bridge.of(CallAnswered))
    assert answered.extension == "102"
    await task
    [ended] = await wait_for(bridge.ended)
    assert ended.call.status is Status.ANSWERED
    assert sim.ringing() == []


async def test_a_phone_in_a_call_is_busy_for_the_next(sim: PbxSimulator, bridge: Bridge) -> None:
    first = sim.place_call("79161234567", Plan(answer_after=0.05, talk_seconds=0.6))
    await wait_for(lambda: bridge.of(CallAnswered))
    await sim.place_call("79031112233", Plan(answer_after=0.05, talk_seconds=0.1))
    await first
    await wait_for(lambda: len(bridge.ended()) == 2)
    second = next(e.call for e in bridge.ended() if e.call.number == "79031112233")
    assert second.status is Status.ANSWERED and second.answered_by in ("101", "103")
    busy = [
        m for m in bridge.messages() if m.get("Event") == "DialEnd" and m["DialStatus"] == "BUSY"
    ]
    assert [m["DestChannel"].split("-")[0] for m in busy] == ["PJSIP/102", "PJSIP/102"]


async def test_events_have_asterisk_22_fields_in_its_order(
    sim: PbxSimulator, bridge: Bridge
) -> None:
    await sim.place_call("79161234567", Plan(answer_after=0.05, talk_seconds=0.1))
    await wait_for(bridge.ended)
    ours = {m["Event"]: list(m) for m in bridge.messages() if "Event" in m}
    recorded = {m["Event"]: list(m) for m in load_trace("inbound_agi_routed")}
    for name in (
        "Newchannel",
        "MixMonitorStart",
        "NewCallerid",
        "NewConnectedLine",
        "DialBegin",
        "DialState",
        "Newstate",
        "DialEnd",
        "DeviceStateChange",
        "BridgeCreate",
        "BridgeEnter",
        "BridgeLeave",
        "BridgeDestroy",
        "HangupRequest",
        "SoftHangupRequest",
        "Hangup",
        "Cdr",
    ):
        assert ours[name] == recorded[name], name
