-- Helpers that give PostGraphile 4 the shape of Bocage's reference queries, created by
-- bench/run.py in the bench database only (never in migrations). PostGraphile exposes a
-- function f(t table, ...) as a computed field of t's type, and a function returning SETOF a
-- table as a paginated connection.

-- Texts in the language asked, else the first of fr, nl, de, en (Bocage's fallback).
CREATE FUNCTION bench_pick(texts jsonb, lang text) RETURNS text AS $$
  SELECT coalesce(texts->>lang, texts->>'fr', texts->>'nl', texts->>'de', texts->>'en', '')
$$ LANGUAGE sql IMMUTABLE;
COMMENT ON FUNCTION bench_pick(jsonb, text) IS E'@omit';

CREATE FUNCTION project_localized_title(p project, lang text DEFAULT 'fr') RETURNS text AS $$
  SELECT bench_pick(p.title, lang)
$$ LANGUAGE sql STABLE;
CREATE FUNCTION commune_localized_name(c commune, lang text DEFAULT 'fr') RETURNS text AS $$
  SELECT bench_pick(c.name, lang)
$$ LANGUAGE sql STABLE;
CREATE FUNCTION strategic_plan_localized_title(t strategic_plan, lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(t.title, lang) $$ LANGUAGE sql STABLE;
CREATE FUNCTION strategic_objective_localized_title(t strategic_objective, lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(t.title, lang) $$ LANGUAGE sql STABLE;
CREATE FUNCTION operational_objective_localized_title(t operational_objective,
                                                      lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(t.title, lang) $$ LANGUAGE sql STABLE;
CREATE FUNCTION pst_action_localized_title(t pst_action, lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(t.title, lang) $$ LANGUAGE sql STABLE;
CREATE FUNCTION indicator_localized_name(t indicator, lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(t.name, lang) $$ LANGUAGE sql STABLE;
CREATE FUNCTION workshops_event_localized_title(e workshops_event, lang text DEFAULT 'fr')
RETURNS text AS $$ SELECT bench_pick(e.title::jsonb, lang) $$ LANGUAGE sql STABLE;

-- A commune's live projects, newest first (Commune.projects).
CREATE FUNCTION commune_projects(c commune) RETURNS SETOF project AS $$
  SELECT p.* FROM project p JOIN project_commune pc ON pc.project_id = p.id
  WHERE pc.commune_id = c.id AND p.deleted_at IS NULL
  ORDER BY p.created_at DESC, p.id DESC
$$ LANGUAGE sql STABLE;

-- Public events from a moment on, in time order (Query.workshopsEvents(startsAfter:)).
CREATE FUNCTION upcoming_workshops_events("from" timestamptz) RETURNS SETOF workshops_event AS $$
  SELECT * FROM workshops_event
  WHERE deleted_at IS NULL AND status IN ('published', 'cancelled') AND starts_at >= "from"
  ORDER BY starts_at, id
$$ LANGUAGE sql STABLE;

-- Seats left: the capacity less the confirmed registrations (WorkshopsEvent.seatsLeft).
CREATE FUNCTION workshops_event_seats_left(e workshops_event) RETURNS integer AS $$
  SELECT CASE WHEN e.capacity IS NULL THEN NULL ELSE greatest(0, e.capacity - (
    SELECT count(*) FROM workshops_registration r
    WHERE r.event_id = e.id AND r.status = 'confirmed'))::integer END
$$ LANGUAGE sql STABLE;
