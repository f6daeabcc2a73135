/*
 * migate_uuid.h - RFC 9562 request ids (version 4 and 7).
 *
 * Randomness comes from the kernel CSPRNG (getrandom) in per-thread
 * batches; a batch is never carried across fork(): a pthread_atfork()
 * child handler marks every batch stale, and migate_uuid_child_init()
 * drops the batch explicitly.  Version 7 ids are monotonic within a
 * process, across threads too.
 */
#ifndef MIGATE_UUID_H
#define MIGATE_UUID_H

#include <stddef.h>

#define MIGATE_UUID_LEN 36          /* 8-4-4-4-12, without NUL */

/* Write a new lowercase UUID of version 4 or 7 plus NUL into out[37].
 * Returns 0, or -1 if the CSPRNG failed or the version is neither 4 nor
 * 7 (out is then unchanged). */
int migate_uuid_make(int version, char out[MIGATE_UUID_LEN + 1]);

/* Forget any batched random bytes and v7 state (call in child_init,
 * before the process makes ids: it restarts the v7 sequence). */
void migate_uuid_child_init(void);

/* 1 when s[0..len) is a well-formed UUID: 8-4-4-4-12 hex digits (either
 * case).  Used to decide whether a trusted peer's id may be kept. */
int migate_uuid_valid(const char *s, size_t len);

#endif /* MIGATE_UUID_H */
