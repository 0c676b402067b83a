"""``ScreenPopHub``: who was shown which call, and what each browser must hear next.

Pure state, no sockets and no database: the notifier calls :meth:`ring`, :meth:`answer`,
:meth:`end` and :meth:`merge` as the PBX reports them; each open WebSocket is a
:class:`Subscriber` with a bounded queue of JSON frames. Publishing never waits: a full queue
drops the frame, logs it, and marks the subscriber ``lagging`` so its socket is closed and the
browser reconnects, getting the still-ringing pops again (:meth:`subscribe` replays them).

With several instances every hub holds the same pops: each change made here is handed to
``relay`` (the cluster bus), and the other instances :meth:`apply` it to theirs. So a browser
connected to any instance gets its pops, a reconnect to another one replays what still
rings, and a new PBX leader's re-sync pops nothing twice (``ring`` knows who was shown what).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from callcenter.calls.telephony import CallKey

log = logging.getLogger(__name__)

Message = dict[str, Any]


def encode(message: Message) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)


class Subscriber:
    """One browser connection of one manager."""

    def __init__(self, manager_id: int, queue_size: int) -> None:
        self.manager_id = manager_id
        self.queue: asyncio.Queue[str] = asyncio.Queue(queue_size)
        self.dropped = 0
        self.lagging = False
        self.board = False  # a supervisor's live board: also gets board.* messages

    def offer(self, frame: str) -> bool:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.dropped += 1
            self.lagging = True
            return False
        return True

    def pending(self) -> Iterator[str]:
        """Frames queued and not yet sent (for tests and diagnostics)."""
        while not self.queue.empty():
            yield self.queue.get_nowait()


@dataclass
class _Pop:
    ringing: Message  # the call.ringing message, with the call id it was first shown under
    shown: dict[int, str] = field(default_factory=dict)  # manager id -> call id on their screen
    open: set[int] = field(default_factory=set)  # managers whose pop still rings
    answered_by: int | None = None


class ScreenPopHub:
    def __init__(self, queue_size: int = 256, max_calls: int = 10_000) -> None:
        self.queue_size = queue_size
        self.max_calls = max_calls
        self._subscribers: dict[int, set[Subscriber]] = {}
        self._pops: OrderedDict[CallKey, _Pop] = OrderedDict()
        self._board: set[Subscriber] = set()
        self.dropped = 0
        # Where this hub's changes go for the other instances' hubs (the cluster bus).
        self.relay: Callable[[str, list[Any]], None] | None = None
        # Told of board messages from other instances (the live board keeps its state).
        self.board_listeners: list[Callable[[Message], None]] = []
        self._applying = False

    def apply(self, change: str, args: list[Any]) -> None:
        """Another instance's change, made here too (not relayed again)."""
        method = _REPLAYED.get(change)
        if method is None:
            log.warning("screen-pop hub: unknown change %r from another instance", change)
            return
        if change in ("ring", "answer", "end", "merge"):
            args = [tuple(args[0]), *args[1:]]
        if change == "merge":
            args[1] = tuple(args[1])
        if change == "publish_board":
            for listener in self.board_listeners:
                listener(args[0])
        self._applying = True
        try:
            method(self, *args)
        finally:
            self._applying = False

    def export(self) -> list[Message]:
        """The pops as they stand, for an instance that starts or was away from the bus."""
        return [
            {
                "key": list(key),
                "ringing": pop.ringing,
                "shown": {str(m): call_id for m, call_id in pop.shown.items()},
                "open": sorted(pop.open),
                "answered_by": pop.answered_by,
            }
            for key, pop in self._pops.items()
        ]

    def load(self, pops: list[Message]) -> int:
        """Another instance's pops (:meth:`export`): those this hub does not know are taken,
        and the managers connected here whose pop still rings get it. Returns how many."""
        taken = 0
        for state in pops:
            key = (str(state["key"][0]), str(state["key"][1]))
            if key in self._pops:
                continue
            pop = self._pops[key] = _Pop(
                ringing=state["ringing"],
                shown={int(m): str(c) for m, c in state["shown"].items()},
                open={int(m) for m in state["open"]},
                answered_by=state["answered_by"],
            )
            for manager_id in pop.open:
                self._send(manager_id, {**pop.ringing, "call_id": pop.shown[manager_id]})
            taken += 1
        return taken

    def _share(self, change: str, *args: Any) -> None:
        if self.relay is not None and not self._applying:
            self.relay(change, list(args))

    # --- connections ------------------------------------------------------------------------

    def subscribe(self, manager_id: int, board_snapshot: Message | None = None) -> Subscriber:
        """A new connection, with the pops still ringing for this manager already queued; with
        ``board_snapshot`` (supervisors' live board) also that, and board.* messages after it."""
        subscriber = Subscriber(manager_id, self.queue_size)
        if board_snapshot is not None:
            subscriber.board = True
            self._board.add(subscriber)
            self._offer(subscriber, encode(board_snapshot))
        self._subscribers.setdefault(manager_id, set()).add(subscriber)
        for pop in self._pops.values():
            if manager_id in pop.open:
                shown = pop.shown[manager_id]
                self._offer(subscriber, encode({**pop.ringing, "call_id": shown}))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._board.discard(subscriber)
        subscribers = self._subscribers.get(subscriber.manager_id)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.manager_id]

    @property
    def connections(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    @property
    def board_connections(self) -> int:
        return len(self._board)

    def publish_board(self, message: Message, *, share: bool = True) -> None:
        """A board.* message to every live board (with ``share``, other instances' too)."""
        if share:
            self._share("publish_board", message)
        if not self._board:
            return
        frame = encode(message)
        for subscriber in self._board:
            self._offer(subscriber, frame)

    # --- calls ------------------------------------------------------------------------------

    def ringing_message(self, key: CallKey) -> Message | None:
        """The call.ringing message already built for this call, so a second device that rings
        for it costs no database lookup."""
        pop = self._pops.get(key)
        return pop.ringing if pop is not None else None

    def has_popped(self, key: CallKey, manager_id: int) -> bool:
        pop = self._pops.get(key)
        return pop is not None and manager_id in pop.shown

    def ring(self, key: CallKey, manager_id: int, message: Message) -> bool:
        """Pop the call for a manager whose device rings; False when it was popped already."""
        self._share("ring", key, manager_id, message)
        pop = self._pops.get(key)
        if pop is None:
            pop = self._pops[key] = _Pop(ringing=message)
            while len(self._pops) > self.max_calls:
                self._pops.popitem(last=False)
        if manager_id in pop.shown:
            return False
        call_id = str(pop.ringing["call_id"])
        pop.shown[manager_id] = call_id
        pop.open.add(manager_id)
        self._send(manager_id, {**pop.ringing, "call_id": call_id})
        return True

    def answer(self, key: CallKey, manager_id: int | None) -> None:
        """Everyone shown the call hears who answered, so the others close their pop."""
        self._share("answer", key, manager_id)
        pop = self._pops.get(key)
        if pop is None:
            return
        pop.answered_by = manager_id
        pop.open.clear()
        for shown_to, call_id in pop.shown.items():
            message = {"type": "call.answered", "call_id": call_id, "answered_by": manager_id}
            self._send(shown_to, message)

    def end(self, key: CallKey, status: str) -> None:
        self._share("end", key, status)
        pop = self._pops.pop(key, None)
        if pop is None:
            return
        for shown_to, call_id in pop.shown.items():
            self._send(shown_to, {"type": "call.ended", "call_id": call_id, "status": status})

    def end_missing(self, pbx: str, live: Iterable[str]) -> None:
        """The PBX's calls are now these (a re-sync, maybe by a new leader): the pops of the
        others end, as the calls did while nobody watched."""
        still = set(live)
        for key, pop in list(self._pops.items()):
            if key[0] == pbx and key[1] not in still:
                self.end(key, "answered" if pop.answered_by is not None else "missed")

    def merge(self, absorbed: CallKey, survivor: CallKey) -> None:
        """The PBX joined two calls (a transfer): later messages about the survivor reach the
        browsers that show the absorbed one, under the call id they show."""
        self._share("merge", absorbed, survivor)
        old = self._pops.pop(absorbed, None)
        if old is None:
            return
        new = self._pops.get(survivor)
        if new is None:
            self._pops[survivor] = old
            return
        for manager_id, call_id in old.shown.items():
            new.shown.setdefault(manager_id, call_id)
        if new.answered_by is None:
            new.open |= old.open

    def notify(self, manager_ids: Iterable[int] | None, message: Message) -> None:
        """A message to these managers' connections, or to everyone connected (None)."""
        ids = None if manager_ids is None else list(manager_ids)
        self._share("notify", ids, message)
        for manager_id in list(self._subscribers) if ids is None else ids:
            self._send(manager_id, message)

    # --- delivery ---------------------------------------------------------------------------

    def _send(self, manager_id: int, message: Message) -> None:
        subscribers = self._subscribers.get(manager_id)
        if not subscribers:
            return
        frame = encode(message)
        for subscriber in subscribers:
            self._offer(subscriber, frame)

    def _offer(self, subscriber: Subscriber, frame: str) -> None:
        if not subscriber.offer(frame):
            self.dropped += 1
            log.warning(
                "screen-pop queue full for manager %s: frame dropped (%d so far on this "
                "connection); the connection will be closed so the browser resyncs",
                subscriber.manager_id,
                subscriber.dropped,
            )


_REPLAYED: dict[str, Callable[..., Any]] = {
    "ring": ScreenPopHub.ring,
    "answer": ScreenPopHub.answer,
    "end": ScreenPopHub.end,
    "merge": ScreenPopHub.merge,
    "notify": ScreenPopHub.notify,
    "publish_board": ScreenPopHub.publish_board,
}
