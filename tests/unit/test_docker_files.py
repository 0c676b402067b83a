"""The deployment in docker/, checked without Docker: the compose file, both Dockerfiles, the
Asterisk image's entry point and the sample Asterisk configs must agree with each other and with
the service's settings (callcenter/settings.py, the contract's names). A renamed setting, port,
volume, AMI user or dialplan variable breaks one of these tests.

That the same Asterisk configs run is proven by the real-PBX tier (tests/asterisk), which loads
docker/asterisk/*.conf plus a small test overlay (tests/asterisk/conf/*_local.conf)."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from callcenter.cli import build_parser, cmd_serve
from callcenter.core.settings import Settings
from pbx_bridge.events import EVENT_NAMES

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
ASTERISK = DOCKER / "asterisk"
OVERLAY = REPO / "tests" / "asterisk" / "conf"
SECRETS = ("POSTGRES_PASSWORD", "CALLCENTER_AMI_SECRET", "CALLCENTER_SECRET_KEY")
# The contract's settings a deployment must set (../shared/CONTRACT.md, "Settings").
CONTRACT_SETTINGS = {
    "CALLCENTER_DATABASE_URL",
    "CALLCENTER_HTTP_BIND",
    "CALLCENTER_AMI_HOST",
    "CALLCENTER_AMI_PORT",
    "CALLCENTER_AMI_USERNAME",
    "CALLCENTER_AMI_SECRET",
    "CALLCENTER_AGI_BIND",
    "CALLCENTER_RECORDINGS_DIR",
    "CALLCENTER_RECORDINGS_PBX_PREFIX",
    "CALLCENTER_RECORDINGS_INBOX",
    "CALLCENTER_DEFAULT_REGION",
    "CALLCENTER_ORIGINATE_CONTEXT",
    "CALLCENTER_DEVICE_TECH",
}


# ------------------------------------------------------------------------- compose and env


def env_example() -> dict[str, str]:
    values = {}
    for line in (DOCKER / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f".env.example: not KEY=VALUE: {line!r}"
            values[key.strip()] = value.strip()
    return values


def filled_env() -> dict[str, str]:
    """docker/.env as an installer fills it in (the secrets are left empty in the example)."""
    return {**env_example(), **{name: f"{name.lower()}-0123abcd" for name in SECRETS}}


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} over a docker/.env."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        current = env.get(name, "")
        if op in (":?", "?") and not current:
            raise LookupError(f"${{{name}}} is required: {arg}")
        if op in (":-", "-") and not current:
            return arg
        return current

    return _VAR.sub(one, value)


def compose_raw() -> dict[str, Any]:
    data = yaml.safe_load((DOCKER / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose() -> dict[str, Any]:
    return dict(interpolate(compose_raw(), filled_env()))


def app_env() -> dict[str, str]:
    return {k: str(v) for k, v in compose()["services"]["app"]["environment"].items()}


def mounts(service: str) -> dict[str, str]:
    """volume name -> path in the container, for the named volumes of a service."""
    found = {}
    for entry in compose()["services"][service].get("volumes", []):
        source, target = entry.split(":")[:2]
        found[source] = target
    return found


def published(service: str) -> list[tuple[str, str, str]]:
    """(host part, container port or range, protocol) of each published port."""
    result = []
    for entry in compose()["services"][service].get("ports", []):
        spec, _, proto = str(entry).partition("/")
        host, _, container = spec.rpartition(":")
        result.append((host, container, proto or "tcp"))
    return result


def proxy_conf() -> str:
    """The proxy's nginx config, comments dropped, as the compose file mounts it."""
    [mount] = compose()["services"]["proxy"]["volumes"]
    source, target, _ = mount.split(":")
    assert target == "/etc/nginx/conf.d/default.conf"
    text = (DOCKER / source).read_text(encoding="utf-8")
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def setting_names() -> set[str]:
    return {f"CALLCENTER_{name.upper()}" for name in Settings.model_fields}


# ----------------------------------------------------------------------------- Dockerfiles


def dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#"):
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            word, _, rest = pending.strip().partition(" ")
            instructions.append((word.upper(), " ".join(rest.split())))
        pending = ""
    return instructions


def args_of(instructions: list[tuple[str, str]], name: str) -> list[str]:
    return [args for word, args in instructions if word == name]


def exec_form(args: str) -> list[str]:
    value = json.loads(args) if args.startswith("[") else shlex.split(args)
    assert isinstance(value, list)
    return [str(v) for v in value]


def env_of(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env = {}
    for args in args_of(instructions, "ENV"):
        for item in shlex.split(args):
            key, _, value = item.partition("=")
            env[key] = value
    return env


def arg_default(instructions: list[tuple[str, str]], name: str) -> str:
    for args in args_of(instructions, "ARG"):
        key, _, value = args.partition("=")
        if key == name:
            return value
    raise AssertionError(f"no ARG {name}")


def copy_sources(instructions: list[tuple[str, str]]) -> list[str]:
    sources = []
    for args in args_of(instructions, "COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        sources += words[:-1]
    return sources


def command(instructions: list[tuple[str, str]]) -> list[str]:
    entrypoint = exec_form(args_of(instructions, "ENTRYPOINT")[-1])
    return entrypoint + exec_form(args_of(instructions, "CMD")[-1])


# ------------------------------------------------------------------------- Asterisk configs


@dataclass
class Category:
    name: str
    template: bool = False
    items: list[tuple[str, str]] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        values = self.all(key)
        return values[-1] if values else None  # a repeated option: the last one wins

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]


def asterisk_conf(name: str, *dirs: Path) -> list[Category]:
    """A config file as Asterisk reads it: comments, #include/#tryinclude (looked up in
    ``dirs`` in order: the samples, then an overlay), templates, and "(+)" appends."""
    categories: list[Category] = []
    current: list[Category | None] = [None]

    def find(filename: str) -> Path | None:
        return next((d / filename for d in dirs if (d / filename).is_file()), None)

    def read(path: Path) -> None:
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = re.split(r"(?<!\\);", raw, maxsplit=1)[0].strip()
            if not line:
                continue
            if line.startswith("#"):
                directive, _, target = line.partition(" ")
                included = find(target.strip().strip('"'))
                assert included or directive == "#tryinclude", f"{path}: {line}: no such file"
                if included:
                    read(included)
                continue
            head = re.fullmatch(r"\[([^\]]+)\](?:\(([^)]*)\))?", line)
            if head:
                options = [o.strip() for o in (head.group(2) or "").split(",") if o.strip()]
                append = next((o for o in options if o.startswith("+")), None)
                if append is not None:
                    key, _, want = append[1:].partition("=")
                    matches = [
                        c
                        for c in categories
                        if c.name == head.group(1) and (not key or c.get(key) == want)
                    ]
                    assert matches, f"{path}: {line} extends nothing"
                    current[0] = matches[0]
                    continue
                category = Category(head.group(1), template="!" in options)
                for base in (o for o in options if o != "!"):
                    parent = next(c for c in categories if c.name == base and c.template)
                    category.items += parent.items
                categories.append(category)
                current[0] = category
                continue
            item = re.fullmatch(r"([^=]+?)\s*(?:=>|=)\s*(.*)", line)
            assert item and current[0] is not None, f"{path}: {line!r} outside a section"
            current[0].items.append((item.group(1), item.group(2)))

    first = find(name)
    assert first, f"no {name} in {dirs}"
    read(first)
    return categories


def section(categories: list[Category], name: str, type_: str | None = None) -> Category:
    for c in categories:
        if c.name == name and not c.template and (type_ is None or c.get("type") == type_):
            return c
    raise AssertionError(f"no [{name}]" + (f" of type {type_}" if type_ else ""))


def dialplan(context: str, *dirs: Path) -> list[str]:
    """The exten/same lines of a context, every part of it ("(+)" appends included)."""
    return [
        f"{key} => {value}"
        for category in asterisk_conf("extensions.conf", *dirs)
        if category.name == context
        for key, value in category.items
    ]


def dialplan_globals(*dirs: Path) -> dict[str, str]:
    return dict(section(asterisk_conf("extensions.conf", *dirs), "globals").items)


APP = dockerfile(DOCKER / "Dockerfile")
PBX = dockerfile(ASTERISK / "Dockerfile")


# ---------------------------------------------------------------------------------- compose


def test_services_networks_and_volumes() -> None:
    data = compose()
    services = data["services"]
    assert set(services) == {"app", "proxy", "postgres", "asterisk"}
    allowed = {
        "build",
        "image",
        "deploy",
        "restart",
        "environment",
        "ports",
        "volumes",
        "networks",
        "depends_on",
        "healthcheck",
        "secrets",
        "stop_grace_period",
    }
    for name, service in services.items():
        assert set(service) <= allowed, f"{name}: unexpected keys {set(service) - allowed}"
    assert set(data["volumes"]) == {"recordings-inbox", "recordings", "pgdata", "cel"}
    # AMI, FastAGI, AudioSocket and PostgreSQL live on networks without a way out.
    assert data["networks"]["pbx"] == {"internal": True}
    assert data["networks"]["db"] == {"internal": True}
    assert set(services["app"]["networks"]) == {"public", "pbx", "db", "web"}
    assert set(services["asterisk"]["networks"]) == {"public", "pbx"}
    assert services["postgres"]["networks"] == ["db"]
    # The proxy shares a network with the replicas alone: not with Asterisk, nor PostgreSQL.
    assert services["proxy"]["networks"] == ["web"]
    assert "internal" not in data["networks"]["web"]  # its port is published from it
    assert mounts("postgres") == {"pgdata": "/var/lib/postgresql/data"}
    assert services["postgres"]["image"].split(":")[0] == "postgres"


def test_the_inbox_is_one_volume_seen_by_asterisk_and_the_service() -> None:
    env = app_env()
    # Asterisk writes where CALLCENTER_RECORDINGS_PBX_PREFIX says; the service reads the same
    # volume at CALLCENTER_RECORDINGS_INBOX; stored files go to their own volume.
    assert mounts("asterisk") == {
        "recordings-inbox": env["CALLCENTER_RECORDINGS_PBX_PREFIX"],
        "cel": "/var/log/asterisk/cel-custom",
    }
    assert mounts("app") == {
        "recordings-inbox": env["CALLCENTER_RECORDINGS_INBOX"],
        "recordings": env["CALLCENTER_RECORDINGS_DIR"],
        "cel": "/var/lib/callcenter/cel",
    }
    # The CEL file cel_custom.conf writes is the one the service reads, through that volume.
    mapping = (ASTERISK / "cel_custom.conf").read_text()
    name = env["CALLCENTER_CEL_SOURCE"].rsplit("/", 1)[1]
    assert env["CALLCENTER_CEL_SOURCE"] == f"/var/lib/callcenter/cel/{name}"
    assert f"\n{name} => " in mapping
    assert "install -d -o asterisk -g asterisk -m 2750 /var/log/asterisk/cel-custom" in " ".join(
        args_of(PBX, "RUN")
    )
    assert env["CALLCENTER_RECORDINGS_PBX_PREFIX"] == "/var/spool/asterisk/monitor"
    # The image prepares both mount points for its non-root user, with the same paths.
    image_env = env_of(APP)
    for name in ("CALLCENTER_RECORDINGS_INBOX", "CALLCENTER_RECORDINGS_DIR"):
        assert image_env[name] == env[name]
        assert image_env[name] in " ".join(args_of(APP, "RUN"))
    assert "-m 2770 /var/spool/asterisk/monitor" in " ".join(args_of(PBX, "RUN"))
    # Asterisk's files belong to its group; the service's user is in a group with that id.
    gid = arg_default(PBX, "ASTERISK_GID")
    assert arg_default(APP, "INBOX_GID") == gid
    services = compose_raw()["services"]
    assert services["app"]["build"]["args"]["INBOX_GID"] == gid
    assert services["asterisk"]["build"]["args"]["ASTERISK_GID"] == gid


# Read by uvicorn itself (the client's address behind the proxy), not by our settings.
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}


def test_service_environment_names_are_the_settings() -> None:
    names = setting_names()
    env = {k: v for k, v in app_env().items() if k not in UVICORN_ENV}
    assert set(env) <= names, f"not settings of callcenter/settings.py: {set(env) - names}"
    assert CONTRACT_SETTINGS <= set(env), f"not set: {CONTRACT_SETTINGS - set(env)}"
    image_env = {k: v for k, v in env_of(APP).items() if k.startswith("CALLCENTER_")}
    assert set(image_env) <= names, f"Dockerfile: not settings: {set(image_env) - names}"
    for key in image_env.keys() & env.keys():
        assert image_env[key] == env[key], key
    documented = {k for k in env_example() if k.startswith("CALLCENTER_")}
    assert documented <= names, f".env.example: not settings: {documented - names}"
    # The asterisk service takes the AMI secret under the service's own name for it.
    assert set(compose()["services"]["asterisk"]["environment"]) == {"CALLCENTER_AMI_SECRET"}


def test_the_environment_is_valid_for_the_service() -> None:
    values = {
        key.removeprefix("CALLCENTER_").lower(): v
        for key, v in app_env().items()
        if key not in UVICORN_ENV
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    assert settings.database_url.startswith("postgresql+asyncpg://callcenter:")
    assert settings.database_url.endswith("@postgres:5432/callcenter")
    assert settings.http_host_port == ("0.0.0.0", 8000)
    assert settings.agi_host_port == ("0.0.0.0", 4573)
    assert settings.ami_enabled and settings.ami_host == "asterisk"
    assert settings.ami_secret.get_secret_value() == filled_env()["CALLCENTER_AMI_SECRET"]
    assert settings.cookie_secure is True
    assert settings.originate_context == "from-managers"


def test_secrets_come_from_the_env_file_and_are_required() -> None:
    text = (DOCKER / "docker-compose.yml").read_text(encoding="utf-8")
    example = env_example()
    for name in SECRETS:
        assert example[name] == "", f".env.example must leave {name} empty"
        uses = re.findall(r"\$\{" + name + r"(:?[-?])?", text)
        assert uses and all(op == ":?" for op in uses), f"{name} must be ${{{name}:?...}}"
    with pytest.raises(LookupError):
        interpolate(compose_raw(), example)  # an unfilled .env: compose refuses to start
    # Every other variable has a default or a line in .env.example.
    for match in _VAR.finditer(text):
        assert match.group(2) in (":-", ":?") or match.group(1) in example, match.group(0)


def test_only_http_sip_and_rtp_are_published() -> None:
    # The replicas publish nothing (two cannot share a port); the proxy in front of them
    # publishes HTTP, for the TLS proxy on the host.
    assert "ports" not in compose()["services"]["app"]
    [(host, port, proto)] = published("proxy")
    assert (host, proto) == ("127.0.0.1:8000", "tcp")
    assert re.search(rf"^\s*listen {port};", proxy_conf(), re.M)
    rtp = section(asterisk_conf("rtp.conf", ASTERISK), "general")
    rtp_range = f"{rtp.get('rtpstart')}-{rtp.get('rtpend')}"
    assert published("asterisk") == [("5060", "5060", "udp"), (rtp_range, rtp_range, "udp")]
    assert "ports" not in compose()["services"]["postgres"]
    assert f"{rtp_range}/udp" in args_of(PBX, "EXPOSE")[0].split()


def test_healthchecks_and_start_order() -> None:
    services = compose()["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["app"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "asterisk" in services["app"]["depends_on"]
    assert "depends_on" not in services["asterisk"]  # calls go on without the service
    assert "app" in services["proxy"]["depends_on"]
    port = app_env()["CALLCENTER_HTTP_BIND"].rsplit(":", 1)[1]
    [check] = args_of(APP, "HEALTHCHECK")
    assert f"http://127.0.0.1:{port}/healthz" in check
    [check] = args_of(PBX, "HEALTHCHECK")
    assert "core waitfullybooted" in check


# ----------------------------------------------------------------------------- Dockerfiles


def test_service_image_runs_callcenter_serve_as_a_non_root_user() -> None:
    assert args_of(APP, "FROM") == ["python:3.11-slim AS build", "python:3.11-slim"]
    assert any("apt-get install" in run and "ffmpeg" in run for run in args_of(APP, "RUN"))
    users = args_of(APP, "USER")
    assert users and users[-1] not in ("root", "0")
    argv = command(APP)
    # The entry point gives each replica its own settings, then runs the rest.
    assert argv[0] == "/usr/local/bin/app-entrypoint.sh"
    assert f"docker/app-entrypoint.sh {argv[0]}" in " ".join(args_of(APP, "COPY"))
    assert os.access(DOCKER / "app-entrypoint.sh", os.X_OK)
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert argv[1] in scripts  # the console script pip installs
    args = build_parser().parse_args(argv[2:])
    assert args.func is cmd_serve and not args.no_migrate  # serve, migrations first
    env = env_of(APP)
    exposed = args_of(APP, "EXPOSE")[0].split()
    for name in ("CALLCENTER_HTTP_BIND", "CALLCENTER_AGI_BIND", "CALLCENTER_AUDIOSOCKET_BIND"):
        host, port = env[name].rsplit(":", 1)
        assert host == "0.0.0.0" and port in exposed, name


def test_service_image_copies_the_whole_project() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = copy_sources(APP)
    for source in sources:
        if source.startswith("/"):
            continue  # from the build stage
        assert (REPO / source).exists(), f"COPY {source}: not in the build context"
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= set(sources), f"packages not copied: {packages - set(sources)}"
    assert project["project"]["readme"] in sources
    # What the service reads at run time besides modules is package data of the wheel.
    patterns = project["tool"]["setuptools"]["package-data"]["callcenter"]
    for path in (REPO / "callcenter").rglob("*"):
        relative = path.relative_to(REPO / "callcenter").as_posix()
        if path.is_file() and path.suffix not in (".py", ".pyc", ".mako"):
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"not in the wheel: {path}"


def test_asterisk_image_is_debian_asterisk_with_the_sample_configs() -> None:
    [base] = args_of(PBX, "FROM")
    assert base == "${DEBIAN_IMAGE}" and arg_default(PBX, "DEBIAN_IMAGE") == "debian:sid-slim"
    install = next(run for run in args_of(PBX, "RUN") if "apt-get install" in run).split()
    assert {"asterisk", "asterisk-modules"} <= set(install)
    for source in copy_sources(PBX):
        assert list(ASTERISK.glob(source)), f"COPY {source}: nothing in docker/asterisk"
    assert "*.conf" in copy_sources(PBX)
    entrypoint = ASTERISK / "docker-entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    argv = command(PBX)
    assert argv[0] == "/usr/local/bin/docker-entrypoint.sh"
    assert argv[1:3] == ["asterisk", "-f"] and argv[-4:] == ["-U", "asterisk", "-G", "asterisk"]
    assert "*_local.conf" in (ASTERISK / ".dockerignore").read_text()


def run_entrypoint(tmp_path: Path, secret: str, *secrets: str) -> subprocess.CompletedProcess[str]:
    etc, run = tmp_path / "etc", tmp_path / "secrets"
    etc.mkdir(exist_ok=True)
    run.mkdir(exist_ok=True)
    for name in secrets:
        (run / name).write_text(f"; {name}\n[101-auth](+)\npassword = x\n")
    env = {
        "PATH": os.environ["PATH"],
        "ASTERISK_ETC": str(etc),
        "SECRETS_DIR": str(run),
        "ASTERISK_GROUP": str(os.getgid()),
        "ASTERISK_KEYS": str(tmp_path / "keys"),
        "CALLCENTER_AMI_SECRET": secret,
    }
    return subprocess.run(
        ["sh", str(ASTERISK / "docker-entrypoint.sh"), "sh", "-c", "env"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_entrypoint_gives_the_ami_user_its_secret(tmp_path: Path) -> None:
    done = run_entrypoint(tmp_path, "f00dcafe-42", "pjsip_local.conf")
    assert done.returncode == 0, done.stderr
    assert "CALLCENTER_AMI_SECRET" not in done.stdout  # not in Asterisk's environment
    etc = tmp_path / "etc"
    assert (etc / "pjsip_local.conf").stat().st_mode & 0o777 == 0o640
    assert (etc / "manager_local.conf").stat().st_mode & 0o777 == 0o640
    user = app_env()["CALLCENTER_AMI_USERNAME"]
    manager = asterisk_conf("manager.conf", ASTERISK, etc)
    assert section(manager, user).get("secret") == "f00dcafe-42"
    assert not (etc / "extensions_local.conf").exists()
    # The softphones' WSS port gets a self-signed pair once, readable by Asterisk's group only.
    keys = tmp_path / "keys"
    assert b"BEGIN CERTIFICATE" in (keys / "asterisk.crt").read_bytes()
    assert (keys / "asterisk.key").stat().st_mode & 0o777 == 0o640
    certificate = (keys / "asterisk.crt").read_bytes()
    assert run_entrypoint(tmp_path, "f00dcafe-42").returncode == 0
    assert (keys / "asterisk.crt").read_bytes() == certificate  # kept, not made again


@pytest.mark.parametrize("secret", ["", "semi;colon", "with space"])
def test_entrypoint_refuses_a_missing_or_unsafe_secret(tmp_path: Path, secret: str) -> None:
    done = run_entrypoint(tmp_path, secret)
    assert done.returncode == 1
    assert "CALLCENTER_AMI_SECRET" in done.stderr
    assert not (tmp_path / "etc" / "manager_local.conf").exists()


# ------------------------------------------------------------------ Asterisk sample configs


def test_ami_user_matches_the_service_and_reads_what_the_bridge_needs() -> None:
    env = app_env()
    assert env["CALLCENTER_AMI_HOST"] in compose()["services"]
    manager = asterisk_conf("manager.conf", ASTERISK)
    general = section(manager, "general")
    assert general.get("port") == env["CALLCENTER_AMI_PORT"]
    assert general.get("timestampevents") == "yes"
    channelvars = set(general.get("channelvars").split(","))
    assert {"MIXMONITOR_FILENAME", "CRM_ROUTE", "CRM_LINE"} <= channelvars
    user = section(manager, env["CALLCENTER_AMI_USERNAME"])
    assert user.get("secret") is None  # never in the image: manager_local.conf
    read = set(user.get("read").split(","))
    assert {"system", "call"} <= read and "dialplan" not in read
    assert {"originate", "call", "reporting"} <= set(user.get("write").split(","))
    assert user.all("deny") == ["0.0.0.0/0.0.0.0"]
    # Only the events the bridge parses cross the wire, and every one of them does (replies
    # to actions such as CoreShowChannel are not filtered).
    filtered = {
        key[len("eventfilter(action(include),name(") : -2].lower()
        for key, _ in user.items
        if key.startswith("eventfilter(")
    }
    assert filtered == set(EVENT_NAMES) - {"coreshowchannel"}
    assert "#tryinclude manager_local.conf" in (ASTERISK / "manager.conf").read_text()
    entrypoint = (ASTERISK / "docker-entrypoint.sh").read_text()
    assert f'echo "[{env["CALLCENTER_AMI_USERNAME"]}](+)"' in entrypoint


def test_dialplan_asks_the_service_over_fastagi_at_its_address() -> None:
    env = app_env()
    data = compose()
    services = data["services"]
    assert services["app"]["deploy"]["replicas"] == 2
    # Each replica by its container name, <project>-<service>-<n>, on a network it shares with
    # Asterisk: the first, then the second.
    names = [f"{data['name']}-app-{n}" for n in (1, 2)]
    for variable, name in zip(("CRM_AGI", "CRM_AGI2"), names, strict=True):
        url = urlsplit(dialplan_globals(ASTERISK)[variable])
        assert (url.scheme, url.hostname, url.path) == ("agi", name, "/route")
        assert str(url.port) == env["CALLCENTER_AGI_BIND"].rsplit(":", 1)[1]
    assert set(services["app"]["networks"]) & set(services["asterisk"]["networks"]) >= {"pbx"}
    # Where Asterisk dials live listening differs per replica: the image's entry point finds
    # it, so the compose file must not give all replicas one.
    assert "CALLCENTER_AUDIOSOCKET_ADDRESS" not in env
    assert env["CALLCENTER_AUDIOSOCKET_BIND"] == "0.0.0.0:9092"


def run_app_entrypoint(**env: str) -> dict[str, str]:
    done = subprocess.run(
        ["sh", str(DOCKER / "app-entrypoint.sh"), "sh", "-c", "env"],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_app_entrypoint_gives_each_replica_its_address_and_name() -> None:
    base = {"CALLCENTER_AUDIOSOCKET_BIND": "0.0.0.0:9092", "HOSTNAME": "3f2a9c1b7e4d"}
    # The address this container reaches the PBX from, with the AudioSocket port.
    env = run_app_entrypoint(**base, CALLCENTER_AMI_HOST="127.0.0.1")
    assert env["CALLCENTER_AUDIOSOCKET_ADDRESS"] == "127.0.0.1:9092"
    assert env["CALLCENTER_INSTANCE_NAME"] == "3f2a9c1b7e4d"
    # Values given are kept; listening turned off needs no address.
    given = {"CALLCENTER_AUDIOSOCKET_ADDRESS": "10.0.0.5:9092", "CALLCENTER_INSTANCE_NAME": "a"}
    env = run_app_entrypoint(**base, **given, CALLCENTER_AMI_HOST="127.0.0.1")
    assert {k: env[k] for k in given} == given
    env = run_app_entrypoint(**{**base, "CALLCENTER_AUDIOSOCKET_BIND": ""})
    assert "CALLCENTER_AUDIOSOCKET_ADDRESS" not in env
    # A PBX it cannot resolve: the service still starts, and the log says what to set.
    done = subprocess.run(
        ["sh", str(DOCKER / "app-entrypoint.sh"), "true"],
        env={"PATH": os.environ["PATH"], **base, "CALLCENTER_AMI_HOST": "no-such-host.invalid"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "set CALLCENTER_AUDIOSOCKET_ADDRESS" in done.stderr


def test_the_proxy_spreads_http_and_websockets_over_every_replica() -> None:
    conf = proxy_conf()
    port = app_env()["CALLCENTER_HTTP_BIND"].rsplit(":", 1)[1]
    # Every replica of "app", as Docker's DNS lists them now (followed as they come and go).
    assert re.search(rf"^\s*server app:{port} resolve\b", conf, re.M)
    assert re.search(r"^\s*resolver 127\.0\.0\.11 valid=\d+s", conf, re.M)
    image, _, tag = compose()["services"]["proxy"]["image"].partition(":")
    assert image == "nginx" and tuple(map(int, tag.split("."))) >= (1, 27, 3)  # "resolve"
    # Passive failover, the WebSocket upgrade on every location, the client's address alone.
    assert re.search(r"^\s*proxy_next_upstream error timeout;", conf, re.M)
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "real_ip_header X-Forwarded-For;" in conf
    assert re.search(r"location = /ws \{[^}]*proxy_read_timeout", conf)
    # No location sets headers of its own: that would drop the server's.
    for block in re.findall(r"location [^{]*\{([^}]*)\}", conf):
        assert "proxy_set_header" not in block


def test_inbound_calls_are_routed_recorded_and_fall_back() -> None:
    lines = dialplan("from-trunk", ASTERISK)
    step = {
        what: next(i for i, line in enumerate(lines) if what in line)
        for what in (
            "Set(__CRM_LINE=",
            "CELGenUserEvent(CRM_LINE,",
            "Gosub(sub-record",
            "AGI(${CRM_AGI},${CRM_LINE})",
            "?asked)",
            "AGI(${CRM_AGI2},${CRM_LINE})",
            "(asked)",
            "Dial(${CRM_DIAL}",
        )
    }
    fallback = next(i for i, line in enumerate(lines) if "(fallback)" in line)
    assert list(step.values()) == sorted(step.values()) and step["Dial(${CRM_DIAL}"] < fallback
    # The second instance is asked only when the first was not reached, and when there is one:
    # an answer, "no opinion" (an empty CRM_DIAL) too, is not asked again.
    skip = lines[step["?asked)"]]
    assert '"${AGISTATUS}" = "SUCCESS"' in skip and '"${CRM_AGI2}" = ""' in skip
    assert "CRM_DIAL" not in skip
    guard = lines[step["(asked)"]]
    assert guard.startswith("same => n(asked),GotoIf(") and guard.endswith("?fallback)")
    assert '"${AGISTATUS}" != "SUCCESS"' in guard and '"${CRM_DIAL}" = ""' in guard
    assert any("Dial(${FALLBACK_GROUP}" in line for line in lines[fallback:])
    # Recorded into the inbox (relative names land in /var/spool/asterisk/monitor), with both
    # directions beside the mixed file: the service stores them as stereo.
    [record] = [line for line in dialplan("sub-record", ASTERISK) if "MixMonitor(" in line]
    assert "MixMonitor(${UNIQUEID}.wav,b" in record
    assert "r(${UNIQUEID}-r.wav)" in record and "t(${UNIQUEID}-t.wav)" in record


def test_click_to_call_context_dials_customers_through_the_trunk() -> None:
    context = app_env()["CALLCENTER_ORIGINATE_CONTEXT"]
    assert context == Settings.model_fields["originate_context"].default
    lines = dialplan(context, ASTERISK)
    assert any("Gosub(sub-record" in line for line in lines)
    # The Originate's caller ID (the customer's name) never reaches the customer.
    assert any("Set(CALLERID(all)=" in line and "${SHOP_NUMBER}" in line for line in lines)
    assert any("Dial(PJSIP/${EXTEN}@${TRUNK}" in line for line in lines)
    pjsip = asterisk_conf("pjsip.conf", ASTERISK)
    trunk = section(pjsip, dialplan_globals(ASTERISK)["TRUNK"], "endpoint")
    assert dialplan(trunk.get("context"), ASTERISK), "the trunk's context is not in the dialplan"


def test_phones_are_devices_the_service_maps_to_managers() -> None:
    env = app_env()
    pjsip = asterisk_conf("pjsip.conf", ASTERISK)
    phones = [c for c in pjsip if c.name.isdigit() and c.get("type") == "endpoint"]
    assert [p.name for p in phones] == ["101", "102", "103", "104"]
    for phone in phones:
        assert phone.get("context") == env["CALLCENTER_ORIGINATE_CONTEXT"]
        auth = section(pjsip, phone.get("auth"), "auth")
        assert auth.get("username") == phone.name and auth.get("password") is None
        assert section(pjsip, phone.get("aors"), "aor").get("max_contacts") == "1"
    tech = env["CALLCENTER_DEVICE_TECH"]
    # Each desk phone and its browser softphone (web101, written by the service).
    names = {p.name for p in phones} | {f"web{p.name}" for p in phones}
    for member in dialplan_globals(ASTERISK)["FALLBACK_GROUP"].split("&"):
        assert member.startswith(f"{tech}/") and member.split("/")[1] in names
    assert "#tryinclude pjsip_local.conf" in (ASTERISK / "pjsip.conf").read_text()


def test_secrets_example_extends_what_the_samples_define(tmp_path: Path) -> None:
    example = DOCKER / "secrets" / "pjsip_local.conf.example"
    assert all(c.get("password") is None for c in asterisk_conf("pjsip.conf", ASTERISK))
    # Installed the way the entry point does it: as pjsip_local.conf next to the samples.
    (tmp_path / "pjsip_local.conf").write_text(example.read_text(encoding="utf-8"))
    pjsip = asterisk_conf("pjsip.conf", ASTERISK, tmp_path)
    for phone in ("101", "102", "103", "104"):
        assert section(pjsip, f"{phone}-auth").get("password")
    assert section(pjsip, "trunk", "aor").get("contact")
    assert section(pjsip, "trunk", "endpoint").get("outbound_auth") == "trunk-auth"
    assert section(pjsip, "trunk-identify").get("endpoint") == "trunk"
    source = DOCKER / compose_raw()["secrets"]["pjsip_local"]["file"]
    assert source.name == "pjsip_local.conf" and source.parent == example.parent
    target = compose()["services"]["asterisk"]["secrets"]
    assert target == [{"source": "pjsip_local", "target": "pjsip_local.conf"}]
    gitignore = (example.parent / ".gitignore").read_text().split()
    assert "*" in gitignore and "!*.example" in gitignore


def test_the_test_overlay_only_adds_local_files_the_samples_include() -> None:
    overlay = sorted(p.name for p in OVERLAY.glob("*.conf"))
    assert overlay == [
        "extensions_local.conf", "http_local.conf", "manager_local.conf", "pjsip_local.conf",
    ]  # fmt: skip
    for name in overlay:
        assert not (ASTERISK / name).exists()
        sample = ASTERISK / name.replace("_local", "")
        assert f"#tryinclude {name}" in sample.read_text().splitlines()
        assert (OVERLAY / name).read_text().startswith("; TEST OVERLAY")
    # The overlay really changes what the tests need, on top of the samples.
    assert dialplan_globals(ASTERISK, OVERLAY)["CRM_AGI"] == "agi://127.0.0.1:4573/route"
    # Never the compose file's replica names: a lookup that may wait on the host's DNS.
    assert dialplan_globals(ASTERISK, OVERLAY)["CRM_AGI2"] == "agi://127.0.0.1:4574/route"
    manager = asterisk_conf("manager.conf", ASTERISK, OVERLAY)
    assert section(manager, "general").get("bindaddr") == "127.0.0.1"
    http = asterisk_conf("http.conf", ASTERISK, OVERLAY)
    assert section(http, "general").get("tlsbindaddr") == "127.0.0.1:8089"
