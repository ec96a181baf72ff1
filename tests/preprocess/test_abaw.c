/* test_abaw.c - Aff-Wild2's expression annotation files: the labels of a
 * well-formed file (CRLF, spaces, -1 gaps, no final newline), and the
 * message naming the line of each kind of damage; the file name rule; the
 * index of a folder of them. */
#include "harness.h"
#include "abaw.h"
#include "error.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define HEADER "Neutral,Anger,Disgust,Fear,Happiness,Sadness,Surprise,Other"

static int parse(struct abaw_labels *a, const char *text, char *err, size_t errn)
{
	return abaw_parse(a, text, strlen(text), err, errn);
}

ARPG_TEST(abaw_reads_labels_and_gaps)
{
	struct abaw_labels a;
	char err[256] = "";

	expect_int(parse(&a, HEADER "\n0\n-1\n7\n4\n", err, sizeof err), 0);
	expect_int(a.n, 4);
	expect_int(a.labelled, 3);
	if (a.n == 4) {
		expect_int(a.label[0], 0);
		expect_int(a.label[1], -1);
		expect_int(a.label[2], 7);
		expect_int(a.label[3], 4);
	}
	abaw_labels_free(&a);
	/* Windows line ends, spaces, a byte order mark, no final newline,
	 * empty lines at the end */
	expect_int(parse(&a, "\xef\xbb\xbfNeutral, Anger,Disgust,Fear,Happiness,Sadness,"
			 "Surprise,Other\r\n 3 \r\n-1\r\n5\n\n\n", err, sizeof err), 0);
	expect_int(a.n, 3);
	expect_int(a.labelled, 2);
	abaw_labels_free(&a);
	expect_int(parse(&a, HEADER "\n6", err, sizeof err), 0);
	expect_int(a.n, 1);
	abaw_labels_free(&a);
}

ARPG_TEST(abaw_names_the_line_of_damage)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "Neutral,Anger\n0\n", "line 1: the header" },
		{ HEADER ",Contempt\n0\n", "line 1: the header" },
		{ "Anger,Neutral,Disgust,Fear,Happiness,Sadness,Surprise,Other\n0\n",
		  "line 1: the header" },
		{ "0\n1\n", "line 1: the header" },
		{ HEADER "\n0\n1x\n", "line 3: not a whole number" },
		{ HEADER "\n0\nHappy\n", "line 3: not a whole number" },
		{ HEADER "\n0\n8\n", "line 3: a label outside -1 to 7" },
		{ HEADER "\n-2\n", "line 2: a label outside -1 to 7" },
		{ HEADER "\n99999999999999999999\n", "line 2: a label outside" },
		{ HEADER "\n-\n", "line 2: not a number" },
		{ HEADER "\n1\n\n2\n", "line 3: an empty line among" },
		{ HEADER "\n", "line 2: no frame labels" },
		{ "", "line 0: empty" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct abaw_labels a;
		char err[256] = "";

		expect_int(parse(&a, bad[i].text, err, sizeof err), ARPG_EFORMAT);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			arpg_test_fail(__FILE__, __LINE__, "case %zu: \"%s\", expected \"%s...\"",
				       i, err, bad[i].msg);
		expect(a.label == NULL && a.n == 0);
	}
}

ARPG_TEST(abaw_file_names_give_video_and_side)
{
	char video[64];
	int side = -1;

	expect_int(abaw_file_name("10-60-1280x720.txt", video, sizeof video, &side), 0);
	expect_str(video, "10-60-1280x720");
	expect_int(side, 0);
	expect_int(abaw_file_name("video59_left.txt", video, sizeof video, &side), 0);
	expect_str(video, "video59");
	expect_int(side, 'l');
	expect_int(abaw_file_name("video59_right.txt", video, sizeof video, &side), 0);
	expect_str(video, "video59");
	expect_int(side, 'r');
	expect_int(abaw_file_name("_left.txt", video, sizeof video, &side), 0);
	expect_str(video, "_left");
	expect_int(abaw_file_name("video59.csv", video, sizeof video, &side), ARPG_EINVAL);
	expect_int(abaw_file_name(".txt", video, sizeof video, &side), ARPG_EINVAL);
	expect_int(abaw_file_name("a-rather-long-video-name.txt", video, 8, &side), ARPG_EINVAL);
}

struct reports {
	int n;
	char last[600];
};

static void report(void *ctx, const char *file, const char *detail)
{
	struct reports *r = ctx;

	r->n++;
	snprintf(r->last, sizeof r->last, "%s: %s", file, detail);
}

static void write_text(const char *path, const char *text)
{
	expect_int(arpg_test_write_file(path, text, strlen(text)), 0);
}

/* A folder as the release has it: the split from the folders, people of
 * one video together (the plain file, then left, then right), damaged and
 * split-less files reported and left out, the others kept. */
ARPG_TEST(abaw_index_reads_a_folder)
{
	struct abaw_index ix;
	struct reports r = { 0 };
	char err[300] = "";
	size_t first;

	expect(mkdir("EXPR_Set", 0777) == 0 && mkdir("EXPR_Set/Train_Set", 0777) == 0 &&
	       mkdir("EXPR_Set/Validation_Set", 0777) == 0 && mkdir("EXPR_Set/other", 0777) == 0);
	write_text("EXPR_Set/Train_Set/v2_right.txt", HEADER "\n1\n2\n");
	write_text("EXPR_Set/Train_Set/v2_left.txt", HEADER "\n0\n");
	write_text("EXPR_Set/Train_Set/v1.txt", HEADER "\n-1\n6\n6\n");
	write_text("EXPR_Set/Train_Set/bad.txt", HEADER "\n9\n");
	write_text("EXPR_Set/Train_Set/notes.csv", "x");
	write_text("EXPR_Set/Validation_Set/v3.txt", HEADER "\n4\n");
	write_text("EXPR_Set/other/v4.txt", HEADER "\n4\n");
	expect_int(abaw_index_read(&ix, "EXPR_Set", report, &r, err, sizeof err), 4);
	expect_int(r.n, 2);
	expect_str(r.last, "EXPR_Set/other/v4.txt: no split in its folders' names: put it in a "
		   "Train_Set or Validation_Set folder");
	if (ix.n == 4) {
		expect_str(ix.p[0].video, "v1");
		expect_str(ix.p[0].split, "train");
		expect_int(ix.p[0].labels.n, 3);
		expect_str(ix.p[1].stem, "v2_left");
		expect_int(ix.p[1].side, 'l');
		expect_int(ix.p[2].side, 'r');
		expect_str(ix.p[3].split, "val");
	}
	expect_int(abaw_index_find(&ix, "v2", &first), 2);
	expect_int(first, 1);
	expect_int(abaw_index_find(&ix, "v0", &first), 0);
	expect_int(abaw_index_find(&ix, "v9", &first), 0);
	abaw_index_free(&ix);
	/* the split from the folder given itself */
	expect_int(abaw_index_read(&ix, "EXPR_Set/Validation_Set", NULL, NULL, err, sizeof err),
		   1);
	expect(ix.n == 1 && !strcmp(ix.p[0].split, "val"));
	abaw_index_free(&ix);
	expect_int(abaw_index_read(&ix, "EXPR_Set/other/v4.txt", NULL, NULL, err, sizeof err),
		   ARPG_EFORMAT);
	expect_int(abaw_index_read(&ix, "nowhere", NULL, NULL, err, sizeof err), ARPG_ENOENT);
	expect(mkdir("empty", 0777) == 0);
	expect_int(abaw_index_read(&ix, "empty", NULL, NULL, err, sizeof err), ARPG_ENOENT);
	expect(!strncmp(err, "no annotation file", 18));
}
