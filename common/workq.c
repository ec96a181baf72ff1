/* workq.c - a bounded work queue with worker threads (see workq.h). */
#include "workq.h"
#include "error.h"

#include <pthread.h>
#include <stdlib.h>

struct arpg_workq {
	arpg_work_fn *work;
	void *ctx;
	pthread_t *threads;
	int nthreads;

	pthread_mutex_t lock;		/* guards all below */
	pthread_cond_t more, room;	/* an item arrived; a slot freed */
	void **ring;
	int cap, head, len;
	int closing, cancelled;
};

static void *worker(void *arg)
{
	struct arpg_workq *q = arg;
	void *item;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (!q->len && !q->closing && !q->cancelled)
			pthread_cond_wait(&q->more, &q->lock);
		if (!q->len || q->cancelled) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		item = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->len--;
		pthread_cond_signal(&q->room);
		pthread_mutex_unlock(&q->lock);
		q->work(q->ctx, item);
	}
}

static void free_queue(struct arpg_workq *q)
{
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->more);
	pthread_cond_destroy(&q->room);
	free(q->ring);
	free(q->threads);
	free(q);
}

/* Ends the workers: they finish what is queued unless cancelled. */
static void join_workers(struct arpg_workq *q, int started)
{
	pthread_mutex_lock(&q->lock);
	q->closing = 1;
	pthread_cond_broadcast(&q->more);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < started; i++)
		pthread_join(q->threads[i], NULL);
}

int arpg_workq_start(struct arpg_workq **qp, int nthreads, int cap, arpg_work_fn *work,
		     void *ctx)
{
	struct arpg_workq *q = calloc(1, sizeof *q);

	*qp = NULL;
	if (!q)
		return ARPG_ENOMEM;
	q->work = work;
	q->ctx = ctx;
	q->cap = cap;
	q->nthreads = nthreads;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->more, NULL);
	pthread_cond_init(&q->room, NULL);
	if (!(q->ring = calloc((size_t)cap, sizeof *q->ring)) ||
	    !(q->threads = calloc((size_t)nthreads, sizeof *q->threads))) {
		free_queue(q);
		return ARPG_ENOMEM;
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&q->threads[i], NULL, worker, q)) {
			join_workers(q, i);
			free_queue(q);
			return ARPG_ENOMEM;
		}
	*qp = q;
	return 0;
}

int arpg_workq_push(struct arpg_workq *q, void *item)
{
	pthread_mutex_lock(&q->lock);
	while (q->len == q->cap && !q->cancelled)
		pthread_cond_wait(&q->room, &q->lock);
	if (q->cancelled) {
		pthread_mutex_unlock(&q->lock);
		return ARPG_EINTR;
	}
	q->ring[(q->head + q->len++) % q->cap] = item;
	pthread_cond_signal(&q->more);
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void arpg_workq_cancel(struct arpg_workq *q)
{
	pthread_mutex_lock(&q->lock);
	q->cancelled = 1;
	pthread_cond_broadcast(&q->more);
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->lock);
}

void arpg_workq_finish(struct arpg_workq *q, arpg_work_fn *drop)
{
	if (!q)
		return;
	join_workers(q, q->nthreads);
	for (; q->len; q->len--, q->head = (q->head + 1) % q->cap)
		if (drop)
			drop(q->ctx, q->ring[q->head]);
	free_queue(q);
}
