"""The command line, run in-process through ``callcenter.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from callcenter.app import create_app
from callcenter.cli import main
from callcenter.core.instance import lock_path, sole_instance
from callcenter.core.settings import Settings
from tests.fakes.threaded_ami import ThreadedAmi
from tests.serve import Serve, fake_pbx


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLCENTER_DATABASE_URL", url)
    monkeypatch.setenv("CALLCENTER_VAR_DIR", str(tmp_path / "var"))
    assert main(["db", "upgrade"]) == 0
    return Settings(_env_file=None, database_url=url, var_dir=tmp_path / "var")


def test_users_add_and_tokens(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "users",
            "add",
            "olga",
            "--role",
            "supervisor",
            "--extension",
            "105",
            "--password",
            "s3cret-pass",
            "--name",
            "Ольга",
        ]
    )
    assert code == 0
    assert "created supervisor olga" in capsys.readouterr().out

    assert main(["users", "add", "olga", "--password", "another-pass"]) == 2
    assert "login 'olga' is taken" in capsys.readouterr().err
    assert main(["users", "add", "x y", "--password", "another-pass"]) == 2
    assert "login" in capsys.readouterr().err
    assert main(["users", "add", "short", "--password", "abc"]) == 2
    assert "password" in capsys.readouterr().err

    assert main(["tokens", "create", "olga", "--name", "shop"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert token.startswith("cct_")
    assert "token id 1" in captured.err

    with TestClient(create_app(env)) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["manager"]["login"] == "olga"
        assert me.json()["manager"]["role"] == "supervisor"

        assert main(["tokens", "revoke", "1"]) == 0
        revoked = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401
        assert revoked.json()["error"]["message"] == "this API token was revoked"

    assert main(["tokens", "create", "nobody"]) == 2
    assert main(["tokens", "revoke", "99"]) == 2


def test_users_add_without_password_needs_a_terminal(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "add", "anna"]) == 2
    assert "no --password given" in capsys.readouterr().err


def test_import_reports_bad_rows_and_exit_code(
    env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.csv"
    good.write_text("name,phone\nИван,89161234567\n", encoding="utf-8")
    assert main(["import", "customers", str(good)]) == 0
    assert "imported 1 customers; 0 bad rows" in capsys.readouterr().out

    mixed = tmp_path / "mixed.csv"
    mixed.write_text("name,phone\nАнна,89031112233\nБорис,garbage\n", encoding="utf-8")
    errors_csv = tmp_path / "errors.csv"
    assert main(["import", "customers", str(mixed), "--errors-csv", str(errors_csv)]) == 1
    captured = capsys.readouterr()
    assert "mixed.csv:3: phones: not a phone number: 'garbage'" in captured.err
    assert "imported 1 customers; 1 bad rows skipped" in captured.out
    assert "Борис" in errors_csv.read_text(encoding="utf-8")

    assert main(["import", "customers", str(tmp_path / "missing.csv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_bad_setting_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLCENTER_AMI_PORT", "not-a-port")
    assert main(["db", "upgrade"]) == 2
    assert "ami_port" in capsys.readouterr().err


def test_an_unknown_time_zone_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CALLCENTER_TIMEZONE", "Mars/Olympus")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "bad settings" in err
    assert "CALLCENTER_TIMEZONE: unknown time zone 'Mars/Olympus'" in err


def test_a_second_instance_on_one_sqlite_database_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real ``callcenter serve`` holds the database; a second start stops with what to do,
    before it migrates or binds anything; once the first is killed, the database is free."""
    ami = ThreadedAmi()
    serve = Serve(tmp_path, **fake_pbx(ami.server.port))
    try:
        serve.start()
        for name in ("CALLCENTER_DATABASE_URL", "CALLCENTER_VAR_DIR"):
            monkeypatch.setenv(name, serve.env[name])
        monkeypatch.setenv("CALLCENTER_HTTP_BIND", "127.0.0.1:0")
        assert main(["serve"]) == 2
        error = capsys.readouterr().err
        assert f"another callcenter (process {serve.proc.pid})" in error  # type: ignore[union-attr]
        assert "serve.db" in error and "PostgreSQL" in error
        serve.kill()
        with sole_instance(serve.env["CALLCENTER_DATABASE_URL"]):
            pass  # the killed process's lock went with it
    finally:
        serve.stop()
        ami.close()


def test_postgresql_and_memory_databases_take_no_lock() -> None:
    assert lock_path("postgresql+asyncpg://u:p@db/callcenter") is None
    assert lock_path("sqlite+aiosqlite:///:memory:") is None
    assert str(lock_path("sqlite+aiosqlite:////srv/cc/callcenter.db")) == (
        "/srv/cc/callcenter.db.instance"
    )
