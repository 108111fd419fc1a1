/* A job that notes when it started: appends "<ORCHESTRATOR_SCHEDULED_FOR> <start ns>"
   (CLOCK_REALTIME) to a file and exits 0. Scheduler lag = its start minus the slot's due
   instant on the real clock. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const char *slot = getenv("ORCHESTRATOR_SCHEDULED_FOR");
    if (argc < 2 || !slot) return 2;
    FILE *f = fopen(argv[1], "a");
    if (!f) return 2;
    fprintf(f, "%s %lld\n", slot, (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
    fclose(f);
    return 0;
}
