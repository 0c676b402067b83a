"""The SSRF guard: a webhook goes only to http(s) on public addresses, unless the deployment
allows more (``CALLCENTER_WEBHOOK_ALLOW``: addresses, networks or host names, such as
``127.0.0.1``, ``10.0.0.0/8`` or ``crm.internal``).

An admin types a URL; without the guard the service would post to its own database port, the
cloud's metadata address or the office router. The check runs twice: when the URL is saved
(a clear 422) and at every connection, in the resolver the HTTP client connects through, so a
name that later resolves to a private address (DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Refused(ValueError):
    """A target the guard does not allow; the message says why, for the admin."""


@dataclass(frozen=True)
class AllowList:
    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, items: Iterable[str]) -> AllowList:
        networks: list[Network] = []
        hosts: set[str] = set()
        for raw in items:
            item = raw.strip().lower()
            if not item:
                continue
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                hosts.add(item.rstrip("."))
        return cls(tuple(networks), frozenset(hosts))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: Address) -> bool:
        return address.is_global or any(address in network for network in self.networks)


def check_url(url: str, allow: AllowList) -> tuple[str, str]:
    """(scheme, host) of a URL a webhook may post to, or ``Refused`` naming what is wrong.
    Only the form is checked here; addresses are checked when connecting."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise Refused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http:// and https:// URLs can receive webhooks")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("the URL has no host")
    if parts.username or parts.password:
        raise Refused("put no user or password in the URL; the signature authenticates")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return parts.scheme, host
    if not allow.allows_host(host) and not allow.allows_address(address):
        raise Refused(f"{host} is not a public address (allow it in CALLCENTER_WEBHOOK_ALLOW)")
    return parts.scheme, host


class GuardedResolver(AbstractResolver):
    """Resolves like the system does, then drops every address the allow-list does not let
    through; a host left with none is refused before any byte is sent."""

    def __init__(self, allow: AllowList, inner: AbstractResolver | None = None) -> None:
        self.allow = allow
        self.inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)
        if self.allow.allows_host(host):
            return results
        kept = [r for r in results if self.allow.allows_address(_address(r))]
        if not kept:
            raise Refused(
                f"{host} resolves to no public address "
                f"({', '.join(sorted({r['host'] for r in results}))})"
            )
        return kept

    async def close(self) -> None:
        await self.inner.close()


def _address(result: ResolveResult) -> Address:
    return ipaddress.ip_address(str(result["host"]).split("%")[0])
