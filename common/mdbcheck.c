/* mdbcheck.c - checks an LMDB data file's structure (see mdbcheck.h).
 *
 * The on-disk structures of LMDB 0.9 (mdb.c), at their byte offsets:
 *   page header (16): pgno u64 @0, pad u16 @8, flags u16 @10,
 *                     lower u16 @12, upper u16 @14 (overflow: pages u32 @12),
 *                     then lower-16 bytes of u16 node offsets
 *   node (8 + key + data): lo u16 @0, hi u16 @2, flags u16 @4, ksize u16 @6;
 *                     leaf: data size lo | hi << 16; branch: child page
 *                     lo | hi << 16 | flags << 32
 *   meta (in pages 0 and 1, after the header): magic u32 @16, version u32 @20,
 *                     address @24, mapsize @32, free db @40, main db @88,
 *                     last_pg @136, txnid @144; the page size is the free
 *                     db's pad
 *   db record (48):   pad u32 @0, flags u16 @4, depth u16 @6, branch pages
 *                     @8, leaf pages @16, overflow pages @24, entries @32,
 *                     root @40
 */
#include "mdbcheck.h"
#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	HDR = 16,
	NODE = 8,
	META_AT = 16,
	DB_SIZE = 48,
	MAXKEY = 511,		/* MDB_MAXKEYSIZE */
	STACK = 32,		/* CURSOR_STACK: the deepest tree a cursor walks */
	P_BRANCH = 0x01, P_LEAF = 0x02, P_OVERFLOW = 0x04, P_META = 0x08,
	F_BIGDATA = 0x01, F_SUBDATA = 0x02, F_DUPDATA = 0x04,
	DB_INTEGERKEY = 0x08,
};

#define MAGIC 0xBEEFC0DEu
#define INVALID_PG UINT64_MAX

static uint16_t u16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

struct db {
	uint16_t flags, depth;
	uint64_t entries, root;
};

static void db_read(struct db *d, const unsigned char *p)
{
	d->flags = u16(p + 4);
	d->depth = u16(p + 6);
	d->entries = u64(p + 32);
	d->root = u64(p + 40);
}

struct walk {
	int fd;
	uint32_t psize;
	uint64_t file_pages;	/* whole pages in the file */
	uint64_t last_pg;	/* the snapshot's last page */
	unsigned char *seen;	/* a bit per page up to last_pg */
	unsigned char *buf[STACK + 1];	/* a page per tree level */
	int freelist;		/* check the free-page database's values */
	int intkey;		/* the walked database's keys are integers */
	char name[80];		/* the database being walked, for messages */
	uint64_t entries;
	int leaf_depth;
	char *err;
	size_t errn;
};

static int damaged(struct walk *w, uint64_t pg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int damaged(struct walk *w, uint64_t pg, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return arpg_errf(w->err, w->errn, ARPG_EDAMAGED, "data.mdb page %llu (database %s): %s",
			 (unsigned long long)pg, w->name, why);
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return ARPG_EIO;
		if (r == 0)
			return ARPG_EDAMAGED;	/* the file ends early */
		got += (size_t)r;
	}
	return 0;
}

/* Claims pages pg..pg+n-1 for one use: inside the file and the snapshot,
 * not meta pages, not claimed before. */
static int claim(struct walk *w, uint64_t pg, uint64_t n, uint64_t from)
{
	uint64_t i;

	if (pg < 2 || pg == INVALID_PG || n == 0 || pg > w->last_pg || n > w->last_pg - pg + 1)
		return damaged(w, from, "points to page %lld, outside the database", (long long)pg);
	if (pg + n > w->file_pages)
		return damaged(w, from, "points to page %lld, past the end of the file "
			       "(truncated?)", (long long)pg);
	for (i = pg; i < pg + n; i++) {
		if (w->seen[i >> 3] & (1u << (i & 7)))
			return damaged(w, from, "page %lld is used twice", (long long)i);
		w->seen[i >> 3] |= (unsigned char)(1u << (i & 7));
	}
	return 0;
}

/* An overflow value of size bytes at page pg, named by the leaf page from;
 * with want, its bytes are read into *out (malloc'd). */
static int overflow(struct walk *w, uint64_t pg, uint64_t size, uint64_t from,
		    unsigned char **out)
{
	unsigned char h[HDR];
	uint64_t need = (HDR - 1 + size) / w->psize + 1, have;
	int rc;

	if (pg < 2 || pg > w->last_pg || pg >= w->file_pages)
		return damaged(w, from, "a value points to page %lld, outside the database", (long long)pg);
	if ((rc = read_at(w->fd, h, HDR, pg * w->psize)) < 0)
		return rc == ARPG_EIO ? arpg_errf(w->err, w->errn, rc, "data.mdb: %s",
						  strerror(errno)) : damaged(w, pg, "%s", "short read");
	if (u64(h) != pg || u16(h + 10) != P_OVERFLOW)
		return damaged(w, pg, "not the overflow page a value of page %lld points to", (long long)from);
	have = u32(h + 12);
	if (have < need)
		return damaged(w, pg, "overflow of %lld pages, too short for its value", (long long)have);
	if ((rc = claim(w, pg, have, from)) < 0)
		return rc;
	if (out) {
		if (!(*out = malloc(size ? size : 1)))
			return ARPG_ENOMEM;
		if ((rc = read_at(w->fd, *out, size, pg * w->psize + HDR)) < 0) {
			free(*out);
			*out = NULL;
			return damaged(w, pg, "%s", "cannot read the value");
		}
	}
	return 0;
}

/* A free-page list value: a count, then that many page numbers. */
static int free_list(struct walk *w, const unsigned char *v, uint64_t size, uint64_t pg)
{
	uint64_t n, i;

	if (size < 8 || size % 8 || (n = u64(v)) != size / 8 - 1)
		return damaged(w, pg, "%s", "a free list's count does not match its size");
	for (i = 1; i <= n; i++) {
		uint64_t p = u64(v + 8 * i);

		if (p < 2 || p > w->last_pg)
			return damaged(w, pg, "the free list names page %lld, outside the database",
				       (long long)p);
		/* a writer hands a free page out as new: one the tree still
		 * uses, or one freed twice, it would write over (LMDB asserts).
		 * The trees were walked first; a page past the file's end was
		 * never written and is not in them. */
		if (p >= w->file_pages)
			continue;
		if (w->seen[p >> 3] & (1u << (p & 7)))
			return damaged(w, pg, "the free list names page %lld, which is in use",
				       (long long)p);
		w->seen[p >> 3] |= (unsigned char)(1u << (p & 7));
	}
	return 0;
}

struct sub {
	char name[80];
	struct db db;
};

struct subs {
	struct sub *s;
	int n, cap;
};

struct key {
	const unsigned char *p;	/* NULL: no bound */
	unsigned n;
};

static int walk_page(struct walk *w, uint64_t pg, int depth, int is_free, int is_main,
		     struct subs *subs, uint64_t from, struct key lo, struct key hi);

/* Compares keys as LMDB does for the databases arpg makes: integers for the
 * free-page database, else bytes, a prefix before its extensions. */
static int key_cmp(const struct walk *w, struct key a, struct key b)
{
	int c;

	if (w->intkey && a.n == 8 && b.n == 8)
		return u64(a.p) < u64(b.p) ? -1 : u64(a.p) > u64(b.p);
	c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
	return c ? c : a.n < b.n ? -1 : a.n > b.n;
}

/* Checks one leaf node i at offset off of page p. */
static int leaf_node(struct walk *w, const unsigned char *p, int i, unsigned off, uint64_t pg,
		     int is_free, int is_main, struct subs *subs)
{
	const unsigned char *n = p + off;
	unsigned fl = u16(n + 4), ks = u16(n + 6);
	uint64_t ds = (uint64_t)u16(n) | (uint64_t)u16(n + 2) << 16;
	unsigned char *val = NULL;
	int rc = 0;

	if (fl & ~(F_BIGDATA | F_SUBDATA))
		return damaged(w, pg, "node %lld has unknown flags (duplicates?)", (long long)i);
	if (fl & F_BIGDATA) {
		if ((fl & F_SUBDATA) || off + NODE + ks + 8 > w->psize)
			return damaged(w, pg, "node %lld runs past the page", (long long)i);
		rc = overflow(w, u64(n + NODE + ks), ds, pg, is_free && w->freelist ? &val : NULL);
		if (rc == 0 && val)
			rc = free_list(w, val, ds, pg);
		free(val);
		return rc;
	}
	if (off + NODE + ks + ds > w->psize)
		return damaged(w, pg, "node %lld runs past the page", (long long)i);
	if (is_free && w->freelist)
		return free_list(w, n + NODE + ks, ds, pg);
	if (fl & F_SUBDATA) {
		struct sub *s;

		if (!is_main || ds != DB_SIZE)
			return damaged(w, pg, "node %lld is not a database record", (long long)i);
		if (subs->n == subs->cap) {
			int cap = subs->cap ? 2 * subs->cap : 8;

			if (!(s = realloc(subs->s, sizeof *s * (size_t)cap)))
				return ARPG_ENOMEM;
			subs->s = s;
			subs->cap = cap;
		}
		s = &subs->s[subs->n++];
		snprintf(s->name, sizeof s->name, "'%.*s'", ks > 60 ? 60 : (int)ks, n + NODE);
		for (char *c = s->name; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		db_read(&s->db, n + NODE + ks);
	}
	return 0;
}

/* Node i's key in page p, whose nodes walk_page has checked lie inside it. */
static struct key node_key(const unsigned char *p, unsigned i)
{
	unsigned off = u16(p + HDR + 2 * i);
	struct key k = { p + off + NODE, u16(p + off + 6) };

	return k;
}

static int walk_page(struct walk *w, uint64_t pg, int depth, int is_free, int is_main,
		     struct subs *subs, uint64_t from, struct key lo, struct key hi)
{
	struct key prev, child_hi;
	unsigned char *p;
	unsigned lower, upper, nkeys, type, i;
	int rc;

	if (depth > STACK)
		return damaged(w, from, "the tree is deeper than %lld levels", (long long)STACK);
	if ((rc = claim(w, pg, 1, from)) < 0)
		return rc;
	if (!w->buf[depth] && !(w->buf[depth] = malloc(w->psize)))
		return ARPG_ENOMEM;
	p = w->buf[depth];
	if ((rc = read_at(w->fd, p, w->psize, pg * w->psize)) < 0)
		return rc == ARPG_EIO ? arpg_errf(w->err, w->errn, rc, "data.mdb: %s",
						  strerror(errno)) : damaged(w, pg, "%s", "short read");
	type = u16(p + 10);
	lower = u16(p + 12);
	upper = u16(p + 14);
	if (u64(p) != pg)
		return damaged(w, pg, "the page says it is page %lld", (long long)u64(p));
	/* Exactly one of the two: LMDB clears the flags it keeps in memory
	 * (dirty, loose, keep) before it writes a page, and a writer that
	 * finds them on a page it reads skips writing its copy back, losing
	 * the records a transaction put there. */
	if (type != P_BRANCH && type != P_LEAF)
		return damaged(w, pg, "not a branch or leaf page (flags 0x%x)", type);
	if (lower < HDR || (lower - HDR) % 2 || lower > upper || upper > w->psize)
		return damaged(w, pg, "its bounds are wrong (lower %lld)", (long long)lower);
	nkeys = (lower - HDR) / 2;
	if (type == P_BRANCH ? nkeys < (is_free ? 1u : 2u) : nkeys < 1)
		return damaged(w, pg, "too few keys (%lld)", (long long)nkeys);
	if (type == P_LEAF) {
		if (w->leaf_depth && w->leaf_depth != depth)
			return damaged(w, pg, "a leaf at depth %lld, others are not", (long long)depth);
		w->leaf_depth = depth;
		w->entries += nkeys;
	}
	/* Every node and its key lie in the page before any key is read.
	 * LMDB finds keys by binary search and inserts where it finds: keys
	 * out of order make a writer corrupt the tree and then crash.  Each
	 * key (a branch's first is never compared) must follow the one
	 * before it and lie in [lo, hi), the bounds the parent gives. */
	for (i = 0; i < nkeys; i++) {
		unsigned off = u16(p + HDR + 2 * i);

		if (off < lower || off % 2 || off + NODE > w->psize)
			return damaged(w, pg, "node %lld is outside the page", (long long)i);
		if (off + NODE + u16(p + off + 6) > w->psize)
			return damaged(w, pg, "node %lld runs past the page", (long long)i);
	}
	prev = lo;
	for (i = 0; i < nkeys; i++) {
		unsigned off = u16(p + HDR + 2 * i);
		struct key k = node_key(p, i);

		if (type == P_LEAF || i > 0) {
			if ((type == P_LEAF && k.n == 0) || k.n > MAXKEY || (is_free && k.n != 8))
				return damaged(w, pg, "node %lld has a key of a wrong size",
					       (long long)i);
			/* the bound from the parent is the child's lowest key
			 * or below it; a key before in the page is below */
			if (prev.p && key_cmp(w, prev, k) >= (prev.p == lo.p ? 1 : 0))
				return damaged(w, pg, "node %lld's key is out of order", (long long)i);
			if (hi.p && key_cmp(w, k, hi) >= 0)
				return damaged(w, pg, "node %lld's key is past its parent's bound",
					       (long long)i);
			prev = k;
		}
		if (type == P_LEAF) {
			if ((rc = leaf_node(w, p, (int)i, off, pg, is_free, is_main, subs)) < 0)
				return rc;
			continue;
		}
		child_hi = i + 1 < nkeys ? node_key(p, i + 1) : hi;
		rc = walk_page(w, (uint64_t)u16(p + off) | (uint64_t)u16(p + off + 2) << 16 |
				  (uint64_t)u16(p + off + 4) << 32, depth + 1, is_free, is_main, subs,
			       pg, i == 0 ? lo : k, child_hi);
		if (rc < 0)
			return rc;
		p = w->buf[depth];	/* unchanged: each level has its buffer */
	}
	return 0;
}

/* Walks one database's tree from its record d. */
static int walk_db(struct walk *w, const char *name, const struct db *d, int is_free,
		   int is_main, struct subs *subs)
{
	int rc;
	unsigned allowed = is_free ? DB_INTEGERKEY : 0;
	struct key none = { NULL, 0 };

	snprintf(w->name, sizeof w->name, "%s", name);
	if (d->flags & ~allowed)
		return arpg_errf(w->err, w->errn, ARPG_EDAMAGED,
				 "data.mdb: database %s has flags 0x%x that arpg never sets", name,
				 d->flags);
	if (d->root == INVALID_PG) {
		if (d->entries || d->depth)
			return arpg_errf(w->err, w->errn, ARPG_EDAMAGED,
					 "data.mdb: database %s is empty but counts %llu entries",
					 name, (unsigned long long)d->entries);
		return 0;
	}
	w->entries = 0;
	w->leaf_depth = 0;
	w->intkey = is_free;
	if ((rc = walk_page(w, d->root, 1, is_free, is_main, subs, d->root, none, none)) < 0)
		return rc;
	if (w->entries != d->entries || (unsigned)w->leaf_depth != d->depth)
		return arpg_errf(w->err, w->errn, ARPG_EDAMAGED,
				 "data.mdb: database %s has %llu entries in %d levels, its record "
				 "says %llu in %u", name, (unsigned long long)w->entries,
				 w->leaf_depth, (unsigned long long)d->entries, d->depth);
	return 0;
}

static int meta_ok(const unsigned char *p, uint32_t *psize, char *why, size_t n)
{
	const unsigned char *m = p + META_AT;
	uint32_t ps = u32(m + 24);	/* the free db's pad */

	if (!(u16(p + 10) & P_META))
		return snprintf(why, n, "not a meta page"), -1;
	if (u32(m) != MAGIC)
		return snprintf(why, n, "not an LMDB file (magic)"), -1;
	if (u32(m + 4) != 1)
		return snprintf(why, n, "LMDB data version %u, not 1", u32(m + 4)), -1;
	if (ps < 512 || ps > 65536 || (ps & (ps - 1)))
		return snprintf(why, n, "page size %u", ps), -1;
	if (u64(m + 120) < 1 || u64(m + 120) > (UINT64_C(1) << 40))
		return snprintf(why, n, "last page %llu", (unsigned long long)u64(m + 120)), -1;
	*psize = ps;
	return 0;
}

int arpg_mdb_check_header(int fd, char *err, size_t errn)
{
	unsigned char p[HDR + 136];
	uint32_t ps0 = 0, ps1 = 0;
	char why[100];
	int rc;

	if ((rc = read_at(fd, p, sizeof p, 0)) < 0)
		return rc == ARPG_EIO ? arpg_errf(err, errn, rc, "data.mdb: %s", strerror(errno))
				      : arpg_errf(err, errn, rc, "data.mdb: shorter than a meta page");
	if (meta_ok(p, &ps0, why, sizeof why) < 0)
		return arpg_errf(err, errn, ARPG_EDAMAGED, "data.mdb: meta page 0: %s", why);
	if ((rc = read_at(fd, p, sizeof p, ps0)) < 0)
		return rc == ARPG_EIO ? arpg_errf(err, errn, rc, "data.mdb: %s", strerror(errno))
				      : arpg_errf(err, errn, rc, "data.mdb: no meta page 1 (truncated?)");
	if (meta_ok(p, &ps1, why, sizeof why) < 0)
		return arpg_errf(err, errn, ARPG_EDAMAGED, "data.mdb: meta page 1: %s", why);
	if (ps0 != ps1)
		return arpg_errf(err, errn, ARPG_EDAMAGED, "data.mdb: the meta pages disagree on "
				 "the page size (%u, %u)", ps0, ps1);
	return 0;
}

int arpg_mdb_check_snapshot(int fd, uint64_t txnid, int freelist, char *err, size_t errn)
{
	unsigned char p[HDR + 136];
	struct walk w;
	struct subs subs = { NULL, 0, 0 };
	struct db freedb, maindb;
	struct stat sb;
	uint32_t ps;
	char why[100];
	int rc, i;

	memset(&w, 0, sizeof w);
	if ((rc = arpg_mdb_check_header(fd, err, errn)) < 0)
		return rc;
	if (read_at(fd, p, sizeof p, 0) < 0 || meta_ok(p, &ps, why, sizeof why) < 0 ||
	    fstat(fd, &sb) < 0)
		return arpg_errf(err, errn, ARPG_EIO, "data.mdb: %s", strerror(errno));
	/* a reader of txnid uses the meta page txnid & 1 */
	if ((rc = read_at(fd, p, sizeof p, (txnid & 1) * ps)) < 0)
		return arpg_errf(err, errn, ARPG_EIO, "data.mdb: %s", strerror(errno));
	if (u64(p + META_AT + 128) != txnid)
		return arpg_errf(err, errn, ARPG_EMISMATCH, "data.mdb: meta page %d holds "
				 "transaction %llu, not %llu", (int)(txnid & 1),
				 (unsigned long long)u64(p + META_AT + 128),
				 (unsigned long long)txnid);
	db_read(&freedb, p + META_AT + 24);
	db_read(&maindb, p + META_AT + 72);
	w.fd = fd;
	w.psize = ps;
	w.last_pg = u64(p + META_AT + 120);
	w.file_pages = (uint64_t)sb.st_size / ps;
	w.freelist = freelist;
	w.err = err;
	w.errn = errn;
	/* claim() marks only pages inside the file: the bitmap need not cover
	 * a last page that damage made huge */
	if (!(w.seen = calloc((w.last_pg < w.file_pages ? w.last_pg : w.file_pages) / 8 + 1, 1)))
		return ARPG_ENOMEM;
	rc = walk_db(&w, "main", &maindb, 0, 1, &subs);
	for (i = 0; rc == 0 && i < subs.n; i++)
		rc = walk_db(&w, subs.s[i].name, &subs.s[i].db, 0, 0, &subs);
	if (rc == 0 && freelist)
		rc = walk_db(&w, "free", &freedb, 1, 0, &subs);
	for (i = 0; i <= STACK; i++)
		free(w.buf[i]);
	free(w.seen);
	free(subs.s);
	return rc;
}
