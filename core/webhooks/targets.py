"""Where webhooks may go: public addresses only (SSRF protection).

Every address a host resolves to must be global, and no IPv6 form that carries an IPv4 address
(mapped, 6to4, Teredo, NAT64...) is accepted. A refusal says only ``not a public address``:
which address, or the resolver's error, would tell how internal names resolve.

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


#: IPv6 prefixes whose addresses carry an IPv4 address and reach it through a translator or
#: relay (the ``ipaddress`` module knows IPv4-mapped, 6to4 and Teredo by itself).
EMBEDDING_IPV4 = tuple(
    ipaddress.IPv6Network(prefix)
    for prefix in (
        "64:ff9b::/96",  # NAT64, well-known prefix (RFC 6052)
        "64:ff9b:1::/48",  # NAT64, local use (RFC 8215)
        "::ffff:0:0:0/96",  # IPv4-translated, SIIT (RFC 2765)
        "::/96",  # IPv4-compatible (deprecated, RFC 4291)
    )
)
NOT_PUBLIC = "not a public address"
#: A host that does not resolve gets the same answer as one that resolves to a private
#: address: telling them apart would tell a subscriber which internal names exist.
UNUSABLE_HOST = NOT_PUBLIC


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (none for a plain IPv6 address)."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the relay server and the client
    if any(address in network for network in EMBEDDING_IPV4):
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def _global(address: IPAddress) -> bool:
    # ``is_global`` alone is not enough on every Python: 3.11 calls some reserved and
    # multicast addresses global.
    return address.is_global and not (
        address.is_loopback
        or address.is_unspecified
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_private
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def is_public(address: IPAddress) -> bool:
    """Whether webhooks may go to ``address``: a global address that carries no IPv4 address.

    An IPv6 form that carries one (IPv4-mapped, 6to4, Teredo, NAT64, SIIT, IPv4-compatible)
    is refused whatever the IPv4 inside: a translator or relay would take the request on to
    it, and whether it is public there depends on a network we do not see.
    """
    if isinstance(address, ipaddress.IPv6Address) and embedded_ipv4(address):
        return False
    return _global(address)


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


async def _lookup(host: str, port: int) -> list[IPAddress]:
    """The addresses ``host`` resolves to, or :class:`UnsafeTarget` saying only that it could
    not be used (the resolver's answer would tell how internal names resolve)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # UnicodeError: a name IDNA cannot encode
        raise UnsafeTarget(UNUSABLE_HOST) from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeTarget(UNUSABLE_HOST)
    return addresses


async def resolve(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and the addresses its host resolves to; the first acceptable address.

    Every address must be acceptable (an attacker's name may resolve to a public and a private
    one); with ``allow_private`` (development only), any address is.
    """
    scheme, host, port, path = parse(url, allow_private=allow_private)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await _lookup(host, port)
    if not allow_private and not all(is_public(address) for address in addresses):
        # Which address, or why, would tell how internal names resolve.
        raise UnsafeTarget(NOT_PUBLIC)
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, address=addresses[0])
