"""The open-data plugin's settings, read from ``BOCAGE_OPENDATA_<FIELD>``."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from bocage.core.api import LIMIT, DeployFinding, Host, PluginSettings

#: The variable of ``max_upload_bytes``, quoted in a ``413``.
MAX_UPLOAD_SETTING = "BOCAGE_OPENDATA_MAX_UPLOAD_BYTES"
#: The base of IRIs when ``BOCAGE_OPENDATA_BASE_URL`` is not set: fixed, never the request's
#: Host (two host names would give every dataset two IRIs, and harvesters two datasets).
DEFAULT_BASE_URL = "http://localhost:8000"
#: Defaults that publish a placeholder in every DCAT document: setting -> variable.
PLACEHOLDERS = {
    "base_url": "BOCAGE_OPENDATA_BASE_URL",
    "publisher_enterprise_number": "BOCAGE_OPENDATA_PUBLISHER_ENTERPRISE_NUMBER",
    "contact_email": "BOCAGE_OPENDATA_CONTACT_EMAIL",
}


class OpendataSettings(PluginSettings):
    # The host reads the same variables (``load_plugin_settings``); the prefix lets the plugin
    # read them itself where no host is at hand (its routes' body limit).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", env_prefix="BOCAGE_OPENDATA_"
    )

    base_url: str = Field(
        "",
        description="Public base URL of the API (e.g. https://api.gal.be): the base of every "
        "DCAT IRI and link, whatever Host a request names; empty: "
        f"{DEFAULT_BASE_URL} (where `bocage serve` answers), with a warning at startup.",
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
    # -- the records API's bounds (each a 400 naming its parameter and the setting) --------
    max_filters: int = Field(
        30,
        ge=1,
        description="Field conditions a records query may hold, OR groups included.",
        json_schema_extra=LIMIT,
    )
    max_filter_values: int = Field(
        100,
        ge=1,
        description="Values of one `__in` list of a records query.",
        json_schema_extra=LIMIT,
    )
    max_order_keys: int = Field(
        3, ge=1, description="Sort keys of a records query (`order=-a,b`).", json_schema_extra=LIMIT
    )
    max_search_chars: int = Field(
        200,
        ge=1,
        description="Characters of a records query's full-text search (`q`).",
        json_schema_extra=LIMIT,
    )
    max_search_terms: int = Field(
        10,
        ge=1,
        description="Words or quoted phrases of a records query's full-text search (`q`).",
        json_schema_extra=LIMIT,
    )
    max_group_by: int = Field(
        3,
        ge=1,
        description="Fields a records query may group by (`group_by`).",
        json_schema_extra=LIMIT,
    )
    max_aggregates: int = Field(
        10,
        ge=1,
        description="Aggregates of a grouped records query (`aggregate`).",
        json_schema_extra=LIMIT,
    )
    max_facets: int = Field(
        5, ge=1, description="Facets of a records query (`facet`).", json_schema_extra=LIMIT
    )
    max_facet_values: int = Field(
        100,
        ge=1,
        description="Values a records facet may list (`facet_size`; 10 when not given).",
        json_schema_extra=LIMIT,
    )
    max_distance_metres: int = Field(
        100_000,
        ge=1,
        description="Radius of a records query's distance filter (`near`), in metres.",
        json_schema_extra=LIMIT,
    )
    xlsx_max_rows: int = Field(
        1_048_575,
        ge=1,
        le=1_048_575,
        description="Records an XLSX export may hold: Excel's sheet has 1,048,576 rows, one "
        "of them the header (400 above: CSV or Parquet, or filters, hold more).",
        json_schema_extra=LIMIT,
    )
    export_processes: int = Field(
        2,
        ge=0,
        description="Processes that read SQLite for Parquet, NDJSON, JSON and CSV exports "
        "(ADBC's SQLite driver, never loaded by the server), two at most for one export, at "
        "most this many per server process; an export finding none free, or 0, is read by "
        "the server (slower).",
        json_schema_extra=LIMIT,
    )
    export_readers: int = Field(
        2,
        ge=1,
        le=16,
        description="SQLite: readers of one whole-dataset CSV, NDJSON or JSON export side "
        "by side (ranges of the dataset's key, on one snapshot): a worker thread, and reader "
        "processes kept for the next export (about 130 MB each), so an export uses that many "
        "cores; 1: one reader, no process.",
        json_schema_extra=LIMIT,
    )
    shapes_dir: str = Field(
        "",
        description="Folder of DCAT-AP SHACL shape files (*.ttl) checked when a dataset is "
        "published (pyshacl; any sh:Violation refuses it) and in quality reports; empty: the "
        "DCAT-AP 3 shapes shipped with the plugin (EU and Belgian federal portal).",
    )

    @property
    def public_base(self) -> str:
        """The base of the catalogue's IRIs and links, without a trailing slash."""
        return (self.base_url or DEFAULT_BASE_URL).rstrip("/")

    def placeholders(self) -> list[str]:
        """The variables still at a placeholder default that DCAT documents publish."""
        return [
            variable
            for name, variable in PLACEHOLDERS.items()
            if getattr(self, name) == type(self).model_fields[name].default
        ]

    def fingerprint(self) -> str:
        """What of these settings DCAT documents and dataset metadata show (their ETags)."""
        return "\x1f".join(
            (
                self.public_base,
                self.publisher_name,
                self.publisher_enterprise_number,
                self.contact_email,
            )
        )

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/?#\s]+(/[^?#\s]*)?$", value):
            raise ValueError(
                f"{value!r}: an absolute http(s) URL with no query or fragment, "
                "e.g. https://api.gal.be"
            )
        return value

    @field_validator("shapes_dir")
    @classmethod
    def _has_shapes(cls, value: str) -> str:
        if value and not any(Path(value).glob("*.ttl")):
            raise ValueError(
                f"no SHACL shape file (*.ttl) in {value!r}; leave it empty for the built-in shapes"
            )
        return value


def opendata_settings(host: Host) -> OpendataSettings:
    """The plugin's settings, as the host loaded them from :class:`OpendataSettings`."""
    settings = host.plugin_settings("opendata")
    if not isinstance(settings, OpendataSettings):
        raise TypeError(f"the opendata plugin's settings are a {type(settings).__name__}")
    return settings


#: Placeholder values of the settings that name the publisher and its contact point.
#: What `bocage check --deploy` reports still at a placeholder, and how to fix it.
DEPLOY_PLACEHOLDERS = {
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
        for name, fix in DEPLOY_PLACEHOLDERS.items()
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
