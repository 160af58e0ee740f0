"""Compiled evaluation of the fine-triangulation count over the sub-polygon DAG (numba).

The same dynamic program as :func:`._count_fast.count_fine` and
:meth:`._count_planar.PlanarDecomposition.count` for ``fine=True`` -- same states
(a sub-polygon's counter-clockwise vertex cycle rotated to start at its smallest
vertex), same fixed edge (the polygon edge of lowest rank), same apexes, same
values --, run by a compiled kernel over flat arrays instead of a Python dict:

* **memo** -- an open-addressing hash table (linear probing, 64-bit hash of the
  vertex cycle, 32-bit tag in the slot) over states stored back to back in a byte
  arena; about ``45 + L`` bytes per sub-polygon of ``L`` vertices (a Python dict
  of ``bytes -> int`` needs about 150), so 30 uniform points (1.3e7 sub-polygons)
  fit in about 0.6 GB;
* **recursion** -- an explicit stack of frames; a frame whose apex needs a
  sub-polygon not counted yet pushes it and, when it is counted, re-evaluates that
  apex from scratch (its lookups now hit), so the kernel can stop after any
  number of states and resume: the caller shows progress, honours a time limit
  and grows the arrays between two calls;
* **exact counts beyond 64 bits** -- counts are exact ``uint64`` with overflow
  detection while they fit; at the first overflow the run switches, without
  losing work, to residues modulo ``2**64`` (wrap-around arithmetic) and modulo
  ``K`` primes below ``2**32``, chosen so that their product exceeds ``30**n``,
  the Sharir-Sheffer bound on the number of triangulations of ``n`` points (which
  bounds every sub-polygon's count as well: a fine triangulation of a sub-polygon
  extends to one of the whole set). A count is read back exactly by the Chinese
  remainder theorem (:class:`KernelMemo`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

try:  # numba is a dependency (pyproject); the pure-Python evaluation stays as the reference
    from numba import njit
except ImportError:  # pragma: no cover - exercised only where numba is missing
    njit = None  # type: ignore[assignment]

from ._count_planar import PlanarDecomposition

__all__ = ["KernelCounter", "KernelMemo", "HAVE_NUMBA", "primes_for", "BYTES_PER_STATE"]

HAVE_NUMBA = njit is not None

# status codes of _run
_DONE, _PAUSE, _GROW, _FULL, _OVERFLOW = 0, 1, 2, 3, 4

#: bytes per memoised sub-polygon besides its vertex cycle: count (8), arena offset (4), 32-bit
#: hash slots at a load factor 0.35-0.7 (6-12), residues once counts pass 64 bits (8 per prime)
BYTES_PER_STATE = 30
_MAX_IDS = (1 << 27) - 2  # state ids in a 32-bit slot beside a 5-bit tag
_MAX_ARENA = (1 << 32) - 1  # arena offsets are uint32

_M64 = 1 << 64
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3


def primes_for(n_points: int) -> list[int]:
    """Primes below ``2**32`` whose product with ``2**64`` exceeds ``30**n_points``.

    Sharir & Sheffer (2011): ``n`` points have fewer than ``30**n`` triangulations,
    so every count of the DAG is below that bound and is fixed by its residues.
    """
    need_bits = n_points * math.log2(30.0) - 64.0 + 1.0
    out: list[int] = []
    p = (1 << 32) - 1
    while sum(math.log2(q) for q in out) < need_bits:
        p -= 2
        if _is_prime(p):
            out.append(p)
    return out or [4294967291]


def _is_prime(p: int) -> bool:
    if p < 2 or p % 2 == 0:
        return p == 2
    d, s = p - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17):  # deterministic for p < 3.4e14
        x = pow(a, d, p)
        if x in (1, p - 1):
            continue
        for _ in range(s - 1):
            x = x * x % p
            if x == p - 1:
                break
        else:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# kernels

if HAVE_NUMBA:

    @njit(cache=True)
    def _hash(buf, start, length):  # pragma: no cover - compiled
        h = np.uint64(_FNV_OFFSET)
        for i in range(length):
            h = (h ^ np.uint64(buf[start + i])) * np.uint64(_FNV_PRIME)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
        return h

    @njit(cache=True)
    def _find(slots, key_off, arena, buf, length, h):  # pragma: no cover - compiled
        """(state id or -1, slot index) of the key ``buf[:length]`` with hash ``h``."""
        mask = np.uint64(len(slots) - 1)
        tag = np.uint32(h >> np.uint64(59))
        pos = h & mask
        while True:
            v = slots[pos]
            if v == np.uint32(0):
                return -1, pos
            if (v >> np.uint32(27)) == tag:
                sid = np.int64(v & np.uint32(0x7FFFFFF)) - 1
                o = key_off[sid]
                if key_off[sid + 1] - o == length:
                    same = True
                    for j in range(length):
                        if arena[o + j] != buf[j]:
                            same = False
                            break
                    if same:
                        return sid, pos
            pos = (pos + np.uint64(1)) & mask

    @njit(cache=True)
    def _lookup(slots, key_off, arena, buf):  # pragma: no cover - compiled
        length = len(buf)
        return _find(slots, key_off, arena, buf, length, _hash(buf, 0, length))[0]

    @njit(cache=True)
    def _rehash(slots, key_off, arena, n_states):  # pragma: no cover - compiled
        mask = np.uint64(len(slots) - 1)
        for sid in range(n_states):
            o = key_off[sid]
            h = _hash(arena, o, key_off[sid + 1] - o)
            pos = h & mask
            while slots[pos] != np.uint32(0):
                pos = (pos + np.uint64(1)) & mask
            slots[pos] = (np.uint32(h >> np.uint64(59)) << np.uint32(27)) | np.uint32(sid + 1)

    @njit(cache=True)
    def _canon_chain(t, m, s, cnt, out):  # pragma: no cover - compiled
        """``out[:cnt]`` = the cyclic run t[s], t[s+1], ... (cnt vertices) rotated to start at its minimum."""
        best = 256
        bj = 0
        for j in range(cnt):
            v = np.int64(t[(s + j) % m])
            if v < best:
                best = v
                bj = j
        for j in range(cnt):
            out[j] = t[(s + (bj + j) % cnt) % m]

    @njit(cache=True)
    def _push(fr_poly, fr_len, fr_pe, fr_ci, fr_ce, fr_i, fr_acc, fr_accp, d, buf, length,
              rank_of, edge_of_rank, cand_ptr):  # pragma: no cover - compiled
        """Open frame ``d`` for the polygon ``buf[:length]``: edge mask, fixed edge, apex range."""
        W = fr_pe.shape[1]
        for w in range(W):
            fr_pe[d, w] = np.uint64(0)
        best = np.int64(1) << 62
        for j in range(length):
            u = buf[j]
            fr_poly[d, j] = u
            v = buf[j + 1] if j + 1 < length else buf[0]
            r = np.int64(rank_of[u, v])
            fr_pe[d, r >> 6] |= np.uint64(1) << np.uint64(r & 63)
            if r < best:
                best = r
        fr_len[d] = length
        a = edge_of_rank[best, 0]
        i = 0
        for j in range(length):
            if buf[j] == a:
                i = j
                break
        fr_i[d] = i
        fr_ci[d] = cand_ptr[best]
        fr_ce[d] = cand_ptr[best + 1]
        fr_acc[d] = np.uint64(0)
        for k in range(fr_accp.shape[1]):
            fr_accp[d, k] = np.uint64(0)

    @njit(cache=True)
    def _run(st, slots, key_off, arena, c64, cp, primes,  # noqa: C901 - the fused numba kernel: a split costs a call per state
             fr_poly, fr_len, fr_pe, fr_ci, fr_ce, fr_i, fr_acc, fr_accp,
             rank_of, edge_of_rank, cand_ptr, cand_c, conf, tri_empty,
             root, chunk, max_states):  # pragma: no cover - compiled
        """Advance the DP; ``st`` = [n_states, depth, arena_used, K].

        Returns a status: 0 done (the root's state id in st[4]), 1 paused after ``chunk``
        new states, 2 arrays full (grow and call again), 3 past ``max_states``, 4 an exact
        count overflowed 64 bits (switch to residues and call again).
        """
        K = st[3]
        n_states = st[0]
        d = st[1]
        arena_used = st[2]
        W = fr_pe.shape[1]
        kb1 = np.empty(fr_poly.shape[1] + 1, dtype=np.uint8)
        p1 = np.zeros(max(K, 1), dtype=np.uint64)
        new = 0
        if d < 0:  # first call: open the root
            _push(fr_poly, fr_len, fr_pe, fr_ci, fr_ce, fr_i, fr_acc, fr_accp, 0, root, len(root),
                  rank_of, edge_of_rank, cand_ptr)
            d = 0
        while d >= 0:
            t = fr_poly[d]
            m = np.int64(fr_len[d])
            i = np.int64(fr_i[d])
            t0 = np.int64(t[0])
            a = np.int64(t[i])
            b = np.int64(t[(i + 1) % m])
            ci = fr_ci[d]
            ce = fr_ce[d]
            pushed = False
            while ci < ce:
                conflict = False
                c = np.int64(cand_c[ci])
                for w in range(W):
                    if (conf[a, c, w] | conf[b, c, w]) & fr_pe[d, w]:
                        conflict = True
                        break
                if conflict:
                    ci += 1
                    continue
                k = -1
                for j in range(m):
                    if t[j] == c:
                        k = j
                        break
                v64 = np.uint64(1)
                for q in range(K):
                    p1[q] = np.uint64(1)
                missing_len = 0
                if k < 0:  # interior apex, inserted between a and b
                    if c > t0:
                        for j in range(i + 1):
                            kb1[j] = t[j]
                        kb1[i + 1] = c
                        for j in range(i + 1, m):
                            kb1[j + 1] = t[j]
                    else:
                        kb1[0] = c
                        for j in range(i + 1, m):
                            kb1[j - i] = t[j]
                        for j in range(i + 1):
                            kb1[m - i + j] = t[j]
                    h = _hash(kb1, 0, m + 1)
                    sid, _ = _find(slots, key_off, arena, kb1, m + 1, h)
                    if sid < 0:
                        missing_len = m + 1
                    else:
                        v64 = c64[sid]
                        for q in range(K):
                            p1[q] = cp[sid, q]
                else:
                    # chains b .. c (positions i+1 .. k) and c .. a (k .. i), cyclic
                    n1 = (k - i - 1) % m + 1
                    n2 = (i - k) % m + 1
                    if n1 == 3 and tri_empty[t[(i + 1) % m], t[(i + 2) % m], t[(i + 3) % m]]:
                        pass  # an empty triangle: one triangulation, not memoised
                    elif n1 >= 3:
                        _canon_chain(t, m, (i + 1) % m, n1, kb1)
                        h = _hash(kb1, 0, n1)
                        sid, _ = _find(slots, key_off, arena, kb1, n1, h)
                        if sid < 0:
                            missing_len = n1
                        else:
                            v64 = c64[sid]
                            for q in range(K):
                                p1[q] = cp[sid, q]
                    if n2 == 3 and tri_empty[t[k], t[(k + 1) % m], t[(k + 2) % m]]:
                        pass
                    elif missing_len == 0 and n2 >= 3:
                        _canon_chain(t, m, k, n2, kb1)
                        h = _hash(kb1, 0, n2)
                        sid, _ = _find(slots, key_off, arena, kb1, n2, h)
                        if sid < 0:
                            missing_len = n2
                        else:
                            w64 = c64[sid]
                            if K == 0:
                                if ((v64 >> np.uint64(32)) | (w64 >> np.uint64(32))) != np.uint64(0):
                                    if w64 != np.uint64(0) and v64 > np.uint64(0xFFFFFFFFFFFFFFFF) // w64:
                                        st[0] = n_states
                                        st[1] = d
                                        st[2] = arena_used
                                        fr_ci[d] = ci
                                        return _OVERFLOW
                            v64 = v64 * w64
                            for q in range(K):
                                p1[q] = (p1[q] * cp[sid, q]) % primes[q]
                if missing_len:
                    fr_ci[d] = ci
                    if d + 1 >= fr_poly.shape[0]:  # pragma: no cover - depth <= number of triangles
                        return _FULL
                    _push(fr_poly, fr_len, fr_pe, fr_ci, fr_ce, fr_i, fr_acc, fr_accp, d + 1, kb1, missing_len,
                          rank_of, edge_of_rank, cand_ptr)
                    d += 1
                    pushed = True
                    break
                s = fr_acc[d] + v64
                if K == 0 and s < v64:
                    st[0] = n_states
                    st[1] = d
                    st[2] = arena_used
                    fr_ci[d] = ci
                    return _OVERFLOW
                fr_acc[d] = s
                for q in range(K):
                    fr_accp[d, q] = (fr_accp[d, q] + p1[q]) % primes[q]
                ci += 1
            if pushed:
                continue
            fr_ci[d] = ci
            # the frame is complete: memoise it
            if n_states >= max_states:
                st[0] = n_states
                st[1] = d
                st[2] = arena_used
                return _FULL
            if (n_states + 1 >= len(c64) or arena_used + m > len(arena)
                    or 10 * (n_states + 1) > 7 * len(slots)):
                st[0] = n_states
                st[1] = d
                st[2] = arena_used
                return _GROW
            h = _hash(t, 0, m)
            _, pos = _find(slots, key_off, arena, t, m, h)
            for j in range(m):
                arena[arena_used + j] = t[j]
            arena_used += m
            key_off[n_states + 1] = arena_used
            c64[n_states] = fr_acc[d]
            for q in range(K):
                cp[n_states, q] = fr_accp[d, q]
            slots[pos] = (np.uint32(h >> np.uint64(59)) << np.uint32(27)) | np.uint32(n_states + 1)
            n_states += 1
            new += 1
            d -= 1
            if d < 0:
                st[4] = n_states - 1
                break
            if new >= chunk:
                st[0] = n_states
                st[1] = d
                st[2] = arena_used
                return _PAUSE
        st[0] = n_states
        st[1] = d
        st[2] = arena_used
        return _DONE


# ---------------------------------------------------------------------------------------------
# driver


class KernelMemo:
    """Read-only view of the kernel's memo as ``bytes -> int`` (exact counts by CRT).

    Behaves like the dict the Python evaluations fill: ``get``, ``[]``, ``in``,
    ``len``; sub-polygons missing from the table (never reached from the root) can
    be added with ``memo[key] = value`` and are kept in a small dict beside it.
    """

    def __init__(self, counter: KernelCounter) -> None:
        self._c = counter
        self._extra: dict[bytes, int] = {}

    def __len__(self) -> int:
        return self._c.n_states + len(self._extra)

    def get(self, key: bytes, default: int | None = None) -> int | None:
        c = self._c
        sid = int(_lookup(c.slots, c.key_off, c.arena, np.frombuffer(key, dtype=np.uint8)))
        if sid < 0:
            return self._extra.get(key, default)
        return c.value(sid)

    def __getitem__(self, key: bytes) -> int:
        v = self.get(key)
        if v is None:
            raise KeyError(key)
        return v

    def __contains__(self, key: object) -> bool:
        return isinstance(key, bytes) and self.get(key) is not None

    def __setitem__(self, key: bytes, value: int) -> None:
        self._extra[key] = value


class KernelCounter:
    """Runs the compiled fine-count DP of a :class:`PlanarDecomposition` in resumable chunks.

    Parameters
    ----------
    struct : PlanarDecomposition
        Built with ``fine=True``.
    max_states : int
        Memo size at which the run stops (``run`` returns ``"full"``).
    capacity : int
        Initial number of states the arrays hold (they grow as needed).
    modular : bool
        Start with residues (tests); otherwise exact 64-bit counts until one overflows.
    """

    def __init__(self, struct: PlanarDecomposition, *, max_states: int, capacity: int = 1 << 14,
                 modular: bool = False) -> None:
        if not HAVE_NUMBA:  # pragma: no cover
            raise RuntimeError("numba is not installed")
        if not struct.fine:
            raise ValueError("KernelCounter needs a PlanarDecomposition built with fine=True")
        n = len(struct.points)
        self.n = n
        # a hash slot is 32 bits: a 27-bit state id and a 5-bit tag of the hash
        self.max_states = min(int(max_states), _MAX_IDS)
        E = n * (n - 1)
        W = max(1, -(-E // 64))
        eor = np.array(struct._edge_of_rank, dtype=np.int32).reshape(-1, 2)
        rank_of = np.full((n, n), -1, dtype=np.int32)
        rank_of[eor[:, 0], eor[:, 1]] = np.arange(len(eor), dtype=np.int32)
        ptr = np.zeros(len(eor) + 1, dtype=np.int64)
        cs: list[int] = []
        for k, (a, b) in enumerate(struct._edge_of_rank):
            cs.extend(c for c, _ in struct._cand[a][b])
            ptr[k + 1] = len(cs)
        self.rank_of, self.edge_of_rank, self.cand_ptr = rank_of, eor, ptr
        self.cand_c = np.array(cs, dtype=np.int64)
        # conf[u, w]: the directed edges (both directions, by rank) whose segment conflicts with segment uw
        raw = b"".join(x.to_bytes(8 * W, "little") for row in struct._conf for x in row)
        self.conf = np.frombuffer(raw, dtype="<u8").reshape(n, n, W).copy()
        self.root = np.frombuffer(struct.root, dtype=np.uint8).copy()
        # empty triangles by their counter-clockwise cycle (any rotation): one triangulation each
        self.tri_empty = np.zeros((n, n, n), dtype=np.bool_)
        T = np.asarray(struct._tri_sorted, dtype=np.int64).reshape(-1, 3)
        if len(T):
            ccw = struct._O[T[:, 0], T[:, 1], T[:, 2]] > 0
            a, b, c = T[:, 0], np.where(ccw, T[:, 1], T[:, 2]), np.where(ccw, T[:, 2], T[:, 1])
            for x, y, z in ((a, b, c), (b, c, a), (c, a, b)):
                self.tri_empty[x, y, z] = True
        D = 2 * n + 4
        self.fr_poly = np.zeros((D, n + 2), dtype=np.uint8)
        self.fr_len = np.zeros(D, dtype=np.int64)
        self.fr_pe = np.zeros((D, W), dtype=np.uint64)
        self.fr_ci = np.zeros(D, dtype=np.int64)
        self.fr_ce = np.zeros(D, dtype=np.int64)
        self.fr_i = np.zeros(D, dtype=np.int64)
        self.fr_acc = np.zeros(D, dtype=np.uint64)
        self.primes = np.array(primes_for(n), dtype=np.uint64)
        cap = max(1024, min(int(capacity), self.max_states + 1))
        self.c64 = np.empty(cap, dtype=np.uint64)
        self.key_off = np.zeros(cap + 1, dtype=np.uint32)
        self.arena = np.empty(cap * max(4, n // 2), dtype=np.uint8)
        self.slots = np.zeros(1 << max(10, int(math.ceil(math.log2(cap / 0.7)))), dtype=np.uint32)
        self.K = 0
        self.cp = np.zeros((cap, 0), dtype=np.uint64)
        self.fr_accp = np.zeros((D, 0), dtype=np.uint64)
        self.st = np.array([0, -1, 0, 0, -1], dtype=np.int64)
        self._crt: list[tuple[int, int]] = []
        if modular:
            self._to_modular()

    # -- size -----------------------------------------------------------------------------------
    @property
    def n_states(self) -> int:
        return int(self.st[0])

    def nbytes(self) -> int:
        return int(self.c64.nbytes + self.key_off.nbytes + self.arena.nbytes + self.slots.nbytes + self.cp.nbytes)

    def _grow(self) -> None:
        ns, used = int(self.st[0]), int(self.st[2])
        if ns + 1 >= len(self.c64):
            cap = min(2 * len(self.c64), self.max_states + 2)
            self.c64 = _resize(self.c64, cap)
            self.key_off = _resize(self.key_off, cap + 1)
            if self.K:
                cp = np.zeros((cap, self.K), dtype=np.uint64)
                cp[:ns] = self.cp[:ns]
                self.cp = cp
        if used + self.n + 2 > len(self.arena):
            self.arena = _resize(self.arena, min(2 * len(self.arena), _MAX_ARENA))
        if 10 * (ns + 1) > 7 * len(self.slots):
            self.slots = np.zeros(2 * len(self.slots), dtype=np.uint32)
            _rehash(self.slots, self.key_off, self.arena, ns)

    def _to_modular(self) -> None:
        """Switch from exact 64-bit counts to residues (all counts so far are exact, so reduce them)."""
        K = len(self.primes)
        ns = int(self.st[0])
        cp = np.zeros((len(self.c64), K), dtype=np.uint64)
        acc = np.zeros((len(self.fr_acc), K), dtype=np.uint64)
        for q, p in enumerate(self.primes.tolist()):
            cp[:ns, q] = self.c64[:ns] % np.uint64(p)
            acc[:, q] = self.fr_acc % np.uint64(p)
        self.cp, self.fr_accp, self.K = cp, acc, K
        self.st[3] = K
        mods = [_M64] + [int(p) for p in self.primes.tolist()]
        M = math.prod(mods)
        self._M = M
        self._crt = [(M // m, pow(M // m, -1, m)) for m in mods]

    def value(self, sid: int) -> int:
        """Exact count of state ``sid``."""
        v = int(self.c64[sid])
        if not self.K:
            return v
        res = [v] + [int(x) for x in self.cp[sid].tolist()]
        return sum(r * Mi * inv for r, (Mi, inv) in zip(res, self._crt)) % self._M

    # -- run ------------------------------------------------------------------------------------
    def run(self, *, chunk: int = 50_000, tick: Callable[[int], None] | None = None) -> str:
        """Advance to the end: ``"done"`` or ``"full"`` (past ``max_states``).

        ``tick(n_states)`` is called between chunks (progress, time limit: it may raise).
        """
        while True:
            status = _run(self.st, self.slots, self.key_off, self.arena, self.c64, self.cp, self.primes,
                          self.fr_poly, self.fr_len, self.fr_pe, self.fr_ci, self.fr_ce, self.fr_i,
                          self.fr_acc, self.fr_accp, self.rank_of, self.edge_of_rank, self.cand_ptr,
                          self.cand_c, self.conf, self.tri_empty, self.root, chunk, self.max_states)
            if status == _DONE:
                return "done"
            if status == _FULL or (status == _GROW and int(self.st[2]) + self.n + 2 > _MAX_ARENA):
                return "full"
            if status == _GROW:
                self._grow()
            elif status == _OVERFLOW:
                self._to_modular()
            if tick is not None:
                tick(int(self.st[0]))

    def root_count(self) -> int:
        return self.value(int(self.st[4]))


def _resize(a: np.ndarray, size: int) -> np.ndarray:
    out = np.empty(size, dtype=a.dtype)
    k = min(len(a), size)
    out[:k] = a[:k]
    return out


def warm_up() -> float:
    """Compile (or load from numba's cache) the kernels on a tiny input; returns the seconds taken."""
    t0 = time.perf_counter()
    pts = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 2.0], [1.0, 0.5]])
    kc = KernelCounter(PlanarDecomposition(pts, fine=True, max_states=100), max_states=100)
    kc.run()
    KernelMemo(kc).get(bytes(kc.root))
    return time.perf_counter() - t0
