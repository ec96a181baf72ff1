/* cascade_group.c - accepted windows, grouped into boxes and clipped as
 * OpenCV's CascadeClassifier::detectMultiScale does after its window loop.
 */
#include "config.h"

#include <stdlib.h>

#include "cascade_group.h"
#include "cascade_impl.h"
#include "error.h"
#include "grow.h"

int cascade_rects_push(struct cascade_rects *v, int x, int y, int w, int h)
{
	if (ARPG_GROW(v->r, &v->cap, (size_t)v->n + 1) < 0)
		return ARPG_ENOMEM;
	v->r[v->n].x = x;
	v->r[v->n].y = y;
	v->r[v->n].w = w;
	v->r[v->n].h = h;
	v->n++;
	return 0;
}

/* OpenCV's partition() with SimilarRects(eps), then groupRectangles. */
static int similar(const struct arpg_rect *a, const struct arpg_rect *b, double eps)
{
	int mw = a->w < b->w ? a->w : b->w, mh = a->h < b->h ? a->h : b->h;
	double delta = eps * (mw + mh) * 0.5;

	return abs(a->x - b->x) <= delta && abs(a->y - b->y) <= delta &&
	       abs(a->x + a->w - b->x - b->w) <= delta && abs(a->y + a->h - b->y - b->h) <= delta;
}

static int find_root(int *parent, int i)
{
	int r = i;

	while (parent[r] >= 0)
		r = parent[r];
	while (parent[i] >= 0) {
		int p = parent[i];

		parent[i] = r;
		i = p;
	}
	return r;
}

int cascade_group(struct cascade_rects *v, int threshold, double eps)
{
	int n = v->n, i, j, ncls = 0, kept = 0;
	int *parent = NULL, *label = NULL, *cnt = NULL;
	long long *acc = NULL;
	struct arpg_rect *avg = NULL;
	int rc = 0;

	if (threshold <= 0 || n == 0)
		return 0;
	parent = malloc(sizeof *parent * (size_t)n);
	label = malloc(sizeof *label * (size_t)n);
	cnt = calloc((size_t)n, sizeof *cnt);
	acc = calloc((size_t)n * 4, sizeof *acc);
	avg = malloc(sizeof *avg * (size_t)n);
	if (!parent || !label || !cnt || !acc || !avg) {
		rc = ARPG_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		parent[i] = -1;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (similar(&v->r[i], &v->r[j], eps)) {
				int a = find_root(parent, i), b = find_root(parent, j);

				if (a != b)
					parent[b] = a;
			}
	/* Classes numbered by first appearance, as partition() does. */
	for (i = 0; i < n; i++)
		label[i] = -1;
	for (i = 0; i < n; i++) {
		int r = find_root(parent, i);

		if (label[r] < 0)
			label[r] = ncls++;
		label[i] = label[r];
	}
	for (i = 0; i < n; i++) {
		int k = label[i];

		acc[4 * k] += v->r[i].x;
		acc[4 * k + 1] += v->r[i].y;
		acc[4 * k + 2] += v->r[i].w;
		acc[4 * k + 3] += v->r[i].h;
		cnt[k]++;
	}
	for (i = 0; i < ncls; i++) {
		/* int * float in float, rounded half to even (saturate_cast). */
		float s = 1.f / (float)cnt[i];

		avg[i].x = round_f((float)(int)acc[4 * i] * s);
		avg[i].y = round_f((float)(int)acc[4 * i + 1] * s);
		avg[i].w = round_f((float)(int)acc[4 * i + 2] * s);
		avg[i].h = round_f((float)(int)acc[4 * i + 3] * s);
	}
	for (i = 0; i < ncls; i++) {
		const struct arpg_rect *r1 = &avg[i];
		int n1 = cnt[i];

		if (n1 <= threshold)
			continue;
		for (j = 0; j < ncls; j++) {
			const struct arpg_rect *r2 = &avg[j];
			int n2 = cnt[j], dx, dy;

			if (j == i || n2 <= threshold)
				continue;
			dx = (int)lrint(r2->w * eps);
			dy = (int)lrint(r2->h * eps);
			if (r1->x >= r2->x - dx && r1->y >= r2->y - dy &&
			    r1->x + r1->w <= r2->x + r2->w + dx &&
			    r1->y + r1->h <= r2->y + r2->h + dy && (n2 > (n1 > 3 ? n1 : 3) || n1 < 3))
				break;
		}
		if (j == ncls)
			v->r[kept++] = *r1;
	}
	v->n = kept;
out:
	free(parent);
	free(label);
	free(cnt);
	free(acc);
	free(avg);
	return rc;
}

void cascade_clip(struct cascade_rects *v, int w, int h)
{
	int i, k = 0;

	for (i = 0; i < v->n; i++) {
		struct arpg_rect r = v->r[i];
		int x0 = r.x > 0 ? r.x : 0, y0 = r.y > 0 ? r.y : 0;
		int x1 = r.x + r.w < w ? r.x + r.w : w, y1 = r.y + r.h < h ? r.y + r.h : h;

		if (x1 > x0 && y1 > y0) {
			v->r[k].x = x0;
			v->r[k].y = y0;
			v->r[k].w = x1 - x0;
			v->r[k].h = y1 - y0;
			k++;
		}
	}
	v->n = k;
}
