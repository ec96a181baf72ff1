/* WAR, UAR and macro-F1 from confusion matrices whose values were worked
 * out by hand (row = true class, column = predicted). */
#include "harness.h"
#include "metrics.h"

#include <math.h>

ARPG_TEST(metrics_of_a_matrix_with_an_absent_class)
{
	/* class 2 has no clips but is predicted once: it counts for precision
	 * (class 1 loses a clip to it) but not in the means over classes.
	 *   recall 3/4, 2/4; precision 3/4, 2/3
	 *   F1: 3/4, 2 (2/3)(1/2) / (2/3 + 1/2) = 4/7 */
	static const long cm[9] = { 3, 1, 0,
				    1, 2, 1,
				    0, 0, 0 };
	struct metrics m;

	metrics_from_confusion(&m, cm, 3);
	expect_int(m.n, 8);
	expect_near(m.war, 5.0 / 8, 1e-12);
	expect_near(m.uar, (3.0 / 4 + 2.0 / 4) / 2, 1e-12);
	expect_near(m.f1, (3.0 / 4 + 4.0 / 7) / 2, 1e-12);
}

ARPG_TEST(a_class_never_predicted_has_f1_zero)
{
	/* class 0: recall 1, precision 2/4, F1 2/3; class 1: nothing right */
	static const long cm[4] = { 2, 0,
				    2, 0 };
	struct metrics m;

	metrics_from_confusion(&m, cm, 2);
	expect_int(m.n, 4);
	expect_near(m.war, 0.5, 1e-12);
	expect_near(m.uar, 0.5, 1e-12);
	expect_near(m.f1, (2.0 / 3 + 0) / 2, 1e-12);
}

ARPG_TEST(uar_weighs_classes_not_clips)
{
	/* 90 clips of class 0 all right, 10 of class 1 all wrong: WAR 0.9
	 * but UAR 0.5; F1 of class 0: precision 0.9, recall 1 -> 18/19 */
	static const long cm[4] = { 90, 0,
				    10, 0 };
	struct metrics m;

	metrics_from_confusion(&m, cm, 2);
	expect_near(m.war, 0.9, 1e-12);
	expect_near(m.uar, 0.5, 1e-12);
	expect_near(m.f1, (18.0 / 19) / 2, 1e-12);
}

ARPG_TEST(a_perfect_and_an_empty_matrix)
{
	static const long right[9] = { 4, 0, 0, 0, 1, 0, 0, 0, 7 };
	static const long none[9] = { 0 };
	struct metrics m;

	metrics_from_confusion(&m, right, 3);
	expect_int(m.n, 12);
	expect_near(m.war, 1, 0);
	expect_near(m.uar, 1, 0);
	expect_near(m.f1, 1, 0);
	metrics_from_confusion(&m, none, 3);
	expect_int(m.n, 0);
	expect_near(m.war, 0, 0);
	expect_near(m.uar, 0, 0);
	expect_near(m.f1, 0, 0);
}
