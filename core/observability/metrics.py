"""Prometheus metrics: the series docs/observability.md lists, their registry and exposition.

Counters and histograms are updated as requests end (:mod:`.middleware`), as webhooks are
delivered and as the response cache answers. Gauges of the database (pool use, job queue,
webhook deliveries) are read when they are scraped (:meth:`Metrics.refresh`), so that every
API worker reports the queue whichever process runs the jobs.

Several worker processes: set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess
mode) and every worker answers with the sum of all; otherwise each answers for itself.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

    from bocage.core.settings import Settings

logger = logging.getLogger("bocage.observability")

#: Reads the gauges of the database into the metrics (``bocage.core.jobs.gauges.read``,
#: given by the app: the queue's tables are above this module).
Gauges = Callable[["Metrics", "AsyncSession"], Awaitable[None]]

#: Seconds: request durations are counted in these buckets (a few ms to the GraphQL timeout).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

#: What a GraphQL operation name must look like to be a label (the GraphQL grammar's names).
NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
#: Labels of operations that carry no usable name.
ANONYMOUS, PERSISTED, UNKNOWN, OTHER = "anonymous", "persisted", "unknown", "other"


def multiprocess_dir() -> str | None:
    """prometheus-client's multiprocess directory, when several workers share the counts."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class OperationNames:
    """Bounds the ``operation`` label: the first ``limit`` names of operations that were
    executed (not refused with a 4xx), then ``other``. A malformed name is ``unknown``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.known: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str | None, *, admit: bool) -> str:
        """The label of ``name``; ``admit``: the operation was executed, so a new name may
        take a slot."""
        if name is None or name in (ANONYMOUS, PERSISTED, UNKNOWN):
            return name or ANONYMOUS
        if name in self.known:
            return name
        if not NAME.fullmatch(name):
            return UNKNOWN
        with self._lock:
            if admit and len(self.known) < self.limit:
                self.known.add(name)
                return name
        return OTHER


class Metrics:
    """Every Bocage series, in a registry of this app's own (two apps in one process, as in
    tests, do not mix their counts)."""

    def __init__(
        self,
        settings: Settings,
        engines: dict[str, AsyncEngine],
        sessionmaker: async_sessionmaker[AsyncSession],
        gauges: Gauges | None = None,
    ) -> None:
        self.settings = settings
        self.engines = engines
        self.sessionmaker = sessionmaker
        self.gauges = gauges
        self.registry = CollectorRegistry(auto_describe=True)
        self.operations = OperationNames(settings.metrics_max_operations)
        self.queued_kinds: set[str] = set()
        r = self.registry
        self.http_requests = Counter(
            "bocage_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "bocage_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method and route.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.graphql_requests = Counter(
            "bocage_graphql_requests",
            "GraphQL operations over HTTP, by operation name and outcome (ok, graphql_error, "
            "client_error, server_error).",
            ["operation", "outcome"],
            registry=r,
        )
        self.graphql_duration = Histogram(
            "bocage_graphql_request_duration_seconds",
            "Time to answer a GraphQL operation over HTTP, by operation name.",
            ["operation"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.response_cache = Counter(
            "bocage_graphql_response_cache_requests",
            "Anonymous GET /graphql requests the in-process response cache looked up, by "
            "result (hit, miss).",
            ["result"],
            registry=r,
        )
        self.websockets = Gauge(
            "bocage_graphql_websocket_connections",
            "Open GraphQL WebSocket connections.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.subscriptions = Gauge(
            "bocage_graphql_subscriptions_active",
            "GraphQL subscriptions running over WebSockets.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.pool_checked_out = Gauge(
            "bocage_db_pool_checked_out",
            "Database connections in use, by engine (main: writes and resolvers; read: the "
            "fast path's reads).",
            ["engine"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.pool_size = Gauge(
            "bocage_db_pool_size",
            "Connections the engine's pool keeps open at most without overflow, by engine.",
            ["engine"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.pool_overflow = Gauge(
            "bocage_db_pool_overflow",
            "Connections opened beyond the pool's size (negative: unused room), by engine.",
            ["engine"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.jobs = Gauge(
            "bocage_jobs",
            "Background jobs in the queue, by status (queued, running, succeeded, dead).",
            ["status"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.jobs_queued = Gauge(
            "bocage_jobs_queued",
            "Jobs waiting to run (the queue's depth), by kind.",
            ["kind"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.jobs_oldest_due = Gauge(
            "bocage_jobs_oldest_due_age_seconds",
            "Seconds the oldest due job has waited for a worker (0: none waits).",
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.webhook_deliveries = Gauge(
            "bocage_webhook_deliveries",
            "Webhook deliveries kept (BOCAGE_JOBS_RETENTION_DAYS), by status (pending, "
            "succeeded, failed, cancelled).",
            ["status"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.webhook_lag = Gauge(
            "bocage_webhook_delivery_lag_seconds",
            "Seconds since the oldest event still waiting to reach a subscriber occurred "
            "(0: none waits).",
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.webhook_attempts = Counter(
            "bocage_webhook_delivery_attempts",
            "Webhook requests made by this process's job worker, by outcome (succeeded, failed).",
            ["outcome"],
            registry=r,
        )
        self.webhook_duration = Histogram(
            "bocage_webhook_delivery_duration_seconds",
            "Time a subscriber took to answer a webhook request (or to fail).",
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.scrape_errors = Counter(
            "bocage_metrics_refresh_errors",
            "Scrapes whose database gauges could not be read (they keep their last values).",
            registry=r,
        )

    # -- read at scrape time --------------------------------------------------------------------

    def refresh_pools(self) -> None:
        for name, engine in self.engines.items():
            pool: Any = engine.pool
            if hasattr(pool, "checkedout"):
                self.pool_checked_out.labels(name).set(pool.checkedout())
            if hasattr(pool, "size"):
                self.pool_size.labels(name).set(pool.size())
            if hasattr(pool, "overflow"):
                self.pool_overflow.labels(name).set(pool.overflow())

    async def refresh(self) -> None:
        """Read the gauges of the pools, and (``gauges``) those of the database."""
        self.refresh_pools()
        if self.gauges is None:
            return
        try:
            async with self.sessionmaker() as session:
                await self.gauges(self, session)
        except Exception:  # the database is away: the scrape still answers
            logger.warning("metrics: cannot read the job queue", exc_info=True)
            self.scrape_errors.inc()

    # -- exposition -----------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The text format of every series (of every worker in multiprocess mode)."""
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry), CONTENT_TYPE_LATEST


#: The metrics of the running app (the last one built): what code without a request at hand
#: (the webhook delivery job) updates. None when metrics are off.
_current: Metrics | None = None


def current() -> Metrics | None:
    return _current


def install(metrics: Metrics | None) -> None:
    global _current
    _current = metrics


def webhook_attempt(succeeded: bool, seconds: float) -> None:
    """Count one webhook request of this process and how long it took."""
    if _current is not None:
        _current.webhook_attempts.labels("succeeded" if succeeded else "failed").inc()
        _current.webhook_duration.observe(seconds)


def observe_worker(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """A job worker's tracing (its SQL statements, its jobs' spans) and, in a process of its
    own (``bocage worker``), its counters (read through ``PROMETHEUS_MULTIPROC_DIR``)."""
    from bocage.core.observability import tracing

    tracing.configure(settings)
    tracing.instrument_engine(engine)
    if settings.metrics_enabled and _current is None:
        install(Metrics(settings, {}, sessionmaker))
