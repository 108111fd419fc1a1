/*
 * orchestrator-attempt: the per-attempt supervisor.
 *
 * The engine starts one for every attempt. It starts the job in its own session and process
 * group (stdin /dev/null, stdout and stderr appended to the attempt's log), records the job's
 * pid, enforces the timeout (SIGTERM to the group, SIGKILL after the grace period), kills
 * whatever the job left behind, and writes the outcome to the run store itself. So an attempt
 * that ends while the engine is down (killed, crashed, restarting) keeps its true exit code.
 *
 * Written in C against SQLite directly because it runs once per attempt: it starts in well under
 * a millisecond, where a Swift executable with Foundation takes over ten.
 *
 * usage: orchestrator-attempt --store DB --run ID --attempt N --log PATH
 *                             [--timeout SECONDS] [--grace SECONDS] -- COMMAND [ARG...]
 *        orchestrator-attempt --store DB --ready
 * With --ready it is started ahead of the attempt it will supervise: it opens the store, then
 * reads the attempt from stdin until EOF as NUL-terminated fields — run id, attempt, log path,
 * timeout (negative: none), grace, argument count, the arguments, then the job's environment —
 * and goes on as above. So the engine pays for its exec and start-up before the slot is due,
 * not after. EOF with nothing read (the engine closed it, or died) exits 0 quietly.
 * Times are real seconds; the recorded finish time follows ORCHESTRATOR_CLOCK when it is set.
 * Exit status: the job's, or 128 + signal; 127 when it could not start; 64 for bad usage.
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

/* Reads stdin to EOF and splits it at NULs: returns the field count (0 for nothing, -1 when
   interrupted by a stop signal), the fields in *fields. */
static int read_request(char ***fields) {
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    if (!buf) return -1;
    for (;;) {
        if (len + 4096 > cap) {
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown) return -1;
            buf = grown;
        }
        ssize_t n = read(0, buf + len, cap - len - 1);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR && !cspawn_stop_requested()) continue;
            return -1;
        }
        len += (size_t)n;
    }
    if (len == 0) return 0;
    if (buf[len - 1] != '\0') buf[len++] = '\0';
    int count = 0;
    for (size_t i = 0; i < len; i++) if (buf[i] == '\0') count++;
    char **out = calloc((size_t)count + 1, sizeof *out);
    if (!out) return -1;
    int k = 0;
    for (size_t i = 0; i < len; i += strlen(buf + i) + 1) out[k++] = buf + i;
    *fields = out;
    return count;
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
    char **command = NULL;
    cspawn_catch_stop_signals();
    if (ready) {
        if (!store) usage();
        open_store(store);
        char **f = NULL;
        int n = read_request(&f);
        if (n <= 0) { if (db) sqlite3_close(db); return 0; }
        if (n < 7) { fprintf(stderr, "orchestrator-attempt: incomplete attempt on stdin\n"); return 64; }
        run_id = atoll(f[0]);
        attempt = atoll(f[1]);
        log_path = f[2];
        timeout = atof(f[3]);
        grace = atof(f[4]);
        int count = atoi(f[5]);
        if (count < 1 || 6 + count > n || run_id < 0 || attempt < 1) {
            fprintf(stderr, "orchestrator-attempt: malformed attempt on stdin\n");
            return 64;
        }
        command = calloc((size_t)count + 1, sizeof *command);
        if (!command) return 70;
        for (int k = 0; k < count; k++) command[k] = f[6 + k];
        /* The job's environment follows its arguments (the field list is NULL-terminated); it
           is ours too from here on: the recorded finish time reads ORCHESTRATOR_CLOCK from it. */
        environ = f + 6 + count;
    } else {
        if (!store || !log_path || run_id < 0 || attempt < 1 || i >= argc) usage();
        command = argv + i;
    }
    log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

    static const char *record_exit =
        "UPDATE attempt SET finished_at = ?, exit_code = ?, signal = ?, outcome = ? "
        "WHERE run_id = ? AND number = ? AND outcome = 'running'";

    /* The job starts first, the store is opened after: reading its schema and mapping its log
       index is not on the path from a due slot to the job running. A store that cannot be
       opened is noted in the log; the job is still supervised (timeout, stop), and the engine
       finds its attempt unrecorded and calls it lost. */
    pid_t pid = 0;
    int rc = cspawn_session(&pid, command[0], command, environ, log_fd, strchr(command[0], '/') == NULL);
    if (!ready) open_store(store);
    if (rc != 0) {
        note("cannot start %s: %s", command[0], strerror(rc));
        exec_retry(record_exit, run_id, attempt, 0, 0, run_now(), 1, 127, 0, 0, "failed");
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
    sqlite3_close(db);
    if (log_fd >= 0) close(log_fd);
    return kind == 2 ? 128 + code : code;
}
