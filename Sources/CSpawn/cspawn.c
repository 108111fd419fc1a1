#define _GNU_SOURCE 1
#include "cspawn.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

int cspawn_session(pid_t *pid, const char *path, char *const argv[], char *const envp[], int log_fd, int search_path) {
    return cspawn_session_input(pid, path, argv, envp, -1, log_fd, search_path);
}

int cspawn_session_input(pid_t *pid, const char *path, char *const argv[], char *const envp[], int stdin_fd, int log_fd,
                         int search_path) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) { posix_spawn_file_actions_destroy(&actions); return rc; }
    if (stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    else posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (log_fd >= 0) {
        posix_spawn_file_actions_adddup2(&actions, log_fd, 1);
        posix_spawn_file_actions_adddup2(&actions, log_fd, 2);
    }
    /* Nothing else leaks into the child: not the store's database, not pidfds, not a pipe a
       caller of ours is waiting on to close. */
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = search_path ? posix_spawnp(pid, path, &actions, &attr, argv, envp)
                     : posix_spawn(pid, path, &actions, &attr, argv, envp);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int cspawn_decode(int status, int *code) {
    if (WIFEXITED(status)) { *code = WEXITSTATUS(status); return 1; }
    if (WIFSIGNALED(status)) { *code = WTERMSIG(status); return 2; }
    return 0;
}

#include <signal.h>
#include <sys/syscall.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int cspawn_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig) { (void)sig; stop_requested = 1; }

void cspawn_catch_stop_signals(void) {
    struct sigaction sa;
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    /* A parent may have started us with these blocked (some process launchers do). */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigprocmask(SIG_UNBLOCK, &stop, 0);
}

int cspawn_stop_requested(void) { return stop_requested; }

#include <poll.h>
#include <time.h>

int cspawn_poll(struct pollfd *fds, unsigned long nfds, double seconds) {
    if (seconds < 0) return ppoll(fds, nfds, 0, 0);
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    return ppoll(fds, nfds, &ts, 0);
}

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* One thread: the policy (with the reset-on-fork flag), then the nice value. */
static int schedule_task(pid_t tid, int policy, int priority, int reset_on_fork, int set_nice, int nice) {
    struct sched_param param = { .sched_priority = priority };
    if (sched_setscheduler(tid, policy | (reset_on_fork ? SCHED_RESET_ON_FORK : 0), &param) != 0) return errno;
    if (set_nice && setpriority(PRIO_PROCESS, (id_t)tid, nice) != 0) return errno;
    return 0;
}

int cspawn_set_scheduling(pid_t pid, int policy, int priority, int reset_on_fork, int set_nice, int nice) {
    /* Every thread the process has by now (a program may start threads before this runs;
       threads started later inherit from the one that starts them). */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) return schedule_task(pid, policy, priority, reset_on_fork, set_nice, nice);
    int rc = 0, any = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        int r = schedule_task((pid_t)atoi(entry->d_name), policy, priority, reset_on_fork, set_nice, nice);
        if (r == ESRCH) continue; /* a thread that just ended */
        any = 1;
        if (r != 0 && rc == 0) rc = r;
    }
    closedir(dir);
    return any ? rc : ESRCH;
}
