/*
 * route.h: stage 3, from the model a client names to one deployment
 * (route.c).
 *
 * Each worker builds an rt_table from its config generation once: groups by
 * model_name, wildcard patterns by specificity, and per deployment what the
 * provider needs on every call (URL, header list).  Requests only read it,
 * but for the strategy's counters: a strategy is a pick/release pair, and
 * every pick is released once, by req_finish(), so a strategy such as
 * least-busy can count the calls in flight per deployment.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <event2/event_struct.h>

#include "llmux.h"
#include "prov.h"
#include "state.h"

struct curl_slist;
struct st;

#define RT_MAXCAPS	8
#define RT_MAXTAGS	32	/* request tags the tag filter reads */

/*
 * A deployment's failed calls in the current one-second window: req.c
 * logs the first whole and the others as one line when the window ends.
 */
struct rt_fails {
	struct event		 ev;		/* ends the window */
	unsigned		 n;		/* failures not logged whole */
	unsigned		 on:1;		/* a window is open: ev pending */
	unsigned		 assigned:1;	/* ev is set up */
};

/* A worker's view of one deployment. */
struct rt_deploy {
	const struct cfg_deploy	*cfg;
	const struct prov	*prov;		/* NULL: provider unknown */
	struct prov_target	 tgt;		/* URL, headers, shown api_base */
	unsigned		 inflight;	/* picked, not yet released */
	size_t			 gsize;		/* deployments in its group */
	struct rt_fails		 fails;
};

struct rt_group;

/*
 * A routing strategy (router_settings.routing_strategy).  pick runs the
 * state transaction (route.c's rt_state_pick for every row so far), which
 * drops the deployments cooling down or over their rpm/tpm and lets
 * choose decide among the rest on the shared counters.
 */
struct rt_strategy {
	const char		*name;
	/*
	 * One deployment of g for r, or NULL after replying (every
	 * deployment cooling down or over its limits).
	 */
	struct rt_deploy	*(*pick)(const struct rt_group *g,
				    struct req *r);
	/* The request is over: undo what pick counted. */
	void			 (*release)(struct rt_deploy *, struct req *r);
	/*
	 * Among g's deployments i with ok[i] set, the index to pick, given
	 * their shared records (zero without state).  At least one ok[i].
	 */
	size_t			 (*choose)(const struct rt_group *g,
				    const struct st_dep *recs,
				    const unsigned char *ok, struct req *r,
				    double now);
};

struct rt_group {
	const char		*name;
	size_t			 n;
	struct rt_deploy	**d;
};

struct rt_table {
	struct arena		*ar;		/* the worker's; owns this */
	size_t			 ngroups;
	struct rt_group		*groups;	/* config order */
	size_t			 nbuckets;
	struct rt_group		**buckets;	/* hash of groups by name */
	size_t			 nwild;
	struct rt_group		**wild;		/* most specific first */
	size_t			 ndeploy;
	struct rt_deploy	*deploy;
	const struct cfg	*cfg;
	const struct rt_strategy *strategy;
};

/*
 * What the deployment filters read of a request, taken once from its
 * body by rt_ask_parse().
 */
struct rt_ask {
	size_t		 ntags;
	const char	*tags[RT_MAXTAGS];	/* metadata.tags, then tags */
	long		 tokens;	/* prompt estimate; -1: no messages */
	const char	*region;	/* allowed region_name; NULL: any */
};

/* Why rt_filter() left no deployment. */
enum rt_empty {
	RT_E_NONE,		/* some are left */
	RT_E_CONTEXT,		/* the prompt is over every context window */
	RT_E_REGION,		/* none is in the allowed region */
	RT_E_TAGS		/* none carries the tags (nor "default") */
};

/*
 * LiteLLM's filters before the strategy's pick, in its order: with
 * router_settings.enable_pre_call_checks the context window, the region
 * and the lowest order tier; with enable_tag_filtering the tags.  Writes
 * the deployments of g that pass to out (room for g->n) and returns how
 * many; 0 with *why and, for RT_E_CONTEXT, *maxin (the largest window
 * seen) set.  Does not allocate.
 */
size_t		 rt_filter(const struct cfg *, const struct rt_group *g,
		    const struct rt_ask *, struct rt_deploy **out,
		    enum rt_empty *why, long *maxin);
/*
 * Fill a from r's body: its tags and a prompt token estimate (a token
 * per four bytes of the messages array, as text).  Tag strings live in
 * r->ar.  LX_ERR when out of memory.
 */
int		 rt_ask_parse(struct req *r, struct rt_ask *a) LX_MUSTCHECK;
/*
 * Prompt tokens deployment d takes: model_info.max_input_tokens, else
 * the price map's for its base_model or model; -1 when unknown.
 */
long		 rt_max_input(const struct cfg_deploy *d);
/*
 * What cost-based-routing ranks d by: input plus output cost per token,
 * each from litellm_params or model_info, else the price map, else 5.0
 * as LiteLLM does.
 */
double		 rt_cost(const struct cfg_deploy *d);

/* Build the table for cfg in a; NULL when out of memory. */
struct rt_table	*rt_table_new(const struct cfg *, struct arena *);
/* Release what the arena does not own (curl header lists). */
void		 rt_table_free(struct rt_table *);
/*
 * Match s against a model_name pattern the way LiteLLM's regex does
 * (anchored at the start, each '*' a greedy capture).  On a match returns
 * 1 and fills caps (start, length pairs); 0 otherwise, and 0 for a
 * pattern with more stars than maxcaps.  glob_match() (glob.c) does the
 * matching, for the loader and the router alike.
 */
int		 rt_match(const char *pat, const char *s, const char **cap,
		    size_t *caplen, size_t maxcaps, size_t *ncaps);
/*
 * The route stage: sets r->dep, r->rd, r->prov, r->up_model and takes a
 * pick of the table's strategy; replies on error.
 */
int		 rt_run(struct req *) LX_MUSTCHECK;
/*
 * Release r's pick, if it holds one; idempotent.  Called by req_finish,
 * and by whatever routes r again (a retry) before it does.  The outcome
 * in r->oc is the pick's: a success counts its tokens and latency, a
 * failure counts towards the deployment's cooldown (LiteLLM's rules,
 * llmux.yaml(5)).  An empty r->oc (no call made) counts neither.
 */
void		 rt_release(struct req *);
/*
 * The shared state this process's picks use (NULL: none, every pick
 * without counters).  The caller owns st and closes it after the last
 * release.
 */
void		 rt_state_set(struct st *);
/* A strategy by name; NULL when llmux does not serve it. */
const struct rt_strategy *rt_strategy_find(const char *);
/* Picks made without counters because LMDB failed, in this process. */
unsigned long	 rt_state_errors(void);

#endif
