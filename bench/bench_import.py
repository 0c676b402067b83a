"""Import 100,000 customers from CSV into a fresh SQLite database.

Prints the median wall time of `callcenter import customers` over N runs and, as a baseline
measured in the same run, the time of a bare sqlite3 executemany of the same rows (no parsing,
no validation, no phone normalisation): the ratio is what our checks cost over raw inserts.
The target from the issue is under 60 s.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.core.migrate import upgrade
from callcenter.core.settings import Settings
from callcenter.csv_import.importer import import_file
from callcenter.demo.seed import MOBILE_PREFIXES, messy_phone

NAMES = ["Иван Петров", "Анна Смирнова", "Пётр Соколов", "Ольга Орлова", "Фёдор Волков"]
CITIES = ["Москва", "Казань", "Самара", "Новосибирск"]


def make_csv(path: Path, rows: int) -> None:
    rng = random.Random(1)
    numbers = rng.sample(range(len(MOBILE_PREFIXES) * 10**7), rows)
    digits = [f"{MOBILE_PREFIXES[n // 10**7]}{n % 10**7:07d}" for n in numbers]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["name", "phones", "email", "city", "birthday", "tags"])
        for i, d in enumerate(digits):
            writer.writerow(
                [
                    f"{rng.choice(NAMES)} {i}",
                    messy_phone(rng, d),
                    f"c{i}@example.ru",
                    rng.choice(CITIES),
                    f"{rng.randrange(1, 29):02d}.{rng.randrange(1, 13):02d}."
                    f"19{rng.randrange(50, 99)}",
                    "vip" if i % 50 == 0 else "",
                ]
            )


def run_ours(csv_path: Path, workdir: Path) -> float:
    url = f"sqlite+aiosqlite:///{workdir / 'ours.db'}"
    upgrade(url)
    settings = Settings(_env_file=None, database_url=url, var_dir=workdir)
    started = time.perf_counter()
    report = asyncio.run(import_file(settings, "customers", csv_path, progress=False))
    elapsed = time.perf_counter() - started
    assert not report.errors, report.errors[:3]
    return elapsed


def run_baseline(csv_path: Path, workdir: Path) -> float:
    db = sqlite3.connect(workdir / "raw.db")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, name, email, city, birthday)")
    db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, cid, phone)")
    db.execute("CREATE INDEX ix_p ON p(phone)")
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter=";"))[1:]
    db.executemany(
        "INSERT INTO c (id, name, email, city, birthday) VALUES (?, ?, ?, ?, ?)",
        [(i, r[0], r[2], r[3], r[4]) for i, r in enumerate(rows)],
    )
    db.executemany(
        "INSERT INTO p (cid, phone) VALUES (?, ?)", [(i, r[1]) for i, r in enumerate(rows)]
    )
    db.commit()
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ours, base = [], []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        make_csv(csv_path, args.rows)
        for run in range(args.runs):
            workdir = Path(tmp) / f"run{run}"
            workdir.mkdir()
            ours.append(run_ours(csv_path, workdir))
            base.append(run_baseline(csv_path, workdir))
            print(f"run {run + 1}: import {ours[-1]:.2f} s, raw sqlite3 {base[-1]:.2f} s")
    med, med_base = statistics.median(ours), statistics.median(base)
    print(f"rows: {args.rows}")
    print(f"import customers (median of {args.runs}): {med:.2f} s, {args.rows / med:,.0f} rows/s")
    print(f"raw sqlite3 executemany baseline (median): {med_base:.2f} s")
    print(f"ratio import / raw: {med / med_base:.1f}x")
    print(f"target < 60 s: {'met' if med < 60 else 'MISSED'}")


if __name__ == "__main__":
    main()
