"""`bocage check --deploy` refuses the development key of the digests' links and warns about a
base URL on this machine (the links would reach no one)."""

from __future__ import annotations

import pytest

from bocage.core.deploy_check import deploy_findings
from bocage.core.host import PluginHost
from bocage.core.testing import settings_for


def _voice_findings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, tuple[str, str]]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = settings_for("sqlite+aiosqlite:///:memory:")
    return {
        f.id: (f.level, f.message)
        for f in deploy_findings(settings, PluginHost(settings))
        if f.id.startswith("voice.")
    }


def test_the_signing_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    found = _voice_findings(monkeypatch)
    assert found["voice.signing_key"][0] == "error"
    assert "BOCAGE_VOICE_SIGNING_KEY" in found["voice.signing_key"][1]
    assert found["voice.base_url"][0] == "warning"
    short = _voice_findings(
        monkeypatch, BOCAGE_VOICE_SIGNING_KEY="x" * 31, BOCAGE_VOICE_BASE_URL="https://api.gal.be"
    )
    assert set(short) == {"voice.signing_key"}
    assert _voice_findings(monkeypatch, BOCAGE_VOICE_SIGNING_KEY="x" * 32) == {}
