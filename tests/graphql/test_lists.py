"""Lists as a front-end pages them (issue 15): backwards (``last``/``before``) as well as
forwards on every core connection, search results by relevance, and a connection's ``lang``
for the texts of its items.

Every document goes through both read paths (the read compiler's and the resolvers') and the
two answers must be the same bytes; the compiled one answers each root field in one statement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from bocage.core import models as m

PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }"

#: Each connection, under one parent at most: (document, path to the connection). ``$page``
#: holds the paging arguments.
CONNECTIONS = {
    "projects": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        "projects(first: $first, after: $after, last: $last, before: $before) { "
        f"totalCount {PAGE} }} }}",
        ("projects",),
    ),
    "communes": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        "communes(first: $first, after: $after, last: $last, before: $before) { "
        f"{PAGE} }} }}",
        ("communes",),
    ),
    "stakeholders": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        "stakeholders(first: $first, after: $after, last: $last, before: $before) "
        f"{{ {PAGE} }} }}",
        ("stakeholders",),
    ),
    "territories": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        "territories(first: $first, after: $after, last: $last, before: $before) "
        f"{{ {PAGE} }} }}",
        ("territories",),
    ),
    "commune.projects": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        'commune(nisCode: "64034") { projects(first: $first, after: $after, last: $last, '
        f"before: $before) {{ totalCount {PAGE} }} }} }}",
        ("commune", "projects"),
    ),
    "commune.stakeholders": (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        'commune(nisCode: "64034") { stakeholders(first: $first, after: $after, last: $last, '
        f"before: $before) {{ {PAGE} }} }} }}",
        ("commune", "stakeholders"),
    ),
}


def _at(body: bytes, path: tuple[str, ...]) -> dict[str, Any]:
    value: Any = orjson.loads(body)
    assert "errors" not in value, value
    value = value["data"]
    for key in path:
        value = value[key]
    return value  # type: ignore[no-any-return]


async def _walk(
    paths: Any, document: str, path: tuple[str, ...], size: int, *, backward: bool
) -> list[dict[str, Any]]:
    """Every page of the connection, one way, each answered alike by both paths."""
    pages = []
    cursor = None
    while True:
        if backward:
            variables = {"last": size, "before": cursor}
        else:
            variables = {"first": size, "after": cursor}
        compiled, resolved, statements = await paths.post(document, variables)
        assert compiled == resolved, (variables, compiled[:400], resolved[:400])
        assert statements == 1
        page = _at(compiled, path)
        pages.append(page)
        info = page["pageInfo"]
        more = info["hasPreviousPage"] if backward else info["hasNextPage"]
        if not more:
            return pages
        cursor = info["startCursor"] if backward else info["endCursor"]
        assert len(pages) < 100


@pytest.mark.parametrize("name", sorted(CONNECTIONS))
async def test_every_connection_pages_backwards_as_it_pages_forwards(
    name: str, demo_database_url: str, read_paths: Any
) -> None:
    document, path = CONNECTIONS[name]
    size = 47 if name == "projects" else 3  # the demo's 300 projects in a few pages
    async with read_paths(demo_database_url) as paths:
        forwards = await _walk(paths, document, path, size, backward=False)
        backwards = await _walk(paths, document, path, size, backward=True)
    everything = [edge for page in forwards for edge in page["edges"]]
    assert len(everything) >= 1
    read_back = [edge for page in reversed(backwards) for edge in page["edges"]]
    assert read_back == everything  # same items, same cursors, in the list's order
    # Relay's pageInfo, read backwards: the first page read is the list's end.
    for number, page in enumerate(backwards):
        info, edges = page["pageInfo"], page["edges"]
        assert 1 <= len(edges) <= size
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        assert info["hasNextPage"] is (number > 0)  # a `before` was given
        assert info["hasPreviousPage"] is (number < len(backwards) - 1)
    if "totalCount" in backwards[0]:
        assert backwards[0]["totalCount"] == len(everything)


async def test_nested_lists_of_many_parents_and_after_with_before_agree(
    demo_database_url: str, read_paths: Any
) -> None:
    """Pages read backwards under many parents at once (PST actions' projects, communes'
    stakeholders), and a page between two cursors, on both paths."""
    async with read_paths(demo_database_url) as paths:
        listed, _, _ = await paths.post("{ projects(first: 8) { edges { cursor } } }")
        cursors = [e["cursor"] for e in orjson.loads(listed)["data"]["projects"]["edges"]]
        documents = [
            """{ communes(last: 4) { pageInfo { hasPreviousPage startCursor }
                nodes { nisCode stakeholders(last: 2) { totalCount pageInfo {
                  hasNextPage hasPreviousPage startCursor endCursor } nodes { name } } } } }""",
            """{ commune(nisCode: "64034") { strategicPlan { strategicObjectives {
                operationalObjectives { actions { code projects(last: 1) {
                  totalCount nodes { title } } } } } } } }""",
            """query($after: String, $before: String) {
              between: projects(after: $after, before: $before) { PAGE }
              firstOfThem: projects(first: 2, after: $after, before: $before) { PAGE }
              lastOfThem: projects(last: 2, after: $after, before: $before) { PAGE }
              none: projects(last: 0) { PAGE } }""".replace("PAGE", PAGE),
        ]
        variables = {"after": cursors[1], "before": cursors[7]}
        for document in documents:
            compiled, resolved, statements = await paths.post(document, variables)
            assert compiled == resolved, compiled[:600]
            assert b'"errors"' not in compiled, compiled[:600]
            assert statements == (4 if document is documents[-1] else 1)
        data = orjson.loads(compiled)["data"]
    between = [e["cursor"] for e in data["between"]["edges"]]
    assert between == cursors[2:7]
    assert data["between"]["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasNextPage": True,  # a `before` was given: items follow
        "hasPreviousPage": True,  # an `after` was given: items precede
        "startCursor": None,
        "endCursor": None,
    }
    assert [e["cursor"] for e in data["firstOfThem"]["edges"]] == cursors[2:4]
    assert [e["cursor"] for e in data["lastOfThem"]["edges"]] == cursors[5:7]
    assert data["none"]["edges"] == []
    assert data["none"]["pageInfo"]["hasPreviousPage"] is True


async def test_paging_arguments_are_bounded_and_refused_with_a_code(
    demo_database_url: str, read_paths: Any
) -> None:
    """``last`` has the bounds of ``first`` (BOCAGE_PAGE_SIZE_MAX); ``first`` with ``last``
    and a foreign ``before`` are typed errors naming the argument, alike on both paths."""
    async with read_paths(demo_database_url) as paths:
        largest = paths.apps["compiled"][0].state.settings.page_size_max
        for document, field, words in (
            ("{ projects(first: 2, last: 2) { totalCount } }", "last", "not both"),
            (f"{{ projects(last: {largest + 1}) {{ totalCount }} }}", "last", "between 0 and"),
            ("{ communes(last: -1) { totalCount } }", "last", "between 0 and"),
            ('{ projects(before: "nope") { totalCount } }', "before", "startCursor"),
            (
                '{ commune(nisCode: "64034") { projects(last: 1, first: 1) { totalCount } } }',
                "last",
                "not both",
            ),
        ):
            compiled, resolved, _ = await paths.post(document)
            assert compiled == resolved, document
            error = orjson.loads(compiled)["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", error
            assert error["extensions"]["field"] == field, error
            assert words in error["message"], error
        compiled, resolved, _ = await paths.post(
            f"{{ projects(last: {largest}) {{ edges {{ cursor }} }} }}"
        )
        assert compiled == resolved and b'"errors"' not in compiled


# -- relevance -------------------------------------------------------------------------------


async def _add_projects(world: Any, texts: list[tuple[str, str]]) -> None:
    """Projects of the world's GAL with these (title, description), created in this order."""
    async with world.sessionmaker() as session:
        territory = (await session.execute(select(m.Territory.id).limit(1))).scalar_one()
        start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        for number, (title, description) in enumerate(texts):
            session.add(
                m.Project(
                    territory_id=territory,
                    title={"fr": title},
                    description={"fr": description},
                    status=m.ProjectStatus.IDEA,
                    focus=m.ProjectFocus.COLLABORATION,
                    created_at=start + dt.timedelta(days=number),
                )
            )
            await session.flush()
        await session.commit()


SEARCH = """query($search: String, $order: ProjectOrder, $first: Int, $after: String,
    $last: Int, $before: String) {
  projects(filter: {search: $search}, orderBy: $order, first: $first, after: $after,
    last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { title } } }"""


async def test_search_results_come_most_relevant_first(world: Any, read_paths: Any) -> None:
    await _add_projects(
        world,
        [
            ("Une houblonnière partagée", "Planter du houblon ensemble."),
            (
                "Houblonnières, houblonnières et houblonnières",
                "Une houblonnière par village: la houblonnière de demain.",
            ),
            ("Ruchers Hesbaye à la houblonnière", "Des abeilles dans la houblonnière communale."),
            ("Ruchers Condroz à la houblonnière", "Des abeilles dans la houblonnière communale."),
            ("Piste cyclable", "Relier les villages à vélo."),
        ],
    )
    async with read_paths(world.url) as paths:
        answers = {}
        for name, order in (
            ("default", None),
            ("relevance", {"field": "RELEVANCE"}),
            ("newest", {"field": "CREATED_AT"}),
            ("least relevant", {"field": "RELEVANCE", "direction": "ASC"}),
        ):
            variables = {"search": "houblonnière", "order": order}
            compiled, resolved, statements = await paths.post(SEARCH, variables)
            assert compiled == resolved, compiled[:500]
            assert statements == 1
            nodes = orjson.loads(compiled)["data"]["projects"]["nodes"]
            answers[name] = [n["title"] for n in nodes]
        # The most relevant first (the word most often); equal scores (the two apiaries,
        # same words, as long) go by ID, the newest first.
        relevant = answers["default"]
        assert relevant == answers["relevance"]
        assert len(relevant) == 4 and "Piste cyclable" not in relevant
        assert relevant[0] == "Houblonnières, houblonnières et houblonnières"
        condroz = relevant.index("Ruchers Condroz à la houblonnière")
        assert relevant[condroz + 1] == "Ruchers Hesbaye à la houblonnière"
        assert answers["least relevant"] == relevant[::-1]
        assert answers["newest"] == [
            "Ruchers Condroz à la houblonnière",
            "Ruchers Hesbaye à la houblonnière",
            "Houblonnières, houblonnières et houblonnières",
            "Une houblonnière partagée",
        ]
        # Cursors of relevance pages page on, both ways, to the same list.
        seen: list[str] = []
        cursors: list[str] = []
        after = None
        while True:
            compiled, resolved, _ = await paths.post(
                SEARCH, {"search": "houblonnière", "first": 1, "after": after}
            )
            assert compiled == resolved
            page = orjson.loads(compiled)["data"]["projects"]
            seen += [n["title"] for n in page["nodes"]]
            cursors.append(page["pageInfo"]["endCursor"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = cursors[-1]
        assert seen == relevant
        compiled, resolved, _ = await paths.post(
            SEARCH, {"search": "houblonnière", "last": 3, "before": cursors[3]}
        )
        assert compiled == resolved
        page = orjson.loads(compiled)["data"]["projects"]
        assert [n["title"] for n in page["nodes"]] == seen[:3]
        assert page["pageInfo"]["endCursor"] == cursors[2]
        # Organisations too: the default order of a search is relevance.
        compiled, resolved, _ = await paths.post(
            '{ a: stakeholders(filter: {search: "commune"}) { nodes { id } }'
            ' b: stakeholders(filter: {search: "commune"}, orderBy: {field: RELEVANCE, '
            "direction: DESC}) { nodes { id } } }"
        )
        assert compiled == resolved
        data = orjson.loads(compiled)["data"]
        assert data["a"] == data["b"]


async def test_relevance_without_a_search_is_refused(
    demo_database_url: str, read_paths: Any
) -> None:
    async with read_paths(demo_database_url) as paths:
        for document in (
            "{ projects(orderBy: {field: RELEVANCE}) { totalCount } }",
            '{ stakeholders(orderBy: {field: RELEVANCE}, filter: {search: "  "}) { totalCount } }',
        ):
            compiled, resolved, _ = await paths.post(document)
            assert compiled == resolved
            error = orjson.loads(compiled)["errors"][0]
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "orderBy"}
            assert "give `filter.search`" in error["message"]


# -- languages -------------------------------------------------------------------------------


async def test_a_connections_lang_gives_its_items_texts_in_that_language(
    demo_database_url: str, read_paths: Any
) -> None:
    """``projects(lang: NL)``: the titles and what is under the items (their communes' names)
    in Dutch, unless a field asks for its own language; a nested connection's ``lang`` wins
    under it; Accept-Language for the rest."""
    document = """{
      projects(first: 30, lang: NL) { nodes { title fr: title(lang: FR)
        titleTranslations { fr nl } communes { name nameTranslations { fr nl } } } }
      communes(first: 30, lang: NL) { nodes { name projects(first: 3, lang: DE) {
        nodes { title titleTranslations { de fr } communes { name } } } } }
      outside: commune(nisCode: "64034") { name }
    }"""
    async with read_paths(demo_database_url) as paths:
        compiled, resolved, statements = await paths.post(document, accept_language="fr")
    assert compiled == resolved, compiled[:500]
    assert statements == 3
    data = orjson.loads(compiled)["data"]
    checked = 0
    for project in data["projects"]["nodes"]:
        titles = project["titleTranslations"]
        assert project["title"] == (titles["nl"] or titles["fr"])
        assert project["fr"] == titles["fr"]
        for commune in project["communes"]:
            names = commune["nameTranslations"]
            assert commune["name"] == (names["nl"] or names["fr"])
            checked += names["nl"] not in (None, names["fr"])
    assert checked
    names = {c["name"] for c in data["communes"]["nodes"]}
    assert "Hannuit" in names and "Hannut" not in names
    for commune in data["communes"]["nodes"]:
        for project in commune["projects"]["nodes"]:
            titles = project["titleTranslations"]
            assert project["title"] == (titles["de"] or titles["fr"])
            assert "Hannuit" not in {c["name"] for c in project["communes"]}
    assert data["outside"]["name"] == "Hannut"
