"""The test kit for plugin authors (``bocage.core.testing``): loaded through its entry point,
named apart from the suite's fixtures, documented, and working (this suite runs on it; these
tests cover what the suite's own tests do not reach)."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path
from typing import Any

import pytest

from bocage.core import testing

ROOT = Path(__file__).resolve().parents[2]


def fixtures_defined_in(path: Path) -> set[str]:
    """Names of the fixtures a module defines (functions decorated with ``*.fixture``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if isinstance(target, ast.Attribute | ast.Name) and "fixture" in ast.unparse(target):
                names.add(node.name)
    return names


KIT_FIXTURES = fixtures_defined_in(ROOT / "core" / "testing.py")


def test_the_kit_is_a_pytest_plugin_of_the_distribution(pytestconfig: pytest.Config) -> None:
    points = importlib.metadata.entry_points(group="pytest11")
    assert [p.value for p in points if p.name == "bocage"] == ["bocage.core.testing"]
    assert pytestconfig.pluginmanager.get_plugin("bocage") is testing


def test_kit_fixtures_are_prefixed_and_never_collide_with_the_suites() -> None:
    assert len(KIT_FIXTURES) >= 15
    assert all(name.startswith("bocage_") for name in KIT_FIXTURES), KIT_FIXTURES
    for conftest in ROOT.joinpath("tests").rglob("conftest.py"):
        clash = fixtures_defined_in(conftest) & KIT_FIXTURES
        assert not clash, f"{conftest} redefines the kit's {sorted(clash)}"


def test_every_kit_fixture_is_documented() -> None:
    text = (ROOT / "docs" / "testing-plugins.md").read_text()
    missing = sorted(name for name in KIT_FIXTURES if f"`{name}`" not in text)
    assert not missing, f"document these fixtures in docs/testing-plugins.md: {missing}"


async def test_gql_returns_data_raises_on_errors_or_returns_them(
    bocage_gql: testing.GraphQL,
) -> None:
    data = await bocage_gql('{ commune(nisCode: "64034") { name } }')
    assert data == {"commune": {"name": "Hannut"}}
    with pytest.raises(testing.GraphQLErrors) as raised:
        await bocage_gql("{ commune { nope } }")
    assert raised.value.errors and "nope" in str(raised.value)
    errors = await bocage_gql("{ commune { nope } }", errors=True)
    assert errors == raised.value.errors
    assert await bocage_gql("{ __typename }", errors=True) == []


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.admin,
        lambda p: p.editor("92003"),
        lambda p: p.member(1, 2),
        lambda p: p.integrator("projects:write", communes=["64034"]),
        lambda p: p.person("citizen-7"),
    ],
)
async def test_each_principal_has_a_token_the_app_accepts(
    bocage_app: Any, bocage_principals: testing.Principals, bocage_token: Any, make: Any
) -> None:
    principal = make(bocage_principals)
    header = await bocage_token(principal)
    assert header.startswith("Bearer ")
    assert await bocage_app.state.authenticator.authorization(header) == principal
    assert await bocage_token(bocage_principals.anonymous) is None


async def test_a_token_acts_with_its_principals_rights(
    bocage_gql: testing.GraphQL, bocage_principals: testing.Principals
) -> None:
    audit = "{ auditTrail(first: 1) { totalCount } }"
    assert await bocage_gql(audit, principal=bocage_principals.admin)
    refused = await bocage_gql(audit, principal=bocage_principals.editor(), errors=True)
    assert refused and refused[0]["extensions"]["code"] == "FORBIDDEN"


async def test_jobs_drain_and_mail_reaches_the_smtp_sink(
    bocage_smtp: testing.SmtpSink, bocage_databases: testing.Databases, bocage_small_demo_url: str
) -> None:
    from bocage.core.api import enqueue_email

    url = await bocage_databases.clone(bocage_small_demo_url)
    world = testing.World.open(url, testing.settings_for(url, **bocage_smtp.settings))
    try:
        async with world.sessionmaker() as session, session.begin():
            await enqueue_email(session, to="anne@example.org", subject="Bonjour", text="Salut")
        await world.drain_jobs()
    finally:
        await world.close()
    [message] = bocage_smtp.messages()
    assert message["To"] == "anne@example.org" and message["Subject"] == "Bonjour"


async def test_the_webhook_receiver_records_what_it_is_sent(
    bocage_webhooks: testing.WebhookReceiver,
) -> None:
    import httpx

    bocage_webhooks.answer = lambda request: 503
    async with httpx.AsyncClient() as client:
        response = await client.post(bocage_webhooks.url, json={"type": "x.created"})
    assert response.status_code == 503
    assert bocage_webhooks.events() == [{"type": "x.created"}]
