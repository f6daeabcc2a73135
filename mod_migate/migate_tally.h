/*
 * migate_tally.h - named 64-bit counters in one block of memory of a
 * fixed size, which several processes may share: an open-addressing
 * table whose entries never move, so that the index of an entry, once
 * found, names the same counter for as long as the block lives.
 *
 * Entries are added by one writer at a time (httpd's parent, between
 * two configuration generations) and never removed; counting is a
 * relaxed atomic add from any process or thread, with no lock.  When
 * the block has no room for a new name, the name gets no entry (-1) and
 * the counters already in the block go on as before.
 */
#ifndef MIGATE_TALLY_H
#define MIGATE_TALLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct migate_tally migate_tally;

/* The bytes a block needs for `entries` entries (rounded up to a power
 * of two) and `names` bytes of names. */
size_t migate_tally_size(unsigned entries, size_t names);

/* Lay out a table in block (size bytes, from migate_tally_size with the
 * same entries, 8-byte aligned); NULL if it does not fit. */
migate_tally *migate_tally_init(void *block, size_t size, unsigned entries);

/* The entry named key[0..len) (len > 0), added at zero if new; -1 when
 * it is new and the table has no room for it (entries or name bytes). */
long migate_tally_entry(migate_tally *t, const char *key, size_t len);

/* The entry named key, if there is one, or -1; adds nothing. */
long migate_tally_find(const migate_tally *t, const char *key, size_t len);

/* Count one on an entry (no lock), and read one entry's count. */
void migate_tally_add(migate_tally *t, long entry);
uint64_t migate_tally_get(const migate_tally *t, long entry);

/* How full it is: entries used of entries, name bytes used of bytes. */
void migate_tally_fill(const migate_tally *t, unsigned *used,
                       unsigned *entries, size_t *names_used,
                       size_t *names);

#endif /* MIGATE_TALLY_H */
