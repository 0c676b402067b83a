"""The service is killed (SIGKILL) in the middle of delivering: after its restart every event
arrives, in order, and an event id is only ever the same event with the same bytes. A real
``callcenter serve`` process, bridged to the fake AMI server over TCP, posting to a real HTTP
receiver. SQLite: the embedded default, where a kill leaves the most to recover."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.threaded_ami import ThreadedAmi, wait_until
from tests.integration.webhooks.conftest import SECRET
from tests.integration.webhooks.test_webhook_delivery import CALL_EVENTS, ring, talk_and_hang_up
from tests.serve import Serve, fake_pbx
from tests.webhook_receiver import WebhookReceiver


def test_a_kill_mid_delivery_loses_nothing_and_sends_no_other_event_under_an_id(
    tmp_path: Path, ami: ThreadedAmi, receiver: WebhookReceiver
) -> None:
    serve = Serve(
        tmp_path,
        **fake_pbx(ami.server.port),
        CALLCENTER_WEBHOOK_ALLOW="127.0.0.1",
        CALLCENTER_WEBHOOK_TIMEOUT_SECONDS="2",
    )
    serve.cli("db", "upgrade")
    admin = serve.token("admin", "admin")
    serve.start()
    try:
        serve.request(
            "POST",
            "/api/v1/webhooks/endpoints",
            admin,
            json={"name": "shop", "url": receiver.url, "events": CALL_EVENTS, "secret": SECRET},
        )
        receiver.answer(("sleep", 4, 200))  # the first delivery is held while the kill comes
        ami.push(*ring(), *talk_and_hang_up())
        wait_until(lambda: receiver.arrived >= 1, timeout=10)
        serve.kill()
        serve.start()
        wait_until(lambda: len({r.id for r in receiver.taken()}) >= 3, timeout=30)
    finally:
        serve.stop()
    taken = receiver.taken()
    assert all(r.signature_ok for r in taken)
    bodies: dict[str, bytes] = {}
    for r in taken:
        assert bodies.setdefault(r.id, r.raw) == r.raw, f"{r.id} came as two different events"
    first_seen = list(dict.fromkeys(r.type for r in taken))
    assert first_seen == ["call.ringing", "call.answered", "call.ended"]
    assert receiver.types().count("call.ringing") == 2  # taken once, but never answered
