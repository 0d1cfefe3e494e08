"""The reference queries of the benchmark, and what each server is sent for them.

For each query: the GraphQL document Bocage answers; the floor, one hand-written SQL statement
per engine that builds the same JSON (``bench/floor.py`` serves it); the equivalent document
in PostGraphile 4's generated schema (over the helpers of ``postgraphile.sql``); and how to read
the items (ids and titles) each server returned, which the bench compares.

Used by ``bench/run.py`` and ``bench/floor.py`` (imported as a plain module: ``bench/`` is on
``sys.path`` when either runs).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Facts:
    """What the queries' variables depend on in the generated dataset."""

    #: A commune's NIS code (the first one: one of the most linked).
    nis_code: str
    #: "Now" for the upcoming events: the start of the hour the dataset was generated in.
    now: dt.datetime


@dataclass(frozen=True)
class Reference:
    name: str
    #: What a front-end shows with it.
    title: str
    document: str
    variables: Callable[[Facts], dict[str, Any]]
    floor_postgresql: str
    floor_sqlite: str
    #: The floor statement's parameters, from the request's variables, per engine.
    floor_parameters: Callable[[dict[str, Any], str], tuple[Any, ...]]
    #: The equivalent query in PostGraphile's schema (None: not comparable).
    postgraphile: str | None
    postgraphile_variables: Callable[[Facts], dict[str, Any]]
    #: (id, title) of the items Bocage returned (ids decoded from global IDs).
    items: Callable[[dict[str, Any]], list[tuple[int, str]]]
    #: The same from PostGraphile's answer.
    postgraphile_items: Callable[[dict[str, Any]], list[tuple[int, str]]]


def decode_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().rsplit(":", 1)[1])


def _edges(data: dict[str, Any] | None, *path: str) -> list[dict[str, Any]]:
    for key in path:
        if data is None:
            return []
        data = data.get(key)
    return [edge["node"] for edge in (data or {}).get("edges", [])]


# -- the project list (the reference query) ------------------------------------------

PROJECTS = (
    "{ projects(first: 50) { edges { node { id title status communes { name } "
    "stakeholders { stakeholder { name } } } } } }"
)

# Texts in the caller's language, else the first of fr, nl, de, en (Bocage's fallback).
_PG_FR = "coalesce({0}->>'fr', {0}->>'nl', {0}->>'de', {0}->>'en', '')"
_PG_NL = "coalesce({0}->>'nl', {0}->>'fr', {0}->>'de', {0}->>'en', '')"
_LITE_FR = (
    "coalesce(json_extract({0}, '$.fr'), json_extract({0}, '$.nl'), "
    "json_extract({0}, '$.de'), json_extract({0}, '$.en'), '')"
)
_LITE_NL = (
    "coalesce(json_extract({0}, '$.nl'), json_extract({0}, '$.fr'), "
    "json_extract({0}, '$.de'), json_extract({0}, '$.en'), '')"
)

PROJECTS_PG = f"""
SELECT json_build_object('projects', json_build_object('edges', coalesce(json_agg(
  json_build_object('node', json_build_object(
    'id', encode(convert_to('Project:' || p.id, 'UTF8'), 'base64'),
    'title', {_PG_FR.format("p.title")},
    'status', upper(p.status),
    'communes', (
      SELECT coalesce(json_agg(json_build_object('name', {_PG_FR.format("c.name")})
                      ORDER BY c.nis_code), '[]')
      FROM project_commune pc JOIN commune c ON c.id = pc.commune_id
      WHERE pc.project_id = p.id AND c.deleted_at IS NULL),
    'stakeholders', (
      SELECT coalesce(json_agg(json_build_object('stakeholder', json_build_object('name', s.name))
                      ORDER BY array_position(ARRAY['lead', 'partner', 'funder'], ps.role::text),
                               s.name, s.id), '[]')
      FROM project_stakeholder ps JOIN stakeholder s ON s.id = ps.stakeholder_id
      WHERE ps.project_id = p.id AND s.deleted_at IS NULL)))
    ORDER BY p.created_at DESC, p.id DESC), '[]')))
FROM (SELECT * FROM project WHERE deleted_at IS NULL
      ORDER BY created_at DESC, id DESC LIMIT 50) p
"""

# SQLite (3.40: no ordered aggregates): json_group_array keeps the order of an ordered
# subquery; b64() is registered by the floor (SQLite has no base64).
PROJECTS_SQLITE = f"""
SELECT json_object('projects', json_object('edges', json_group_array(
  json_object('node', json_object(
    'id', b64('Project:' || p.id),
    'title', {_LITE_FR.format("p.title")},
    'status', upper(p.status),
    'communes', (
      SELECT json_group_array(json_object('name', {_LITE_FR.format("c.name")}))
      FROM (SELECT c.name FROM project_commune pc JOIN commune c ON c.id = pc.commune_id
            WHERE pc.project_id = p.id AND c.deleted_at IS NULL ORDER BY c.nis_code) c),
    'stakeholders', (
      SELECT json_group_array(json_object('stakeholder', json_object('name', s.name)))
      FROM (SELECT s.name FROM project_stakeholder ps JOIN stakeholder s
              ON s.id = ps.stakeholder_id
            WHERE ps.project_id = p.id AND s.deleted_at IS NULL
            ORDER BY CASE ps.role WHEN 'lead' THEN 0 WHEN 'partner' THEN 1 ELSE 2 END,
                     s.name, s.id) s))))))
FROM (SELECT * FROM project WHERE deleted_at IS NULL
      ORDER BY created_at DESC, id DESC LIMIT 50) p
"""

PROJECTS_POSTGRAPHILE = """
{ projects: allProjects(first: 50, orderBy: [CREATED_AT_DESC, ID_DESC],
                        condition: {deletedAt: null}) {
    edges { node { id title: localizedTitle status
      communes: projectCommunesByProjectId { nodes { commune: communeByCommuneId {
        name: localizedName } } }
      stakeholders: projectStakeholdersByProjectId { nodes {
        stakeholder: stakeholderByStakeholderId { name } } } } } } }
"""


def _projects_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(decode_id(n["id"]), n["title"]) for n in _edges(data, "projects")]


def _projects_pg4_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(n["id"], n["title"]) for n in _edges(data, "projects")]


# -- a commune's page, in Dutch ----------------------------------------------------------------

COMMUNE = """query CommunePage($nisCode: String!) {
  commune(nisCode: $nisCode) {
    id nisCode name(lang: NL)
    strategicPlan {
      title(lang: NL) startYear endYear
      strategicObjectives {
        code title(lang: NL)
        operationalObjectives {
          code title(lang: NL)
          actions { code title(lang: NL) budget } } } }
    projects(first: 20) {
      totalCount
      edges { node {
        id title(lang: NL) status
        pstActions { code title(lang: NL) }
        indicators { name(lang: NL) unit target values { measuredOn value } } } } } } }"""

COMMUNE_PG = f"""
SELECT json_build_object('commune', (
  SELECT json_build_object(
    'id', encode(convert_to('Commune:' || c.id, 'UTF8'), 'base64'),
    'nisCode', c.nis_code,
    'name', {_PG_NL.format("c.name")},
    'strategicPlan', (
      SELECT json_build_object(
        'title', {_PG_NL.format("sp.title")}, 'startYear', sp.start_year,
        'endYear', sp.end_year,
        'strategicObjectives', (
          SELECT coalesce(json_agg(json_build_object(
            'code', so.code, 'title', {_PG_NL.format("so.title")},
            'operationalObjectives', (
              SELECT coalesce(json_agg(json_build_object(
                'code', oo.code, 'title', {_PG_NL.format("oo.title")},
                'actions', (
                  SELECT coalesce(json_agg(json_build_object(
                    'code', a.code, 'title', {_PG_NL.format("a.title")},
                    'budget', a.budget::text) ORDER BY a.position, a.code, a.id), '[]')
                  FROM pst_action a
                  WHERE a.operational_objective_id = oo.id AND a.deleted_at IS NULL)
              ) ORDER BY oo.position, oo.code, oo.id), '[]')
              FROM operational_objective oo
              WHERE oo.strategic_objective_id = so.id AND oo.deleted_at IS NULL)
          ) ORDER BY so.position, so.code, so.id), '[]')
          FROM strategic_objective so WHERE so.plan_id = sp.id AND so.deleted_at IS NULL))
      FROM strategic_plan sp WHERE sp.commune_id = c.id AND sp.deleted_at IS NULL
      ORDER BY sp.start_year DESC, sp.id DESC LIMIT 1),
    'projects', json_build_object(
      'totalCount', (
        SELECT count(*) FROM project_commune pc JOIN project p ON p.id = pc.project_id
        WHERE pc.commune_id = c.id AND p.deleted_at IS NULL),
      'edges', (
        SELECT coalesce(json_agg(json_build_object('node', json_build_object(
          'id', encode(convert_to('Project:' || p.id, 'UTF8'), 'base64'),
          'title', {_PG_NL.format("p.title")},
          'status', upper(p.status),
          'pstActions', (
            SELECT coalesce(json_agg(json_build_object(
              'code', a.code, 'title', {_PG_NL.format("a.title")}) ORDER BY a.code, a.id), '[]')
            FROM project_pst_action pa JOIN pst_action a ON a.id = pa.pst_action_id
            WHERE pa.project_id = p.id AND a.deleted_at IS NULL),
          'indicators', (
            SELECT coalesce(json_agg(json_build_object(
              'name', {_PG_NL.format("i.name")}, 'unit', i.unit, 'target', i.target::text,
              'values', (
                SELECT coalesce(json_agg(json_build_object(
                  'measuredOn', v.measured_on::text, 'value', v.value::text)
                  ORDER BY v.measured_on, v.id), '[]')
                FROM indicator_value v WHERE v.indicator_id = i.id)
            ) ORDER BY i.id), '[]')
            FROM indicator i WHERE i.project_id = p.id AND i.deleted_at IS NULL)
        )) ORDER BY p.created_at DESC, p.id DESC), '[]')
        FROM (SELECT p.* FROM project_commune pc JOIN project p ON p.id = pc.project_id
              WHERE pc.commune_id = c.id AND p.deleted_at IS NULL
              ORDER BY p.created_at DESC, p.id DESC LIMIT 20) p))
  ) FROM commune c WHERE c.nis_code = $1 AND c.deleted_at IS NULL))
"""

COMMUNE_SQLITE = f"""
SELECT json_object('commune', json((
  SELECT json_object(
    'id', b64('Commune:' || c.id),
    'nisCode', c.nis_code,
    'name', {_LITE_NL.format("c.name")},
    'strategicPlan', json((
      SELECT json_object(
        'title', {_LITE_NL.format("sp.title")}, 'startYear', sp.start_year,
        'endYear', sp.end_year,
        'strategicObjectives', (
          SELECT json_group_array(json_object(
            'code', so.code, 'title', {_LITE_NL.format("so.title")},
            'operationalObjectives', (
              SELECT json_group_array(json_object(
                'code', oo.code, 'title', {_LITE_NL.format("oo.title")},
                'actions', (
                  SELECT json_group_array(json_object(
                    'code', a.code, 'title', {_LITE_NL.format("a.title")},
                    'budget', printf('%.2f', a.budget)))
                  FROM (SELECT * FROM pst_action a
                        WHERE a.operational_objective_id = oo.id AND a.deleted_at IS NULL
                        ORDER BY a.position, a.code, a.id) a)))
              FROM (SELECT * FROM operational_objective oo
                    WHERE oo.strategic_objective_id = so.id AND oo.deleted_at IS NULL
                    ORDER BY oo.position, oo.code, oo.id) oo)))
          FROM (SELECT * FROM strategic_objective so
                WHERE so.plan_id = sp.id AND so.deleted_at IS NULL
                ORDER BY so.position, so.code, so.id) so))
      FROM strategic_plan sp WHERE sp.commune_id = c.id AND sp.deleted_at IS NULL
      ORDER BY sp.start_year DESC, sp.id DESC LIMIT 1)),
    'projects', json_object(
      'totalCount', (
        SELECT count(*) FROM project_commune pc JOIN project p ON p.id = pc.project_id
        WHERE pc.commune_id = c.id AND p.deleted_at IS NULL),
      'edges', (
        SELECT json_group_array(json_object('node', json_object(
          'id', b64('Project:' || p.id),
          'title', {_LITE_NL.format("p.title")},
          'status', upper(p.status),
          'pstActions', (
            SELECT json_group_array(json_object('code', a.code,
                                                'title', {_LITE_NL.format("a.title")}))
            FROM (SELECT a.* FROM project_pst_action pa JOIN pst_action a
                    ON a.id = pa.pst_action_id
                  WHERE pa.project_id = p.id AND a.deleted_at IS NULL
                  ORDER BY a.code, a.id) a),
          'indicators', (
            SELECT json_group_array(json_object(
              'name', {_LITE_NL.format("i.name")}, 'unit', i.unit,
              'target', printf('%.4f', i.target),
              'values', (
                SELECT json_group_array(json_object(
                  'measuredOn', v.measured_on, 'value', printf('%.4f', v.value)))
                FROM (SELECT * FROM indicator_value v WHERE v.indicator_id = i.id
                      ORDER BY v.measured_on, v.id) v)))
            FROM (SELECT * FROM indicator i WHERE i.project_id = p.id AND i.deleted_at IS NULL
                  ORDER BY i.id) i))))
        FROM (SELECT p.* FROM project_commune pc JOIN project p ON p.id = pc.project_id
              WHERE pc.commune_id = c.id AND p.deleted_at IS NULL
              ORDER BY p.created_at DESC, p.id DESC LIMIT 20) p)))
  FROM commune c WHERE c.nis_code = ? AND c.deleted_at IS NULL)))
"""

COMMUNE_POSTGRAPHILE = """query CommunePage($nisCode: String!) {
  commune: communeByNisCode(nisCode: $nisCode) {
    id nisCode name: localizedName(lang: "nl")
    strategicPlans: strategicPlansByCommuneId(first: 1, orderBy: [START_YEAR_DESC, ID_DESC],
                                              condition: {deletedAt: null}) { nodes {
      title: localizedTitle(lang: "nl") startYear endYear
      strategicObjectives: strategicObjectivesByPlanId(orderBy: [POSITION_ASC, CODE_ASC, ID_ASC],
                                                       condition: {deletedAt: null}) { nodes {
        code title: localizedTitle(lang: "nl")
        operationalObjectives: operationalObjectivesByStrategicObjectiveId(
            orderBy: [POSITION_ASC, CODE_ASC, ID_ASC], condition: {deletedAt: null}) { nodes {
          code title: localizedTitle(lang: "nl")
          actions: pstActionsByOperationalObjectiveId(
              orderBy: [POSITION_ASC, CODE_ASC, ID_ASC], condition: {deletedAt: null}) {
            nodes { code title: localizedTitle(lang: "nl") budget } } } } } } } }
    projects(first: 20) {
      totalCount
      edges { node {
        id title: localizedTitle(lang: "nl") status
        pstActions: projectPstActionsByProjectId { nodes { action: pstActionByPstActionId {
          code title: localizedTitle(lang: "nl") } } }
        indicators: indicatorsByProjectId(orderBy: ID_ASC, condition: {deletedAt: null}) {
          nodes { name: localizedName(lang: "nl") unit target
            values: indicatorValuesByIndicatorId(orderBy: [MEASURED_ON_ASC, ID_ASC]) {
              nodes { measuredOn value } } } } } } } } }"""


def _commune_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(decode_id(n["id"]), n["title"]) for n in _edges(data, "commune", "projects")]


def _commune_pg4_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(n["id"], n["title"]) for n in _edges(data, "commune", "projects")]


# -- the territory's upcoming events, with the seats left -------------------------------------

EVENTS = """query UpcomingEvents($from: DateTime!) {
  workshopsEvents(first: 20, startsAfter: $from) {
    edges { node { id title kind status startsAt commune capacity seatsLeft } } } }"""

_SEATS_LEFT = """CASE WHEN e.capacity IS NULL THEN NULL ELSE max(0, e.capacity - (
        SELECT count(*) FROM workshops_registration r
        WHERE r.event_id = e.id AND r.status = 'confirmed')) END"""

# Times in Europe/Brussels: the floor's connections use that time zone.
EVENTS_PG = f"""
SELECT json_build_object('workshopsEvents', json_build_object('edges', coalesce(json_agg(
  json_build_object('node', json_build_object(
    'id', encode(convert_to('WorkshopsEvent:' || e.id, 'UTF8'), 'base64'),
    'title', {_PG_FR.format("e.title")},
    'kind', upper(e.kind),
    'status', upper(e.status),
    'startsAt', to_char(e.starts_at, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'),
    'commune', encode(convert_to('Commune:' || e.commune_id, 'UTF8'), 'base64'),
    'capacity', e.capacity,
    'seatsLeft', {_SEATS_LEFT.replace("max(0,", "greatest(0,")}))
    ORDER BY e.starts_at, e.id), '[]')))
FROM (SELECT * FROM workshops_event
      WHERE deleted_at IS NULL AND status IN ('published', 'cancelled') AND starts_at >= $1
      ORDER BY starts_at, id LIMIT 20) e
"""

# SQLite stores UTC text: Brussels is UTC+2 from the last Sunday of March, 01:00 UTC, to the
# last Sunday of October, 01:00 UTC, and UTC+1 otherwise.
_SUMMER = (
    "e.starts_at >= date(strftime('%Y', e.starts_at) || '-03-25', 'weekday 0') || ' 01:00:00' "
    "AND e.starts_at < date(strftime('%Y', e.starts_at) || '-10-25', 'weekday 0') || ' 01:00:00'"
)
EVENTS_SQLITE = f"""
SELECT json_object('workshopsEvents', json_object('edges', json_group_array(
  json_object('node', json_object(
    'id', b64('WorkshopsEvent:' || e.id),
    'title', {_LITE_FR.format("e.title")},
    'kind', upper(e.kind),
    'status', upper(e.status),
    'startsAt', CASE WHEN {_SUMMER}
                THEN strftime('%Y-%m-%dT%H:%M:%S', e.starts_at, '+2 hours') || '+02:00'
                ELSE strftime('%Y-%m-%dT%H:%M:%S', e.starts_at, '+1 hours') || '+01:00' END,
    'commune', b64('Commune:' || e.commune_id),
    'capacity', e.capacity,
    'seatsLeft', {_SEATS_LEFT})))))
FROM (SELECT * FROM workshops_event
      WHERE deleted_at IS NULL AND status IN ('published', 'cancelled') AND starts_at >= ?
      ORDER BY starts_at, id LIMIT 20) e
"""

EVENTS_POSTGRAPHILE = """query UpcomingEvents($from: Datetime!) {
  workshopsEvents: upcomingWorkshopsEvents(from: $from, first: 20) {
    edges { node { id title: localizedTitle kind status startsAt commune: communeId capacity
                   seatsLeft } } } }"""


def _events_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(decode_id(n["id"]), n["title"]) for n in _edges(data, "workshopsEvents")]


def _events_pg4_items(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(n["id"], n["title"]) for n in _edges(data, "workshopsEvents")]


def _from(variables: dict[str, Any], engine: str) -> tuple[Any, ...]:
    moment = dt.datetime.fromisoformat(variables["from"]).astimezone(dt.UTC)
    if engine == "sqlite":  # stored as naive UTC text
        return (moment.replace(tzinfo=None).isoformat(sep=" "),)
    return (moment,)


REFERENCES: dict[str, Reference] = {
    r.name: r
    for r in (
        Reference(
            name="projects",
            title="front page: projects(first: 50) with communes and stakeholder names",
            document=PROJECTS,
            variables=lambda facts: {},
            floor_postgresql=PROJECTS_PG,
            floor_sqlite=PROJECTS_SQLITE,
            floor_parameters=lambda variables, engine: (),
            postgraphile=PROJECTS_POSTGRAPHILE,
            postgraphile_variables=lambda facts: {},
            items=_projects_items,
            postgraphile_items=_projects_pg4_items,
        ),
        Reference(
            name="commune",
            title="commune page (lang: NL): PST tree, 20 projects with PST actions and "
            "indicator values",
            document=COMMUNE,
            variables=lambda facts: {"nisCode": facts.nis_code},
            floor_postgresql=COMMUNE_PG,
            floor_sqlite=COMMUNE_SQLITE,
            floor_parameters=lambda variables, engine: (variables["nisCode"],),
            postgraphile=COMMUNE_POSTGRAPHILE,
            postgraphile_variables=lambda facts: {"nisCode": facts.nis_code},
            items=_commune_items,
            postgraphile_items=_commune_pg4_items,
        ),
        Reference(
            name="events",
            title="upcoming events (workshops plugin), 20, with seats left",
            document=EVENTS,
            variables=lambda facts: {"from": facts.now.isoformat()},
            floor_postgresql=EVENTS_PG,
            floor_sqlite=EVENTS_SQLITE,
            floor_parameters=_from,
            postgraphile=EVENTS_POSTGRAPHILE,
            postgraphile_variables=lambda facts: {"from": facts.now.isoformat()},
            items=_events_items,
            postgraphile_items=_events_pg4_items,
        ),
    )
}
