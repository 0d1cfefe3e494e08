"""Messages that say what to fix, for the GraphQL errors graphql-core words for its own
readers: a variable's value that is missing, null or of the wrong type, a syntax error.

graphql-core writes ``Variable '$id' has invalid value: Expected a value of non-null type
'ID!' to be provided.`` or ``... at .name: Expected value of non-null type 'String!' not to be
None.`` (a Python word); :func:`explain` names the variable, its type and what to send.
"""

from __future__ import annotations

import re

from graphql import GraphQLError, VariableDefinitionNode, print_ast

_VARIABLE = re.compile(r"^Variable '\$(?P<name>\w+)' has invalid value(?: at (?P<at>[^:]+))?: ")
_MISSING = re.compile(r"^Expected a value of non-null type '(?P<type>[^']+)' to be provided\.$")
_NULL = re.compile(r"^Expected value of non-null type '(?P<type>[^']+)' not to be None\.$")


def _declared_type(error: GraphQLError) -> str | None:
    """The variable's type as the document declares it (the error's node)."""
    for node in error.nodes or ():
        if isinstance(node, VariableDefinitionNode):
            return print_ast(node.type)
    return None


def _rewritten(error: GraphQLError, message: str) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions=error.extensions,
    )


def explain(error: GraphQLError) -> GraphQLError:
    """``error`` with a message that says what to send, when it is about a variable's value
    or the document's syntax; otherwise ``error`` itself."""
    code = (error.extensions or {}).get("code")
    if (
        code == "GRAPHQL_PARSE_FAILED"
        and error.locations
        and "Fix the document" not in error.message
    ):
        location = error.locations[0]
        return _rewritten(
            error,
            f"{error.message} Fix the document's syntax at line {location.line}, column "
            f"{location.column}.",
        )
    found = _VARIABLE.match(error.message)
    if found is None:
        return error
    name, at = found["name"], found["at"]
    detail = error.message[found.end() :]
    declared = _declared_type(error) or "its declared type"
    where = f"${name}" if at is None else f"${name} (at {at.strip()})"
    if at is None and (missing := _MISSING.match(detail)):
        return _rewritten(
            error,
            f"Variable ${name} is required (type {missing['type']}) but was not sent: add it "
            f'to "variables", e.g. {{"{name}": ...}}.',
        )
    if null := _NULL.match(detail):
        return _rewritten(
            error,
            f"Variable {where} must not be null (type {null['type']}): send a value of that type.",
        )
    return _rewritten(
        error,
        f"Variable {where} has an invalid value: {detail.rstrip('.')}. Send a value of type "
        f"{declared} for ${name}.",
    )
