/* error.c - libarpg error codes and their messages. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const messages[] = {
	"success",
	"out of memory",
	"input/output error",
	"bad format",
	"invalid argument",
	"not found",
	"not supported",
	"cannot decode",
	"LMDB error",
	"no space left",
	"files do not agree",
	"interrupted",
	"value out of range",
	"NaN or infinite value",
	"already exists",
	"in use by another writer",
	"damaged",
};

const char *arpg_strerror(int code)
{
	if (code > 0 || code <= ARPG_ELAST)
		return "unknown error";
	return messages[-code];
}

int arpg_errf(char *buf, size_t n, int code, const char *fmt, ...)
{
	va_list ap;

	if (buf && n) {
		va_start(ap, fmt);
		vsnprintf(buf, n, fmt, ap);
		va_end(ap);
	}
	return code;
}
