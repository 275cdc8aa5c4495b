import type { Knex } from "knex";
import { STATUS_NAMES, TERMINAL_STATUSES, sqlStatusList } from "../status.js";

/*
 * The first schema on PostgreSQL: the same tables as on SQLite (REAL becomes DOUBLE
 * PRECISION, messages gain a BIGSERIAL `rowid` for insertion order), triggers in plpgsql.
 *
 * Event order: sequence values are handed out in call order, not commit order, so a reader
 * tailing `seq > cursor` could skip an event whose transaction commits late. Every insert
 * into message_events therefore first takes one transaction-scoped advisory lock and only
 * then draws its seq: the lock is held until commit, so transactions that write events
 * commit one after another in seq order, and the tail is gap-free. Writers of events are
 * serialized, as they are on SQLite anyway. Each commit that wrote events sends one
 * NOTIFY, which wakes every daemon's poller.
 */

const ALL = sqlStatusList(STATUS_NAMES);
const TERMINAL = sqlStatusList(TERMINAL_STATUSES);
const EVENT_LOCK = 4_242_001;

const statements = [
  `CREATE FUNCTION claude_comms_now() RETURNS double precision LANGUAGE sql VOLATILE
   AS $$ SELECT extract(epoch FROM clock_timestamp())::double precision $$`,
  `CREATE FUNCTION claude_comms_is_json_object(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
   BEGIN RETURN jsonb_typeof(t::jsonb) = 'object'; EXCEPTION WHEN others THEN RETURN false; END $$`,
  `CREATE TABLE threads (
     thread_id TEXT PRIMARY KEY,
     title TEXT,
     modules TEXT,
     timestamp DOUBLE PRECISION DEFAULT claude_comms_now(),
     metadata TEXT
   )`,
  `CREATE TABLE messages (
     rowid BIGSERIAL UNIQUE,
     message_id TEXT PRIMARY KEY,
     thread_id TEXT NOT NULL,
     module TEXT,
     content TEXT,
     type TEXT,
     timestamp DOUBLE PRECISION DEFAULT claude_comms_now(),
     status TEXT DEFAULT 'pending',
     metadata TEXT,
     error TEXT,
     updated_at DOUBLE PRECISION,
     completed_at DOUBLE PRECISION
   )`,
  `CREATE INDEX messages_thread ON messages(thread_id, timestamp)`,
  `CREATE INDEX messages_status ON messages(status)`,
  `CREATE TABLE monitors (
     message_id TEXT PRIMARY KEY,
     registered_at DOUBLE PRECISION NOT NULL,
     timeout_ms BIGINT,
     deadline_at DOUBLE PRECISION,
     labels TEXT NOT NULL DEFAULT '{}'
   )`,
  `CREATE SEQUENCE message_events_seq`,
  `CREATE TABLE message_events (
     seq BIGINT PRIMARY KEY,
     message_id TEXT NOT NULL,
     thread_id TEXT,
     kind TEXT NOT NULL,
     from_status TEXT,
     to_status TEXT,
     content_length BIGINT NOT NULL DEFAULT 0,
     time DOUBLE PRECISION,
     detail TEXT
   )`,
  `CREATE INDEX message_events_message ON message_events(message_id, seq)`,
  `CREATE TABLE content_changes (message_id TEXT PRIMARY KEY)`,
  `CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT)`,

  `CREATE FUNCTION claude_comms_number_event() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_advisory_xact_lock(${EVENT_LOCK});
     NEW.seq := nextval('message_events_seq');
     IF NEW.time IS NULL THEN NEW.time := claude_comms_now(); END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER message_events_number BEFORE INSERT ON message_events
   FOR EACH ROW EXECUTE FUNCTION claude_comms_number_event()`,
  `CREATE FUNCTION claude_comms_notify() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN PERFORM pg_notify('claude_comms_events', ''); RETURN NULL; END $$`,
  `CREATE TRIGGER message_events_notify AFTER INSERT ON message_events
   FOR EACH STATEMENT EXECUTE FUNCTION claude_comms_notify()`,

  `CREATE FUNCTION claude_comms_messages_before() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF NEW.status IS NULL OR NEW.status NOT IN ${ALL} THEN
       RAISE EXCEPTION 'claude-comms: invalid status; use one of pending, processing, complete, failed, timed_out, cancelled';
     END IF;
     IF TG_OP = 'UPDATE' THEN
       IF OLD.status IN ${TERMINAL} AND NEW.status IS DISTINCT FROM OLD.status THEN
         RAISE EXCEPTION 'claude-comms: the message is in a terminal status, which is final';
       END IF;
       IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN NEW.updated_at := claude_comms_now(); END IF;
     END IF;
     IF NEW.status IN ${TERMINAL} AND NEW.completed_at IS NULL THEN NEW.completed_at := claude_comms_now(); END IF;
     RETURN NEW;
   END $$`,
  `CREATE TRIGGER messages_before BEFORE INSERT OR UPDATE ON messages
   FOR EACH ROW EXECUTE FUNCTION claude_comms_messages_before()`,
  `CREATE FUNCTION claude_comms_messages_after() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'INSERT' THEN
       INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, detail)
       VALUES (NEW.message_id, NEW.thread_id, 'created', NULL, NEW.status, COALESCE(octet_length(NEW.content), 0), NEW.error);
       RETURN NULL;
     END IF;
     IF NEW.status IS DISTINCT FROM OLD.status THEN
       INSERT INTO message_events (message_id, thread_id, kind, from_status, to_status, content_length, detail)
       VALUES (NEW.message_id, NEW.thread_id, 'status_changed', OLD.status, NEW.status, COALESCE(octet_length(NEW.content), 0), NEW.error);
     END IF;
     IF NEW.content IS DISTINCT FROM OLD.content AND EXISTS (SELECT 1 FROM monitors WHERE message_id = NEW.message_id) THEN
       INSERT INTO content_changes (message_id) VALUES (NEW.message_id) ON CONFLICT DO NOTHING;
       PERFORM pg_notify('claude_comms_events', ''); -- progress to sample, though no event yet
     END IF;
     RETURN NULL;
   END $$`,
  `CREATE TRIGGER messages_after AFTER INSERT OR UPDATE ON messages
   FOR EACH ROW EXECUTE FUNCTION claude_comms_messages_after()`,
];

/** Creates the PostgreSQL tables, functions and triggers. */
export async function upPostgres(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}
