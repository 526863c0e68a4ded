"""The append-only Merkle log of traceability events, hashed as in RFC 6962 / RFC 9162.

Pure functions over hashes (SHA-256):

* ``leaf_hash(data) = SHA-256(0x00 || data)`` and ``node_hash(l, r) = SHA-256(0x01 || l || r)``
  (the leaf and node prefixes of RFC 9162 §2.1.1 that keep a leaf from passing as a node);
* the tree head ``MTH`` of a list of leaves, built either from all the leaves or incrementally
  from a *compact range* (:class:`Frontier`: the roots of the perfect subtrees on the right
  edge of the tree, at most log2(n) hashes), so that appending costs O(log n);
* inclusion proofs (``PATH``, §2.1.3.1) and consistency proofs (``PROOF``/``SUBPROOF``,
  §2.1.4.1), generated through a callable that returns the hash of any range of leaves, so a
  database-backed log answers them without reading every leaf;
* the verification algorithms of §2.1.3.2 and §2.1.4.2, written exactly as the RFC states them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "MerkleError",
    "consistency_proof",
    "inclusion_proof",
    "largest_power_of_two_below",
    "leaf_hash",
    "node_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

RangeHash = Callable[[int, int], bytes]
"""``range_hash(start, end)``: the tree head of the leaves ``start .. end - 1``."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty list: the hash of the empty string (RFC 9162 §2.1.1)."""


class MerkleError(ValueError):
    """A request for a proof that does not exist (an index or size out of range)."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two k with k < n (n > 1), the split point of RFC 9162."""
    if n < 2:
        raise MerkleError(f"no power of two below {n}")
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (already prefixed with 0x00), by RFC 9162's recursion."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = largest_power_of_two_below(n)
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


@dataclass
class Frontier:
    """The compact range of a tree of ``size`` leaves: one (level, hash) per perfect subtree.

    The subtrees are those of the binary decomposition of ``size`` (left to right, levels
    decreasing); a subtree at level L holds 2**L leaves. Appending a leaf merges equal levels,
    like adding one to a binary counter; every perfect subtree completed on the way is reported
    so that a store can keep the hashes it needs for proofs.
    """

    size: int = 0
    nodes: list[tuple[int, bytes]] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append one leaf hash; returns the completed perfect subtrees (level, index, hash).

        ``index`` counts subtrees of that level from the left: the subtree covers leaves
        ``index * 2**level`` to ``(index + 1) * 2**level - 1``. Leaves themselves (level 0)
        are not reported.
        """
        completed: list[tuple[int, int, bytes]] = []
        level, value = 0, leaf
        position = self.size
        while self.nodes and self.nodes[-1][0] == level:
            _, left = self.nodes.pop()
            value = node_hash(left, value)
            level += 1
            position >>= 1
            completed.append((level, position, value))
        self.nodes.append((level, value))
        self.size += 1
        return completed

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[int, int, bytes]]:
        completed: list[tuple[int, int, bytes]] = []
        for leaf in leaves:
            completed.extend(self.append(leaf))
        return completed

    def root(self) -> bytes:
        """The tree head MTH of the ``size`` leaves appended so far."""
        if not self.nodes:
            return EMPTY_ROOT
        value = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            value = node_hash(left, value)
        return value

    def to_json(self) -> list[list[int | str]]:
        return [[level, value.hex()] for level, value in self.nodes]

    @classmethod
    def from_json(cls, size: int, nodes: Sequence[Sequence[int | str]]) -> Frontier:
        parsed = [(int(level), bytes.fromhex(str(value))) for level, value in nodes]
        if sum(1 << level for level, _ in parsed) != size:
            raise MerkleError("the compact range does not add up to the tree size")
        return cls(size, parsed)


# ------------------------------------------------------------------------------------------
# Proofs (RFC 9162 §2.1.3.1 and §2.1.4.1)


def inclusion_proof(index: int, size: int, range_hash: RangeHash) -> list[bytes]:
    """PATH(index, D[size]): the audit path of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise MerkleError(f"leaf {index} is not in a tree of {size} leaves")
    return _path(index, 0, size, range_hash)


def _path(m: int, start: int, end: int, range_hash: RangeHash) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return [*_path(m, start, start + k, range_hash), range_hash(start + k, end)]
    return [*_path(m - k, start + k, end, range_hash), range_hash(start, start + k)]


def consistency_proof(first: int, second: int, range_hash: RangeHash) -> list[bytes]:
    """PROOF(first, D[second]): that the tree of ``first`` leaves is a prefix of ``second``."""
    if not 0 < first <= second:
        raise MerkleError(f"no consistency proof from {first} to {second} leaves")
    return _subproof(first, 0, second, True, range_hash)


def _subproof(m: int, start: int, end: int, whole: bool, range_hash: RangeHash) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [range_hash(start, end)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, range_hash), range_hash(start + k, end)]
    return [*_subproof(m - k, start + k, end, False, range_hash), range_hash(start, start + k)]


# ------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``path`` proves that ``leaf`` (a leaf hash) is leaf ``index`` under ``root``."""
    if index >= size or index < 0:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """Whether ``path`` proves the tree (first, first_root) is a prefix of (second, ...).

    The empty tree is a prefix of every tree (with an empty proof), as in the reference
    verifiers of Certificate Transparency.
    """
    if first < 0 or first > second:
        return False
    if first == 0:
        return not path
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:  # an exact power of two
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
