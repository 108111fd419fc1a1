#ifndef ATTEMPT_H
#define ATTEMPT_H
#include <sys/types.h>

/* The attempt supervisor (attempt.c), shared by orchestrator-attempt (SQLite) and
   orchestrator-attempt-pq (PostgreSQL): each executable provides the store functions below and
   a main() that calls attempt_main. */

/* An attempt's outcome, as recorded or reported. */
struct attempt_outcome {
    long long run_id, attempt;
    double finished;
    int has_code, code, has_sig, sig;
    pid_t pid;
    const char *name;
};

/* A line in the attempt's log, prefixed "orchestrator: " (nothing when there is no log). */
void attempt_note(const char *fmt, ...);

/* The store, as each executable writes it (function pointers, so that this library links into
   anything without an implementation of its own). */
struct attempt_store {
    /* Opens (or connects to) the store; 0 when it can be written now. A failure is not final:
       `record` tries again where it can. */
    int (*open)(const char *store);
    /* UPDATE attempt SET finished_at, exit_code, signal, outcome, pid = COALESCE(pid, …)
       WHERE run_id, number AND outcome = 'running'; 0 when written (or nothing to write). */
    int (*record)(const struct attempt_outcome *o);
    /* UPDATE attempt SET pid WHERE run_id, number: best effort. */
    void (*record_pid)(const struct attempt_outcome *o);
    /* Why the last call failed, for the log (never a password). */
    const char *(*error)(void);
    /* The store's name as it may be printed (a password in an address left out). */
    const char *(*redacted)(const char *store);
    void (*close)(void);
};

int attempt_main(int argc, char **argv, const struct attempt_store *store);

#endif
