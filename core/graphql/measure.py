"""One bounded pass over a GraphQL document, measuring what the limits bound.

For the operation to run, :class:`Measure` gives:

- ``depth``: the deepest nesting of fields that have a selection (introspection fields are not
  counted), as strawberry's depth limiter counts it;
- ``aliases``: aliases, once fragments are expanded;
- ``fields``: fields once fragments are expanded (the size of the normalised selection);
- ``cost``: each field's declared cost plus, for each item it returns, the cost of its
  selection (see :class:`~bocage.core.graphql.limits.Cost`);
- ``nodes``: the values the answer may hold: every field counts once for each object it
  appears in, so lists multiply their children by their page size.

Each fragment is analysed once, in dependency order (never by following every spread, which
takes time exponential in the number of fragments: ``F0`` spreads ``F1`` twice, ``F1`` spreads
``F2`` twice...), and the walk never recurses across fragments, so its time is linear in the
document and its stack bounded by the document's nesting (which the parser caps).

A fragment's cost and node count depend on where it is spread: a list field directly in it
(a connection's ``edges``) may count the items an argument of the enclosing field asks for
(``first``). So a fragment's cost is kept as an affine form ``constant + Σ coefficient × items``,
with one term per argument name looked up in the enclosing field, and evaluated at each
spread.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    value_from_ast,
)

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from bocage.core.graphql.limits import Cost

#: Figures are saturated here: far above any limit, and small enough to stay cheap to add.
CEILING = 10**15

DEFAULT_LIST_ITEMS = 10
"""How many items a list without ``first`` (and without a declared estimate) is counted for."""

INTROSPECTION_COST = 10
"""What ``__schema``/``__type`` cost, whatever their selection (no database work)."""


def _cap(value: int) -> int:
    return value if value < CEILING else CEILING


@dataclass
class Affine:
    """``constant + Σ terms[name] × items(name)``: a cost or node count that depends on the
    items the enclosing field's argument ``name`` asks for."""

    constant: int = 0
    terms: dict[str, int] = field(default_factory=dict)

    def add(self, other: Affine, times: int = 1) -> None:
        self.constant = _cap(self.constant + other.constant * times)
        for name, coefficient in other.terms.items():
            self.terms[name] = _cap(self.terms.get(name, 0) + coefficient * times)


@dataclass
class Shape:
    """What one selection set (or fragment) measures, before its enclosing field is known."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0
    cost: Affine = field(default_factory=Affine)
    nodes: Affine = field(default_factory=Affine)

    def include(self, other: Shape) -> None:
        """Add a fragment or inline fragment spread in this selection set."""
        self.depth = max(self.depth, other.depth)
        self.aliases = _cap(self.aliases + other.aliases)
        self.fields = _cap(self.fields + other.fields)
        self.cost.add(other.cost)
        self.nodes.add(other.nodes)


@dataclass(frozen=True)
class Measure:
    """The figures of one operation (see the module's documentation)."""

    depth: int
    aliases: int
    fields: int
    cost: int
    nodes: int


Enclosing = tuple[FieldNode, GraphQLField] | None


class Measurer:
    """Measures the operations of a document for a schema, variables and page sizes."""

    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        default_page: int,
        max_page: int,
        cost_of: Any,
    ) -> None:
        self.schema = schema
        self.default_page = default_page
        self.max_page = max_page
        #: ``GraphQLField -> Cost``: the declared cost (see limits.declared_cost).
        self.cost_of = cost_of

    def measure(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> Measure:
        run = _Run(self, document, dict(variables or {}))
        root = self.schema.get_root_type(operation.operation)
        shape = run.selection(operation.selection_set, root, None)
        return Measure(
            depth=shape.depth,
            aliases=shape.aliases,
            fields=shape.fields,
            cost=run.evaluate(shape.cost, None),
            nodes=run.evaluate(shape.nodes, None),
        )


class _Run:
    """One measurement: fragments analysed once each, in dependency order."""

    def __init__(
        self, measurer: Measurer, document: DocumentNode, variables: dict[str, Any]
    ) -> None:
        self.m = measurer
        self.variables = variables
        definitions = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
        # The first definition of a name wins (validation reports duplicates).
        self.fragments: dict[str, FragmentDefinitionNode] = {}
        for definition in definitions:
            self.fragments.setdefault(definition.name.value, definition)
        self.shapes: dict[str, Shape] = {}
        for name in _dependency_order(self.fragments):
            fragment = self.fragments[name]
            target = self.m.schema.get_type(fragment.type_condition.name.value)
            self.shapes[name] = self.selection(fragment.selection_set, target, None)

    # -- walking one selection set (recursion only into nested fields, which the parser's
    #    nesting cap bounds) ---------------------------------------------------------------

    def selection(
        self, selection_set: SelectionSetNode | None, parent: Any, enclosing: Enclosing
    ) -> Shape:
        shape = Shape()
        if selection_set is None:
            return shape
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(shape, selection, parent, enclosing)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.m.schema.get_type(condition.name.value) if condition else parent
                shape.include(self.selection(selection.selection_set, target, enclosing))
            elif isinstance(selection, FragmentSpreadNode):
                # Unknown or cyclic fragments have no shape: validation reports them.
                spread = self.shapes.get(selection.name.value)
                if spread is not None:
                    shape.include(spread)
        return shape

    def _field(self, shape: Shape, node: FieldNode, parent: Any, enclosing: Enclosing) -> None:
        name = node.name.value
        shape.fields = _cap(shape.fields + 1)
        if node.alias is not None:
            shape.aliases = _cap(shape.aliases + 1)
        definition = getattr(parent, "fields", {}).get(name)
        introspection = name.startswith("__")
        if definition is None:  # unknown field (validation reports it), or __typename
            child = self.selection(node.selection_set, None, None)
        else:
            child = self.selection(
                node.selection_set, get_named_type(definition.type), (node, definition)
            )
        if node.selection_set is not None and not introspection:
            shape.depth = max(shape.depth, 1 + child.depth)
        shape.aliases = _cap(shape.aliases + child.aliases)
        shape.fields = _cap(shape.fields + child.fields)
        # Children are evaluated here: their enclosing field (this one) is known.
        child_cost = self.evaluate(child.cost, (node, definition) if definition else None)
        child_nodes = self.evaluate(child.nodes, (node, definition) if definition else None)
        if name in ("__schema", "__type"):
            shape.cost.constant = _cap(shape.cost.constant + INTROSPECTION_COST)
            shape.nodes.constant = _cap(shape.nodes.constant + 1 + child_nodes)
            return
        if definition is None:
            shape.nodes.constant = _cap(shape.nodes.constant + 1)
            return
        declared: Cost = self.m.cost_of(definition)
        items = self._items(node, definition, declared)
        if isinstance(items, int):
            shape.cost.constant = _cap(shape.cost.constant + declared.value + items * child_cost)
            shape.nodes.constant = _cap(shape.nodes.constant + 1 + items * child_nodes)
        else:  # the count of items comes from the field this selection is enclosed in
            shape.cost.constant = _cap(shape.cost.constant + declared.value)
            shape.nodes.constant = _cap(shape.nodes.constant + 1)
            shape.cost.terms[items] = _cap(shape.cost.terms.get(items, 0) + child_cost)
            shape.nodes.terms[items] = _cap(shape.nodes.terms.get(items, 0) + child_nodes)

    # -- list sizes ------------------------------------------------------------------------

    def _items(self, node: FieldNode, field_: GraphQLField, declared: Cost) -> int | str:
        """How many items the field returns, or the name of the enclosing field's argument
        that says so."""
        if not isinstance(get_nullable_type(field_.type), GraphQLList):
            return 1
        items = declared.items
        if items is None and "first" in field_.args:
            items = "first"
        if isinstance(items, int):
            return items
        if isinstance(items, str):
            if items in field_.args:
                value = self._argument(node, field_, items)
                if items == "first" and value is None and "last" in field_.args:
                    value = self._argument(node, field_, "last")  # a page read backwards
                return self._count(items, value)
            return items
        return DEFAULT_LIST_ITEMS

    def evaluate(self, form: Affine, enclosing: Enclosing) -> int:
        total = form.constant
        for name, coefficient in form.terms.items():
            value = None
            if enclosing is not None and name in enclosing[1].args:
                value = self._argument(*enclosing, name)
                if name == "first" and value is None and "last" in enclosing[1].args:
                    value = self._argument(*enclosing, "last")  # a page read backwards
            total = _cap(total + coefficient * self._count(name, value))
        return total

    def _count(self, name: str, value: Any) -> int:
        if name == "first":
            if not isinstance(value, int):
                return self.m.default_page
            return min(max(value, 0), self.m.max_page)  # out of range: the resolver says so
        if isinstance(value, int):
            return min(max(value, 0), CEILING)
        if isinstance(value, list):
            return len(value)
        return DEFAULT_LIST_ITEMS

    def _argument(self, node: FieldNode, field_: GraphQLField, name: str) -> Any:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        definition = field_.args.get(name)
        if argument is None or definition is None:
            return None
        try:
            return value_from_ast(argument.value, definition.type, self.variables)
        except Exception:  # an invalid value: validation or execution reports it
            return None


def _spreads(selection_set: SelectionSetNode | None) -> Iterable[str]:
    """Names of the fragments spread anywhere in ``selection_set`` (an explicit stack)."""
    stack = [selection_set]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection.name.value
            else:
                stack.append(getattr(selection, "selection_set", None))


def _dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """Fragment names, each after the fragments it spreads (Kahn's algorithm); fragments on a
    cycle, or spreading one, are left out."""
    needs = {
        name: {n for n in _spreads(definition.selection_set) if n in fragments}
        for name, definition in fragments.items()
    }
    users: dict[str, list[str]] = {name: [] for name in fragments}
    for name, spread in needs.items():
        for dependency in spread:
            users[dependency].append(name)
    waiting = {name: len(spread) for name, spread in needs.items()}
    ready = [name for name, count in waiting.items() if count == 0]
    order: list[str] = []
    while ready:
        name = ready.pop()
        order.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                ready.append(user)
    return order
