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

/* n (at most 16) fresh random bytes from the same fork-safe CSPRNG
 * batches (the parent id of a traceparent).  Returns 0, or -1. */
int migate_uuid_random(unsigned char *out, size_t n);

/* Forget any batched random bytes and v7 state (call in child_init,
 * before the process makes ids: it restarts the v7 sequence). */
void migate_uuid_child_init(void);

/* 1 when s[0..len) is a well-formed RFC 9562 UUID: 8-4-4-4-12 hex digits
 * (either case), a version 1-8 and the RFC variant (10xx); never the nil
 * or max UUID.  What a trusted peer's id must be to be kept. */
int migate_uuid_valid(const char *s, size_t len);

#endif /* MIGATE_UUID_H */
