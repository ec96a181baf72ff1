/* The parts of an experiment that need no training: folds dealt by
 * subject (or clip by clip), and the clips of a run's train and
 * evaluation sets. */
#include "harness.h"
#include "error.h"
#include "experiment.h"

#include <math.h>
#include <string.h>

/* A dataset of clips with only what folds and splits read. */
static void make(struct dataset *ds, struct clip_data *clips, int n, const char *const *subj,
		 const int *label, const char *const *split)
{
	memset(ds, 0, sizeof *ds);
	memset(clips, 0, sizeof *clips * n);
	for (int i = 0; i < n; i++) {
		clips[i].subject = (char *)subj[i];
		clips[i].label = label[i];
		strcpy(clips[i].split, split ? split[i] : "train");
	}
	ds->clips = clips;
	ds->nclips = n;
	ds->C = 3;
}

ARPG_TEST(folds_deal_sorted_subjects_in_turn)
{
	static const char *const subj[] = { "s3", "s1", "s2", "s1", "s3", "s10", "s2", "s1" };
	static const int label[] = { 0, 1, 2, 0, 1, 2, -1, 0 };
	/* sorted: s1 s10 s2 s3 -> folds 0 1 0 1 with K 2; clip 6 is unlabelled */
	static const int want2[] = { 1, 0, 0, 0, 1, 1, -1, 0 };
	static const int want3[] = { 0, 0, 2, 0, 0, 1, -1, 0 };	/* s3 is subject 3: fold 0 */
	struct clip_data clips[8];
	struct dataset ds;
	int fold[8];

	make(&ds, clips, 8, subj, label, NULL);
	expect_int(assign_folds(&ds, 2, fold), 4);
	for (int i = 0; i < 8; i++)
		expect_int(fold[i], want2[i]);
	expect_int(assign_folds(&ds, 3, fold), 4);
	for (int i = 0; i < 8; i++)
		expect_int(fold[i], want3[i]);
	/* K as large as the subjects: leave one subject out */
	expect_int(assign_folds(&ds, 4, fold), 4);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			if (label[i] >= 0 && label[j] >= 0 &&
			    (fold[i] == fold[j]) != !strcmp(subj[i], subj[j]))
				arpg_test_fail(__FILE__, __LINE__, "clips %d and %d: folds %d and %d",
					       i, j, fold[i], fold[j]);
}

ARPG_TEST(folds_without_subjects_go_clip_by_clip)
{
	static const char *const subj[] = { "", "", "", "", "", "" };
	static const int label[] = { 0, -1, 1, 2, 0, 1 };
	static const int want[] = { 0, -1, 1, 0, 1, 0 };
	struct clip_data clips[6];
	struct dataset ds;
	int fold[6];

	make(&ds, clips, 6, subj, label, NULL);
	expect_int(assign_folds(&ds, 2, fold), 5);
	for (int i = 0; i < 6; i++)
		expect_int(fold[i], want[i]);
}

ARPG_TEST(folds_refuse_subjects_on_some_clips_only)
{
	static const char *const subj[] = { "s1", "", "s2" };
	static const int label[] = { 0, 1, 2 };
	struct clip_data clips[3];
	struct dataset ds;
	int fold[3];

	make(&ds, clips, 3, subj, label, NULL);
	expect_int(assign_folds(&ds, 2, fold), -1);
	/* an unlabelled clip without a subject does not count */
	clips[1].label = -1;
	expect_int(assign_folds(&ds, 2, fold), 2);
}

ARPG_TEST(a_fold_evaluates_on_its_clips_and_trains_on_the_rest)
{
	static const char *const subj[] = { "a", "b", "a", "c", "b", "c" };
	static const int label[] = { 0, 1, -1, 2, 0, 1 };
	struct clip_data clips[6];
	struct dataset ds;
	int fold[6], tr[6], va[6], ntr, nva;

	make(&ds, clips, 6, subj, label, NULL);
	expect_int(assign_folds(&ds, 3, fold), 3);
	split_clips(&ds, fold, 1, tr, &ntr, va, &nva);	/* subject b */
	expect_int(nva, 2);
	expect_int(va[0], 1);
	expect_int(va[1], 4);
	expect_int(ntr, 3);	/* the unlabelled clip 2 is in neither */
	expect_int(tr[0], 0);
	expect_int(tr[1], 3);
	expect_int(tr[2], 5);
}

ARPG_TEST(without_folds_the_splits_decide)
{
	static const char *const subj[] = { "", "", "", "", "" };
	static const int label[] = { 0, 1, 2, -1, 1 };
	static const char *const split[] = { "val", "train", "test", "train", "train" };
	struct clip_data clips[5];
	struct dataset ds;
	int tr[5], va[5], ntr, nva;

	make(&ds, clips, 5, subj, label, split);
	split_clips(&ds, NULL, 0, tr, &ntr, va, &nva);
	expect_int(ntr, 2);
	expect_int(tr[0], 1);
	expect_int(tr[1], 4);
	expect_int(nva, 1);	/* test and unlabelled clips are in neither */
	expect_int(va[0], 0);
}

ARPG_TEST(balanced_class_weights_count_the_training_clips)
{
	static const char *const subj[] = { "", "", "", "", "", "", "" };
	static const int label[] = { 0, 0, 0, 1, -1, 0, 1 };
	struct clip_data clips[7];
	struct dataset ds;
	int idx[] = { 0, 1, 2, 3, 4, 5 };	/* clip 6 is not in this run */
	float w[3];

	make(&ds, clips, 7, subj, label, NULL);
	/* 5 labelled clips: four of class 0, one of class 1, none of class 2 */
	expect_int(class_weights(w, CW_BALANCED, &ds, idx, 6), 0);
	expect_near(w[0], 5.0 / (3 * 4), 1e-7);
	expect_near(w[1], 5.0 / (3 * 1), 1e-7);
	expect_near(w[2], 0, 0);
	expect_int(class_weights(w, CW_NONE, &ds, idx, 6), 0);
	for (int c = 0; c < 3; c++)
		expect_near(w[c], 1, 0);
}
