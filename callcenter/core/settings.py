"""Service settings: environment variables with the ``CALLCENTER_`` prefix, and a ``.env`` file."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path

import phonenumbers
from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# An origin as a browser sends it: the scheme, the host and maybe a port, no path.
_ORIGIN = re.compile(
    r"^https?://[A-Za-z0-9.\-]+(:\d{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?$"
)


def _items(value: str) -> list[str]:
    """A comma-separated setting's items, without blanks."""
    return [item.strip() for item in value.split(",") if item.strip()]


def _split_bind(value: str, default_port: int) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host:
        return value, default_port
    return host.strip("[]"), int(port)


class AmiServer(BaseModel):
    name: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    host: str = "127.0.0.1"
    port: int = Field(default=5038, ge=1, le=65535)
    username: str
    secret: SecretStr
    # This PBX's CEL: cel_custom's file, or "table" (cel_pgsql); empty: none.
    cel_source: str = ""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CALLCENTER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./var/callcenter.db"
    http_bind: str = "127.0.0.1:8000"

    # Several instances on one PostgreSQL (callcenter/cluster/): this one's name in /healthz,
    # the live board and pg_stat_activity (default: host name and process id), and how long a
    # new leader waits before it acts (the lease is 3/4 of it; README "Scaling out").
    instance_name: str = Field(default="", max_length=40)
    leader_grace_seconds: float = Field(default=2.0, gt=0, le=60)

    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_username: str = ""
    ami_secret: SecretStr = SecretStr("")

    # More PBXs: a JSON list of {"name", "host", "port", "username", "secret"}. When set, it
    # replaces the single connection above.
    ami_servers: list[AmiServer] = []

    # Asterisk's own record of calls (CEL), read after every AMI (re)connect for the calls of
    # the gap (callcenter/calls/history.py): the path of cel_custom's file as this service
    # sees it on a shared volume (docker/asterisk/cel_custom.conf), or "table" for the
    # asterisk_cel table that cel_pgsql fills in this service's database. Empty turns it off;
    # with CALLCENTER_AMI_SERVERS, each server's "cel_source" says it instead.
    cel_source: str = ""
    # How far back the first reconciliation reads, in hours.
    cel_lookback_hours: float = Field(default=24.0, gt=0, le=24 * 90)

    agi_bind: str = "127.0.0.1:4573"
    # A routing decision that takes longer answers "fallback": the dialplan routes the call.
    agi_budget_ms: int = Field(default=50, ge=5, le=5000)
    # Live listening: where Asterisk's AudioSocket channels connect (empty turns it off), and
    # the host:port Asterisk should dial when that differs (NAT, containers; default: the bind).
    audiosocket_bind: str = "127.0.0.1:9092"
    audiosocket_address: str = ""

    recordings_dir: Path = Path("./var/recordings")
    recordings_pbx_prefix: str = "/var/spool/asterisk/monitor"
    recordings_inbox: str = ""
    # Recordings older than this many days are deleted (files and rows) by a daily job; 0 keeps
    # them forever.
    recordings_retention_days: int = Field(default=365, ge=0)

    default_region: str = "RU"
    # The shop's time zone (an IANA name): the times pages write into text, like a callback's
    # "missed call at 15:04", are the shop's clock.
    timezone: str = "Europe/Moscow"
    # Reports: an order within this many hours after an answered call counts as taken after
    # it; the service level is "answered within N seconds".
    report_order_window_hours: int = Field(default=24, ge=1, le=24 * 30)
    report_service_level_seconds: int = Field(default=20, ge=1, le=3600)
    originate_context: str = "from-managers"
    device_tech: str = "PJSIP"
    # The browsers' softphones (callcenter/softphone/): the file pjsip.conf includes, which
    # the service writes (empty: no softphones), and the WSS address browsers register at.
    softphone_accounts: str = ""
    softphone_ws_url: str = Field(default="", pattern=r"^(wss://\S+)?$")

    # Where shops and people reach this service (https://cc.shop.example), for the links
    # webhooks carry (a recording's URL); empty: the links are paths.
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/]+(/\S*)?)?$")
    # Webhooks go to public addresses only, and to these: addresses, networks or host names,
    # separated by commas ("127.0.0.1, 10.0.0.0/8, crm.internal").
    webhook_allow: str = ""
    # How long a shop's endpoint has to answer a delivery before it is tried again later; the
    # first retry (doubling up to an hour); how long a delivery is retried, and an endpoint
    # failing without a success that long is paused.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_retry_seconds: float = Field(default=10.0, gt=0, le=3600)
    webhook_give_up_hours: float = Field(default=24.0, gt=0, le=24 * 30)

    # "Call me back" on the shop's website (callcenter/web_callback/). The origins of the shop's
    # pages whose widget may post requests from a browser, separated by commas
    # ("https://shop.example, https://www.shop.example"): CORS for the public endpoint only;
    # empty allows none (a request without an Origin, from a shop's server, still may).
    callback_origins: str = ""
    # Whose numbers the widget accepts: country codes ("RU, KZ"); empty: the default region's.
    callback_countries: str = ""
    # Requests allowed per client address, and per phone number, in a sliding window.
    callback_per_address: int = Field(default=5, ge=1, le=100_000)
    callback_address_minutes: int = Field(default=10, ge=1, le=24 * 60)
    callback_per_phone: int = Field(default=3, ge=1, le=10_000)
    callback_phone_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    # Signs session cookies. When empty, a random key is kept in ``<var_dir>/secret.key``.
    secret_key: SecretStr = SecretStr("")
    var_dir: Path = Path("./var")
    # Set to true behind a TLS-terminating proxy: cookies then only travel over HTTPS.
    cookie_secure: bool = False
    session_max_age: int = Field(default=12 * 3600, ge=60)
    login_attempts_per_minute: int = Field(default=5, ge=1)

    @field_validator("ami_servers")
    @classmethod
    def _unique_pbx_names(cls, value: list[AmiServer]) -> list[AmiServer]:
        names = [server.name for server in value]
        if len(set(names)) != len(names):
            raise ValueError("the names in CALLCENTER_AMI_SERVERS must be unique")
        return value

    @field_validator("callback_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for item in _items(value):
            if not _ORIGIN.match(item.rstrip("/")):
                raise ValueError(
                    f"CALLCENTER_CALLBACK_ORIGINS: {item!r} is not an origin; write the scheme "
                    "and host of the shop's pages, like https://shop.example"
                )
        return value

    @field_validator("callback_countries")
    @classmethod
    def _countries(cls, value: str) -> str:
        for item in _items(value):
            if item.upper() not in phonenumbers.SUPPORTED_REGIONS:
                raise ValueError(
                    f"CALLCENTER_CALLBACK_COUNTRIES: {item!r} is not a country code like RU or KZ"
                )
        return value

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"CALLCENTER_TIMEZONE: unknown time zone {value!r}; "
                "use an IANA name like Europe/Moscow"
            ) from None
        return value

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The shop's time zone (``CALLCENTER_TIMEZONE``)."""
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def http_host_port(self) -> tuple[str, int]:
        return _split_bind(self.http_bind, 8000)

    @property
    def agi_host_port(self) -> tuple[str, int]:
        return _split_bind(self.agi_bind, 4573)

    @property
    def audiosocket_host_port(self) -> tuple[str, int]:
        return _split_bind(self.audiosocket_bind, 9092)

    @property
    def recordings_inbox_path(self) -> Path:
        return Path(self.recordings_inbox or self.recordings_pbx_prefix)

    @property
    def webhook_allow_list(self) -> list[str]:
        return [item.strip() for item in self.webhook_allow.split(",") if item.strip()]

    @property
    def callback_origin_set(self) -> frozenset[str]:
        """The shop's origins, as browsers send them in ``Origin``: lower case, no slash."""
        return frozenset(item.rstrip("/").lower() for item in _items(self.callback_origins))

    @property
    def callback_country_set(self) -> frozenset[str]:
        return frozenset(
            item.upper() for item in _items(self.callback_countries) or [self.default_region]
        )

    @property
    def ami_enabled(self) -> bool:
        return bool(self.ami_username or self.ami_servers)

    def ami_connections(self) -> list[AmiServer]:
        if self.ami_servers:
            return list(self.ami_servers)
        if not self.ami_username:
            return []
        return [
            AmiServer(
                host=self.ami_host,
                port=self.ami_port,
                username=self.ami_username,
                secret=self.ami_secret,
                cel_source=self.cel_source,
            )
        ]

    def resolved_secret_key(self) -> str:
        """The session signing key; generated once and kept on disk when not configured."""
        if self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        import secrets

        path = self.var_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key
