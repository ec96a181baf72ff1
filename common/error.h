/* error.h - libarpg error codes.
 *
 * Library functions return 0 (or a count) on success and one of the negative
 * codes below on failure; they never print and never exit.  A program reports
 * a failure once, as "arpg-PROG: OBJECT: arpg_strerror(code)[: detail]".
 * Where a bare code says too little (a line number, a field name), modules keep
 * a detail string beside it, filled with arpg_errf().
 */
#ifndef ARPG_ERROR_H
#define ARPG_ERROR_H

#include <stddef.h>

enum {
	ARPG_OK = 0,
	ARPG_ENOMEM = -1,	/* out of memory */
	ARPG_EIO = -2,		/* read or write failed (errno kept by caller) */
	ARPG_EFORMAT = -3,	/* input is not in the expected format */
	ARPG_EINVAL = -4,	/* invalid argument or option value */
	ARPG_ENOENT = -5,	/* file, clip or key not found */
	ARPG_EUNSUPPORTED = -6,	/* valid input that this version cannot handle */
	ARPG_EDECODE = -7,	/* media could not be decoded */
	ARPG_ELMDB = -8,	/* LMDB reported an error */
	ARPG_EFULL = -9,	/* no space left (disk or map) */
	ARPG_EMISMATCH = -10,	/* files that must agree do not */
	ARPG_EINTR = -11,	/* interrupted by a signal */
	ARPG_ERANGE = -12,	/* a size or value out of the allowed range */
	ARPG_ENUMERIC = -13,	/* NaN or Inf where numbers were expected */
	ARPG_EEXIST = -14,	/* already exists */
	ARPG_ELOCKED = -15,	/* another process is writing this output (lock.h) */
	ARPG_EDAMAGED = -16,	/* a file's structure is damaged (checked, not trusted) */
	ARPG_ELAST = -17
};

/* A static, human-readable message for code (negative), never NULL. */
const char *arpg_strerror(int code);

/* Formats a detail message into buf (size n, may be 0) and returns code, so
 * that a failing path reads: return arpg_errf(p->err, sizeof p->err,
 * ARPG_EFORMAT, "line %d: expected 7 fields", line); */
int arpg_errf(char *buf, size_t n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
