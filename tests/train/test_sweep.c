/* The sweep: option lists, their combinations (the seed fastest), the
 * settings of a combination, and the table of mean and standard deviation
 * over seeds. */
#include "harness.h"
#include "error.h"
#include "sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What f wrote (a memstream), for comparison; free it. */
static char *json_of(const struct sweep *sw, const int *k, int with_seed)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	sweep_json(f, sw, k, with_seed);
	fclose(f);
	return buf;
}

ARPG_TEST(defaults_make_one_combination_of_the_default_model)
{
	struct sweep sw;
	struct model_config c, d;
	struct train_config t;
	int k[SW_COUNT];
	char *j;

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_count(&sw), 1);
	sweep_combo(&sw, 0, k);
	for (int i = 0; i < SW_COUNT; i++)
		expect_int(k[i], 0);
	expect_int(sweep_config(&sw, k, &c, &t), 0);
	model_config_default(&d);
	expect(!memcmp(&c, &d, sizeof c));
	/* the paper's: Adam at 1e-3, plain cross-entropy */
	expect_near(t.lr, 0.001, 0);
	expect_int(t.optimizer, OPT_ADAM);
	expect_int(t.schedule, SCHED_CONSTANT);
	expect_near(t.smoothing, 0, 0);
	expect_int(t.class_weights, CW_NONE);
	expect_int(t.augment, AUG_JITTER);
	expect_int(t.seed, 1);
	j = json_of(&sw, k, 1);
	expect_str(j, "\"grid\":\"first\",\"trs\":4,\"edges\":\"self,adj,sym\",\"fusion\":\"gat\",\"modality\":\"both\","
		   "\"dim\":256,\"heads\":4,\"rel-layers\":2,\"fusion-layers\":1,"
		   "\"optimizer\":\"adam\",\"lr\":0.001,\"schedule\":\"constant\",\"dropout\":0.1,"
		   "\"label-smoothing\":0,\"class-weights\":\"none\",\"augment\":\"jitter\",\"seed\":1");
	free(j);
	expect_str(sweep_name(SW_REL), "rel-layers");
	sweep_free(&sw);
}

ARPG_TEST(every_combination_once_with_the_seed_fastest)
{
	struct sweep sw;
	int k[SW_COUNT], seen[3][2][2] = { { { 0 } } };

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_set(&sw, SW_TRS, "1,2,all"), 0);
	expect_int(sweep_set(&sw, SW_EDGES, "self,adj:sym"), 0);	/* ':' between values */
	expect_int(sweep_set(&sw, SW_SEED, "7,8"), 0);
	expect_int(sw.opt[SW_EDGES].n, 2);
	expect_str(sw.opt[SW_EDGES].v[0], "self,adj");
	expect_int(sweep_count(&sw), 12);
	for (long c = 0; c < 12; c++) {
		sweep_combo(&sw, c, k);
		expect_int(k[SW_SEED], c % 2);
		expect_int(k[SW_EDGES], c / 2 % 2);
		expect_int(k[SW_TRS], c / 4);
		expect_int(k[SW_DIM], 0);
		if (k[SW_TRS] < 3 && k[SW_EDGES] < 2 && k[SW_SEED] < 2)
			seen[k[SW_TRS]][k[SW_EDGES]][k[SW_SEED]]++;
	}
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 2; b++)
			for (int s = 0; s < 2; s++)
				expect_int(seen[a][b][s], 1);
	sweep_free(&sw);
}

ARPG_TEST(a_combination_sets_the_model_lr_and_seed)
{
	struct sweep sw;
	struct model_config c;
	struct train_config t;
	int k[SW_COUNT] = { 0 };
	char *j;

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_set(&sw, SW_TRS, "3,all"), 0);
	expect_int(sweep_set(&sw, SW_EDGES, "self,adj8"), 0);
	expect_int(sweep_set(&sw, SW_FUSION, "concat"), 0);
	expect_int(sweep_set(&sw, SW_MODALITY, "rel"), 0);
	expect_int(sweep_set(&sw, SW_DIM, "64"), 0);
	expect_int(sweep_set(&sw, SW_HEADS, "8"), 0);
	expect_int(sweep_set(&sw, SW_REL, "0"), 0);
	expect_int(sweep_set(&sw, SW_FUS, "3"), 0);
	expect_int(sweep_set(&sw, SW_LR, "1e-4"), 0);
	expect_int(sweep_set(&sw, SW_DROPOUT, "0.5"), 0);
	expect_int(sweep_set(&sw, SW_SEED, "2147483647"), 0);
	expect_int(sweep_set(&sw, SW_OPTIMIZER, "adamw"), 0);
	expect_int(sweep_set(&sw, SW_SCHEDULE, "cosine"), 0);
	expect_int(sweep_set(&sw, SW_SMOOTHING, "0.1"), 0);
	expect_int(sweep_set(&sw, SW_CLASS_WEIGHTS, "balanced"), 0);
	expect_int(sweep_set(&sw, SW_AUGMENT, "none:jitter,mixup,drop"), 0);
	k[SW_TRS] = 1;
	k[SW_AUGMENT] = 1;
	expect_int(sweep_config(&sw, k, &c, &t), 0);
	expect_int(c.trs, -1);
	expect_int(c.edges, EDGE_SELF | EDGE_ADJ8);
	expect_int(c.fusion, FUSION_CONCAT);
	expect_int(c.modality, MOD_REL);
	expect_int(c.D, 64);
	expect_int(c.H, 8);
	expect_int(c.rel_layers, 0);
	expect_int(c.fusion_layers, 3);
	expect_near(t.lr, 1e-4, 0);
	expect_near(c.dropout, 0.5, 0);
	expect_int(t.seed, 2147483647);
	expect_int(t.optimizer, OPT_ADAMW);
	expect_int(t.schedule, SCHED_COSINE);
	expect_near(t.smoothing, 0.1, 1e-7);
	expect_int(t.class_weights, CW_BALANCED);
	expect_int(t.augment, AUG_JITTER | AUG_MIXUP | AUG_DROP);
	/* numbers stay as given; words and edge lists are strings */
	j = json_of(&sw, k, 0);
	expect_str(j, "\"grid\":\"first\",\"trs\":\"all\",\"edges\":\"self,adj8\",\"fusion\":\"concat\","
		   "\"modality\":\"rel\",\"dim\":64,\"heads\":8,\"rel-layers\":0,"
		   "\"fusion-layers\":3,\"optimizer\":\"adamw\",\"lr\":1e-4,\"schedule\":\"cosine\","
		   "\"dropout\":0.5,\"label-smoothing\":0.1,\"class-weights\":\"balanced\","
		   "\"augment\":\"jitter,mixup,drop\"");
	free(j);
	sweep_free(&sw);
}

ARPG_TEST(bad_lists_and_values_are_found)
{
	struct sweep sw;
	char many[200] = "0";
	int opt = -1, val = -1;

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_set(&sw, SW_TRS, "1,,2"), ARPG_EINVAL);
	expect_int(sweep_set(&sw, SW_TRS, ",1"), ARPG_EINVAL);
	expect_int(sweep_set(&sw, SW_TRS, ""), ARPG_EINVAL);
	for (int i = 1; i < 33; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), ",%d", i);
	expect_int(sweep_set(&sw, SW_TRS, many), ARPG_EINVAL);	/* 33 values */
	expect_int(sw.opt[SW_TRS].n, 1);				/* kept its value */
	expect_str(sw.opt[SW_TRS].v[0], "4");
	*strrchr(many, ',') = 0;
	expect_int(sweep_set(&sw, SW_TRS, many), 0);		/* 32 */
	expect_int(sweep_check(&sw, &opt, &val), 0);

	expect_int(sweep_set(&sw, SW_FUSION, "gat,max"), 0);
	expect_int(sweep_check(&sw, &opt, &val), ARPG_EINVAL);
	expect_int(opt, SW_FUSION);
	expect_int(val, 1);
	/* the first value of every list is checked before the others */
	expect_int(sweep_set(&sw, SW_DROPOUT, "1"), 0);
	expect_int(sweep_check(&sw, &opt, &val), ARPG_EINVAL);
	expect_int(opt, SW_DROPOUT);
	expect_int(val, 0);
	sweep_free(&sw);

	static const struct { enum sweep_option o; const char *v; } bad[] = {
		{ SW_TRS, "-1" }, { SW_TRS, "x" }, { SW_EDGES, "self,diag" }, { SW_EDGES, "," },
		{ SW_MODALITY, "video" }, { SW_DIM, "0" }, { SW_HEADS, "1025" },
		{ SW_REL, "9" }, { SW_FUS, "-1" }, { SW_LR, "0" }, { SW_LR, "11" },
		{ SW_DROPOUT, "0.995" }, { SW_SEED, "-3" }, { SW_SEED, "2147483648" },
		{ SW_OPTIMIZER, "sgd" }, { SW_SCHEDULE, "linear" }, { SW_SMOOTHING, "1" },
		{ SW_SMOOTHING, "-0.1" }, { SW_CLASS_WEIGHTS, "inverse" }, { SW_AUGMENT, "rotate" },
		{ SW_AUGMENT, "jitter,,flip" }, { SW_AUGMENT, "none,flip" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		expect_int(sweep_init(&sw), 0);
		expect_int(sweep_set(&sw, bad[i].o, bad[i].v), 0);
		if (sweep_check(&sw, &opt, &val) != ARPG_EINVAL || opt != (int)bad[i].o)
			arpg_test_fail(__FILE__, __LINE__, "--%s %s was taken", sweep_name(bad[i].o),
				       bad[i].v);
		sweep_free(&sw);
	}
}

ARPG_TEST(mean_and_sample_standard_deviation)
{
	static const double v[4] = { 0.5, 0.7, 0.6, 0.2 };
	double m, sd;

	sweep_mean_std(v, 2, &m, &sd);
	expect_near(m, 0.6, 1e-12);
	expect_near(sd, sqrt(0.02), 1e-12);	/* (0.01 + 0.01) / (2 - 1) */
	sweep_mean_std(v, 4, &m, &sd);
	expect_near(m, 0.5, 1e-12);
	expect_near(sd, sqrt((0 + 0.04 + 0.01 + 0.09) / 3), 1e-12);
	sweep_mean_std(v, 1, &m, &sd);
	expect_near(sd, 0, 0);
	sweep_mean_std(v, 0, &m, &sd);
	expect_near(m, 0, 0);
}

ARPG_TEST(the_table_groups_runs_that_differ_only_in_their_seed)
{
	struct sweep sw;
	struct sweep_table t = { 0 };
	int k[SW_COUNT];
	char *json = NULL, *human = NULL;
	size_t jl = 0, hl = 0;
	FILE *jf, *hf;

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_set(&sw, SW_FUSION, "gat,concat"), 0);
	expect_int(sweep_set(&sw, SW_SEED, "1,2"), 0);
	for (long c = 0; c < 4; c++) {
		/* gat: final WAR 0.5 and 0.7, best 0.6 and 0.8 at epochs 2 and 4;
		 * concat: final and best 0.25 at epoch 3 */
		struct sweep_result r = { c < 2 ? 2 + 2 * c : 3, c < 2 ? 0.6 + 0.2 * c : 0.25, 0.5,
					  0.5, c < 2 ? 0.5 + 0.2 * c : 0.25, 0.5, 0.5 };

		sweep_combo(&sw, c, k);
		expect_int(sweep_table_add(&t, k, &r), 0);
	}
	expect_int(t.n, 2);
	expect_int(t.rows[0].n, 2);
	expect_int(t.rows[1].key[SW_FUSION], 1);
	jf = open_memstream(&json, &jl);
	hf = open_memstream(&human, &hl);
	sweep_table_print(&t, &sw, jf, hf);
	fclose(jf);
	fclose(hf);
	expect_str(json, "{\"table\":[{\"grid\":\"first\",\"trs\":4,\"edges\":\"self,adj,sym\",\"fusion\":\"gat\","
		   "\"modality\":\"both\",\"dim\":256,\"heads\":4,\"rel-layers\":2,\"fusion-layers\":1,"
		   "\"optimizer\":\"adam\",\"lr\":0.001,\"schedule\":\"constant\",\"dropout\":0.1,"
		   "\"label-smoothing\":0,\"class-weights\":\"none\",\"augment\":\"jitter\",\"runs\":2,\"best\":{\"epoch_mean\":3.000000,"
		   "\"epoch_std\":1.414214,\"war_mean\":0.700000,\"war_std\":0.141421,"
		   "\"uar_mean\":0.500000,\"uar_std\":0.000000,\"f1_mean\":0.500000,\"f1_std\":0.000000},"
		   "\"final\":{\"war_mean\":0.600000,\"war_std\":0.141421,"
		   "\"uar_mean\":0.500000,\"uar_std\":0.000000,\"f1_mean\":0.500000,\"f1_std\":0.000000}},"
		   "{\"grid\":\"first\",\"trs\":4,\"edges\":\"self,adj,sym\",\"fusion\":\"concat\",\"modality\":\"both\","
		   "\"dim\":256,\"heads\":4,\"rel-layers\":2,\"fusion-layers\":1,"
		   "\"optimizer\":\"adam\",\"lr\":0.001,\"schedule\":\"constant\",\"dropout\":0.1,"
		   "\"label-smoothing\":0,\"class-weights\":\"none\",\"augment\":\"jitter\",\"runs\":2,\"best\":{\"epoch_mean\":3.000000,\"epoch_std\":0.000000,"
		   "\"war_mean\":0.250000,\"war_std\":0.000000,"
		   "\"uar_mean\":0.500000,\"uar_std\":0.000000,\"f1_mean\":0.500000,\"f1_std\":0.000000},"
		   "\"final\":{\"war_mean\":0.250000,\"war_std\":0.000000,"
		   "\"uar_mean\":0.500000,\"uar_std\":0.000000,\"f1_mean\":0.500000,\"f1_std\":0.000000}}]}\n");
	/* the text table names only the options that vary (not the seed) */
	expect_str(human, "\nfusion         runs  best epoch    best WAR%       best UAR%       "
		   "best F1%        final WAR%      final UAR%      final F1%\n"
		   "gat               2    3.0 +-  1.4   70.00 +- 14.14   50.00 +-  0.00   50.00 +-  0.00"
		   "   60.00 +- 14.14   50.00 +-  0.00   50.00 +-  0.00\n"
		   "concat            2    3.0 +-  0.0   25.00 +-  0.00   50.00 +-  0.00   50.00 +-  0.00"
		   "   25.00 +-  0.00   50.00 +-  0.00   50.00 +-  0.00\n");
	free(json);
	free(human);
	sweep_table_free(&t);
	sweep_free(&sw);
}

ARPG_TEST(a_long_value_widens_its_column_of_the_text_table)
{
	struct sweep sw;
	struct sweep_table t = { 0 };
	int k[SW_COUNT];
	char *json = NULL, *human = NULL, *line, *header;
	size_t jl = 0, hl = 0;
	FILE *jf, *hf;

	expect_int(sweep_init(&sw), 0);
	expect_int(sweep_set(&sw, SW_AUGMENT, "none:jitter,flip,drop,mixup"), 0);
	for (long c = 0; c < 2; c++) {
		struct sweep_result r = { 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 };

		sweep_combo(&sw, c, k);
		expect_int(sweep_table_add(&t, k, &r), 0);
	}
	jf = open_memstream(&json, &jl);
	hf = open_memstream(&human, &hl);
	sweep_table_print(&t, &sw, jf, hf);
	fclose(jf);
	fclose(hf);
	/* the runs column starts after the widest value and a space, in the
	 * header and in every row */
	header = strstr(human, "augment ");
	line = strstr(human, "jitter,flip,drop,mixup ");
	expect_int(header != NULL && line != NULL, 1);
	if (header && line) {
		expect_int((int)(strstr(header, "runs") - header), 23);
		expect_int(line[23 + 3] == '1', 1);	/* "%4d" of 1 run */
		line = strstr(human, "\nnone ");
		expect_int(line != NULL && line[1 + 23 + 3] == '1', 1);
	}
	free(json);
	free(human);
	sweep_table_free(&t);
	sweep_free(&sw);
}
