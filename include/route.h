/*
 * route.h: stage 3, from the model a client names to one deployment
 * (route.c).
 *
 * Each worker builds an rt_table from its config generation once: groups by
 * model_name, wildcard patterns by specificity, and per deployment what the
 * provider needs on every call (URL, header list).  Requests only read it.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>

#include "llmux.h"

struct curl_slist;
struct prov;

#define RT_MAXCAPS	8

/* A worker's view of one deployment. */
struct rt_deploy {
	const struct cfg_deploy	*cfg;
	const struct prov	*prov;		/* NULL: provider unknown */
	const char		*url;		/* chat completions URL */
	const char		*api_base;	/* shown in x-litellm-model-api-base */
	struct curl_slist	*hdrs;		/* static upstream headers */
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
};

/* Build the table for cfg in a; NULL when out of memory. */
struct rt_table	*rt_table_new(const struct cfg *, struct arena *);
/* Release what the arena does not own (curl header lists). */
void		 rt_table_free(struct rt_table *);
/* The group named exactly name, or NULL. */
const struct rt_group *rt_group_find(const struct rt_table *, const char *);
/*
 * Match s against a model_name pattern the way LiteLLM's regex does
 * (anchored at the start, each '*' a greedy capture).  On a match returns
 * 1 and fills caps (start, length pairs); 0 otherwise.
 */
int		 rt_glob(const char *pat, const char *s, const char **cap,
		    size_t *caplen, size_t maxcaps, size_t *ncaps);
/* The route stage: sets r->dep, r->prov, r->up_model; replies on error. */
int		 rt_run(struct req *) LX_MUSTCHECK;

#endif
