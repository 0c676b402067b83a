"""The SSRF guard: which URLs and addresses a webhook may reach."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from callcenter.webhooks.guard import AllowList, GuardedResolver, Refused, check_url

NOTHING = AllowList.parse([])


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/hook",
        "http://93.184.216.34:8080/hook?x=1",
        "https://[2606:4700:4700::1111]/hook",
    ],
)
def test_public_urls_pass(url: str) -> None:
    check_url(url, NOTHING)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://shop.example/hook", "only http"),
        ("file:///etc/passwd", "only http"),
        ("https:///nohost", "no host"),
        ("http://127.0.0.1:5432/", "not a public address"),
        ("http://10.1.2.3/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "not a public address"),
        ("http://[::1]/", "not a public address"),
        ("http://192.168.0.1/", "not a public address"),
        ("https://user:pw@shop.example/", "no user or password"),
        ("http://shop.example:99999/", "not a valid URL"),
    ],
)
def test_refused_urls_say_why(url: str, why: str) -> None:
    with pytest.raises(Refused, match=why):
        check_url(url, NOTHING)


def test_the_allow_list_takes_addresses_networks_and_names() -> None:
    allow = AllowList.parse(["127.0.0.1", "10.0.0.0/8", " CRM.internal. ", ""])
    check_url("http://127.0.0.1:8080/", allow)
    check_url("http://10.20.30.40/", allow)
    with pytest.raises(Refused):
        check_url("http://127.0.0.2/", allow)
    assert allow.allows_host("crm.internal")


class Fixed(AbstractResolver):
    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [_result(host, a, port) for a in self.addresses]

    async def close(self) -> None:
        pass


def _result(host: str, address: str, port: int) -> Any:
    return {"hostname": host, "host": address, "port": port, "family": socket.AF_INET,
            "proto": 0, "flags": 0}  # fmt: skip


async def test_a_name_resolving_to_private_addresses_is_refused_at_connect() -> None:
    resolver = GuardedResolver(NOTHING, Fixed("127.0.0.1", "10.0.0.5"))
    with pytest.raises(Refused, match=r"rebind\.example resolves to no public address"):
        await resolver.resolve("rebind.example", 80)


async def test_only_the_public_addresses_of_a_mixed_name_are_used() -> None:
    resolver = GuardedResolver(NOTHING, Fixed("10.0.0.5", "93.184.216.34"))
    assert [r["host"] for r in await resolver.resolve("mixed.example", 443)] == ["93.184.216.34"]


async def test_an_allowed_name_keeps_its_private_addresses() -> None:
    resolver = GuardedResolver(AllowList.parse(["crm.internal"]), Fixed("10.0.0.5"))
    assert [r["host"] for r in await resolver.resolve("crm.internal", 80)] == ["10.0.0.5"]
