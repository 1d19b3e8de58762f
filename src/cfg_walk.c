/*
 * cfg_walk.c: walking the YAML of a config against the key table.
 *
 * cfg_do_map() takes one mapping and the table path of its parent
 * ("model_list[].litellm_params"), finds each key's row and hands the
 * value to the reader of the row's type: scalars, string lists, fallback
 * lists, aliases, sections (recursively), deployments and credentials.
 * A reader stores into struct cfg or the current deployment at the row's
 * offset, or keeps an extra parameter as JSON, and reports every problem
 * at the value's position with the current key path.  Keys the table
 * lacks warn; in litellm_params they are kept and passed to the provider.
 *
 * To read a new type of key: add a CFG_T_ or CFG_S_ value in cfg.h, a case
 * in cfg_do_value() and, when it needs one, a reader here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg.h"
#include "cfg_int.h"

/* model_info before litellm_params, so that litellm_params wins. */
static const char *const cfg_deploy_first[] = {
	"model_info", "litellm_params", NULL
};

/*
 * Type scalar n and substitute os.environ/NAME.  A missing variable is an
 * error when strict (a value llmux uses), else a warning; either way the
 * value is unusable and LX_ERR is returned.
 */
int
cfg_scalar(struct cfg_ld *ld, const yaml_node_t *n, int strict,
    struct cfg_val *v)
{
	const char	*e;

	cfg_type(n, v);
	if (v->t != CFG_V_STR || strncmp(v->s, CFG_ENV, CFG_ENVLEN) != 0)
		return (LX_OK);
	v->env = v->s + CFG_ENVLEN;
	if (*v->env == '\0') {
		cfg_diag(ld, strict, n, "os.environ/ names no variable");
		return (LX_ERR);
	}
	if ((e = cfg_getenv(ld, v->env)) == NULL) {
		cfg_diag(ld, strict, n, "environment variable %s is not set",
		    v->env);
		return (LX_ERR);
	}
	v->s = e;
	return (LX_OK);
}

static int	cfg_pairs_add(struct cfg_ld *, yaml_node_t *,
		    struct cfg_pair **, size_t *, size_t *, int, int);

/* The value of <<: a mapping, or a list of them, the last merged first. */
static void
cfg_pairs_merge(struct cfg_ld *ld, yaml_node_t *val, struct cfg_pair **v,
    size_t *n, size_t *cap, int depth)
{
	yaml_node_item_t	*it;
	yaml_node_t		*m;

	if (val->type == YAML_MAPPING_NODE) {
		cfg_pairs_add(ld, val, v, n, cap, depth + 1, 1);
		return;
	}
	if (val->type != YAML_SEQUENCE_NODE) {
		cfg_diag(ld, 1, val, "<< needs a mapping or a list of "
		    "mappings");
		return;
	}
	for (it = val->data.sequence.items.top;
	    it-- > val->data.sequence.items.start;) {
		if ((m = cfg_node(ld, *it)) == NULL)
			continue;
		if (m->type == YAML_MAPPING_NODE)
			cfg_pairs_add(ld, m, v, n, cap, depth + 1, 1);
		else
			cfg_diag(ld, 1, m, "<< needs a mapping or a list of "
			    "mappings");
	}
}

/* Append the pairs of map to v: merged ones first, as PyYAML does. */
static int
cfg_pairs_add(struct cfg_ld *ld, yaml_node_t *map, struct cfg_pair **v,
    size_t *n, size_t *cap, int depth, int merged)
{
	yaml_node_pair_t	*p;
	yaml_node_t		*k, *val;
	struct cfg_pair		*nv;
	int			 pass, ismerge;

	if (depth > CFG_MAXDEPTH || ++ld->visits > ld->maxvisits) {
		cfg_toobig(ld, map);
		return (LX_ERR);
	}
	for (pass = 0; pass < 2; pass++) {
		for (p = map->data.mapping.pairs.start;
		    p < map->data.mapping.pairs.top; p++) {
			if ((k = cfg_node(ld, p->key)) == NULL ||
			    (val = cfg_node(ld, p->value)) == NULL)
				continue;
			ismerge = k->type == YAML_SCALAR_NODE &&
			    k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
			    strcmp(cfg_text(k), "<<") == 0;
			if (ismerge != (pass == 0))
				continue;
			if (ismerge) {
				cfg_pairs_merge(ld, val, v, n, cap, depth);
				continue;
			}
			if (k->type != YAML_SCALAR_NODE) {
				cfg_diag(ld, 1, k, "a key must be a scalar, "
				    "got %s", cfg_kind(k));
				continue;
			}
			if ((nv = cfg_grow(*v, cap, *n, sizeof(**v))) == NULL)
				return (LX_ERR);
			*v = nv;
			nv[*n].k = k;
			nv[*n].v = val;
			nv[*n].key = cfg_text(k);
			nv[*n].merged = merged;
			(*n)++;
		}
	}
	return (LX_OK);
}

/*
 * Key b repeats key a.  PyYAML keeps the last value, so a second section
 * at the top would silently drop the first one's keys (master_key among
 * them): that is an error; inside a mapping it is a warning.
 */
static void
cfg_pairs_dup(struct cfg_ld *ld, const struct cfg_pair *a,
    const struct cfg_pair *b, int how)
{
	struct cfg_mark	 m;

	m = cfg_push(ld, a->key, 0);
	if (how == CFG_DUP_ERROR)
		cfg_diag(ld, 1, a->k, "section given twice, at lines %zu and "
		    "%zu; the second would replace the first whole",
		    a->k->start_mark.line + 1, b->k->start_mark.line + 1);
	else
		cfg_diag(ld, 0, a->k, "key repeated at line %zu, which wins",
		    b->k->start_mark.line + 1);
	cfg_pop(ld, m);
}

/*
 * The pairs of map (NULL when there are none; free() it).  With warn, a
 * key given twice in the mapping itself draws a warning (CFG_DUP_WARN) or
 * an error (CFG_DUP_ERROR).
 */
struct cfg_pair *
cfg_pairs(struct cfg_ld *ld, yaml_node_t *map, size_t *np, int warn)
{
	struct cfg_pair	*v = NULL;
	struct cfg_hash	 h = { NULL, 0, 0 };
	struct cfg_hent	*e;
	size_t		 n = 0, cap = 0, i, j, o;

	*np = 0;
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return (NULL);
	cfg_pairs_add(ld, map, &v, &n, &cap, 0, 0);
	/*
	 * Compact in place: a repeated key updates the item its first
	 * occurrence made.  A short mapping is scanned, a long one looked up
	 * in a hash (40,000 keys would be 800 million compares).
	 */
	for (i = o = 0; i < n; i++) {
		j = o;
		if (n <= CFG_SCANMAX) {
			for (j = 0; j < o; j++)
				if (cfg_steps++, strcmp(v[j].key, v[i].key) == 0)
					break;
		} else if ((e = cfg_hash_at(&h, v[i].key, 0, 1)) != NULL) {
			if (e->val != SIZE_MAX)
				j = e->val;
			else
				e->val = o;
		}
		if (j == o) {
			v[o++] = v[i];
			continue;
		}
		if (warn && !v[j].merged && !v[i].merged)
			cfg_pairs_dup(ld, &v[j], &v[i], warn);
		v[j].k = v[i].k;
		v[j].v = v[i].v;
		v[j].merged = v[i].merged;
	}
	cfg_hash_free(&h);
	*np = o;
	return (v);
}

/* The value of key in map, or NULL. */
yaml_node_t *
cfg_get(struct cfg_ld *ld, yaml_node_t *map, const char *key)
{
	struct cfg_pair	*v;
	yaml_node_t	*r = NULL;
	size_t		 n, i;

	v = cfg_pairs(ld, map, &n, 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].key, key) == 0)
			r = v[i].v;
	free(v);
	return (r);
}

/*
 * Render n in fmt.  With env, os.environ/ references are substituted
 * (missing: an error, and LX_ERR); without, values are shown as written.
 */
static int
cfg_render(struct cfg_ld *ld, yaml_node_t *n, enum cfg_fmt fmt, int env,
    struct cfg_buf *b, int depth)
{
	struct cfg_pair		*pv;
	struct cfg_val		 v;
	yaml_node_item_t	*it;
	yaml_node_t		*c;
	const char		*sep = fmt == CFG_JSON ? "," : ", ";
	size_t			 np, i;
	int			 rc = LX_OK;

	if (depth > CFG_MAXDEPTH || ++ld->visits > ld->maxvisits ||
	    b->len > CFG_MAXTEXT) {
		cfg_toobig(ld, n);
		return (LX_ERR);
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (!env)
			cfg_type(n, &v);
		else if (cfg_scalar(ld, n, 1, &v) != LX_OK)
			return (LX_ERR);
		cfg_render_scalar(&v, fmt, b);
		break;
	case YAML_SEQUENCE_NODE:
		cfg_bputs(b, "[");
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			if (it != n->data.sequence.items.start)
				cfg_bputs(b, sep);
			if ((c = cfg_node(ld, *it)) != NULL &&
			    cfg_render(ld, c, fmt, env, b, depth + 1) != LX_OK)
				rc = LX_ERR;
		}
		cfg_bputs(b, "]");
		break;
	case YAML_MAPPING_NODE:
		pv = cfg_pairs(ld, n, &np, 0);
		cfg_bputs(b, "{");
		for (i = 0; i < np; i++) {
			if (i > 0)
				cfg_bputs(b, sep);
			if (fmt == CFG_PYREPR) {
				cfg_type(pv[i].k, &v);
				cfg_render_scalar(&v, fmt, b);
			} else
				cfg_quote(b, pv[i].key, fmt);
			cfg_bputs(b, fmt == CFG_JSON ? ":" : ": ");
			if (cfg_render(ld, pv[i].v, fmt, env, b,
			    depth + 1) != LX_OK)
				rc = LX_ERR;
		}
		cfg_bputs(b, "}");
		free(pv);
		break;
	default:
		break;
	}
	return (rc);
}

/* Python's str() of a value as written, for the deployment id. */
void
cfg_pystr(struct cfg_ld *ld, yaml_node_t *n, struct cfg_buf *b)
{
	struct cfg_val	 v;

	if (n->type == YAML_MAPPING_NODE)
		cfg_render(ld, n, CFG_PYJSON, 0, b, 0);
	else if (n->type == YAML_SEQUENCE_NODE)
		cfg_render(ld, n, CFG_PYREPR, 0, b, 0);
	else {
		cfg_type(n, &v);
		if (v.t == CFG_V_STR)
			cfg_bputs(b, v.s);
		else
			cfg_render_scalar(&v, CFG_PYREPR, b);
	}
}

static void *
cfg_field(struct cfg_ld *ld, const struct cfg_key *k)
{
	if (k->where == CFG_W_CFG)
		return ((char *)ld->cfg + k->off);
	if (k->where == CFG_W_DEPLOY && ld->di < ld->ndep)
		return ((char *)&ld->dep[ld->di] + k->off);
	return (NULL);
}

/* Set field f of row k to its default, or to unset. */
static void
cfg_default(const struct cfg_key *k, char *f)
{
	switch (k->type) {
	case CFG_T_INT:
		*(long *)f = k->def != NULL ? strtol(k->def, NULL, 10) :
		    CFG_UNSET_INT;
		break;
	case CFG_T_NUM:
		*(double *)f = k->def != NULL ? strtod(k->def, NULL) :
		    CFG_UNSET_NUM;
		break;
	case CFG_T_BOOL:
		*(int *)f = k->def == NULL ? -1 : strcmp(k->def, "true") == 0;
		break;
	case CFG_T_STR:
	case CFG_T_SECRET:
	case CFG_T_DURATION:
	case CFG_T_ENUM:
		*(const char **)f = k->def;
		break;
	default:
		break;
	}
}

/* Set every field of base kept at where to its default. */
void
cfg_defaults(void *base, enum cfg_where where)
{
	const struct cfg_key	*k;

	for (k = cfg_keys; k->path != NULL; k++)
		if (k->where == where)
			cfg_default(k, (char *)base + k->off);
}

/*
 * The index of extra parameter key of deployment di, or its nextra when
 * it has none.  A hash over the whole load: litellm_params may hold
 * thousands of keys.
 */
size_t
cfg_extra_find(struct cfg_ld *ld, size_t di, const char *key)
{
	struct cfg_hent	*e;

	e = cfg_hash_at(&ld->extras, key, di, 0);
	return (e != NULL ? e->val : ld->dep[di].nextra);
}

static void
cfg_extra_add(struct cfg_ld *ld, const char *key, const char *json,
    int known, int secret)
{
	struct cfg_deploy	*d;
	struct cfg_dx		*dx;
	struct cfg_extra	*e;
	struct cfg_hent		*h;
	size_t			 i;

	if (ld->di >= ld->ndep)
		return;
	d = &ld->dep[ld->di];
	dx = &ld->dx[ld->di];
	i = cfg_extra_find(ld, ld->di, key);
	if (i == d->nextra && d->nextra == dx->extracap) {
		dx->extracap = dx->extracap == 0 ? 8 : dx->extracap * 2;
		if ((e = ar_calloc(&ld->cfg->ar, dx->extracap *
		    sizeof(*e))) == NULL)
			return;
		if (d->nextra > 0)
			memcpy(e, d->extra, d->nextra * sizeof(*e));
		d->extra = e;
	}
	e = &d->extra[i];
	if (i == d->nextra) {
		if ((e->key = cfg_strdup(ld, key, 0)) == NULL ||
		    (h = cfg_hash_at(&ld->extras, e->key, ld->di, 1)) == NULL)
			return;
		h->val = i;
		d->nextra++;
	}
	e->json = cfg_strdup(ld, json, secret);
	e->known = known;
}

void
cfg_extra_node(struct cfg_ld *ld, const char *key, yaml_node_t *n,
    int known)
{
	struct cfg_buf	 b = { NULL, 0, 0, 0 };

	if (cfg_render(ld, n, CFG_JSON, 1, &b, 0) == LX_OK && !b.fail)
		cfg_extra_add(ld, key, b.p, known, 0);
	if (b.p != NULL)
		explicit_bzero(b.p, b.len);
	free(b.p);
}

/* A group named at n, checked at the end; env: the variable it came from. */
static void
cfg_ref_add(struct cfg_ld *ld, yaml_node_t *n, const char *group,
    const char *env)
{
	struct cfg_ref	*r;

	if ((r = cfg_grow(ld->ref, &ld->refcap, ld->nref,
	    sizeof(*r))) == NULL)
		return;
	ld->ref = r;
	r += ld->nref++;
	r->file = ld->cur;
	r->n = n;
	r->disp = cfg_strdup(ld, ld->disp, 0);
	r->group = group;
	r->env = env != NULL ? cfg_strdup(ld, env, 0) : NULL;
}

/*
 * A list of strings (a bare string is a list of one).  how: CFG_S_NONE,
 * or CFG_S_CALLBACKS to warn about callbacks llmux lacks, or CFG_S_GROUPS
 * to check the names against model_list at the end.
 */
static void
cfg_do_strv(struct cfg_ld *ld, yaml_node_t *n, struct cfg_strv *out,
    enum cfg_special how)
{
	struct cfg_val	 v;
	struct cfg_mark	 m;
	yaml_node_t	*it;
	const char	**sv;
	char		 shown[256];
	size_t		 cnt, i;

	out->n = 0;
	out->v = NULL;
	if (n->type == YAML_MAPPING_NODE) {
		cfg_diag(ld, 1, n, "expected a list of strings, got a "
		    "mapping");
		return;
	}
	if (n->type == YAML_SCALAR_NODE) {
		cfg_type(n, &v);
		if (v.t == CFG_V_NULL)
			return;
		cnt = 1;	/* callbacks: name is a list of one */
	} else
		cnt = (size_t)(n->data.sequence.items.top -
		    n->data.sequence.items.start);
	if ((sv = ar_calloc(&ld->cfg->ar, (cnt + 1) * sizeof(*sv))) == NULL)
		return;
	out->v = sv;
	for (i = 0; i < cnt; i++) {
		it = n->type == YAML_SCALAR_NODE ? n :
		    cfg_node(ld, n->data.sequence.items.start[i]);
		if (it == NULL)
			continue;
		m = cfg_push(ld, NULL, i);
		if (it->type != YAML_SCALAR_NODE)
			cfg_diag(ld, 1, it, "expected a string, got %s",
			    cfg_kind(it));
		else if (cfg_scalar(ld, it, 1, &v) == LX_OK &&
		    v.t != CFG_V_NULL) {
			sv[out->n] = cfg_strdup(ld, v.s, 0);
			if (how == CFG_S_GROUPS)
				cfg_ref_add(ld, it, sv[out->n], v.env);
			out->n++;
			if (how != CFG_S_CALLBACKS ||
			    strcmp(v.s, "prometheus") == 0)
				;	/* llmux serves /metrics itself */
			else if (strchr(v.s, '.') != NULL)
				cfg_diag(ld, 0, it, "callback %s is Python "
				    "code, which llmux cannot run; ignored",
				    cfg_show(&v, shown, sizeof(shown)));
			else
				cfg_diag(ld, 0, it, "callback %s is not "
				    "supported by llmux, ignored",
				    cfg_show(&v, shown, sizeof(shown)));
		}
		cfg_pop(ld, m);
	}
}

/* [{group: [to, ...]}, ...]: LiteLLM wants exactly one key per item. */
static void
cfg_do_fallbacks(struct cfg_ld *ld, yaml_node_t *n, struct cfg_fallbacks *fb)
{
	struct cfg_fallback	*f;
	struct cfg_pair		*pv;
	struct cfg_buf		 b = { NULL, 0, 0, 0 };
	struct cfg_mark		 m, m2;
	yaml_node_t		*it;
	size_t			 cnt, i, np;

	fb->n = 0;
	fb->v = NULL;
	if (n->type == YAML_SCALAR_NODE && cfg_is_off(n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_diag(ld, 1, n, "expected a list of one-key mappings "
		    "{group: [fallbacks]}, got %s", cfg_kind(n));
		return;
	}
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if ((f = ar_calloc(&ld->cfg->ar, (cnt + 1) * sizeof(*f))) == NULL)
		return;
	fb->v = f;
	for (i = 0; i < cnt; i++) {
		if ((it = cfg_node(ld, n->data.sequence.items.start[i])) ==
		    NULL)
			continue;
		m = cfg_push(ld, NULL, i);
		pv = cfg_pairs(ld, it, &np, 1);
		if (it->type != YAML_MAPPING_NODE)
			cfg_diag(ld, 1, it, "expected a one-key mapping "
			    "{group: [fallbacks]}, got %s", cfg_kind(it));
		else if (np != 1) {
			b.len = 0;
			cfg_render(ld, it, CFG_PYREPR, 0, &b, 0);
			cfg_diag(ld, 1, it, "Dictionary %.200s must have "
			    "exactly one key, but has %zu keys",
			    b.p != NULL ? b.p : "{}", np);
		} else {
			f[fb->n].group = cfg_strdup(ld, pv[0].key, 0);
			m2 = cfg_push(ld, pv[0].key, 0);
			cfg_do_strv(ld, pv[0].v, &f[fb->n].to, CFG_S_GROUPS);
			if (strcmp(pv[0].key, "*") != 0)
				cfg_ref_add(ld, pv[0].k, f[fb->n].group,
				    NULL);
			cfg_pop(ld, m2);
			fb->n++;
		}
		free(pv);
		cfg_pop(ld, m);
	}
	free(b.p);
}

/* One alias given as {model: group, hidden: true}. */
static void
cfg_alias_map(struct cfg_ld *ld, struct cfg_alias *a, yaml_node_t *n)
{
	struct cfg_pair	*sv;
	struct cfg_val	 v;
	struct cfg_mark	 m;
	const char	*why;
	char		 got[128];
	size_t		 ns, j;
	int		 hid, hasmodel = 0;

	sv = cfg_pairs(ld, n, &ns, 1);
	for (j = 0; j < ns; j++) {
		m = cfg_push(ld, sv[j].key, 0);
		if (strcmp(sv[j].key, "model") == 0) {
			hasmodel = 1;
			if (sv[j].v->type != YAML_SCALAR_NODE)
				cfg_diag(ld, 1, sv[j].v, "expected a string, "
				    "got %s", cfg_kind(sv[j].v));
			else if (cfg_scalar(ld, sv[j].v, 1, &v) != LX_OK)
				;	/* reported */
			else if (v.t == CFG_V_NULL || *v.s == '\0')
				cfg_diag(ld, 1, sv[j].v, "expected a model "
				    "group name");
			else {
				a->group = cfg_strdup(ld, v.s, 0);
				cfg_ref_add(ld, sv[j].v, a->group, v.env);
			}
		} else if (strcmp(sv[j].key, "hidden") == 0) {
			why = "expected a boolean (true or false)";
			if (sv[j].v->type != YAML_SCALAR_NODE)
				cfg_diag(ld, 1, sv[j].v, "%s, got %s", why,
				    cfg_kind(sv[j].v));
			else if (cfg_scalar(ld, sv[j].v, 1, &v) != LX_OK)
				;	/* reported */
			else if ((why = cfg_get_bool(&v, &hid)) != NULL)
				cfg_diag(ld, 1, sv[j].v, "%s, got %s", why,
				    cfg_got(sv[j].v, &v, got, sizeof(got)));
			else
				a->hidden = hid;
		} else
			cfg_diag(ld, 0, sv[j].k, "unknown key, ignored");
		cfg_pop(ld, m);
	}
	free(sv);
	if (!hasmodel)
		cfg_diag(ld, 1, n, "missing required key \"model\"");
}

/* model_group_alias: {alias: group} or {alias: {model: group, hidden}}. */
static void
cfg_do_alias(struct cfg_ld *ld, yaml_node_t *n)
{
	struct cfg_alias	*a;
	struct cfg_pair		*pv;
	struct cfg_val		 v;
	struct cfg_mark		 m;
	size_t			 np, i;

	ld->cfg->router.nalias = 0;
	ld->cfg->router.alias = NULL;
	if (n->type == YAML_SCALAR_NODE && cfg_is_off(n))
		return;
	if (n->type != YAML_MAPPING_NODE) {
		cfg_diag(ld, 1, n, "expected a mapping of aliases to model "
		    "groups, got %s", cfg_kind(n));
		return;
	}
	pv = cfg_pairs(ld, n, &np, 1);
	if ((a = ar_calloc(&ld->cfg->ar, (np + 1) * sizeof(*a))) == NULL)
		goto done;
	ld->cfg->router.alias = a;
	for (i = 0; i < np; i++) {
		m = cfg_push(ld, pv[i].key, 0);
		memset(a, 0, sizeof(*a));
		a->alias = cfg_strdup(ld, pv[i].key, 0);
		if (pv[i].v->type == YAML_MAPPING_NODE)
			cfg_alias_map(ld, a, pv[i].v);
		else if (pv[i].v->type != YAML_SCALAR_NODE)
			cfg_diag(ld, 1, pv[i].v, "expected a model group name "
			    "or {model: group, hidden: true}, got %s",
			    cfg_kind(pv[i].v));
		else if (cfg_scalar(ld, pv[i].v, 1, &v) != LX_OK)
			;	/* reported */
		else if (v.t == CFG_V_NULL || *v.s == '\0')
			cfg_diag(ld, 1, pv[i].v, "expected a model group name");
		else {
			a->group = cfg_strdup(ld, v.s, 0);
			cfg_ref_add(ld, pv[i].v, a->group, v.env);
		}
		if (a->group != NULL) {
			a++;
			ld->cfg->router.nalias++;
		}
		cfg_pop(ld, m);
	}
 done:
	free(pv);
}

static void
cfg_do_deploy(struct cfg_ld *ld, yaml_node_t *n)
{
	struct cfg_deploy	*d;
	struct cfg_dx		*dx;
	size_t			 cap = ld->depcap;
	int			 nerr = ld->diags->nerrors;

	if (n->type != YAML_MAPPING_NODE) {
		cfg_diag(ld, 1, n, "expected a mapping with model_name and "
		    "litellm_params, got %s", cfg_kind(n));
		return;
	}
	if ((d = cfg_grow(ld->dep, &cap, ld->ndep, sizeof(*d))) == NULL)
		return;
	ld->dep = d;
	if ((dx = cfg_grow(ld->dx, &ld->depcap, ld->ndep,
	    sizeof(*dx))) == NULL)
		return;
	ld->dx = dx;
	ld->di = ld->ndep++;
	d += ld->di;
	dx += ld->di;
	memset(d, 0, sizeof(*d));
	memset(dx, 0, sizeof(*dx));
	cfg_defaults(d, CFG_W_DEPLOY);
	d->file = ld->cur->name;
	d->line = (int)n->start_mark.line + 1;
	dx->file = ld->cur;
	dx->entry = n;
	dx->disp = cfg_strdup(ld, ld->disp, 0);
	cfg_do_map(ld, n, "model_list[]", cfg_deploy_first);
	ld->dx[ld->di].bad = ld->diags->nerrors != nerr;
	ld->di = ld->ndep;
}

static void
cfg_do_cred(struct cfg_ld *ld, yaml_node_t *n)
{
	struct cfg_cred	*c;
	struct cfg_hent	*e;
	struct cfg_val	 v;
	yaml_node_t	*name, *vals;
	int		 rc;

	if (n->type != YAML_MAPPING_NODE) {
		cfg_diag(ld, 1, n, "expected a mapping with credential_name "
		    "and credential_values, got %s", cfg_kind(n));
		return;
	}
	cfg_do_map(ld, n, "credential_list[]", NULL);
	name = cfg_get(ld, n, "credential_name");
	vals = cfg_get(ld, n, "credential_values");
	ld->quiet++;		/* cfg_do_map reported its problems */
	rc = name != NULL && name->type == YAML_SCALAR_NODE ?
	    cfg_scalar(ld, name, 0, &v) : LX_ERR;
	ld->quiet--;
	if (rc != LX_OK || v.t == CFG_V_NULL)
		return;
	if ((c = cfg_grow(ld->cred, &ld->credcap, ld->ncred,
	    sizeof(*c))) == NULL)
		return;
	ld->cred = c;
	c += ld->ncred++;
	c->file = ld->cur;
	c->name = cfg_strdup(ld, v.s, 0);
	c->disp = cfg_strdup(ld, ld->disp, 0);
	/* A name given twice: the last one wins. */
	if (c->name != NULL && (e = cfg_hash_at(&ld->creds, c->name, 0, 1)) !=
	    NULL)
		e->val = ld->ncred - 1;
	c->values = vals != NULL && vals->type == YAML_MAPPING_NODE ? vals :
	    NULL;
}

static void
cfg_do_list(struct cfg_ld *ld, const struct cfg_key *k, yaml_node_t *n)
{
	struct cfg_mark	 m;
	yaml_node_t	*it;
	size_t		 i, cnt;

	if (n->type == YAML_SCALAR_NODE && cfg_is_off(n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		cfg_diag(ld, 1, n, "expected a list, got %s", cfg_kind(n));
		return;
	}
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	for (i = 0; i < cnt; i++) {
		if ((it = cfg_node(ld, n->data.sequence.items.start[i])) ==
		    NULL)
			continue;
		m = cfg_push(ld, NULL, i);
		if (k->special == CFG_S_DEPLOYS)
			cfg_do_deploy(ld, it);
		else
			cfg_do_cred(ld, it);
		cfg_pop(ld, m);
	}
}

/* An integer, number or boolean value, checked; NULL or why not. */
static const char *
cfg_num_why(const struct cfg_key *k, const struct cfg_val *v, long *l,
    double *x, int *b)
{
	const char	*why;

	switch (k->type) {
	case CFG_T_INT:
		if ((why = cfg_get_int(v, l)) != NULL)
			return (why);
		if ((k->flags & CFG_POSITIVE) && *l <= 0)
			return ("must be greater than 0");
		if ((k->flags & CFG_NONNEG) && *l < 0)
			return ("must not be negative");
		return (NULL);
	case CFG_T_NUM:
		if ((why = cfg_get_num(v, x)) != NULL)
			return (why);
		if ((k->flags & CFG_POSITIVE) && !(*x > 0))
			return ("must be greater than 0");
		if ((k->flags & CFG_NONNEG) && *x < 0)
			return ("must not be negative");
		return (NULL);
	default:
		return (cfg_get_bool(v, b));
	}
}

/* A string value, checked; NULL or why not (perhaps written in buf). */
static const char *
cfg_str_why(const struct cfg_key *k, const char *s, char *buf, size_t sz)
{
	const char *const	*e;
	size_t			 n;

	if ((k->flags & CFG_REQUIRED) && *s == '\0')
		return ("must not be empty");
	if (k->type == CFG_T_DURATION && !cfg_is_duration(s))
		return ("expected a duration such as 30s, 5m, 24h, 30d or 1mo");
	if (k->type != CFG_T_ENUM)
		return (NULL);
	for (e = k->enums; *e != NULL; e++)
		if (strcmp(*e, s) == 0)
			return (NULL);
	n = (size_t)snprintf(buf, sz, "must be one of");
	for (e = k->enums; *e != NULL && n < sz; e++)
		n += (size_t)snprintf(buf + n, sz - n, "%s %s",
		    e == k->enums ? "" : ",", *e);
	return (buf);
}

/* Where the value of row k (a struct cfg field) was set, for reloads. */
static void
cfg_keypos(struct cfg_ld *ld, const struct cfg_key *k, const yaml_node_t *n,
    const char *env)
{
	struct cfg_keypos	*p;

	if (k->where != CFG_W_CFG || ld->cfg->keypos == NULL)
		return;
	p = &ld->cfg->keypos[k - cfg_keys];
	p->file = ld->cur->name;
	p->line = (int)n->start_mark.line + 1;
	p->col = (int)n->start_mark.column + 1;
	p->env = env != NULL ? cfg_strdup(ld, env, 0) : NULL;
}

/* Keep a checked value in its field, or as an extra parameter. */
static void
cfg_keep(struct cfg_ld *ld, const struct cfg_key *k, const struct cfg_val *v,
    long l, double x, int b)
{
	struct cfg_buf	 t = { NULL, 0, 0, 0 };
	char		*f = cfg_field(ld, k), *s, num[40];
	int		 secret = k->type == CFG_T_SECRET;

	if (f != NULL) {
		if (k->type == CFG_T_INT)
			*(long *)f = l;
		else if (k->type == CFG_T_NUM)
			*(double *)f = x;
		else if (k->type == CFG_T_BOOL)
			*(int *)f = b;
		else if ((s = cfg_strdup(ld, v->s, secret)) != NULL)
			*(const char **)f = s;
		return;
	}
	if (k->where != CFG_W_EXTRA && k->where != CFG_W_FORWARD)
		return;
	/* An extra parameter: the value as LiteLLM casts it, as JSON. */
	if (k->type == CFG_T_INT)
		cfg_bprintf(&t, "%ld", l);
	else if (k->type == CFG_T_NUM) {
		cfg_pyfloat(x, num, sizeof(num));
		cfg_bputs(&t, num);
	} else if (k->type == CFG_T_BOOL)
		cfg_bputs(&t, b ? "true" : "false");
	else
		cfg_quote(&t, v->s, CFG_JSON);
	if (t.p != NULL && !t.fail)
		cfg_extra_add(ld, cfg_key_name(k), t.p,
		    k->where == CFG_W_EXTRA, secret);
	if (t.p != NULL)
		explicit_bzero(t.p, strlen(t.p));
	free(t.p);
}

/* A string, integer, number or boolean key. */
static void
cfg_do_scalar(struct cfg_ld *ld, const struct cfg_key *k, yaml_node_t *n)
{
	static const char *const tname[] = {
		[CFG_T_INT] = "an integer", [CFG_T_NUM] = "a number",
		[CFG_T_BOOL] = "a boolean (true or false)"
	};
	struct cfg_val	 v;
	const char	*why;
	char		*f = cfg_field(ld, k), buf[512], got[160];
	long		 l = 0;
	double		 x = 0;
	int		 b = 0;

	if (k->special == CFG_S_ORG && n->type == YAML_SEQUENCE_NODE &&
	    ld->di < ld->ndep) {
		cfg_do_strv(ld, n, &ld->dx[ld->di].orgs, CFG_S_NONE);
		ld->dep[ld->di].organization = ld->dx[ld->di].orgs.n > 0 ?
		    ld->dx[ld->di].orgs.v[0] : NULL;
		return;
	}
	if (n->type != YAML_SCALAR_NODE) {
		cfg_diag(ld, 1, n, "expected %s, got %s", k->type <= CFG_T_BOOL
		    && tname[k->type] != NULL ? tname[k->type] : "a string",
		    cfg_kind(n));
		return;
	}
	if (cfg_scalar(ld, n, 1, &v) != LX_OK)
		return;
	if (v.t == CFG_V_NULL) {
		if (f != NULL)
			cfg_default(k, f);
		cfg_keypos(ld, k, n, NULL);
		return;
	}
	if (k->type == CFG_T_INT || k->type == CFG_T_NUM ||
	    k->type == CFG_T_BOOL)
		why = cfg_num_why(k, &v, &l, &x, &b);
	else if ((k->flags & CFG_STRICT) && v.t != CFG_V_STR) {
		cfg_diag(ld, 1, n, "%s must be a string, got %s",
		    cfg_key_name(k), cfg_kind(n));
		return;
	} else if (k->special == CFG_S_MASTERKEY &&
	    (why = cfg_masterkey_why(v.s)) != NULL) {
		cfg_diag(ld, 1, n, "%s", why);	/* never the key itself */
		return;
	} else
		why = cfg_str_why(k, v.s, buf, sizeof(buf));
	if (why != NULL)
		cfg_diag(ld, 1, n, "%s, got %s", why, k->type == CFG_T_SECRET ?
		    cfg_kind(n) : cfg_got(n, &v, got, sizeof(got)));
	else if (k->special == CFG_S_CREDNAME && ld->di < ld->ndep) {
		ld->dx[ld->di].cred = cfg_strdup(ld, v.s, 0);
		ld->dx[ld->di].credenv = v.env;
		ld->dx[ld->di].credn = n;
	} else {
		cfg_keep(ld, k, &v, l, x, b);
		cfg_keypos(ld, k, n, v.env);
	}
}

/* Read the value n of the key of row k (whose key node is kn). */
static void
cfg_do_value(struct cfg_ld *ld, const struct cfg_key *k, yaml_node_t *kn,
    yaml_node_t *n)
{
	void	*f = cfg_field(ld, k);

	if (k->flags & CFG_IGNORED) {
		/* One warning per key and load, and none for a key left off. */
		if (!cfg_is_off(n) && !ld->warned[k - cfg_keys]) {
			ld->warned[k - cfg_keys] = 1;
			cfg_diag(ld, 0, kn, "not supported by llmux, ignored");
		}
		return;
	}
	switch (k->type) {
	case CFG_T_SECTION:
		if (n->type == YAML_SCALAR_NODE && cfg_is_off(n))
			cfg_do_map(ld, n, k->path, NULL);
		else if (n->type != YAML_MAPPING_NODE)
			cfg_diag(ld, 1, n, "expected a mapping, got %s",
			    cfg_kind(n));
		else
			cfg_do_map(ld, n, k->special == CFG_S_MODELINFO ?
			    "model_list[].model_info" : k->path, NULL);
		break;
	case CFG_T_LIST:
		cfg_do_list(ld, k, n);
		break;
	case CFG_T_MAP:
		if (k->special == CFG_S_ALIAS)
			cfg_do_alias(ld, n);
		else if (k->special != CFG_S_ENV && !cfg_is_off(n) &&
		    n->type != YAML_MAPPING_NODE)
			cfg_diag(ld, 1, n, "expected a mapping, got %s",
			    cfg_kind(n));
		break;
	case CFG_T_STRV:
		if (k->special != CFG_S_INCLUDE && f != NULL)
			cfg_do_strv(ld, n, f, k->special);
		break;
	case CFG_T_FALLBACKS:
		if (f != NULL)
			cfg_do_fallbacks(ld, n, f);
		break;
	case CFG_T_ANY:
		if ((k->where == CFG_W_EXTRA || k->where == CFG_W_FORWARD) &&
		    ld->di < ld->ndep)
			cfg_extra_node(ld, cfg_key_name(k), n,
			    k->where == CFG_W_EXTRA);
		break;
	default:
		cfg_do_scalar(ld, k, n);
		break;
	}
}

/* "model_list[0]: missing required key "litellm_params.model"". */
static void
cfg_missing(struct cfg_ld *ld, const yaml_node_t *n, const char *name)
{
	char		 item[1024];
	const char	*br = strrchr(ld->disp, ']'), *rel = "";

	snprintf(item, sizeof(item), "%s", ld->disp);
	if (br != NULL) {
		item[br - ld->disp + 1] = '\0';
		rel = br[1] == '.' ? br + 2 : "";
	}
	cfg_diag_at(ld, 1, ld->cur, n, item[0] != '\0' ? item : NULL,
	    "missing required key \"%s%s%s\"", rel, *rel != '\0' ? "." : "",
	    name);
}

/* Is tp a section whose keys are error classes (retry_policy)? */
static int
cfg_is_classes(const char *tp)
{
	const struct cfg_key	*k;

	for (k = cfg_keys; k->path != NULL; k++)
		if (k->special == CFG_S_CLASSES && strcmp(k->path, tp) == 0)
			return (1);
	return (0);
}

/*
 * Walk mapping n (or a null scalar standing for an empty one) whose keys
 * the table lists under parent tp; keys named in first go first.
 */
void
cfg_do_map(struct cfg_ld *ld, yaml_node_t *n, const char *tp,
    const char *const *first)
{
	const struct cfg_key	*k, *const *req;
	struct cfg_pair		*pv, *p;
	struct cfg_mark		 m;
	size_t			 np, i, j, o, tl = strlen(tp);
	size_t			*rank;

	pv = cfg_pairs(ld, n, &np, *tp == '\0' ? CFG_DUP_ERROR : CFG_DUP_WARN);
	if ((rank = calloc(np + 1, sizeof(*rank))) == NULL)
		goto out;
	/* The keys named in first, in that order, then the others (rank 0). */
	for (j = 0; first != NULL && first[j] != NULL; j++)
		for (i = 0; i < np; i++)
			if (strcmp(first[j], pv[i].key) == 0)
				rank[i] = j + 1;
	for (o = 1; o <= j + 1; o++) {
		for (i = 0; i < np; i++) {
			p = &pv[i];
			if (rank[i] != o % (j + 1))
				continue;
			m = cfg_push(ld, p->key, 0);
			if ((k = cfg_key_find(tp, p->key)) != NULL)
				cfg_do_value(ld, k, p->k, p->v);
			else if (strcmp(tp, "model_list[].litellm_params") ==
			    0) {
				cfg_diag(ld, 0, p->k, "unknown key, passed to "
				    "the provider as is");
				cfg_extra_node(ld, p->key, p->v, 0);
			} else if (cfg_is_classes(tp))
				cfg_diag(ld, 1, p->k, "unknown error class; "
				    "LiteLLM's are BadRequestErrorRetries, "
				    "AuthenticationErrorRetries, "
				    "TimeoutErrorRetries, "
				    "RateLimitErrorRetries, "
				    "ContentPolicyViolationErrorRetries and "
				    "InternalServerErrorRetries");
			else
				cfg_diag(ld, 0, p->k, "unknown key, ignored");
			cfg_pop(ld, m);
		}
	}
	free(rank);
 out:
	for (req = cfg_key_required(); (k = *req) != NULL; req++) {
		if (!cfg_is_child(k->path, tp, tl))
			continue;
		for (i = 0; i < np; i++)
			if (cfg_steps++, strcmp(pv[i].key,
			    k->path + tl + (tl > 0)) == 0)
				break;
		if (i == np)
			cfg_missing(ld, n, k->path + tl + (tl > 0));
	}
	free(pv);
}
