/// The run store's schema and its coordinating statements on PostgreSQL (issue 21): the same
/// tables and constraints as SQLite's (`SQLiteRunStore.migrator`), and the statements on which several
/// orchestrator nodes agree without a protocol of their own — the database does the
/// coordinating, as in Airflow's HA schedulers, Quartz's JDBC store, River and Oban.
///
/// - A slot is claimed once: `UNIQUE (job, scheduled_for)` and `INSERT … ON CONFLICT DO NOTHING
///   RETURNING id` — the loser of a race gets no row, never an error or a duplicate.
/// - An attempt is started by compare-and-set under READ COMMITTED: the `UPDATE … WHERE state IN
///   (…) RETURNING` re-checks the row after waiting on a concurrent writer's lock, so of two nodes
///   starting the same queued run one gets the row and the other none.
/// - "What changed since" cannot be a cursor on `transition.id`: sequence values are taken in one
///   order and committed in another, so a reader at id 12 could skip an 11 that commits later.
///   Each transition records its transaction (`xid`, `pg_current_xact_id()`); a reader takes only
///   rows of transactions older than its snapshot's xmin (every one of them has committed or
///   aborted), in (xid, id) order, and keeps (xid, id) as its cursor.
public enum PostgresSchema {
    /// Migrations in order: (identifier, SQL). Identifiers match SQLite's where the tables do.
    public static let migrations: [(String, String)] = [
        (
            "v1",
            """
            CREATE TABLE run (
                id BIGSERIAL PRIMARY KEY,
                job TEXT NOT NULL,
                trading_day TEXT NOT NULL,
                scheduled_for DOUBLE PRECISION,
                trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'upstream', 'catch-up')),
                state TEXT NOT NULL CHECK (state IN ('pending', 'queued', 'running', 'retrying', 'succeeded', 'failed',
                                                     'upstream_failed', 'skipped', 'missed', 'cancelled')),
                attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                created_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                exit_code INTEGER,
                next_attempt_at DOUBLE PRECISION,
                params TEXT NOT NULL DEFAULT '{}',
                cause_run_id BIGINT REFERENCES run(id),
                reason TEXT,
                UNIQUE (job, scheduled_for)
            );
            CREATE INDEX run_by_created ON run(created_at);
            CREATE INDEX run_by_job ON run(job, created_at);
            CREATE INDEX run_by_day ON run(trading_day, job);
            CREATE INDEX run_active ON run(state) WHERE state IN ('pending', 'queued', 'running', 'retrying');
            CREATE TABLE attempt (
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                number INTEGER NOT NULL CHECK (number >= 1),
                pid INTEGER,
                shim_pid INTEGER,
                shim_start BIGINT,
                engine_pid INTEGER,
                engine_start BIGINT,
                started_at DOUBLE PRECISION NOT NULL,
                finished_at DOUBLE PRECISION,
                exit_code INTEGER,
                signal INTEGER,
                outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'timed_out', 'lost', 'killed')),
                log TEXT NOT NULL,
                PRIMARY KEY (run_id, number)
            );
            CREATE TABLE transition (
                id BIGSERIAL PRIMARY KEY,
                xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
                run_id BIGINT NOT NULL REFERENCES run(id) ON DELETE CASCADE,
                at DOUBLE PRECISION NOT NULL,
                from_state TEXT,
                to_state TEXT NOT NULL,
                reason TEXT
            );
            CREATE INDEX transition_by_run ON transition(run_id, id);
            CREATE INDEX transition_by_commit ON transition(xid, id);
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        ),
        (
            "v2 services",
            """
            CREATE TABLE service (
                name TEXT PRIMARY KEY,
                state TEXT NOT NULL CHECK (state IN ('stopped', 'starting', 'running', 'unhealthy', 'backoff', 'failed', 'inactive', 'stopping')),
                pid INTEGER,
                started_at DOUBLE PRECISION,
                run_id BIGINT REFERENCES run(id),
                restarts INTEGER NOT NULL DEFAULT 0,
                last_exit_code INTEGER,
                last_signal INTEGER,
                last_exit_at DOUBLE PRECISION,
                health_ok BOOLEAN,
                health_checked_at DOUBLE PRECISION,
                health_detail TEXT,
                reason TEXT,
                next_start_at DOUBLE PRECISION,
                updated_at DOUBLE PRECISION NOT NULL
            );
            CREATE TABLE service_event (
                id BIGSERIAL PRIMARY KEY,
                xid XID8 NOT NULL DEFAULT pg_current_xact_id(),
                service TEXT NOT NULL,
                run_id BIGINT REFERENCES run(id),
                at DOUBLE PRECISION NOT NULL,
                kind TEXT NOT NULL,
                state TEXT NOT NULL,
                pid INTEGER,
                detail TEXT
            );
            CREATE INDEX service_event_by_service ON service_event(service, id);
            CREATE INDEX service_event_by_commit ON service_event(xid, id);
            """
        ),
        // Several nodes (issue 21): who they are and when each last said so (the database's
        // clock, never theirs), the leader's lease with its term, and the node of every attempt
        // and service.
        (
            "v3 nodes",
            """
            ALTER TABLE attempt ADD COLUMN node TEXT;
            ALTER TABLE service ADD COLUMN node TEXT;
            CREATE TABLE node (
                name TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                process_start BIGINT,
                labels TEXT NOT NULL DEFAULT '',
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                stopped_at TIMESTAMPTZ
            );
            CREATE TABLE lease (
                name TEXT PRIMARY KEY,
                node TEXT NOT NULL,
                term BIGINT NOT NULL CHECK (term >= 1),
                expires_at TIMESTAMPTZ NOT NULL
            );
            """
        ),
    ]

    /// The whole schema with its migrations recorded, for a new database.
    public static var install: String {
        "CREATE TABLE IF NOT EXISTS schema_migrations (identifier TEXT PRIMARY KEY);\n"
            + migrations.map { id, sql in
                "BEGIN;\n\(sql)\nINSERT INTO schema_migrations (identifier) VALUES ('\(id)');\nCOMMIT;\n"
            }.joined()
    }

    /// Claims a slot: $1 job, $2 trading day, $3 scheduled_for, $4 trigger, $5 state, $6 now.
    /// One row (the run's id) for the claimer, none for everyone else; its transition in the
    /// same statement.
    public static let claimSlot = """
        WITH claimed AS (
            INSERT INTO run (job, trading_day, scheduled_for, trigger, state, created_at)
            VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job, scheduled_for) DO NOTHING RETURNING id, state, created_at
        ), logged AS (
            INSERT INTO transition (run_id, at, from_state, to_state) SELECT id, created_at, NULL, state FROM claimed
        )
        SELECT id FROM claimed
        """

    /// Starts the next attempt of a run still queued or retrying: $1 run id, $2 now. The run's
    /// new attempt count for the one node that moved it; no row for any other.
    public static let startAttempt = """
        UPDATE run SET state = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, $2)
        WHERE id = $1 AND state IN ('queued', 'retrying') RETURNING attempts
        """

    /// The transitions committed since the cursor ($1 xid, $2 id): only those of transactions
    /// older than this snapshot's xmin, so none can still appear behind the cursor.
    public static let transitionsSince = """
        SELECT xid, id, run_id, at, from_state, to_state FROM transition
        WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) AND (xid, id) > ($1::xid8, $2::bigint)
        ORDER BY xid, id LIMIT 10000
        """
}
