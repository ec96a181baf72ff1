/* mdbcheck.h - checks an LMDB data file's structure before LMDB trusts it.
 *
 * LMDB follows the page numbers and offsets of its file without checking
 * them: a few wrong bytes in a page make a reader read outside its map
 * (SIGSEGV, SIGBUS past the end of a truncated file) or fail one of its
 * assertions (abort).  These functions read the file with pread(2), which a
 * damaged or short file cannot turn into a signal, and check everything a
 * reader of the snapshot will follow: the meta page, every branch and leaf
 * page of the main database and of each named database (page numbers inside
 * the file and never used twice, page flags as LMDB writes them, key and
 * node bounds, the B-tree's depth and entry counts, keys in order within
 * each page and within the bounds its parent gives, named-database
 * records), and the first page of every overflow value.  The bytes of the
 * values themselves are not checked here (cache.c's checksums do that).
 * With the freelist flag the free-page database is checked too, as a writer
 * reads it, and no page it names may be one the trees use.
 *
 * The layout is LMDB 0.9's data format version 1 on a 64-bit host, in the
 * host's byte order, as LMDB writes it (MDB_DEVEL off).
 */
#ifndef ARPG_MDBCHECK_H
#define ARPG_MDBCHECK_H

#include <stddef.h>
#include <stdint.h>

/* Checks the two meta pages of the data file open at fd (its page size,
 * magic, version, sizes), before mdb_env_open reads them.  Returns 0,
 * ARPG_EDAMAGED with the reason in err, or ARPG_EIO. */
int arpg_mdb_check_header(int fd, char *err, size_t errn);

/* Checks the snapshot of transaction txnid, which the caller holds open in a
 * read transaction (so that no writer reuses its pages meanwhile).  Returns
 * 0; ARPG_EMISMATCH when the meta page no longer holds
 * txnid (a writer committed twice since: begin again); ARPG_EDAMAGED with
 * the page and the reason in err; ARPG_ENOMEM or ARPG_EIO. */
int arpg_mdb_check_snapshot(int fd, uint64_t txnid, int freelist, char *err, size_t errn);

#endif
