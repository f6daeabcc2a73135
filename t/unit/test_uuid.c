/*
 * test_uuid.c - unit tests of migate_uuid.c: shape, version and variant
 * bits, version 7 time and order (also across threads), uniqueness, and
 * that a forked child never repeats its parent's ids.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "migate_uuid.h"

typedef char uuid_t_[MIGATE_UUID_LEN + 1];

static int cmp_uuid(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Number of equal neighbours after sorting: 0 when all are distinct. */
static int count_dups(uuid_t_ *ids, size_t n)
{
    size_t i;
    int dups = 0;

    qsort(ids, n, sizeof(*ids), cmp_uuid);
    for (i = 1; i < n; i++) {
        if (strcmp(ids[i - 1], ids[i]) == 0) {
            dups++;
        }
    }
    return dups;
}

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int hex_value(char c)
{
    return c >= 'a' ? c - 'a' + 10 : c - '0';
}

/* 1 when s is lowercase 8-4-4-4-12 with this version and variant 10. */
static int shape_ok(const char *s, int version)
{
    int i;

    if (strlen(s) != MIGATE_UUID_LEN) {
        return 0;
    }
    for (i = 0; i < MIGATE_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }
        }
        else if (!is_lower_hex(s[i])) {
            return 0;
        }
    }
    return s[14] == '0' + version && strchr("89ab", s[19]) != NULL;
}

static void test_shape(int version)
{
    char id[MIGATE_UUID_LEN + 1];
    int i, bad = 0, rc_bad = 0, invalid = 0;
    /* Over many ids every hex digit should show up in a random
     * position, and the variant nibble should take all four values. */
    int seen_digit[16] = { 0 }, seen_variant[4] = { 0 }, ndigits = 0;

    for (i = 0; i < 2000; i++) {
        memset(id, 'X', sizeof(id));
        if (migate_uuid_make(version, id) != 0) {
            rc_bad++;
            continue;
        }
        if (!shape_ok(id, version)) {
            if (bad++ == 0) {
                diag("bad v%d id: %.40s", version, id);
            }
        }
        if (!migate_uuid_valid(id, strlen(id))) {
            invalid++;
        }
        seen_digit[hex_value(id[35]) & 15] = 1;
        seen_variant[(hex_value(id[19]) - 8) & 3] = 1;
    }
    for (i = 0; i < 16; i++) {
        ndigits += seen_digit[i];
    }
    is_int(rc_bad, 0, "v%d: migate_uuid_make returns 0", version);
    is_int(bad, 0, "v%d: 36 chars, lowercase 8-4-4-4-12, version nibble %d, "
           "variant 10", version, version);
    is_int(invalid, 0, "v%d: migate_uuid_valid accepts its own ids",
           version);
    is_int(ndigits, 16, "v%d: last digit takes all 16 values", version);
    ok(seen_variant[0] && seen_variant[1] && seen_variant[2]
       && seen_variant[3], "v%d: variant nibble takes 8, 9, a and b",
       version);
}

static void test_bad_version(void)
{
    char id[MIGATE_UUID_LEN + 1] = "unchanged";

    is_int(migate_uuid_make(5, id), -1, "version 5 is refused");
    is_str(id, "unchanged", "output untouched on refusal");
    is_int(migate_uuid_make(0, id), -1, "version 0 is refused");
    is_int(migate_uuid_make(1, id), -1, "version 1 is refused");
}

static uint64_t v7_ms(const char *id)
{
    char hex[13];

    memcpy(hex, id, 8);
    memcpy(hex + 8, id + 9, 4);
    hex[12] = '\0';
    return strtoull(hex, NULL, 16);
}

static void test_v7_time(void)
{
    char id[MIGATE_UUID_LEN + 1];
    struct timespec ts;
    int64_t now, got;

    migate_uuid_make(7, id);
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    got = (int64_t)v7_ms(id);
    ok(got > now - 5000 && got < now + 5000,
       "v7 timestamp within 5 s of now (off by %lld ms)",
       (long long)(got - now));
}

static void test_v7_order(void)
{
    enum { N = 100000 };
    uuid_t_ *ids = malloc(sizeof(*ids) * N);
    int i, rc = 0, unordered = 0;

    for (i = 0; i < N; i++) {
        rc |= migate_uuid_make(7, ids[i]);
        if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0) {
            if (unordered++ == 0) {
                diag("%s then %s", ids[i - 1], ids[i]);
            }
        }
    }
    is_int(rc, 0, "v7: 100000 ids made");
    is_int(unordered, 0, "v7: 100000 ids strictly increasing (strcmp)");
    free(ids);
}

enum { THREADS = 4, PER_THREAD = 50000 };

struct thread_job {
    int version;
    uuid_t_ *ids;
    int rc, unordered;
};

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    int i;

    for (i = 0; i < PER_THREAD; i++) {
        job->rc |= migate_uuid_make(job->version, job->ids[i]);
        if (job->version == 7 && i > 0
            && strcmp(job->ids[i - 1], job->ids[i]) >= 0) {
            job->unordered++;
        }
    }
    return NULL;
}

static void test_threads(int version)
{
    uuid_t_ *ids = malloc(sizeof(*ids) * THREADS * PER_THREAD);
    struct thread_job jobs[THREADS];
    pthread_t tids[THREADS];
    int i, rc = 0, unordered = 0, started = 0;

    for (i = 0; i < THREADS; i++) {
        jobs[i].version = version;
        jobs[i].ids = ids + (size_t)i * PER_THREAD;
        jobs[i].rc = jobs[i].unordered = 0;
        if (pthread_create(&tids[i], NULL, thread_main, &jobs[i]) == 0) {
            started++;
        }
    }
    is_int(started, THREADS, "v%d: %d threads started", version, THREADS);
    for (i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
        rc |= jobs[i].rc;
        unordered += jobs[i].unordered;
    }
    is_int(rc, 0, "v%d: every thread made its ids", version);
    if (version == 7) {
        is_int(unordered, 0, "v7: each thread's ids strictly increasing");
    }
    is_int(count_dups(ids, (size_t)started * PER_THREAD), 0,
           "v%d: %d ids from %d threads all distinct", version,
           started * PER_THREAD, started);
    free(ids);
}

static void test_v4_unique(void)
{
    enum { N = 200000 };
    uuid_t_ *ids = malloc(sizeof(*ids) * N);
    int i, rc = 0;

    for (i = 0; i < N; i++) {
        rc |= migate_uuid_make(4, ids[i]);
    }
    is_int(rc, 0, "v4: 200000 ids made");
    is_int(count_dups(ids, N), 0, "v4: 200000 ids all distinct");
    free(ids);
}

enum { FORK_IDS = 1000 };

/* Child side of the fork tests: make FORK_IDS ids into the pipe. */
static void child_ids(int fd, int version, int call_child_init)
{
    uuid_t_ id;
    int i;

    if (call_child_init) {
        migate_uuid_child_init();
    }
    for (i = 0; i < FORK_IDS; i++) {
        if (migate_uuid_make(version, id) != 0
            || write(fd, id, sizeof(id)) != (ssize_t)sizeof(id)) {
            _exit(1);
        }
    }
    _exit(0);
}

/*
 * Parent makes ids (so its batch is part used), forks, then both make
 * FORK_IDS ids.  raw: fork with the bare system call, so no atfork
 * handler runs; the child then relies on migate_uuid_child_init() (or,
 * with call_child_init 0, shows that the test would see a repeat).
 * Returns the number of ids the two sides have in common, or -1.
 */
static int fork_overlap(int version, int raw, int call_child_init)
{
    uuid_t_ *ids = malloc(sizeof(*ids) * 2 * FORK_IDS);
    uuid_t_ warm;
    int fds[2], i, status, dups;
    size_t got = 0;
    pid_t pid;

    for (i = 0; i < 5; i++) {
        migate_uuid_make(version, warm);
    }
    if (pipe(fds) != 0) {
        free(ids);
        return -1;
    }
    fflush(stdout);
#ifdef SYS_fork
    pid = raw ? (pid_t)syscall(SYS_fork) : fork();
#else
    (void)raw;
    pid = fork();
#endif
    if (pid < 0) {
        free(ids);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        child_ids(fds[1], version, call_child_init);
    }
    close(fds[1]);
    for (i = 0; i < FORK_IDS; i++) {
        migate_uuid_make(version, ids[i]);
    }
    while (got < sizeof(*ids) * FORK_IDS) {
        ssize_t n = read(fds[0], (char *)ids[FORK_IDS] + got,
                         sizeof(*ids) * FORK_IDS - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (got != sizeof(*ids) * FORK_IDS || !WIFEXITED(status)
        || WEXITSTATUS(status) != 0) {
        free(ids);
        return -1;
    }
    for (i = 0; i < FORK_IDS; i++) {
        if (!shape_ok(ids[FORK_IDS + i], version)) {
            free(ids);
            return -1;
        }
    }
    dups = count_dups(ids, 2 * FORK_IDS);
    free(ids);
    return dups;
}

static void test_fork(void)
{
    is_int(fork_overlap(4, 0, 0), 0,
           "v4: fork(): child's 1000 ids and parent's 1000 ids disjoint");
    is_int(fork_overlap(7, 0, 0), 0,
           "v7: fork(): child's 1000 ids and parent's 1000 ids disjoint");
#ifdef SYS_fork
    is_int(fork_overlap(4, 1, 1), 0,
           "v4: raw fork + migate_uuid_child_init(): disjoint");
    is_int(fork_overlap(7, 1, 1), 0,
           "v7: raw fork + migate_uuid_child_init(): disjoint");
    /* Control: were the batch not dropped, the test above would see it. */
    ok(fork_overlap(4, 1, 0) > 0,
       "control: raw fork without child_init repeats ids (test is live)");
#endif
}

static void test_child_init(void)
{
    char a[MIGATE_UUID_LEN + 1], b[MIGATE_UUID_LEN + 1];

    migate_uuid_make(7, a);
    migate_uuid_child_init();
    is_int(migate_uuid_make(4, b), 0, "v4 after child_init");
    ok(shape_ok(b, 4), "v4 after child_init well formed");
    is_int(migate_uuid_make(7, b), 0, "v7 after child_init");
    ok(shape_ok(b, 7), "v7 after child_init well formed");
    ok(strcmp(a, b) != 0, "v7 after child_init is a new id");
}

static void valid_is(const char *s, size_t len, int want, const char *what)
{
    is_int(migate_uuid_valid(s, len), want, "valid(%s) = %d", what, want);
}

static void test_valid(void)
{
    const char *good = "0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b";
    char buf[64];

    valid_is(good, 36, 1, "lowercase v4");
    valid_is("0F1E2D3C-4B5A-4978-8A6B-5C4D3E2F1A0B", 36, 1, "uppercase");
    valid_is("0f1E2d3C-4b5A-4978-8a6B-5c4D3e2F1a0B", 36, 1, "mixed case");
    valid_is("01890a5d-ac96-774b-bcce-b302099a8057", 36, 1, "a v7 id");
    /* RFC 9562: versions 1-8, the RFC variant 10xx, never nil or max. */
    valid_is("00000000-0000-0000-0000-000000000000", 36, 0, "nil uuid");
    valid_is("ffffffff-ffff-ffff-ffff-ffffffffffff", 36, 0, "max uuid");
    valid_is("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", 36, 0,
             "max uuid, upper case");
    valid_is("0f1e2d3c-4b5a-1978-8a6b-5c4d3e2f1a0b", 36, 1, "version 1");
    valid_is("0f1e2d3c-4b5a-8978-ba6b-5c4d3e2f1a0b", 36, 1, "version 8");
    valid_is("0f1e2d3c-4b5a-4978-9a6b-5c4d3e2f1a0b", 36, 1, "variant 9");
    valid_is("0f1e2d3c-4b5a-4978-Aa6b-5c4d3e2f1a0b", 36, 1, "variant A");
    valid_is("0f1e2d3c-4b5a-0978-8a6b-5c4d3e2f1a0b", 36, 0, "version 0");
    valid_is("0f1e2d3c-4b5a-9978-8a6b-5c4d3e2f1a0b", 36, 0, "version 9");
    valid_is("0f1e2d3c-4b5a-f978-8a6b-5c4d3e2f1a0b", 36, 0, "version f");
    valid_is("0f1e2d3c-4b5a-4978-0a6b-5c4d3e2f1a0b", 36, 0,
             "NCS variant (0xxx)");
    valid_is("0f1e2d3c-4b5a-4978-7a6b-5c4d3e2f1a0b", 36, 0,
             "NCS variant (7)");
    valid_is("0f1e2d3c-4b5a-4978-ca6b-5c4d3e2f1a0b", 36, 0,
             "Microsoft variant (110x)");
    valid_is("0f1e2d3c-4b5a-4978-fa6b-5c4d3e2f1a0b", 36, 0,
             "reserved variant (111x)");
    memcpy(buf, good, 36);
    buf[36] = 'x';
    valid_is(buf, 36, 1, "length bounds the check, not NUL");

    valid_is("", 0, 0, "empty");
    valid_is(NULL, 36, 0, "NULL");
    valid_is(good, 35, 0, "35 chars");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0", 35, 0, "35-char text");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0bc", 37, 0, "37 chars");
    valid_is("not a uuid at all, really not one!!!", 36, 0, "garbage");
    valid_is("0f1e2d3c4-b5a-4978-8a6b-5c4d3e2f1a0b", 36, 0,
             "hyphen moved right");
    valid_is("0f1e2d3-c4b5a-4978-8a6b-5c4d3e2f1a0b", 36, 0,
             "hyphen moved left");
    valid_is("0f1e2d3c-4b5a-4978-8a6b5-c4d3e2f1a0b", 36, 0,
             "last hyphen moved");
    valid_is("0f1e2d3c04b5a04978-8a6b-5c4d3e2f1a0b", 36, 0,
             "digits for hyphens");
    valid_is("{f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0}", 36, 0, "braces");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0g", 36, 0, "g");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0 ", 36, 0,
             "trailing space");
    valid_is(" f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b", 36, 0,
             "leading space");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f\0a0b", 36, 0,
             "embedded NUL");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f\x1b" "a0b", 36, 0, "ESC");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f|a0b", 36, 0, "'|'");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f\ra0b", 36, 0, "CR");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f\na0b", 36, 0, "LF");
    valid_is("0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f\xc3\xa9" "0b", 36, 0,
             "UTF-8");
    valid_is("0f1e2d3c_4b5a_4978_8a6b_5c4d3e2f1a0b", 36, 0, "underscores");
    valid_is("0f1e2d3c4b5a49788a6b5c4d3e2f1a0b", 32, 0, "no hyphens");
    valid_is("urn:uuid:0f1e2d3c-4b5a-4978-8a6b-5c4", 36, 0, "urn prefix");
}

int main(void)
{
    test_shape(4);
    test_shape(7);
    test_bad_version();
    test_v7_time();
    test_v7_order();
    test_threads(7);
    test_threads(4);
    test_v4_unique();
    test_fork();
    test_child_init();
    test_valid();
    return done_testing();
}
