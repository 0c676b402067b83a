"""ScreenPopHub without sockets: fan-out, close-on-answer, reconnect replay, dedupe, back-pressure."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from callcenter.screenpop.hub import ScreenPopHub, Subscriber

CALL = ("default", "1790000000.1")
OTHER = ("default", "1790000000.7")
ANNA, BORIS, VERA = 1, 2, 3


def ringing(call_id: str = CALL[1], **extra: Any) -> dict[str, Any]:
    return {
        "type": "call.ringing",
        "call_id": call_id,
        "direction": "in",
        "phone": "+79161234567",
        "customer": {"id": 7, "name": "Иван Петров"},
        "last_order": None,
        "route": "group",
        **extra,
    }


def frames(subscriber: Subscriber) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in subscriber.pending()]


def test_a_ring_group_pops_for_every_ringing_manager_and_nobody_else() -> None:
    hub = ScreenPopHub()
    anna, boris, vera = hub.subscribe(ANNA), hub.subscribe(BORIS), hub.subscribe(VERA)
    assert hub.ring(CALL, ANNA, ringing())
    assert hub.ring(CALL, BORIS, ringing())
    assert frames(anna) == [ringing()]
    assert frames(boris) == [ringing()]
    assert frames(vera) == []


def test_cyrillic_goes_out_as_is() -> None:
    hub = ScreenPopHub()
    anna = hub.subscribe(ANNA)
    hub.ring(CALL, ANNA, ringing())
    [frame] = list(anna.pending())
    assert "Иван Петров" in frame


def test_every_tab_of_a_manager_gets_the_pop() -> None:
    hub = ScreenPopHub()
    tab1, tab2 = hub.subscribe(ANNA), hub.subscribe(ANNA)
    hub.ring(CALL, ANNA, ringing())
    assert frames(tab1) == frames(tab2) == [ringing()]
    assert hub.connections == 2


def test_answer_reaches_everyone_who_got_the_pop() -> None:
    hub = ScreenPopHub()
    anna, boris, vera = hub.subscribe(ANNA), hub.subscribe(BORIS), hub.subscribe(VERA)
    hub.ring(CALL, ANNA, ringing())
    hub.ring(CALL, BORIS, ringing())
    frames(anna), frames(boris)
    hub.answer(CALL, BORIS)
    answered = {"type": "call.answered", "call_id": CALL[1], "answered_by": BORIS}
    assert frames(anna) == [answered]
    assert frames(boris) == [answered]
    assert frames(vera) == []


def test_end_reports_the_status_and_forgets_the_call() -> None:
    hub = ScreenPopHub()
    anna = hub.subscribe(ANNA)
    hub.ring(CALL, ANNA, ringing())
    hub.end(CALL, "missed")
    assert frames(anna)[-1] == {"type": "call.ended", "call_id": CALL[1], "status": "missed"}
    assert hub.ringing_message(CALL) is None
    hub.end(CALL, "missed")  # twice: nothing more
    hub.answer(CALL, ANNA)
    assert frames(anna) == []


def test_no_duplicate_pop_for_one_call_on_one_device() -> None:
    hub = ScreenPopHub()
    anna = hub.subscribe(ANNA)
    assert hub.ring(CALL, ANNA, ringing())
    assert not hub.ring(CALL, ANNA, ringing())  # DialBegin again, a re-sync, a second batch
    assert len(frames(anna)) == 1
    assert hub.has_popped(CALL, ANNA)
    assert not hub.has_popped(CALL, BORIS)


def test_the_first_message_of_a_call_is_reused_for_later_devices() -> None:
    hub = ScreenPopHub()
    hub.ring(CALL, ANNA, ringing())
    assert hub.ringing_message(CALL) == ringing()
    boris = hub.subscribe(BORIS)
    hub.ring(CALL, BORIS, ringing(route="ignored"))
    assert frames(boris) == [ringing()]


def test_a_reconnecting_browser_gets_the_pops_still_ringing_for_it() -> None:
    hub = ScreenPopHub()
    first = hub.subscribe(ANNA)
    hub.ring(CALL, ANNA, ringing())
    hub.ring(OTHER, ANNA, ringing(OTHER[1]))
    hub.ring(OTHER, BORIS, ringing(OTHER[1]))
    hub.answer(OTHER, BORIS)
    hub.unsubscribe(first)
    again = hub.subscribe(ANNA)
    assert frames(again) == [ringing()]  # the answered call is not replayed
    # Nor is a call that ended, nor anything to a manager it never rang for.
    hub.end(CALL, "missed")
    assert frames(hub.subscribe(ANNA)) == []
    assert frames(hub.subscribe(VERA)) == []


def test_a_pop_rung_before_the_browser_connected_is_delivered_on_connect() -> None:
    hub = ScreenPopHub()
    hub.ring(CALL, ANNA, ringing())
    assert frames(hub.subscribe(ANNA)) == [ringing()]


def test_a_device_ringing_after_the_answer_pops_and_replays() -> None:
    """A transfer: the call was answered by Anna, then Boris's phone rings for it."""
    hub = ScreenPopHub()
    hub.ring(CALL, ANNA, ringing())
    hub.answer(CALL, ANNA)
    hub.ring(CALL, BORIS, ringing())
    assert frames(hub.subscribe(BORIS)) == [ringing()]
    assert frames(hub.subscribe(ANNA)) == []


def test_merged_calls_keep_the_call_id_each_browser_shows() -> None:
    hub = ScreenPopHub()
    anna, boris = hub.subscribe(ANNA), hub.subscribe(BORIS)
    hub.ring(OTHER, ANNA, ringing(OTHER[1]))
    hub.ring(CALL, BORIS, ringing())
    frames(anna), frames(boris)
    hub.merge(OTHER, CALL)
    hub.answer(CALL, BORIS)
    assert frames(anna) == [{"type": "call.answered", "call_id": OTHER[1], "answered_by": BORIS}]
    assert frames(boris) == [{"type": "call.answered", "call_id": CALL[1], "answered_by": BORIS}]
    hub.end(CALL, "answered")
    assert frames(anna) == [{"type": "call.ended", "call_id": OTHER[1], "status": "answered"}]


def test_merge_into_a_call_nobody_was_shown() -> None:
    hub = ScreenPopHub()
    anna = hub.subscribe(ANNA)
    hub.ring(OTHER, ANNA, ringing(OTHER[1]))
    frames(anna)
    hub.merge(OTHER, CALL)
    hub.merge(("default", "unknown"), CALL)  # nothing to merge: no-op
    hub.end(CALL, "answered")
    assert frames(anna) == [{"type": "call.ended", "call_id": OTHER[1], "status": "answered"}]


def test_a_slow_connection_drops_frames_instead_of_blocking(
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub = ScreenPopHub(queue_size=2)
    slow, fast = hub.subscribe(ANNA), hub.subscribe(ANNA)
    with caplog.at_level(logging.WARNING):
        for n in range(5):
            hub.ring(("default", f"c{n}"), ANNA, ringing(f"c{n}"))
            if n < 4:
                list(fast.pending())
    assert slow.queue.qsize() == 2
    assert slow.dropped == 3 and slow.lagging
    assert not fast.lagging
    assert hub.dropped == 3
    assert "queue full" in caplog.text


def test_unsubscribed_connections_get_nothing() -> None:
    hub = ScreenPopHub()
    anna = hub.subscribe(ANNA)
    hub.unsubscribe(anna)
    hub.unsubscribe(anna)  # twice is harmless
    hub.ring(CALL, ANNA, ringing())
    assert frames(anna) == []
    assert hub.connections == 0


def test_the_number_of_calls_kept_is_bounded() -> None:
    hub = ScreenPopHub(max_calls=3)
    for n in range(5):
        hub.ring(("default", f"c{n}"), ANNA, ringing(f"c{n}"))
    assert hub.ringing_message(("default", "c0")) is None
    assert hub.ringing_message(("default", "c4")) is not None
    assert len(frames(hub.subscribe(ANNA))) == 3
