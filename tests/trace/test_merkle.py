"""The Merkle log hashing against RFC 6962/9162 and the published test vectors.

The vectors are those of Certificate Transparency's reference implementation (the leaves
"", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f, and the
tree heads, audit paths and consistency proofs for them) used by every RFC 6962 log; the
structural examples are the figures of RFC 6962 §2.1.3.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nongso.trace import merkle
from nongso.trace.merkle import (
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
ROOTS = [bytes.fromhex(h) for h in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
# (leaf number counted from 1, tree size, audit path)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
HASHES = [leaf_hash(d) for d in LEAVES]


def _range_hash(hashes: list[bytes]) -> merkle.RangeHash:
    return lambda start, end: root_of(hashes[start:end])


def test_prefixes_of_leaves_and_nodes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert ROOTS[0] == merkle.EMPTY_ROOT


def test_tree_heads_match_the_published_roots() -> None:
    for size in range(len(LEAVES) + 1):
        assert root_of(HASHES[:size]) == ROOTS[size], size


def test_frontier_gives_the_same_roots_as_the_recursion() -> None:
    frontier = Frontier()
    assert frontier.root() == ROOTS[0]
    for size, h in enumerate(HASHES, start=1):
        frontier.append(h)
        assert frontier.root() == ROOTS[size]
    restored = Frontier.from_json(frontier.size, frontier.to_json())
    assert restored.root() == ROOTS[8]
    with pytest.raises(merkle.MerkleError):
        Frontier.from_json(7, frontier.to_json())


def test_frontier_reports_every_completed_perfect_subtree() -> None:
    frontier = Frontier()
    completed = frontier.extend(HASHES)
    # 8 leaves: 4 nodes at level 1, 2 at level 2, 1 at level 3.
    assert sorted((level, index) for level, index, _ in completed) == [
        (1, 0), (1, 1), (1, 2), (1, 3), (2, 0), (2, 1), (3, 0)]
    for level, index, value in completed:
        width = 1 << level
        assert value == root_of(HASHES[index * width:(index + 1) * width])


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_vectors(leaf: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(leaf - 1, size, _range_hash(HASHES[:size]))
    assert [p.hex() for p in proof] == path
    assert verify_inclusion(HASHES[leaf - 1], leaf - 1, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors(first: int, second: int, path: list[str]) -> None:
    proof = consistency_proof(first, second, _range_hash(HASHES[:second]))
    assert [p.hex() for p in proof] == path
    assert verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_rfc6962_figure_of_seven_leaves() -> None:
    """RFC 6962 §2.1.3: the audit paths and consistency proofs named in its figures."""
    d = [leaf_hash(bytes([i])) for i in range(7)]
    a, b, c, dd, e, f, j = d
    g, h, i = node_hash(a, b), node_hash(c, dd), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    rh = _range_hash(d)
    assert inclusion_proof(0, 7, rh) == [b, h, l_]
    assert inclusion_proof(3, 7, rh) == [c, g, l_]
    assert inclusion_proof(4, 7, rh) == [f, j, k]
    assert inclusion_proof(6, 7, rh) == [i, k]
    assert consistency_proof(3, 7, rh) == [c, dd, g, l_]
    assert consistency_proof(4, 7, rh) == [l_]
    assert consistency_proof(6, 7, rh) == [i, j, k]


def _corruptions(path: list[bytes]) -> list[list[bytes]]:
    out = [[*path, b""], [*path, ROOTS[1]], [ROOTS[1], *path]]
    if path:
        out.append(path[:-1])
    for n in range(len(path)):
        wrong = list(path)
        wrong[n] = bytes([wrong[n][0] ^ 8]) + wrong[n][1:]
        out.append(wrong)
    return out


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_fail(leaf: int, size: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    index, root, value = leaf - 1, ROOTS[size], HASHES[leaf - 1]
    assert not verify_inclusion(value, index + 1, size, proof, root)
    assert not verify_inclusion(value, index, size * 2, proof, root)
    assert not verify_inclusion(leaf_hash(b"WrongLeaf"), index, size, proof, root)
    assert not verify_inclusion(value, index, size, proof, ROOTS[0])
    for wrong in _corruptions(proof):
        assert not verify_inclusion(value, index, size, wrong, root), wrong


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_corrupted_consistency_proofs_fail(first: int, second: int, path: list[str]) -> None:
    proof = [bytes.fromhex(p) for p in path]
    r1, r2 = ROOTS[first], ROOTS[second]
    assert not verify_consistency(first, second, r2, r1, proof)
    assert not verify_consistency(first + 1, second, r1, r2, proof)
    assert not verify_consistency(first, second, r1, r2, [])
    for wrong in _corruptions(proof):
        assert not verify_consistency(first, second, r1, r2, wrong), wrong


def test_trivial_consistency() -> None:
    assert verify_consistency(0, 5, ROOTS[0], ROOTS[5], [])
    assert verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    assert not verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    assert not verify_consistency(4, 3, ROOTS[4], ROOTS[3], [])
    with pytest.raises(merkle.MerkleError):
        inclusion_proof(8, 8, _range_hash(HASHES))
    with pytest.raises(merkle.MerkleError):
        consistency_proof(0, 8, _range_hash(HASHES))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=70), st.data())
def test_every_proof_of_a_random_tree_verifies(size: int, data: st.DataObject) -> None:
    hashes = [leaf_hash(n.to_bytes(4, "big")) for n in range(size)]
    rh = _range_hash(hashes)
    root = root_of(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_proof(index, size, rh)
    assert verify_inclusion(hashes[index], index, size, proof, root)
    assert not verify_inclusion(hashes[index], index, size, proof, leaf_hash(b"other"))
    first = data.draw(st.integers(min_value=1, max_value=size))
    cproof = consistency_proof(first, size, rh)
    assert verify_consistency(first, size, root_of(hashes[:first]), root, cproof)
    if first < size:
        assert not verify_consistency(first, size, leaf_hash(b"x"), root, cproof)
