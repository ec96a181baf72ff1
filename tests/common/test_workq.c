/* The work queue: every item is worked on once, by several threads, within
 * its bound; a cancel stops pushes and hands what was not taken to drop. */
#include "harness.h"
#include "error.h"
#include "workq.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct tally {
	pthread_mutex_t lock;
	int worked, dropped, in_work, max_in_work, cancel_at;
	struct arpg_workq *q;
	int seen[1000];
};

static void work(void *ctx, void *item)
{
	struct tally *t = ctx;
	int i = *(int *)item;

	pthread_mutex_lock(&t->lock);
	t->in_work++;
	if (t->in_work > t->max_in_work)
		t->max_in_work = t->in_work;
	pthread_mutex_unlock(&t->lock);
	usleep(200);
	pthread_mutex_lock(&t->lock);
	t->in_work--;
	t->worked++;
	t->seen[i]++;
	pthread_mutex_unlock(&t->lock);
	if (t->cancel_at && i == t->cancel_at)
		arpg_workq_cancel(t->q);
	free(item);
}

static void drop(void *ctx, void *item)
{
	struct tally *t = ctx;

	t->dropped++;
	free(item);
}

static int push_int(struct arpg_workq *q, int i)
{
	int *p = malloc(sizeof *p), rc;

	*p = i;
	if ((rc = arpg_workq_push(q, p)) < 0)
		free(p);
	return rc;
}

ARPG_TEST(every_item_is_worked_on_once)
{
	static struct tally t = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct arpg_workq *q;
	int i;

	expect_int(arpg_workq_start(&q, 3, 2, work, &t), 0);
	for (i = 0; i < 500; i++)
		expect_int(push_int(q, i), 0);
	arpg_workq_finish(q, drop);
	expect_int(t.worked, 500);
	expect_int(t.dropped, 0);
	for (i = 0; i < 500; i++)
		expect_int(t.seen[i], 1);
	expect(t.max_in_work > 1);	/* the threads did run side by side */
	expect(t.max_in_work <= 3);
}

ARPG_TEST(a_cancel_stops_pushes_and_drops_the_rest)
{
	static struct tally t = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct arpg_workq *q;
	int i, rc = 0;

	expect_int(arpg_workq_start(&q, 2, 4, work, &t), 0);
	t.q = q;
	t.cancel_at = 20;
	for (i = 0; i < 1000 && (rc = push_int(q, i)) == 0; i++)
		;
	expect_int(rc, ARPG_EINTR);
	arpg_workq_finish(q, drop);
	expect(t.worked >= 21);
	expect(t.worked < 1000);
	expect_int(t.worked + t.dropped, i);	/* each pushed item once: worked or dropped */
}

ARPG_TEST(finish_of_an_unused_queue)
{
	static struct tally t = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct arpg_workq *q;

	expect_int(arpg_workq_start(&q, 4, 1, work, &t), 0);
	arpg_workq_finish(q, NULL);
	arpg_workq_finish(NULL, NULL);
	expect_int(t.worked, 0);
}
