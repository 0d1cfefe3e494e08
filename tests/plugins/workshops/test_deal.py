"""The redistribution of round 2 (``deal``): its guarantees, on examples and over many random
workshop sizes (property style, with a seeded generator so a failure can be replayed)."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest

from bocage.plugins.workshops.deal import deal, max_dealt


def written(counts: dict[int, int]) -> dict[str, int]:
    """Cards ``"<author>-<i>"`` for each author's count."""
    return {f"{author}-{i}": author for author, n in counts.items() for i in range(n)}


def check(counts: dict[int, int], per_hand: int, seed: int, brute: bool = True) -> dict[str, int]:
    participants = list(counts)
    cards = written(counts)
    hands = deal(cards, participants, per_hand, random.Random(seed))
    context = f"counts={counts} per_hand={per_hand} seed={seed}"
    # 1. never one's own card; only known cards and participants.
    assert set(hands) <= set(cards), context
    assert all(cards[card] != holder for card, holder in hands.items()), context
    assert set(hands.values()) <= set(participants), context
    held = Counter(hands.values())
    assert all(k <= per_hand for k in held.values()), context
    # 2. as many as possible, checked against an independent brute force of Hall's condition.
    if brute:
        assert len(hands) == brute_max(counts, per_hand), context
    else:  # the closed form, itself checked against brute force on rooms of up to 12
        assert len(hands) == max_dealt(counts, participants, per_hand), context
    total = sum(counts.values())
    if total >= per_hand * len(participants) and all(
        total - n >= per_hand for n in counts.values()
    ):
        assert all(held[p] == per_hand for p in participants), context
    # 3. authors are treated evenly (water-filling).
    given = Counter(cards[card] for card in hands)
    for a, b in combinations(participants, 2):
        for x, y in ((a, b), (b, a)):
            exhausted = given[y] == min(counts[y], per_hand * (len(participants) - 1))
            assert given[x] <= given[y] + 1 or exhausted, (context, x, y, given)
    return hands


def brute_max(counts: dict[int, int], per_hand: int) -> int:
    """Deficiency form of Hall's theorem over every subset S of participants:
    max = min_S (per_hand * |P \\ S| + |cards some member of S may receive|)."""
    people = list(counts)
    total = sum(counts.values())
    best = per_hand * len(people)
    for size in range(1, len(people) + 1):
        for subset in combinations(people, size):
            reachable = total - counts[subset[0]] if size == 1 else total
            best = min(best, per_hand * (len(people) - size) + reachable)
    return best


def test_the_gal_format_12_participants_who_wrote_5_cards_each() -> None:
    counts = dict.fromkeys(range(12), 5)
    hands = check(counts, 3, seed=1)
    assert len(hands) == 36
    by_holder: dict[int, list[int]] = {}
    for card, holder in hands.items():
        by_holder.setdefault(holder, []).append(int(card.split("-")[0]))
    # Every hand holds three cards of three different authors, and each author has 3 cards out.
    assert all(len(set(authors)) == 3 for authors in by_holder.values())
    assert set(Counter(int(c.split("-")[0]) for c in hands).values()) == {3}


def test_uneven_writers_are_spread_evenly() -> None:
    counts = {1: 5, 2: 5, 3: 1, 4: 0, 5: 2, 6: 5}
    hands = check(counts, 3, seed=7)
    given = Counter(int(card.split("-")[0]) for card in hands)
    assert len(hands) == 18
    assert given[4] == 0 and given[3] == 1 and given[5] == 2  # everything they wrote
    assert sorted([given[1], given[2], given[6]]) in ([5, 5, 5],)


def test_small_and_degenerate_rooms() -> None:
    assert deal({}, [], 3) == {}
    assert deal(written({1: 5}), [1], 3) == {}  # alone: nothing one may receive
    two = check({1: 5, 2: 5}, 3, seed=3)
    assert Counter(two.values()) == {1: 3, 2: 3}
    assert check({1: 1, 2: 0, 3: 0}, 3, seed=4) and max_dealt({1: 1, 2: 0, 3: 0}, [1, 2, 3], 3) == 1
    lopsided = check({1: 5, 2: 0, 3: 0, 4: 0}, 3, seed=5)
    assert len(lopsided) == 5 and 1 not in lopsided.values()


def test_cards_of_strangers_are_refused() -> None:
    with pytest.raises(ValueError, match="non-participants"):
        deal({"x": 9}, [1, 2], 3)


def test_the_same_seed_deals_the_same_hands() -> None:
    counts = dict.fromkeys(range(9), 4)
    assert check(counts, 3, 42) == check(counts, 3, 42)


@pytest.mark.parametrize("seed", range(300))
def test_properties_over_random_rooms(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 9 if seed % 3 else 30)
    style = seed % 4
    counts = {
        p: (
            rng.randint(0, 5)
            if style == 0
            else rng.choice([0, 0, 1, 5])
            if style == 1
            else rng.randint(3, 5)
            if style == 2
            else rng.randint(1, 2)
        )
        for p in range(n)
    }
    per_hand = 3 if seed % 5 else rng.randint(1, 4)
    hands = check(counts, per_hand, seed, brute=n <= 12)
    if n <= 12:
        assert max_dealt(counts, list(counts), per_hand) == brute_max(counts, per_hand)
    if style == 2 and n >= per_hand + 1:
        # Everyone wrote at least per_hand cards: every hand has distinct authors.
        authors: dict[int, list[int]] = {}
        for card, holder in hands.items():
            authors.setdefault(holder, []).append(int(card.split("-")[0]))
        assert all(len(set(a)) == len(a) for a in authors.values()), (counts, hands)
