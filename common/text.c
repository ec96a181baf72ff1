/* text.c - the name rule and control characters escaped (see text.h). */
#include "text.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

int arpg_name_check(const char *s, enum arpg_name_kind kind, char *why, size_t whyn)
{
	static const char *const what[] = { "a clip id", "a label", "a subject" };
	size_t len = strlen(s), i;

	if (!len && kind == ARPG_NAME_CLIP_ID)
		return arpg_errf(why, whyn, ARPG_EFORMAT, "%s cannot be empty", what[kind]);
	if (len > ARPG_NAME_MAX)
		return arpg_errf(why, whyn, ARPG_EFORMAT, "%s is at most %d bytes (this one "
				 "has %zu)", what[kind], ARPG_NAME_MAX, len);
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return arpg_errf(why, whyn, ARPG_EFORMAT, "%s cannot be \"%s\"", what[kind], s);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			return arpg_errf(why, whyn, ARPG_EFORMAT, "%s cannot hold a control "
					 "character (byte 0x%02x)", what[kind], ch);
		if (ch == ',' || ch == '/')
			return arpg_errf(why, whyn, ARPG_EFORMAT, "%s cannot hold '%c'",
					 what[kind], ch);
	}
	return 0;
}

char *arpg_escape(char *dst, size_t n, const char *src)
{
	size_t at = 0;

	for (; *src; src++) {
		unsigned char ch = (unsigned char)*src;
		char e[5];
		size_t k;

		if (ch == '\t' || ch == '\n' || ch == '\r')
			snprintf(e, sizeof e, "\\%c", ch == '\t' ? 't' : ch == '\n' ? 'n' : 'r');
		else if (ch < 0x20 || ch == 0x7f)
			snprintf(e, sizeof e, "\\x%02x", ch);
		else
			e[0] = (char)ch, e[1] = 0;
		k = strlen(e);
		if (at + k >= n)
			break;
		memcpy(dst + at, e, k);
		at += k;
	}
	dst[at] = 0;
	return dst;
}

void arpg_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
