"""Publish-time validation: the dataset's DCAT-AP document checked with pyshacl against the
DCAT-AP shapes vendored in ``shapes/`` (see its NOTICE), or those of
``BOCAGE_OPENDATA_SHAPES_DIR`` when set (every ``*.ttl`` there but examples); any
``sh:Violation`` keeps the dataset unpublished and is reported by property. The shape graphs
are parsed once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from bocage.plugins.opendata.dcat import DcatDocument

if TYPE_CHECKING:
    from bocage.core.api import Dataset
    from bocage.plugins.opendata.registry import Catalogue

SH = Namespace("http://www.w3.org/ns/shacl#")

#: The DCAT-AP shapes shipped with the plugin (EU SEMIC and Belgian federal portal).
BUILT_IN_SHAPES = Path(__file__).parent / "shapes"


def shapes_dir(catalogue: Catalogue) -> str:
    """The folder of shape files in force: the setting, else the built-in shapes."""
    return catalogue.settings.shapes_dir or str(BUILT_IN_SHAPES)


@cache
def _shapes(folder: str) -> tuple[Graph, ...]:
    paths = sorted(p for p in Path(folder).glob("*.ttl") if not p.name.startswith("example-"))
    if not paths:  # a mistyped setting must not silently turn the check off
        raise FileNotFoundError(f"no SHACL shape file (*.ttl) in {folder}")
    return tuple(Graph().parse(path, format="turtle") for path in paths)


def shacl_results(data: Graph, shapes_dir: str) -> list[tuple[str, str, str, str]]:
    """``(severity, focus node, property, message)`` of the top-level results of validating
    ``data`` against each shape file in turn (nested ``sh:detail`` results belong to theirs)."""
    from pyshacl import validate

    found = []
    for shapes in _shapes(shapes_dir):
        _, report, _ = validate(data, shacl_graph=shapes, inference="none")
        for node in report.subjects(RDF.type, SH.ValidationReport):
            for result in report.objects(node, SH.result):
                found.append(
                    (
                        str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
                        str(report.value(result, SH.focusNode)),
                        str(report.value(result, SH.resultPath)),
                        str(report.value(result, SH.resultMessage)),
                    )
                )
    return found


def violations(data: Graph, shapes_dir: str) -> list[tuple[str, str, str]]:
    """``(focus node, property, message)`` of every ``sh:Violation`` of ``data``."""
    return [
        (focus, path, message)
        for severity, focus, path, message in shacl_results(data, shapes_dir)
        if severity == "Violation"
    ]


def shacl_problems(catalogue: Catalogue, dataset: Dataset) -> list[str]:
    """What the shapes reject in ``dataset``'s DCAT-AP document, by property (CPU-bound: call
    it in a worker thread)."""
    folder = shapes_dir(catalogue)
    document = DcatDocument(catalogue)
    document.add_service([dataset])
    document.add_dataset(dataset, None)
    return sorted(
        {
            f"{curie(document.graph, path)}: {message} (on {focus})"
            for focus, path, message in violations(document.graph, folder)
        }
    )


def curie(graph: Graph, iri: str) -> str:
    try:
        return graph.namespace_manager.curie(iri, generate=False)
    except (ValueError, KeyError):
        return iri
