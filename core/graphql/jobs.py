"""Administrators' view of the job queue: list jobs (the dead ones first of all), replay."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from bocage.core import models as m
from bocage.core.graphql.errors import BocageError, ErrorCode
from bocage.core.graphql.limits import cost
from bocage.core.graphql.mutations.kit import WRITE_COST, Code, Invalid, error_codes, key_of
from bocage.core.graphql.pagination import Connection, Ordering, SortKey, paginate
from bocage.core.jobs import replay_job


class Forbidden(BocageError):
    code = ErrorCode.FORBIDDEN


JobErrorCode = error_codes("JobErrorCode", "Why a job mutation failed.")


@strawberry.enum(description="Where a background job stands.")
class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


@strawberry.type(description="A background job (administrators only).")
class Job:
    #: A ``job`` row (SQLite) or a procrastinate job (PostgreSQL): the same attributes.
    row: strawberry.Private[Any]

    @strawberry.field(metadata=cost(0))
    def id(self) -> relay.GlobalID:
        return relay.GlobalID("Job", str(self.row.id))

    @strawberry.field(metadata=cost(0), description="E.g. `webhook.deliver`, `email.send`.")
    def kind(self) -> str:
        return self.row.kind

    @strawberry.field(metadata=cost(0))
    def status(self) -> JobStatus:
        return JobStatus(self.row.status)

    @strawberry.field(metadata=cost(0))
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(metadata=cost(0), description="Null: the kind's default.")
    def max_attempts(self) -> int | None:
        return self.row.max_attempts

    @strawberry.field(metadata=cost(0), description="The last failure's message.")
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(metadata=cost(0), description="When it is (or was) due.")
    def run_at(self) -> dt.datetime:
        return self.row.run_at

    @strawberry.field(metadata=cost(0))
    def created_at(self) -> dt.datetime:
        return self.row.created_at

    @strawberry.field(metadata=cost(0))
    def finished_at(self) -> dt.datetime | None:
        return self.row.finished_at

    @strawberry.field(metadata=cost(0), description="The job's input (may hold personal data).")
    def payload(self) -> JSON:
        return self.row.payload


def _require_admin(info: Info) -> None:
    principal = info.context.principal
    if not principal.is_admin:
        raise Forbidden("only territory administrators see the job queue")
    if principal.confined:
        raise Forbidden("the job queue serves every GAL of the installation: operators only")


@strawberry.type
class JobQuery:
    @strawberry.field(
        metadata=cost(1),
        description="Background jobs, newest first; `status: DEAD` lists those that failed "
        "every attempt (administrators only).",
    )
    async def jobs(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: Annotated[JobStatus | None, strawberry.argument(description="Only these.")] = None,
        kind: Annotated[str | None, strawberry.argument(description="Only this kind.")] = None,
    ) -> Connection[Job]:
        _require_admin(info)
        if info.context.dialect == "postgresql":
            from bocage.core.jobs.procrastinate_backend import ProcrastinateJob, status_filter

            statement = select(ProcrastinateJob)
            if status is not None:
                statement = statement.where(status_filter(status.value))
            if kind is not None:
                statement = statement.where(ProcrastinateJob.task_name == kind)
            key: Any = ProcrastinateJob.id
        else:
            statement = select(m.Job)
            if status is not None:
                statement = statement.where(m.Job.status == status.value)
            if kind is not None:
                statement = statement.where(m.Job.kind == kind)
            key = m.Job.id
        return await paginate(
            info.context,
            statement,
            Ordering((SortKey(key, True, int),)),
            first=first,
            after=after,
            to_node=lambda row: Job(row=row),
        )


@strawberry.type(description="A problem with a job mutation.")
class JobError:
    field: str | None
    code: JobErrorCode  # type: ignore[valid-type]  # built by error_codes()
    message: str


@strawberry.type(description="The job queued again, or the errors.")
class JobPayload:
    job: Job | None = None
    errors: list[JobError] = strawberry.field(default_factory=list)


class _JobKey:
    pass


_JobKey.__name__ = "Job"


def _error(code: Code, message: str, field: str | None = "id") -> JobPayload:
    return JobPayload(errors=[JobError(field=field, code=JobErrorCode[code.name], message=message)])


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        metadata=cost(WRITE_COST),
        description="Queue a dead job again with a fresh set of attempts (administrators only).",
    )
    async def replay_job(self, info: Info, id: strawberry.ID) -> JobPayload:
        principal = info.context.principal
        if principal.is_anonymous:
            return _error(
                Code.UNAUTHENTICATED, "sign in: send an Authorization: Bearer token", None
            )
        if not principal.is_admin or principal.confined:
            return _error(
                Code.FORBIDDEN,
                "only territory administrators replay jobs (operators, on an installation of "
                "several GALs)",
                None,
            )
        try:
            _type, key = key_of(id, _JobKey, "id")
        except Invalid as error:
            return _error(error.code, error.message)
        async with info.context.sessionmaker() as session, session.begin():
            job: Any = await replay_job(session, key)
        if job is None:
            return _error(Code.NOT_FOUND, "no dead job has this ID (only dead jobs are replayed)")
        return JobPayload(job=Job(row=job))
