/* workq.h - a bounded queue of work items served by worker threads: the
 * main thread finds work (clips in a dataset, rows of a manifest) and
 * pushes it; N workers take items oldest first.  The bound keeps memory
 * flat when finding is faster than working.
 *
 *	arpg_workq_start(&q, jobs, 2 * jobs, work, ctx);
 *	while (more work && arpg_workq_push(q, item) == 0)
 *		...
 *	arpg_workq_finish(q, drop);
 *
 * The functions here never print or exit; what goes wrong inside work() is
 * for work() to record in ctx (and, when the whole run must stop, to call
 * arpg_workq_cancel).
 */
#ifndef ARPG_WORKQ_H
#define ARPG_WORKQ_H

struct arpg_workq;

/* What a worker does with an item; it owns the item from then on. */
typedef void arpg_work_fn(void *ctx, void *item);

/* Starts nthreads >= 1 workers calling work(ctx, item); at most cap >= 1
 * items wait.  Returns 0, or ARPG_ENOMEM (no memory, or a thread could not
 * start: none is left running). */
int arpg_workq_start(struct arpg_workq **q, int nthreads, int cap, arpg_work_fn *work,
		     void *ctx);

/* Queues item, waiting while cap items wait.  Returns 0, or ARPG_EINTR when
 * the queue is cancelled (the item was not taken: the caller keeps it). */
int arpg_workq_push(struct arpg_workq *q, void *item);

/* Stops the queue from any thread (a worker too): pushes return ARPG_EINTR
 * and workers take no more items.  Items being worked on run to their end. */
void arpg_workq_cancel(struct arpg_workq *q);

/* Waits for the workers to take every queued item (after a cancel: to end
 * the items they hold), joins them and frees q.  Items never taken are
 * passed to drop(ctx, item), unless drop is NULL.  q may be NULL. */
void arpg_workq_finish(struct arpg_workq *q, arpg_work_fn *drop);

#endif
