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
