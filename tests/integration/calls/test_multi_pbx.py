"""Several PBXs: one AMI connection each; calls are kept apart by PBX."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.core.settings import AmiServer, Settings
from tests.fakes.threaded_ami import ThreadedAmi, chan, event, wait_until
from tests.integration.conftest import Team


@pytest.fixture
def two_pbx() -> Iterator[tuple[ThreadedAmi, ThreadedAmi]]:
    first, second = ThreadedAmi(), ThreadedAmi()
    yield first, second
    first.close()
    second.close()


def test_two_pbxs_same_linkedid_two_calls(
    settings: Settings, two_pbx: tuple[ThreadedAmi, ThreadedAmi], team: Team
) -> None:
    msk, spb = two_pbx
    servers = [
        AmiServer(name="msk", port=msk.server.port, username="crm", secret="crm-secret"),
        AmiServer(name="spb", port=spb.server.port, username="crm", secret="crm-secret"),
    ]
    with TestClient(create_app(settings.model_copy(update={"ami_servers": servers}))) as client:
        health = lambda: client.get("/healthz").json()["pbx"]  # noqa: E731
        wait_until(
            lambda: {p["state"] for p in health().values()} == {"connected"} and len(health()) == 2
        )
        # Linkedids are unique per PBX only: both PBXs use the same one here.
        for fake, caller in ((msk, "+79161111111"), (spb, "+78122222222")):
            trunk = ("PJSIP/anonymous-00000001", "1790000000.1", "1790000000.1")
            fake.push(
                event("Newchannel", 0, **chan("", *trunk, CallerIDNum=caller)),
                event("Hangup", 5, **chan("", *trunk), Cause="16"),
            )

        def ended() -> list[dict[str, str]]:
            items = client.get("/api/v1/calls", headers=team.supervisor.auth).json()["items"]
            return [c for c in items if c["status"]]

        calls = wait_until(lambda: len(ended()) == 2 and ended())
        assert sorted((c["pbx"], c["phone"]) for c in calls) == [
            ("msk", "+79161111111"),
            ("spb", "+78122222222"),
        ]
        assert {c["linkedid"] for c in calls} == {"1790000000.1"}


def test_pbx_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        Settings(
            _env_file=None,
            ami_servers=[
                AmiServer(name="a", username="u", secret="s"),
                AmiServer(name="a", port=5039, username="u", secret="s"),
            ],
        )
