/* figures.h - the PNG files arpg-report writes from a run log.
 *
 * Into directory dir (which must exist):
 *   curves-runR[-foldK].png  loss, WAR and UAR per epoch, train dashed and
 *                            val solid, one file per run (and fold);
 *   curves-all.png           with more than one run or fold: every run's val
 *                            WAR and UAR overlaid, one colour per run;
 *   confusion-runR[-foldK|-folds].png  each summary's confusion matrix,
 *                            row-normalised, counts and label names;
 *   table.png                after a sweep: mean +- std of WAR and UAR per
 *                            setting of the table.
 * Files are written whole and then renamed into place.  Each path written
 * is printed on its own line to list (may be NULL).
 * Returns the number of files written, or a negative ARPG_E code with the
 * file and the reason in err (ARPG_EIO with errno, ARPG_ENOMEM).
 */
#ifndef REPORT_FIGURES_H
#define REPORT_FIGURES_H

#include "runlog.h"

#include <stdio.h>

int fig_write_all(const struct rl_log *log, const char *dir, FILE *list, char *err, size_t errn);

#endif
