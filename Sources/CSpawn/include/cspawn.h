#ifndef CSPAWN_H
#define CSPAWN_H
#include <sys/types.h>

/// Spawns `path` with `argv` and `envp` in a new session (so a new process group whose id is
/// the child's pid), with stdin from /dev/null, stdout and stderr appended to `log_fd`, and no
/// other descriptor inherited.
/// Returns 0 and sets *pid, or an errno value.
int cspawn_session(pid_t *pid, const char *path, char *const argv[], char *const envp[], int log_fd, int search_path);

/// The same with stdin from `stdin_fd` instead of /dev/null (-1: /dev/null).
int cspawn_session_input(pid_t *pid, const char *path, char *const argv[], char *const envp[], int stdin_fd, int log_fd,
                         int search_path);

/// Decodes a wait status: returns 1 and sets *code for a normal exit, 2 and sets *code to the
/// signal for a signalled death, 0 otherwise.
int cspawn_decode(int status, int *code);


/// pidfd_open(2): a file descriptor that polls readable when the process exits; -1 and errno.
int cspawn_pidfd_open(pid_t pid);

/// Makes SIGTERM and SIGINT set a flag (read by cspawn_stop_requested) instead of killing.
void cspawn_catch_stop_signals(void);
int cspawn_stop_requested(void);
/// Sets the scheduling policy (sched(7) number; with SCHED_RESET_ON_FORK when reset_on_fork),
/// its real-time priority (0 for the ordinary policies) and, when set_nice, the nice value of
/// every thread of `pid`. Returns 0 or an errno value (EPERM: real-time policies and lower nice
/// values need root, CAP_SYS_NICE or RLIMIT_RTPRIO / RLIMIT_NICE).
int cspawn_set_scheduling(pid_t pid, int policy, int priority, int reset_on_fork, int set_nice, int nice);

struct pollfd;
/// poll(2) with a timeout in seconds at nanosecond resolution (negative: wait forever).
int cspawn_poll(struct pollfd *fds, unsigned long nfds, double seconds);
#endif
