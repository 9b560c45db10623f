"""Thread messages by their ids, as Jamie Zawinski's algorithm does (jwz.org/doc/threading).

Plain Python, no Django: each message gives its id, its References (In-Reply-To last), its
subject without prefixes, whether it is a reply and its moment. Containers are made for every
id seen, linked parent to child along each References chain unless a link would make a loop
(a loop is reported, the link dropped); a message's last reference is its parent. Containers
of messages not in the archive are then pruned: their children move up. Where JWZ would keep
an empty root over several replies (replies to a message the archive lacks), the earliest
reply opens the thread and the others answer it. Last, the subject fallback for clients that
send no headers: a root that is a reply ("Re: ...", or references only messages not here) joins
the earliest earlier root with the same subject, within ``SUBJECT_WINDOW``.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SUBJECT_WINDOW = timedelta(days=120)


@dataclass(eq=False, slots=True)
class _Container:
    seq: int | None
    parent: _Container | None
    children: list[_Container]


@dataclass
class Threads:
    """Each thread: its root, and (seq, parent seq) of every message, parents first."""

    threads: list[list[tuple[int, int | None]]] = field(default_factory=list)
    loops: list[int] = field(default_factory=list)
    missing_parent: list[int] = field(default_factory=list)
    by_subject: list[int] = field(default_factory=list)


def _is_ancestor(candidate: _Container, node: _Container) -> bool:
    """Whether *candidate* is *node* or one of its ancestors."""
    seen = 0
    while node is not None:
        if node is candidate:
            return True
        node = node.parent
        seen += 1
        if seen > 100_000:  # a cycle made elsewhere: treat as related
            return True
    return False


def _would_loop(child: _Container, parent: _Container) -> bool:
    """Whether putting *child* under *parent* makes a loop. Only a container with children can
    be an ancestor: the walk up is skipped for the others (most), so a long thread costs no
    walk per message."""
    return child is parent or (bool(child.children) and _is_ancestor(child, parent))


def _link(parent: _Container, child: _Container) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def thread(index) -> Threads:
    """Thread the messages of *index*: (seq, id, references, thread subject, is reply, iso
    moment) for each, ids unique. Return the threads in the order of their first message."""
    table: dict[str, _Container] = {}
    info: dict[int, tuple[str, bool, datetime, bool]] = {}
    result = Threads()

    def get(mid: str) -> _Container:
        c = table.get(mid)
        if c is None:
            c = table[mid] = _Container(None, None, [])
        return c

    for seq, mid, refs, subject, is_reply, at in index:
        c = get(mid)
        c.seq = seq
        info[seq] = (subject, is_reply, datetime.fromisoformat(at), bool(refs))
        previous = None
        for ref in refs:
            if ref == mid:
                continue
            r = get(ref)
            if previous is not None and r.parent is None and not _would_loop(r, previous):
                _link(previous, r)
            previous = r
        if previous is not None and _would_loop(c, previous):
            result.loops.append(seq)
            previous = None
        if previous is None:
            if c.parent is not None:
                c.parent.children.remove(c)
                c.parent = None
        elif c.parent is not previous:
            _link(previous, c)

    def moment(seq: int) -> datetime:
        return info[seq][2]

    def real_descendants(c: _Container) -> list[_Container]:
        """The nearest real messages under *c* (through containers of missing messages)."""
        out, stack = [], list(c.children)
        while stack:
            n = stack.pop()
            if n.seq is not None:
                out.append(n)
            else:
                stack.extend(n.children)
        return out

    def flatten(root_seq: int, top: list[_Container]) -> list[tuple[int, int | None]]:
        pairs: list[tuple[int, int | None]] = [(root_seq, None)]
        stack = [(n, root_seq) for n in top]
        while stack:
            n, parent = stack.pop()
            if n.seq is None:
                stack.extend((m, parent) for m in n.children)
                continue
            pairs.append((n.seq, parent))
            stack.extend((m, n.seq) for m in n.children)
        return pairs

    groups: list[list[tuple[int, int | None]]] = []
    for c in table.values():
        if c.parent is not None:
            continue
        if c.seq is not None:
            groups.append(flatten(c.seq, c.children))
            continue
        tops = sorted(real_descendants(c), key=lambda n: (moment(n.seq), n.seq))
        if not tops:
            continue
        first = tops[0]
        result.missing_parent.extend(n.seq for n in tops)
        groups.append(flatten(first.seq, [*first.children, *tops[1:]]))

    # The subject fallback, over roots in time order.
    groups.sort(key=lambda g: (moment(g[0][0]), g[0][0]))
    leaders: dict[str, tuple[int, datetime]] = {}
    merged: dict[int, list[tuple[int, int | None]]] = {}
    for group in groups:
        root = group[0][0]
        subject, is_reply, at, had_refs = info[root]
        leader = leaders.get(subject) if subject else None
        if (
            leader is not None
            and (is_reply or had_refs)
            and timedelta(0) <= at - leader[1] <= SUBJECT_WINDOW
        ):
            result.by_subject.append(root)
            merged[leader[0]].extend((s, p if p is not None else leader[0]) for s, p in group)
            continue
        if subject and (subject not in leaders or not is_reply):
            leaders[subject] = (root, at)
        merged[root] = list(group)
    for pairs in merged.values():
        result.threads.append(_parents_first(pairs, moment))
    result.threads.sort(key=lambda pairs: (moment(pairs[0][0]), pairs[0][0]))
    return result


def _parents_first(pairs, moment) -> list[tuple[int, int | None]]:
    """The messages in time order, but never a reply before the message it answers."""
    children: dict[int | None, list[int]] = {}
    parent_of = {}
    for seq, parent in pairs:
        children.setdefault(parent, []).append(seq)
        parent_of[seq] = parent
    root = pairs[0][0]
    out, heap = [], [(moment(root), root)]
    while heap:
        _, seq = heapq.heappop(heap)
        out.append((seq, parent_of[seq]))
        for child in children.get(seq, []):
            heapq.heappush(heap, (moment(child), child))
    return out
