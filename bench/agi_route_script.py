#!/usr/bin/env python3
"""The baseline of bench_routing.py: the same routing decision as a classic AGI script, one
process per call (AGI(route.py) in the dialplan): read the AGI environment on stdin, open
the database, look the caller up, decide, print SET VARIABLE commands.

    agi_route_script.py SQLITE_PATH
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.core.phones import try_normalize_phone
from routing.decide import Caller, ManagerState, RoutingConfig, decide_route  # noqa: E402


def main() -> None:
    env: dict[str, str] = {}
    for line in sys.stdin:
        if not line.strip():
            break
        key, _, value = line.partition(":")
        env[key.strip()] = value.strip()
    db = sqlite3.connect(sys.argv[1])
    phone = try_normalize_phone(env.get("agi_callerid", ""), "RU")
    caller = Caller()
    if phone:
        row = db.execute(
            "SELECT c.id, c.manager_id FROM customers c JOIN customer_phones p"
            " ON p.customer_id = c.id WHERE p.phone = ? LIMIT 1",
            (phone,),
        ).fetchone()
        if row:
            tags = db.execute("SELECT tag FROM customer_tags WHERE customer_id = ?", (row[0],))
            caller = Caller(row[0], row[1], frozenset(t for (t,) in tags))
    managers = {
        mid: ManagerState(mid, ext, status, device)
        for mid, ext, status, device in db.execute(
            "SELECT id, extension, status, device_state FROM managers WHERE is_active"
        )
    }
    route = decide_route(caller, managers, RoutingConfig())
    for name, value in route.variables().items():
        sys.stdout.write(f'SET VARIABLE {name} "{value}"\n')
        sys.stdout.flush()
        sys.stdin.readline()


if __name__ == "__main__":
    main()
