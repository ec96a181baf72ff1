/* cache_raw.h - a cache changed behind arpg's API, with LMDB itself, as
 * damage or an older arpg-features would leave it: for the cache tests. */
#ifndef TESTS_CACHE_RAW_H
#define TESTS_CACHE_RAW_H

#include <lmdb.h>

/* Opens the LMDB environment in dir and, in one write transaction, the
 * database named db (NULL: the unnamed one); when that succeeds and fn is
 * given, calls fn(txn, dbi).  Commits, closes, and returns
 * mdb_dbi_open's result (MDB_NOTFOUND: no such database).  Other LMDB
 * failures fail the test. */
int cache_raw(const char *dir, const char *db, void (*fn)(MDB_txn *txn, MDB_dbi dbi));

#endif
