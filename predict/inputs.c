/* inputs.c - videos, folders and archives for arpg-preprocess (see inputs.h). */
#include "config.h"
#include "inputs.h"
#include "error.h"
#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

const char *const VIDEO_EXTENSIONS[] = {
	"avi", "mp4", "m4v", "mkv", "mov", "webm", "mpg", "mpeg", "flv", "wmv", "ogv", "3gp",
	"ts", NULL
};

static const char *const ARCHIVE_SUFFIXES[] = {
	".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".7z", NULL
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && !strcasecmp(s + n - k, suffix);
}

static int is_archive(const char *path)
{
	for (int i = 0; ARCHIVE_SUFFIXES[i]; i++)
		if (ends_with(path, ARCHIVE_SUFFIXES[i]))
			return 1;
	return 0;
}

static int is_video_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (int i = 0; dot && VIDEO_EXTENSIONS[i]; i++)
		if (!strcasecmp(dot + 1, VIDEO_EXTENSIONS[i]))
			return 1;
	return 0;
}

/* One list line for the video path; a path the list cannot hold (a tab
 * or a line break in it) is reported and counted. */
static int add_video(const char *path, FILE *list, long *nlist, long *bad)
{
	char abs[PATH_MAX];

	if (!realpath(path, abs)) {
		arpg_report(path, ARPG_EIO, strerror(errno));
		++*bad;
		return 0;
	}
	if (strpbrk(abs, "\t\n\r")) {
		arpg_report(path, ARPG_EUNSUPPORTED, "a tab or a line break in its path");
		++*bad;
		return 0;
	}
	if (fprintf(list, "%s\t\ttest\t\n", abs) < 0)
		return arpg_report("the input list", ARPG_EIO, strerror(errno));
	++*nlist;
	return 0;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The videos below dir (depth levels at most, against link loops). */
static int walk(const char *dir, int depth, FILE *list, long *nlist, long *bad)
{
	struct dirent **names;
	int n, rc = 0;

	if ((n = scandir(dir, &names, NULL, byte_order)) < 0) {
		arpg_report(dir, ARPG_EIO, strerror(errno));
		++*bad;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		if (!rc && names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name) < sizeof path &&
		    stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode) && depth > 0)
				rc = walk(path, depth - 1, list, nlist, bad);
			else if (S_ISREG(st.st_mode) && is_video_name(names[i]->d_name))
				rc = add_video(path, list, nlist, bad);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int inputs_sort(char *const *inputs, int n, int layout_given, FILE *list, long *nlist,
		struct args *datasets, long *bad)
{
	int rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		struct stat st;
		long before = *nlist;

		if (stat(inputs[i], &st) < 0) {
			arpg_report(inputs[i], errno == ENOENT ? ARPG_ENOENT : ARPG_EIO,
				    strerror(errno));
			++*bad;
		} else if (S_ISDIR(st.st_mode) && !layout_given) {
			if ((rc = walk(inputs[i], 16, list, nlist, bad)) == 0 && *nlist == before) {
				arpg_error("%s: no video in it (files ending .avi, .mp4, .mkv, .mov, "
					   "...; -l LAYOUT reads it as a dataset)", inputs[i]);
				++*bad;
			}
		} else if (S_ISDIR(st.st_mode) || is_archive(inputs[i])) {
			args_add(datasets, inputs[i]);
		} else {
			rc = add_video(inputs[i], list, nlist, bad);
		}
	}
	return rc;
}
