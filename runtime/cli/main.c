/*
 * main.c - the huddle binary: hands the command line to the CLI and exits with its
 * status. Nothing below main calls exit(): what ends the process from here is main's.
 *
 * A damaged store never ends a command with a signal (RUNTIME.md, "Limits and damage").
 * LMDB keeps no checksums, so a page of data.mdb overwritten with other bytes can send
 * it to an address past the file (SIGBUS) or past its map (SIGSEGV), to a wild address
 * computed from a damaged page header (SIGSEGV), past one of its own buffers (glibc's
 * heap checks then abort: SIGABRT), or trip one of its assertions (then it aborts).
 * main refuses the store for those, with exit 3 and what to do: a fault whose address
 * lies in a mapping of a store's data.mdb (read from /proc/self/maps in the handler,
 * with async-signal-safe calls only), a fault or an abort while the thread is inside
 * LMDB's reading or writing of pages (engine_in_store_pages), an abort while it has a
 * store transaction open (engine_in_store_txn: glibc notices the heap damage at a later
 * free, outside LMDB; the sentence says it may be that), and LMDB's assertion callback
 * (engine_on_store_damage). Any other fault is not the store's: the handler
 * puts back the action it found (the default, or the sanitizer's) and returns, so the
 * access faults again (an abort goes on aborting) and ends as it always did; a signal
 * another process sent is raised again under that action.
 *
 * A standard stream closed when huddle starts (`2>&-`, a supervisor that closes them) is
 * opened on /dev/null first: otherwise the store's data.mdb, opened later, would take its
 * descriptor, and a message, a log line or an export would be written over the store
 * (or `trigger --file -` would read the store as its events).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"

#define DATA_FILE "/data.mdb"

static const int FAULTS[] = {SIGBUS, SIGSEGV, SIGABRT};
static struct sigaction fault_before[3];   /* for each of FAULTS: what was there */

static void say(const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, text, len);
        if (n <= 0)
            return;
        text += n;
        len -= (size_t)n;
    }
}

static void say_text(const char *text)
{
    say(text, strlen(text));
}

/* The refusal, then exit 3: `dir` is the store's folder, `is` " is damaged: " or
   " may be damaged: ", `what` what went wrong, `advice` what to do. */
static void refuse_store(const char *dir, size_t dir_len, const char *is, const char *what, const char *advice)
{
    say_text("huddle: the store in ");
    say(dir, dir_len);
    say_text(is);
    say_text(what);
    say_text(advice);
    _exit(CLI_SYSTEM);   /* 3: the store failed or is damaged */
}

static void refuse_damaged(const char *dir, size_t dir_len, const char *what)
{
    refuse_store(dir, dir_len, " is damaged: ", what,
                 "; restore the store from a backup made with mdb_copy (docs/operations.md, Backups)\n");
}

static uintptr_t hex_value(const char **at)
{
    uintptr_t v = 0;
    for (;; (*at)++) {
        char c = **at;
        int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (digit < 0)
            return v;
        v = v << 4 | (uintptr_t)digit;
    }
}

/* One line of /proc/self/maps: when `address` lies in its range and it maps a file
   named data.mdb, the folder of that file (in `line`, *dir_len bytes). */
static const char *maps_line_store(const char *line, uintptr_t address, size_t *dir_len)
{
    const char *at = line;
    uintptr_t start = hex_value(&at);
    if (*at++ != '-')
        return NULL;
    uintptr_t end = hex_value(&at);
    if (address < start || address >= end)
        return NULL;
    const char *path = strchr(at, '/'), *tail = path ? path + strlen(path) : NULL;
    size_t suffix = strlen(DATA_FILE);
    if (!path || (size_t)(tail - path) < suffix || memcmp(tail - suffix, DATA_FILE, suffix) != 0)
        return NULL;
    *dir_len = (size_t)(tail - suffix - path);
    return path;
}

/* Whether `address` lies in a mapping of a store's data.mdb: its folder, else NULL. */
static const char *store_of_address(uintptr_t address, size_t *dir_len)
{
    static char buf[8192], line[4352];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t used = 0;
    const char *found = NULL;
    ssize_t n;
    while (!found && (n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n && !found; i++) {
            if (buf[i] != '\n') {
                if (used < sizeof line - 1)
                    line[used++] = buf[i];
                continue;
            }
            line[used] = '\0';
            found = maps_line_store(line, address, dir_len);
            used = 0;
        }
    close(fd);
    return found;
}

static void on_fault(int sig, siginfo_t *info, void *context)
{
    (void)context;
    size_t dir_len;
    /* by a process (kill), not a fault; an abort() is this process's own signal */
    bool sent = info->si_code <= 0 && (sig != SIGABRT || info->si_pid != getpid());
    const char *dir = sig == SIGABRT || sent ? NULL : store_of_address((uintptr_t)info->si_addr, &dir_len);
    if (dir)
        refuse_damaged(dir, dir_len, sig == SIGBUS
                       ? "a page LMDB read lies past the end of data.mdb (a page was overwritten, or the file cut short)"
                       : "LMDB read an address its pages do not hold (a page of data.mdb was overwritten)");
    const char *in_pages = sent ? NULL : engine_in_store_pages();
    if (in_pages)
        refuse_damaged(in_pages, strlen(in_pages), sig == SIGABRT
                       ? "LMDB wrote past a buffer of its own while changing a page (a page of data.mdb was overwritten)"
                       : "LMDB went to an address no page holds (a page of data.mdb was overwritten)");
    const char *in_txn = sig == SIGABRT && !sent ? engine_in_store_txn() : NULL;
    if (in_txn)   /* glibc found its heap damaged: LMDB may have written past a page it changed */
        refuse_store(in_txn, strlen(in_txn), " may be damaged: ",
                     "huddle's memory was found damaged during a transaction on it (nothing of the "
                     "transaction was committed), as a page of data.mdb overwritten with other bytes "
                     "makes LMDB do (it keeps no checksums)",
                     "; check it with huddle audit verify, and if this happens again, restore the store "
                     "from a backup made with mdb_copy (docs/operations.md, Backups)\n");
    for (int i = 0; i < 3; i++)
        if (FAULTS[i] == sig)
            sigaction(sig, &fault_before[i], NULL);   /* not the store's: as before */
    if (sent)
        raise(sig);
}

static void on_lmdb_assertion(const char *dir, const char *what)
{
    say_text("huddle: LMDB: ");
    say_text(what);
    say_text("\n");
    refuse_damaged(dir, strlen(dir), "LMDB found its pages inconsistent (above)");
}

static void faults_watch(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; i++)
        sigaction(FAULTS[i], &action, &fault_before[i]);
    engine_on_store_damage(on_lmdb_assertion);
}

/* Opens /dev/null on each of descriptors 0, 1 and 2 that is closed: 0 on success, -1
   when one cannot be (nothing may then be opened, as it would take that descriptor). */
static int standard_streams_open(void)
{
    for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
        if (fcntl(fd, F_GETFD) != -1)
            continue;
        int opened = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
        if (opened != fd) {
            if (opened >= 0)
                close(opened);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (standard_streams_open() != 0) {
        static const char msg[] = "huddle: a standard stream is closed and /dev/null cannot be opened in its place\n";
        if (fcntl(STDERR_FILENO, F_GETFD) != -1)
            say(msg, sizeof msg - 1);
        return 3;
    }
    faults_watch();
    /* A write past the file-size limit (ulimit -f) fails with EFBIG, which the store says
       as exit 3 ("the file-size limit was reached"), instead of SIGXFSZ ending the
       process with nothing said (RUNTIME.md: never a signal). */
    signal(SIGXFSZ, SIG_IGN);
    return cli_main(argc, argv);
}
