/* test_fileio.c - mkdir -p: parents made, an existing folder (or a link to
 * one) taken, and a file or a link to nothing refused with the errno a
 * message can name. */
#include "harness.h"
#include "error.h"
#include "fileio.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

ARPG_TEST(mkdir_p_makes_parents_and_takes_folders)
{
	struct stat st;

	expect_int(arpg_mkdir_p("a/b/c"), 0);
	expect(stat("a/b/c", &st) == 0 && S_ISDIR(st.st_mode));
	expect_int(arpg_mkdir_p("a/b/c"), 0);
	expect_int(arpg_mkdir_p("a/b/"), 0);
	expect(symlink("a/b", "to-b") == 0);
	expect_int(arpg_mkdir_p("to-b"), 0);
	expect_int(arpg_mkdir_p("to-b/d"), 0);
	expect(stat("a/b/d", &st) == 0 && S_ISDIR(st.st_mode));
}

ARPG_TEST(mkdir_p_refuses_what_is_not_a_folder)
{
	expect_int(arpg_test_write_file("file", "x\n", 2), 0);
	errno = 0;
	expect_int(arpg_mkdir_p("file"), ARPG_EIO);
	expect_int(errno, ENOTDIR);
	expect(symlink("nowhere", "dangling") == 0);
	errno = 0;
	expect_int(arpg_mkdir_p("dangling"), ARPG_EIO);
	expect_int(errno, ENOENT);
	errno = 0;
	expect_int(arpg_mkdir_p("file/sub"), ARPG_EIO);
	expect_int(errno, ENOTDIR);
}
