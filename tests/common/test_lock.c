/* test_lock.c - one writer at a time: a second taker is refused and told who
 * holds the lock, or waits for it; the lock dies with its holder. */
#include "harness.h"
#include "error.h"
#include "lock.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child that takes the lock on path, says so on a pipe, and holds it until
 * its stdin pipe closes (or it is killed).  Returns its pid; *go is the pipe
 * end the parent closes to let it go. */
static pid_t holder(const char *path, int is_dir, int *go)
{
	int ready[2], hold[2];
	char c;
	pid_t pid;

	if (pipe(ready) || pipe(hold))
		return -1;
	if ((pid = fork()) == 0) {
		struct arpg_lock *l;
		char err[300];

		close(ready[0]);
		close(hold[1]);
		if (arpg_lock_take(&l, path, is_dir, "test-holder", ARPG_LOCK_REFUSE, err,
				   sizeof err) < 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		while (read(hold[0], &c, 1) > 0)
			;
		arpg_lock_release(l);
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	*go = hold[1];
	return pid;
}

ARPG_TEST(lock_refuses_a_second_writer_and_names_the_holder)
{
	struct arpg_lock *l = NULL;
	char err[300], want[64];
	int go, st;
	pid_t pid = holder("out", 1, &go);

	expect(pid > 0);
	expect_int(arpg_lock_take(&l, "out", 1, "me", ARPG_LOCK_REFUSE, err, sizeof err),
		   ARPG_ELOCKED);
	expect(l == NULL);
	snprintf(want, sizeof want, "test-holder (pid %ld)", (long)pid);
	if (!strstr(err, want))
		arpg_test_fail(__FILE__, __LINE__, "'%s' does not name '%s'", err, want);
	expect(strstr(err, "out/arpg.lock") != NULL);
	close(go);
	waitpid(pid, &st, 0);
	expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	expect_int(arpg_lock_take(&l, "out", 1, "me", ARPG_LOCK_REFUSE, err, sizeof err), 0);
	arpg_lock_release(l);
}

ARPG_TEST(lock_dies_with_a_killed_holder)
{
	struct arpg_lock *l = NULL;
	char err[300];
	int go, st;
	pid_t pid = holder("model.arpg", 0, &go);

	expect(pid > 0);
	expect_int(arpg_lock_take(&l, "model.arpg", 0, "me", ARPG_LOCK_REFUSE, err, sizeof err),
		   ARPG_ELOCKED);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(go);
	expect_int(arpg_lock_take(&l, "model.arpg", 0, "me", ARPG_LOCK_REFUSE, err, sizeof err), 0);
	expect(access("model.arpg.lock", F_OK) == 0);
	expect(access("model.arpg", F_OK) != 0);	/* the output itself is not made */
	arpg_lock_release(l);
}

ARPG_TEST(lock_waits_when_asked)
{
	struct arpg_lock *l = NULL;
	char err[300];
	int go, st;
	pid_t pid = holder("out", 1, &go), rel;

	expect(pid > 0);
	/* a second child lets the holder go a little later */
	if ((rel = fork()) == 0) {
		usleep(200 * 1000);
		close(go);
		_exit(0);
	}
	close(go);
	expect_int(arpg_lock_take(&l, "out", 1, "me", ARPG_LOCK_WAIT, err, sizeof err), 0);
	waitpid(rel, &st, 0);
	waitpid(pid, &st, 0);
	expect(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	arpg_lock_release(l);
}

ARPG_TEST(lock_holds_against_the_same_process)
{
	struct arpg_lock *a = NULL, *b = NULL;
	char err[300];

	expect_int(arpg_lock_take(&a, "d/e", 1, "me", ARPG_LOCK_REFUSE, err, sizeof err), 0);
	/* a second descriptor in the same process is a second writer too */
	expect_int(arpg_lock_take(&b, "d/e", 1, "me", ARPG_LOCK_REFUSE, err, sizeof err),
		   ARPG_ELOCKED);
	arpg_lock_release(a);
	expect_int(arpg_lock_take(&b, "d/e", 1, "me", ARPG_LOCK_REFUSE, err, sizeof err), 0);
	arpg_lock_release(b);
	arpg_lock_release(NULL);
}
