/*
 * orchestrator-attempt: the attempt supervisor (../CAttempt/attempt.c) writing to a SQLite run
 * store directly. Linked statically (Package.swift): it starts once per attempt.
 */
#define _GNU_SOURCE 1
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>
#include "attempt.h"

static sqlite3 *db;
static char open_error[256] = "it could not be opened";
static sqlite3_stmt *record_exit_stmt, *record_pid_stmt;

static int busy(void *unused, int count) {
    (void)unused;
    if (count >= 50000) return 0;
    usleep(200);
    return 1;
}

/* Runs one of the two statements (prepared once) with its arguments, retrying while the
   store is busy; 0 when done. */
static int store_exec(sqlite3_stmt **cached, const char *sql, const struct attempt_outcome *o, int pid_only) {
    if (!db) return -1;
    if (!*cached && sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, cached, NULL) != SQLITE_OK) return -1;
    sqlite3_stmt *st = *cached;
    for (int tries = 0; tries < 50; tries++) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        int i = 1;
        if (pid_only) {
            sqlite3_bind_int64(st, i++, o->pid);
        } else {
            sqlite3_bind_double(st, i++, o->finished);
            if (o->has_code) sqlite3_bind_int(st, i++, o->code); else sqlite3_bind_null(st, i++);
            if (o->has_sig) sqlite3_bind_int(st, i++, o->sig); else sqlite3_bind_null(st, i++);
            sqlite3_bind_text(st, i++, o->name, -1, SQLITE_STATIC);
            if (o->pid > 0) sqlite3_bind_int64(st, i++, o->pid); else sqlite3_bind_null(st, i++);
        }
        sqlite3_bind_int64(st, i++, o->run_id);
        sqlite3_bind_int64(st, i++, o->attempt);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE) return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) return -1;
        usleep(100000);
    }
    return -1;
}

static int sqlite_open(const char *store) {
    if (sqlite3_open_v2(store, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(open_error, sizeof open_error, "%s", sqlite3_errmsg(db));
        sqlite3_close(db);
        db = NULL;
        return -1;
    }
    /* SQLite's own busy timeout backs off in steps of up to 100 ms; the engine holds the lock
       for well under a millisecond, so poll briefly instead (for up to 10 s). */
    sqlite3_busy_handler(db, busy, NULL);
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    /* The engine checkpoints the log on a thread of its own (Checkpointer.swift); an outcome
       written here should not pay for copying everyone's pages. Without an engine the log grows
       by a few pages per attempt until the next process opens the store. */
    sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
    return 0;
}

static int sqlite_record(const struct attempt_outcome *o) {
    return store_exec(&record_exit_stmt,
                      "UPDATE attempt SET finished_at = ?, exit_code = ?, signal = ?, outcome = ?, pid = COALESCE(?, pid) "
                      "WHERE run_id = ? AND number = ? AND outcome = 'running'", o, 0);
}

static void sqlite_record_pid(const struct attempt_outcome *o) {
    store_exec(&record_pid_stmt, "UPDATE attempt SET pid = ? WHERE run_id = ? AND number = ?", o, 1);
}

static const char *sqlite_error(void) { return db ? sqlite3_errmsg(db) : open_error; }

static const char *sqlite_redacted(const char *store) { return store; }

static void sqlite_close(void) {
    sqlite3_finalize(record_exit_stmt);
    sqlite3_finalize(record_pid_stmt);
    sqlite3_close(db);
    record_exit_stmt = record_pid_stmt = NULL;
    db = NULL;
}

int main(int argc, char **argv) {
    static const struct attempt_store store = {sqlite_open, sqlite_record, sqlite_record_pid, sqlite_error, sqlite_redacted, sqlite_close};
    return attempt_main(argc, argv, &store);
}
