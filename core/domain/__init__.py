"""The domain: the rules every write obeys and the unit of work that carries it out, in plain
Python and SQLAlchemy, so that any caller uses them: a GraphQL mutation, a REST route, the
spreadsheet import, a job, a CLI command or a script.

- :mod:`~bocage.core.domain.errors`: :class:`Invalid`, the expected failure (field, code,
  message) every writer turns into its own answer (a payload's ``errors``, a 4xx, a report row);
- :mod:`~bocage.core.domain.ids`: the global IDs of rows, without a GraphQL library;
- :mod:`~bocage.core.domain.changes`: what a write did to one row (:class:`Change`), its
  audit entry, version checks and links;
- :mod:`~bocage.core.domain.rules`: the core domain's rules (projects, organisations, PST);
- :mod:`~bocage.core.domain.projects`, :mod:`~bocage.core.domain.territory`: the changes
  themselves (a project and its links; communes and a commune's PST), for any writer;
- :mod:`~bocage.core.domain.permissions`: the permissions these writes need;
- :mod:`~bocage.core.domain.work`: the unit of work (transaction, permission, idempotency key,
  optimistic version, audit, domain events, after-commit callbacks).

Nothing here imports a web framework, GraphQL, an HTTP client or a CLI library
(``tests/core/test_domain_imports.py`` walks the imports to keep it so).
"""
