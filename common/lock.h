/* lock.h - one writer at a time on an output (a cache, a preprocess output
 * folder, a checkpoint).
 *
 * The lock is an advisory flock(2) on a small file of its own, never on the
 * output's data (which a writer may delete and make again, as --force does):
 * for a directory OUT the file is OUT/arpg.lock, for a file F it is F.lock.
 * The holder writes "PID PROGRAM\n" into it so that a refused writer can
 * name it.  The kernel drops the lock when the holder exits, however it
 * exits (kill -9 included), so a stale lock file never blocks anyone; the
 * file itself stays behind, harmless.  flock, not fcntl: fcntl locks belong
 * to the process and vanish when any descriptor of the file is closed,
 * anywhere in the process (a library could drop ours).
 */
#ifndef ARPG_LOCK_H
#define ARPG_LOCK_H

#include <stddef.h>

struct arpg_lock;

enum {
	ARPG_LOCK_REFUSE = 0,	/* another holder: fail at once with ARPG_ELOCKED */
	ARPG_LOCK_WAIT = 1,	/* another holder: wait until it is gone */
};

/* Locks the output at path: a directory (created if absent, locked through
 * path/arpg.lock) when is_dir, else a file (locked through path.lock; the
 * file itself need not exist).  program names this holder ("arpg-features").
 * Returns 0 with *l set, ARPG_ELOCKED when another process holds it (and
 * mode is ARPG_LOCK_REFUSE) with "held by PROGRAM (pid PID) since ..." in
 * err, ARPG_EINTR when a wait was interrupted by a signal, or ARPG_EIO. */
int arpg_lock_take(struct arpg_lock **l, const char *path, int is_dir, const char *program,
		   int mode, char *err, size_t errn);
/* Releases the lock (the file stays); l may be NULL. */
void arpg_lock_release(struct arpg_lock *l);

#endif
