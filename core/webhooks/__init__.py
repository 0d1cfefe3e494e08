"""Webhooks: subscribers receive the events they may read, signed with Standard Webhooks.

- :mod:`.relay` turns new rows of the event log (the transactional outbox) into one delivery
  job per matching subscription;
- :mod:`.delivery` sends one delivery (the ``webhook.deliver`` job) and logs every attempt;
- :mod:`.targets` refuses URLs that lead to loopback, private or other non-public addresses;
- :mod:`.graphql` is the API subscribers manage their subscriptions with.

Signing follows https://www.standardwebhooks.com: ``webhook-id`` (the event's id: receivers
de-duplicate on it), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``, a
space-separated list of ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, one per
valid secret (two during a secret rotation). Secrets are ``whsec_<base64 of 32 random bytes>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bocage.core.errors import PluginError
from bocage.core.hookspecs import Permission, WebhookEventType

if TYPE_CHECKING:
    from bocage.core.host_protocol import Host

SECRET_PREFIX = "whsec_"

#: Subscribe endpoints to events (administrators hold it; integrator clients as a scope).
WEBHOOKS_MANAGE = Permission(
    "webhooks:manage", "Subscribe HTTPS endpoints to events and inspect their deliveries."
)

_ACTIONS = ("created", "updated", "archived")
_CORE_OBJECTS = {
    "project": "A project",
    "indicator": "A project's indicator",
    "stakeholder": "An organisation (stakeholder)",
    "commune": "A commune",
    "strategicplan": "A commune's strategic plan (PST)",
    "strategicobjective": "A strategic objective of a PST",
    "operationalobjective": "An operational objective of a PST",
    "pstaction": "An action of a PST",
}


def core_event_types() -> list[WebhookEventType]:
    """The core's event types (``<object>.<action>``, like the change feed's)."""
    types = [
        WebhookEventType(f"{name}.{action}", f"{what} was {action}.")
        for name, what in _CORE_OBJECTS.items()
        for action in _ACTIONS
    ]
    types += [
        WebhookEventType(f"contact.{action}", f"A contact person was {action}.", "contacts:read")
        for action in _ACTIONS
    ]
    types += [
        WebhookEventType(
            f"webhooksubscription.{action}",
            f"One of your webhook subscriptions was {what} (administrators: anyone's).",
            WEBHOOKS_MANAGE.code,
        )
        for action, what in (
            ("created", "created"),
            ("updated", "changed, paused or resumed"),
            ("secret_rotated", "given a new signing secret"),
            ("deleted", "deleted"),
        )
    ]
    types.append(
        WebhookEventType(
            "contact.erased",
            "A person's contact data was erased (GDPR): one event per contact, to those who "
            "reach the contact's organisation or communes.",
            "personal_data:manage",
        )
    )
    types.append(
        WebhookEventType(
            "person.erased",
            "A person was erased (GDPR), by e-mail address or account: territory-wide "
            "(administrators, integrators restricted to no commune); it never carries the "
            "address or the name.",
            "personal_data:manage",
        )
    )
    types += [
        WebhookEventType(
            f"permissiongrant.{action}",
            f"A permission was {action} to a role (grantPermission, revokePermission).",
            "audit:read",
        )
        for action in ("granted", "revoked")
    ]
    types += [
        WebhookEventType(
            f"media.{action}",
            f"An image or document was {what} an object (those of a draft event reach only "
            "subscribers who may edit it).",
        )
        for action, what in (
            ("added", "attached to"),
            ("updated", "described anew on"),
            ("removed", "removed from"),
        )
    ]
    return types


def event_types(host: Host) -> dict[str, WebhookEventType]:
    """Every event type subscribers may receive, by name; a type declared twice stops startup."""
    found: dict[str, WebhookEventType] = {}
    owners: dict[str, str] = {}
    for plugin, item in host.contributions("bocage_webhook_events"):
        if not isinstance(item, WebhookEventType):
            raise PluginError(
                f"plugin {plugin!r}: bocage_webhook_events returned {item!r}, "
                "not a WebhookEventType"
            )
        if item.type in found:
            raise PluginError(
                f"webhook event type {item.type!r} is declared by both {owners[item.type]!r} "
                f"and {plugin!r}"
            )
        found[item.type] = item
        owners[item.type] = plugin
    return found


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` of ``{id}.{timestamp}.{body}`` with a ``whsec_`` secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: Iterable[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: one signature per secret, space-separated."""
    return " ".join(signature(s, message_id, timestamp, body) for s in secrets_)


__all__ = [
    "WEBHOOKS_MANAGE",
    "core_event_types",
    "event_types",
    "new_secret",
    "signature",
    "signature_header",
]
