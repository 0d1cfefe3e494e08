"""GraphiQL, served with its scripts and styles from Bocage itself so that it works without
internet (a commune's intranet, a train): React, GraphiQL and its explorer plugin are
vendored in ``graphiql_assets/`` with their licences (see its ``README.md``).
``BOCAGE_GRAPHIQL_CDN`` loads the same files from unpkg.com instead; the Subresource Integrity
hashes hold for both, since the bytes are the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse

from bocage.core.cache_control import public_caching

if TYPE_CHECKING:
    from starlette.requests import Request

    from bocage.core.settings import Settings

#: Where the vendored files are (package data).
ASSETS_DIR = Path(__file__).with_name("graphiql_assets")

#: Where they are served.
ASSETS_PATH = "/graphiql"


@dataclass(frozen=True)
class Asset:
    """One vendored file: its name here, its address on the CDN, its SRI hash."""

    name: str
    cdn: str
    integrity: str

    @property
    def is_style(self) -> bool:
        return self.name.endswith(".css")


_UNPKG = "https://unpkg.com"

#: In the order the page loads them (React before GraphiQL, GraphiQL before its plugin).
ASSETS = (
    Asset(
        "react-18.2.0.production.min.js",
        f"{_UNPKG}/react@18.2.0/umd/react.production.min.js",
        "sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8",
    ),
    Asset(
        "react-dom-18.2.0.production.min.js",
        f"{_UNPKG}/react-dom@18.2.0/umd/react-dom.production.min.js",
        "sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh",
    ),
    Asset(
        "graphiql-3.8.3.min.css",
        f"{_UNPKG}/graphiql@3.8.3/graphiql.min.css",
        "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
    ),
    Asset(
        "plugin-explorer-1.0.2.css",
        f"{_UNPKG}/@graphiql/plugin-explorer@1.0.2/dist/style.css",
        "sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi",
    ),
    Asset(
        "graphiql-3.8.3.min.js",
        f"{_UNPKG}/graphiql@3.8.3/graphiql.min.js",
        "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie",
    ),
    Asset(
        "plugin-explorer-1.0.2.umd.js",
        f"{_UNPKG}/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js",
        "sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9",
    ),
)
_BY_NAME = {asset.name: asset for asset in ASSETS}

_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>Bocage GraphiQL</title>
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
    </style>
{styles}
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading...</div>
{scripts}
    <script>
      const url = window.location.href.split("?")[0];
      const subscriptionUrl = url.replace(/^http/, "ws");
      const fetcher = GraphiQL.createFetcher({{ url, subscriptionUrl }});
      const explorer = GraphiQLPluginExplorer.explorerPlugin();
      const parameters = new URLSearchParams(window.location.search);
      ReactDOM.createRoot(document.getElementById("graphiql")).render(
        React.createElement(GraphiQL, {{
          fetcher,
          plugins: [explorer],
          defaultQuery: parameters.get("q") || undefined,
          defaultEditorToolsVisibility: true,
          inputValueDeprecation: true,
          isHeadersEditorEnabled: true,
          shouldPersistHeaders: true,
        }}),
      );
    </script>
  </body>
</html>
"""


def graphiql_page(settings: Settings) -> str:
    """GraphiQL's page, loading its assets from Bocage (or the CDN: ``BOCAGE_GRAPHIQL_CDN``)."""
    styles, scripts = [], []
    for asset in ASSETS:
        url = html.escape(asset.cdn if settings.graphiql_cdn else f"{ASSETS_PATH}/{asset.name}")
        cors = ' crossorigin="anonymous"' if settings.graphiql_cdn else ""
        if asset.is_style:
            styles.append(
                f'    <link rel="stylesheet" href="{url}" integrity="{asset.integrity}"{cors}>'
            )
        else:
            scripts.append(f'    <script src="{url}" integrity="{asset.integrity}"{cors}></script>')
    return _PAGE.format(styles="\n".join(styles), scripts="\n".join(scripts))


async def graphiql_asset(request: Request) -> FileResponse:
    """``GET /graphiql/{name}``: a vendored file. Its name carries its version, so it is
    cached for good."""
    asset = _BY_NAME.get(request.path_params["name"])
    if asset is None or not request.app.state.settings.graphiql_enabled:
        raise HTTPException(404)
    return FileResponse(
        ASSETS_DIR / asset.name,
        media_type="text/css" if asset.is_style else "text/javascript",
        headers=public_caching(request, immutable=True),
    )
