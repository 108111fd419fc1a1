/*
 * orchestrator-test-helper: a job that misbehaves on request, for the engine's tests.
 *
 *   orchestrator-test-helper sleep SECONDS      sleep, then exit 0
 *   orchestrator-test-helper exit CODE          exit with CODE
 *   orchestrator-test-helper ignore-term SECONDS  ignore SIGTERM while sleeping
 *   orchestrator-test-helper grandchild FILE SECONDS
 *                                              fork a grandchild that ignores SIGTERM, write its
 *                                              pid to FILE, then both sleep
 *   orchestrator-test-helper print BYTES        write BYTES of 'x' and a newline to stdout
 *   orchestrator-test-helper env NAME...        print NAME=value for each variable
 * Steps can be chained: `print 10 exit 3`.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void nap(double seconds) {
    while (seconds > 0) {
        double step = seconds > 1 ? 1 : seconds;
        usleep((useconds_t)(step * 1e6));
        seconds -= step;
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        if (strcmp(op, "sleep") == 0 && i + 1 < argc) {
            nap(atof(argv[++i]));
        } else if (strcmp(op, "exit") == 0 && i + 1 < argc) {
            fflush(stdout);
            return atoi(argv[++i]);
        } else if (strcmp(op, "ignore-term") == 0 && i + 1 < argc) {
            signal(SIGTERM, SIG_IGN);
            nap(atof(argv[++i]));
        } else if (strcmp(op, "grandchild") == 0 && i + 2 < argc) {
            const char *file = argv[++i];
            double seconds = atof(argv[++i]);
            pid_t pid = fork();
            if (pid == 0) {
                signal(SIGTERM, SIG_IGN);
                nap(seconds);
                _exit(0);
            }
            FILE *f = fopen(file, "w");
            if (f) { fprintf(f, "%d\n", (int)pid); fclose(f); }
            signal(SIGTERM, SIG_IGN);
            nap(seconds);
        } else if (strcmp(op, "print") == 0 && i + 1 < argc) {
            long n = atol(argv[++i]);
            char buf[65536];
            memset(buf, 'x', sizeof buf);
            while (n > 0) {
                size_t chunk = n > (long)sizeof buf ? sizeof buf : (size_t)n;
                fwrite(buf, 1, chunk, stdout);
                n -= (long)chunk;
            }
            fputc('\n', stdout);
        } else if (strcmp(op, "env") == 0) {
            while (i + 1 < argc) {
                const char *v = getenv(argv[++i]);
                printf("%s=%s\n", argv[i], v ? v : "");
            }
        } else {
            fprintf(stderr, "orchestrator-test-helper: unknown step %s\n", op);
            return 64;
        }
    }
    fflush(stdout);
    return 0;
}
