/* Manifest TSV: round trip with escapes, line-numbered errors, pipes. */
#include "harness.h"
#include "error.h"
#include "manifest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct arpg_manifest_row *r, const char *line, char *err)
{
	return arpg_manifest_parse(r, line, strlen(line), err, 200);
}

ARPG_TEST(manifest_parses_a_row)
{
	struct arpg_manifest_row r = { 0 };
	char err[200];

	expect_int(parse(&r, "train-Angry-000001\ttrain\tAngry\t\t42\t40\t/data/faces/x", err), 0);
	expect_str(r.clip_id, "train-Angry-000001");
	expect_str(r.split, "train");
	expect_str(r.label, "Angry");
	expect_str(r.subject, "");
	expect_int(r.frames, 42);
	expect_int(r.faces, 40);
	expect_str(r.path, "/data/faces/x");
	arpg_manifest_row_free(&r);
}

ARPG_TEST(manifest_rejects_short_line)
{
	struct arpg_manifest_row r = { 0 };
	char err[200];

	expect_int(parse(&r, "a\tb", err), ARPG_EFORMAT);
	expect(strstr(err, "2 fields") != NULL);
	expect_int(parse(&r, "a\ttrain\tx\t\t1\t1\tp\textra", err), ARPG_EFORMAT);
	arpg_manifest_row_free(&r);
}

ARPG_TEST(manifest_rejects_bad_values)
{
	struct arpg_manifest_row r = { 0 };
	char err[200];

	expect_int(parse(&r, "a\ttraining\tx\t\t1\t1\tp", err), ARPG_EFORMAT);
	expect(strstr(err, "training") != NULL);
	expect_int(parse(&r, "a\ttrain\tx\t\t-1\t0\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a\ttrain\tx\t\t3\t4\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a\ttrain\tx\t\t3x\t1\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "\ttrain\tx\t\t3\t1\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a\ttrain\tx\t\t3\t1\t", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a\\q\ttrain\tx\t\t3\t1\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a\ttrain\tx\t\t99999999999\t1\tp", err), ARPG_EFORMAT);
	arpg_manifest_row_free(&r);
}

ARPG_TEST(manifest_applies_the_name_rule)
{
	struct arpg_manifest_row r = { 0 };
	char err[200];

	/* escaped control characters, commas and slashes in names are refused */
	expect_int(parse(&r, "a\\tb\ttrain\tx\t\t1\t1\tp", err), ARPG_EFORMAT);
	expect(strstr(err, "control character") != NULL);
	expect_int(parse(&r, "a\ttrain\tHa,ppy\t\t1\t1\tp", err), ARPG_EFORMAT);
	expect(strstr(err, "label") != NULL);
	expect_int(parse(&r, "a\ttrain\tx\ts\\n1\t1\t1\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "a/b\ttrain\tx\t\t1\t1\tp", err), ARPG_EFORMAT);
	expect_int(parse(&r, "..\ttrain\tx\t\t1\t1\tp", err), ARPG_EFORMAT);
	/* an empty label is an unlabelled clip */
	expect_int(parse(&r, "a\ttest\t\t\t1\t1\tp", err), 0);
	expect_str(r.label, "");
	arpg_manifest_row_free(&r);
}

ARPG_TEST(manifest_round_trips_escapes)
{
	struct arpg_manifest_row w = { 0 }, r = { 0 };
	struct arpg_manifest_reader rd;
	FILE *f = tmpfile();

	w.clip_id = "odd id";
	w.split = "val";
	w.label = "Happy";
	w.subject = "s\\1";
	w.frames = 16;
	w.faces = 15;
	w.path = "/tmp/a dir/with\nnewline";
	expect_int(arpg_manifest_write_header(f), 0);
	expect_int(arpg_manifest_write_row(f, &w), 0);
	rewind(f);
	arpg_manifest_reader_init(&rd, f, "tmp");
	expect_int(arpg_manifest_next(&rd, &r), 1);
	expect_str(r.clip_id, w.clip_id);
	expect_str(r.subject, w.subject);
	expect_str(r.path, w.path);
	expect_int(r.frames, 16);
	expect_int(arpg_manifest_next(&rd, &r), 0);
	expect_int(rd.line, 2);
	arpg_manifest_row_free(&r);
	arpg_manifest_reader_free(&rd);
	fclose(f);
}

ARPG_TEST(manifest_reader_names_the_bad_line_and_goes_on)
{
	static const char text[] =
		ARPG_MANIFEST_HEADER "\n"
		"# a comment\n"
		"a\ttrain\tAngry\t\t3\t3\tp\n"
		"\n"
		"b\ttrain\tAngry\t\t3\n"
		ARPG_MANIFEST_HEADER "\n"
		"c\tval\tSad\ts2\t5\t0\tq\r\n";
	struct arpg_manifest_row r = { 0 };
	struct arpg_manifest_reader rd;
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");

	arpg_manifest_reader_init(&rd, f, "m");
	expect_int(arpg_manifest_next(&rd, &r), 1);
	expect_str(r.clip_id, "a");
	expect_int(arpg_manifest_next(&rd, &r), ARPG_EFORMAT);
	expect(strncmp(rd.err, "line 5:", 7) == 0);
	expect_int(arpg_manifest_next(&rd, &r), 1);
	expect_str(r.clip_id, "c");
	expect_str(r.path, "q");
	expect_int(arpg_manifest_next(&rd, &r), 0);
	arpg_manifest_row_free(&r);
	arpg_manifest_reader_free(&rd);
	fclose(f);
}

ARPG_TEST(manifest_without_header_is_refused)
{
	static const char text[] = "a\ttrain\tAngry\t\t3\t3\tp\n";
	struct arpg_manifest_row r = { 0 };
	struct arpg_manifest_reader rd;
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");

	arpg_manifest_reader_init(&rd, f, "m");
	expect_int(arpg_manifest_next(&rd, &r), ARPG_EFORMAT);
	expect(strstr(rd.err, "header") != NULL);
	arpg_manifest_reader_free(&rd);
	fclose(f);
}
