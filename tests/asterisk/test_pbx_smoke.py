"""A real call through the real PBX, watched over raw AMI."""

from __future__ import annotations

import asyncio

import pytest

from tests.asterisk.pbx import AmiClient, Pbx, Sipp

pytestmark = pytest.mark.asterisk


async def test_inbound_call_answered_by_101(pbx: Pbx, sipp: Sipp) -> None:
    before = pbx.recordings()
    ami = AmiClient()
    await ami.connect()
    try:
        phone = sipp.uas(5071, "uas_answer", calls=1)  # manager 101's phone
        call = sipp.start_call("79161234567", "7001", duration_ms=2000)

        new = await ami.wait_event("Newchannel", CallerIDNum="79161234567", Exten="7001")
        uniqueid, linkedid = new["Uniqueid"], new["Linkedid"]
        assert new["Channel"].startswith("PJSIP/trunk-")  # identified by address as the provider
        assert uniqueid == linkedid  # the caller's leg starts the call

        dial = await ami.wait_event("DialBegin", Uniqueid=uniqueid)
        assert dial["DestChannel"].startswith("PJSIP/101-")
        assert dial["DestLinkedid"] == linkedid
        end = await ami.wait_event("DialEnd", Uniqueid=uniqueid)
        assert end["DialStatus"] == "ANSWER"
        await ami.wait_event("BridgeEnter", Uniqueid=uniqueid)
        hangup = await ami.wait_event("Hangup", Uniqueid=uniqueid, timeout=30)
        assert hangup["Linkedid"] == linkedid

        await asyncio.to_thread(call.wait, 30)
        await asyncio.to_thread(phone.wait, 10)
    finally:
        await ami.close()

    # sub-record in docker/asterisk/extensions.conf: the mixed file and both directions.
    new_files = {p.name: p for p in pbx.recordings() - before}
    assert sorted(new_files) == sorted(f"{uniqueid}{leg}.wav" for leg in ("", "-r", "-t"))
    assert all(p.stat().st_size > 1000 for p in new_files.values())
