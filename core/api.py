"""The public API for plugin authors: import from here, and only from here.

Everything else in ``bocage.core`` is private and may change without notice. See
``docs/plugins.md`` for the hooks and a walkthrough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bocage.core.auth.policy import (
    can,
    commune_scope,
    may_touch_communes,
    may_touch_territory,
    territory_scope,
)
from bocage.core.auth.principal import ANONYMOUS, Principal, PrincipalKind, Role
from bocage.core.auth.tokens import AuthenticationError, request_principal
from bocage.core.cache_control import (
    conditional_get,
    etag_matches,
    not_modified,
    private_caching,
    public_caching,
)
from bocage.core.cancellation import Cancellation, ClientDisconnected, cancel_on_disconnect
from bocage.core.datasets import IDENTIFIER as DATASET_IDENTIFIER
from bocage.core.datasets import (
    AccessRights,
    Dataset,
    DatasetField,
    FieldType,
    Frequency,
    Licence,
    Publisher,
    Snapshot,
    Theme,
    sql_global_id,
)
from bocage.core.db import (
    Base,
    SoftDeletable,
    Timestamped,
    Versioned,
    as_utc,
    personal,
    utcnow,
)
from bocage.core.domain.changes import Change, archive, check_version, column_changes, record_link
from bocage.core.domain.errors import Code, Invalid
from bocage.core.domain.places import (
    LocatedTable,
    Near,
    PlaceLimits,
    check_geometry,
    geometry_wkt,
    parse_numbers,
    wkt_summary,
)
from bocage.core.domain.rules import check_texts
from bocage.core.domain.work import AfterCommit, EventSink, Outcome, UnitOfWork, record_change
from bocage.core.errors import PluginError

# The citizens' voice (bocage_discussion_targets) and the public change feed its digests read.
from bocage.core.events import (
    PublicEvent,
    announce,
    event_for,
    global_id,
    last_event_sequence,
    public_events,
    record_event,
)
from bocage.core.graphql.compiler.build import PARENT, Build, Level, NotCompilable, Selection
from bocage.core.graphql.compiler.spec import (
    Column,
    CompiledReads,
    Custom,
    Embed,
    NodeId,
    Page,
    RootList,
    RootOne,
    RootRows,
    Text,
    ToMany,
    ToOne,
    TypeSpec,
    translated_spec,
)
from bocage.core.graphql.compiler.spec import Translations as TranslationsSpec
from bocage.core.graphql.compiler.sqljson import JsonSQL
from bocage.core.graphql.compiler.sqljson import cat as sql_concat
from bocage.core.graphql.context import Context
from bocage.core.graphql.errors import BadInput, BocageError, NotFound
from bocage.core.graphql.i18n import (
    Language,
    NodesLanguage,
    Translations,
    remember_language,
    translated,
)
from bocage.core.graphql.i18n import pick as pick_text
from bocage.core.graphql.limits import cost
from bocage.core.graphql.media import Media as MediaType
from bocage.core.graphql.media import MediaRole, media_of
from bocage.core.graphql.mutations.kit import (
    TranslationsInput,
    error_codes,
    mutate,
    node_key,
    unit_of_work,
)
from bocage.core.graphql.mutations.kit import translations as input_texts
from bocage.core.graphql.nodes import RowType, decode_id, load_children, load_one, row_key
from bocage.core.graphql.pagination import (
    Before,
    Connection,
    Edge,
    Last,
    Ordering,
    PageInfo,
    SortKey,
    load_date,
    load_datetime,
    paginate,
    paginate_field,
)
from bocage.core.graphql.places import (
    BoundingBoxInput,
    GeoJSON,
    Location,
    NearInput,
    geocode_address,
    located_columns,
    location_of,
    location_spec,
    place_filters,
)

# The core's GraphQL types, for plugin fields that return them (models keep the plain names).
from bocage.core.graphql.types import Commune as CommuneType
from bocage.core.graphql.types import Project as ProjectType
from bocage.core.graphql.types import Stakeholder as StakeholderType
from bocage.core.graphql.types import Territory as TerritoryType
from bocage.core.hookspecs import (
    CONTRACT_VERSION,
    CommuneFollower,
    CommuneMove,
    DeployFinding,
    DiscussionState,
    DiscussionTarget,
    DomainEvent,
    EventScope,
    Geocoder,
    JobContext,
    JobKind,
    MediaOwner,
    MediaStorage,
    Permission,
    PersonalData,
    PersonIdentity,
    Recipient,
    RecipientSource,
    RestRoute,
    Seeder,
    SeedOptions,
    SeedRefused,
    WebhookEventType,
    hookimpl,
)
from bocage.core.host_protocol import Host, PluginInfo, host_of

# Importing it registers the ``{name:rowkey}`` convertor of REST paths.
from bocage.core.http import RowKeyConvertor
from bocage.core.jobs import enqueue_job
from bocage.core.mail import Attachment as EmailAttachment
from bocage.core.mail import enqueue_email
from bocage.core.media.publication import media_dataset

# The core's rows: plugins reference and read them; seeders (the demo plugin) write them too.
from bocage.core.models import (
    Commune,
    Contact,
    Indicator,
    IndicatorValue,
    Located,
    OperationalObjective,
    Project,
    ProjectFocus,
    ProjectStakeholder,
    ProjectStatus,
    PstAction,
    Stakeholder,
    StakeholderKind,
    StakeholderNeed,
    StakeholderRole,
    StrategicObjective,
    StrategicPlan,
    Territory,
    project_commune,
    project_pst_action,
    stakeholder_commune,
)
from bocage.core.nul import nul_at, nul_message
from bocage.core.reference import setup_territory
from bocage.core.rest_errors import error_response, signed_in
from bocage.core.settings import LANGUAGES, LIMIT, PluginSettings, Settings
from bocage.core.spreadsheets import (
    CsvDialect,
    CsvWriter,
    SpreadsheetError,
    SpreadsheetLimitError,
    SpreadsheetLimits,
    check_spreadsheet,
    csv_cell,
    read_csv,
    xlsx_append,
    xlsx_cell,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from starlette.requests import Request


async def create_project(
    session: AsyncSession,
    principal: Principal,
    *,
    title: dict[str, str],
    focus: str,
    communes: list[str],
    status: str = "idea",
    summary: dict[str, str] | None = None,
    description: dict[str, str] | None = None,
    themes: list[str] | None = None,
    sdgs: list[int] | None = None,
    sdg_targets: list[str] | None = None,
) -> Project:
    """Create a core project in the caller's transaction (``session``), as ``createProject``
    would: same validation, same rules (permission ``projects:write``, the caller's communes),
    and its audit entry. ``communes`` are Commune global IDs; ``focus`` is ``collaboration``
    (green) or ``digital`` (blue); ``status`` a project status (``idea``, ``in_progress``...);
    ``sdgs`` the UN goals it serves (1 to 17) and ``sdg_targets`` its targets' official codes
    (``"11.3"``, ``"1.a"``), whose goals join ``sdgs`` (docs/sdgs.md).

    Raises :class:`Invalid` (fields named as in ``createProject``'s input) for anything the
    caller can fix. The audit entry and the ``project.created`` event are recorded in your
    transaction (:func:`record_change`): open it as a :class:`UnitOfWork` (``work.session``)
    and plugins hear of the event once it commits.
    """
    from bocage.core.domain import projects
    from bocage.core.domain.permissions import PROJECTS_WRITE
    from bocage.core.models import ProjectFocus, ProjectStatus

    if principal.is_anonymous:
        raise Invalid(Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token")
    if not can(principal, PROJECTS_WRITE.code):
        raise Invalid(
            Code.FORBIDDEN, f"creating a project needs the {PROJECTS_WRITE.code} permission"
        )
    try:
        focus_value = ProjectFocus(focus)
    except ValueError:
        raise Invalid(
            Code.INVALID, f"focus {focus!r} is not collaboration or digital", "focus"
        ) from None
    try:
        status_value = ProjectStatus(status)
    except ValueError:
        raise Invalid(
            Code.INVALID, f"status {status!r} is not a project status", "status"
        ) from None
    new = projects.NewProject(
        title=_texts(title),
        focus=focus_value,
        communes=list(communes),
        status=status_value,
        summary=_texts(summary) or None,
        description=_texts(description) or None,
        themes=list(themes or []),
        sdgs=list(sdgs or []),
        sdg_targets=list(sdg_targets or []),
    )
    done = await projects.create_project(session, principal, new)
    await record_change(session, principal, done, permission=PROJECTS_WRITE)
    await session.flush()
    project: Project = done.row
    return project


def _texts(values: dict[str, str] | None) -> dict[str, str]:
    """A multilingual text as a client sends it: languages of the territory, blanks dropped."""
    from bocage.core.settings import LANGUAGES

    given = values or {}
    for lang in given:
        if lang not in LANGUAGES:
            raise TypeError(f"unexpected language {lang!r}: use {', '.join(LANGUAGES)}")
    return {lang: text.strip() for lang in LANGUAGES if (text := given.get(lang)) and text.strip()}


def request_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    """The application's session factory, for REST handlers: ``async with f() as session``."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    return factory


def request_unit_of_work(request: Request, principal: Principal) -> UnitOfWork:
    """The unit of work of a REST request made by ``principal``: the application's session
    factory, and the plugins hear of its events once it commits."""
    return UnitOfWork(request_sessionmaker(request), principal, events=request.app.state.host)


def holds_territories(principal: Principal, permission: str) -> frozenset[int] | None:
    """The territories whose rows of no commune (a territory's own event, survey, dataset...)
    ``principal`` may change with ``permission``: ``None`` for every territory's (it holds the
    permission everywhere and is not confined); once it is confined (docs/tenancy.md), its
    territories when it holds the permission over all their communes (an administrator, an
    integrator restricted to no commune), else none (an editor of some communes)."""
    if not can(principal, permission):
        return frozenset()
    if principal.tenancy is None:
        return None if commune_scope(principal, permission) is None else frozenset()
    everywhere = principal.is_admin or (
        Role.INTEGRATOR in principal.roles and not principal.communes
    )
    return principal.tenancy if everywhere else frozenset()


def territory_of_new_row(
    principal: Principal, given: int | None, field: str = "territory"
) -> int | None:
    """The territory (key) a new row of no commune made by ``principal`` belongs to: the one
    it ``given`` (refused, FORBIDDEN, when it is not one of the principal's), else the only
    territory it is confined to; ``None`` when it is not confined and gave none (the caller
    chooses, e.g. the installation's only territory). Raises :class:`Invalid` naming
    ``field``: REQUIRED when it is confined to several territories and gave none, FORBIDDEN
    when it is confined to none."""
    if given is not None:
        if not may_touch_territory(principal, given):
            raise Invalid(
                Code.FORBIDDEN,
                f"{field}: this territory is not one of yours; give one of your territories",
                field,
            )
        return given
    tenancy = principal.tenancy
    if tenancy is None:
        return None
    if len(tenancy) == 1:
        return next(iter(tenancy))
    if not tenancy:
        raise Invalid(
            Code.FORBIDDEN,
            "you belong to no territory (your token names none): ask an operator",
            field,
        )
    raise Invalid(
        Code.REQUIRED,
        f"you work for several territories: give `{field}` (a Territory ID), or a commune",
        field,
    )


def spreadsheet_limits(request: Request) -> SpreadsheetLimits:
    """The ``BOCAGE_SPREADSHEET_*`` bounds on the spreadsheets a route reads: pass them to
    :func:`check_spreadsheet` (and :func:`read_csv`) before any other parser opens a file."""
    return SpreadsheetLimits.of(request.app.state.settings)


__all__ = [
    "CONTRACT_VERSION",
    # the application as a plugin sees it (bocage.core.host_protocol)
    "Host",
    "PluginInfo",
    "Settings",
    "host_of",
    # the open-data catalogue's datasets (bocage_datasets), whoever publishes them
    "AccessRights",
    "DATASET_IDENTIFIER",
    "Dataset",
    "DatasetField",
    "FieldType",
    "Frequency",
    "Licence",
    "Publisher",
    "Snapshot",
    "Theme",
    # a dataset's column holding an object's GraphQL ID; the core's dataset of public media
    "sql_global_id",
    "media_dataset",
    # the core's GraphQL types, for a plugin's field that returns one (load_one(info, T, key))
    "CommuneType",
    "ProjectType",
    "StakeholderType",
    "TerritoryType",
    # small helpers: time, global IDs, multilingual texts
    "LANGUAGES",
    "as_utc",
    "check_texts",
    "global_id",
    "input_texts",
    "pick_text",
    "utcnow",
    "PARENT",
    "Build",
    "Column",
    "CompiledReads",
    "Custom",
    "Embed",
    "Level",
    "NodeId",
    "Page",
    "RootList",
    "RootOne",
    "RootRows",
    "NotCompilable",
    "JsonSQL",
    "sql_concat",
    "Selection",
    "Text",
    "ToMany",
    "ToOne",
    "TranslationsSpec",
    "translated_spec",
    "TypeSpec",
    "Commune",
    "Project",
    "Stakeholder",
    "Territory",
    "CommuneType",
    "ProjectType",
    "StakeholderType",
    "TerritoryType",
    "Indicator",
    "IndicatorValue",
    "PstAction",
    "project_commune",
    "project_pst_action",
    "stakeholder_commune",
    # demo data (seeders): the rest of the core's rows, and a territory from Statbel's communes
    "Contact",
    "OperationalObjective",
    "ProjectFocus",
    "ProjectStakeholder",
    "ProjectStatus",
    "StakeholderKind",
    "StakeholderNeed",
    "StakeholderRole",
    "StrategicObjective",
    "StrategicPlan",
    "setup_territory",
    "SeedRefused",
    "Recipient",
    "RecipientSource",
    "ANONYMOUS",
    "AuthenticationError",
    "request_principal",
    "Change",
    "Code",
    "Invalid",
    "Outcome",
    "Principal",
    "PrincipalKind",
    "Role",
    "TranslationsInput",
    "Versioned",
    "archive",
    "can",
    "check_version",
    "column_changes",
    "record_link",
    "commune_scope",
    "error_codes",
    "load_children",
    "load_one",
    "may_touch_communes",
    "may_touch_territory",
    "territory_scope",
    "holds_territories",
    "territory_of_new_row",
    "mutate",
    # the unit of work (bocage.core.domain.work): one transaction with its permission check,
    # idempotency key, audit entry, events and after-commit callbacks, from any caller
    "AfterCommit",
    "EventSink",
    "UnitOfWork",
    "record_change",
    "request_unit_of_work",
    "unit_of_work",
    "BadInput",
    "Base",
    "BocageError",
    "Connection",
    "Context",
    "DomainEvent",
    "Edge",
    "EventScope",
    "Language",
    "NotFound",
    "Ordering",
    "PageInfo",
    "Permission",
    "PersonalData",
    "PersonIdentity",
    "PluginError",
    "PluginSettings",
    "LIMIT",
    "DeployFinding",
    "RestRoute",
    "RowType",
    "SeedOptions",
    "Seeder",
    "SoftDeletable",
    "SortKey",
    "load_date",
    "load_datetime",
    "Timestamped",
    "Translations",
    "cost",
    "create_project",
    "decode_id",
    "row_key",
    "node_key",
    "error_response",
    "signed_in",
    "RowKeyConvertor",
    # the NUL character in what a client sends (bocage.core.nul): where it is, the message
    "nul_at",
    "nul_message",
    # HTTP caching of REST answers (bocage.core.cache_control): public or private, validators
    "conditional_get",
    "etag_matches",
    "not_modified",
    "private_caching",
    "public_caching",
    "announce",
    "event_for",
    "record_event",
    "JobContext",
    "JobKind",
    "WebhookEventType",
    "EmailAttachment",
    "enqueue_email",
    "enqueue_job",
    "hookimpl",
    "paginate",
    "paginate_field",
    "personal",
    "request_sessionmaker",
    "translated",
    # spreadsheets: CSV and XLSX written (never a formula) and read (within bounds)
    "CsvDialect",
    "CsvWriter",
    "SpreadsheetError",
    "SpreadsheetLimitError",
    "SpreadsheetLimits",
    "check_spreadsheet",
    "csv_cell",
    "read_csv",
    "spreadsheet_limits",
    "xlsx_append",
    "xlsx_cell",
    # work that stops when the client leaves
    "Cancellation",
    "ClientDisconnected",
    "cancel_on_disconnect",
    # a connection's backward paging and its nodes' language (as the core's connections)
    "Before",
    "Last",
    "NodesLanguage",
    "remember_language",
    # media: what plugins attach them to, where they are kept, and their GraphQL field
    "MediaOwner",
    "MediaStorage",
    "MediaRole",
    "MediaType",
    "media_of",
    # what people may discuss (bocage_discussion_targets), and the public change feed
    "DiscussionState",
    "DiscussionTarget",
    # a commune moving to another GAL, and the plugins' rows that follow it
    "CommuneFollower",
    "CommuneMove",
    "PublicEvent",
    "last_event_sequence",
    "public_events",
    # places on the map (docs/places.md): a located table, its GraphQL field and filters
    "BoundingBoxInput",
    "GeoJSON",
    "Located",
    "LocatedTable",
    "Location",
    "NearInput",
    "location_of",
    "location_spec",
    "place_filters",
    # ... the place a client sends, an address placed by the installation's geocoder
    "Geocoder",
    "PlaceLimits",
    "check_geometry",
    "geocode_address",
    "located_columns",
    # ... datasets of points (REST filters) and DCAT
    "Near",
    "geometry_wkt",
    "parse_numbers",
    "wkt_summary",
]


# -- deprecated names of the places section (docs/compatibility.md) -------------------------------

#: Deprecated names (removed at the earliest in contract 2.0), and what to use instead.
_DEPRECATED_PLACES = {
    "spatial_index_ddl": (
        "bocage.core.domain.places",
        "spatial_index_ddl",
        "LocatedTable(table).add() in the migration",
    ),
    "drop_spatial_index_ddl": (
        "bocage.core.domain.places",
        "drop_spatial_index_ddl",
        "LocatedTable(table).drop() in the migration",
    ),
    "installed_geocoder": (
        "bocage.core.graphql.places",
        "installed_geocoder",
        "geocode_address(info, address, commune, permission), before mutate()",
    ),
    "given_geometry": (
        "bocage.core.domain.places",
        "given_geometry",
        "located_columns(settings, geometry, longitude=..., latitude=...)",
    ),
    "NO_PLACE": ("bocage.core.domain.places", "NO_PLACE", "located_columns(settings) (no place)"),
    "Place": ("bocage.core.domain.places", "Place", "check_geometry(...), without naming its type"),
    "Box": ("bocage.core.domain.places", "Box", "BoundingBoxInput and place_filters"),
    "geojson_point": (
        "bocage.core.domain.places",
        "point",
        '{"type": "Point", "coordinates": [longitude, latitude]}',
    ),
    "place_centroid": (
        "bocage.core.domain.places",
        "centroid",
        "Location.centroid (location_of(row))",
    ),
}


def __getattr__(name: str) -> object:
    """A deprecated name of the contract: still served, with a ``DeprecationWarning`` saying
    what to use instead."""
    found = _DEPRECATED_PLACES.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    import warnings

    module, attribute, instead = found
    warnings.warn(
        f"bocage.core.api.{name} is deprecated and will be removed in contract 2.0: use {instead}",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), attribute)
