/*
 * orchestrator-attempt: the attempt supervisor.
 *
 * The engine hands every attempt to one (started ahead and serving attempts one at a time with
 * --ready, or started for that attempt alone). It starts the job in its own session and process
 * group (stdin /dev/null, stdout and stderr appended to the attempt's log), records the job's
 * pid, enforces the timeout (SIGTERM to the group, SIGKILL after the grace period), kills
 * whatever the job left behind, and writes the outcome to the run store itself. So an attempt
 * that ends while the engine is down (killed, crashed, restarting) keeps its true exit code.
 *
 * Written in C against SQLite directly because it starts often and must start fast: well under
 * a millisecond, where a Swift executable with Foundation takes over ten.
 *
 * usage: orchestrator-attempt --store DB --run ID --attempt N --log PATH
 *                             [--timeout SECONDS] [--grace SECONDS] -- COMMAND [ARG...]
 *        orchestrator-attempt --store DB --ready
 * With --ready it is started ahead of the attempts it will supervise: it opens the store, then
 * reads attempts from stdin (a socket from the engine), each as its byte length in decimal and
 * a newline, then that many bytes of NUL-terminated fields — run id, attempt, log path, timeout
 * (negative: none), grace, argument count, the arguments, then the job's environment — and
 * supervises each as above. When an attempt's outcome is recorded it writes one byte, 'D', back
 * on the same descriptor and waits for the next. So the engine pays for an exec and a start-up
 * neither after a slot is due nor once per job. EOF where a request would start (the engine
 * closed its end, or died) ends it quietly, as does a failed write of 'D' or a stop signal.
 * Times are real seconds; the recorded finish time follows ORCHESTRATOR_CLOCK when it is set.
 * Exit status: the (last) job's, or 128 + signal; 127 when it could not start; 0 when it was
 * handed nothing; 64 for bad usage or a malformed attempt.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cspawn.h"

extern char **environ;

static int log_fd = -1;

static void note(const char *fmt, ...) {
    if (log_fd < 0) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(buf, sizeof buf, "orchestrator: ");
    n += vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    ssize_t w = write(log_fd, buf, (size_t)n);
    (void)w;
}

static double real_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The run's clock: ORCHESTRATOR_CLOCK = sim=YYYY-MM-DDTHH:MM:SS[.fff]Z;real=EPOCH;speed=X */
static double run_now(void) {
    const char *clock = getenv("ORCHESTRATOR_CLOCK");
    if (!clock || !*clock) return real_now();
    int y, mo, d, h, mi;
    double s, real, speed;
    const char *sim = strstr(clock, "sim="), *r = strstr(clock, "real="), *sp = strstr(clock, "speed=");
    if (!sim || !r || !sp) return real_now();
    if (sscanf(sim, "sim=%d-%d-%dT%d:%d:%lf", &y, &mo, &d, &h, &mi, &s) != 6) return real_now();
    if (sscanf(r, "real=%lf", &real) != 1 || sscanf(sp, "speed=%lf", &speed) != 1 || speed <= 0) return real_now();
    struct tm tm = {0};
    tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d; tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = 0;
    double anchor = (double)timegm(&tm) + s;
    return anchor + (real_now() - real) * speed;
}

static sqlite3 *db;

static int busy(void *unused, int count) {
    (void)unused;
    if (count >= 50000) return 0;
    usleep(200);
    return 1;
}

static int exec_retry(const char *sql, sqlite3_int64 a, sqlite3_int64 b, sqlite3_int64 c, int use_c,
                      double finished, int has_code, int code, int has_sig, int sig, const char *outcome) {
    if (!db) return -1;
    for (int tries = 0; tries < 50; tries++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
        int i = 1;
        if (outcome) {
            sqlite3_bind_double(st, i++, finished);
            if (has_code) sqlite3_bind_int(st, i++, code); else sqlite3_bind_null(st, i++);
            if (has_sig) sqlite3_bind_int(st, i++, sig); else sqlite3_bind_null(st, i++);
            sqlite3_bind_text(st, i++, outcome, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_int64(st, i++, c);
        }
        sqlite3_bind_int64(st, i++, a);
        sqlite3_bind_int64(st, i++, b);
        (void)use_c;
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE) return 0;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) return -1;
        usleep(100000);
    }
    return -1;
}

static void usage(void) {
    fprintf(stderr, "usage: orchestrator-attempt --store DB --run ID --attempt N --log PATH [--timeout S] [--grace S] -- COMMAND [ARG...]\n"
                    "       orchestrator-attempt --store DB --ready   (the attempt on stdin)\n");
    exit(64);
}

/* Opens the run store; on failure notes why and leaves db NULL (the outcome then goes
   unrecorded, and the engine calls the attempt lost). */
static void open_store(const char *store) {
    if (sqlite3_open_v2(store, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        note("cannot open the run store %s: %s", store, sqlite3_errmsg(db));
        sqlite3_close(db);
        db = NULL;
        return;
    }
    /* SQLite's own busy timeout backs off in steps of up to 100 ms; the engine holds the lock
       for well under a millisecond, so poll briefly instead (for up to 10 s). */
    sqlite3_busy_handler(db, busy, NULL);
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
    /* The engine checkpoints the log on a thread of its own (Checkpointer.swift); an outcome
       written here should not pay for copying everyone's pages. Without an engine the log grows
       by a few pages per attempt until the next process opens the store. */
    sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
}

/* Reads exactly n bytes from fd 0; 0 when they came, -1 otherwise (EOF, error, stop). */
static int read_exactly(char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(0, buf + got, n - got);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EINTR && !cspawn_stop_requested()) continue;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

/* Reads one request from stdin ("LENGTH\n" then LENGTH bytes of NUL-terminated fields): the
   field count with the fields in *fields (one allocation, *fields itself, to free), 0 at EOF
   before a request, -1 when it is malformed, cut short or interrupted by a stop signal. */
static int read_request(char ***fields) {
    char line[24];
    size_t len = 0;
    for (size_t k = 0;; k++) {
        if (k == sizeof line) return -1;
        ssize_t r = read(0, line + k, 1);
        if (r == 0) return k == 0 ? 0 : -1;
        if (r < 0) {
            if (errno == EINTR && !cspawn_stop_requested()) { k--; continue; }
            return -1;
        }
        if (line[k] == '\n') { if (k == 0) return -1; break; }
        if (line[k] < '0' || line[k] > '9' || len > 64u * 1024 * 1024) return -1;
        len = len * 10 + (size_t)(line[k] - '0');
    }
    if (len == 0) return -1;
    int count = 0;
    /* The fields' pointers and the bytes in one block: the caller frees *fields alone. */
    char *buf = malloc(len + 1);
    if (!buf) return -1;
    if (read_exactly(buf, len) != 0) { free(buf); return -1; }
    if (buf[len - 1] != '\0') buf[len++] = '\0';
    for (size_t i = 0; i < len; i++) if (buf[i] == '\0') count++;
    char **out = malloc(((size_t)count + 1) * sizeof *out + len);
    if (!out) { free(buf); return -1; }
    char *bytes = (char *)(out + count + 1);
    memcpy(bytes, buf, len);
    free(buf);
    int k = 0;
    for (size_t i = 0; i < len; i += strlen(bytes + i) + 1) out[k++] = bytes + i;
    out[k] = NULL;
    *fields = out;
    return count;
}

static const char *record_exit =
    "UPDATE attempt SET finished_at = ?, exit_code = ?, signal = ?, outcome = ? "
    "WHERE run_id = ? AND number = ? AND outcome = 'running'";

/* Supervises one attempt to its end and records it: the job's exit status (128 + signal; 127
   when it could not start). *stopped is set when a stop signal ended it. */
static int supervise(char **command, const char *log_path, long long run_id, long long attempt,
                     double timeout, double grace, const char *store_to_open, int *stopped_out) {
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    /* The job starts first, the store is opened after: reading its schema and mapping its log
       index is not on the path from a due slot to the job running. A store that cannot be
       opened is noted in the log; the job is still supervised (timeout, stop), and the engine
       finds its attempt unrecorded and calls it lost. */
    pid_t pid = 0;
    int rc = cspawn_session(&pid, command[0], command, environ, log_fd, strchr(command[0], '/') == NULL);
    if (store_to_open) open_store(store_to_open);
    if (rc != 0) {
        note("cannot start %s: %s", command[0], strerror(rc));
        exec_retry(record_exit, run_id, attempt, 0, 0, run_now(), 1, 127, 0, 0, "failed");
        if (log_fd >= 0) close(log_fd);
        log_fd = -1;
        return 127;
    }
    exec_retry("UPDATE attempt SET pid = ? WHERE run_id = ? AND number = ?", run_id, attempt, pid, 1, 0, 0, 0, 0, 0, NULL);

    int pidfd = cspawn_pidfd_open(pid);
    double deadline = timeout > 0 ? real_now() + timeout : -1;
    int terminated = 0, timed_out = 0, stopped = 0, status = 0, ended = 0;
    while (!ended) {
        double wait = 1.0;
        if (deadline > 0) { wait = deadline - real_now(); if (wait < 0) wait = 0; if (wait > 1) wait = 1; }
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };
            poll(&p, 1, (int)ceil(wait * 1000));
        } else {
            usleep(5000);
        }
        if (waitpid(pid, &status, WNOHANG) == pid) { ended = 1; break; }
        double now = real_now();
        if (cspawn_stop_requested() && !terminated) {
            note("stop requested: SIGTERM to the process group");
            killpg(pid, SIGTERM);
            terminated = stopped = 1;
            deadline = now + grace;
        } else if (deadline > 0 && now >= deadline) {
            if (!terminated) {
                note("timeout after %gs: SIGTERM to the process group", timeout);
                killpg(pid, SIGTERM);
                terminated = timed_out = 1;
                deadline = now + grace;
            } else {
                note("still running %gs after SIGTERM: SIGKILL to the process group", grace);
                killpg(pid, SIGKILL);
                deadline = -1;
            }
        }
    }
    /* Whatever the job started and left behind goes with it. */
    killpg(pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);

    int code = 0, kind = cspawn_decode(status, &code);
    const char *outcome = timed_out ? "timed_out" : stopped ? "killed" : (kind == 1 && code == 0) ? "succeeded" : "failed";
    if (exec_retry(record_exit, run_id, attempt, 0, 0, run_now(), kind == 1, code, kind == 2, code, outcome) != 0) {
        note("could not record the outcome in the run store: %s", db ? sqlite3_errmsg(db) : "it could not be opened");
    }
    if (log_fd >= 0) close(log_fd);
    log_fd = -1;
    *stopped_out = stopped;
    return kind == 2 ? 128 + code : code;
}

int main(int argc, char **argv) {
    const char *store = NULL, *log_path = NULL;
    long long run_id = -1, attempt = -1;
    double timeout = -1, grace = 5;
    int ready = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "--ready") == 0) { ready = 1; continue; }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--store") == 0) store = argv[++i];
        else if (strcmp(argv[i], "--run") == 0) run_id = atoll(argv[++i]);
        else if (strcmp(argv[i], "--attempt") == 0) attempt = atoll(argv[++i]);
        else if (strcmp(argv[i], "--log") == 0) log_path = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0) timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--grace") == 0) grace = atof(argv[++i]);
        else usage();
    }
    cspawn_catch_stop_signals();
    int stopped = 0;
    if (!ready) {
        if (!store || !log_path || run_id < 0 || attempt < 1 || i >= argc) usage();
        int status = supervise(argv + i, log_path, run_id, attempt, timeout, grace, store, &stopped);
        sqlite3_close(db);
        return status;
    }
    if (!store) usage();
    open_store(store);
    /* The environment it was started with; each attempt's replaces it while it runs (the
       recorded finish time reads ORCHESTRATOR_CLOCK from it). */
    char **own_environment = environ;
    int status = 0;
    for (;;) {
        char **f = NULL;
        int n = read_request(&f);
        if (n == 0 || (n < 0 && cspawn_stop_requested())) break;
        if (n < 7) { fprintf(stderr, "orchestrator-attempt: incomplete attempt on stdin\n"); status = 64; free(f); break; }
        run_id = atoll(f[0]);
        attempt = atoll(f[1]);
        int count = atoi(f[5]);
        if (count < 1 || 6 + count > n || run_id < 0 || attempt < 1) {
            fprintf(stderr, "orchestrator-attempt: malformed attempt on stdin\n");
            free(f);
            status = 64;
            break;
        }
        char **command = calloc((size_t)count + 1, sizeof *command);
        if (!command) { free(f); status = 70; break; }
        for (int k = 0; k < count; k++) command[k] = f[6 + k];
        /* The job's environment follows its arguments (the field list is NULL-terminated). */
        environ = f + 6 + count;
        status = supervise(command, f[2], run_id, attempt, atof(f[3]), atof(f[4]), NULL, &stopped);
        environ = own_environment;
        free(command);
        free(f);
        if (stopped || cspawn_stop_requested()) break;
        /* Recorded: say so, and wait for the next one. Nobody listening (a pipe, an engine gone)
           ends it here. */
        char done = 'D';
        if (send(0, &done, 1, MSG_NOSIGNAL) != 1) break;
    }
    sqlite3_close(db);
    return status;
}
