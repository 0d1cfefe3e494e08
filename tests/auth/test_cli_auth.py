"""``bocage clients``, ``bocage token`` and ``bocage keys`` against a real database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bocage.core.app import create_app
from bocage.core.auth.models import OAuthClient
from bocage.core.auth.principal import PrincipalKind, Role
from bocage.core.auth.secrets import verify_secret
from bocage.core.host import PluginHost


async def test_clients_create_list_revoke(
    cli: Any, empty_database_url: str, make_settings: Any
) -> None:
    # Scopes are the permissions the core and the plugins declare.
    known = sorted(p.code for p in PluginHost(make_settings(empty_database_url)).permissions())
    assert "projects:write" in known
    scope = "projects:write"
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    unknown = cli("clients", "create", "--name", "X", "--scope", "nope:nope", env=env)
    assert unknown.returncode == 2
    assert "unknown scope nope:nope" in unknown.stderr
    assert all(code in unknown.stderr for code in known)  # the known ones are listed

    created = cli(
        "clients", "create", "--name", "Hannut PST", "--scope", scope,
        "--commune", "64034", env=env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    client_id = re.search(r"client_id: (\S+)", created.stdout)[1]  # type: ignore[index]
    secret = re.search(r"client_secret: (\S+)", created.stdout)[1]  # type: ignore[index]
    assert "cannot be shown again" in created.stderr

    listed = cli("clients", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert client_id in listed.stdout and secret not in listed.stdout

    app = create_app(make_settings(empty_database_url))
    async with app.router.lifespan_context(app):
        async with app.state.sessionmaker() as session:
            query = select(OAuthClient).where(OAuthClient.client_id == client_id)
            row = await session.scalar(query)
        assert row is not None and row.name == "Hannut PST"
        assert secret not in row.secret_hash and row.secret_hash.startswith("scrypt$")
        assert verify_secret(secret, row.secret_hash)
        assert row.scopes == [scope] and row.communes == ["64034"]

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            form = {"grant_type": "client_credentials"}
            ok = await http.post("/oauth/token", data=form, auth=(client_id, secret))
            assert ok.status_code == 200, ok.text
            principal = await app.state.authenticator.verify(ok.json()["access_token"])
            assert principal.communes == {"64034"} and principal.scopes == {scope}

            assert cli("clients", "revoke", client_id, env=env).returncode == 0
            refused = await http.post("/oauth/token", data=form, auth=(client_id, secret))
            assert refused.status_code == 401

    again = cli("clients", "revoke", client_id, env=env)
    assert again.returncode == 1 and "no active client" in again.stderr


async def test_token_and_keys_rotate(cli: Any, empty_database_url: str, make_settings: Any) -> None:
    env = {"BOCAGE_DATABASE_URL": empty_database_url}
    args = (
        "token", "--role", "commune_editor", "--commune", "64034", "--stakeholder", "3",
        "--subject", "ana@hannut.be", "--ttl", "600",
    )  # fmt: skip
    # A database no server ever ran on (`bocage token` in another folder, say): refused, it
    # says which database it read and what to do, and it creates nothing.
    refused = cli(*args, env=env)
    assert refused.returncode == 1 and refused.stdout == ""
    assert "is not a Bocage database" in refused.stderr and "--create" in refused.stderr
    if empty_database_url.startswith("sqlite"):
        path = empty_database_url.split("///", 1)[1]
        assert path in refused.stderr.replace("\n", "")
        assert not Path(path).exists()
    minted = cli(*args, "--create", env=env)
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()
    assert token.count(".") == 2
    assert "signed with key " in minted.stderr and "servers on this database" in minted.stderr
    again = cli(*args, env=env)  # set up now: no --create needed
    assert again.returncode == 0, again.stderr

    rotated = cli("keys", "rotate", "--grace", "300", env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert "300 more seconds" in rotated.stderr
    listed = cli("keys", "list", env=env)
    assert listed.returncode == 0 and "signing" in listed.stdout

    app = create_app(make_settings(empty_database_url))
    async with app.router.lifespan_context(app):
        principal = await app.state.authenticator.verify(token)  # still in its key's grace
    assert principal.kind is PrincipalKind.PERSON
    assert principal.subject == "ana@hannut.be"
    assert principal.roles == {Role.COMMUNE_EDITOR}
    assert principal.communes == {"64034"} and principal.stakeholders == {3}

    production = {**env, "BOCAGE_ENVIRONMENT": "production"}
    refused = cli("token", "--role", "territory_admin", env=production)
    assert refused.returncode == 1 and "production" in refused.stderr
    assert refused.stdout == ""
    forced = cli("token", "--role", "territory_admin", "--force", env=production)
    assert forced.returncode == 0 and forced.stdout.count(".") == 2
