/* A service that crashes at once: appends "<pid> <start ns> <exit ns>" (CLOCK_REALTIME) to a
   file and exits 1. Restart latency = a start's ns minus the previous line's exit ns. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long long start = now_ns();
    if (argc < 2) return 2;
    FILE *f = fopen(argv[1], "a");
    if (!f) return 2;
    fprintf(f, "%d %lld ", (int)getpid(), start);
    fflush(f);
    long long end = now_ns();
    fprintf(f, "%lld\n", end);
    fclose(f);
    return 1;
}
