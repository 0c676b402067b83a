"""The sample Asterisk configs in docker/asterisk show the contract: AGI routing with the
dialplan's own fallback, recording, and an AMI user the bridge can work with."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

DOCKER = Path(__file__).resolve().parents[2] / "docker" / "asterisk"


def context(text: str, name: str) -> list[str]:
    body = text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]
    return [
        line.split(";", 1)[0].strip() for line in body.splitlines() if line.split(";", 1)[0].strip()
    ]


def test_inbound_routing_falls_back_when_the_service_cannot_route() -> None:
    text = (DOCKER / "extensions.conf").read_text(encoding="utf-8")
    lines = context(text, "from-trunk")
    joined = "\n".join(lines)
    agi = next(i for i, line in enumerate(lines) if "AGI(" in line)
    guard = next(i for i, line in enumerate(lines) if "AGISTATUS" in line)
    routed = next(i for i, line in enumerate(lines) if "Dial(${CRM_DIAL}" in line)
    fallback = next(i for i, line in enumerate(lines) if "(fallback)" in line)
    assert agi < guard < routed < fallback
    assert '"${CRM_DIAL}" = ""' in lines[guard]
    assert "MixMonitor(" in joined
    assert re.search(r"CRM_AGI = agi://[\d.]+:4573/route", text)
    # Outbound calls must not leak the Originate's caller ID to the customer.
    assert any("CALLERID(all)" in line for line in context(text, "from-managers"))


def test_ami_user_reads_what_the_bridge_needs_and_nothing_chatty() -> None:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), strict=False)
    parser.read(DOCKER / "manager.conf", encoding="utf-8")
    read = {c.strip() for c in parser["crm"]["read"].split(",")}
    assert {"system", "call"} <= read
    assert "dialplan" not in read
    assert "originate" in parser["crm"]["write"]
    assert parser["general"]["timestampevents"] == "yes"
    assert "MIXMONITOR_FILENAME" in parser["general"]["channelvars"]
    assert parser["general"]["bindaddr"] in ("127.0.0.1", "::1") or parser["general"][
        "bindaddr"
    ].startswith(("10.", "192.168.", "172."))
