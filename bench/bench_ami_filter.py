"""AMI events per call and the bridge's CPU per 1,000 calls, with and without the event
filter of docker/asterisk/manager.conf, on the real test Asterisk.

Two AMI users watch the same calls in the same run: ``crm`` (the sample's user, filtered)
and ``crm-unfiltered`` (same rights, no filter; tests/asterisk/conf/manager_local.conf). sipp
places real calls through the PBX (answered by a sipp phone). Each user's bytes, as received,
are then run through what the service does with them: panoramisk's framing, parse_event and
the CallTracker, timed with the process's CPU clock (median of --runs), scaled to 1,000 calls.
Both streams must give the same calls, or the filter has dropped something the bridge needs.

Needs root and the test PBX (scripts/asterisk/pbx.sh start, or make asterisk first):

    .venv/bin/python bench/bench_ami_filter.py [--calls 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panoramisk.ami_protocol import AMIProtocol  # noqa: E402

from pbx_bridge.events import MalformedEvent, parse_event  # noqa: E402
from pbx_bridge.tracker import CallEnded, CallTracker  # noqa: E402
from tests.asterisk.pbx import AMI_SECRET, AmiClient, Pbx, Sipp  # noqa: E402

USERS = ("crm", "crm-unfiltered")


async def watch(client: AmiClient, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await client.next_message(0.5)
        except TimeoutError:
            continue


async def capture(calls: int, sipp: Sipp, pbx: Pbx) -> dict[str, bytes]:
    clients = {user: AmiClient() for user in USERS}
    for user, client in clients.items():
        await client.connect(username=user, secret=AMI_SECRET)
    stop = asyncio.Event()
    readers = [asyncio.create_task(watch(c, stop)) for c in clients.values()]
    await asyncio.sleep(0.5)
    for client in clients.values():
        client.raw.clear()
    sipp.uas(5071, "uas_answer", calls=calls)
    for n in range(calls):
        await asyncio.to_thread(sipp.call, f"7916{n:07d}", "7001", duration_ms=300)
    await asyncio.to_thread(pbx.wait_idle)
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*readers)
    for client in clients.values():
        await client.close()
    return {user: bytes(client.raw) for user, client in clients.items()}


def bridge(raw: bytes) -> tuple[Counter[str], list[tuple[str, str]]]:
    """What the service does with the bytes: framing, parsing, tracking."""
    messages: list[object] = []

    class Factory:
        save_stream = None

        def dispatch(self, message: object) -> None:
            messages.append(message)

    protocol = AMIProtocol()
    protocol.connection_made(transport=None)
    protocol.factory = Factory()
    for i in range(0, len(raw), 65536):
        protocol.data_received(raw[i : i + 65536])
    tracker = CallTracker()
    names: Counter[str] = Counter()
    ended: list[tuple[str, str]] = []
    for message in messages:
        names[str(message.get("Event", ""))] += 1  # type: ignore[attr-defined]
        try:
            event = parse_event(message)  # type: ignore[arg-type]
        except MalformedEvent:
            continue
        if event is None:
            continue
        for change in tracker.apply(event):
            if isinstance(change, CallEnded):
                ended.append((change.call.number or "", str(change.call.status)))
    return names, sorted(ended)


def cpu_per_1000_calls(raw: bytes, calls: int, runs: int) -> float:
    """Milliseconds of CPU per 1,000 calls (median of ``runs``)."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        bridge(raw)
        times.append(time.process_time() - started)
    return statistics.median(times) / calls * 1000 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pbx, sipp = Pbx(), Sipp()
    pbx.start()
    try:
        streams = asyncio.run(capture(args.calls, sipp, pbx))
    finally:
        sipp.stop_all()
    results = {}
    for user, raw in streams.items():
        names, ended = bridge(raw)
        events = sum(n for name, n in names.items() if name)
        cpu = cpu_per_1000_calls(raw, args.calls, args.runs)
        results[user] = (events, len(raw), cpu, ended)
        top = ", ".join(f"{name} {n}" for name, n in names.most_common(6))
        print(
            f"{user:15} {events / args.calls:6.1f} events/call  "
            f"{len(raw) / args.calls / 1024:6.1f} KiB/call  "
            f"CPU {cpu:7.1f} ms per 1,000 calls   ({top})"
        )
    filtered, unfiltered = results["crm"], results["crm-unfiltered"]
    if filtered[3] != unfiltered[3] or len(filtered[3]) != args.calls:
        raise SystemExit(f"the calls differ: {filtered[3]} vs {unfiltered[3]}")
    print(
        f"filter / no filter: events {filtered[0] / unfiltered[0]:.2f}, "
        f"bytes {filtered[1] / unfiltered[1]:.2f}, CPU {filtered[2] / unfiltered[2]:.2f}; "
        f"the same {args.calls} calls from both"
    )


if __name__ == "__main__":
    main()
