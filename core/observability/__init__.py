"""What an operator watches: Prometheus metrics (:mod:`.metrics`), OpenTelemetry traces
(:mod:`.tracing`), JSON logs (:mod:`.logging`) and the request id, metrics and access log of
each request (:mod:`.middleware`), assembled for the app by :class:`.setup.Observability`.
docs/observability.md describes them for operators.

This module imports nothing, so that the job queue and the webhooks can use
:mod:`.tracing` and :mod:`.metrics` without importing the web layer.
"""
