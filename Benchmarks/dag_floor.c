// The floor under issue 4's DAG figure: the least any engine can do per job and still keep what
// the issue asks for — every state change committed to SQLite (WAL, synchronous=NORMAL, one
// transaction per decision round as ours does), the job in its own process group with stdout and
// stderr captured to logs/<job>/<run>.1.log — and nothing else: no configuration, no scheduler
// beyond "upstreams done", no environment, no events. Written in C against the system SQLite so
// that the figure is what the requirements cost on this machine, not what a language costs.
//
// Two modes:
//   reused      a supervisor per slot, started ahead, gets each attempt's log path over a socket,
//               runs the job, waits and reports the wait status (ours' design: it is what keeps
//               an exit code across kill -9 of the engine, without a process start per job)
//   direct      the engine spawns /bin/true itself (an exit code is lost if the engine dies)
//
// usage: dag_floor DAG.mk WORKDIR PARALLEL reused|direct   (prints one JSON object)
// Build: cc -O2 -o dag_floor Benchmarks/dag_floor.c -lsqlite3
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct {
    char name[32];
    int deps[2], ndeps;
    int left;           // upstreams not yet succeeded
    int state;          // 0 waiting, 1 running, 2 done
    long long run, attempt;
    pid_t pid;
    int status;
} Job;

static Job jobs[4096];
static int njobs;

static int find(const char *name) {
    for (int i = 0; i < njobs; i++) if (strcmp(jobs[i].name, name) == 0) return i;
    return -1;
}

static void die(const char *what, sqlite3 *db) {
    fprintf(stderr, "dag_floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double mono(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void parse(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) die(path, NULL);
    char line[65536];
    // Two passes: names first (every target line), then dependencies.
    for (int pass = 0; pass < 2; pass++) {
        rewind(f);
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '\t' || line[0] == '.' || strncmp(line, "all:", 4) == 0) continue;
            char *colon = strchr(line, ':');
            if (!colon) continue;
            *colon = 0;
            if (pass == 0) {
                snprintf(jobs[njobs].name, sizeof jobs[njobs].name, "%s", line);
                njobs++;
                continue;
            }
            Job *j = &jobs[find(line)];
            for (char *tok = strtok(colon + 1, " \n"); tok; tok = strtok(NULL, " \n")) {
                int d = find(tok);
                if (d < 0 || j->ndeps == 2) { fprintf(stderr, "dag_floor: bad dependency %s\n", tok); exit(1); }
                j->deps[j->ndeps++] = d;
            }
            j->left = j->ndeps;
        }
    }
    fclose(f);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK) die(sql, db);
    return s;
}

static void exec(sqlite3 *db, const char *sql) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql, db);
}

static void step(sqlite3 *db, sqlite3_stmt *s) {
    if (sqlite3_step(s) != SQLITE_DONE) die("step", db);
    sqlite3_reset(s);
}

// The job: /bin/true in its own process group, stdout and stderr appended to its log.
static void spawnTrue(const char *log, pid_t *pid) {
    char *const trueArgv[] = {"/bin/true", NULL};
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) die(log, NULL);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    if (posix_spawn(pid, trueArgv[0], &fa, &at, trueArgv, environ) != 0) die("posix_spawn", NULL);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fd);
}

// A supervisor started ahead and reused (as ours are): reads a log path per attempt, runs the job,
// waits, and reports the wait status as one line.
static void helperLoop(int sock) {
    char request[4096];
    for (;;) {
        ssize_t n = read(sock, request, sizeof request - 1);
        if (n <= 0) _exit(0);
        request[n] = 0;
        pid_t pid;
        spawnTrue(request, &pid);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        char reply[64];
        int len = snprintf(reply, sizeof reply, "D %d %d\n", st, pid);
        if (write(sock, reply, len) != len) _exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: dag_floor DAG.mk WORKDIR PARALLEL reused|direct\n"); return 2; }
    int reused = strcmp(argv[4], "reused") == 0;
    if (!reused && strcmp(argv[4], "direct") != 0) { fprintf(stderr, "dag_floor: mode must be reused or direct\n"); return 2; }
    parse(argv[1]);
    const char *dir = argv[2];
    int parallel = atoi(argv[3]);
    int helperSock[64], helperJob[64];
    if (reused) {
        for (int h = 0; h < parallel; h++) {
            int sv[2];
            if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair", NULL);
            pid_t pid = fork();
            if (pid == 0) { close(sv[0]); helperLoop(sv[1]); }
            close(sv[1]);
            helperSock[h] = sv[0]; helperJob[h] = -1;
        }
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/floor.sqlite", dir);
    unlink(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) die(path, db);
    exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
             "CREATE TABLE runs(id INTEGER PRIMARY KEY, job TEXT NOT NULL, trading_day TEXT NOT NULL,"
             " state TEXT NOT NULL, created_at REAL NOT NULL, started_at REAL, ended_at REAL, UNIQUE(job, trading_day));"
             "CREATE INDEX runs_by_day ON runs(trading_day, state);"
             "CREATE TABLE attempts(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id), number INTEGER NOT NULL,"
             " pid INTEGER, started_at REAL NOT NULL, ended_at REAL, outcome TEXT, exit_code INTEGER, UNIQUE(run_id, number));");
    sqlite3_stmt *newRun = prepare(db, "INSERT INTO runs(job, trading_day, state, created_at, started_at) VALUES (?, '2026-11-25', 'running', ?, ?)");
    sqlite3_stmt *newAttempt = prepare(db, "INSERT INTO attempts(run_id, number, started_at) VALUES (?, 1, ?)");
    sqlite3_stmt *endAttempt = prepare(db, "UPDATE attempts SET ended_at = ?, outcome = ?, exit_code = ?, pid = ? WHERE id = ?");
    sqlite3_stmt *endRun = prepare(db, "UPDATE runs SET state = ?, ended_at = ? WHERE id = ?");

    snprintf(path, sizeof path, "%s/floor-logs", dir);
    mkdir(path, 0755);
    int running = 0, done = 0, failed = 0;
    int *ended = calloc(njobs, sizeof(int)), nended = 0;
    double t0 = mono();
    for (;;) {
        // One round: the attempts that ended, then every job now ready up to the limit, in one
        // transaction committed before any of them starts.
        exec(db, "BEGIN IMMEDIATE");
        for (int e = 0; e < nended; e++) {
            Job *j = &jobs[ended[e]];
            int ok = WIFEXITED(j->status) && WEXITSTATUS(j->status) == 0;
            double t = now();
            sqlite3_bind_double(endAttempt, 1, t);
            sqlite3_bind_text(endAttempt, 2, ok ? "succeeded" : "failed", -1, SQLITE_STATIC);
            sqlite3_bind_int(endAttempt, 3, WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1);
            sqlite3_bind_int(endAttempt, 4, j->pid);
            sqlite3_bind_int64(endAttempt, 5, j->attempt);
            step(db, endAttempt);
            sqlite3_bind_text(endRun, 1, ok ? "succeeded" : "failed", -1, SQLITE_STATIC);
            sqlite3_bind_double(endRun, 2, t);
            sqlite3_bind_int64(endRun, 3, j->run);
            step(db, endRun);
            if (!ok) failed++;
            for (int k = 0; k < njobs; k++)
                for (int d = 0; d < jobs[k].ndeps; d++)
                    if (jobs[k].deps[d] == ended[e]) jobs[k].left--;
        }
        nended = 0;
        int starting[64], nstart = 0;
        for (int k = 0; k < njobs && running + nstart < parallel && nstart < 64; k++) {
            if (jobs[k].state != 0 || jobs[k].left != 0) continue;
            double t = now();
            sqlite3_bind_text(newRun, 1, jobs[k].name, -1, SQLITE_STATIC);
            sqlite3_bind_double(newRun, 2, t);
            sqlite3_bind_double(newRun, 3, t);
            step(db, newRun);
            jobs[k].run = sqlite3_last_insert_rowid(db);
            sqlite3_bind_int64(newAttempt, 1, jobs[k].run);
            sqlite3_bind_double(newAttempt, 2, t);
            step(db, newAttempt);
            jobs[k].attempt = sqlite3_last_insert_rowid(db);
            jobs[k].state = 1;
            starting[nstart++] = k;
        }
        exec(db, "COMMIT");
        for (int s = 0; s < nstart; s++) {
            Job *j = &jobs[starting[s]];
            snprintf(path, sizeof path, "%s/floor-logs/%s", dir, j->name);
            mkdir(path, 0755);
            snprintf(path, sizeof path, "%s/floor-logs/%s/%lld.1.log", dir, j->name, j->run);
            if (reused) {
                int h = 0;
                while (helperJob[h] >= 0) h++;
                helperJob[h] = starting[s];
                if (write(helperSock[h], path, strlen(path)) < 0) die("write", NULL);
            } else {
                spawnTrue(path, &j->pid);
            }
            running++;
        }
        if (running == 0) break;
        if (reused) {
            // Wait for a report, then take every other already there.
            struct pollfd fds[64];
            for (int h = 0; h < parallel; h++) { fds[h].fd = helperSock[h]; fds[h].events = POLLIN; }
            if (poll(fds, parallel, -1) < 0) die("poll", NULL);
            for (int h = 0; h < parallel; h++) {
                if (!(fds[h].revents & POLLIN)) continue;
                char reply[64];
                ssize_t len = read(helperSock[h], reply, sizeof reply - 1);
                if (len <= 0) die("helper gone", NULL);
                reply[len] = 0;
                Job *j = &jobs[helperJob[h]];
                sscanf(reply, "D %d %d", &j->status, &j->pid);
                j->state = 2; ended[nended++] = helperJob[h]; running--; done++;
                helperJob[h] = -1;
            }
            continue;
        }
        // Wait for one to end, then take every other that has ended too.
        int st;
        pid_t pid = waitpid(-1, &st, 0);
        while (pid > 0) {
            for (int k = 0; k < njobs; k++) {
                if (jobs[k].state == 1 && jobs[k].pid == pid) {
                    jobs[k].state = 2; jobs[k].status = st;
                    ended[nended++] = k; running--; done++;
                    break;
                }
            }
            pid = waitpid(-1, &st, WNOHANG);
        }
    }
    double elapsed = mono() - t0;
    sqlite3_close(db);
    printf("{\"mode\":\"%s\",\"jobs\":%d,\"done\":%d,\"failed\":%d,\"seconds\":%.4f}\n", argv[4], njobs, done, failed, elapsed);
    return done == njobs && failed == 0 ? 0 : 1;
}
