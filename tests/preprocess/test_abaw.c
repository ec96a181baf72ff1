/* test_abaw.c - Aff-Wild2's expression annotation files: the labels of a
 * well-formed file (CRLF, spaces, -1 gaps, no final newline), and the
 * message naming the line of each kind of damage; the file name rule. */
#include "harness.h"
#include "abaw.h"
#include "error.h"

#include <string.h>

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
