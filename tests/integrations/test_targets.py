"""SSRF protection: webhooks go to public addresses only, over https, and follow no redirect,
unless the development setting allows loopback and private targets."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from bocage.core.webhooks.targets import UnsafeTarget, embedded_ipv4, is_public, resolve

REFUSED = [
    # loopback, private, link-local, multicast, reserved, shared, unspecified
    "https://127.0.0.1/hook",
    "https://127.8.9.10:8443/hook",
    "https://localhost/hook",
    "https://[::1]/hook",
    "https://10.1.2.3/hook",
    "https://172.16.0.1/hook",
    "https://192.168.1.20/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://[fe80::1]/hook",
    "https://[fd00::1]/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://[ff0e::1]/hook",
    "https://240.0.0.1/hook",
    "https://100.64.0.1/hook",
    # IPv6 forms that carry an IPv4 address, private or public: a relay or gateway would take
    # the request on to it
    "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped
    "https://[::ffff:93.184.216.34]/hook",
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[2002:a01:203::]/hook",  # 6to4 of 10.1.2.3
    "https://[2002:5db8:d822::1]/hook",  # 6to4 of a public address
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 (RFC 6052) of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "https://[64:ff9b::5db8:d822]/hook",
    "https://[64:ff9b:1::a01:203]/hook",  # local-use NAT64 (RFC 8215)
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    "https://[::7f00:1]/hook",  # IPv4-compatible (deprecated)
    "https://[::ffff:0:a01:203]/hook",  # IPv4-translated (SIIT)
]


@pytest.mark.parametrize("url", REFUSED)
async def test_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        await resolve(url, allow_private=False)
    # Only that: neither the address nor what the host resolved to.
    assert str(refused.value) == "not a public address"
    # The development setting lets them through.
    target = await resolve(url, allow_private=True)
    assert target.scheme == "https"


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::ffff:10.1.2.3", ["10.1.2.3"]),
        ("2002:a01:203::1", ["10.1.2.3"]),
        ("64:ff9b::a01:203", ["10.1.2.3"]),
        ("64:ff9b:1:2::a01:203", ["10.1.2.3"]),
        ("::ffff:0:a01:203", ["10.1.2.3"]),
        ("::a01:203", ["10.1.2.3"]),
        # Teredo: the relay server, then the client (stored inverted)
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"]),
        ("2a00:1450:4001:80b::200e", []),
        ("64:ff9b:2::a01:203", []),
    ],
)
def test_the_ipv4_address_an_ipv6_address_carries(address: str, carried: list[str]) -> None:
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert [str(a) for a in found] == carried
    assert not is_public(ipaddress.IPv6Address(address)) or not carried


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Names the resolver answers with the given addresses (others resolve as usual)."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "addresses",
    [
        ["2002:a9fe:a9fe::1"],
        ["64:ff9b::a00:1"],
        ["::ffff:10.0.0.1"],
        ["2001:0:4136:e378:8000:63bf:3fff:fdd2"],
        # an attacker's name may answer a public address and a private one
        ["93.184.216.34", "10.0.0.1"],
        ["2a00:1450:4001:80b::200e", "2002:7f00:1::"],
    ],
)
async def test_every_resolved_address_must_be_public(
    dns: dict[str, list[str]], addresses: list[str]
) -> None:
    dns["hooks.example.org"] = addresses
    with pytest.raises(UnsafeTarget) as refused:
        await resolve("https://hooks.example.org/hook", allow_private=False)
    assert str(refused.value) == "not a public address"


async def test_a_public_ipv6_address_is_accepted(dns: dict[str, list[str]]) -> None:
    target = await resolve("https://[2a00:1450:4001:80b::200e]/hook", allow_private=False)
    assert target.pinned_url == "https://[2a00:1450:4001:80b::200e]:443/hook"
    dns["hooks.example.org"] = ["2a00:1450:4001:80b::200e", "93.184.216.34"]
    target = await resolve("https://hooks.example.org/hook", allow_private=False)
    assert target.address == ipaddress.ip_address("2a00:1450:4001:80b::200e")
    assert target.host_header == "hooks.example.org"
    assert is_public(ipaddress.ip_address("2a00:1450:4001:80b::200e"))
    assert is_public(ipaddress.ip_address("93.184.216.34"))


async def test_a_name_that_does_not_resolve_says_only_that(dns: dict[str, list[str]]) -> None:
    dns["empty.example.org"] = []
    for url in (
        "https://no-such-host.invalid/hook",
        "https://empty.example.org/hook",
        "https://a..example.org/hook",  # IDNA cannot encode an empty label
        f"https://{'a' * 64}.example.org/hook",  # nor one over 63 characters
    ):
        with pytest.raises(UnsafeTarget) as refused:
            await resolve(url, allow_private=False)
        # No resolver error text ("Name or service not known", "[Errno -2]", ...).
        assert str(refused.value) == "not a public address"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/hook", "must start with https://"),
        ("ftp://93.184.216.34/hook", "must start with https://"),
        ("https://user:pw@93.184.216.34/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://93.184.216.34:99999/hook", "not a valid URL"),
        ("https://93.184.216.34/hook#frag", "fragment"),
    ],
)
async def test_malformed_or_insecure_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeTarget, match=message):
        await resolve(url, allow_private=False)


async def test_a_public_address_is_accepted_and_pinned() -> None:
    target = await resolve("https://93.184.216.34:8443/hook?x=1", allow_private=False)
    assert target.pinned_url == "https://93.184.216.34:8443/hook?x=1"
    assert target.host_header == "93.184.216.34:8443"


async def test_the_api_refuses_private_targets_without_the_setting(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    world = await kit.make_world(
        databases, small_demo_url, make_settings, webhooks_allow_private_targets=False
    )
    try:
        run = kit.runner(world)
        for url, why in [
            ("https://127.0.0.1:9/hook", "not a public address"),
            ("https://169.254.169.254/", "not a public address"),
            ("https://[2002:a9fe:a9fe::]/", "not a public address"),
            ("https://localhost/", "not a public address"),
            ("https://no-such-host.invalid/", "not a public address"),
            ("https://a..example.org/", "not a public address"),  # not IDNA
            ("http://93.184.216.34/hook", "the URL must start with https://"),
        ]:
            payload = (
                await run(
                    kit.SUBSCRIBE,
                    {"input": {"url": url, "eventTypes": ["project.created"]}},
                    principal=kit.admin(),
                )
            )["data"]["createWebhookSubscription"]
            assert payload["subscription"] is None
            [error] = payload["errors"]
            assert (error["field"], error["code"]) == ("url", "INVALID")
            assert error["message"] == why
    finally:
        await world.engine.dispose()


async def test_deliveries_recheck_the_address(
    databases: Any, small_demo_url: str, make_settings: Any, receiver: Any, kit: Any
) -> None:
    from bocage.core.db import create_engine, sessionmaker

    # Subscribed while the development setting was on...
    world = await kit.make_world(databases, small_demo_url, make_settings)
    secure = receiver.url.replace("http://", "https://")
    await kit.subscribe(kit.runner(world), secure, ["project.created"])
    await world.engine.dispose()
    # ... then the server runs without it: the loopback target is refused at delivery time.
    world.settings = make_settings(
        world.url, **{**kit.FAST, "webhooks_allow_private_targets": False}
    )
    world.engine = create_engine(world.settings)
    world.sessionmaker = sessionmaker(world.engine)
    try:
        async with kit.running_worker(world):
            await kit.create_project(kit.runner(world), world, "Refused")

            async def failed() -> bool:
                return [d.status for d in await world.deliveries()] == ["failed"]

            await kit.wait_for(failed)
        assert receiver.requests == []
        [delivery] = await world.deliveries()
        assert delivery.last_error == "refused: not a public address"
        assert delivery.last_status_code is None
    finally:
        await world.engine.dispose()


async def test_redirects_are_not_followed(
    hooks: Any, gql_as: Any, receiver: Any, worker: Any, kit: Any
) -> None:
    receiver.answer = lambda request: 302
    await kit.subscribe(gql_as, receiver.url, ["project.created"])
    await kit.create_project(gql_as, hooks, "Redirected")

    async def failed() -> bool:
        return [d.status for d in await hooks.deliveries()] == ["failed"]

    await kit.wait_for(failed)
    [delivery] = await hooks.deliveries()
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == hooks.settings.webhooks_max_attempts  # never elsewhere
