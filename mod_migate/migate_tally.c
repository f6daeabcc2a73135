/*
 * migate_tally.c - named counters in a fixed block of shared memory
 * (migate_tally.h).
 *
 * The block holds a header, a power-of-two array of entries probed
 * linearly from the FNV-1a hash of the name, and the names themselves,
 * appended one after the other.  An entry is in use when its name has a
 * length.  Nothing is ever moved or removed: a process that found an
 * entry before a later writer added others still counts on the right
 * one, without looking again.
 */
#include <string.h>

#include "migate_tally.h"

#define TALLY_MAGIC 0x6d67746cu         /* "mgtl" */

typedef struct {
    uint64_t count;
    uint32_t hash;
    uint32_t len;               /* 0: free                              */
    uint64_t off;               /* of the name in the name bytes        */
} tally_entry;

struct migate_tally {
    uint32_t magic;
    uint32_t entries;           /* a power of two                       */
    uint32_t used;
    uint32_t pad;
    uint64_t names;             /* name bytes after the entries         */
    uint64_t names_used;
    tally_entry e[];
};

static unsigned round_up(unsigned n)
{
    unsigned p = 16;

    while (p < n && p < 0x80000000u) {
        p <<= 1;
    }
    return p;
}

size_t migate_tally_size(unsigned entries, size_t names)
{
    return sizeof(migate_tally)
           + (size_t)round_up(entries) * sizeof(tally_entry) + names;
}

migate_tally *migate_tally_init(void *block, size_t size, unsigned entries)
{
    migate_tally *t = block;
    size_t head = migate_tally_size(entries, 0);

    if (!block || size < head) {
        return NULL;
    }
    memset(block, 0, head);
    t->magic = TALLY_MAGIC;
    t->entries = round_up(entries);
    t->names = size - head;
    return t;
}

static char *names_of(const migate_tally *t)
{
    return (char *)&t->e[t->entries];
}

static uint32_t hash(const char *key, size_t len)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char)key[i]) * 16777619u;
    }
    return h;
}

/* The entry of key, or the free entry where it would go (-1 with *free
 * set), or -1 with *free -1: absent, and every entry taken. */
static long probe(const migate_tally *t, const char *key, size_t len,
                  uint32_t h, long *free)
{
    uint32_t mask = t->entries - 1, i, k;

    *free = -1;
    for (k = 0, i = h & mask; k < t->entries; k++, i = (i + 1) & mask) {
        const tally_entry *e = &t->e[i];
        if (e->len == 0) {
            *free = (long)i;
            return -1;
        }
        if (e->hash == h && e->len == len
            && !memcmp(names_of(t) + e->off, key, len)) {
            return (long)i;
        }
    }
    return -1;
}

long migate_tally_find(const migate_tally *t, const char *key, size_t len)
{
    long free;

    if (!t || t->magic != TALLY_MAGIC || len == 0) {
        return -1;
    }
    return probe(t, key, len, hash(key, len), &free);
}

long migate_tally_entry(migate_tally *t, const char *key, size_t len)
{
    uint32_t h = hash(key, len);
    long at, free;
    tally_entry *e;

    if (!t || t->magic != TALLY_MAGIC || len == 0 || len > UINT32_MAX) {
        return -1;
    }
    at = probe(t, key, len, h, &free);
    if (at >= 0 || free < 0 || len > t->names - t->names_used) {
        return at;
    }
    e = &t->e[free];
    memcpy(names_of(t) + t->names_used, key, len);
    e->off = t->names_used;
    e->hash = h;
    e->count = 0;
    t->names_used += len;
    t->used++;
    /* The name is in place before the entry is seen as used. */
    __atomic_store_n(&e->len, (uint32_t)len, __ATOMIC_RELEASE);
    return free;
}

void migate_tally_add(migate_tally *t, long entry)
{
    if (t && entry >= 0 && (unsigned long)entry < t->entries) {
        __atomic_fetch_add(&t->e[entry].count, 1, __ATOMIC_RELAXED);
    }
}

uint64_t migate_tally_get(const migate_tally *t, long entry)
{
    if (!t || entry < 0 || (unsigned long)entry >= t->entries) {
        return 0;
    }
    return __atomic_load_n(&t->e[entry].count, __ATOMIC_RELAXED);
}

void migate_tally_fill(const migate_tally *t, unsigned *used,
                       unsigned *entries, size_t *names_used,
                       size_t *names)
{
    *used = t ? t->used : 0;
    *entries = t ? t->entries : 0;
    *names_used = t ? (size_t)t->names_used : 0;
    *names = t ? (size_t)t->names : 0;
}
