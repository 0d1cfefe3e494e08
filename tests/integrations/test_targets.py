"""SSRF protection: webhooks go to public addresses only, over https, and follow no redirect,
unless the development setting allows loopback and private targets."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from bocage.core.webhooks.targets import UnsafeTarget, refusal, resolve

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.8.9.10:8443/hook", "loopback"),
    ("https://localhost/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.1.2.3/hook", "private"),
    ("https://172.16.0.1/hook", "private"),
    ("https://192.168.1.20/hook", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://[fd00::1]/hook", "private"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://100.64.0.1/hook", "not a public address"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
async def test_non_public_addresses_are_refused(url: str, why: str) -> None:
    with pytest.raises(UnsafeTarget, match=why):
        await resolve(url, allow_private=False)
    # The development setting lets them through.
    target = await resolve(url, allow_private=True)
    assert target.scheme == "https"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/hook", "must start with https://"),
        ("ftp://93.184.216.34/hook", "must start with https://"),
        ("https://user:pw@93.184.216.34/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://93.184.216.34:99999/hook", "not a valid URL"),
        ("https://93.184.216.34/hook#frag", "fragment"),
        ("https://no-such-host.invalid/hook", "cannot resolve"),
    ],
)
async def test_malformed_or_insecure_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(UnsafeTarget, match=message):
        await resolve(url, allow_private=False)


async def test_a_public_address_is_accepted_and_pinned() -> None:
    target = await resolve("https://93.184.216.34:8443/hook?x=1", allow_private=False)
    assert target.pinned_url == "https://93.184.216.34:8443/hook?x=1"
    assert target.host_header == "93.184.216.34:8443"
    assert refusal(ipaddress.ip_address("2a00:1450:4001:80b::200e")) is None


async def test_the_api_refuses_private_targets_without_the_setting(
    databases: Any, small_demo_url: str, make_settings: Any, kit: Any
) -> None:
    world = await kit.make_world(
        databases, small_demo_url, make_settings, webhooks_allow_private_targets=False
    )
    try:
        run = kit.runner(world)
        for url, why in [
            ("https://127.0.0.1:9/hook", "127.0.0.1 is a loopback address"),
            ("https://169.254.169.254/", "169.254.169.254 is a link-local address"),
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
            assert why in error["message"]
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
        assert delivery.last_error.startswith("refused: 127.0.0.1 is a loopback address")
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
