"""The synthesised recordings, and who calls."""

from __future__ import annotations

import asyncio
import random
from array import array
from pathlib import Path

from pbx_sim import CallerPools, PbxSimulator
from pbx_sim.audio import conversation, mix, write_header_only, write_recording
from pbx_sim.traffic import Pace, as_trunk_sends, inbound_plan
from recordings.wav import read_header


def test_a_conversation_takes_turns() -> None:
    says, hears = conversation(6.0, seed=4)
    assert len(says) == len(hears) == 6 * 8000 * 2
    a, b = array("h"), array("h")
    a.frombytes(says)
    b.frombytes(hears)
    loud_a = {i // 800 for i, v in enumerate(a) if abs(v) > 3000}  # 100 ms windows
    loud_b = {i // 800 for i, v in enumerate(b) if abs(v) > 3000}
    assert loud_a and loud_b  # both talk…
    assert len(loud_a & loud_b) < 0.1 * len(loud_a | loud_b)  # …mostly not at once
    assert min(loud_b) < min(loud_a)  # the one who answered speaks first


def test_mix_clips_instead_of_wrapping() -> None:
    loud = array("h", [30000, -30000]).tobytes()
    assert array("h", mix(loud, loud)).tolist() == [32767, -32767]


def test_files_as_mixmonitor_leaves_them(tmp_path: Path) -> None:
    write_recording(tmp_path / "1.wav", 1.5, seed=2)
    for name in ("1.wav", "1-r.wav", "1-t.wav"):
        path = tmp_path / name
        header = read_header(path)
        assert header is not None and header.complete(path.stat().st_size)
        assert header.data_size == 1.5 * 8000 * 2
    write_header_only(tmp_path / "2.wav")
    assert {p.stat().st_size for p in tmp_path.glob("2*.wav")} == {44}
    assert not list(tmp_path.glob(".*"))  # no scratch files left behind


def test_numbers_arrive_in_the_formats_trunks_use() -> None:
    rng = random.Random(1)
    seen = {as_trunk_sends("+79161234567", rng) for _ in range(50)}
    assert seen == {"79161234567", "89161234567", "+79161234567"}


def test_pools_and_plans() -> None:
    rng = random.Random(2)
    pools = CallerPools(regulars=["+79161234567"], vips=["+79031112233"])
    kinds = [pools.pick(rng)[1] for _ in range(300)]
    assert set(kinds) == {"regulars", "vips", "new"}  # empty pools are never picked
    new = [n for n, k in (pools.pick(rng) for _ in range(50)) if k == "new"]
    assert all(len(n) == 11 and n.startswith("79") for n in new)
    outcomes = [inbound_plan(rng, Pace()).outcome for _ in range(400)]
    assert 0.65 < outcomes.count("answer") / 400 < 0.85
    assert outcomes.count("busy") and outcomes.count("noanswer")


async def test_calls_come_at_a_steady_pace_up_to_a_limit(sim: PbxSimulator) -> None:
    sim.config.calls_per_minute = 600  # one every 0.1 s
    sim.config.first_call_after = 0
    sim.config.max_calls = 2
    sim.agi_url = "agi://127.0.0.1:9/route"
    sim.start_traffic()
    await asyncio.sleep(0.5)
    assert 2 <= sim.calls_placed <= 8
    assert len(sim.pbx.calls) <= 2
    await sim.stop_calls()
    assert sim.pbx.live_channels() == []
