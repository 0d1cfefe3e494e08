"""Round 2 of the challenge-card workshop: deal the written cards, ``per_hand`` to each
participant, never one's own card, as evenly as possible across authors.

The guarantees, in order of priority (``tests/plugins/workshops/test_deal.py`` checks each over
many random sizes):

1. nobody receives a card they wrote;
2. as many cards as possible are dealt: everybody gets ``per_hand`` cards whenever the cards
   allow it (at least ``per_hand`` cards written by others, ``per_hand`` x participants in all);
3. authors are treated evenly: the numbers of dealt cards of two authors differ by at most one,
   unless the smaller one has no card left to give (a water-filling of the quotas);
4. within those quotas, a hand holds cards of distinct authors whenever possible.

Cards not dealt stay on the table, where round 2's swaps pick them up.

The quotas (3) are fixed first; hands (1, 2, 4) are then a flow problem: authors -> participants
with capacity 1 per (author, participant) pair for distinct authors, relaxed to 2 then
``per_hand`` when the quotas cannot be met that way. Those quotas are always feasible with the
relaxed capacity, by Hall's condition (see :func:`max_dealt`).
"""

from __future__ import annotations

import random
from collections import defaultdict, deque
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

P = TypeVar("P", bound=Hashable)
C = TypeVar("C", bound=Hashable)


def max_dealt(counts: Mapping[P, int], participants: Sequence[P], per_hand: int) -> int:
    """The most cards that can be dealt without anyone receiving their own.

    Hall's condition for ``per_hand`` cards each: a single participant ``p`` can only be served
    by the cards of others, any two or more by every card. So the maximum is
    ``min(per_hand * n, total, min_p(per_hand * (n - 1) + total - count_p))``.
    """
    n = len(participants)
    if n == 0:
        return 0
    total = sum(counts.get(p, 0) for p in participants)
    best = min(per_hand * n, total)
    for p in participants:
        best = min(best, per_hand * (n - 1) + total - counts.get(p, 0))
    return max(best, 0)


def quotas(
    counts: Mapping[P, int], order: Sequence[P], dealt: int, cap: Mapping[P, int]
) -> dict[P, int]:
    """Water-fill ``dealt`` cards over the authors: one card at a time, round robin in
    ``order``, skipping authors who reached ``min(count, cap)``."""
    limit = {a: min(counts.get(a, 0), cap.get(a, 0)) for a in order}
    given = dict.fromkeys(order, 0)
    left = dealt
    while left > 0:
        progressed = False
        for author in order:
            if left == 0:
                break
            if given[author] < limit[author]:
                given[author] += 1
                left -= 1
                progressed = True
        if not progressed:
            break
    return given


def _max_flow(
    supply: Mapping[P, int], participants: Sequence[P], per_hand: int, pair_cap: int
) -> dict[tuple[P, P], int]:
    """Edmonds-Karp on source -> author (supply) -> participant (pair_cap, never oneself) ->
    sink (per_hand). Returns the flow on each (author, participant) pair."""
    source, sink = ("source",), ("sink",)
    authors = [("a", a) for a in supply if supply[a] > 0]
    people = [("p", p) for p in participants]
    capacity: dict[tuple[object, object], int] = defaultdict(int)
    edges: dict[object, list[object]] = defaultdict(list)

    def edge(u: object, v: object, c: int) -> None:
        capacity[(u, v)] += c
        edges[u].append(v)
        edges[v].append(u)

    for node in authors:
        edge(source, node, supply[node[1]])
        for person in people:
            if person[1] != node[1]:
                edge(node, person, pair_cap)
    for person in people:
        edge(person, sink, per_hand)
    flow: dict[tuple[object, object], int] = defaultdict(int)
    while True:
        parent: dict[object, object] = {source: source}
        queue: deque[object] = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v in edges[u]:
                if v not in parent and capacity[(u, v)] - flow[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            break
        # Every augmenting path has a bottleneck of at least 1; push 1 (capacities are small).
        hop: object = sink
        while hop != source:
            previous = parent[hop]
            flow[(previous, hop)] += 1
            flow[(hop, previous)] -= 1
            hop = previous
    return {
        (a[1], p[1]): flow[(a, p)]
        for a in authors
        for p in people
        if a[1] != p[1] and flow[(a, p)] > 0
    }


def deal(
    cards: Mapping[C, P],
    participants: Sequence[P],
    per_hand: int = 3,
    rng: random.Random | None = None,
) -> dict[C, P]:
    """Map dealt cards to their new holder; cards missing from the result stay on the table.

    ``cards`` maps each card to its author (a participant). ``rng`` makes the deal
    reproducible (a workshop uses one seeded with its ID).
    """
    rng = rng or random.Random()
    people = list(dict.fromkeys(participants))
    unknown = {author for author in cards.values() if author not in set(people)}
    if unknown:
        raise ValueError(f"cards written by non-participants: {sorted(map(str, unknown))}")
    by_author: dict[P, list[C]] = defaultdict(list)
    for card, author in cards.items():
        by_author[author].append(card)
    counts = {p: len(by_author[p]) for p in people}
    target = max_dealt(counts, people, per_hand)
    if target == 0:
        return {}
    order = list(people)
    rng.shuffle(order)
    n = len(people)
    pairs: dict[tuple[P, P], int] = {}
    for pair_cap in sorted({1, min(2, per_hand), per_hand}):
        # An author can give at most pair_cap cards to each of the n - 1 others.
        share = quotas(counts, order, target, dict.fromkeys(people, pair_cap * (n - 1)))
        if sum(share.values()) < target:
            continue
        pairs = _max_flow(share, order, per_hand, pair_cap)
        if sum(pairs.values()) == target:
            break
    hands: dict[C, P] = {}
    pools = {a: rng.sample(by_author[a], len(by_author[a])) for a in people}
    for (author, holder), k in sorted(pairs.items(), key=lambda item: order.index(item[0][0])):
        for _ in range(k):
            hands[pools[author].pop()] = holder
    return hands
