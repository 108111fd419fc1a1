/*
 * orchestrator-attempt-pq: the attempt supervisor (../CAttempt/attempt.c) writing to a
 * PostgreSQL run store through libpq (issue 21). The engine starts this one instead of
 * orchestrator-attempt when its store is `postgres://…`; the password, if any, comes from
 * PGPASSWORD in the environment the engine passes on, never from its arguments.
 *
 * The outcome is what survives a node's death: when the server cannot be reached (restarting,
 * a connection terminated), the write is tried again with backoff for up to ten minutes —
 * meanwhile this process is alive, so no engine calls the attempt lost.
 * Linked dynamically: libpq brings Kerberos, LDAP and OpenSSL, none of them made for a static
 * link; a start costs ~2 ms here against ~0.6 ms for the static SQLite one.
 */
#define _GNU_SOURCE 1
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "attempt.h"

static PGconn *conn;
static char *conninfo;
static char error[512] = "not connected";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet(void *arg, const char *message) { (void)arg; (void)message; }

static void keep_error(void) {
    const char *m = conn ? PQerrorMessage(conn) : "out of memory";
    snprintf(error, sizeof error, "%s", m && *m ? m : "unknown error");
    size_t n = strlen(error);
    while (n > 0 && (error[n - 1] == '\n' || error[n - 1] == ' ')) error[--n] = '\0';
}

/* Connected now, connecting or reconnecting as needed; 0 when usable. */
static int ensure(void) {
    if (!conninfo) return -1;
    if (conn && PQstatus(conn) == CONNECTION_OK) return 0;
    if (conn) PQreset(conn);
    else {
        conn = PQconnectdb(conninfo);
        if (conn) PQsetNoticeProcessor(conn, quiet, NULL);
    }
    if (conn && PQstatus(conn) == CONNECTION_OK) return 0;
    keep_error();
    return -1;
}

static int pq_open(const char *store) {
    /* A server that does not answer costs 5 s a try, not libpq's default of forever. */
    setenv("PGCONNECT_TIMEOUT", "5", 0);
    setenv("PGAPPNAME", "orchestrator-attempt", 0);
    free(conninfo);
    conninfo = strdup(store);
    return ensure();
}

/* Runs an UPDATE with text parameters: 0 done, 1 worth trying again (the connection), -1 refused. */
static int update(const char *sql, int count, const char *const *values) {
    if (ensure() != 0) return 1;
    PGresult *r = PQexecParams(conn, sql, count, NULL, values, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(r);
    int result = status == PGRES_COMMAND_OK ? 0 : -1;
    if (result != 0) {
        keep_error();
        /* The connection lost, or the server shutting down or starting up (57P01-3), or the
           transaction a victim of a deadlock or serialization: worth another try. */
        const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
        if (PQstatus(conn) != CONNECTION_OK || !state || strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0 ||
            strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
            result = 1;
    }
    PQclear(r);
    return result;
}

static int pq_record(const struct attempt_outcome *o) {
    char finished[32], code[16], sig[16], pid[16], run[24], number[24];
    snprintf(finished, sizeof finished, "%.6f", o->finished);
    snprintf(code, sizeof code, "%d", o->code);
    snprintf(sig, sizeof sig, "%d", o->sig);
    snprintf(pid, sizeof pid, "%d", (int)o->pid);
    snprintf(run, sizeof run, "%lld", o->run_id);
    snprintf(number, sizeof number, "%lld", o->attempt);
    const char *values[7] = {finished, o->has_code ? code : NULL, o->has_sig ? sig : NULL, o->name, o->pid > 0 ? pid : NULL, run, number};
    const char *sql =
        "UPDATE attempt SET finished_at = $1::float8, exit_code = $2::int, signal = $3::int, outcome = $4, pid = COALESCE($5::int, pid) "
        "WHERE run_id = $6::bigint AND number = $7::int AND outcome = 'running'";
    double deadline = now_seconds() + 600, pause = 0.1;
    for (int tries = 0;; tries++) {
        int r = update(sql, 7, values);
        if (r <= 0) {
            if (r == 0 && tries > 0) attempt_note("the outcome recorded after %d tries", tries + 1);
            return r;
        }
        if (tries == 0) attempt_note("the run store cannot be reached (%s); trying again for up to 10 minutes", error);
        if (now_seconds() + pause > deadline) return -1;
        usleep((useconds_t)(pause * 1e6));
        pause = pause * 2 > 2 ? 2 : pause * 2;
    }
}

static void pq_record_pid(const struct attempt_outcome *o) {
    char pid[16], run[24], number[24];
    snprintf(pid, sizeof pid, "%d", (int)o->pid);
    snprintf(run, sizeof run, "%lld", o->run_id);
    snprintf(number, sizeof number, "%lld", o->attempt);
    const char *values[3] = {pid, run, number};
    update("UPDATE attempt SET pid = $1::int WHERE run_id = $2::bigint AND number = $3::int", 3, values);
}

static const char *pq_error(void) { return error; }

/* postgres://user:secret@host/db → postgres://user@host/db */
static const char *pq_redacted(const char *store) {
    static char out[512];
    const char *scheme = strstr(store, "://"), *at = strchr(store, '@');
    if (!scheme || !at) return store;
    const char *colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
    if (!colon) return store;
    snprintf(out, sizeof out, "%.*s%s", (int)(colon - store), store, at);
    return out;
}

static void pq_close(void) {
    if (conn) PQfinish(conn);
    conn = NULL;
}

int main(int argc, char **argv) {
    static const struct attempt_store store = {pq_open, pq_record, pq_record_pid, pq_error, pq_redacted, pq_close};
    return attempt_main(argc, argv, &store);
}
