#include "daemon/process_stats.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void dd_process_stats_read(struct dd_process_stats *out)
{
    *out = (struct dd_process_stats){0, -1, -1};
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size, resident;
    if (f) {
        if (fscanf(f, "%llu %llu", &size, &resident) == 2)
            out->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f))
            if (sscanf(line, "Threads: %d", &out->threads) == 1) break;
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        int n = 0;
        for (struct dirent *e; (e = readdir(d));)
            if (e->d_name[0] != '.') n++;
        closedir(d);
        out->open_fds = n - 1; /* the directory's own descriptor */
    }
}
