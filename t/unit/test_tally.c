/*
 * test_tally.c - unit tests of migate_tally.c: names find their entry
 * again, entries never move while others are added, a full table gives
 * -1 for a new name and keeps counting the old ones, counts from forked
 * processes sharing the block add up exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "migate_tally.h"

static long entry(migate_tally *t, const char *key)
{
    return migate_tally_entry(t, key, strlen(key));
}

int main(void)
{
    static uint64_t block[4096];
    char key[64];
    long first[40], e;
    unsigned used, entries;
    size_t nused, names;
    int i, moved = 0, refound = 0;
    migate_tally *t;
    void *shared;
    size_t size;

    ok(migate_tally_init(block, 16, 64) == NULL, "a block too small: NULL");
    t = migate_tally_init(block, sizeof(block), 64);
    ok(t != NULL, "a table of 64 entries");
    migate_tally_fill(t, &used, &entries, &nused, &names);
    is_int(entries, 64, "64 entries");
    ok(names > 1000, "and room for names");

    for (i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "vhost:%d\nrule\nMiGateAllow /p%d", i % 3,
                 i);
        first[i] = entry(t, key);
        migate_tally_add(t, first[i]);
    }
    for (i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "vhost:%d\nrule\nMiGateAllow /p%d", i % 3,
                 i);
        moved += entry(t, key) != first[i];
        refound += migate_tally_find(t, key, strlen(key)) == first[i];
        migate_tally_add(t, first[i]);
    }
    is_int(moved, 0, "a name adds no second entry: each finds its own");
    is_int(refound, 40, "find answers the same entries");
    ok(migate_tally_get(t, first[0]) == 2 && migate_tally_get(t, first[39])
       == 2, "each counted twice");
    ok(migate_tally_find(t, "absent", 6) == -1, "find adds nothing");
    migate_tally_fill(t, &used, &entries, &nused, &names);
    is_int(used, 40, "40 entries used");
    ok(entry(t, "") == -1, "an empty name has no entry");

    /* Fill it up: the 64 entries are all taken, the old ones still
     * count, a new name is refused. */
    for (i = 40; i < 64; i++) {
        snprintf(key, sizeof(key), "more %d", i);
        ok(entry(t, key) >= 0, "entry %d", i);
    }
    ok(entry(t, "one too many") == -1, "a full table: -1 for a new name");
    snprintf(key, sizeof(key), "vhost:1\nrule\nMiGateAllow /p%d", 7);
    is_int(entry(t, key), first[7], "and the old names are still there");
    migate_tally_add(t, first[7]);
    ok(migate_tally_get(t, first[7]) == 3, "and still counted");
    migate_tally_add(t, -1);
    ok(1, "counting on -1 does nothing");

    /* Out of name bytes before entries. */
    t = migate_tally_init(block, migate_tally_size(64, 20), 64);
    ok(entry(t, "0123456789") >= 0 && entry(t, "abcdefghij") >= 0,
       "20 bytes of names: two of 10");
    ok(entry(t, "x") == -1, "then no room for one more byte");
    ok(entry(t, "abcdefghij") >= 0, "an old name is still found");

    /* Processes sharing the block: exact sums, no lock. */
    size = migate_tally_size(256, 4096);
    shared = mmap(NULL, size, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    t = migate_tally_init(shared, size, 256);
    e = entry(t, "shared");
    for (i = 0; i < 4; i++) {
        if (fork() == 0) {
            int k;
            for (k = 0; k < 100000; k++) {
                migate_tally_add(t, e);
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0) {
    }
    ok(migate_tally_get(t, e) == 400000, "4 processes x 100000: exact");
    return done_testing();
}
