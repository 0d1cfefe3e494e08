"""The events of uploaded datasets, recorded in the transaction of each write: the change feed
and webhook subscribers see them, and plugins hear of them once the unit of work commits.

What concerns a draft (created, edited, a file uploaded, deleted) is known only to those who
may manage that dataset (``opendata:publish`` in its commune: the event's scope is the dataset's
commune, none for the GAL's own, as in ``permissions.may_publish``); what concerns the catalogue
(published, updated while published, withdrawn) is public, like the catalogue itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bocage.core.api import DomainEvent, EventScope, WebhookEventType, global_id, record_event
from bocage.plugins.opendata.permissions import OPENDATA_PUBLISH

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bocage.plugins.opendata.models import UploadedDataset

#: The change feed's ``objectType`` of these events.
OBJECT_TYPE = "OpendataDataset"

CREATED = "dataset.created"
DRAFT_UPDATED = "dataset.draft_updated"
DELETED = "dataset.deleted"
PUBLISHED = "dataset.published"
UPDATED = "dataset.updated"
UNPUBLISHED = "dataset.unpublished"

EVENT_TYPES: tuple[WebhookEventType, ...] = (
    WebhookEventType(
        CREATED, "An uploaded dataset was created (a draft, not published).", OPENDATA_PUBLISH.code
    ),
    WebhookEventType(
        DRAFT_UPDATED,
        "An unpublished uploaded dataset's metadata or file (a new version) changed.",
        OPENDATA_PUBLISH.code,
    ),
    WebhookEventType(
        DELETED, "An unpublished uploaded dataset was deleted.", OPENDATA_PUBLISH.code
    ),
    WebhookEventType(
        PUBLISHED, "An uploaded dataset was published: it is in the catalogue and the exports."
    ),
    WebhookEventType(
        UPDATED,
        "A published dataset's metadata changed, or a new version of its file was uploaded.",
    ),
    WebhookEventType(
        UNPUBLISHED, "A published dataset was withdrawn: it left the catalogue and the exports."
    ),
)
_RESTRICTED = {t.type: t.permission for t in EVENT_TYPES}


async def record(session: AsyncSession, type_: str, upload: UploadedDataset, **data: Any) -> None:
    """Record ``type_`` about ``upload`` in ``session``'s transaction (call it last in the
    transaction: on PostgreSQL the event log stays locked until the commit)."""
    subject = global_id(OBJECT_TYPE, upload.id)
    await record_event(
        session,
        DomainEvent(
            type=type_,
            subject=subject,
            data={
                "identifier": upload.identifier,
                "commune": upload.commune_nis,
                "title": dict(upload.meta.get("title", {})),
                **data,
            },
        ),
        permission=_RESTRICTED[type_],
        scope=scope_of(upload),
        object_type=OBJECT_TYPE,
        object_id=upload.id,
    )


def scope_of(upload: UploadedDataset) -> EventScope:
    """Who may manage ``upload`` (besides administrators and publishers limited to no commune):
    those of its commune; the GAL's own datasets, those of its territory (docs/tenancy.md)."""
    if upload.commune_nis:
        return EventScope(communes=frozenset({upload.commune_nis}))
    return EventScope(territory=upload.territory_id)


def changed(upload: UploadedDataset) -> str:
    """The event of a change to ``upload``'s metadata or file: public once it is published."""
    return UPDATED if upload.published_at is not None else DRAFT_UPDATED
