/*
 * testdir.c - scratch folders for the unit tests; see testdir.h.
 */
#include "testdir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int testdir_make(char *path, size_t size)
{
    int len = snprintf(path, size, "/tmp/huddle-%s-XXXXXX", program_invocation_short_name);
    if (len < 0 || (size_t)len >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return mkdtemp(path) ? 0 : -1;
}

int testdir_setup(void **state)
{
    TestDir *dir = calloc(1, sizeof *dir);
    if (!dir)
        return -1;
    if (testdir_make(dir->base, sizeof dir->base) != 0) {
        free(dir);
        return -1;
    }
    snprintf(dir->db, sizeof dir->db, "%s/db", dir->base);
    *state = dir;
    return 0;
}

int testdir_teardown(void **state)
{
    TestDir *dir = *state;
    int rc = testdir_remove(dir->base);
    free(dir);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int testdir_remove(const char *dir)
{
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Copies the file `from` to a new file `to`. */
static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) {
            n = -1;
            break;
        }
    int saved = errno;
    close(in);
    if (close(out) != 0 && n == 0)
        return -1;
    errno = saved;
    return n == 0 ? 0 : -1;
}

int testdir_copy_store(const char *from, const char *to)
{
    char src[512], dst[512];
    if (snprintf(src, sizeof src, "%s/data.mdb", from) >= (int)sizeof src ||
        snprintf(dst, sizeof dst, "%s/data.mdb", to) >= (int)sizeof dst) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(to, 0700) != 0)
        return -1;
    return copy_file(src, dst);
}
