"""GraphiQL works without internet (issue 15): headless Chromium, with every host but
loopback unresolvable, loads /graphql and runs a query in it. Bocage serves the scripts and
styles itself; with ``BOCAGE_GRAPHIQL_CDN`` the page names unpkg.com instead.

Needs Debian's ``chromium`` and ``chromium-driver`` (skipped, with the reason, without them)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bocage.core.graphql.graphiql import ASSETS, ASSETS_DIR, graphiql_page
from bocage.core.testing import settings_for

QUERY = "{ communes(first: 1) { totalCount } }"


def _text(browser: Any, selector: str) -> str:
    return str(
        browser.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            selector,
        )
    )


def test_graphiql_runs_a_query_with_the_network_to_other_hosts_blocked(
    browser: Any, live_server: str
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{live_server}/graphql?q={quote(QUERY)}")
    wait = WebDriverWait(browser, 60)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, ".graphiql-execute-button"))
    assert "totalCount" in _text(browser, ".graphiql-query-editor")
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    wait.until(lambda b: '"totalCount"' in _text(b, ".graphiql-response"))
    answer = _text(browser, ".graphiql-response")
    assert '"errors"' not in answer and '"communes"' in answer
    # Every resource came from the server itself.
    sources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert sources and all(source.startswith(live_server) for source in sources), sources


def test_the_same_page_from_the_cdn_stays_blank_offline(browser: Any, live_server: str) -> None:
    """The blocking is real: the CDN's page (BOCAGE_GRAPHIQL_CDN) cannot start offline."""
    page = graphiql_page(settings_for("sqlite+aiosqlite:///:memory:", graphiql_cdn=True))
    browser.get(f"{live_server}/healthz")  # an origin to run the page on
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("document.open(); document.write(arguments[0]); document.close();", page)
    # The parser waits for each unreachable script to fail before it reaches the page's body
    # (long on a loaded machine): wait for the document to be complete, then look.
    WebDriverWait(browser, 60).until(
        lambda b: b.execute_script("return document.readyState") == "complete"
    )
    assert browser.execute_script("return typeof window.GraphiQL") == "undefined"
    assert "Loading..." in _text(browser, "#graphiql")


def test_the_page_names_bundled_files_or_the_cdn() -> None:
    local = graphiql_page(settings_for("sqlite+aiosqlite:///:memory:"))
    cdn = graphiql_page(settings_for("sqlite+aiosqlite:///:memory:", graphiql_cdn=True))
    for asset in ASSETS:
        assert f'"/graphiql/{asset.name}"' in local and asset.cdn not in local
        assert asset.cdn in cdn and f"/graphiql/{asset.name}" not in cdn
        assert (ASSETS_DIR / asset.name).is_file()
    assert "unpkg.com" not in local


async def test_assets_are_served_for_good_with_their_integrity(client: httpx.AsyncClient) -> None:
    import base64
    import hashlib

    for asset in ASSETS:
        response = await client.get(f"/graphiql/{asset.name}")
        assert response.status_code == 200
        assert "immutable" in response.headers["cache-control"]
        digest = base64.b64encode(hashlib.sha384(response.content).digest()).decode()
        assert asset.integrity == f"sha384-{digest}"
    assert (await client.get("/graphiql/nope.js")).status_code == 404
