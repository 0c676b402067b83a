"""``python -m pbx_sim``: the simulator on its own, for developing against ``callcenter serve``.

    PBX_SIM_AMI_SECRET=… python -m pbx_sim --ami-port 5038 --agi agi://127.0.0.1:4573/route \\
        --extensions 101,102,103 --inbox ./var/monitor

Point the service at it with CALLCENTER_AMI_PORT/_USERNAME/_SECRET and
CALLCENTER_RECORDINGS_INBOX=./var/monitor. The secret comes from the environment only, so it
never shows in a process list.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from pbx_sim.simulator import PbxSimulator, SimConfig
from pbx_sim.traffic import Pace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pbx_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--ami-port", type=int, default=5038, help="AMI port on 127.0.0.1")
    parser.add_argument("--ami-user", default="crm", help="the AMI username to accept")
    parser.add_argument("--agi", default="agi://127.0.0.1:4573/route", help="the FastAGI URL")
    parser.add_argument("--extensions", default="101,102,103", help="managers' phones")
    parser.add_argument("--inbox", type=Path, default=Path("./var/monitor"))
    parser.add_argument("--calls-per-minute", type=float, default=6.0)
    parser.add_argument("--answer-after", type=float, default=4.0)
    parser.add_argument("--talk-seconds", type=float, default=15.0)
    args = parser.parse_args(argv)
    secret = os.environ.get("PBX_SIM_AMI_SECRET", "")
    if not secret:
        print("python -m pbx_sim: set PBX_SIM_AMI_SECRET to the AMI secret", file=sys.stderr)
        return 2
    extensions = tuple(e.strip() for e in args.extensions.split(",") if e.strip())
    if not extensions or not all(e.isdigit() for e in extensions):
        print("python -m pbx_sim: --extensions takes digits: 101,102", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    config = SimConfig(
        ami_username=args.ami_user,
        ami_secret=secret,
        agi_url=args.agi,
        extensions=extensions,
        inbox=args.inbox,
        calls_per_minute=args.calls_per_minute,
        pace=Pace(answer_after=args.answer_after, talk_seconds=args.talk_seconds),
    )

    async def run() -> None:
        simulator = PbxSimulator(config)
        await simulator.start(port=args.ami_port)
        simulator.start_traffic()
        try:
            await asyncio.Event().wait()
        finally:
            await simulator.stop()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
