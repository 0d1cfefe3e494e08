"""Every extension point of Bocage, in one place.

A plugin is a module or object with functions named like the specs below, decorated with
``bocage.core.api.hookimpl``, and registered under the ``bocage`` entry-point group::

    [project.entry-points.bocage]
    myplugin = "bocage_myplugin.plugin"

Hooks return data; the core assembles the application from it (schema, routes, migrations,
CLI). Each spec says when it is called, what it gets and what it returns. A plugin implements
only the hooks it needs; a misspelled hook name makes startup fail, and so does a value of
another type than the spec's return annotation (checked each time the host calls the hook).

A plugin module also says which versions of this contract it supports, as a
``packaging`` specifier (see ``docs/compatibility.md``)::

    BOCAGE_REQUIRES = ">=1.0,<2"
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pluggy

if TYPE_CHECKING:
    import datetime as dt

    import click
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
    from starlette.routing import BaseRoute

    from bocage.core.auth.principal import Principal
    from bocage.core.datasets import Dataset
    from bocage.core.graphql.compiler.spec import CompiledReads
    from bocage.core.host_protocol import Host
    from bocage.core.settings import PluginSettings, Settings

PROJECT_NAME = "bocage"

#: The version of the plugin contract (``bocage.core.api``, these hooks, the settings' names):
#: a minor step only adds, a major step may break (``docs/compatibility.md``). A plugin
#: declares the versions it supports in its module's ``BOCAGE_REQUIRES`` (``">=1.0,<2"``).
CONTRACT_VERSION = "1.1"

#: The module attribute holding a plugin's specifier of the contract versions it supports.
REQUIRES_ATTRIBUTE = "BOCAGE_REQUIRES"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --------------------------------------------------------------------------------------------
# Data the hooks exchange
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestRoute:
    """A REST route with its OpenAPI description.

    ``route`` is any Starlette route (``Route``, ``Mount``...); ``name`` must be unique across
    plugins; ``openapi`` maps each path served (OpenAPI syntax, e.g. ``/api/things/{id}``) to
    its OpenAPI 3.1 Path Item object.

    ``max_body_bytes`` raises (or lowers) the largest request body the route accepts, instead
    of the core's ``BOCAGE_MAX_BODY_BYTES`` (kept small for GraphQL), e.g. for file uploads;
    a larger body gets ``413`` before the handler runs. ``max_body_setting`` names the setting
    it comes from (e.g. ``BOCAGE_<PLUGIN>_MAX_UPLOAD_BYTES``), quoted in that ``413``.
    """

    name: str
    route: BaseRoute
    openapi: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_body_bytes: int | None = None
    max_body_setting: str | None = None


@dataclass(frozen=True)
class Permission:
    """A permission a plugin declares: ``code`` such as ``workshops:manage``.

    ``per_commune``: the plugin checks it against the communes of the objects it protects
    (``may_touch_communes(principal, nis_codes, code)``), so an administrator may grant it to
    commune editors for some communes only; otherwise it is granted to a role as a whole."""

    code: str
    description: str
    per_commune: bool = False
    #: The plugin lets every holder of the permission who may touch a territory's rows
    #: (``may_touch_territory``: any territory's when not confined, else its own, commune
    #: editors included) act on that territory's rows of no commune, as the workshops plugin
    #: does with challenge-card workshops (``workshops:facilitate``). The change feed then
    #: shows their events (``EventScope(territory=)``) to the same people; without it, such
    #: events reach only those who hold the whole territory (its administrators, integrators
    #: restricted to no commune).
    territory_members: bool = False


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened in the domain, e.g. ``project.created``.

    ``subject`` is the Relay global ID of the object concerned; ``data`` a JSON-serialisable
    summary of it.
    """

    type: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventScope:
    """Where the row an event is about belongs, recorded with the event (``record_event``,
    ``Change(scope=...)``) so that it reaches only those who may read that row.

    An event recorded with a ``permission`` and a scope is visible to holders of the
    permission who also reach the row: administrators; members of ``stakeholder``; commune
    editors and commune-restricted integrators whose communes include every one of
    ``communes`` (NIS codes; none: no such editor reaches it); integrators restricted to no
    commune. Without a scope, the permission alone decides (rows every holder may read); an
    event without a permission is public, whatever its scope. The core records the scope of
    its own rows itself (a contact: its organisation and that organisation's communes).

    ``owner`` (``client:<id>`` or ``subject:<sub>``, see ``policy.owner_key``) is for a row that
    belongs to one client or person, such as a webhook subscription: only that owner and
    administrators learn of the event (among the holders of the permission), never the public.

    ``territory`` (a territory's database key) is for a row that belongs to a GAL and to no
    commune (a territory's own event, survey or dataset): on an installation of several GALs,
    the administrators confined to that territory reach it (``docs/tenancy.md``).
    """

    stakeholder: int | None = None
    communes: frozenset[str] = frozenset()
    owner: str | None = None
    territory: int | None = None


@dataclass(frozen=True)
class SeedOptions:
    """Options of ``bocage seed demo``: ``scale`` multiplies the number of generated rows,
    ``progress(description, done, total)`` reports progress to the CLI."""

    scale: float = 1.0
    progress: Callable[[str, int, int], None] = lambda description, done, total: None
    #: The plugin host: ``options.host.plugin_settings("<plugin>")`` is a plugin's validated
    #: settings (``None`` only when a seeder is called by hand).
    host: Host | None = None


@dataclass(frozen=True)
class PersonIdentity:
    """Whom a GDPR request is about, by either of the identities Bocage knows a person by.

    ``email`` is an e-mail address, lower-cased (what contacts, registrations made without
    signing in, survey invitations... carry); ``subject`` the subject of their account (a
    token's ``sub``: what the records of a signed-in person carry). Either may be ``None``,
    never both.
    """

    email: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class PersonalData:
    """How a plugin answers a person's GDPR rights over what it holds about them.

    ``name`` labels this part of the export (unique across plugins, e.g. ``workshops.
    registrations``); ``export(session, person)`` returns JSON-serialisable records about the
    :class:`PersonIdentity` ``person``, found by its e-mail address *or* its account's subject
    (an empty list when none); ``erase(session, person)`` erases or anonymises the same records
    in the caller's transaction and returns how many it changed.
    """

    name: str
    export: Callable[[AsyncSession, PersonIdentity], Awaitable[list[dict[str, Any]]]]
    erase: Callable[[AsyncSession, PersonIdentity], Awaitable[int]]


#: An async function that writes demo rows in the given session (committed by the caller).
Seeder = Callable[["AsyncSession", SeedOptions], Awaitable[None]]

#: An async function placing an address: ``(address, commune's NIS code, commune's names by
#: language)`` -> a GeoJSON geometry (WGS 84), or ``None`` when it cannot place it.
Geocoder = Callable[[str, str, dict[str, str]], Awaitable[dict[str, Any] | None]]


class SeedRefused(RuntimeError):
    """Raised by a :data:`Seeder` that will not write (its data is already there, say): the
    command line prints the message and stops, nothing of that seeder is written."""


@dataclass(frozen=True)
class JobContext:
    """What a job's handler gets besides its payload.

    ``attempt`` counts from 1; ``next_attempt_at`` is when the job runs again if this attempt
    raises (``None``: this is the last attempt, a failure makes the job dead). ``sessionmaker``
    opens sessions on the application's database (``async with ctx.sessionmaker() as s``).
    """

    job_id: int
    kind: str
    attempt: int
    max_attempts: int
    next_attempt_at: dt.datetime | None
    settings: Settings
    host: Host
    sessionmaker: async_sessionmaker[AsyncSession]


#: An async function ``handler(context, payload)``; raising makes the attempt fail (retried).
JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    """A kind of background job: ``name`` (unique, e.g. ``workshops.reminder``), the async
    ``handler``, and how many attempts it gets (``None``: ``BOCAGE_JOBS_MAX_ATTEMPTS``).
    ``personal``: the payload holds personal data (addresses, names) and is erased once the
    job succeeded."""

    name: str
    handler: JobHandler
    max_attempts: int | None = None
    description: str = ""
    personal: bool = False


@dataclass(frozen=True)
class WebhookEventType:
    """An event type subscribers may receive, e.g. ``registration.confirmed``.

    ``permission`` is what a subscriber needs to subscribe to it (``None``: anyone allowed to
    manage webhooks); record such events with the same ``permission`` (``record_event``), so
    that the change feed and deliveries filter them too, and with the :class:`EventScope` of
    their row when not every holder of the permission may read it.
    """

    type: str
    description: str
    permission: str | None = None


@dataclass(frozen=True)
class DeployFinding:
    """Something unsafe or unfinished for production, reported by ``bocage check --deploy``.

    ``id`` is ``<plugin>.<name>`` (``opendata.placeholder_publisher``), the name an operator
    puts in ``BOCAGE_DEPLOY_CHECKS_SILENCED`` to leave it out; ``message`` says what is wrong
    and which setting fixes it. ``level`` ``"error"`` must be fixed (the command exits 1);
    ``"warning"`` is worth a look.
    """

    id: str
    message: str
    level: str = "error"


@dataclass(frozen=True)
class Recipient:
    """A person some object of a plugin gathers (an event's registrant...), as another plugin
    may write to them: ``email`` (lower-cased), ``name`` and ``language`` (``fr``, ``nl``,
    ``de``, ``en``) for the message, the organisation they came with (``stakeholder_id``) and
    the ``subject`` of their account, each when known."""

    email: str | None = None
    name: str | None = None
    language: str | None = None
    stakeholder_id: int | None = None
    subject: str | None = None


@dataclass(frozen=True)
class RecipientSource:
    """The people gathered by the objects of one GraphQL type (``type_name``, e.g.
    ``WorkshopsEvent``), for another plugin to invite (the surveys plugin's ``inviteToSurvey``
    with ``from``).

    ``permission`` is the code a caller needs to read them (checked by the caller of
    ``recipients``); ``recipients(session, principal, key)`` returns those of the object whose
    database key is ``key``, in the caller's transaction, and raises ``Invalid(Code.NOT_FOUND,
    ...)`` when there is no such object, ``Invalid(Code.FORBIDDEN, ...)`` when ``principal`` may
    not read this object's people (an organiser of another commune...). They are personal data:
    the caller never shows them to ``principal``, only uses them.
    """

    type_name: str
    permission: str
    recipients: Callable[[AsyncSession, Principal, int], Awaitable[list[Recipient]]]


@runtime_checkable
class MediaStorage(Protocol):
    """Where the bytes of media live (``bocage_media_storage``): the core's default is a folder
    (``BOCAGE_MEDIA_DIR``); a plugin may keep them in an object store instead.

    Keys are made by the core only, never from a client's file name: ``<32 hex digits>/<variant>``
    (``[0-9a-f]{32}/[a-z]+``). ``put`` stores (replacing any), ``get`` returns the bytes or
    ``None`` when there are none, ``delete`` forgets them (none: nothing to do). Each may be
    called from several workers at once."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class MediaOwner:
    """A kind of object media may be attached to (``bocage_media_owners``), named by its GraphQL
    type (``type_name``, e.g. ``WorkshopsEvent``).

    ``permission`` is the code a caller needs to attach, change or remove its media (checked
    first); ``authorise(session, principal, key)`` then raises ``Invalid(Code.NOT_FOUND, ...)``
    when there is no such live object and ``Invalid(Code.FORBIDDEN, ...)`` when ``principal``
    may not edit this one (another commune's); ``is_public(session, key)`` says whether anyone
    may see its media (``False``: only those ``authorise`` lets through, e.g. a draft event's).
    ``roles`` are the media roles it takes among ``gallery``, ``document``, ``logo``, ``slides``;
    ``logo`` keeps one medium (a new one replaces it).

    ``public_rows()``, if given, is ``is_public`` in SQL: a ``select`` of the ``id`` and
    ``updated_at`` of the objects whose media anyone may see (a published event...). Their
    media are then in the open-data ``media`` dataset; without it, they are not."""

    type_name: str
    permission: str
    authorise: Callable[[AsyncSession, Principal, int], Awaitable[None]]
    is_public: Callable[[AsyncSession, int], Awaitable[bool]]
    roles: tuple[str, ...] = ("gallery", "document")
    public_rows: Callable[[], Any] | None = None


@dataclass(frozen=True)
class DiscussionState:
    """What the voice plugin (comments, supports, follows) needs to know of an object people
    may discuss: whether it is ``open`` for comments and supports now (``closed_reason`` says
    why not, for the caller's error), a one-line ``title`` for digests, and the NIS codes of
    its ``communes`` (its comments' events reach the followers of those communes).

    ``territory`` (a territory's database key) is that of an object of no commune (a project
    of the GAL itself, the challenge of a workshop held without an event): on an installation
    of several GALs, that GAL's moderators moderate its comments (``None``: only operators
    do; docs/tenancy.md)."""

    open: bool
    title: str
    communes: frozenset[str] = frozenset()
    closed_reason: str = ""
    territory: int | None = None


@dataclass(frozen=True)
class CommuneMove:
    """A commune moving to another GAL (``updateCommune(input: {territory:})``, ``bocage
    territory create``), as its followers (:class:`CommuneFollower`) are told of it inside the
    transaction that moves it: the commune's database key and NIS code, the key of the
    ``territory`` it now belongs to (``None``: to no GAL) and of the ``previous`` one."""

    commune: int
    nis_code: str
    territory: int | None
    previous: int | None


@dataclass(frozen=True)
class CommuneFollower:
    """Rows of a plugin that keep the territory of a commune (an event in a commune stores
    its GAL), and follow the commune when it moves to another GAL.

    ``follow(session, move)`` changes them in the caller's transaction, the one that moves the
    commune (so that nobody ever reads a commune of one GAL with rows of the other), and
    returns how many rows it changed; raising rolls the move back. ``name`` says which rows
    it moves (``workshops.events``)."""

    name: str
    follow: Callable[[AsyncSession, CommuneMove], Awaitable[int]]


@dataclass(frozen=True)
class DiscussionTarget:
    """Objects of the GraphQL type ``type_name`` (e.g. ``WorkshopsChallenge``) that people
    may comment on, support and follow: ``state(session, key)`` returns the
    :class:`DiscussionState` of the object whose database key is ``key``, read in the caller's
    transaction, or ``None`` when there is no such object (or the public may not read it)."""

    type_name: str
    state: Callable[[AsyncSession, int], Awaitable[DiscussionState | None]]


# --------------------------------------------------------------------------------------------
# Configuration: called once, when the plugin manager loads the plugins
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_hookspecs() -> Sequence[object]:
    """Return the modules (or classes) of hook specifications the plugin declares for the
    other plugins, as ``pluggy``'s ``add_hookspecs`` takes them.

    Called once at startup, before the host looks for implementations of unknown hooks, so
    that the others' implementations of these hooks are checked against them. The specs of an
    installed but disabled plugin are read too: optional implementations of its hooks are then
    not taken for misspelled ones (they are simply never called).
    """
    return ()


@hookspec
def bocage_startup_check(host: Host) -> None:
    """Check, at startup, what only the plugin can check across plugins, and raise
    ``PluginError`` naming the plugin at fault and what to change.

    Called once, after every plugin is registered, its settings are validated and the other
    checks passed (``host.plugin_settings(...)`` works). The open-data plugin refuses two
    plugins publishing one dataset identifier here, rather than at the catalogue's first
    request.
    """


@hookspec
def bocage_settings() -> type[PluginSettings] | None:
    """Return the plugin's settings model, a subclass of ``PluginSettings``.

    Called once at startup. Its fields are read from ``BOCAGE_<PLUGIN>_<FIELD>``; a required
    field left unset stops startup with a message naming the variable. The validated instance
    is available as ``host.plugin_settings(<plugin>)`` and in GraphQL contexts.
    """


@hookspec
def bocage_permissions() -> Sequence[Permission]:
    """Return the permissions the plugin declares (codes must be unique across plugins).

    Called once at startup. Administrators grant them to roles (commune editors, stakeholder
    members) with the ``BOCAGE_ROLE_PERMISSIONS`` setting or the ``grantPermission``
    mutation; a permission declared ``per_commune`` may be granted for some communes only.
    Integrator clients hold the ones given to them as scopes.
    """
    return ()


# --------------------------------------------------------------------------------------------
# Storage
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_migration_locations() -> Sequence[str | Path]:
    """Return the folders holding the plugin's alembic revisions.

    Called whenever migrations run (``bocage db ...``, auto-migration at start). The plugin's
    revisions form their own branch, labelled with the plugin's name; its first revision has
    ``down_revision = None``, ``branch_labels = ("<plugin>",)`` and ``depends_on`` the core
    revision it needs. Tables derive from ``bocage.core.api.Base``.
    """
    return ()


@hookspec
def bocage_seed() -> Seeder | None:
    """Return an async function that writes the plugin's demo data.

    Called by ``bocage seed demo`` (and ``bocage serve --demo`` on an empty database), in one
    transaction per plugin, in the order plugins are registered; a seeder whose data the others
    build on marks its implementation ``@hookimpl(tryfirst=True)`` and runs before them (the
    bundled ``demo`` plugin does: its territory, communes, stakeholders and projects are what
    the other plugins' demo data refers to). A seeder that will not write raises
    :class:`SeedRefused` with what to do.
    """


@hookspec
def bocage_personal_data() -> PersonalData | Sequence[PersonalData] | None:
    """Return how the plugin exports and erases a person's data: a :class:`PersonalData`, or
    several (one per kind of record).

    Called by ``exportPersonData`` and ``erasePerson`` (permission ``personal_data:manage``) and
    by ``myPersonalData`` (a signed-in person's own export, by their account only). Every plugin
    holding personal columns (``personal(...)``) should implement it and cover both identities
    of :class:`PersonIdentity`, so that a person's export is complete and their erasure leaves
    nothing behind.
    """


@hookspec
def bocage_recipient_sources() -> Sequence[RecipientSource]:
    """Return the :class:`RecipientSource` of each GraphQL type whose objects gather people
    other plugins may invite (an event's registrants, a workshop's participants).

    Called when a plugin looks them up (``host.contributions("bocage_recipient_sources")``):
    the surveys plugin's ``inviteToSurvey(from: ...)`` does, to e-mail invitations to them
    without importing the plugin that holds them. A type declared by two sources: the first
    registered wins.
    """
    return ()


@hookspec
def bocage_discussion_targets() -> Sequence[DiscussionTarget]:
    """Return the :class:`DiscussionTarget` of each GraphQL type whose objects people may
    comment on, support and follow (a workshop's challenges once it closed).

    Called when a plugin looks them up (``host.contributions("bocage_discussion_targets")``):
    the voice plugin's ``voiceComment``, ``voiceSupport``... do, for types other than the
    core's ``Project``, without importing the plugin that holds them. A type declared twice:
    the first registered wins.
    """
    return ()


@hookspec
def bocage_commune_followers() -> Sequence[CommuneFollower]:
    """Return the :class:`CommuneFollower` of each kind of row the plugin keeps a commune's
    territory in (its GAL, copied when the row was written), so that they follow the commune
    to another GAL.

    Called whenever a commune moves to another GAL (``updateCommune`` changing its
    ``territory``, ``bocage territory create`` taking a commune over from another GAL); each
    follower's ``follow`` is awaited in that transaction, after the commune moved and before
    the commit. Rows that read the commune's territory when they are read need no follower.
    """
    return ()


@hookspec
def bocage_geocoders() -> Sequence[Geocoder]:
    """Return :data:`Geocoder` functions: how this installation places an address on the map.

    Called when a place is entered as an address in a commune without coordinates
    (``location: {address, commune}`` of ``createProject``, ``createStakeholder``...; see
    docs/places.md); the first geocoder (plugins in registration order) is used. Bocage
    reaches no geocoding service itself: an installation plugs its own (a regional address
    register, a local Nominatim). The geometry it returns is checked like a client's; ``None``
    (or no geocoder at all) makes the write fail with ``ADDRESS_NOT_FOUND`` unless the client
    also gave coordinates. It is awaited before the write's transaction opens (no connection,
    lock or transaction is held while a slow register answers), and only for a caller holding
    the mutation's permission.
    """
    return ()


# --------------------------------------------------------------------------------------------
# GraphQL: called once when the schema is built
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_graphql_types() -> Sequence[type]:
    """Return strawberry types the schema must know that no field reaches directly
    (for instance implementations of an interface). Names must be unique."""
    return ()


@hookspec
def bocage_graphql_query() -> Sequence[type]:
    """Return ``@strawberry.type`` classes whose fields are merged into ``Query``.

    A field name already used by the core or another plugin stops startup.
    """
    return ()


@hookspec
def bocage_graphql_mutation() -> Sequence[type]:
    """Return ``@strawberry.type`` classes whose fields are merged into ``Mutation``."""
    return ()


@hookspec
def bocage_graphql_subscription() -> Sequence[type]:
    """Return ``@strawberry.type`` classes whose fields are merged into ``Subscription``."""
    return ()


@hookspec
def bocage_compiled_reads() -> CompiledReads | None:
    """Return a ``CompiledReads`` (``bocage.core.api``): the plugin's GraphQL types and root
    query fields that the read compiler answers with one SQL statement per root field
    (``TypeSpec`` declarations of how each field is read, ``RootList``/``RootOne`` sources
    that apply the same filters and visibility as the resolvers), or None. A root field that
    returns a plain list (no connection) is declared with ``RootRows``.

    Called once when the schema is built. A type or root field declared by two plugins stops
    startup. Every declaration must give what the field's resolver gives: the test suite runs
    both paths on every query (``BOCAGE_GRAPHQL_COMPILE_CHECK``) and fails when they differ.
    A field left undeclared is answered by its resolver, with the whole root field it is under.
    """
    return None


# --------------------------------------------------------------------------------------------
# Open data: called when the catalogue is first needed
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_datasets() -> Sequence[Dataset]:
    """Return the datasets the plugin publishes in the open-data catalogue.

    Each :class:`~bocage.core.api.Dataset` is a SQLAlchemy ``select`` whose labelled columns
    are the dataset's fields, plus its DCAT-AP metadata; it is re-run on every request, so it
    stays current with the data. Identifiers must be unique across plugins. Called at startup
    (what it returns is checked then) and by the plugin that publishes the datasets (the
    bundled ``opendata``, through ``host.datasets()``, which builds its catalogue at startup);
    without such a plugin, nothing publishes them.
    """
    return ()


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_routes(host: Host) -> Sequence[RestRoute]:
    """Return the plugin's REST routes, each with its OpenAPI description.

    Called once when the app is built. Paths should live under ``/api/<plugin>/``; a route name
    or path already taken stops startup. ``host`` (optional: name it to receive it) is the
    :class:`~bocage.core.api.Host`, e.g. ``host.plugin_settings("<plugin>")`` for a route's
    ``max_body_bytes``; handlers get it with ``host_of(request)``.
    """
    return ()


# --------------------------------------------------------------------------------------------
# Runtime
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_on_event(event: DomainEvent) -> None:
    """React to a domain event (``project.created``, ``registration.confirmed``...).

    Called after the transaction that caused the event has committed, for every plugin. Must
    not block: hand slow work to a background job. Exceptions are logged, never propagated.
    """


@hookspec
def bocage_jobs() -> Sequence[JobKind]:
    """Return the kinds of background jobs the plugin runs (names unique across plugins).

    Called once per worker and per application. Enqueue a job with ``enqueue_job(session,
    kind, payload)`` in the transaction of the change that causes it; the worker (``bocage
    worker``, or in-process on SQLite) runs its handler, retries failures with exponential
    backoff, and keeps it as ``dead`` after the last attempt for an administrator to replay.
    """
    return ()


@hookspec
def bocage_webhook_events() -> Sequence[WebhookEventType]:
    """Return the event types the plugin emits that webhook subscribers may receive.

    Called when subscriptions are created or changed and when the event types are listed.
    Types must be unique across plugins; events are raised with ``record_event``.
    """
    return ()


@hookspec
def bocage_deploy_checks(host: Host) -> Sequence[DeployFinding]:
    """Return what is unsafe or unfinished for production in the plugin's configuration.

    Called by ``bocage check --deploy`` only (never at startup: a development setup may be
    incomplete), after the settings are validated: read yours with
    ``host.plugin_settings(<plugin>)``. Return one ``DeployFinding`` per problem, an empty
    sequence when all is well. The open-data plugin reports the placeholder publisher and
    contact of its catalogue here.
    """
    return ()


@hookspec
def bocage_cli() -> Sequence[click.Command]:
    """Return click commands (or groups) added to the ``bocage`` command line.

    Called when the CLI starts; a name already taken stops it.
    """
    return ()


# --------------------------------------------------------------------------------------------
# Media: where files live, and what they may be attached to
# --------------------------------------------------------------------------------------------


@hookspec
def bocage_media_storage(host: Host) -> MediaStorage | None:
    """Return the :class:`MediaStorage` that keeps the bytes of media (an object store), or
    None to leave it to others.

    Called once when the app is built. Without any, the core keeps them in the folder
    ``BOCAGE_MEDIA_DIR``; two plugins returning one stop startup.
    """


@hookspec
def bocage_media_owners() -> Sequence[MediaOwner]:
    """Return the kinds of the plugin's objects that media may be attached to (a
    :class:`MediaOwner` per GraphQL type: who may attach, whether they are public).

    Called when media are uploaded, changed, removed or read. The core declares ``Project``
    and ``Stakeholder``; a type declared twice stops startup.
    """
    return ()


HOOK_NAMES: tuple[str, ...] = tuple(
    name
    for name, value in list(globals().items())
    if name.startswith("bocage_") and callable(value)
)
