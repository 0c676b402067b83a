"""AMI events per second the bridge sustains end to end, and loss under a burst.

End to end = AMI bytes over TCP from an AMI server → AmiClient (incremental decoding,
panoramisk framing) → EventPump → CallTracker → CallRecorder → SQLite, measured until the
last call is in the database. Baseline, in the same run: panoramisk's own protocol parsing
the same bytes and dispatching to a no-op (its bare parse rate). Target: >= 5,000 events/s
end to end on one core, and nothing lost in a burst of 20,000.

    .venv/bin/python bench/bench_bridge.py [--events 20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panoramisk.ami_protocol import AMIProtocol  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from callcenter.calls.call_log import CallRecorder
from callcenter.core.db import make_engine, make_sessionmaker
from callcenter.core.migrate import upgrade
from callcenter.core.models import Call
from pbx_bridge.ami import AmiClient, AmiConfig  # noqa: E402
from pbx_bridge.pump import EventPump  # noqa: E402
from pbx_bridge.tracker import CallTracker  # noqa: E402
from tests.fakes.ami_server import FakeAmiServer, render  # noqa: E402

EVENTS_PER_CALL = 10


def call_events(n: int, t0: float = 1_790_000_000.0) -> list[dict[str, str]]:
    a = {
        "Channel": f"PJSIP/anonymous-{n:08x}",
        "Uniqueid": f"{t0:.0f}.{2 * n}",
        "Linkedid": f"{t0:.0f}.{2 * n}",
        "CallerIDNum": f"8916{n % 10**7:07d}",
        "CallerIDName": "Пётр Ёлкин",
    }
    b = {
        "Channel": f"PJSIP/10{n % 4 + 1}-{n:08x}",
        "Uniqueid": f"{t0:.0f}.{2 * n + 1}",
        "Linkedid": a["Linkedid"],
    }
    dest = {"Dest" + k: v for k, v in b.items()}
    ts = {"Timestamp": f"{t0 + n:.6f}"}
    return [
        {"Event": "Newchannel", **a, "ChannelState": "4", **ts},
        {"Event": "Newchannel", **b, "ChannelState": "0", **ts},
        {"Event": "DialBegin", **a, **dest, "DialString": b["Channel"][6:9], **ts},
        {"Event": "Newstate", **b, "ChannelState": "5", **ts},
        {"Event": "Newstate", **b, "ChannelState": "6", **ts},
        {"Event": "DialEnd", **a, **dest, "DialStatus": "ANSWER", **ts},
        {"Event": "BridgeEnter", **a, "BridgeUniqueid": f"br-{n}", **ts},
        {"Event": "BridgeEnter", **b, "BridgeUniqueid": f"br-{n}", **ts},
        {"Event": "Hangup", **b, "Cause": "16", **ts},
        {"Event": "Hangup", **a, "Cause": "16", **ts},
    ]


def make_stream(events: int) -> bytes:
    calls = events // EVENTS_PER_CALL
    return b"".join(render(e) for n in range(calls) for e in call_events(n))


def panoramisk_baseline(data: bytes) -> float:
    class Factory:
        count = 0
        save_stream = None

        def dispatch(self, message: object) -> None:
            Factory.count += 1

    protocol = AMIProtocol()
    protocol.connection_made(transport=None)
    protocol.factory = Factory()
    started = time.perf_counter()
    for i in range(0, len(data), 65536):
        protocol.data_received(data[i : i + 65536])
    elapsed = time.perf_counter() - started
    return Factory.count / elapsed


async def end_to_end(data: bytes, calls: int, workdir: Path) -> tuple[float, int]:
    url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessionmaker = make_sessionmaker(engine)
    server = await FakeAmiServer().start()
    client = AmiClient(AmiConfig("127.0.0.1", server.port, "crm", "crm-secret"))
    recorder = CallRecorder(sessionmaker)
    pump = EventPump(client.queue, CallTracker(), recorder)
    tasks = [client.start(), asyncio.create_task(pump.run())]
    await server.logged_in.wait()
    while pump.processed < 1:  # the re-sync item
        await asyncio.sleep(0.01)
    started = time.perf_counter()
    await server.push_raw(data, chunk=65536)
    stored = 0
    while stored < calls:
        await asyncio.sleep(0.05)
        async with sessionmaker() as session:
            stored = (
                await session.scalar(select(func.count(Call.id)).where(Call.status.is_not(None)))
                or 0
            )
        if time.perf_counter() - started > 120:
            break
    elapsed = time.perf_counter() - started
    await client.stop()
    for task in tasks:
        task.cancel()
    await recorder.stop()
    await server.stop()
    await engine.dispose()
    return calls * EVENTS_PER_CALL / elapsed, stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    calls = args.events // EVENTS_PER_CALL
    data = make_stream(args.events)
    base, ours, lost = [], [], []
    for run in range(args.runs):
        base.append(panoramisk_baseline(data))
        with tempfile.TemporaryDirectory() as tmp:
            rate, stored = asyncio.run(end_to_end(data, calls, Path(tmp)))
        ours.append(rate)
        lost.append(calls - stored)
        print(
            f"run {run + 1}: end to end {rate:,.0f} events/s, stored {stored}/{calls} calls; "
            f"panoramisk bare parse {base[-1]:,.0f} events/s"
        )
    med, med_base = statistics.median(ours), statistics.median(base)
    print(f"events per burst: {calls * EVENTS_PER_CALL} ({calls} calls)")
    print(f"end to end (median): {med:,.0f} events/s")
    print(f"panoramisk bare parse (median): {med_base:,.0f} events/s")
    print(f"ratio end to end / bare parse: {med / med_base:.2f}")
    print(f"calls lost (max over runs): {max(lost)}")
    print(
        f"target >= 5,000 events/s and no loss: "
        f"{'met' if med >= 5000 and max(lost) == 0 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
