"""The prefix cache index on its own: plain Python, no torch, no model."""

from __future__ import annotations

from daima.model.prefix_cache import PrefixCache


def cache(capacity: int = 100, block_size: int = 4) -> PrefixCache:
    return PrefixCache(block_size=block_size, capacity_blocks=capacity)


def test_full_blocks_are_found_partial_blocks_are_not() -> None:
    index = cache()
    assert index.insert(list(range(10)), lambda i: f"kv{i}") == 2  # 10 tokens = 2 full blocks
    found = index.match(list(range(10)))
    assert [b.payload for b in found] == ["kv0", "kv1"]
    index.release(found)


def test_match_respects_the_limit_and_diverging_tokens() -> None:
    index = cache()
    index.insert(list(range(12)), lambda i: i)
    assert len(index.match(list(range(12)), limit=11)) == 2  # the last token is always recomputed
    assert len(index.match([0, 1, 2, 3, 4, 5, 99, 7, 8, 9, 10, 11])) == 1  # diverges in block 1
    assert index.match([9, 9, 9, 9]) == []


def test_a_shared_prefix_is_stored_once_and_reused_across_prompts() -> None:
    index = cache()
    index.insert([1, 2, 3, 4, 5, 6, 7, 8], lambda i: ("a", i))
    added = index.insert([1, 2, 3, 4, 9, 9, 9, 9], lambda i: ("b", i))
    assert added == 1 and len(index) == 3
    found = index.match([1, 2, 3, 4, 9, 9, 9, 9, 0])
    assert [b.payload for b in found] == [("a", 0), ("b", 1)]


def test_hash_collisions_are_caught_by_comparing_tokens() -> None:
    class Colliding(PrefixCache):
        def _key(self, parent: int | None, tokens: tuple[int, ...]) -> int:
            return 7  # every block collides

    index = Colliding(block_size=2, capacity_blocks=10)
    index.insert([1, 2], lambda i: "first")
    assert index.match([3, 4]) == []  # same key, other tokens: a miss, never someone else's KV
    assert index.insert([3, 4], lambda i: "second") == 0  # the colliding slot is left alone
    assert [b.payload for b in index.match([1, 2])] == ["first"]


def test_referenced_blocks_are_never_evicted() -> None:
    index = cache(capacity=2)
    index.insert([1, 1, 1, 1, 2, 2, 2, 2], lambda i: i)
    held = index.match([1, 1, 1, 1, 2, 2, 2, 2])
    assert index.insert([5, 5, 5, 5], lambda i: i) == 0  # full, and everything is in use
    index.release(held)
    assert index.insert([5, 5, 5, 5], lambda i: i) == 1


def test_least_recently_used_prefixes_go_first_and_leaves_before_parents() -> None:
    index = cache(capacity=4)
    a, b, c = [1] * 8, [2] * 8, [3] * 8
    index.insert(a, lambda i: i)
    index.insert(b, lambda i: i)
    index.release(index.match(a))  # a is now more recent than b
    index.insert(c[:4], lambda i: i)  # one block must go: b's leaf, not its root
    assert len(index.match(b)) == 1
    assert len(index.match(a)) == 2
    assert index.stats.evicted_blocks == 1


def test_capacity_is_a_hard_bound() -> None:
    index = cache(capacity=5, block_size=2)
    for start in range(0, 200, 7):
        index.insert(list(range(start, start + 9)), lambda i: i)
        assert len(index) <= 5
    index.clear()
    assert len(index) == 0
