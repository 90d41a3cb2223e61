"""RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs.

The shared record (``docs/protocol/record-formats.md``) is an append-only log of
leaves, summarised by the Merkle Tree Hash (MTH) of RFC 9162 §2.1.1::

    MTH({})       = SHA-256()
    MTH({d0})     = SHA-256(0x00 || d0)                       leaf hash
    MTH(D[n])     = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
                    k = the largest power of two smaller than n

Everything here works on leaf *hashes* (level 0) and on *perfect nodes*: the
hash of the complete subtree of ``2**level`` leaves starting at leaf
``index * 2**level``. A store persists the perfect nodes as :class:`TreeBuilder`
completes them (each append completes one node per trailing one bit of the old
size) and hands this module a :data:`PerfectNode` reader. Every MTH the
algorithms need is a fold of O(log n) perfect nodes, so roots and proofs for any
past size read O(log² n) nodes at worst, never the leaves.

Proof generation follows RFC 9162 §2.1.3.1 (``PATH``) and §2.1.4.1
(``PROOF``/``SUBPROOF``) literally; verification is the bit-walking algorithm of
§2.1.3.2 and §2.1.4.2, so the two sides share no code that could hide a bug.
Both were checked against transparency-dev/merkle's published probes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from hotline.errors import ProofInvalid

__all__ = [
    "EMPTY_ROOT",
    "HASH_BYTES",
    "PerfectNode",
    "TreeBuilder",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "right_edge",
    "root_of",
    "subtree_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of no bytes."""

PerfectNode = Callable[[int, int], bytes]
"""``perfect(level, index)``: the hash of leaves ``[index << level, (index + 1) << level)``."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_size(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The MTH of a list of leaf hashes (not leaf data); :data:`EMPTY_ROOT` for none."""
    if not leaf_hashes:
        return EMPTY_ROOT
    builder = TreeBuilder()
    for leaf in leaf_hashes:
        builder.append(leaf)
    return builder.root()


def subtree_hash(start: int, end: int, perfect: PerfectNode) -> bytes:
    """The MTH of leaves ``[start, end)`` (``end > start``), from perfect nodes.

    The range is split as RFC 9162 splits a tree: the left part is the largest
    power of two smaller than its size. A part that is itself an aligned power
    of two is one perfect node. For ranges a tree proof asks for (the whole
    tree, or a right part of it) this reads at most one node per level; an
    unaligned ``start`` is still correct, only slower (it descends further).
    """
    _check_size("start", start)
    if end <= start:
        raise ValueError(f"empty or reversed range [{start}, {end})")
    size = end - start
    level = size.bit_length() - 1
    if size == 1 << level and start % size == 0:
        return perfect(level, start >> level)
    k = _split(size)
    return node_hash(subtree_hash(start, start + k, perfect), subtree_hash(start + k, end, perfect))


def tree_root(size: int, perfect: PerfectNode) -> bytes:
    """The root of the tree of the first ``size`` leaves; :data:`EMPTY_ROOT` for 0."""
    _check_size("size", size)
    return EMPTY_ROOT if size == 0 else subtree_hash(0, size, perfect)


def right_edge(size: int) -> list[tuple[int, int]]:
    """The ``(level, index)`` of the perfect nodes that make up a tree of ``size`` leaves.

    Left to right (largest first): one per one bit of ``size``. Their fold from
    the right (``node_hash(left, acc)``) is the tree's root; they are what
    :meth:`TreeBuilder.resume` reads to continue appending.
    """
    _check_size("size", size)
    edge: list[tuple[int, int]] = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            edge.append((level, start >> level))
            start += 1 << level
    return edge


def inclusion_proof(index: int, size: int, perfect: PerfectNode) -> list[bytes]:
    """The audit path ``PATH(index, D[size])`` of RFC 9162 §2.1.3.1, leaf upwards."""
    _check_size("index", index)
    if index >= size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    proof: list[bytes] = []
    _path(index, 0, size, perfect, proof)
    return proof


def _path(m: int, start: int, n: int, perfect: PerfectNode, out: list[bytes]) -> None:
    # PATH(m, D[start:start+n]); appended deepest first, as the RFC concatenates.
    if n == 1:
        return
    k = _split(n)
    if m < k:
        _path(m, start, k, perfect, out)
        out.append(subtree_hash(start + k, start + n, perfect))
    else:
        _path(m - k, start + k, n - k, perfect, out)
        out.append(subtree_hash(start, start + k, perfect))


def consistency_proof(old_size: int, new_size: int, perfect: PerfectNode) -> list[bytes]:
    """``PROOF(old_size, D[new_size])`` of RFC 9162 §2.1.4.1.

    Empty when the sizes are equal or ``old_size`` is 0 (the empty tree is a
    prefix of every tree; nothing needs proving).
    """
    _check_size("old_size", old_size)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if old_size in (0, new_size):
        return []
    proof: list[bytes] = []
    _subproof(old_size, 0, new_size, True, perfect, proof)
    return proof


def _subproof(
    m: int, start: int, n: int, known: bool, perfect: PerfectNode, out: list[bytes]
) -> None:
    # SUBPROOF(m, D[start:start+n], known).
    if m == n:
        if not known:
            out.append(subtree_hash(start, start + n, perfect))
        return
    k = _split(n)
    if m <= k:
        _subproof(m, start, k, known, perfect, out)
        out.append(subtree_hash(start + k, start + n, perfect))
    else:
        _subproof(m - k, start + k, n - k, False, perfect, out)
        out.append(subtree_hash(start, start + k, perfect))


def _check_hashes(proof: Sequence[bytes], what: str) -> None:
    for position, element in enumerate(proof):
        if len(element) != HASH_BYTES:
            raise ProofInvalid(
                f"{what} element {position} is {len(element)} bytes, not {HASH_BYTES}"
            )


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash ``leaf`` is leaf ``index`` of the tree of ``size`` with ``root``.

    RFC 9162 §2.1.3.2, step by step. Raises :class:`ProofInvalid` saying why.
    """
    if index < 0 or size < 0:
        raise ProofInvalid(f"negative index {index} or size {size}")
    if index >= size:
        raise ProofInvalid(f"leaf index {index} is not below tree size {size}")
    if len(leaf) != HASH_BYTES:
        raise ProofInvalid(f"a leaf hash is {HASH_BYTES} bytes, not {len(leaf)}")
    _check_hashes(proof, "inclusion proof")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofInvalid(f"inclusion proof is longer than a tree of {size} needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:  # on the right edge with no sibling: moves up unchanged
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(f"inclusion proof is shorter than a tree of {size} needs")
    if r != root:
        raise ProofInvalid(f"inclusion proof for leaf {index} does not lead to the root of {size}")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` with ``new_root`` extends that of ``old_size``.

    RFC 9162 §2.1.4.2 for ``0 < old_size < new_size``. Equal sizes need equal
    roots and an empty proof. ``old_size`` 0 is consistent with every tree, with
    an empty proof, provided ``old_root`` is :data:`EMPTY_ROOT` (the only root a
    tree of size 0 has). Raises :class:`ProofInvalid` saying why.
    """
    if old_size < 0 or new_size < 0:
        raise ProofInvalid(f"negative tree size {old_size} or {new_size}")
    if old_size > new_size:
        raise ProofInvalid(f"tree shrank from {old_size} to {new_size}")
    if len(old_root) != HASH_BYTES or len(new_root) != HASH_BYTES:
        raise ProofInvalid(f"a root hash is {HASH_BYTES} bytes")
    if old_size == 0:
        if old_root != EMPTY_ROOT:
            raise ProofInvalid("a tree of size 0 has the empty root, not the one given")
        if proof:
            raise ProofInvalid("a consistency proof from size 0 must be empty")
        return
    if old_size == new_size:
        if proof:
            raise ProofInvalid(f"a consistency proof between equal sizes {old_size} must be empty")
        if old_root != new_root:
            raise ProofInvalid(f"two different roots for the same tree size {old_size}")
        return
    if not proof:
        raise ProofInvalid(f"empty consistency proof from {old_size} to {new_size}")
    _check_hashes(proof, "consistency proof")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: its root is a node of both
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofInvalid(f"consistency proof {old_size}->{new_size} is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:  # on the right edge with no sibling: moves up unchanged
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid(f"consistency proof {old_size}->{new_size} is too short")
    if fr != old_root:
        raise ProofInvalid(f"consistency proof does not lead to the root of size {old_size}")
    if sr != new_root:
        raise ProofInvalid(f"consistency proof does not lead to the root of size {new_size}")


class TreeBuilder:
    """Append leaf hashes one at a time, O(log n) each, keeping only the right edge.

    The right edge is the list of perfect nodes a tree of ``size`` leaves
    decomposes into (:func:`right_edge`). :meth:`append` returns every perfect
    node it completes, the leaf itself first, so a store can persist them and
    later answer :data:`PerfectNode` reads. :meth:`resume` continues a tree from
    a store with O(log n) reads.
    """

    __slots__ = ("_edge", "_size")

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        """A tree of ``size`` leaves whose right-edge perfect nodes are ``edge``, largest first."""
        _check_size("size", size)
        if len(edge) != size.bit_count():
            raise ValueError(f"a tree of {size} has {size.bit_count()} edge nodes, not {len(edge)}")
        for node in edge:
            if len(node) != HASH_BYTES:
                raise ValueError(f"an edge node is {HASH_BYTES} bytes")
        self._size = size
        levels = [level for level, _ in right_edge(size)]
        self._edge: list[tuple[int, bytes]] = list(zip(levels, edge, strict=True))

    @classmethod
    def resume(cls, size: int, perfect: PerfectNode) -> TreeBuilder:
        """The builder of a stored tree of ``size`` leaves, reading its right edge."""
        return cls(size, [perfect(level, index) for level, index in right_edge(size)])

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return self._size

    def edge(self) -> list[bytes]:
        """The right-edge perfect node hashes, largest first (what :meth:`resume` reads)."""
        return [node for _, node in self._edge]

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; return the ``(level, index, hash)`` nodes completed, leaf first."""
        if len(leaf) != HASH_BYTES:
            raise ValueError(f"a leaf hash is {HASH_BYTES} bytes, not {len(leaf)}")
        position = self._size
        completed = [(0, position, leaf)]
        level, node = 0, leaf
        # Each trailing one bit of the old size is a perfect node of that level
        # waiting for a right sibling of equal size: the new leaf's subtree.
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            node = node_hash(left, node)
            level += 1
            completed.append((level, position >> level, node))
        self._edge.append((level, node))
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The current MTH: the right edge folded from the right."""
        if not self._edge:
            return EMPTY_ROOT
        root = self._edge[-1][1]
        for _, left in reversed(self._edge[:-1]):
            root = node_hash(left, root)
        return root

    def __repr__(self) -> str:
        return f"TreeBuilder(size={self._size}, root={self.root().hex()[:16]}...)"
