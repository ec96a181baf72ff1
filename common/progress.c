/* progress.c - a progress bar on a terminal, sparse lines otherwise. */
#include "progress.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double arpg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void arpg_format_duration(char *buf, int n, double s)
{
	long t = s < 0 ? 0 : (long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void arpg_progress_start(struct arpg_progress *p, const char *label, long total)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	p->label = label;
	p->total = total;
	p->start = p->last_print = arpg_now();
	p->tty = isatty(STDERR_FILENO);
	p->quiet = arpg_verbosity() == ARPG_QUIET;
}

void arpg_progress_set_total(struct arpg_progress *p, long total)
{
	pthread_mutex_lock(&p->lock);
	p->total = total;
	pthread_mutex_unlock(&p->lock);
}

static void draw(struct arpg_progress *p, double now)
{
	double el = now - p->start, rate = el > 0 ? p->done / el : 0;
	char eta[32] = "?", bar[31];
	int i, fill;

	if (p->total > 0 && rate > 0)
		arpg_format_duration(eta, sizeof eta, (p->total - p->done) / rate);
	if (p->tty) {
		fill = p->total > 0 ? (int)(30.0 * p->done / p->total) : 0;
		for (i = 0; i < 30; i++)
			bar[i] = i < fill ? '#' : ' ';
		bar[30] = 0;
		if (p->total > 0)
			fprintf(stderr, "\r%s: %s [%s] %ld/%ld %.1f/s ETA %s\033[K",
				arpg_progname(), p->label, bar, p->done, p->total, rate, eta);
		else
			fprintf(stderr, "\r%s: %s %ld %.1f/s\033[K", arpg_progname(),
				p->label, p->done, rate);
		p->drawn = 1;
	} else if (p->total > 0) {
		fprintf(stderr, "%s: %s %ld/%ld (%d%%) %.1f/s ETA %s\n", arpg_progname(),
			p->label, p->done, p->total, (int)(100.0 * p->done / p->total), rate, eta);
	} else {
		fprintf(stderr, "%s: %s %ld %.1f/s\n", arpg_progname(), p->label, p->done, rate);
	}
	p->last_print = now;
	p->last_done_printed = p->done;
}

void arpg_progress_add(struct arpg_progress *p, long n)
{
	double now;

	pthread_mutex_lock(&p->lock);
	p->done += n;
	if (!p->quiet) {
		now = arpg_now();
		if (p->tty ? now - p->last_print >= 0.2
			   : now - p->last_print >= 10 ||
			     (p->total > 0 && (p->done - p->last_done_printed) * 10 >= p->total &&
			      p->done < p->total))
			draw(p, now);
	}
	pthread_mutex_unlock(&p->lock);
}

void arpg_progress_finish(struct arpg_progress *p)
{
	double el;
	char dur[32];

	pthread_mutex_lock(&p->lock);
	el = arpg_now() - p->start;
	if (!p->quiet) {
		if (p->drawn)
			fprintf(stderr, "\r\033[K");
		arpg_format_duration(dur, sizeof dur, el);
		fprintf(stderr, "%s: %s: %ld in %s (%.1f s), %.1f/s\n", arpg_progname(),
			p->label, p->done, dur, el, el > 0 ? p->done / el : 0.0);
	}
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
}
