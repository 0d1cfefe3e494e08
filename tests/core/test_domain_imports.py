"""The domain (``bocage.core.domain``) needs no web framework, no GraphQL, no HTTP client and no
CLI library: a job, a CLI command or a plain script uses its unit of work as a GraphQL mutation
does. The test reads the import statements of every module the domain reaches within Bocage."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Where each import name of Bocage lives in the repository.
FOLDERS = {"bocage.core": ROOT / "core", "bocage.plugins": ROOT / "plugins"}
#: Top-level libraries the domain must not reach.
FORBIDDEN = {"strawberry", "graphql", "starlette", "httpx", "click", "argparse", "typer", "rich"}


def _file(module: str) -> Path | None:
    for prefix, folder in FOLDERS.items():
        if module == prefix or module.startswith(prefix + "."):
            path = folder.joinpath(*module.removeprefix(prefix).lstrip(".").split(".")).resolve()
            if (path / "__init__.py").is_file():
                return path / "__init__.py"
            if path.with_suffix(".py").is_file():
                return path.with_suffix(".py")
    return None


def _type_only(tree: ast.Module) -> set[int]:
    """The nodes under ``if TYPE_CHECKING:``: imports the type checker alone runs."""
    nodes: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes.update(id(inner) for part in node.body for inner in ast.walk(part))
    return nodes


def _imports(module: str, path: Path, *, type_only: bool) -> list[tuple[str, int]]:
    """Every name ``module`` imports (``a.b`` and, for ``from a import b``, ``a`` and ``a.b``),
    at any depth (a function's lazy import counts), with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set() if type_only else _type_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found.append((base, node.lineno))
            found.extend((f"{base}.{alias.name}", node.lineno) for alias in node.names)
    return found


DOMAIN = "bocage.core.domain"


def _reached(start: list[str]) -> dict[str, list[str]]:
    """Each forbidden import reached from the modules ``start``, with the chain that reaches
    it. The domain's own modules may not even import them for the type checker; the modules
    they reach are followed through what runs (their ``TYPE_CHECKING`` imports are not)."""
    chain: dict[str, list[str]] = {m: [m] for m in start}
    todo = list(start)
    problems: dict[str, list[str]] = {}
    while todo:
        module = todo.pop()
        path = _file(module)
        if path is None:
            continue
        own = module == DOMAIN or module.startswith(DOMAIN + ".")
        for name, line in _imports(module, path, type_only=own):
            if name.split(".")[0] in FORBIDDEN:
                problems.setdefault(f"{module}:{line} imports {name}", chain[module])
            if not name.startswith("bocage."):
                continue
            parts = name.split(".")
            for depth in range(2, len(parts) + 1):  # a package's __init__ runs too
                reached = ".".join(parts[:depth])
                if reached not in chain and _file(reached) is not None:
                    chain[reached] = [*chain[module], reached]
                    todo.append(reached)
    return problems


def test_the_domain_imports_no_web_graphql_http_or_cli_library() -> None:
    folder = ROOT / "core" / "domain"
    modules = [DOMAIN, *(f"{DOMAIN}.{p.stem}" for p in sorted(folder.glob("*.py")))]
    assert len(modules) > 5
    problems = _reached(modules)
    assert not problems, "the domain reaches a web, GraphQL, HTTP-client or CLI library:\n" + (
        "\n".join(f"{p}  (via {' -> '.join(c)})" for p, c in sorted(problems.items()))
    )


def test_the_walk_finds_what_a_module_reaches() -> None:
    """The walk can fail: it finds the GraphQL library the mutation kit imports, and, through
    the functions' lazy imports of the core's own hooks, the HTTP client of the webhooks'
    delivery."""
    kit = _reached(["bocage.core.graphql.mutations.kit"])
    assert any("imports strawberry" in problem for problem in kit)
    hooks = _reached(["bocage.core.plugin"])
    assert any(problem.startswith("bocage.core.webhooks.delivery:") for problem in hooks)
