"""The open-data plugin's settings, read from ``BOCAGE_OPENDATA_<FIELD>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from bocage.core.api import LIMIT, DeployFinding, PluginSettings

#: The variable of ``max_upload_bytes``, quoted in a ``413``.
MAX_UPLOAD_SETTING = "BOCAGE_OPENDATA_MAX_UPLOAD_BYTES"


class OpendataSettings(PluginSettings):
    # The host reads the same variables (``load_plugin_settings``); the prefix lets the plugin
    # read them itself where no host is at hand (its routes' body limit).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_prefix="BOCAGE_OPENDATA_"
    )

    base_url: str = Field(
        "",
        description="Public base URL of the API, used in DCAT IRIs (e.g. https://api.gal.be); "
        "empty: the URL of each request.",
    )
    publisher_name: str = Field(
        "Groupe d'Action Locale", description="Name of the catalogue's publisher (the GAL)."
    )
    publisher_enterprise_number: str = Field(
        "0000000000",
        pattern=r"^[01]\d{9}$",
        description="The publisher's enterprise number (BCE/KBO, 10 digits), its DCAT IRI.",
    )
    contact_email: str = Field(
        "opendata@example.org", description="The catalogue's contact point (dcat:contactPoint)."
    )
    page_size: int = Field(
        100,
        ge=1,
        le=1000,
        description="Default records per page (`limit` caps at 1000).",
        json_schema_extra=LIMIT,
    )
    catalog_page_size: int = Field(
        50,
        ge=1,
        le=500,
        description="Datasets per page of the DCAT catalogue (Hydra paging).",
        json_schema_extra=LIMIT,
    )
    max_upload_bytes: int = Field(
        50_000_000,
        ge=1,
        description="Largest CSV or XLSX file a commune may upload (bytes; 413 above), "
        "instead of the core's BOCAGE_MAX_BODY_BYTES for the upload route.",
        json_schema_extra=LIMIT,
    )
    shapes_dir: str = Field(
        "",
        description="Folder of DCAT-AP SHACL shape files (*.ttl) checked when a dataset is "
        "published (pyshacl; any sh:Violation refuses it) and in quality reports; empty: the "
        "DCAT-AP 3 shapes shipped with the plugin (EU and Belgian federal portal).",
    )

    @field_validator("shapes_dir")
    @classmethod
    def _has_shapes(cls, value: str) -> str:
        if value and not any(Path(value).glob("*.ttl")):
            raise ValueError(
                f"no SHACL shape file (*.ttl) in {value!r}; leave it empty for the built-in shapes"
            )
        return value


#: Placeholder values of the settings that name the publisher and its contact point.
PLACEHOLDERS = {
    "publisher_name": "BOCAGE_OPENDATA_PUBLISHER_NAME (the GAL's name as harvesters show it)",
    "publisher_enterprise_number": "BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER (its BCE/KBO "
    "number)",
    "contact_email": "BOCAGE_OPENDATA_CONTACT_EMAIL (an address someone reads)",
}


def deploy_findings(settings: OpendataSettings) -> list[DeployFinding]:
    """What ``bocage check --deploy`` reports about the catalogue's settings."""
    found = [
        DeployFinding(
            f"opendata.placeholder_{name}",
            f"the catalogue's {name.replace('_', ' ')} is the placeholder "
            f"{getattr(settings, name)!r}: set {fix}; harvesters (data.gov.be, "
            "data.europa.eu) publish it",
        )
        for name, fix in PLACEHOLDERS.items()
        if getattr(settings, name) == OpendataSettings.model_fields[name].default
        or str(getattr(settings, name)).endswith(("@example.org", "@example.com"))
    ]
    if not settings.base_url:
        found.append(
            DeployFinding(
                "opendata.base_url",
                "BOCAGE_OPENDATA_BASE_URL is unset: the catalogue's IRIs take the host of each "
                "request, so they change with the proxy and the address used; set the public "
                "URL, e.g. https://api.gal.be",
            )
        )
    elif not settings.base_url.startswith("https://"):
        found.append(
            DeployFinding(
                "opendata.base_url_http",
                f"BOCAGE_OPENDATA_BASE_URL is {settings.base_url!r}: serve it over https://",
                level="warning",
            )
        )
    return found
