/*
 * cfg_int.h: the inside of the config loader, shared by its files and by
 * no one else (the daemon includes cfg.h only).
 *
 *	cfg.c		the load: files, include:, environment_variables,
 *			whole-config work, diagnostics, the interface
 *	cfg_walk.c	walking a mapping against the key table; one
 *			reader per type of key
 *	cfg_val.c	scalars as PyYAML types them, LiteLLM's casts, and
 *			values as JSON or Python text
 *	cfg_yaml.c	YAML events into libyaml's document, anchors in
 *			a hash
 *	cfg_doc.c	looking rows up in the key table; the table as
 *			documentation
 *	cfg_keys.c	the key table
 *
 * Everything here works on one load (struct cfg_ld), which lives on
 * cfg_load()'s stack; the YAML documents are freed when it returns.
 */
#ifndef CFG_INT_H
#define CFG_INT_H

#include <stddef.h>

#include <yaml.h>

#include "llmux.h"
#include "cfg.h"

#define CFG_MAXDEPTH	64		/* nesting of values followed */
#define CFG_MAXINCL	16		/* include depth */
#define CFG_MAXVISIT	1000000L	/* nodes visited: alias bombs */
#define CFG_VISITSPERNODE 8L		/* and more for each node read */
#define CFG_MAXTEXT	(1024 * 1024)	/* one value rendered as text */
#define CFG_SCANMAX	8		/* up to this many items: scan, no hash */
#define CFG_ENV		"os.environ/"
#define CFG_ENVLEN	(sizeof(CFG_ENV) - 1)
#define CFG_SKREASON	"master_key must start with 'sk-', as keys are told " \
			"apart by that prefix and LiteLLM's key database " \
			"depends on it"

/* One YAML file of the load. */
struct cfg_file {
	struct cfg_file	*next;
	const char	*name;		/* as shown; in the cfg arena */
	char		*dir;		/* prefix for its includes */
	char		*real;		/* realpath, to refuse reading twice */
	int		 idx;		/* read order */
	int		 hasdoc;
	int		 ok;		/* doc is one mapping */
	yaml_document_t	 doc;
};

struct cfg_pair {
	yaml_node_t	*k, *v;
	const char	*key;
	int		 merged;	/* came in through << */
};

enum cfg_vt { CFG_V_NULL, CFG_V_STR, CFG_V_BOOL, CFG_V_INT, CFG_V_NUM };

/* A scalar typed the YAML 1.1 way, after os.environ/ substitution. */
struct cfg_val {
	enum cfg_vt	 t;
	const char	*s;		/* the text, substituted */
	const char	*env;		/* the variable, when substituted */
	long long	 i;
	double		 d;
	int		 b;
};

/*
 * A hash table of strings (open addressing), for lookups that would
 * otherwise scan: keys of a mapping, anchors, variables, groups, ids.
 * The keys are not copied: they must outlive the table.
 */
struct cfg_hent {
	const char	*key;		/* NULL: a free slot */
	size_t		 aux;		/* part of the key: a deployment index */
	size_t		 val;		/* SIZE_MAX in a new entry */
	const char	*str;		/* NULL in a new entry */
};

struct cfg_hash {
	struct cfg_hent	*t;
	size_t		 cap, n;	/* cap: 0 or a power of 2 */
};

/* A growing text buffer; fail is sticky. */
struct cfg_buf {
	char		*p;
	size_t		 len, cap;
	int		 fail;
};

enum cfg_fmt {
	CFG_JSON,			/* compact JSON */
	CFG_PYJSON,			/* Python json.dumps() */
	CFG_PYREPR			/* Python repr() */
};

/* What a load keeps about a deployment until the end. */
struct cfg_dx {
	struct cfg_file	*file;
	yaml_node_t	*entry;
	const char	*disp;		/* "model_list[3]" */
	const char	*cred;		/* litellm_credential_name */
	const char	*credenv;	/* it came from os.environ/credenv */
	yaml_node_t	*credn;
	struct cfg_strv	 orgs;		/* organization given as a list */
	const char	*org;		/* this copy's organization */
	size_t		 extracap;
	int		 bad;		/* had errors: derive nothing */
};

struct cfg_cred {
	struct cfg_file	*file;
	const char	*name, *disp;
	yaml_node_t	*values;
	int		 used;		/* resolved once: report once */
};

/* A model group named by a fallback or an alias, checked at the end. */
struct cfg_ref {
	struct cfg_file	*file;
	yaml_node_t	*n;
	const char	*disp, *group;
	const char	*env;		/* group came from os.environ/env */
};

struct cfg_dkey {
	struct cfg_diag	*d;
	int		 file, line, col;
	size_t		 seq;
};

struct cfg_mark {
	size_t		 d, n;
};

struct cfg_ld {
	struct cfg		*cfg;
	struct cfg_diags	*diags;
	struct cfg_file		*files, **ftail, *cur;
	int			 nfiles;
	unsigned char		*warned;	/* per cfg_keys row */
	char			 disp[1024];	/* "model_list[2].rpm" */
	char			 norm[1024];	/* "model_list[].rpm" */
	size_t			 dlen, nlen;
	struct cfg_deploy	*dep;		/* malloc until the end */
	struct cfg_dx		*dx;
	size_t			 ndep, depcap, di;
	struct cfg_cred		*cred;
	size_t			 ncred, credcap;
	struct cfg_ref		*ref;
	size_t			 nref, refcap;
	struct cfg_dkey		*dk;
	size_t			 ndk, dkcap;
	struct cfg_hash		 extras;	/* (key, deployment): extra[] */
	struct cfg_hash		 creds;		/* name: the last cred[] */
	struct cfg_hash		 env;		/* name: value (str) */
	char			*envnames;	/* the names env points to */
	int			 envfail;	/* no hash: use getenv() */
	char			**envnew;	/* "NAME=value" to export */
	size_t			 nenvnew, envcap;
	long			 visits;
	long			 maxvisits;	/* grows with the nodes read */
	int			 quiet;		/* drop diagnostics */
	int			 toobig;	/* reported once */
};

static inline const char *
cfg_text(const yaml_node_t *n)
{
	return ((const char *)n->data.scalar.value);
}

/* Node i of the file being read. */
static inline yaml_node_t *
cfg_node(struct cfg_ld *ld, int i)
{
	return (yaml_document_get_node(&ld->cur->doc, i));
}

/*
 * cfg.c: memory, diagnostics, the key path.
 */

/* v grown to hold n + 1 items of sz (zeroed); NULL, v intact, on failure. */
void		*cfg_grow(void *v, size_t *cap, size_t n, size_t sz);
/* s copied into the config arena; a secret is wiped when it is freed. */
char		*cfg_strdup(struct cfg_ld *, const char *s, int secret);
/* A diagnostic at node n (NULL: none) of the current file and path. */
void		 cfg_diag(struct cfg_ld *, int error, const yaml_node_t *n,
		    const char *fmt, ...) LX_PRINTF(4, 5);
/* The same for file f (NULL: the main file) and path (NULL: none). */
void		 cfg_diag_at(struct cfg_ld *, int error, struct cfg_file *f,
		    const yaml_node_t *n, const char *path, const char *fmt,
		    ...) LX_PRINTF(6, 7);
/* Append a key (or, with key NULL, the list index idx) to the path. */
struct cfg_mark	 cfg_push(struct cfg_ld *, const char *key, size_t idx);
void		 cfg_pop(struct cfg_ld *, struct cfg_mark);
/*
 * The value of environment variable name as this load sees it (the
 * environment at the start, plus environment_variables), or NULL.
 */
const char	*cfg_getenv(struct cfg_ld *, const char *name);
/* Why k cannot be the master key (phrase without the key), or NULL. */
const char	*cfg_masterkey_why(const char *k);
/* Report, once per load, a value too deep or too large to follow. */
void		 cfg_toobig(struct cfg_ld *, const yaml_node_t *);

/*
 * cfg_yaml.c: the YAML document.
 */

struct cfg_yaml {
	yaml_parser_t	*p;		/* input set */
	int		 started, ended;
};

/*
 * The next document of y's stream into doc, as yaml_parser_load() does:
 * 1 (at the end of the stream, doc has no root node), or 0 with the
 * error in y->p.  yaml_document_delete() frees doc.
 */
int		 cfg_yaml_load(struct cfg_yaml *, yaml_document_t *doc);

/*
 * cfg_walk.c: mappings and the readers.
 */

#define CFG_DUP_WARN	1		/* cfg_pairs: a key given twice warns */
#define CFG_DUP_ERROR	2		/* or is an error */

/*
 * The pairs of map with << merged in and repeated keys resolved the way
 * PyYAML builds a dict: first position, last value.  NULL when there are
 * none; free() it.  With warn (CFG_DUP_*), a key given twice in map
 * itself draws a diagnostic.
 */
struct cfg_pair	*cfg_pairs(struct cfg_ld *, yaml_node_t *map, size_t *np,
		    int warn);
/* The value of key in map, or NULL. */
yaml_node_t	*cfg_get(struct cfg_ld *, yaml_node_t *map, const char *key);
/*
 * Type scalar n and substitute os.environ/NAME.  A variable that is not
 * set is an error when strict, else a warning; either way LX_ERR.
 */
int		 cfg_scalar(struct cfg_ld *, const yaml_node_t *n, int strict,
		    struct cfg_val *);
/* Python's str() of a value as written, for the deployment id. */
void		 cfg_pystr(struct cfg_ld *, yaml_node_t *, struct cfg_buf *);
/* Every field of base kept at where (a struct cfg or cfg_deploy) reset. */
void		 cfg_defaults(void *base, enum cfg_where where);
/* The index of extra parameter key of deployment di, or its nextra. */
size_t		 cfg_extra_find(struct cfg_ld *, size_t di, const char *key);
/* An extra parameter of the current deployment, n rendered as JSON. */
void		 cfg_extra_node(struct cfg_ld *, const char *key,
		    yaml_node_t *n, int known);
/*
 * Walk mapping n (or a null scalar standing for an empty one) whose keys
 * the table lists under parent tp; the keys named in first go first.
 */
void		 cfg_do_map(struct cfg_ld *, yaml_node_t *n, const char *tp,
		    const char *const *first);

/*
 * cfg_val.c: scalars and text.  None of these report anything.
 */

void		 cfg_type(const yaml_node_t *, struct cfg_val *);
/* "a mapping", "a list", "an integer", ... */
const char	*cfg_kind(const yaml_node_t *);
/* The value for "expected ..., got X": the text quoted, or its kind. */
const char	*cfg_got(const yaml_node_t *, const struct cfg_val *,
		    char *buf, size_t sz);
/*
 * A string for a message: "\"text\"", or "the value of os.environ/NAME"
 * for one taken from the environment, which is never shown.
 */
const char	*cfg_show(const struct cfg_val *, char *buf, size_t sz);
/* LiteLLM's casts; NULL, or the phrase for the error. */
const char	*cfg_get_int(const struct cfg_val *, long *);
const char	*cfg_get_num(const struct cfg_val *, double *);
const char	*cfg_get_bool(const struct cfg_val *, int *);
int		 cfg_is_duration(const char *);
/* null, false, or an empty list or mapping: a feature left off. */
int		 cfg_is_off(const yaml_node_t *);
void		 cfg_bputs(struct cfg_buf *, const char *);
void		 cfg_bprintf(struct cfg_buf *, const char *, ...)
		    LX_PRINTF(2, 3);
/* Python's repr() of a float: the shortest text that reads back. */
void		 cfg_pyfloat(double, char *buf, size_t sz);
void		 cfg_quote(struct cfg_buf *, const char *, enum cfg_fmt);
void		 cfg_render_scalar(const struct cfg_val *, enum cfg_fmt,
		    struct cfg_buf *);

/*
 * The entry for (key, aux); with add, a new entry (val SIZE_MAX) when
 * there is none.  NULL: not there, or out of memory with add.  Entries
 * move when the table grows.
 */
struct cfg_hent	*cfg_hash_at(struct cfg_hash *, const char *key, size_t aux,
		    int add);
void		 cfg_hash_free(struct cfg_hash *);

/*
 * cfg_doc.c: the table.
 */

/* Whether path is a key directly below parent (of length plen). */
int		 cfg_is_child(const char *path, const char *parent,
		    size_t plen);
/* The row for key below parent, or NULL. */
const struct cfg_key *cfg_key_find(const char *parent, const char *key);
/* The rows flagged CFG_REQUIRED, NULL-terminated. */
const struct cfg_key *const *cfg_key_required(void);
/* The last part of the row's path. */
const char	*cfg_key_name(const struct cfg_key *);

#endif
