/*
 * scratch.c - the fuzz targets' scratch folder (scratch.h).
 */
#include "scratch.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char folder[128];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

void scratch_remove(const char *path)
{
    nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void remove_folder(void)
{
    scratch_remove(folder);
}

const char *scratch_folder(const char *name)
{
    snprintf(folder, sizeof folder, "/dev/shm/%s-XXXXXX", name);
    if (!mkdtemp(folder)) {
        snprintf(folder, sizeof folder, "/tmp/%s-XXXXXX", name);
        if (!mkdtemp(folder))
            abort();
    }
    atexit(remove_folder);
    return folder;
}

void scratch_write(const char *path, const void *bytes, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(bytes, 1, len, f) != len || fclose(f) != 0)
        abort();
}
