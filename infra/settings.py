"""The one settings object, read from the environment once at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from hunt_engine.keys import PURPOSE_JWT, PURPOSE_QR, Keyring, derive_key

DEV_SECRET_FILE = "dev-secret"  # noqa: S105 - a file name
# Keys a worker may be given: each is a sender of its own (a lock connection, its nonces), and
# past a few the node or the database, not the keys, bound the throughput.
MAX_MINTER_KEYS = 16


class SettingsError(RuntimeError):
    """The environment does not describe a runnable server."""


@dataclass(frozen=True)
class MintSettings:
    """How `geohunt worker` batches, prices and confirms its transactions."""

    batch_max: int = 100
    max_in_flight: int = 8
    confirmations: int = 1
    replace_after_s: float = 30.0
    fee_bump_percent: int = 25
    priority_fee_wei: int = 1_000_000_000
    poll_s: float = 1.0
    receipt_poll_s: float = 0.1
    max_attempts: int = 5
    rpc_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MintSettings:
        return cls(
            batch_max=_int(env, "MINT_BATCH_MAX", cls.batch_max, 1, 500),
            max_in_flight=_int(env, "MINT_MAX_IN_FLIGHT", cls.max_in_flight, 1, 64),
            confirmations=_int(env, "MINT_CONFIRMATIONS", cls.confirmations, 1, 1000),
            replace_after_s=_float(env, "MINT_REPLACE_AFTER_S", cls.replace_after_s, 1, 86400),
            # Nodes refuse a replacement that raises its fees by less than 10%.
            fee_bump_percent=_int(env, "MINT_FEE_BUMP_PERCENT", cls.fee_bump_percent, 10, 500),
            priority_fee_wei=int(
                _float(env, "MINT_PRIORITY_FEE_GWEI", cls.priority_fee_wei / 1e9, 0, 10_000) * 1e9
            ),
            poll_s=_float(env, "MINT_POLL_S", cls.poll_s, 0.05, 60),
            receipt_poll_s=_float(env, "MINT_RECEIPT_POLL_S", cls.receipt_poll_s, 0.01, 60),
            max_attempts=_int(env, "MINT_MAX_ATTEMPTS", cls.max_attempts, 1, 100),
            rpc_timeout_s=_float(env, "CHAIN_RPC_TIMEOUT_S", cls.rpc_timeout_s, 0.5, 300),
        )


@dataclass(frozen=True)
class FollowSettings:
    """How `geohunt follow` reads the contract's Transfer events."""

    # Blocks (the including one counts) before an event is counted: a block that may still be
    # reorganised away is not read yet.
    confirmations: int = 3
    # Blocks per eth_getLogs request: public nodes cap the range of one request.
    block_span: int = 2000
    poll_s: float = 2.0
    # Where to start when no deployment block is recorded and no cursor is stored yet.
    from_block: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FollowSettings:
        return cls(
            confirmations=_int(env, "FOLLOW_CONFIRMATIONS", cls.confirmations, 1, 1000),
            block_span=_int(env, "FOLLOW_BLOCK_SPAN", cls.block_span, 1, 100_000),
            poll_s=_float(env, "FOLLOW_POLL_S", cls.poll_s, 0.05, 600),
            from_block=_int(env, "FOLLOW_FROM_BLOCK", cls.from_block, 0, 2**62),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    redis_url: str | None
    public_base_url: str
    secret: bytes = field(repr=False)
    dev: bool = False
    qr_key_ids: tuple[str, ...] = ("1",)
    redis_prefix: str = "geohunt:"
    # REDIS_CLUSTER_NODES: (host, port) of some nodes of a Redis Cluster to discover it from;
    # empty: the one Redis of REDIS_URL.
    redis_cluster_nodes: tuple[tuple[str, int], ...] = ()
    db_pool_min: int = 2
    db_pool_max: int = 10
    # DATABASE_READ_URL: a streaming replica of DATABASE_URL for the reads that may be a moment
    # behind (infra/replica.py), used while it holds everything the primary had at most
    # DATABASE_READ_MAX_LAG_S ago; None: every read goes to the primary.
    database_read_url: str | None = None
    database_read_max_lag_s: float = 5.0
    # DATABASE_READ_TIMEOUT_S: the longest a read waits for the replica before the primary is
    # asked instead (a replica that stopped answering must not hold requests).
    database_read_timeout_s: float = 5.0
    # Of the database's max_connections, what `geohunt serve` leaves to other programs.
    db_reserve: int = 10
    # Admission (server/http/admission.py), in seconds: CoDel's queue-delay target and interval,
    # requests handled at once per process, and the longest a scan waits before its claim.
    queue_target_s: float = 0.02
    queue_interval_s: float = 0.1
    max_inflight: int = 64
    scan_budget_s: float = 1.0
    max_body_bytes: int = 1_048_576
    import_max_bytes: int = 20_971_520
    chain_rpc_url: str | None = None
    # MINTER_PRIVATE_KEYS (or MINTER_PRIVATE_KEY, a list of one): every key `geohunt worker`
    # may send with, each under its own lock; the first deploys (`geohunt chain deploy`).
    minter_private_keys: tuple[str, ...] = field(default=(), repr=False)
    contract_address: str | None = None
    state_dir: str = ".geohunt"
    mint: MintSettings = field(default_factory=MintSettings)
    follow: FollowSettings = field(default_factory=FollowSettings)
    # `geohunt demo` only: a public test key (one of anvil's) that the fan app offers as a
    # ready-made wallet. Every visitor of the app is given it: never a key that holds value.
    demo_wallet_key: str | None = field(default=None, repr=False)
    # GEOHUNT_TRUSTED_PROXIES: the networks of the reverse proxies in front of the server. Only
    # a connection from one of them has its X-Forwarded-For / X-Forwarded-Proto believed.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # GEOHUNT_TILE_URL: the console map's tile server, a URL template naming {z}, {x} and {y}
    # (e.g. https://tile.example/{z}/{x}/{y}.png); None: the console draws no tiles.
    tile_url: str | None = None

    @property
    def tile_origin(self) -> str | None:
        """The tile server's origin, the one other origin the console's images may come from."""
        if self.tile_url is None:
            return None
        parts = urlsplit(self.tile_url)
        return f"{parts.scheme}://{parts.netloc.lower()}"

    @property
    def minter_private_key(self) -> str | None:
        """The first minting key: the one that deploys and administers the contract."""
        return self.minter_private_keys[0] if self.minter_private_keys else None

    @property
    def public_host(self) -> str:
        """The authority SIWE messages must name (host[:port])."""
        return urlsplit(self.public_base_url).netloc

    @property
    def jwt_key(self) -> bytes:
        return derive_key(self.secret, PURPOSE_JWT)

    @property
    def qr_keyring(self) -> Keyring:
        return Keyring.derived(self.secret, self.qr_key_ids, self.qr_key_ids[0], PURPOSE_QR)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        dev = env.get("GEOHUNT_DEV", "") in ("1", "true", "yes")
        raw_secret = env.get("GEOHUNT_SECRET", "")
        if raw_secret:
            if len(raw_secret) < 32:
                raise SettingsError("GEOHUNT_SECRET must be at least 32 characters")
            secret = raw_secret.encode()
        elif dev:
            secret = _dev_secret(Path(env.get("GEOHUNT_STATE_DIR", ".geohunt")))
        else:
            raise SettingsError("GEOHUNT_SECRET is required (or GEOHUNT_DEV=1 for a generated one)")
        # A host name, not an IP address: it is also the passkeys' relying party id.
        base = env.get("PUBLIC_BASE_URL", "http://localhost:8080").rstrip("/")
        if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
            raise SettingsError("PUBLIC_BASE_URL must be an http(s) origin")
        kids = tuple(k.strip() for k in env.get("GEOHUNT_QR_KEY_IDS", "1").split(",") if k.strip())
        if not kids:
            raise SettingsError("GEOHUNT_QR_KEY_IDS must name at least one key id")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            public_base_url=base,
            secret=secret,
            dev=dev,
            qr_key_ids=kids,
            redis_prefix=_redis_prefix(env),
            redis_cluster_nodes=_cluster_nodes(env),
            db_pool_min=_int(env, "GEOHUNT_DB_POOL_MIN", 2, 1, 1000),
            db_pool_max=_int(env, "GEOHUNT_DB_POOL_MAX", 10, 1, 1000),
            db_reserve=_int(env, "GEOHUNT_DB_RESERVE", 10, 0, 100_000),
            database_read_url=_read_url(env),
            # At least half a second: the lag is measured a few times per bound (infra/replica.py).
            database_read_max_lag_s=_float(env, "DATABASE_READ_MAX_LAG_S", 5.0, 0.5, 3600),
            database_read_timeout_s=_float(env, "DATABASE_READ_TIMEOUT_S", 5.0, 0.1, 600),
            chain_rpc_url=_rpc_url(env),
            minter_private_keys=_minter_keys(env),
            contract_address=_address(env, "CONTRACT_ADDRESS"),
            state_dir=env.get("GEOHUNT_STATE_DIR", ".geohunt"),
            mint=MintSettings.from_env(env),
            follow=FollowSettings.from_env(env),
            queue_target_s=_float(env, "GEOHUNT_QUEUE_TARGET_MS", 20, 0.1, 10_000) / 1000,
            queue_interval_s=_float(env, "GEOHUNT_QUEUE_INTERVAL_MS", 100, 1, 60_000) / 1000,
            max_inflight=_int(env, "GEOHUNT_MAX_INFLIGHT", 64, 1, 100_000),
            scan_budget_s=_float(env, "GEOHUNT_SCAN_BUDGET_MS", 1000, 1, 600_000) / 1000,
            demo_wallet_key=_demo_wallet_key(env),
            trusted_proxies=_trusted_proxies(env),
            tile_url=_tile_url(env),
        )


def _dev_secret(state_dir: Path) -> bytes:
    """A generated secret kept beside the dev state, so that `serve`, `token` and `demo` agree
    and printed codes survive a restart; never used unless GEOHUNT_DEV is set."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / DEV_SECRET_FILE
    if not path.exists():
        # Written aside, then linked into place: a sibling process starting at the same moment
        # reads a complete secret or makes none, never half of one.
        temp = state_dir / f".{DEV_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(temp, path)
            except FileExistsError:
                pass
        finally:
            temp.unlink(missing_ok=True)
    secret = path.read_text().strip()
    if len(secret) < 32:
        raise SettingsError(f"{path} holds no usable secret: delete it to make a new one")
    return secret.encode()


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not low <= value <= high:  # also refuses nan
        raise SettingsError(f"{name} must be between {low} and {high}")
    return value


def _read_url(env: Mapping[str, str]) -> str | None:
    """DATABASE_READ_URL: a postgres(ql):// URL, never the primary's own (which would make every
    read look a replica's while it is not one)."""
    url = env.get("DATABASE_READ_URL") or None
    if url is None:
        return None
    if urlsplit(url).scheme not in ("postgres", "postgresql"):
        raise SettingsError("DATABASE_READ_URL must be a postgresql:// URL of a streaming replica")
    if url == env.get("DATABASE_URL"):
        raise SettingsError("DATABASE_READ_URL must name a replica, not DATABASE_URL itself")
    return url


def _redis_prefix(env: Mapping[str, str]) -> str:
    """GEOHUNT_REDIS_PREFIX: every key starts with it, and every key's hash tag (its slot on a
    cluster) follows it, so a brace in it would take the tag's place."""
    prefix = env.get("GEOHUNT_REDIS_PREFIX", "geohunt:")
    if "{" in prefix or "}" in prefix or len(prefix) > 100:
        raise SettingsError("GEOHUNT_REDIS_PREFIX must be at most 100 characters, without braces")
    return prefix


CLUSTER_NODES_MAX = 64
# A cluster node: a host name, an IPv4 address, or an IPv6 address in brackets, then a port.
CLUSTER_NODE = re.compile(
    r"^(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(?P<port>[0-9]{1,5})$"
)


def _cluster_nodes(env: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    """REDIS_CLUSTER_NODES: `host:port,host:port,...`, some nodes of a Redis Cluster (the
    client learns the others from them), at most CLUSTER_NODES_MAX."""
    items = [i.strip() for i in env.get("REDIS_CLUSTER_NODES", "").split(",") if i.strip()]
    if len(items) > CLUSTER_NODES_MAX:
        raise SettingsError(f"REDIS_CLUSTER_NODES names at most {CLUSTER_NODES_MAX} nodes")
    nodes: list[tuple[str, int]] = []
    for item in items:
        found = CLUSTER_NODE.match(item)
        port = int(found.group("port")) if found else 0
        if found is None or not 1 <= port <= 65535:
            raise SettingsError(
                f"REDIS_CLUSTER_NODES: {item[:60]!r} is not host:port (e.g. 10.0.0.5:7000,"
                " redis-1.internal:7000 or [2001:db8::5]:7000)"
            )
        host = found.group("host")
        if host.startswith("["):
            try:
                host = str(ipaddress.IPv6Address(host[1:-1]))
            except ValueError:
                raise SettingsError(
                    f"REDIS_CLUSTER_NODES: {host[:60]!r} is no IPv6 address"
                ) from None
        nodes.append((host, port))
    return tuple(dict.fromkeys(nodes))


def _rpc_url(env: Mapping[str, str]) -> str | None:
    url = env.get("CHAIN_RPC_URL") or None
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        raise SettingsError("CHAIN_RPC_URL must be an http(s) JSON-RPC endpoint")
    return url


def _minter_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """MINTER_PRIVATE_KEYS (comma-separated) or MINTER_PRIVATE_KEY (one): each 32 bytes of hex,
    no key twice, at most MAX_MINTER_KEYS. A key is never echoed, not even a malformed one:
    errors name its position."""
    many = env.get("MINTER_PRIVATE_KEYS") or None
    one = env.get("MINTER_PRIVATE_KEY") or None
    if many is not None and one is not None:
        raise SettingsError("set MINTER_PRIVATE_KEYS or MINTER_PRIVATE_KEY, not both")
    if one is not None:
        return (_private_key(one, "MINTER_PRIVATE_KEY"),)
    if many is None:
        return ()
    items = [item for item in (part.strip() for part in many.split(",")) if item]
    keys = tuple(
        _private_key(item, f"MINTER_PRIVATE_KEYS: key {n}") for n, item in enumerate(items, 1)
    )
    if not keys:
        raise SettingsError("MINTER_PRIVATE_KEYS names no key")
    if len(keys) > MAX_MINTER_KEYS:
        raise SettingsError(f"MINTER_PRIVATE_KEYS: at most {MAX_MINTER_KEYS} keys")
    if len(set(keys)) != len(keys):
        twice = next(n for n, key in enumerate(keys, 1) if key in keys[: n - 1])
        raise SettingsError(f"MINTER_PRIVATE_KEYS: key {twice} is an earlier key again")
    return keys


def _private_key(key: str, name: str) -> str:
    hex_part = key[2:] if key.startswith("0x") else key
    if len(hex_part) != 64 or not all(c in "0123456789abcdefABCDEF" for c in hex_part):
        # Never echo the value: it is a secret even when malformed.
        raise SettingsError(f"{name} must be 32 bytes of hex")
    return "0x" + hex_part.lower()


def _demo_wallet_key(env: Mapping[str, str]) -> str | None:
    """GEOHUNT_DEMO_WALLET_KEY: published to every visitor of the fan app, so it may never be
    a minter's key (anyone could mint with it)."""
    key = env.get("GEOHUNT_DEMO_WALLET_KEY") or None
    if key is None:
        return None
    key = _private_key(key, "GEOHUNT_DEMO_WALLET_KEY")
    if key in _minter_keys(env):
        raise SettingsError(
            "GEOHUNT_DEMO_WALLET_KEY must not be MINTER_PRIVATE_KEY or one of MINTER_PRIVATE_KEYS"
        )
    return key


TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")
TILE_EXAMPLE = "e.g. https://tile.example/{z}/{x}/{y}.png"
# A tile server's host[:port] joins the console's CSP header: a name or an IP, nothing else.
TILE_HOST = re.compile(r"^([a-z0-9]([a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(:[0-9]{1,5})?$")
# After the host: a path (and query) of URL characters.
TILE_REST = re.compile(r"^/[A-Za-z0-9._~!$&()*+,;=:@/?%{}-]*$")


def _tile_url(env: Mapping[str, str]) -> str | None:
    """GEOHUNT_TILE_URL: an http(s) URL template naming {z}, {x} and {y} once each (and no
    other placeholder) after a plain host, whose origin joins the console's CSP."""
    url = env.get("GEOHUNT_TILE_URL") or None
    if url is None:
        return None
    parts = urlsplit(url)
    rest = url[len(f"{parts.scheme}://{parts.netloc}") :]
    try:
        port_ok = parts.port != 0
    except ValueError:  # out of range
        port_ok = False
    if (
        not port_ok
        or parts.scheme not in ("http", "https")
        or not TILE_HOST.match(parts.netloc.lower())
        or not TILE_REST.match(rest)
    ):
        raise SettingsError(f"GEOHUNT_TILE_URL must be an http(s) URL template, {TILE_EXAMPLE}")
    bare = rest
    for placeholder in TILE_PLACEHOLDERS:
        if bare.count(placeholder) != 1:
            bare = "{"  # refused below
            break
        bare = bare.replace(placeholder, "")
    if "{" in bare or "}" in bare:
        raise SettingsError(
            f"GEOHUNT_TILE_URL must name {{z}}, {{x}} and {{y}} once each and no other"
            f" placeholder, {TILE_EXAMPLE}"
        )
    return url


def _trusted_proxies(
    env: Mapping[str, str],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """GEOHUNT_TRUSTED_PROXIES: comma-separated networks in CIDR notation (`10.0.0.0/8`,
    `2001:db8::/32`; a bare address is its own /32 or /128). Host bits set under the prefix
    (`10.0.0.1/8`) are refused: such a typo would trust a network nobody meant."""
    raw = env.get("GEOHUNT_TRUSTED_PROXIES", "")
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            raise SettingsError(
                f"GEOHUNT_TRUSTED_PROXIES: {item[:60]!r} is not a network in CIDR notation"
                " (e.g. 10.0.0.0/8 or 2001:db8::/32, no host bits set)"
            ) from None
    return tuple(dict.fromkeys(networks))


def _address(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value is None:
        return None
    if len(value) != 42 or not value.startswith("0x"):
        raise SettingsError(f"{name} must be a 0x-prefixed 20-byte address")
    try:
        int(value[2:], 16)
    except ValueError:
        raise SettingsError(f"{name} must be a 0x-prefixed 20-byte address") from None
    return value
