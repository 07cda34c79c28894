"""The one settings object, read from the environment once at start-up: `Settings.from_env()`.

Each concern reads and checks its own variables in a module of this package (the worker's in
`mint`, the follower's in `follow`, the replica's in `database`, Redis's in `redis`, the HTTP
side's in `web`, the root secret in `secret`); `Settings` puts them together."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hunt_engine.keys import PURPOSE_JWT, PURPOSE_QR, Keyring, derive_key
from infra.event_loop import DEFAULT_LOOP, LOOPS
from infra.settings.chain import address, rpc_url
from infra.settings.database import read_url
from infra.settings.follow import FollowSettings
from infra.settings.mint import MAX_MINTER_KEYS, MintSettings, demo_wallet_key, minter_keys
from infra.settings.redis import CLUSTER_NODES_MAX, cluster_nodes, key_prefix
from infra.settings.secret import DEV_SECRET_FILE, root_secret
from infra.settings.values import SettingsError, choice, integer, number
from infra.settings.web import public_base_url, tile_url, trusted_proxies

__all__ = [
    "CLUSTER_NODES_MAX",
    "DEV_SECRET_FILE",
    "MAX_MINTER_KEYS",
    "FollowSettings",
    "MintSettings",
    "Settings",
    "SettingsError",
]


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
    # GEOHUNT_EVENT_LOOP: the event loop of every long-running process (infra/event_loop.py).
    event_loop: str = DEFAULT_LOOP
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
        secret = root_secret(env, dev)
        base = public_base_url(env)
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
            redis_prefix=key_prefix(env),
            redis_cluster_nodes=cluster_nodes(env),
            db_pool_min=integer(env, "GEOHUNT_DB_POOL_MIN", 2, 1, 1000),
            db_pool_max=integer(env, "GEOHUNT_DB_POOL_MAX", 10, 1, 1000),
            db_reserve=integer(env, "GEOHUNT_DB_RESERVE", 10, 0, 100_000),
            database_read_url=read_url(env),
            # At least half a second: the lag is measured a few times per bound (infra/replica.py).
            database_read_max_lag_s=number(env, "DATABASE_READ_MAX_LAG_S", 5.0, 0.5, 3600),
            database_read_timeout_s=number(env, "DATABASE_READ_TIMEOUT_S", 5.0, 0.1, 600),
            chain_rpc_url=rpc_url(env),
            minter_private_keys=minter_keys(env),
            contract_address=address(env, "CONTRACT_ADDRESS"),
            state_dir=env.get("GEOHUNT_STATE_DIR", ".geohunt"),
            mint=MintSettings.from_env(env),
            follow=FollowSettings.from_env(env),
            queue_target_s=number(env, "GEOHUNT_QUEUE_TARGET_MS", 20, 0.1, 10_000) / 1000,
            queue_interval_s=number(env, "GEOHUNT_QUEUE_INTERVAL_MS", 100, 1, 60_000) / 1000,
            max_inflight=integer(env, "GEOHUNT_MAX_INFLIGHT", 64, 1, 100_000),
            scan_budget_s=number(env, "GEOHUNT_SCAN_BUDGET_MS", 1000, 1, 600_000) / 1000,
            event_loop=choice(env, "GEOHUNT_EVENT_LOOP", DEFAULT_LOOP, LOOPS),
            demo_wallet_key=demo_wallet_key(env),
            trusted_proxies=trusted_proxies(env),
            tile_url=tile_url(env),
        )
