// The ledger's schema and its migrations (PRAGMA user_version steps on
// SQLite; the same versions, in PostgreSQL's dialect, below them).
#include "collector/ledger/ledger.h"

#include "collector/ledger/ledger_internal.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

namespace {

// ---------------------------------------------------------------------------
// The schema. Step i takes user_version i to i + 1. Append only.

// Version 1. Names follow the operator's words. CHECKs repeat the C++
// enums so that a hand edit in the sqlite3 shell cannot put a value in the
// file that the collector would then refuse to read.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE ledger_info (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- Random per file: generated Message-IDs stay unique even if the file is
-- lost and recreated and report ids start again at 1.
INSERT INTO ledger_info (key, value) VALUES ('message_id_token', lower(hex(randomblob(8))));

-- AUTOINCREMENT everywhere: ids are never reused, so an id in a mail or a
-- log line always means the same row.
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class TEXT NOT NULL DEFAULT 'trouble' CHECK (class IN ('trouble')),
  scope TEXT NOT NULL CHECK (scope IN ('platform', 'vm')),
  title TEXT NOT NULL CHECK (title <> ''),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'low')),
  service_level TEXT NOT NULL CHECK (service_level IN ('A', 'B', 'C', 'C-dev', '')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at INTEGER NOT NULL,
  detected_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  CHECK (scope = 'platform' OR service_level <> ''),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK (closed_at IS NULL OR closed_at >= detected_at)
);
CREATE INDEX incidents_by_status ON incidents (status, detected_at);
CREATE INDEX incidents_by_detection ON incidents (detected_at);

CREATE TABLE incident_monitors (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  system TEXT NOT NULL DEFAULT '',
  attached_at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, node, monitor)
) WITHOUT ROWID;
CREATE INDEX incident_monitors_by_monitor ON incident_monitors (node, monitor);

CREATE TABLE incident_affected_vms (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  vm TEXT NOT NULL CHECK (vm <> ''),
  system TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, vm)
) WITHOUT ROWID;

CREATE TABLE incident_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened', 'state-change', 'priority-change', 'acknowledged',
                                     'progress', 'work-start', 'work-done', 'closed')),
  actor TEXT NOT NULL CHECK (actor <> ''),
  node TEXT NOT NULL DEFAULT '',
  monitor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, at, id);

CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('node', 'system')),
  target TEXT NOT NULL CHECK (target <> ''),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  requested_by TEXT NOT NULL CHECK (requested_by <> ''),
  created_at INTEGER NOT NULL,
  cancelled_at INTEGER,
  start_mail_sent INTEGER NOT NULL DEFAULT 0 CHECK (start_mail_sent IN (0, 1)),
  end_mail_sent INTEGER NOT NULL DEFAULT 0 CHECK (end_mail_sent IN (0, 1)),
  CHECK (ends_at > starts_at)
);
CREATE INDEX suppressions_by_end ON suppressions (ends_at);

-- The outbox and the record of every report.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER REFERENCES incidents (id),
  suppression_id INTEGER REFERENCES suppressions (id),
  report_number INTEGER NOT NULL CHECK (report_number >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('first', 'continuing', 'final', 'work-start', 'work-done',
                                     'suppression-start', 'monitoring-resumed')),
  channel TEXT NOT NULL CHECK (channel IN ('mail', 'phone')),
  recipients TEXT NOT NULL CHECK (recipients <> ''),  -- one per line
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  message_id TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'sending', 'sent', 'failed-permanently')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  claimed_at INTEGER,
  sent_at INTEGER,
  -- Derived, so it can never disagree with the two times it compares.
  on_time INTEGER GENERATED ALWAYS AS
      (CASE WHEN sent_at IS NULL THEN NULL ELSE sent_at <= due_at END) VIRTUAL,
  last_error TEXT NOT NULL DEFAULT '',
  server_reply TEXT NOT NULL DEFAULT '',
  CHECK ((incident_id IS NULL) <> (suppression_id IS NULL)),
  CHECK ((suppression_id IS NOT NULL) = (kind IN ('suppression-start', 'monitoring-resumed'))),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX reports_by_message_id ON reports (message_id);
-- "Never repeat": the same report of an incident, or the same suppression
-- mail, cannot be queued twice, whatever the stage above does.
CREATE UNIQUE INDEX reports_one_per_number ON reports (incident_id, report_number, channel)
    WHERE incident_id IS NOT NULL;
CREATE UNIQUE INDEX reports_one_per_suppression_mail ON reports (suppression_id, kind, channel)
    WHERE suppression_id IS NOT NULL;
CREATE INDEX reports_pending ON reports (due_at, id) WHERE status = 'pending';
CREATE INDEX reports_by_incident ON reports (incident_id, created_at);
CREATE INDEX reports_by_due ON reports (due_at);
)sql";

// Version 2: resource usage for the monthly report (spec section 6). One row
// per node, monitor and Tokyo day rather than one per sample: 10,000 nodes x
// 5 monitors every 5 minutes would be 14 million rows a day, while the report
// needs only the average and the maximum. `last_at` makes a repeated offer of
// the same sample harmless. `day` is the Tokyo date 'YYYY-MM-DD', so a text
// comparison orders it and the sqlite3 shell reads it.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE resource_usage (
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  samples INTEGER NOT NULL CHECK (samples >= 1),
  sum REAL NOT NULL,
  max REAL NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (node, monitor, day)
) WITHOUT ROWID;
-- The report reads a month across all nodes.
CREATE INDEX resource_usage_by_day ON resource_usage (day);
)sql";

// v3: nothing confirmed is lost across a crash. A confirmed failure is
// written before it waits in its grouping window (pending_changes), and each
// monitor of an open incident keeps its latest status, so a restarted
// collector presumes exactly that until the monitor's first check.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE incident_monitors ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE incident_monitors ADD COLUMN status TEXT NOT NULL DEFAULT 'CRITICAL'
  CHECK (status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'));
ALTER TABLE incident_events ADD COLUMN to_status TEXT
  CHECK (to_status IS NULL OR to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'));
CREATE TABLE pending_changes (
  id INTEGER PRIMARY KEY,
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  kind TEXT NOT NULL,
  from_status TEXT NOT NULL CHECK (from_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  to_status TEXT NOT NULL CHECK (to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  detected_at INTEGER NOT NULL,
  first_seen_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  value REAL,
  recorded_at INTEGER NOT NULL
);
)sql";

// v4 (issue 11): incidents get a cause (platform / system / unknown) for the
// availability figures, the classes an operator opens by hand (request,
// question), who opened them, and the operator's provisional close (仮クローズ)
// before the manager's close; the timeline gets the matching event kinds; and
// the inventory's monitoring definitions are kept (inventory_items) with a
// change log (inventory_changes) for the monthly report.
//
// SQLite cannot change a CHECK in place, so the two tables are rebuilt the
// documented way (create, copy, drop, rename, check the foreign keys); Migrate
// runs every step with foreign keys off for that. Ids are copied, and the
// AUTOINCREMENT counters carried over, so no id is ever reused.
constexpr const char* kSchemaV4 = R"sql(
CREATE TABLE incidents_v4 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class TEXT NOT NULL DEFAULT 'trouble' CHECK (class IN ('trouble', 'request', 'question')),
  scope TEXT NOT NULL CHECK (scope IN ('platform', 'vm')),
  title TEXT NOT NULL CHECK (title <> ''),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'low')),
  service_level TEXT NOT NULL CHECK (service_level IN ('A', 'B', 'C', 'C-dev', '')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at INTEGER NOT NULL,
  detected_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  cause TEXT NOT NULL DEFAULT 'unknown' CHECK (cause IN ('platform', 'system', 'unknown')),
  opened_by TEXT NOT NULL DEFAULT 'mimamori' CHECK (opened_by <> ''),
  provisional_closed_at INTEGER,
  provisional_closed_by TEXT NOT NULL DEFAULT '',
  CHECK (scope = 'platform' OR service_level <> ''),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK (closed_at IS NULL OR closed_at >= detected_at),
  CHECK (provisional_closed_at IS NULL OR provisional_closed_at >= detected_at)
);
-- Before v4 every incident came from monitoring, so the cause is defaulted as
-- the engine now does: a platform incident's is the platform; a VM incident
-- without a ping failure (a process, port, service, web page or resource:
-- inside the VM) is the system's; a VM that stopped answering stays unknown
-- until an operator says.
INSERT INTO incidents_v4 (id, class, scope, title, priority, service_level, status, opened_at,
                          detected_at, closed_at, closed_by, acknowledged_at, acknowledged_by,
                          cause)
  SELECT id, class, scope, title, priority, service_level, status, opened_at, detected_at,
         closed_at, closed_by, acknowledged_at, acknowledged_by,
         CASE
           WHEN scope = 'platform' THEN 'platform'
           WHEN EXISTS (SELECT 1 FROM incident_monitors m WHERE m.incident_id = incidents.id)
                AND NOT EXISTS (SELECT 1 FROM incident_monitors m
                                WHERE m.incident_id = incidents.id AND m.monitor = 'ping')
             THEN 'system'
           ELSE 'unknown'
         END
  FROM incidents;
DELETE FROM sqlite_sequence WHERE name = 'incidents_v4';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'incidents_v4', seq FROM sqlite_sequence WHERE name = 'incidents';
DROP TABLE incidents;
ALTER TABLE incidents_v4 RENAME TO incidents;
CREATE INDEX incidents_by_status ON incidents (status, detected_at);
CREATE INDEX incidents_by_detection ON incidents (detected_at);

CREATE TABLE incident_events_v4 (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened', 'state-change', 'priority-change', 'acknowledged',
                                     'progress', 'work-start', 'work-done', 'closed',
                                     'provisional-close', 'cause-change')),
  actor TEXT NOT NULL CHECK (actor <> ''),
  node TEXT NOT NULL DEFAULT '',
  monitor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  to_status TEXT CHECK (to_status IS NULL OR to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'))
);
INSERT INTO incident_events_v4 (id, incident_id, at, kind, actor, node, monitor, text, to_status)
  SELECT id, incident_id, at, kind, actor, node, monitor, text, to_status FROM incident_events;
DELETE FROM sqlite_sequence WHERE name = 'incident_events_v4';
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'incident_events_v4', seq FROM sqlite_sequence WHERE name = 'incident_events';
DROP TABLE incident_events;
ALTER TABLE incident_events_v4 RENAME TO incident_events;
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, at, id);

-- What the inventory monitored at its latest load: one row per node and item
-- ("node" for the node's own settings, "ping", "process:httpd", ...), with a
-- canonical text of its definition. Each load compares against it.
CREATE TABLE inventory_items (
  node TEXT NOT NULL CHECK (node <> ''),
  item TEXT NOT NULL CHECK (item <> ''),
  definition TEXT NOT NULL,
  PRIMARY KEY (node, item)
) WITHOUT ROWID;
CREATE TABLE inventory_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
  node TEXT NOT NULL CHECK (node <> ''),
  item TEXT NOT NULL CHECK (item <> ''),
  before TEXT NOT NULL DEFAULT '',
  after TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inventory_changes_by_time ON inventory_changes (at);
)sql";

// ---------------------------------------------------------------------------
// PostgreSQL. The same tables, columns, CHECKs and indexes as SQLite's
// version 4, in PostgreSQL's types: BIGINT for every integer (milliseconds
// do not fit in INTEGER), identity columns for AUTOINCREMENT (ids never
// reused), a stored generated on_time. PostgreSQL ledgers began at version 4;
// step 1 makes ledger_info (which holds the version), steps 2 and 3 have
// nothing to do, step 4 makes the tables. From version 5 on, each version is
// one step in each dialect.

constexpr const char* kPostgresSchemaV1 = R"sql(
CREATE TABLE ledger_info (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO ledger_info (key, value)
  VALUES ('message_id_token', substr(md5(random()::text || clock_timestamp()::text), 1, 16));
)sql";

constexpr const char* kPostgresSchemaV4 = R"sql(
CREATE TABLE incidents (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  class TEXT NOT NULL DEFAULT 'trouble' CHECK (class IN ('trouble', 'request', 'question')),
  scope TEXT NOT NULL CHECK (scope IN ('platform', 'vm')),
  title TEXT NOT NULL CHECK (title <> ''),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'low')),
  service_level TEXT NOT NULL CHECK (service_level IN ('A', 'B', 'C', 'C-dev', '')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at BIGINT NOT NULL,
  detected_at BIGINT NOT NULL,
  closed_at BIGINT,
  closed_by TEXT NOT NULL DEFAULT '',
  acknowledged_at BIGINT,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  cause TEXT NOT NULL DEFAULT 'unknown' CHECK (cause IN ('platform', 'system', 'unknown')),
  opened_by TEXT NOT NULL DEFAULT 'mimamori' CHECK (opened_by <> ''),
  provisional_closed_at BIGINT,
  provisional_closed_by TEXT NOT NULL DEFAULT '',
  CHECK (scope = 'platform' OR service_level <> ''),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK (closed_at IS NULL OR closed_at >= detected_at),
  CHECK (provisional_closed_at IS NULL OR provisional_closed_at >= detected_at)
);
CREATE INDEX incidents_by_status ON incidents (status, detected_at);
CREATE INDEX incidents_by_detection ON incidents (detected_at);

CREATE TABLE incident_monitors (
  incident_id BIGINT NOT NULL REFERENCES incidents (id),
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  system TEXT NOT NULL DEFAULT '',
  attached_at BIGINT NOT NULL,
  kind TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'CRITICAL'
    CHECK (status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  PRIMARY KEY (incident_id, node, monitor)
);
CREATE INDEX incident_monitors_by_monitor ON incident_monitors (node, monitor);

CREATE TABLE incident_affected_vms (
  incident_id BIGINT NOT NULL REFERENCES incidents (id),
  vm TEXT NOT NULL CHECK (vm <> ''),
  system TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  added_at BIGINT NOT NULL,
  PRIMARY KEY (incident_id, vm)
);

CREATE TABLE incident_events (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  incident_id BIGINT NOT NULL REFERENCES incidents (id),
  at BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened', 'state-change', 'priority-change', 'acknowledged',
                                     'progress', 'work-start', 'work-done', 'closed',
                                     'provisional-close', 'cause-change')),
  actor TEXT NOT NULL CHECK (actor <> ''),
  node TEXT NOT NULL DEFAULT '',
  monitor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT '',
  to_status TEXT CHECK (to_status IS NULL OR to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'))
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, at, id);

CREATE TABLE suppressions (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('node', 'system')),
  target TEXT NOT NULL CHECK (target <> ''),
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  requested_by TEXT NOT NULL CHECK (requested_by <> ''),
  created_at BIGINT NOT NULL,
  cancelled_at BIGINT,
  start_mail_sent BIGINT NOT NULL DEFAULT 0 CHECK (start_mail_sent IN (0, 1)),
  end_mail_sent BIGINT NOT NULL DEFAULT 0 CHECK (end_mail_sent IN (0, 1)),
  CHECK (ends_at > starts_at)
);
CREATE INDEX suppressions_by_end ON suppressions (ends_at);

CREATE TABLE reports (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  incident_id BIGINT REFERENCES incidents (id),
  suppression_id BIGINT REFERENCES suppressions (id),
  report_number BIGINT NOT NULL CHECK (report_number >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('first', 'continuing', 'final', 'work-start', 'work-done',
                                     'suppression-start', 'monitoring-resumed')),
  channel TEXT NOT NULL CHECK (channel IN ('mail', 'phone')),
  recipients TEXT NOT NULL CHECK (recipients <> ''),
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  message_id TEXT NOT NULL,
  due_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'sending', 'sent', 'failed-permanently')),
  attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at BIGINT NOT NULL,
  claimed_at BIGINT,
  sent_at BIGINT,
  on_time BIGINT GENERATED ALWAYS AS
      (CASE WHEN sent_at IS NULL THEN NULL WHEN sent_at <= due_at THEN 1 ELSE 0 END) STORED,
  last_error TEXT NOT NULL DEFAULT '',
  server_reply TEXT NOT NULL DEFAULT '',
  CHECK ((incident_id IS NULL) <> (suppression_id IS NULL)),
  CHECK ((suppression_id IS NOT NULL) = (kind IN ('suppression-start', 'monitoring-resumed'))),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX reports_by_message_id ON reports (message_id);
CREATE UNIQUE INDEX reports_one_per_number ON reports (incident_id, report_number, channel)
    WHERE incident_id IS NOT NULL;
CREATE UNIQUE INDEX reports_one_per_suppression_mail ON reports (suppression_id, kind, channel)
    WHERE suppression_id IS NOT NULL;
CREATE INDEX reports_pending ON reports (due_at, id) WHERE status = 'pending';
CREATE INDEX reports_by_incident ON reports (incident_id, created_at);
CREATE INDEX reports_by_due ON reports (due_at);

CREATE TABLE resource_usage (
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  day TEXT NOT NULL CHECK (day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
  samples BIGINT NOT NULL CHECK (samples >= 1),
  sum DOUBLE PRECISION NOT NULL,
  max DOUBLE PRECISION NOT NULL,
  last_at BIGINT NOT NULL,
  PRIMARY KEY (node, monitor, day)
);
CREATE INDEX resource_usage_by_day ON resource_usage (day);

CREATE TABLE pending_changes (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  kind TEXT NOT NULL,
  from_status TEXT NOT NULL CHECK (from_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  to_status TEXT NOT NULL CHECK (to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  detected_at BIGINT NOT NULL,
  first_seen_at BIGINT NOT NULL,
  reason TEXT NOT NULL,
  value DOUBLE PRECISION,
  recorded_at BIGINT NOT NULL
);

CREATE TABLE inventory_items (
  node TEXT NOT NULL CHECK (node <> ''),
  item TEXT NOT NULL CHECK (item <> ''),
  definition TEXT NOT NULL,
  PRIMARY KEY (node, item)
);
CREATE TABLE inventory_changes (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  at BIGINT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
  node TEXT NOT NULL CHECK (node <> ''),
  item TEXT NOT NULL CHECK (item <> ''),
  before TEXT NOT NULL DEFAULT '',
  after TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inventory_changes_by_time ON inventory_changes (at);
)sql";

}  // namespace

const std::vector<std::string>& LedgerMigrations() {
  static const std::vector<std::string> migrations = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4};
  return migrations;
}

const std::vector<std::string>& PostgresLedgerMigrations() {
  static const std::vector<std::string> migrations = {kPostgresSchemaV1, "", "", kPostgresSchemaV4};
  return migrations;
}

}  // namespace mimamori::collector
