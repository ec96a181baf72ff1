/* frames.tsv: the writer's lines read back; the reader's checks. */
#include "harness.h"
#include "error.h"
#include "fileio.h"
#include "frames_tsv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ARPG_TEST(written_rows_read_back)
{
	struct arpg_frame_row r;
	struct arpg_frames_tsv ft;
	char err[200], *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("frames.tsv", "w");
	int fields = 1;

	memset(&r, 0, sizeof r);
	expect_int(arpg_frames_tsv_write_header(f, ARPG_FRAMES_TSV_BASE), 0);
	r.M[0] = r.M[4] = 1;
	expect_int(arpg_frames_tsv_write_row(f, 0, &r, ARPG_FRAMES_TSV_BASE), 0);
	r.detected = 1;
	r.box[2] = 40;
	r.landmarks[135] = 12.5f;
	r.M[2] = -0.25;
	expect_int(arpg_frames_tsv_write_row(f, 1, &r, ARPG_FRAMES_TSV_BASE), 0);
	expect_int(arpg_frames_tsv_write_row(f, 2, &r, ARPG_FRAMES_TSV_BASE), 0);
	fclose(f);

	expect_int(arpg_frames_tsv_read(&ft, "frames.tsv", err, sizeof err), 0);
	expect_int(ft.rows, 3);
	expect_int(ft.faces, 2);
	expect_int(ft.n, 3);
	expect_int(ft.cols, ARPG_FRAMES_TSV_BASE);
	expect(ft.detected && !ft.detected[0] && ft.detected[1] && ft.detected[2]);
	arpg_frames_tsv_free(&ft);

	/* 148 fields a line; the second frame's values as written */
	f = fopen("frames.tsv", "r");
	for (int k = 0; getline(&line, &cap, f) > 0; k++) {
		char *p = line;

		for (fields = 1; (p = strchr(p, '\t')); p++)
			fields++;
		expect_int(fields, 148);
		if (k == 3)	/* the header is line 0 */
			expect(strstr(line, "2\t1\t0\t0\t40\t0\t") == line &&
			       strstr(line, "\t12.5\t1\t0\t-0.25\t0\t1\t0\n"));
	}
	free(line);
	fclose(f);
}

/* A run with a CNN detector: the 148 columns, then score and keypoints
 * (zeros where no face was detected); read as before, cols telling. */
ARPG_TEST(detector_columns_follow_the_others)
{
	struct arpg_frame_row r;
	struct arpg_frames_tsv ft;
	char err[200], *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("frames.tsv", "w");
	int fields, k;

	memset(&r, 0, sizeof r);
	expect_int(arpg_frames_tsv_write_header(f, ARPG_FRAMES_TSV_DETECTOR), 0);
	r.score = 0.75f;	/* not detected: written as 0 */
	expect_int(arpg_frames_tsv_write_row(f, 0, &r, ARPG_FRAMES_TSV_DETECTOR), 0);
	r.detected = 1;
	for (k = 0; k < 10; k++)
		r.kps[k] = 10.5f + k;
	expect_int(arpg_frames_tsv_write_row(f, 1, &r, ARPG_FRAMES_TSV_DETECTOR), 0);
	fclose(f);
	expect_int(arpg_frames_tsv_read(&ft, "frames.tsv", err, sizeof err), 0);
	expect_int(ft.rows, 2);
	expect_int(ft.faces, 1);
	expect_int(ft.cols, ARPG_FRAMES_TSV_DETECTOR);
	arpg_frames_tsv_free(&ft);
	f = fopen("frames.tsv", "r");
	for (k = 0; getline(&line, &cap, f) > 0; k++) {
		char *p = line;
		for (fields = 1; (p = strchr(p, '\t')); p++)
			fields++;
		expect_int(fields, 159);
		if (k == 0)
			expect(strstr(line, "\tm5\tscore\tk0x\tk0y\t") &&
			       strstr(line, "\tk4y\n"));
		if (k == 1)
			expect(strstr(line, "\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0\n") != NULL);
		if (k == 2)
			expect(strstr(line, "\t0.75\t10.5\t11.5\t12.5\t13.5\t14.5\t15.5\t16.5\t"
					    "17.5\t18.5\t19.5\n") != NULL);
	}
	free(line);
	fclose(f);
}

/* A clip labelled frame by frame: the label column last (after the
 * detector's), the classes line after the header; labels read by frame
 * index, -1 where unlisted; damage named by line. */
ARPG_TEST(label_column_and_classes_read_back)
{
	struct arpg_frame_row r;
	struct arpg_frames_tsv ft;
	char err[200], *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("frames.tsv", "w");
	int cols = ARPG_FRAMES_TSV_DETECTOR | ARPG_FRAMES_TSV_LABEL, fields, k;

	memset(&r, 0, sizeof r);
	expect_int(arpg_frames_tsv_write_header(f, cols), 0);
	expect_int(arpg_frames_tsv_write_classes(f, "Neutral,Anger,Other"), 0);
	r.label = 2;
	expect_int(arpg_frames_tsv_write_row(f, 0, &r, cols), 0);
	r.label = -1;
	expect_int(arpg_frames_tsv_write_row(f, 1, &r, cols), 0);
	r.label = 0;
	expect_int(arpg_frames_tsv_write_row(f, 3, &r, cols), 0);
	fclose(f);
	expect_int(arpg_frames_tsv_read(&ft, "frames.tsv", err, sizeof err), 0);
	expect_int(ft.rows, 3);
	expect_int(ft.n, 4);
	expect_int(ft.cols, cols);
	expect_str(ft.label_classes, "Neutral,Anger,Other");
	expect(ft.labels && ft.labels[0] == 2 && ft.labels[1] == -1 && ft.labels[2] == -1 &&
	       ft.labels[3] == 0);
	arpg_frames_tsv_free(&ft);
	f = fopen("frames.tsv", "r");
	for (k = 0; getline(&line, &cap, f) > 0; k++) {
		char *p = line;

		for (fields = 1; (p = strchr(p, '\t')); p++)
			fields++;
		expect_int(fields, k == 1 ? 2 : 160);
		if (k == 0)
			expect(strstr(line, "\tk4y\tlabel\n") != NULL);
		if (k == 2)
			expect(strstr(line, "\t2\n") != NULL);
	}
	free(line);
	fclose(f);

	static const struct { const char *text, *msg; } bad[] = {
		{ "index\tdetected\tlabel\n0\t1\t0\n",
		  "line 2: a label column, but no label classes line after the header" },
		{ "index\tdetected\tlabel\n#label_classes\tA,B\n0\t1\t2\n",
		  "line 3: the label is not -1 or a class index below 2" },
		{ "index\tdetected\tlabel\n#label_classes\tA,B\n0\t1\tx\n",
		  "line 3: the label is not -1 or a class index below 2" },
		{ "index\tdetected\tlabel\n#label_classes\tA,B\n0\t1\n",
		  "line 3: the label is not -1 or a class index below 2" },
		{ "index\tdetected\tlabel\n#label_classes\tA,,B\n",
		  "line 2: label classes are not up to 128 names joined by ','" },
		{ "index\tdetected\tlabel\n#label_classes\tA\n#label_classes\tA\n",
		  "line 3: a second label classes line" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_int(arpg_frames_tsv_parse(&ft, bad[i].text, strlen(bad[i].text), err,
						 sizeof err), ARPG_EFORMAT);
		expect_str(err, bad[i].msg);
	}
}

ARPG_TEST(unlisted_frames_are_not_detected)
{
	const char *tsv = "index\tdetected\tx\n0\t1\t3\n1\t0\t3\n\n# note\n3\t1\t2\n";
	struct arpg_frames_tsv ft;
	char err[200];

	expect_int(arpg_frames_tsv_parse(&ft, tsv, strlen(tsv), err, sizeof err), 0);
	expect_int(ft.n, 4);
	expect_int(ft.rows, 3);
	expect_int(ft.faces, 2);
	expect(!memcmp(ft.detected, "\1\0\0\1", 4));
	arpg_frames_tsv_free(&ft);
}

ARPG_TEST(bad_files_are_refused_with_the_line)
{
	static const char *const bad[] = {
		"h\n0\t1\n",				/* no header */
		"index\tdetected\n0\t7\n",		/* detected 7 */
		"index\tdetected\n0\t1\nx\t1\n",	/* no index */
		"index\tdetected\n99999999\t1\n",	/* index too large */
		"index\tdetected\n0\t10\n",		/* detected 10 */
		"index\tdetected\n0\n",		/* no detected */
	};
	struct arpg_frames_tsv ft;
	char err[200];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = 0;
		expect_int(arpg_frames_tsv_parse(&ft, bad[i], strlen(bad[i]), err, sizeof err),
			   ARPG_EFORMAT);
		expect(strncmp(err, "line ", 5) == 0);
		expect(ft.detected == NULL);
	}
	expect_int(arpg_frames_tsv_read(&ft, "nothere.tsv", err, sizeof err), ARPG_ENOENT);
}
