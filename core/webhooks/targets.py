"""Where webhooks may go: public addresses only (SSRF protection).

A URL is checked when a subscription is saved and again before every attempt, on the
addresses its host resolves to then; the request is sent to the address checked (the host name
still goes in ``Host`` and in TLS's SNI and certificate check), so a DNS answer that changes
in between cannot redirect it. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """A URL webhooks must not be sent to; the message says why."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    #: The path and query, as sent.
    path: str
    address: IPAddress

    @property
    def pinned_url(self) -> str:
        """The URL with the checked address instead of the host name."""
        host = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def refusal(address: IPAddress) -> str | None:
    """Why webhooks must not go to ``address`` (``None``: a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),
        ("is_private", "a private address"),
    )
    for attribute, why in checks:
        if getattr(address, attribute):
            return why
    if not address.is_global:
        return "not a public address"
    return None


def parse(url: str, *, allow_private: bool) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of ``url``, or :class:`UnsafeTarget`."""
    if len(url) > 2000:
        raise UnsafeTarget("the URL is longer than 2000 characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeTarget(f"not a valid URL: {error}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("the URL must start with https://")
    if not parts.hostname:
        raise UnsafeTarget("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("the URL must not carry a user name or password")
    if parts.fragment:
        raise UnsafeTarget("the URL must not have a #fragment")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and the addresses its host resolves to; the first acceptable address.

    Every address must be acceptable (an attacker's name may resolve to a public and a private
    one); with ``allow_private`` (development only), any address is.
    """
    scheme, host, port, path = parse(url, allow_private=allow_private)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as error:
            raise UnsafeTarget(f"cannot resolve {host}: {error.strerror or error}") from None
        addresses = []
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnsafeTarget(f"{host} resolves to no address") from None
    if not allow_private:
        for address in addresses:
            why = refusal(address)
            if why is not None:
                raise UnsafeTarget(
                    f"{host} resolves to {address}, {why}: webhooks only go to public addresses"
                    if str(address) != host
                    else f"{host} is {why}: webhooks only go to public addresses"
                )
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, address=addresses[0])
