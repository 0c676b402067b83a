"""The recordings API on SQLite and PostgreSQL: HTTP Range streaming, who may listen, filters,
coaching reviews, and the call log's recording columns."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from callcenter.core.settings import Settings
from tests import wavs
from tests.integration.conftest import PASSWORD, Team, web_login
from tests.integration.recordings.recording_support import add_call, inbox, ingest, job, with_inbox


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return with_inbox(settings, tmp_path)


@pytest.fixture
def rec(client: TestClient, team: Team) -> dict[str, Any]:
    """One ready recording of a call op1 answered; returns its metadata and file bytes."""
    call_id = add_call(client, "1790000100.1", manager_id=team.op1.id)
    wavs.tone(inbox(client) / "a.wav", 4.0)
    ingest(client, job("1790000100.1", "a.wav"))
    [item] = client.get(f"/api/v1/recordings?call_id={call_id}", headers=team.admin.auth).json()[
        "items"
    ]
    app: Any = client.app
    storage = app.state.services.recordings.storage
    [key] = list(storage.keys())
    with storage.open(key) as f:
        item["bytes"] = f.read()
    return item


def audio_url(rec: dict[str, Any]) -> str:
    return f"/api/v1/recordings/{rec['id']}/audio"


# --- streaming ------------------------------------------------------------------------------


def test_the_whole_file(client: TestClient, team: Team, rec: dict[str, Any]) -> None:
    response = client.get(audio_url(rec), headers=team.supervisor.auth)
    assert response.status_code == 200
    assert response.content == rec["bytes"]
    size = len(rec["bytes"])
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["content-length"] == str(size) == str(rec["size_bytes"])
    assert response.headers["accept-ranges"] == "bytes"
    assert "content-range" not in response.headers
    assert response.headers["content-disposition"].startswith("inline; filename=")
    assert response.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes
        ("bytes=1000-1999", 1000, 1999),  # the middle
        ("bytes=-500", -500, -1),  # a suffix
        ("bytes=2000-", 2000, -1),  # open-ended
        ("bytes=0-", 0, -1),  # what a browser asks first
        ("bytes=100-99999999", 100, -1),  # an end past the file
    ],
    ids=["first", "middle", "suffix", "open-ended", "from-zero", "past-end"],
)
def test_ranges(
    client: TestClient, team: Team, rec: dict[str, Any], header: str, start: int, end: int
) -> None:
    data = rec["bytes"]
    size = len(data)
    first, last = start % size, end % size
    response = client.get(audio_url(rec), headers={**team.supervisor.auth, "Range": header})
    assert response.status_code == 206, response.text
    assert response.content == data[first : last + 1]
    assert response.headers["content-range"] == f"bytes {first}-{last}/{size}"
    assert response.headers["content-length"] == str(last - first + 1)
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize(
    "header", ["bytes=999999999-", "bytes=-0", "bytes=50-10", "bytes=abc-def", "bytes=5"]
)
def test_unsatisfiable_ranges_are_416(
    client: TestClient, team: Team, rec: dict[str, Any], header: str
) -> None:
    response = client.get(audio_url(rec), headers={**team.supervisor.auth, "Range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(rec['bytes'])}"
    assert response.json()["error"]["code"] == "range_not_satisfiable"


def test_an_if_range_of_another_version_gets_the_whole_file(
    client: TestClient, team: Team, rec: dict[str, Any]
) -> None:
    head = client.head(audio_url(rec), headers=team.supervisor.auth)
    etag = head.headers["etag"]
    same = {**team.supervisor.auth, "Range": "bytes=0-9", "If-Range": etag}
    assert client.get(audio_url(rec), headers=same).status_code == 206
    other = {**team.supervisor.auth, "Range": "bytes=0-9", "If-Range": '"old"'}
    response = client.get(audio_url(rec), headers=other)
    assert response.status_code == 200
    assert response.content == rec["bytes"]


def test_head_and_download(client: TestClient, team: Team, rec: dict[str, Any]) -> None:
    head = client.head(audio_url(rec), headers=team.supervisor.auth)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(rec["bytes"]))
    assert head.headers["content-type"] == "audio/mpeg"
    ranged = client.head(audio_url(rec), headers={**team.supervisor.auth, "Range": "bytes=-10"})
    assert ranged.status_code == 206
    assert ranged.headers["content-length"] == "10"
    download = client.get(audio_url(rec) + "?download=1", headers=team.supervisor.auth)
    assert download.status_code == 200
    disposition = download.headers["content-disposition"]
    assert disposition == f'attachment; filename="call-{rec["call_id"]}-20261120-100000.mp3"'
    bad = client.get(audio_url(rec) + "?download=maybe", headers=team.supervisor.auth)
    assert bad.status_code == 422
    other = client.get(audio_url(rec) + "?path=/etc/passwd", headers=team.supervisor.auth)
    assert other.status_code == 422


def test_listening_is_audited_once_per_play(
    client: TestClient, team: Team, rec: dict[str, Any]
) -> None:
    url = audio_url(rec)
    client.get(url, headers={**team.op1.auth, "Range": "bytes=0-"})  # the player starts
    client.get(url, headers={**team.op1.auth, "Range": "bytes=3000-"})  # ...and seeks
    client.head(url, headers=team.op1.auth)
    client.get(url + "?download=1", headers=team.supervisor.auth)
    entries = client.get("/api/v1/audit?action=recording.listen", headers=team.admin.auth).json()[
        "items"
    ]
    assert [(e["actor_id"], e["target_id"], e["details"]["download"]) for e in entries] == [
        (team.supervisor.id, rec["id"], True),
        (team.op1.id, rec["id"], False),
    ]
    assert entries[1]["details"]["call_id"] == rec["call_id"]


# --- access ---------------------------------------------------------------------------------


def test_who_may_listen(client: TestClient, team: Team, rec: dict[str, Any]) -> None:
    url, meta = audio_url(rec), f"/api/v1/recordings/{rec['id']}"
    for user, status in [
        (team.supervisor, 200),
        (team.admin, 200),
        (team.op1, 200),  # answered the call
        (team.op2, 403),  # did not
    ]:
        assert client.get(url, headers=user.auth).status_code == status, user.login
        assert client.get(meta, headers=user.auth).status_code == status, user.login
    denied = client.get(url, headers=team.op2.auth).json()["error"]
    assert denied["code"] == "forbidden"
    assert client.get(url).status_code == 401
    assert client.get(url).json()["error"]["code"] == "unauthorized"
    assert client.get(meta).status_code == 401
    bad_token = client.get(url, headers={"Authorization": "Bearer cct_nope"})
    assert bad_token.status_code == 401
    unknown = f"/api/v1/recordings/{uuid.uuid4()}"
    assert client.get(unknown + "/audio", headers=team.admin.auth).status_code == 404
    assert client.get(unknown, headers=team.admin.auth).json()["error"]["code"] == "not_found"
    # The row id is no way in, nor is anything that is not a UUID.
    for guess in ("1", "../../etc/passwd", rec["id"] + "x"):
        assert (
            client.get(f"/api/v1/recordings/{guess}/audio", headers=team.admin.auth).status_code
            == 404
        )


def test_a_browser_session_can_listen(client: TestClient, team: Team, rec: dict[str, Any]) -> None:
    assert web_login(client, team.op1.login, PASSWORD).status_code in (302, 303)
    response = client.get(audio_url(rec), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.content == rec["bytes"][:10]


def test_a_file_gone_from_storage_is_a_clear_404(
    client: TestClient, team: Team, rec: dict[str, Any]
) -> None:
    app: Any = client.app
    storage = app.state.services.recordings.storage
    for key in list(storage.keys()):
        storage.delete(key)
    response = client.get(audio_url(rec), headers=team.supervisor.auth)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "recording_file_missing"


# --- lists, filters, reviews ----------------------------------------------------------------


@pytest.fixture
def library(client: TestClient, team: Team) -> dict[str, str]:
    customer = client.post(
        "/api/v1/customers",
        json={"name": "Иван", "phones": ["+79161234567"]},
        headers=team.admin.auth,
    ).json()["id"]
    calls = {
        "long_in": dict(
            manager_id=team.op1.id,
            started_at="2026-11-20T10:00:00",
            phone="+79161234567",
            customer_id=customer,
        ),
        "short_out": dict(
            manager_id=team.op2.id,
            started_at="2026-11-21T10:00:00",
            direction="out",
            phone="+79030001122",
        ),
        "broken": dict(manager_id=team.op1.id, started_at="2026-11-22T10:00:00"),
    }
    ids = {}
    for n, (name, kw) in enumerate(calls.items()):
        linkedid = f"1790000200.{n}"
        add_call(client, linkedid, **kw)  # type: ignore[arg-type]
        path = inbox(client) / f"{name}.wav"
        if name == "broken":
            path.write_bytes(b"RIFF....WAVEnot really")
        else:
            wavs.tone(path, 5.0 if name == "long_in" else 2.0)
        ingest(client, job(linkedid, path.name))
        page = client.get("/api/v1/recordings", headers=team.admin.auth).json()
        ids[name] = next(i["id"] for i in page["items"] if i["linkedid"] == linkedid)
    ids["customer"] = str(customer)
    return ids


def listed(client: TestClient, user: Any, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/recordings?{query}", headers=user.auth)
    assert response.status_code == 200, response.text
    page = response.json()
    if "limit" not in query:
        assert page["total"] == len(page["items"])
    return [item["id"] for item in page["items"]]


def test_filters(client: TestClient, team: Team, library: dict[str, str]) -> None:
    long_in, short_out, broken = library["long_in"], library["short_out"], library["broken"]
    sup = team.supervisor
    assert listed(client, sup) == [broken, short_out, long_in]  # newest call first
    cases = {
        "from=2026-11-21T00:00:00Z": [broken, short_out],
        "until=2026-11-21T00:00:00Z": [long_in],
        "from=2026-11-21T12:00:00%2B03:00&until=2026-11-22T00:00:00Z": [short_out],
        f"manager_id={team.op1.id}": [broken, long_in],
        f"customer_id={library['customer']}": [long_in],
        "phone=8 (916) 123-45-67": [long_in],
        "phone=%2B7 903 000-11-22": [short_out],
        "direction=out": [short_out],
        "status=failed": [broken],
        "status=ready": [short_out, long_in],
        "min_duration=3": [long_in],
        "max_duration=3": [short_out],
        "min_duration=1&max_duration=10": [short_out, long_in],
        "reviewed=false": [broken, short_out, long_in],
        "reviewed=true": [],
        "limit=1&offset=1": [short_out],
    }
    for query, expected in cases.items():
        assert listed(client, sup, query) == expected, query
    for query, field in [
        ("phone=garbage", "phone"),
        ("status=lost", "status"),
        ("min_duration=-1", "min_duration"),
        ("x=1", "x"),
    ]:
        response = client.get(f"/api/v1/recordings?{query}", headers=sup.auth)
        assert response.status_code == 422, query
        assert response.json()["error"]["details"]["fields"][0]["field"] == field


def test_list_items_explain_failures_and_carry_no_peaks(
    client: TestClient, team: Team, library: dict[str, str]
) -> None:
    items = {
        i["id"]: i
        for i in client.get("/api/v1/recordings", headers=team.admin.auth).json()["items"]
    }
    broken = items[library["broken"]]
    assert broken["status"] == "failed"
    assert "cannot decode" in broken["error"] or "WAV" in broken["error"]
    assert broken["audio_url"] is None
    ready = items[library["long_in"]]
    assert ready["status"] == "ready" and ready["error"] is None
    assert ready["channels"] == 1 and ready["content_type"] == "audio/mpeg"
    assert "peaks" not in ready


def test_operators_see_only_the_calls_they_answered(
    client: TestClient, team: Team, library: dict[str, str]
) -> None:
    assert listed(client, team.op1) == [library["broken"], library["long_in"]]
    assert listed(client, team.op2) == [library["short_out"]]
    assert listed(client, team.op1, f"manager_id={team.op1.id}") == [
        library["broken"],
        library["long_in"],
    ]
    response = client.get(f"/api/v1/recordings?manager_id={team.op2.id}", headers=team.op1.auth)
    assert response.status_code == 403


def test_reviews(client: TestClient, team: Team, library: dict[str, str]) -> None:
    url = f"/api/v1/recordings/{library['long_in']}/review"
    body = {"score": 4, "comment": "Вежливо, но без допродажи"}
    response = client.put(url, json=body, headers=team.supervisor.auth)
    assert response.status_code == 200, response.text
    review = response.json()["review"]
    assert (review["score"], review["comment"]) == (4, body["comment"])
    assert review["reviewed_by_id"] == team.supervisor.id and review["reviewed_at"]
    again = client.put(url, json={"score": 5}, headers=team.admin.auth).json()["review"]
    assert (again["score"], again["comment"], again["reviewed_by_id"]) == (5, "", team.admin.id)
    meta = client.get(f"/api/v1/recordings/{library['long_in']}", headers=team.op1.auth).json()
    assert meta["review"]["score"] == 5  # the operator sees the feedback on their call
    assert listed(client, team.supervisor, "reviewed=true") == [library["long_in"]]
    assert client.put(url, json=body, headers=team.op1.auth).status_code == 403
    for bad, field in [
        ({"score": 6}, "score"),
        ({"score": 0}, "score"),
        ({}, "score"),
        ({"score": 3, "extra": 1}, "extra"),
    ]:
        response = client.put(url, json=bad, headers=team.supervisor.auth)
        assert response.status_code == 422, bad
        assert response.json()["error"]["details"]["fields"][0]["field"] == field
    unknown = client.put(
        f"/api/v1/recordings/{uuid.uuid4()}/review", json=body, headers=team.supervisor.auth
    )
    assert unknown.status_code == 404
    audit = client.get("/api/v1/audit?action=recording.review", headers=team.admin.auth).json()
    assert [e["details"]["score"] for e in audit["items"]] == [5, 4]


def test_the_call_log_knows_about_recordings(
    client: TestClient, team: Team, library: dict[str, str]
) -> None:
    no_recording = add_call(client, "1790000300.1", manager_id=team.op1.id)
    calls = client.get("/api/v1/calls", headers=team.supervisor.auth).json()["items"]
    by_recording = {c["recording_id"]: c for c in calls}
    assert by_recording[library["long_in"]]["has_recording"] is True
    assert by_recording[library["broken"]]["has_recording"] is False
    assert by_recording[library["broken"]]["recording_status"] == "failed"
    assert by_recording[None]["id"] == no_recording

    def linkedids(query: str) -> list[str]:
        response = client.get(f"/api/v1/calls?{query}", headers=team.supervisor.auth)
        assert response.status_code == 200, response.text
        return [c["linkedid"] for c in response.json()["items"]]

    assert linkedids("has_recording=true") == ["1790000200.1", "1790000200.0"]
    assert linkedids("has_recording=false") == ["1790000200.2", "1790000300.1"]
    assert (
        client.get("/api/v1/calls?has_recording=perhaps", headers=team.op1.auth).status_code == 422
    )


def test_openapi_documents_recordings(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    audio = paths["/api/v1/recordings/{public_id}/audio"]
    assert {"get", "head"} <= set(audio)
    assert "206" in audio["get"]["responses"] and "416" in audio["get"]["responses"]
    meta = paths["/api/v1/recordings/{public_id}"]["get"]
    assert meta["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert "put" in paths["/api/v1/recordings/{public_id}/review"]
    calls = paths["/api/v1/calls"]["get"]
    assert "has_recording" in {p["name"] for p in calls["parameters"]}
