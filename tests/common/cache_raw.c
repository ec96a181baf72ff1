/* cache_raw.c - see cache_raw.h. */
#include "cache_raw.h"
#include "harness.h"

int cache_raw(const char *dir, const char *db, void (*fn)(MDB_txn *txn, MDB_dbi dbi))
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	int mrc;

	expect_int(mdb_env_create(&env), 0);
	expect_int(mdb_env_set_maxdbs(env, 8), 0);
	expect_int(mdb_env_open(env, dir, 0, 0666), 0);
	expect_int(mdb_txn_begin(env, NULL, 0, &txn), 0);
	if ((mrc = mdb_dbi_open(txn, db, 0, &dbi)) == 0 && fn)
		fn(txn, dbi);
	expect_int(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	return mrc;
}
