"""SHACL validation against the harvesters' DCAT-AP shapes, as vendored in the plugin
(``plugins/opendata/shapes/``, copied from the project's shared standards folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from bocage.plugins.opendata.validation import BUILT_IN_SHAPES

SHAPES = BUILT_IN_SHAPES
SH = Namespace("http://www.w3.org/ns/shacl#")


def shape_files() -> list[Path]:
    return sorted(p for p in SHAPES.glob("*.ttl") if not p.name.startswith("example-"))


@cache
def shapes(path: Path) -> Graph:
    return Graph().parse(path, format="turtle")


def results(data: Graph, path: Path) -> list[tuple[str, str, str, str]]:
    """Top-level results of validating ``data`` against one shape file:
    ``(severity, focus node, path, message)``."""
    from pyshacl import validate

    _, report, _ = validate(data, shacl_graph=shapes(path), inference="none")
    found = []
    for report_node in report.subjects(RDF.type, SH.ValidationReport):
        for result in report.objects(report_node, SH.result):
            found.append(
                (
                    str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                    str(report.value(result, SH.focusNode)),
                    str(report.value(result, SH.resultPath)),
                    str(report.value(result, SH.resultMessage)),
                )
            )
    return found


HYDRA_NEXT = Namespace("http://www.w3.org/ns/hydra/core#").nextPage
