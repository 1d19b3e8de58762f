/*
 * state.h: the state every worker shares, in LMDB (state.c).
 *
 * One record per deployment (struct st_dep), keyed by its id, and one
 * in-flight count per worker slot and deployment.  The master creates the
 * environment before it forks (st_create) and clears a dead worker's slot
 * (st_slot_clear); each worker opens its own handle after fork (st_open).
 * Readers never see a half-applied update: every change is one write
 * transaction, and a pick reads, chooses and counts in the same one.
 */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <stdint.h>

#include "llmux.h"

#define ST_DEFAULT_DIR	"/var/lib/llmux"	/* llmux_settings.state_dir */
#define ST_LATN		10	/* latency samples kept per deployment */
#define ST_MAPSIZE	(64UL << 20)	/* bytes of the counter map */

/* One deployment's shared record.  Times are Unix seconds. */
struct st_dep {
	int64_t		minute;		/* Unix minute of req, tok, fails */
	int64_t		req;		/* requests picked this minute */
	int64_t		tok;		/* tokens used this minute */
	int64_t		fails;		/* failures this minute */
	int64_t		inflight;	/* sum over the worker slots */
	int64_t		cfails;		/* failures counted towards cooldown */
	double		cfails_at;	/* when cfails started counting */
	double		cool_until;	/* cooling down until then; 0: not */
	double		lat_at;		/* last latency sample */
	uint32_t	nlat;		/* samples in lat[] */
	uint32_t	pad;
	double		lat[ST_LATN];	/* seconds per output token */
};

struct st;

/*
 * Choose among n records read in one pick (recs[i] is ids[i]'s, zero
 * when never written).  Returns the index to count, or -1 to count
 * nothing.  Runs inside the write transaction: it must not block.
 */
typedef int	(*st_choose_fn)(void *arg, const struct st_dep *recs,
		    size_t n);
/* Change one record in place; runs inside the write transaction. */
typedef void	(*st_update_fn)(void *arg, struct st_dep *rec);

/*
 * Master, before forking: create dir (and its parents) if need be and
 * check that the environment opens.  LX_ERR with a message in err.
 */
int		 st_create(const char *dir, char *err, size_t errlen)
		    LX_MUSTCHECK;
/*
 * Open dir's environment for this process, whose in-flight counts go to
 * slot.  mapsize 0 means ST_MAPSIZE.  NULL with a message in err.
 * Never share the handle across fork(): the child opens its own.
 */
struct st	*st_open(const char *dir, unsigned slot, size_t mapsize,
		    char *err, size_t errlen);
void		 st_close(struct st *);
/*
 * One pick: read the records of ids[0..n-1] into recs (the counters of
 * an earlier minute read as zero), call choose, and count its choice (a
 * request this minute, one more in flight in this slot).  Returns the
 * index chosen, LX_DECLINED when choose took none (recs as read), LX_ERR
 * when LMDB failed (recs are zero then; st_error() says why).  n is at
 * most ST_MAXPICK.
 */
#define ST_MAXPICK	4096
int		 st_pick(struct st *, const char *const *ids, size_t n,
		    struct st_dep *recs, st_choose_fn choose, void *arg,
		    double now) LX_MUSTCHECK;
/*
 * End of a request on id: one less in flight in this slot, then fn (may
 * be NULL) on the record.  LX_ERR when LMDB failed.
 */
int		 st_release(struct st *, const char *id, st_update_fn fn,
		    void *arg, double now) LX_MUSTCHECK;
/* Read id's record (zero when absent).  For tests and tools. */
int		 st_get(struct st *, const char *id, struct st_dep *,
		    double now) LX_MUSTCHECK;
/*
 * Master: a worker in slot is gone; take its in-flight counts off every
 * deployment.  Opens and closes dir's environment itself.
 */
int		 st_slot_clear(const char *dir, unsigned slot) LX_MUSTCHECK;
/* The same with an open handle (tests, and a process that has one). */
int		 st_slot_clear_env(struct st *, unsigned slot) LX_MUSTCHECK;
/* The last LMDB error as text, and whether it was a full map. */
const char	*st_error(const struct st *);
int		 st_full(const struct st *);
/* This process's slot, as given to st_open. */
unsigned	 st_slot(const struct st *);
/* Mean latency of rec's samples no older than ttl s; -1: none. */
double		 st_latency(const struct st_dep *, double now, double ttl);

#endif
