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
 * Written in C because it starts often and must start fast: well under a millisecond, where a
 * Swift executable with Foundation takes over ten. This file is the supervisor; the store it
 * writes to is each executable's (attempt.h): orchestrator-attempt writes to SQLite directly
 * (linked statically), orchestrator-attempt-pq to PostgreSQL through libpq.
 *
 * usage: orchestrator-attempt --store DB --run ID --attempt N --log PATH
 *                             [--timeout SECONDS] [--grace SECONDS] -- COMMAND [ARG...]
 *        orchestrator-attempt --store DB --ready
 * With --ready it is started ahead of the attempts it will supervise: it opens the store, then
 * reads attempts from stdin (a socket from the engine), each as its byte length in decimal and
 * a newline, then that many bytes of NUL-terminated fields — run id, attempt, log path, timeout
 * (negative: none), grace, argument count, the arguments, then the job's environment — and
 * supervises each as above, with one difference: when the job has ended it reports the outcome
 * on the same descriptor instead of writing it, one line
 *     D <outcome> <exit code or -> <signal or -> <finished at> <pid>
 * and the engine commits it with the rest of its decision round (one writer, one commit, where
 * the supervisor's own commit cost a second writer on the store and a cold page cache for the
 * engine). The outcome stays owed until the engine hands it the next attempt (which it does only
 * after committing the report) — if instead the socket closes (the engine retired it, or died), a
 * stop signal comes, or the report cannot be sent (a pipe: nobody reads it), it writes the outcome
 * to the store itself, as the single-attempt form always does, and exits. So an attempt that ends
 * while the engine is down still gets its true exit code, and the engine pays for an exec and a
 * start-up neither after a slot is due nor once per job.
 * The job's pid is recorded with its outcome, and before that once it has run for 50 ms (a
 * job that ends sooner never costs a write for it). The log's directory is created here when
 * it does not exist yet (one level, under the logs directory the engine made).
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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cspawn.h"
#include "attempt.h"

extern char **environ;

static int log_fd = -1;

void attempt_note(const char *fmt, ...) {
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

static const struct attempt_store *store;

/* Writes an outcome to the store (only over a `running` attempt: a decision already taken, a
   `lost`, or the engine's commit of the same report, is never overwritten). */
static void record(const struct attempt_outcome *o) {
    if (store->record(o) != 0) attempt_note("could not record the outcome in the run store: %s", store->error());
}

static void record_pid(const struct attempt_outcome *o) { store->record_pid(o); }

static void usage(void) {
    fprintf(stderr, "usage: orchestrator-attempt --store DB --run ID --attempt N --log PATH [--timeout S] [--grace S] -- COMMAND [ARG...]\n"
                    "       orchestrator-attempt --store DB --ready   (the attempt on stdin)\n");
    exit(64);
}

/* Opens the run store; on failure notes why (the outcome then goes unrecorded unless the store
   can be reached when it is recorded, and the engine calls the attempt lost). */
static void open_store(const char *name) {
    if (store->open(name) != 0) attempt_note("cannot open the run store %s: %s", store->redacted(name), store->error());
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

/* Opens the attempt's log for appending, creating its directory (one level) if needed. */
static int open_log(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != ENOENT) return fd;
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return -1;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return -1;
    memcpy(dir, path, n);
    dir[n] = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return -1;
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Supervises one attempt to its end: the job's exit status (128 + signal; 127 when it could
   not start), its outcome in *o, which is recorded in the store unless `report` (the caller
   then reports it to the engine). *stopped is set when a stop signal ended it. */
static int supervise(char **command, const char *log_path, long long run_id, long long attempt,
                     double timeout, double grace, const char *store_to_open, int report,
                     struct attempt_outcome *o, int *stopped_out) {
    log_fd = open_log(log_path);
    *o = (struct attempt_outcome){ .run_id = run_id, .attempt = attempt };
    *stopped_out = 0;

    /* The job starts first, the store is opened after: reading its schema and mapping its log
       index is not on the path from a due slot to the job running. A store that cannot be
       opened is noted in the log; the job is still supervised (timeout, stop), and the engine
       finds its attempt unrecorded and calls it lost. */
    pid_t pid = 0;
    int rc = cspawn_session(&pid, command[0], command, environ, log_fd, strchr(command[0], '/') == NULL);
    if (store_to_open) open_store(store_to_open);
    if (rc != 0) {
        attempt_note("cannot start %s: %s", command[0], strerror(rc));
        o->finished = run_now();
        o->has_code = 1;
        o->code = 127;
        o->name = "failed";
        if (!report) record(o);
        if (log_fd >= 0) close(log_fd);
        log_fd = -1;
        return 127;
    }
    o->pid = pid;

    int pidfd = cspawn_pidfd_open(pid);
    double started = real_now();
    double deadline = timeout > 0 ? started + timeout : -1;
    int terminated = 0, timed_out = 0, stopped = 0, status = 0, ended = 0, pid_recorded = 0;
    while (!ended) {
        double wait = 1.0;
        if (deadline > 0) { wait = deadline - real_now(); if (wait < 0) wait = 0; if (wait > 1) wait = 1; }
        /* The pid goes to the store once the job has run a while (see the top). */
        if (!pid_recorded) { double left = started + 0.05 - real_now(); if (left < wait) wait = left < 0 ? 0 : left; }
        if (pidfd >= 0) {
            struct pollfd p = { .fd = pidfd, .events = POLLIN };
            poll(&p, 1, (int)ceil(wait * 1000));
        } else {
            usleep(5000);
        }
        if (waitpid(pid, &status, WNOHANG) == pid) { ended = 1; break; }
        double now = real_now();
        if (!pid_recorded && now >= started + 0.05) { record_pid(o); pid_recorded = 1; }
        if (cspawn_stop_requested() && !terminated) {
            attempt_note("stop requested: SIGTERM to the process group");
            killpg(pid, SIGTERM);
            terminated = stopped = 1;
            deadline = now + grace;
        } else if (deadline > 0 && now >= deadline) {
            if (!terminated) {
                attempt_note("timeout after %gs: SIGTERM to the process group", timeout);
                killpg(pid, SIGTERM);
                terminated = timed_out = 1;
                deadline = now + grace;
            } else {
                attempt_note("still running %gs after SIGTERM: SIGKILL to the process group", grace);
                killpg(pid, SIGKILL);
                deadline = -1;
            }
        }
    }
    /* Whatever the job started and left behind goes with it. */
    killpg(pid, SIGKILL);
    if (pidfd >= 0) close(pidfd);

    int code = 0, kind = cspawn_decode(status, &code);
    o->name = timed_out ? "timed_out" : stopped ? "killed" : (kind == 1 && code == 0) ? "succeeded" : "failed";
    o->finished = run_now();
    o->has_code = kind == 1;
    o->has_sig = kind == 2;
    o->code = o->sig = code;
    if (!report || stopped) record(o);
    if (log_fd >= 0) close(log_fd);
    log_fd = -1;
    *stopped_out = stopped;
    return kind == 2 ? 128 + code : code;
}

int attempt_main(int argc, char **argv, const struct attempt_store *chosen) {
    store = chosen;
    const char *store_name = NULL, *log_path = NULL;
    long long run_id = -1, attempt = -1;
    double timeout = -1, grace = 5;
    int ready = 0;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (strcmp(argv[i], "--ready") == 0) { ready = 1; continue; }
        if (i + 1 >= argc) usage();
        if (strcmp(argv[i], "--store") == 0) store_name = argv[++i];
        else if (strcmp(argv[i], "--run") == 0) run_id = atoll(argv[++i]);
        else if (strcmp(argv[i], "--attempt") == 0) attempt = atoll(argv[++i]);
        else if (strcmp(argv[i], "--log") == 0) log_path = argv[++i];
        else if (strcmp(argv[i], "--timeout") == 0) timeout = atof(argv[++i]);
        else if (strcmp(argv[i], "--grace") == 0) grace = atof(argv[++i]);
        else usage();
    }
    cspawn_catch_stop_signals();
    int stopped = 0;
    struct attempt_outcome o;
    if (!ready) {
        if (!store_name || !log_path || run_id < 0 || attempt < 1 || i >= argc) usage();
        int status = supervise(argv + i, log_path, run_id, attempt, timeout, grace, store_name, 0, &o, &stopped);
        store->close();
        return status;
    }
    if (!store_name) usage();
    open_store(store_name);
    /* The environment it was started with; each attempt's replaces it while it runs (the
       recorded finish time reads ORCHESTRATOR_CLOCK from it). */
    char **own_environment = environ;
    int status = 0;
    /* The last outcome reported and not yet known to be committed by the engine. */
    int owed = 0;
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
        /* A new attempt: the engine hands one only after committing the report before it. */
        owed = 0;
        status = supervise(command, f[2], run_id, attempt, atof(f[3]), atof(f[4]), NULL, 1, &o, &stopped);
        environ = own_environment;
        free(command);
        free(f);
        if (stopped) break; /* recorded by supervise */
        if (cspawn_stop_requested()) { record(&o); break; }
        /* Report it, and wait for the next attempt. Nobody listening (a pipe, an engine gone):
           record it here and end. */
        char line[160], code[16] = "-", sig[16] = "-";
        if (o.has_code) snprintf(code, sizeof code, "%d", o.code);
        if (o.has_sig) snprintf(sig, sizeof sig, "%d", o.sig);
        int len = snprintf(line, sizeof line, "D %s %s %s %.6f %d\n", o.name, code, sig, o.finished, (int)o.pid);
        if (send(0, line, (size_t)len, MSG_NOSIGNAL) != len) { record(&o); break; }
        owed = 1;
    }
    if (owed) record(&o);
    store->close();
    return status;
}
