"""The signed links of a subscription's e-mails: confirm the address, unsubscribe in one click.

A token is ``<subscription id>.<nonce>.<signature>``, the signature an HMAC-SHA256 of the id
and nonce under ``BOCAGE_VOICE_SIGNING_KEY``: nobody without the key can make one, and a new
subscription's new nonce voids the links of the earlier one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import quote

from bocage.plugins.voice.settings import VoiceSettings

#: Used when ``BOCAGE_VOICE_SIGNING_KEY`` is empty (development; ``bocage check --deploy``
#: reports it).
DEVELOPMENT_KEY = "bocage-voice-development-key-do-not-use-in-production"
UNSUBSCRIBE_PATH = "/api/voice/unsubscribe"
CONFIRM_PATH = "/api/voice/confirm"


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def _key(settings: VoiceSettings) -> bytes:
    return (settings.signing_key or DEVELOPMENT_KEY).encode()


def _signature(settings: VoiceSettings, subscription_id: int, nonce: str) -> str:
    digest = hmac.new(_key(settings), f"{subscription_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token(settings: VoiceSettings, subscription_id: int, nonce: str) -> str:
    return f"{subscription_id}.{nonce}.{_signature(settings, subscription_id, nonce)}"


def read(settings: VoiceSettings, value: str) -> tuple[int, str] | None:
    """The subscription id and nonce a well-signed token names, else ``None``."""
    parts = value.strip().split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 18:
        return None
    subscription_id, nonce, signature = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(signature, _signature(settings, subscription_id, nonce)):
        return None
    return subscription_id, nonce


def unsubscribe_url(settings: VoiceSettings, value: str) -> str:
    return f"{settings.base_url}{UNSUBSCRIBE_PATH}?token={quote(value)}"


def confirm_url(settings: VoiceSettings, value: str) -> str:
    return f"{settings.base_url}{CONFIRM_PATH}?token={quote(value)}"


def list_unsubscribe_headers(settings: VoiceSettings, value: str) -> dict[str, str]:
    """RFC 2369's ``List-Unsubscribe`` and RFC 8058's one-click ``List-Unsubscribe-Post``."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(settings, value)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
