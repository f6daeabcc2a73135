/*
 * migate_path.h - the one definition of "the path MI will act on".
 *
 * migate_canon() takes the raw request target exactly as the client sent
 * it (path and query split at the first '?', neither decoded) and either
 * refuses it with a reason (ambiguous => 400) or writes the canonical
 * path: percent-decoded once, ';parameters' removed from each segment,
 * repeated slashes merged, '.' and '..' segments resolved.
 */
#ifndef MIGATE_PATH_H
#define MIGATE_PATH_H

#include "migate_core.h"

/*
 * Canonicalise a raw path and check a raw query.
 *
 *   path, path_len   raw path, must start with '/' (else MIGATE_R_ENCODING)
 *   query, query_len raw query without the '?', or NULL
 *   out              buffer of at least path_len + 1 bytes; receives the
 *                    NUL-terminated canonical path (always starts with '/')
 *   out_len          receives strlen(out)
 *
 * Returns MIGATE_PASS, or MIGATE_R_ENCODING, MIGATE_R_CONTROL_CHAR,
 * MIGATE_R_DOT_SEGMENT as SPEC "The request path the gate decides on"
 * says.  Never reads past path_len / query_len; NULs inside the raw input
 * are control characters.
 *
 * Precedence, when a target has several problems: a control character
 * anywhere in path or query (log forging is the headline concern), then
 * an encoding problem anywhere, then a dot segment.
 *
 *   MIGATE_R_CONTROL_CHAR  0x00-0x1F or 0x7F raw, %-encoded, or encoded
 *                          twice ("%250d"); the C1 controls U+0080-U+009F,
 *                          U+2028, U+2029 and the bidi controls
 *                          U+202A-U+202E, U+2066-U+2069 raw, encoded once
 *                          or twice ("%25c2%2585").  The
 *                          twice-encoded forms count in the path too
 *                          (where '%25' alone would be an encoding error).
 *   MIGATE_R_ENCODING      path empty or not starting with '/'; invalid
 *                          escape ("%", "%4", "%zz", "%u0041") in path or
 *                          query; raw '#' in either; raw '\' or '?' in
 *                          the path; %2F %5C %3F %23 %25 %3B in the path;
 *                          invalid UTF-8 after decoding once, in path or
 *                          query (overlong, surrogate, above U+10FFFF,
 *                          truncated, stray continuation bytes, raw or
 *                          encoded).
 *   MIGATE_R_DOT_SEGMENT   a ".." that climbs above "/"; a segment whose
 *                          decoded name before ';' is "." or "..", when
 *                          it has ';' parameters or comes after a segment
 *                          with ';' parameters or an empty segment
 *                          ("/..;/", "/a/;/../b", "/a//../b").
 *
 * The canonical path is the decoded bytes (UTF-8, case preserved) with
 * each segment cut at its first ';', empty segments dropped, "." and ".."
 * resolved; a trailing '/' (also one left by "." or "..") is kept.  It
 * never contains '%', ';', '\', a control character or a dot segment,
 * so canonicalising it again yields itself.  On refusal out is "" and
 * *out_len is 0.
 */
migate_reason_e migate_canon(const char *path, size_t path_len,
                             const char *query, size_t query_len,
                             char *out, size_t *out_len);

/*
 * Whether a path about to be sent to MI (the path of the URL mod_proxy
 * will request, as it will be sent: not decoded) is canonical, so that
 * MI and every hop before it act on the path the gate decided on.
 * Returns MIGATE_PASS, MIGATE_R_DOT_SEGMENT for a '.' or '..' segment
 * (raw or %2e in any case, also before ';') or an empty segment ("//"),
 * or MIGATE_R_ENCODING for a path not starting with '/' or an encoded
 * '/', '\', '?', '#', ';' or '%'.  Control characters and invalid
 * escapes are migate_canon()'s to find.
 */
migate_reason_e migate_sent_path_check(const char *path, size_t path_len);

/*
 * Whether a request-target about to be sent to MI (path and query, as
 * they will be sent) is valid as sent: MIGATE_R_ENCODING for a raw
 * space, '"', '<', '>', '|', '\', '^', '`', '{', '}' or a byte above
 * 0x7F (what mod_rewrite's [NE] can leave in it), MIGATE_R_CONTROL_CHAR
 * for a raw control character, else MIGATE_PASS.
 */
migate_reason_e migate_sent_target_check(const char *target,
                                         size_t target_len);

/*
 * Decode a raw query once into out (query_len + 1 bytes), for matching
 * names of metadata parameters and "/services/" in the query.  Only valid
 * on a query that migate_canon() accepted (an invalid escape is copied as
 * it stands; '+' is left alone).  out is NUL-terminated.  Returns the
 * decoded length.
 */
size_t migate_query_decode(const char *query, size_t query_len, char *out);

/* The length of the well-formed UTF-8 sequence at s (n bytes left): 1
 * for ASCII, 0 where none starts (a stray continuation byte, an overlong
 * form, a surrogate, a code point above U+10FFFF, a cut sequence).  The
 * path check's own decoder: what the status page quotes as text is what
 * the gate reads as UTF-8. */
size_t migate_utf8_len(const unsigned char *s, size_t n);

#endif /* MIGATE_PATH_H */
