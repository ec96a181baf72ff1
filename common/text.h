/* text.h - names and text from outside: what a label or clip id may be,
 * control characters escaped before a message reaches a terminal, and
 * strings written as JSON.
 *
 * The name rule (one for every program, documented in arpg-preprocess(1)
 * under IDS AND LABELS and in arpg-cache(5)): a clip id, a label or a subject is at most
 * ARPG_NAME_MAX bytes; none of its bytes is a control character (0x00 to
 * 0x1f, 0x7f: tab, newline, ...), a comma or a slash; it is not "." or
 * "..".  A clip id is never empty; an empty label means "no label" (an
 * unlabelled clip, AFEW's Test set) and an empty subject "no subject".
 * arpg-preprocess applies it where names enter (folders, archive entries,
 * list files), the manifest reader refuses rows that break it, and the
 * cache reader and writer check it too, so that no program stores a name
 * another one refuses.
 */
#ifndef ARPG_TEXT_H
#define ARPG_TEXT_H

#include <stddef.h>
#include <stdio.h>

#define ARPG_NAME_MAX 200

enum arpg_name_kind { ARPG_NAME_CLIP_ID, ARPG_NAME_LABEL, ARPG_NAME_SUBJECT };

/* 0 if s may be a name of that kind, else ARPG_EFORMAT with the reason in
 * why (size whyn, may be 0), e.g. "has a control character (byte 0x0a)". */
int arpg_name_check(const char *s, enum arpg_name_kind kind, char *why, size_t whyn);

/* Copies src into dst (size n > 0, always NUL-terminated, cut if too long)
 * with each control character written as \t, \n, \r or \xHH, so that a
 * name from outside cannot forge a line or drive the terminal.  Returns
 * dst. */
char *arpg_escape(char *dst, size_t n, const char *src);

/* Writes s to f as a JSON string: quotes, \" and \\ escaped, control
 * characters as \u00XX. */
void arpg_json_string(FILE *f, const char *s);

#endif
