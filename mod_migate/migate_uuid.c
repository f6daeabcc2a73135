/*
 * migate_uuid.c - RFC 9562 request ids, version 4 and version 7.
 *
 * Every request gets one, refused requests too, so this sits on the hot
 * path: random bytes come from getrandom(2) in per-thread batches (one
 * system call per few dozen ids) and the text is written through a
 * lookup table.  Pure: no httpd headers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "migate_uuid.h"

/* Big enough that the system call is amortised over 32 version 4 ids,
 * small enough to sit in every thread of a threaded MPM. */
#define RAND_BATCH 512

/*
 * A forked child inherits its parent's batch byte for byte; using it
 * would repeat the parent's ids.  getpid() is a real system call since
 * glibc 2.25, too dear per id, so a pthread_atfork() child handler bumps
 * a generation instead and each batch remembers the generation it was
 * drawn in.  The handler is in this object, so glibc unregisters it
 * when httpd unloads the module on restart.
 */
static unsigned int fork_gen = 1;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static __thread struct {
    unsigned char buf[RAND_BATCH];
    size_t pos;                 /* next unused byte; RAND_BATCH = empty */
    unsigned int gen;           /* fork_gen when buf was filled */
} batch = { .pos = RAND_BATCH };

/*
 * Version 7 state: the last (unix ms << 12 | counter) handed out in this
 * process.  One 64-bit word updated by compare-and-swap keeps ids
 * monotonic across threads without a lock, so a fork() cannot leave a
 * lock held in the child.
 */
static uint64_t v7_last;

static void on_fork_child(void)
{
    __atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}

/* Fill buf completely.  Reads above 256 bytes may come back short when
 * a signal arrives, hence the loop. */
static int fill_random(unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t got = getrandom(buf, len, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += got;
        len -= (size_t)got;
    }
    return 0;
}

/* n fresh random bytes from this thread's batch, or NULL. */
static const unsigned char *take_random(size_t n)
{
    unsigned int gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
    const unsigned char *r;

    if (batch.pos + n > RAND_BATCH || batch.gen != gen) {
        /* No batch exists before the first refill, so registering here
         * is early enough. */
        pthread_once(&atfork_once, register_atfork);
        if (fill_random(batch.buf, RAND_BATCH) != 0) {
            batch.pos = RAND_BATCH;
            return NULL;
        }
        batch.pos = 0;
        batch.gen = gen;
    }
    r = batch.buf + batch.pos;
    batch.pos += n;
    return r;
}

int migate_uuid_random(unsigned char *out, size_t n)
{
    const unsigned char *r;

    if (n > 16 || (r = take_random(n)) == NULL) {
        return -1;
    }
    memcpy(out, r, n);
    return 0;
}

void migate_uuid_child_init(void)
{
    memset(batch.buf, 0, sizeof(batch.buf));
    batch.pos = RAND_BATCH;
    __atomic_store_n(&v7_last, 0, __ATOMIC_RELAXED);
}

/* Next (ms << 12 | counter) for version 7.  A new millisecond starts its
 * counter at a random value below 1024, so the counter does not tell
 * how many ids came before it and still leaves 3072 steps.  When the
 * clock stands still, goes backwards, or the counter runs out, the last
 * value is incremented instead: the counter's carry moves into the
 * timestamp, which RFC 9562 (6.2) allows. */
static uint64_t v7_next(unsigned int seed)
{
    struct timespec ts;
    uint64_t ms, now, last, next;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    now = ((ms & 0xffffffffffffULL) << 12) | (seed & 0x3ff);

    last = __atomic_load_n(&v7_last, __ATOMIC_RELAXED);
    do {
        next = (now >> 12) > (last >> 12) ? now : last + 1;
    } while (!__atomic_compare_exchange_n(&v7_last, &last, next, 1,
                                          __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return next;
}

static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

static void format_uuid(const unsigned char b[16], char *out)
{
    int i;

    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *out++ = '-';
        }
        memcpy(out, hex_pairs + 2 * b[i], 2);
        out += 2;
    }
    *out = '\0';
}

int migate_uuid_make(int version, char out[MIGATE_UUID_LEN + 1])
{
    unsigned char b[16];
    const unsigned char *r;

    if (version == 4) {
        if ((r = take_random(16)) == NULL) {
            return -1;
        }
        memcpy(b, r, 16);
    }
    else if (version == 7) {
        uint64_t t;

        /* 8 bytes for rand_b, 2 to seed the counter of a new ms. */
        if ((r = take_random(10)) == NULL) {
            return -1;
        }
        t = v7_next((unsigned int)r[8] << 8 | r[9]);
        b[0] = (unsigned char)(t >> 52);
        b[1] = (unsigned char)(t >> 44);
        b[2] = (unsigned char)(t >> 36);
        b[3] = (unsigned char)(t >> 28);
        b[4] = (unsigned char)(t >> 20);
        b[5] = (unsigned char)(t >> 12);
        b[6] = (unsigned char)((t >> 8) & 0x0f);
        b[7] = (unsigned char)t;
        memcpy(b + 8, r, 8);
    }
    else {
        return -1;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);     /* variant 10 */
    format_uuid(b, out);
    return 0;
}

int migate_uuid_valid(const char *s, size_t len)
{
    size_t i;
    unsigned char version, variant;

    if (s == NULL || len != MIGATE_UUID_LEN) {
        return 0;
    }
    for (i = 0; i < MIGATE_UUID_LEN; i++) {
        unsigned char c = (unsigned char)s[i];

        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return 0;
            }
        }
        else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                   || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    /* RFC 9562 4.1 and 4.2: the variant is 10xx (8, 9, a, b) and the
     * version 1-8.  The nil and max UUIDs (versions 0 and f) are no
     * request's id. */
    version = (unsigned char)s[14];
    variant = (unsigned char)(s[19] | 0x20);
    return version >= '1' && version <= '8'
        && (variant == '8' || variant == '9' || variant == 'a'
            || variant == 'b');
}
