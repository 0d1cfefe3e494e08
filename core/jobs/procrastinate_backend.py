"""The job queue on PostgreSQL: procrastinate (https://procrastinate.readthedocs.io).

Jobs are rows of ``procrastinate_jobs`` (schema applied by the migration
``0007_procrastinate``), enqueued through ``procrastinate_defer_jobs_v1``, the SQL function
procrastinate's own ``JobManager`` calls, but on the caller's SQLAlchemy connection: a job
exists only if the caller's transaction commits.

Each job's ``args`` hold ``payload`` (what the handler gets), ``max_attempts`` (``None``: the
kind's, else ``BOCAGE_JOBS_MAX_ATTEMPTS``), ``last_error`` (the last failure's message) and
``attempts_base`` (procrastinate's attempt count when an administrator last replayed it, so a
replay starts a fresh set of attempts).

``bocage worker`` runs procrastinate's async worker with every ``JobKind`` registered as a
task, and beside it a loop that relays new events into webhook deliveries, retries the jobs of
workers whose heartbeat stopped (a killed worker) and prunes old jobs and deliveries.
Procrastinate's statuses map onto Bocage's: ``todo`` -> ``queued``, ``doing`` -> ``running``,
``succeeded`` -> ``succeeded``, ``failed`` (and ``cancelled``, ``aborted``) -> ``dead``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column

from bocage.core.db import utcnow
from bocage.core.hookspecs import JobContext
from bocage.core.jobs.base import BaseWorker
from bocage.core.observability import tracing

if TYPE_CHECKING:
    from procrastinate import App
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from bocage.core.host import PluginHost
    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.jobs")

#: The procrastinate queue Bocage's jobs go to (workers listen to every queue).
QUEUE = "bocage"
#: Longest error message kept on a job.
ERROR_LENGTH = 2000

#: procrastinate's status -> Bocage's.
STATUS = {"todo": "queued", "doing": "running", "succeeded": "succeeded"}
#: Bocage's status -> procrastinate's.
STATUSES = {
    "queued": ("todo",),
    "running": ("doing",),
    "succeeded": ("succeeded",),
    "dead": ("failed", "cancelled", "aborted"),
}
FINAL_EVENTS = ("succeeded", "failed", "cancelled", "aborted")


class _Procrastinate(DeclarativeBase):
    """procrastinate's tables, read by Bocage: never created from here (not on ``Base``)."""


events = Table(
    "procrastinate_events",
    _Procrastinate.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("job_id", BigInteger),
    Column("type", String),
    Column("at", DateTime(timezone=True)),
)


class ProcrastinateJob(_Procrastinate):
    """A row of ``procrastinate_jobs`` with the attributes of :class:`bocage.core.models.Job`
    (what the GraphQL ``Job`` type and the CLI read)."""

    __tablename__ = "procrastinate_jobs"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    queue_name: Mapped[str] = mapped_column(String)
    task_name: Mapped[str] = mapped_column(String)
    raw_status: Mapped[str] = mapped_column("status", String)
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    raw_attempts: Mapped[int] = mapped_column("attempts", Integer)
    created_at: Mapped[dt.datetime] = column_property(
        select(func.min(events.c.at))
        .where(events.c.job_id == id, cast(events.c.type, Text) == "deferred")
        .scalar_subquery()
    )
    last_event_at: Mapped[dt.datetime | None] = column_property(
        select(func.max(events.c.at))
        .where(events.c.job_id == id, cast(events.c.type, Text).in_(FINAL_EVENTS))
        .scalar_subquery()
    )

    @property
    def kind(self) -> str:
        return self.task_name

    @property
    def status(self) -> str:
        return STATUS.get(self.raw_status, "dead")

    @property
    def attempts(self) -> int:
        """Attempts made since it was enqueued (or last replayed): procrastinate counts those
        that ended (retried or finished), not the one running."""
        made = self.raw_attempts - int(self.args.get("attempts_base") or 0)
        return made + 1 if self.raw_status == "doing" else made

    @property
    def max_attempts(self) -> int | None:
        return self.args.get("max_attempts")

    @property
    def last_error(self) -> str | None:
        return self.args.get("last_error")

    @property
    def payload(self) -> dict[str, Any]:
        return self.args.get("payload") or {}

    @property
    def run_at(self) -> dt.datetime:
        return self.scheduled_at or self.created_at

    @property
    def finished_at(self) -> dt.datetime | None:
        return self.last_event_at if self.status in ("succeeded", "dead") else None


def status_filter(status: str) -> Any:
    return cast(ProcrastinateJob.raw_status, Text).in_(STATUSES[status])


# -- in the caller's transaction ----------------------------------------------------------------

_DEFER = text(
    """SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(
        CAST(:queue AS varchar), CAST(:task AS varchar), CAST(0 AS integer),
        CAST(NULL AS text), CAST(NULL AS text), :args,
        CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1])) AS id"""
).bindparams(bindparam("args", type_=JSONB), bindparam("scheduled_at", type_=DateTime(True)))

_RETRY = text("SELECT procrastinate_retry_job_v2(:id, :retry_at, NULL, NULL, NULL)").bindparams(
    bindparam("retry_at", type_=DateTime(True))
)

_RETRY_STALLED = text(
    """UPDATE procrastinate_jobs AS job
    SET status = CASE WHEN job.abort_requested THEN 'failed' ELSE 'todo' END
            ::procrastinate_job_status,
        attempts = CASE WHEN job.abort_requested THEN job.attempts ELSE job.attempts + 1 END,
        scheduled_at = CASE WHEN job.abort_requested THEN job.scheduled_at ELSE NOW() END
    WHERE job.status = 'doing' AND (
        job.worker_id IS NULL
        OR job.worker_id IN (
            SELECT id FROM procrastinate_workers
            WHERE last_heartbeat < NOW() - make_interval(secs => :lease))
        OR (SELECT MAX(event.at) FROM procrastinate_events event
            WHERE event.job_id = job.id AND event.type = 'started')
            < NOW() - make_interval(secs => :overdue))
    RETURNING job.id, job.task_name"""
)

_NOTE = text("UPDATE procrastinate_jobs SET args = args || :extra WHERE id = :id").bindparams(
    bindparam("extra", type_=JSONB)
)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: dt.datetime | None,
    max_attempts: int | None,
    trace: dict[str, str] | None = None,
) -> int:
    """Defer a job on ``session``'s connection; its id. ``trace``: the W3C trace context its
    run continues (kept in ``args``)."""
    args: dict[str, Any] = {"payload": payload, "max_attempts": max_attempts}
    if trace:
        args["trace"] = trace
    result = await session.execute(
        _DEFER, {"queue": QUEUE, "task": kind, "args": args, "scheduled_at": run_at}
    )
    return int(result.scalar_one())


async def replay(session: AsyncSession, job_id: int) -> ProcrastinateJob | None:
    """Queue a failed job again (procrastinate's retry), with a fresh set of attempts."""
    job = await session.get(ProcrastinateJob, job_id)
    if job is None or job.raw_status != "failed":
        return None
    await session.execute(_RETRY, {"id": job_id, "retry_at": utcnow()})
    # The retry counted one more attempt: this replay's attempts count from here.
    await session.execute(_NOTE, {"id": job_id, "extra": {"attempts_base": job.raw_attempts + 1}})
    await session.refresh(job)
    return job


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(cast(ProcrastinateJob.raw_status, Text), func.count()).group_by(
            ProcrastinateJob.raw_status
        )
    )
    found = dict.fromkeys(STATUSES, 0)
    for status, count in rows.all():
        found[STATUS.get(status, "dead")] += count
    return found


# -- the worker ---------------------------------------------------------------------------------


#: asyncpg's URL options (what SQLAlchemy hands asyncpg) that libpq does not know: dropped.
_ASYNCPG_ONLY = frozenset(
    {"prepared_statement_cache_size", "prepared_statement_name_func", "command_timeout"}
)
#: asyncpg's ``ssl=`` values that are not libpq ``sslmode`` names.
_SSL_MODES = {"true": "require", "false": "disable", "on": "require", "off": "disable"}


def conninfo(settings: Settings) -> str:
    """The libpq connection string of ``BOCAGE_DATABASE_URL`` (procrastinate uses psycopg):
    built key by key by libpq's own quoting (a password with spaces, ``@:/%`` survives), with
    asyncpg's ``ssl=<mode>`` turned into libpq's ``sslmode=<mode>`` and ``timeout=`` into
    ``connect_timeout=``; other options (``host=/run/postgresql`` for a socket, ``sslrootcert=``)
    pass as they are."""
    from psycopg.conninfo import make_conninfo
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    options: dict[str, Any] = {}
    for key, value in url.query.items():
        value = value[-1] if isinstance(value, tuple) else value
        if key in _ASYNCPG_ONLY:
            continue
        if key == "ssl":
            options["sslmode"] = _SSL_MODES.get(value.lower(), value)
        elif key == "timeout":
            options["connect_timeout"] = value
        else:
            options[key] = value
    parts = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    # "" is libpq's empty connection string: every parameter comes from the keywords.
    return make_conninfo("", **{k: v for k, v in parts.items() if v is not None}, **options)


class _Redact(logging.Filter):
    """Keeps the job arguments (the payload: e-mail addresses, texts) out of procrastinate's
    log records: its messages quote ``call_string`` (``kind[id](payload=...)``) and its
    ``extra`` carries the whole job. Bocage logs its own line for a dead job."""

    _CALL = re.compile(r"(\b[\w.]+\[\d+\])\(.*\)", re.DOTALL)

    def filter(self, record: logging.LogRecord) -> bool:
        job = getattr(record, "job", None)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: drop its arguments, keep the template
            message = str(record.msg)
        if isinstance(job, dict):
            call = job.get("call_string")
            if call:
                message = message.replace(call, f"{job.get('task_name')}[{job.get('id')}](…)")
            redacted = {k: v for k, v in job.items() if k not in ("args", "task_kwargs")}
            redacted["call_string"] = f"{job.get('task_name')}[{job.get('id')}](…)"
            record.job = redacted
        jobs = getattr(record, "jobs", None)
        if isinstance(jobs, list):
            record.jobs = [
                {k: v for k, v in j.items() if k not in ("args", "task_kwargs", "call_string")}
                for j in jobs
                if isinstance(j, dict)
            ]
        record.msg, record.args = self._CALL.sub(r"\1(…)", message), None
        return True


_REDACT = _Redact()


def _redact_procrastinate_logs() -> None:
    """Put :class:`_Redact` on every procrastinate logger (a filter on a logger does not apply
    to its children's records, and each worker logs through a child named after it)."""
    for name, item in list(logging.root.manager.loggerDict.items()):
        if name.startswith("procrastinate") and isinstance(item, logging.Logger):
            item.addFilter(_REDACT)


class _AttemptFailed(Exception):
    """An attempt raised; ``next_at``: when it runs again (``None``: it is dead)."""

    def __init__(self, message: str, next_at: dt.datetime | None) -> None:
        super().__init__(message)
        self.next_at = next_at


def _retry_strategy() -> Any:
    from procrastinate.retry import BaseRetryStrategy, RetryDecision

    class Backoff(BaseRetryStrategy):
        """Retry when Bocage's wrapper said when (exponential backoff, max attempts)."""

        def get_retry_decision(self, *, exception: BaseException, job: Any) -> Any:
            if isinstance(exception, _AttemptFailed) and exception.next_at is not None:
                return RetryDecision(retry_at=exception.next_at)
            return None

    return Backoff()


class _Tasks(dict[str, Any]):
    """The app's tasks; a job of an unregistered kind gets a task that fails it with a clear
    message (retried like any failure), rather than procrastinate's bare ``TaskNotFound``."""

    def __init__(self, tasks: dict[str, Any], make: Any) -> None:
        super().__init__(tasks)
        self._make = make

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        found = super().get(name)
        if found is None and not name.startswith("procrastinate."):
            found = self._make(name)
        return found if found is not None else default


class ProcrastinateWorker(BaseWorker):
    """``bocage worker`` on PostgreSQL: procrastinate's worker plus the relay loop; same
    interface as the table queue's :class:`~bocage.core.jobs.worker.Worker`."""

    def __init__(
        self,
        settings: Settings,
        host: PluginHost,
        engine: AsyncEngine,
        *,
        concurrency: int | None = None,
    ) -> None:
        super().__init__(settings, host, engine, concurrency=concurrency)
        self._retry = _retry_strategy()

    # Seconds without a heartbeat after which a worker is deemed dead and its jobs retried.
    @property
    def stalled_after(self) -> float:
        return self.settings.jobs_lease_seconds

    def app(self) -> App:
        from procrastinate import App, PsycopgConnector
        from procrastinate.tasks import Task

        app = App(
            connector=PsycopgConnector(
                conninfo=conninfo(self.settings), min_size=1, max_size=self.concurrency + 4
            )
        )

        def make(name: str) -> Any:
            async def run(context: Any, **args: Any) -> None:
                await self.execute(name, context.job, args)

            return Task(
                run, blueprint=app, name=name, retry=self._retry, pass_context=True, queue=QUEUE
            )

        for name in self.kinds:
            app.tasks[name] = make(name)
        app.tasks = _Tasks(app.tasks, make)
        return app

    def _worker(self, app: App, *, wait: bool) -> Any:
        from procrastinate.worker import Worker

        worker = Worker(
            app=app,
            name=self.name,
            concurrency=self.concurrency,
            wait=wait,
            fetch_job_polling_interval=self.settings.jobs_poll_interval,
            install_signal_handlers=False,
            update_heartbeat_interval=max(self.stalled_after / 4, 0.2),
            stalled_worker_timeout=self.stalled_after,
            # Then the jobs still running are cancelled: ``execute`` hands them back.
            shutdown_graceful_timeout=self.settings.jobs_shutdown_timeout_seconds,
        )
        _redact_procrastinate_logs()
        return worker

    async def _run_until_stopped(self, worker: Any) -> None:
        """``worker.run()`` until it ends (or raises) or :meth:`stop` is called: then it is
        asked to stop (running jobs finish) or, still starting, cancelled."""
        run = asyncio.ensure_future(worker.run())
        stop_waiter = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({run, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not run.done():
                if worker.run_task is None:  # still registering: nothing runs yet
                    run.cancel()
                else:
                    worker.stop()
                await asyncio.gather(run, return_exceptions=True)
                return
            run.result()
        finally:
            stop_waiter.cancel()
            if not run.done():  # we were cancelled ourselves
                run.cancel()
                await asyncio.gather(run, return_exceptions=True)

    async def run(self, *, burst: bool = False) -> None:
        from bocage.core.webhooks.delivery import close_clients

        logger.info("worker %s started (%d at once, procrastinate)", self.name, self.concurrency)
        app = self.app()
        try:
            async with app.open_async():
                if burst:
                    await self._burst(app)
                else:
                    await self._forever(app)
        finally:
            await close_clients()
            logger.info("worker %s stopped", self.name)

    async def _burst(self, app: App) -> None:
        await self.retry_stalled()
        while not self._stopping.is_set():
            relayed = await self.relay()
            await self._run_until_stopped(self._worker(app, wait=False))
            if not relayed:
                break

    async def _forever(self, app: App) -> None:
        side = asyncio.create_task(self._side_loop(app))
        stop_waiter = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                try:
                    await self._run_until_stopped(self._worker(app, wait=True))
                except Exception:  # the database was away too long: start a fresh one
                    logger.exception(
                        "worker %s: procrastinate's worker stopped, restarting in %s s",
                        self.name,
                        self.settings.jobs_poll_interval,
                    )
                    await asyncio.wait({stop_waiter}, timeout=self.settings.jobs_poll_interval)
        finally:
            self._stopping.set()
            stop_waiter.cancel()
            await asyncio.gather(side, return_exceptions=True)

    async def _side_loop(self, app: App) -> None:
        """Relay events, retry dead workers' jobs, prune: until the worker stops."""
        stop_waiter = asyncio.ensure_future(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                relayed = 0
                try:
                    if self._prune_due():
                        await self.prune()
                    relayed = await self.relay()
                    await self.retry_stalled()
                except Exception:  # the database went away: log, wait, try again
                    logger.exception("worker %s could not relay events", self.name)
                if relayed:
                    continue
                await asyncio.wait({stop_waiter}, timeout=self.settings.jobs_poll_interval)
        finally:
            stop_waiter.cancel()

    @property
    def overdue_after(self) -> float:
        """Seconds after its start when a running job is surely no longer run (handlers are
        cut at the lease; recording the outcome retries for ~16 s): its end was lost."""
        return 2 * self.stalled_after + 60

    async def retry_stalled(self) -> int:
        """Queue again the running jobs whose worker's heartbeat stopped (a killed worker), or
        that started longer ago than :attr:`overdue_after` (their outcome failed to save under a
        live worker): at-least-once, nothing is lost. One statement re-checks both conditions
        as it updates, so a job another worker took again meanwhile is left alone."""
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    _RETRY_STALLED,
                    {"lease": self.stalled_after, "overdue": self.overdue_after},
                )
            ).all()
        for job_id, task_name in rows:
            logger.warning(
                "job %s (%s): its worker died or its outcome was lost, queued again",
                job_id,
                task_name,
            )
        return len(rows)

    async def prune_jobs(
        self, session: AsyncSession, cutoff: dt.datetime, personal: list[str]
    ) -> int:
        old = (
            select(events.c.job_id).group_by(events.c.job_id).having(func.max(events.c.at) < cutoff)
        )
        result = await session.execute(
            delete(ProcrastinateJob)
            .where(
                or_(
                    status_filter("succeeded"),
                    and_(status_filter("dead"), ProcrastinateJob.task_name.in_(personal)),
                ),
                ProcrastinateJob.id.in_(old),
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def execute(self, name: str, job: Any, args: dict[str, Any]) -> None:
        """One attempt of ``job``: run its kind's handler; on failure note the error and raise
        for procrastinate to retry (or fail) it."""
        from bocage.core.jobs import UnknownJobKind, backoff

        kind = self.kinds.get(name)
        attempt = job.attempts - int(args.get("attempts_base") or 0) + 1
        maximum = (
            args.get("max_attempts")
            or (kind.max_attempts if kind else None)
            or self.settings.jobs_max_attempts
        )
        last = attempt >= maximum
        next_at = None if last else utcnow() + dt.timedelta(seconds=backoff(self.settings, attempt))
        context = JobContext(
            job_id=job.id,
            kind=name,
            attempt=attempt,
            max_attempts=maximum,
            next_attempt_at=next_at,
            settings=self.settings,
            host=self.host,
            sessionmaker=self.sessionmaker,
        )
        try:
            if kind is None:
                raise UnknownJobKind(
                    f"no enabled plugin runs jobs of kind {name!r} (see `bocage plugins list`)"
                )
            with tracing.job_span(name, job.id, attempt, args.get("trace")):
                await asyncio.wait_for(
                    kind.handler(context, args.get("payload") or {}),
                    timeout=self.settings.jobs_lease_seconds,
                )
        except asyncio.CancelledError:
            if not self._stopping.is_set():
                raise  # aborted on request: procrastinate marks it so
            # Cut by the shutdown: hand it back, due now, this attempt not counted
            # (procrastinate's retry adds one to `attempts`, `attempts_base` takes it off).
            base = int(args.get("attempts_base") or 0) + 1
            await self._note(job.id, {"attempts_base": base})
            logger.warning("job %s (%s) unfinished at shutdown: handed back", job.id, name)
            raise _AttemptFailed("unfinished at shutdown: handed back", utcnow()) from None
        except Exception as error:
            message = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
            if last:
                logger.warning(
                    "job %s (%s) is dead after %d attempts: %s", job.id, name, attempt, message
                )
            await self._note(job.id, {"last_error": message})
            raise _AttemptFailed(message, next_at) from error
        extra: dict[str, Any] = {"last_error": None}
        if kind.personal:  # personal data is kept no longer than needed
            extra["payload"] = {}
        await self._note(job.id, extra)

    async def _note(self, job_id: int, extra: dict[str, Any]) -> None:
        for attempt in range(5):
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(_NOTE, {"id": job_id, "extra": extra})
                return
            except Exception:  # keep the outcome if the database blinks
                logger.exception("could not record the outcome of job %s", job_id)
                await asyncio.sleep(0.5 * 2**attempt)


__all__ = ["ProcrastinateJob", "ProcrastinateWorker", "counts", "enqueue", "replay"]
