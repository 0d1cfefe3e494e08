"""What a hook returns, checked against its specification's return annotation.

The specs are typed (``Sequence[Permission]``, ``type[PluginSettings] | None``...); the host
checks each value a plugin returns against the runtime shape of that type, so that a plugin
returning a dict where a list of ``Permission`` is due is refused at startup, naming the plugin
and the hook, instead of failing deep inside the core at the first request.

Only shapes are checked, not what a static type checker does: classes (``isinstance``),
``type[X]`` (a subclass of ``X``), unions and ``None``, sequences and their items, callables;
``Any`` and anything else (type variables, protocols...) pass.
"""

from __future__ import annotations

import ast
import collections.abc
import functools
import inspect
import sys
import types
import typing
from typing import Any

_UNCHECKED = object()
NoneType = type(None)


@functools.cache
def return_type(spec: Any) -> Any:
    """The resolved return annotation of the hook specification ``spec`` (a function), or
    ``_UNCHECKED`` when it cannot be resolved (then nothing is checked)."""
    module = sys.modules.get(spec.__module__)
    if module is None:
        return _UNCHECKED
    namespace = {**vars(module), **_type_checking_names(module)}
    try:
        return typing.get_type_hints(spec, globalns=namespace).get("return", _UNCHECKED)
    except Exception:  # an annotation only a type checker can read: not checked
        return _UNCHECKED


def _type_checking_names(module: types.ModuleType) -> dict[str, Any]:
    """The names a module imports under ``if TYPE_CHECKING:`` (annotations use them)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return {}
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            imports: list[ast.stmt] = [
                n for n in node.body if isinstance(n, ast.Import | ast.ImportFrom)
            ]
            code = compile(ast.Module(body=imports, type_ignores=[]), module.__name__, "exec")
            try:
                exec(code, names)  # noqa: S102 - the module's own import statements
            except ImportError:
                continue
    names.pop("__builtins__", None)
    return names


def mismatch(expected: Any, value: Any) -> str | None:
    """Why ``value`` does not have the shape of the type ``expected`` (None: it does)."""
    if expected is _UNCHECKED or expected is Any:
        return None
    if expected is None or expected is NoneType:
        return None if value is None else f"{_describe(value)} where nothing (None) is due"
    origin = typing.get_origin(expected)
    arguments = typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        problems = [mismatch(option, value) for option in arguments]
        if not all(problems):
            return None
        some = [p for option, p in zip(arguments, problems, strict=True) if option is not NoneType]
        if len(some) == 1:  # ``X | None``: why it is not an X says more
            return some[0]
        return f"{_describe(value)}, not {_name(expected)}"
    if origin is type:
        (base,) = arguments or (Any,)
        if not isinstance(value, type):
            return f"{_describe(value)}, not a class"
        if base is not Any and isinstance(base, type) and not issubclass(value, base):
            return f"{_describe(value)}, not a {base.__name__} subclass"
        return None
    if origin in (collections.abc.Sequence, list, tuple, collections.abc.Iterable):
        if isinstance(value, str | bytes) or not isinstance(value, collections.abc.Sequence):
            return f"{_describe(value)}, not a list of {_name(arguments[0] if arguments else Any)}"
        item_type = arguments[0] if arguments else Any
        for index, item in enumerate(value):
            problem = mismatch(item_type, item)
            if problem:
                return f"item {index} is {problem}"
        return None
    if origin is collections.abc.Callable or expected is collections.abc.Callable:
        return None if callable(value) else f"{_describe(value)}, not a function"
    if isinstance(expected, type):
        return None if isinstance(value, expected) else f"{_describe(value)}, not {_name(expected)}"
    return None  # a type variable, a protocol...: not checked at runtime


def _describe(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"{text} (a {type(value).__name__})"


def _name(expected: Any) -> str:
    if isinstance(expected, type):
        return f"a {expected.__name__}"
    return repr(expected).replace("typing.", "").replace("collections.abc.", "")
