"""The plugins' lists as a front-end pages them (issue 15), as the core's connections do
(``tests/graphql/test_lists.py``): backwards (``last``/``before``) as well as forwards, and a
list's ``lang`` for the texts of its items and of what is under them.

Every document goes through both read paths (the read compiler's and the resolvers') over the
demo GAL, for the public and for an administrator (who also sees drafts), and the two answers
must be the same bytes.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bocage.core.auth.principal import Role

ADMIN = {"roles": [Role.TERRITORY_ADMIN]}
CALLERS = {"anonymous": {}, "admin": ADMIN}
PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
ARGUMENTS = "first: $first, after: $after, last: $last, before: $before"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"

#: Each plugin connection: its document, with ``$first``... for its paging arguments.
CONNECTIONS = {
    "workshopsEvents": f"query({VARIABLES}) {{ workshopsEvents({ARGUMENTS}) {{ {PAGE} "
    "edges { cursor node { id title startsAt } } } }",
    "surveys": f"query({VARIABLES}) {{ surveys({ARGUMENTS}) {{ {PAGE} "
    "edges { cursor node { id title status } } } }",
    # Survey managers only (answers are personal data): the resolvers answer on both paths.
    "surveyResponses": f"query($survey: ID!, {VARIABLES}) {{ "
    f"surveyResponses(survey: $survey, {ARGUMENTS}) {{ {PAGE} "
    "edges { cursor node { id submittedOn } } } }",
}
#: Pages of a size that makes several of the demo's items (two surveys).
SIZES = {"workshopsEvents": 2, "surveys": 1, "surveyResponses": 7}


def _page(body: bytes, name: str) -> dict[str, Any]:
    value: Any = orjson.loads(body)
    assert "errors" not in value, value
    return value["data"][name]  # type: ignore[no-any-return]


async def _walk(
    paths: Any,
    name: str,
    size: int,
    *,
    backward: bool,
    caller: dict[str, Any],
    given: dict[str, Any],
) -> list[dict[str, Any]]:
    """Every page of the connection, one way, each answered alike by both paths."""
    pages: list[dict[str, Any]] = []
    cursor = None
    while True:
        variables = (
            {"last": size, "before": cursor} if backward else {"first": size, "after": cursor}
        )
        variables.update(given)
        compiled, resolved, _ = await paths.post(CONNECTIONS[name], variables, **caller)
        assert compiled == resolved, (name, variables, compiled[:300], resolved[:300])
        page = _page(compiled, name)
        pages.append(page)
        info = page["pageInfo"]
        if not (info["hasPreviousPage"] if backward else info["hasNextPage"]):
            return pages
        cursor = info["startCursor"] if backward else info["endCursor"]
        assert len(pages) < 100


@pytest.mark.parametrize(
    ("name", "caller"),
    [
        ("workshopsEvents", "anonymous"),
        ("workshopsEvents", "admin"),
        ("surveys", "anonymous"),
        ("surveys", "admin"),
        # Not the public's (tests/plugins/surveys/test_authorisation.py).
        ("surveyResponses", "admin"),
    ],
)
async def test_plugin_connections_page_backwards_as_they_page_forwards(
    name: str, caller: str, demo_database_url: str, read_paths: Any
) -> None:
    size, who = SIZES[name], CALLERS[caller]
    async with read_paths(demo_database_url) as paths:
        given = {}
        if name == "surveyResponses":
            listed, _, _ = await paths.post("{ surveys(first: 5) { nodes { id } } }", **who)
            given = {"survey": _page(listed, "surveys")["nodes"][-1]["id"]}
        forwards = await _walk(paths, name, size, backward=False, caller=who, given=given)
        backwards = await _walk(paths, name, size, backward=True, caller=who, given=given)
    everything = [edge for page in forwards for edge in page["edges"]]
    assert len(everything) > size  # more than one page, so that cursors are crossed
    read_back = [edge for page in reversed(backwards) for edge in page["edges"]]
    assert read_back == everything  # same items, same cursors, in the list's order
    for number, page in enumerate(backwards):
        info, edges = page["pageInfo"], page["edges"]
        assert 1 <= len(edges) <= size
        assert (info["startCursor"], info["endCursor"]) == (edges[0]["cursor"], edges[-1]["cursor"])
        assert info["hasNextPage"] is (number > 0)  # a `before` was given
        assert info["hasPreviousPage"] is (number < len(backwards) - 1)
        assert page["totalCount"] == len(everything)


async def test_a_page_between_two_cursors_and_first_with_last_refused(
    demo_database_url: str, read_paths: Any
) -> None:
    async with read_paths(demo_database_url) as paths:
        listed, _, _ = await paths.post(CONNECTIONS["workshopsEvents"], {"first": 6})
        cursors = [e["cursor"] for e in _page(listed, "workshopsEvents")["edges"]]
        between = {"after": cursors[0], "before": cursors[5]}
        compiled, resolved, _ = await paths.post(
            CONNECTIONS["workshopsEvents"], {**between, "last": 2}
        )
        assert compiled == resolved
        page = _page(compiled, "workshopsEvents")
        assert [e["cursor"] for e in page["edges"]] == cursors[3:5]
        assert page["pageInfo"]["hasPreviousPage"] and page["pageInfo"]["hasNextPage"]
        for name in ("workshopsEvents", "surveys"):
            compiled, resolved, _ = await paths.post(CONNECTIONS[name], {"first": 2, "last": 2})
            assert compiled == resolved
            [error] = orjson.loads(compiled)["errors"]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert "not both" in error["message"]
            # A `before` that is no cursor of the list says what to pass.
            compiled, resolved, _ = await paths.post(CONNECTIONS[name], {"before": "nope"})
            assert compiled == resolved
            [error] = orjson.loads(compiled)["errors"]
            assert "startCursor" in error["message"]


LANG_DOCUMENTS = {
    "workshopsEvents": """{ workshopsEvents(first: 4, lang: NL) { nodes {
        title own: title(lang: DE) titleTranslations { nl fr de }
        venueCommune { name nameTranslations { nl fr } }
        agenda { title titleTranslations { nl fr } } } } }""",
    "surveys": """{ surveys(first: 4, lang: NL) { nodes {
        title own: title(lang: DE) titleTranslations { nl fr de }
        questions { title titleTranslations { nl fr } } } } }""",
}


def _texts_in(node: Any, chosen: str) -> list[tuple[Any, Any]]:
    """(the text given, the text in ``chosen`` or the fallback) for every translated field
    of ``node`` and what is under it: ``title`` next to ``titleTranslations``..."""
    found = []
    if isinstance(node, list):
        for item in node:
            found += _texts_in(item, chosen)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("Translations") and key[: -len("Translations")] in node:
                texts = value
                expected = texts.get(chosen) or texts.get("fr") or texts.get("nl")
                found.append((node[key[: -len("Translations")]], expected))
            elif isinstance(value, dict | list):
                found += _texts_in(value, chosen)
    return found


@pytest.mark.parametrize("name", sorted(LANG_DOCUMENTS))
async def test_a_lists_lang_is_the_language_of_its_items_and_what_is_under_them(
    name: str, demo_database_url: str, read_paths: Any
) -> None:
    async with read_paths(demo_database_url) as paths:
        # Accept-Language says French: the list's `lang` wins over it for every text under it,
        # a field's own `lang` over the list's.
        compiled, resolved, _ = await paths.post(
            LANG_DOCUMENTS[name], accept_language="fr", **ADMIN
        )
    assert compiled == resolved
    nodes = _page(compiled, name)["nodes"]
    assert nodes
    texts = _texts_in(nodes, "nl")
    assert len(texts) > len(nodes)  # the items' own texts and those under them
    assert all(given == expected for given, expected in texts), texts
    # Dutch where the demo has Dutch, so the check does not pass on French alone.
    assert any(
        node["title"] == node["titleTranslations"]["nl"] != node["titleTranslations"]["fr"]
        for node in nodes
    )
    for node in nodes:
        translations = node["titleTranslations"]
        assert node["own"] == (translations["de"] or translations["fr"] or translations["nl"])


async def test_opendata_lists_take_lang_for_their_datasets(client: Any) -> None:
    """The open-data lists are not connections (a catalogue search answers its facets with
    every dataset found), but their ``lang`` applies to their datasets as a connection's."""
    document = """{ opendataDatasets(lang: NL) { title titleTranslations { nl fr } }
      opendataCatalog(lang: NL) { datasets { title description
        titleTranslations { nl fr } descriptionTranslations { nl fr } } } }"""
    response = await client.post(
        "/graphql", json={"query": document}, headers={"accept-language": "fr"}
    )
    body = response.json()
    assert "errors" not in body, body
    datasets = body["data"]["opendataDatasets"] + body["data"]["opendataCatalog"]["datasets"]
    texts = _texts_in(datasets, "nl")
    assert len(texts) >= len(datasets) and all(given == expected for given, expected in texts)
    assert any(d["titleTranslations"]["nl"] for d in datasets)  # Dutch is there to pick
