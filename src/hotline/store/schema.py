"""The schema as an ordered list of migration steps, each with its SQL per dialect.

Migration *n* takes a database from schema version *n - 1* to *n*; migration 1
creates everything, and version 0 is a database that holds no schema yet. A
step carries one tuple of statements per SQL dialect (:data:`DIALECTS`:
``sqlite`` and ``postgresql``), so every backend walks the same
versions and a database's version means the same tables whatever holds them.
Steps are append-only: once released, a step's SQL is never edited, only
followed by another step.

A backend's runner (SQLite's is :func:`hotline.store.ensure_schema`) reads the version it stored,
asks :func:`pending_migrations` for the steps to run, and applies them for its
dialect, in order, in one transaction together with the new version number. A
database whose version is higher than the last step here was written by a newer
hotline and is refused (:class:`~hotline.errors.SchemaTooNew`) rather than
guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hotline.errors import NotInitialised, SchemaTooNew, StoreError
from hotline.store import _schema_postgresql as postgresql_sql
from hotline.store import _schema_sqlite as sqlite_sql

__all__ = [
    "DIALECTS",
    "MIGRATIONS",
    "Migration",
    "SCHEMA_VERSION",
    "pending_migrations",
]

DIALECTS = ("sqlite", "postgresql")
"""The SQL dialects a step may carry statements for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    """One step of the schema: the statements, per dialect, that take ``version - 1`` to ``version``."""

    version: int
    summary: str
    sql: Mapping[str, tuple[str, ...]]
    """Statements by dialect; a dialect missing here cannot migrate past this step yet."""

    def __post_init__(self) -> None:
        unknown = set(self.sql) - set(DIALECTS)
        if unknown:
            raise ValueError(f"migration {self.version}: unknown dialect {sorted(unknown)}")
        for dialect, statements in self.sql.items():
            if not isinstance(statements, tuple) or not statements:
                raise ValueError(f"migration {self.version}: {dialect} needs a tuple of statements")

    def statements(self, dialect: str) -> tuple[str, ...]:
        """This step's statements in ``dialect``; StoreError if it has none."""
        try:
            return self.sql[dialect]
        except KeyError:
            raise StoreError(
                f"schema migration {self.version} ({self.summary}) has no {dialect} statements; "
                f"this hotline cannot build its schema on {dialect}"
            ) from None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        version=1,
        summary="party, peers, messages and journal, with their integrity triggers",
        sql={"sqlite": sqlite_sql.VERSION_1, "postgresql": postgresql_sql.VERSION_1},
    ),
    Migration(
        version=2,
        summary="alarms about the line (raised, cleared once, never deleted)",
        sql={"sqlite": sqlite_sql.VERSION_2, "postgresql": postgresql_sql.VERSION_2},
    ),
    Migration(
        version=3,
        summary="console accounts, acknowledgements, shift notes; alarms can be acknowledged",
        sql={"sqlite": sqlite_sql.VERSION_3, "postgresql": postgresql_sql.VERSION_3},
    ),
    Migration(
        version=4,
        summary="meeting proposals and the state their replies have reached",
        sql={"sqlite": sqlite_sql.VERSION_4, "postgresql": postgresql_sql.VERSION_4},
    ),
    Migration(
        version=5,
        summary="call records (final once ended) and presence requests (answered once)",
        sql={"sqlite": sqlite_sql.VERSION_5, "postgresql": postgresql_sql.VERSION_5},
    ),
    Migration(
        version=6,
        summary="the record: Merkle tree nodes over the journal, checkpoints, cosignatures, "
        "witnessed checkpoints and conflicts (all append-only)",
        sql={"sqlite": sqlite_sql.VERSION_6, "postgresql": postgresql_sql.VERSION_6},
    ),
    Migration(
        version=7,
        summary="protocol v2: the message-key chain of each direction, and each peer's protocol",
        sql={"sqlite": sqlite_sql.VERSION_7, "postgresql": postgresql_sql.VERSION_7},
    ),
    Migration(
        version=8,
        summary="messages to several parties: the per-line copies of one payload",
        sql={"sqlite": sqlite_sql.VERSION_8, "postgresql": postgresql_sql.VERSION_8},
    ),
    Migration(
        version=9,
        summary="channels with their own people: members (with history) and peers' announcements",
        sql={"sqlite": sqlite_sql.CHANNELS, "postgresql": postgresql_sql.VERSION_9},
    ),
    Migration(
        version=10,
        summary="conferences: each one, its roster versions and the members' answers",
        sql={"sqlite": sqlite_sql.CONFERENCES, "postgresql": postgresql_sql.VERSION_10},
    ),
    Migration(
        version=11,
        summary="releases: marked messages made public statements, by whom and when",
        sql={"sqlite": sqlite_sql.RELEASES, "postgresql": postgresql_sql.VERSION_11},
    ),
    Migration(
        version=12,
        summary="channel announcements: which version of each channel each peer was sent",
        sql={
            "sqlite": sqlite_sql.CHANNEL_ANNOUNCEMENTS,
            "postgresql": postgresql_sql.CHANNEL_ANNOUNCEMENTS,
        },
    ),
    Migration(
        version=13,
        summary="joint statements: every draft, signature and outcome",
        sql={"sqlite": sqlite_sql.STATEMENTS, "postgresql": postgresql_sql.STATEMENTS},
    ),
    Migration(
        version=14,
        summary="fencing: the epoch an active terminal of an active/standby pair writes under",
        sql={"sqlite": sqlite_sql.FENCING, "postgresql": postgresql_sql.FENCING},
    ),
    Migration(
        version=15,
        summary="peer confirmations (signed out-of-band fingerprint checks) and removed peers",
        sql={
            "sqlite": sqlite_sql.PEER_CONFIRMATIONS,
            "postgresql": postgresql_sql.PEER_CONFIRMATIONS,
        },
    ),
    Migration(
        version=16,
        summary="outgoing chain positions adopted from a peer (a terminal restored from a backup)",
        sql={
            "sqlite": sqlite_sql.CHAIN_ADOPTIONS,
            "postgresql": postgresql_sql.CHAIN_ADOPTIONS,
        },
    ),
    Migration(
        version=17,
        summary="peers' operational key certificates, announced by their key events",
        sql={"sqlite": sqlite_sql.PEER_KEYS, "postgresql": postgresql_sql.PEER_KEYS},
    ),
    Migration(
        version=18,
        summary="peers' revoked operational keys, announced by their key events",
        sql={
            "sqlite": sqlite_sql.PEER_KEY_REVOCATIONS,
            "postgresql": postgresql_sql.PEER_KEY_REVOCATIONS,
        },
    ),
    Migration(
        version=19,
        summary="peers' master changes, pending until a recorded fingerprint check",
        sql={"sqlite": sqlite_sql.PEER_MASTERS, "postgresql": postgresql_sql.PEER_MASTERS},
    ),
    Migration(
        version=20,
        summary="peers' encryption keys, switched to by their key events",
        sql={
            "sqlite": sqlite_sql.PEER_ENCRYPTION_KEYS,
            "postgresql": postgresql_sql.PEER_ENCRYPTION_KEYS,
        },
    ),
    Migration(
        version=21,
        summary="this terminal's sealed key files, published for its standby",
        sql={"sqlite": sqlite_sql.KEY_FILES, "postgresql": postgresql_sql.KEY_FILES},
    ),
    Migration(
        version=22,
        summary="the rotated signing key that endorsed a joint statement's signature",
        sql={
            "sqlite": sqlite_sql.STATEMENT_ENDORSERS,
            "postgresql": postgresql_sql.STATEMENT_ENDORSERS,
        },
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
"""The version this hotline writes and the newest it can read."""


def _check_migrations() -> None:
    # Checked at import so a misnumbered step, or one a backend cannot run, fails
    # every test rather than a customer's upgrade.
    for index, migration in enumerate(MIGRATIONS, start=1):
        if migration.version != index:
            raise AssertionError(f"migration {index} is numbered {migration.version}")
        for dialect in DIALECTS:
            migration.statements(dialect)


_check_migrations()


def _too_new(version: int) -> SchemaTooNew:
    return SchemaTooNew(
        f"the database has schema version {version}, but this hotline knows only up to "
        f"{SCHEMA_VERSION}: it was written by a newer hotline; upgrade hotline to open it"
    )


def pending_migrations(found: int, *, dialect: str, create: bool) -> tuple[Migration, ...]:
    """The steps, in order, that take a database at version ``found`` to :data:`SCHEMA_VERSION`.

    Empty for a current database. SchemaTooNew for a newer one; NotInitialised
    for an empty one (version 0) unless ``create``; StoreError if a step has no
    statements in ``dialect`` (checked for every step before any is run).
    """
    if found > SCHEMA_VERSION:
        raise _too_new(found)
    if found == 0 and not create:
        raise NotInitialised("the database holds no hotline schema")
    steps = MIGRATIONS[found:]
    for step in steps:
        step.statements(dialect)
    return steps
