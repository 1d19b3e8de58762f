/*
 * state.c: the router's shared state in LMDB; the only file that includes
 * lmdb.h.
 *
 * Life cycle: the master calls st_create() before it forks the first
 * worker (the daemon refuses to start when the folder cannot be created
 * or opened), and st_slot_clear() whenever it reaps a worker.  Each
 * worker opens its own handle after fork with st_open(): an MDB_env is
 * never used across fork().  The environment is opened MDB_NOSYNC |
 * MDB_WRITEMAP | MDB_NOTLS: a crash may lose the last commits, which for
 * counters that restart every minute is harmless, and no request waits
 * on an fsync.  Anything that must survive a crash belongs in an
 * environment of its own with durable commits.  A reload keeps the
 * environment (state_dir is read at start only), and deployments keep
 * their ids, so the counters survive a SIGHUP.
 *
 * Key layout, in the environment's one unnamed database:
 *
 *	'd' id			struct st_dep: the deployment's counters
 *	's' slot(be32) id	int64_t: requests in flight that the worker
 *				in that process-table slot picked
 *
 * id is the deployment's id (model_info.id, else the derived one) without
 * its NUL.  Update rules:
 *	- req, tok and fails count the Unix minute in st_dep.minute; a
 *	  record of an earlier minute reads as zero counts (the rest is
 *	  kept), so no sweeper is needed;
 *	- a pick reads every candidate's record, chooses, and adds one to
 *	  the chosen one's req and inflight and to its slot key, all in one
 *	  write transaction: two workers can never both take the last
 *	  request under an rpm;
 *	- a release takes one off inflight and off the slot key, then lets
 *	  the caller account tokens, latency, failures and cooldowns in the
 *	  same transaction;
 *	- st_slot_clear() subtracts a dead worker's slot keys from inflight
 *	  and deletes them, so a worker killed with requests in flight
 *	  leaves no count behind.
 * A record of another size (an older layout) reads as zero.
 *
 * To add a counter: a field at the end of struct st_dep (state.h); old
 * records then read as zero once, which the minute rule allows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "state.h"

#define ST_KEYMAX	512

struct st {
	MDB_env		*env;
	MDB_dbi		 dbi;
	unsigned	 slot;
	int		 err;		/* last LMDB error, for st_error() */
};

/* mkdir -p: every missing parent of dir, then dir itself. */
static int
st_mkdirs(const char *dir)
{
	char	 p[1024];
	size_t	 i, len = strlen(dir);

	if (len == 0 || len >= sizeof(p))
		return (-1);
	memcpy(p, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0750) != 0 && errno != EEXIST)
			return (-1);
		p[i] = i == len ? '\0' : '/';
	}
	return (0);
}

int
st_create(const char *dir, char *err, size_t errlen)
{
	struct st	*st;

	if (st_mkdirs(dir) != 0) {
		snprintf(err, errlen, "cannot create state_dir %s: %s", dir,
		    strerror(errno));
		return (LX_ERR);
	}
	if ((st = st_open(dir, 0, 0, err, errlen)) == NULL)
		return (LX_ERR);
	st_close(st);
	return (LX_OK);
}

struct st *
st_open(const char *dir, unsigned slot, size_t mapsize, char *err,
    size_t errlen)
{
	struct st	*st;
	MDB_txn		*txn = NULL;
	int		 rc, dead;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "state_dir %s: out of memory", dir);
		return (NULL);
	}
	st->slot = slot;
	if ((rc = mdb_env_create(&st->env)) != 0)
		goto fail;
	if ((rc = mdb_env_set_mapsize(st->env,
	    mapsize ? mapsize : ST_MAPSIZE)) != 0)
		goto fail;
	if ((rc = mdb_env_open(st->env, dir, MDB_NOSYNC | MDB_WRITEMAP |
	    MDB_NOTLS, 0640)) != 0)
		goto fail;
	/* Reader slots of processes that died (kill -9) are reused. */
	(void)mdb_reader_check(st->env, &dead);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, NULL, 0, &st->dbi)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	return (st);
 fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	snprintf(err, errlen, "cannot open state_dir %s: %s", dir,
	    mdb_strerror(rc));
	if (st->env != NULL)
		mdb_env_close(st->env);
	free(st);
	return (NULL);
}

void
st_close(struct st *st)
{
	if (st == NULL)
		return;
	mdb_env_close(st->env);
	free(st);
}

const char *
st_error(const struct st *st)
{
	return (mdb_strerror(st->err));
}

int
st_full(const struct st *st)
{
	return (st->err == MDB_MAP_FULL);
}

unsigned
st_slot(const struct st *st)
{
	return (st->slot);
}

/* 'd' id into buf; the key's length, 0 when id is too long. */
static size_t
st_key_dep(char *buf, const char *id)
{
	size_t	len = strlen(id);

	if (len + 1 > ST_KEYMAX)
		return (0);
	buf[0] = 'd';
	memcpy(buf + 1, id, len);
	return (len + 1);
}

/* 's' slot id: the slot big-endian, so one slot's keys sort together. */
static size_t
st_key_slot(char *buf, unsigned slot, const char *id)
{
	size_t	len = strlen(id);

	if (len + 5 > ST_KEYMAX)
		return (0);
	buf[0] = 's';
	buf[1] = (char)(slot >> 24);
	buf[2] = (char)(slot >> 16);
	buf[3] = (char)(slot >> 8);
	buf[4] = (char)slot;
	memcpy(buf + 5, id, len);
	return (len + 5);
}

/* Read a record; counts of another minute read as zero. */
static int
st_read(MDB_txn *txn, MDB_dbi dbi, MDB_val *k, struct st_dep *d,
    double now)
{
	MDB_val	 v;
	int64_t	 min = (int64_t)floor(now / 60);
	int	 rc;

	memset(d, 0, sizeof(*d));
	rc = mdb_get(txn, dbi, k, &v);
	if (rc == 0 && v.mv_size == sizeof(*d))
		memcpy(d, v.mv_data, sizeof(*d));
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return (rc);
	if (d->minute != min) {
		d->minute = min;
		d->req = d->tok = d->fails = 0;
	}
	return (0);
}

/* Add delta to a slot key, deleting it at zero. */
static int
st_slot_add(MDB_txn *txn, MDB_dbi dbi, unsigned slot, const char *id,
    int64_t delta)
{
	char	 kb[ST_KEYMAX];
	MDB_val	 k, v;
	int64_t	 n = 0;
	int	 rc;

	if ((k.mv_size = st_key_slot(kb, slot, id)) == 0)
		return (MDB_BAD_VALSIZE);
	k.mv_data = kb;
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(n))
		memcpy(&n, v.mv_data, sizeof(n));
	else if (rc != 0 && rc != MDB_NOTFOUND)
		return (rc);
	n += delta;
	if (n <= 0) {
		rc = mdb_del(txn, dbi, &k, NULL);
		return (rc == MDB_NOTFOUND ? 0 : rc);
	}
	v.mv_size = sizeof(n);
	v.mv_data = &n;
	return (mdb_put(txn, dbi, &k, &v, 0));
}

int
st_pick(struct st *st, const char *const *ids, size_t n,
    struct st_dep *recs, st_choose_fn choose, void *arg, double now)
{
	MDB_txn	*txn = NULL;
	MDB_val	 k, v;
	char	 kb[ST_KEYMAX];
	size_t	 i;
	int	 rc, pick = -1;

	if (n > ST_MAXPICK) {
		rc = EINVAL;
		goto fail;
	}
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if ((k.mv_size = st_key_dep(kb, ids[i])) == 0) {
			rc = MDB_BAD_VALSIZE;
			goto fail;
		}
		k.mv_data = kb;
		if ((rc = st_read(txn, st->dbi, &k, &recs[i], now)) != 0)
			goto fail;
	}
	pick = choose(arg, recs, n);
	if (pick < 0 || (size_t)pick >= n) {
		mdb_txn_abort(txn);
		return (LX_DECLINED);
	}
	recs[pick].req++;
	recs[pick].inflight++;
	k.mv_size = st_key_dep(kb, ids[pick]);
	k.mv_data = kb;
	v.mv_size = sizeof(recs[pick]);
	v.mv_data = &recs[pick];
	if ((rc = mdb_put(txn, st->dbi, &k, &v, 0)) != 0)
		goto fail;
	if ((rc = st_slot_add(txn, st->dbi, st->slot, ids[pick], 1)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;		/* commit frees the txn even when it fails */
	if (rc != 0)
		goto fail;
	return (pick);
 fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	st->err = rc;
	for (i = 0; i < n; i++)
		memset(&recs[i], 0, sizeof(recs[i]));
	return (LX_ERR);
}

int
st_release(struct st *st, const char *id, st_update_fn fn, void *arg,
    double now)
{
	MDB_txn		*txn = NULL;
	MDB_val		 k, v;
	struct st_dep	 d;
	char		 kb[ST_KEYMAX];
	int		 rc;

	if ((k.mv_size = st_key_dep(kb, id)) == 0) {
		rc = MDB_BAD_VALSIZE;
		goto fail;
	}
	k.mv_data = kb;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = st_read(txn, st->dbi, &k, &d, now)) != 0)
		goto fail;
	if (d.inflight > 0)
		d.inflight--;
	if (fn != NULL)
		fn(arg, &d);
	v.mv_size = sizeof(d);
	v.mv_data = &d;
	if ((rc = mdb_put(txn, st->dbi, &k, &v, 0)) != 0)
		goto fail;
	if ((rc = st_slot_add(txn, st->dbi, st->slot, id, -1)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	return (LX_OK);
 fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	st->err = rc;
	return (LX_ERR);
}

int
st_get(struct st *st, const char *id, struct st_dep *d, double now)
{
	MDB_txn	*txn = NULL;
	MDB_val	 k;
	char	 kb[ST_KEYMAX];
	int	 rc;

	memset(d, 0, sizeof(*d));
	if ((k.mv_size = st_key_dep(kb, id)) == 0) {
		rc = MDB_BAD_VALSIZE;
		goto fail;
	}
	k.mv_data = kb;
	if ((rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn)) != 0)
		goto fail;
	rc = st_read(txn, st->dbi, &k, d, now);
	mdb_txn_abort(txn);
	if (rc != 0)
		goto fail;
	return (LX_OK);
 fail:
	st->err = rc;
	return (LX_ERR);
}

int
st_slot_clear_env(struct st *st, unsigned slot)
{
	MDB_txn		*txn = NULL;
	MDB_cursor	*cur = NULL;
	MDB_val		 k, v, dk, dv;
	struct st_dep	 d;
	char		 kb[ST_KEYMAX], db[ST_KEYMAX];
	int64_t		 n;
	int		 rc;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_cursor_open(txn, st->dbi, &cur)) != 0)
		goto fail;
	k.mv_size = st_key_slot(kb, slot, "");
	k.mv_data = kb;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size > 5 && memcmp(k.mv_data, kb, 5) == 0) {
		n = 0;
		if (v.mv_size == sizeof(n))
			memcpy(&n, v.mv_data, sizeof(n));
		dk.mv_size = k.mv_size - 4;
		if (dk.mv_size > sizeof(db))
			dk.mv_size = sizeof(db);
		db[0] = 'd';
		memcpy(db + 1, (const char *)k.mv_data + 5, dk.mv_size - 1);
		dk.mv_data = db;
		memset(&d, 0, sizeof(d));
		if (mdb_get(txn, st->dbi, &dk, &dv) == 0 &&
		    dv.mv_size == sizeof(d)) {
			memcpy(&d, dv.mv_data, sizeof(d));
			d.inflight = d.inflight > n ? d.inflight - n : 0;
			dv.mv_size = sizeof(d);
			dv.mv_data = &d;
			if ((rc = mdb_put(txn, st->dbi, &dk, &dv, 0)) != 0)
				goto fail;
		}
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			goto fail;
		/* Seek again: the slot's next key, if any, is now first. */
		k.mv_size = 5;
		k.mv_data = kb;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	mdb_cursor_close(cur);
	cur = NULL;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0)
		goto fail;
	return (LX_OK);
 fail:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	st->err = rc;
	return (LX_ERR);
}

int
st_slot_clear(const char *dir, unsigned slot)
{
	struct st	*st;
	char		 err[256];
	int		 rc;

	if ((st = st_open(dir, slot, 0, err, sizeof(err))) == NULL)
		return (LX_ERR);
	rc = st_slot_clear_env(st, slot);
	st_close(st);
	return (rc);
}

double
st_latency(const struct st_dep *d, double now, double ttl)
{
	double		sum = 0;
	uint32_t	i, n = d->nlat > ST_LATN ? ST_LATN : d->nlat;

	if (n == 0 || (ttl > 0 && now - d->lat_at > ttl))
		return (-1);
	for (i = 0; i < n; i++)
		sum += d->lat[i];
	return (sum / n);
}
