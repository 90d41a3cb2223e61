-- A hotline database at schema version 5, written by the store's code before the
-- migrations became per-dialect steps (branch store, parent fa57046), dumped with
-- sqlite3's iterdump. tests/store/test_schema.py loads it and opens it with today's code.
PRAGMA user_version = 5;
BEGIN TRANSACTION;
CREATE TABLE acknowledgements (
    message_id         TEXT PRIMARY KEY,
    direction          TEXT NOT NULL CHECK (direction IN ('given', 'received')),
    by_name            TEXT NOT NULL,
    at                 TEXT NOT NULL,
    ack_id             TEXT NOT NULL,
    operator_key       BLOB NOT NULL,
    operator_signature BLOB NOT NULL
);
INSERT INTO "acknowledgements" VALUES('moscow-in-1','given','was-op','2026-11-22T04:00:10.000000Z','ack-1',X'5555555555555555555555555555555555555555555555555555555555555555',X'53535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353535353');
CREATE TABLE alarms (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    peer       TEXT NOT NULL,
    route      TEXT,
    since      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT, acknowledged_at TEXT, acknowledged_by TEXT,
    CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
);
INSERT INTO "alarms" VALUES('alarm-1','line-down','moscow',NULL,'2026-11-22T04:00:05.000000Z','no route','2026-11-22T04:00:08.000000Z','link test passed',NULL,NULL);
INSERT INTO "alarms" VALUES('alarm-2','test-missed','moscow','10.0.1.2:7000','2026-11-22T04:00:06.000000Z','no receipt',NULL,NULL,'2026-11-22T04:00:07.000000Z','was-op');
CREATE TABLE calls (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    peer             TEXT NOT NULL,
    direction        TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    channel          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('video', 'audio')),
    state            TEXT NOT NULL,
    requested_at     TEXT NOT NULL,
    our_fingerprint  TEXT,
    peer_fingerprint TEXT,
    answered_at      TEXT,
    ended_at         TEXT,
    outcome          TEXT,
    reason           TEXT,
    placed_by        TEXT,
    answered_by      TEXT,
    ended_by         TEXT
);
INSERT INTO "calls" VALUES(1,'call-1','moscow','out','leaders','video','ended','2026-11-22T04:00:13.000000Z','sha-256 AB','sha-256 CD','2026-11-22T04:00:14.000000Z','2026-11-22T04:00:15.000000Z','completed',NULL,'was-op',NULL,NULL);
CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,  -- JSON object
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO "journal" VALUES(1,'2026-11-22T04:31:14.123456Z','terminal.init','{"party":"washington"}',X'0000000000000000000000000000000000000000000000000000000000000000',X'35DC32EC87B89CC5514448E35A8414839B4BE65D93071F18F48E092F86659FC4');
INSERT INTO "journal" VALUES(2,'2026-11-22T04:00:01.000000Z','message.queued','{"id":"moscow-out-1","n":[1,2]}',X'35DC32EC87B89CC5514448E35A8414839B4BE65D93071F18F48E092F86659FC4',X'42C2D62004D356719A3982B76148D81105C1568860C1C43FC4B01293DA05646C');
CREATE TABLE meetings (
    proposal_id TEXT PRIMARY KEY,
    peer        TEXT NOT NULL,
    state       TEXT NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    last_reply  TEXT
);
INSERT INTO "meetings" VALUES('moscow-in-1','moscow','proposed','{"at":"1500Z"}','2026-11-22T04:00:12.000000Z',NULL);
CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    direction      TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    peer           TEXT NOT NULL REFERENCES peers (party),
    channel        TEXT NOT NULL,
    serial         INTEGER NOT NULL CHECK (serial >= 1),
    time_group     TEXT NOT NULL,
    sent_at        TEXT NOT NULL,
    precedence     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    body           BLOB NOT NULL,
    envelope       BLOB NOT NULL,
    envelope_hash  BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    state          TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'delivered')),
    created_at     TEXT NOT NULL,
    transmitted_at TEXT,
    delivered_at   TEXT,
    receipt        BLOB,
    UNIQUE (peer, direction, serial)
);
INSERT INTO "messages" VALUES('moscow-out-1','out','moscow','main',1,'220431Z','2026-11-22T04:31:14.123456Z','flash','text','message 1',X'A16474657874696D6573736167652031',X'656E76656C6F7065206D6F73636F77206F75742031',X'2C6436FF0E2D03C4491E40F8F8E55BFA2C86678F0499D06B7085DCCF29634301','delivered','2026-11-22T04:00:01.000000Z','2026-11-22T04:00:03.000000Z','2026-11-22T04:00:04.000000Z',X'72656365697074');
INSERT INTO "messages" VALUES('moscow-out-2','out','moscow','main',2,'220431Z','2026-11-22T04:31:14.123456Z','routine','text','message 2',X'A16474657874696D6573736167652032',X'656E76656C6F7065206D6F73636F77206F75742032',X'FDEC64BB5D0CABCB7242581134D7C38317668BBED73AEA7E0D7EC1FCF927BDF1','queued','2026-11-22T04:00:02.000000Z',NULL,NULL,NULL);
INSERT INTO "messages" VALUES('moscow-in-1','in','moscow','main',1,'220431Z','2026-11-22T04:31:14.123456Z','flash','text','message 1',X'A16474657874696D6573736167652031',X'656E76656C6F7065206D6F73636F7720696E2031',X'2C50F94558F4BEBA8321DFAEF782F605B1A8CBE6303B175453ABD2F4A1FBD3CA','delivered','2026-11-22T04:00:01.000000Z',NULL,'2026-11-22T04:00:01.000000Z',X'7265636569707420656E76656C6F7065206D6F73636F7720696E2031');
CREATE TABLE party (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    party          TEXT NOT NULL,
    signing_key    BLOB NOT NULL,
    encryption_key BLOB NOT NULL,
    routes         TEXT NOT NULL,  -- JSON array of str
    timezone       TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
INSERT INTO "party" VALUES(1,'washington',X'5757575757575757575757575757575757575757575757575757575757575757',X'7777777777777777777777777777777777777777777777777777777777777777','["hotline.example.gov:7443"]','America/New_York','2026-11-22T04:31:14.123456Z');
CREATE TABLE peers (
    party          TEXT PRIMARY KEY,
    signing_key    BLOB NOT NULL UNIQUE,
    encryption_key BLOB NOT NULL,
    routes         TEXT NOT NULL,  -- JSON array of str
    timezone       TEXT NOT NULL,
    certificate    BLOB NOT NULL,
    card_json      TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    added_at       TEXT NOT NULL,
    last_contact   TEXT
);
INSERT INTO "peers" VALUES('moscow',X'E0B40776703D9EDB4A79819475DE9371C533789FA0BC1B9D4D8B525F6C631BB6',X'43CB212CCD95E19DB7D093F2284A508A186D49C365B0936DE2E21B84AA132857','["moscow.example.net:7443", "moscow-backup.example.net:7443"]','Europe/Moscow',X'2D2D2D2D2D43455254206D6F73636F77','{"party": "moscow"}','e0b40776703d9edb','2026-11-22T04:31:14.123456Z','2026-11-22T04:00:09.000000Z');
CREATE TABLE presence_requests (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    peer         TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    channel      TEXT NOT NULL,
    note         TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    answered_at  TEXT,
    answered_by  TEXT
);
INSERT INTO "presence_requests" VALUES(1,'presence-1','moscow','in','leaders','at 1500Z','2026-11-22T04:00:16.000000Z','mos-op',NULL,NULL);
CREATE TABLE shift_notes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    at         TEXT NOT NULL,
    author_key BLOB NOT NULL,
    signature  BLOB NOT NULL
);
INSERT INTO "shift_notes" VALUES(1,'note-1','was-op','quiet night','2026-11-22T04:00:11.000000Z',X'5555555555555555555555555555555555555555555555555555555555555555',X'4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E4E');
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL,
    signing_key   BLOB NOT NULL,
    wrapped_key   BLOB NOT NULL,
    key_salt      BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO "users" VALUES('was-op','operator','$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA','en',X'5555555555555555555555555555555555555555555555555555555555555555',X'77726170706564',X'73616C74','2026-11-22T04:31:14.123456Z',0);
CREATE TRIGGER peers_keys_immutable
BEFORE UPDATE OF party, signing_key, encryption_key, added_at ON peers
BEGIN
    SELECT RAISE(ABORT, 'a peer''s name, keys and added_at never change');
END;
CREATE INDEX messages_created ON messages (created_at, serial);
CREATE INDEX messages_peer_created ON messages (peer, created_at, serial);
CREATE INDEX messages_pending ON messages (peer, serial)
WHERE direction = 'out' AND receipt IS NULL;
CREATE TRIGGER messages_serial_in_order
BEFORE INSERT ON messages
WHEN NEW.serial IS NOT (
    SELECT coalesce(max(serial), 0) + 1 FROM messages
    WHERE peer = NEW.peer AND direction = NEW.direction
)
BEGIN
    SELECT RAISE(ABORT, 'message serials run 1, 2, 3... per peer and direction');
END;
CREATE TRIGGER messages_content_immutable
BEFORE UPDATE OF id, direction, peer, channel, serial, time_group, sent_at, precedence, kind,
                 text, body, envelope, envelope_hash, created_at ON messages
BEGIN
    SELECT RAISE(ABORT, 'a stored message''s envelope, serial and content never change');
END;
CREATE TRIGGER messages_receipt_once
BEFORE UPDATE OF receipt, delivered_at ON messages
WHEN OLD.receipt IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a stored receipt never changes');
END;
CREATE TRIGGER messages_no_delete
BEFORE DELETE ON messages
BEGIN
    SELECT RAISE(ABORT, 'messages are never deleted');
END;
CREATE TRIGGER journal_no_update
BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_delete
BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_append_at_head
BEFORE INSERT ON journal
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM journal)
  OR NEW.prev_hash IS NOT coalesce(
        (SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), zeroblob(32))
BEGIN
    SELECT RAISE(ABORT, 'journal entries are appended at the head, chained to it');
END;
CREATE INDEX alarms_open ON alarms (since) WHERE cleared_at IS NULL;
CREATE TRIGGER alarms_cleared_once
BEFORE UPDATE ON alarms
WHEN OLD.cleared_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.peer IS NOT OLD.peer
  OR NEW.route IS NOT OLD.route OR NEW.since IS NOT OLD.since OR NEW.detail IS NOT OLD.detail
BEGIN
    SELECT RAISE(ABORT, 'an alarm is only ever cleared, once');
END;
CREATE TRIGGER alarms_no_delete
BEFORE DELETE ON alarms
BEGIN
    SELECT RAISE(ABORT, 'alarms are never deleted');
END;
CREATE TRIGGER acknowledgements_immutable
BEFORE UPDATE ON acknowledgements
BEGIN
    SELECT RAISE(ABORT, 'an acknowledgement is never changed');
END;
CREATE TRIGGER acknowledgements_no_delete
BEFORE DELETE ON acknowledgements
BEGIN
    SELECT RAISE(ABORT, 'an acknowledgement is never deleted');
END;
CREATE TRIGGER shift_notes_append_only
BEFORE UPDATE ON shift_notes
BEGIN
    SELECT RAISE(ABORT, 'shift notes are append-only');
END;
CREATE TRIGGER shift_notes_no_delete
BEFORE DELETE ON shift_notes
BEGIN
    SELECT RAISE(ABORT, 'shift notes are append-only');
END;
CREATE TRIGGER calls_ended_final
BEFORE UPDATE ON calls
WHEN OLD.outcome IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the record of an ended call is never changed');
END;
CREATE TRIGGER calls_no_delete
BEFORE DELETE ON calls
BEGIN
    SELECT RAISE(ABORT, 'a call record is never deleted');
END;
CREATE INDEX calls_live ON calls (seq) WHERE outcome IS NULL;
CREATE TRIGGER presence_answered_once
BEFORE UPDATE ON presence_requests
WHEN OLD.answered_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a presence request is answered once');
END;
CREATE TRIGGER presence_no_delete
BEFORE DELETE ON presence_requests
BEGIN
    SELECT RAISE(ABORT, 'a presence request is never deleted');
END;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('shift_notes',1);
INSERT INTO "sqlite_sequence" VALUES('calls',1);
INSERT INTO "sqlite_sequence" VALUES('presence_requests',1);
COMMIT;
