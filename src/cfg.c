/*
 * cfg.c: config.yaml (LiteLLM's schema plus llmux_settings) into a
 * struct cfg.
 *
 * One load goes in three steps:
 *
 *  1. Read the main file with libyaml's document API, export its
 *     environment_variables, then read its include: files the same way,
 *     depth first, each relative to the directory of the file naming it.
 *  2. Walk the top-level keys of every file in that order against the key
 *     table in cfg_keys.c (cfg_walk.c).  model_list and credential_list
 *     entries accumulate; any other key overwrites what an earlier file
 *     set.
 *  3. Whole-config work: credentials, fields derived from each deployment
 *     (provider, upstream model, id), the master key, and the model groups
 *     that fallbacks and aliases name.
 *
 * A problem becomes one diagnostic and the load goes on, so one run
 * reports every error; diagnostics are sorted by file and position at the
 * end.  All of struct cfg lives in cfg->ar, diagnostics in the caller's
 * cfg_diags; the YAML documents are freed before cfg_load returns.
 * cfg_int.h lists the files of the loader.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <openssl/evp.h>
#include <yaml.h>

#include "cfg.h"
#include "cfg_int.h"
#include "glob.h"

static const char *const cfg_cred_fields[] = {
	"api_key", "api_base", "api_version", "organization", NULL
};

static void	cfg_open(struct cfg_ld *, const char *, const char *,
		    struct cfg_file *, yaml_node_t *, int);

/* Room for item n in v (of *cap items, zeroed); NULL if out of memory. */
void *
cfg_grow(void *v, size_t *cap, size_t n, size_t sz)
{
	size_t	 c;
	char	*p;

	if (n < *cap)
		return (v);
	c = *cap == 0 ? 8 : *cap * 2;
	if ((p = reallocarray(v, c, sz)) == NULL)
		return (NULL);
	memset(p + *cap * sz, 0, (c - *cap) * sz);
	*cap = c;
	return (p);
}

static void
cfg_wipe(void *p)
{
	explicit_bzero(p, strlen(p));
}

/* Copy s into c's arena; secrets are wiped when it is freed. */
static char *
cfg_ar_strdup(struct cfg *c, const char *s, int secret)
{
	char	*p;

	if ((p = ar_strdup(&c->ar, s)) != NULL && secret &&
	    ar_cleanup(&c->ar, cfg_wipe, p) != LX_OK)
		return (NULL);
	return (p);
}

char *
cfg_strdup(struct cfg_ld *ld, const char *s, int secret)
{
	return (cfg_ar_strdup(ld->cfg, s, secret));
}

/*
 * Append one diagnostic to the caller's list, with a key to sort it by
 * file and position at the end of the load.
 */
static void
cfg_vdiag(struct cfg_ld *ld, int error, struct cfg_file *f,
    const yaml_node_t *n, const char *path, const char *fmt, va_list ap)
{
	struct cfg_diags	*ds = ld->diags;
	struct cfg_diag		*d;
	struct cfg_dkey		*k;
	const char		*file = f != NULL ? f->name : ld->cfg->path;
	char			 msg[1024];

	if (ld->quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (error)
		ds->nerrors++;
	else
		ds->nwarnings++;
	if ((d = ar_calloc(&ds->ar, sizeof(*d))) == NULL ||
	    (d->file = ar_strdup(&ds->ar, file)) == NULL)
		return;
	d->error = error;
	if (n != NULL) {
		d->line = (int)n->start_mark.line + 1;
		d->col = (int)n->start_mark.column + 1;
		d->text = ar_printf(&ds->ar, "%s:%d:%d: %s%s%s", file, d->line,
		    d->col, path != NULL ? path : "", path != NULL ? ": " : "",
		    msg);
	} else
		d->text = ar_printf(&ds->ar, "%s: %s%s%s", file,
		    path != NULL ? path : "", path != NULL ? ": " : "", msg);
	if (d->text == NULL)
		return;
	*ds->tail = d;
	ds->tail = &d->next;
	if ((k = cfg_grow(ld->dk, &ld->dkcap, ld->ndk, sizeof(*k))) == NULL)
		return;
	ld->dk = k;
	k[ld->ndk].d = d;
	k[ld->ndk].file = f != NULL ? f->idx : INT_MAX;
	k[ld->ndk].line = d->line;
	k[ld->ndk].col = d->col;
	k[ld->ndk].seq = ld->ndk;
	ld->ndk++;
}

/* A diagnostic about node n of the current file at the current path. */
void
cfg_diag(struct cfg_ld *ld, int error, const yaml_node_t *n,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cfg_vdiag(ld, error, ld->cur, n, ld->dlen > 0 ? ld->disp : NULL, fmt,
	    ap);
	va_end(ap);
}

void
cfg_diag_at(struct cfg_ld *ld, int error, struct cfg_file *f,
    const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cfg_vdiag(ld, error, f, n, path, fmt, ap);
	va_end(ap);
}

static int
cfg_dkey_cmp(const void *a, const void *b)
{
	const struct cfg_dkey	*x = a, *y = b;

	if (x->file != y->file)
		return (x->file < y->file ? -1 : 1);
	if (x->line != y->line)
		return (x->line < y->line ? -1 : 1);
	if (x->col != y->col)
		return (x->col < y->col ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Put this load's diagnostics (from *start on) in file order. */
static void
cfg_diag_sort(struct cfg_ld *ld, struct cfg_diag **start)
{
	struct cfg_diag	*d;
	size_t		 i, n = 0;

	for (d = *start; d != NULL; d = d->next)
		n++;
	if (n != ld->ndk || n < 2)
		return;		/* a sort key was lost to memory */
	qsort(ld->dk, n, sizeof(*ld->dk), cfg_dkey_cmp);
	*start = ld->dk[0].d;
	for (i = 0; i + 1 < n; i++)
		ld->dk[i].d->next = ld->dk[i + 1].d;
	ld->dk[n - 1].d->next = NULL;
	ld->diags->tail = &ld->dk[n - 1].d->next;
}

/* Append s to the path buffer buf, truncating at its size. */
static void
cfg_append(char *buf, size_t *len, size_t size, const char *s)
{
	int	 n;

	n = snprintf(buf + *len, size - *len, "%s", s);
	if (n < 0 || (size_t)n >= size - *len)
		*len = size - 1;
	else
		*len += (size_t)n;
}

struct cfg_mark
cfg_push(struct cfg_ld *ld, const char *key, size_t idx)
{
	struct cfg_mark	 m = { ld->dlen, ld->nlen };
	char		 ix[32];

	if (key != NULL) {
		if (ld->dlen > 0)
			cfg_append(ld->disp, &ld->dlen, sizeof(ld->disp), ".");
		if (ld->nlen > 0)
			cfg_append(ld->norm, &ld->nlen, sizeof(ld->norm), ".");
		cfg_append(ld->disp, &ld->dlen, sizeof(ld->disp), key);
		cfg_append(ld->norm, &ld->nlen, sizeof(ld->norm), key);
	} else {
		snprintf(ix, sizeof(ix), "[%zu]", idx);
		cfg_append(ld->disp, &ld->dlen, sizeof(ld->disp), ix);
		cfg_append(ld->norm, &ld->nlen, sizeof(ld->norm), "[]");
	}
	return (m);
}

void
cfg_pop(struct cfg_ld *ld, struct cfg_mark m)
{
	ld->dlen = m.d;
	ld->disp[m.d] = '\0';
	ld->nlen = m.n;
	ld->norm[m.n] = '\0';
}

/* Replace the shown path (the table path is cleared). */
static void
cfg_setpath(struct cfg_ld *ld, const char *path)
{
	ld->dlen = ld->nlen = 0;
	ld->disp[0] = ld->norm[0] = '\0';
	if (path != NULL)
		cfg_append(ld->disp, &ld->dlen, sizeof(ld->disp), path);
}

void
cfg_toobig(struct cfg_ld *ld, const yaml_node_t *n)
{
	if (!ld->toobig)
		cfg_diag(ld, 1, n, "value nested too deeply or too large");
	ld->toobig = 1;
}

/*
 * The line and column (0-based, in characters as libyaml counts them) of
 * byte off of fp: libyaml gives only the offset of an encoding error.
 */
static void
cfg_offset_mark(FILE *fp, size_t off, yaml_mark_t *m)
{
	size_t	 i;
	int	 c;

	m->line = m->column = 0;
	if (fseek(fp, 0, SEEK_SET) == -1)
		return;
	for (i = 0; i < off && (c = getc(fp)) != EOF; i++) {
		if (c == '\n') {
			m->line++;
			m->column = 0;
		} else if ((c & 0xc0) != 0x80 && c != '\r')
			m->column++;
	}
}

/* libyaml's complaint, at its position. */
static void
cfg_yaml_error(struct cfg_ld *ld, struct cfg_file *f, yaml_parser_t *p,
    FILE *fp)
{
	yaml_node_t	 at;

	memset(&at, 0, sizeof(at));
	at.start_mark = p->problem_mark;
	switch (p->error) {
	case YAML_MEMORY_ERROR:
		cfg_diag_at(ld, 1, f, NULL, NULL, "out of memory");
		break;
	case YAML_READER_ERROR:
		cfg_offset_mark(fp, p->problem_offset, &at.start_mark);
		if (p->problem_value != -1)
			cfg_diag_at(ld, 1, f, &at, NULL, "%s (byte 0x%02X)",
			    p->problem != NULL ? p->problem : "cannot read",
			    (unsigned int)p->problem_value & 0xff);
		else
			cfg_diag_at(ld, 1, f, &at, NULL, "%s",
			    p->problem != NULL ? p->problem : "cannot read");
		break;
	default:
		if (p->context != NULL)
			cfg_diag_at(ld, 1, f, &at, NULL, "%s (%s at line %zu, "
			    "column %zu)", p->problem, p->context,
			    p->context_mark.line + 1,
			    p->context_mark.column + 1);
		else
			cfg_diag_at(ld, 1, f, &at, NULL, "%s",
			    p->problem != NULL ? p->problem : "syntax error");
		break;
	}
}

/*
 * Parse file name, shown as shown, into ld->files; NULL, with errno, if
 * it cannot open.
 */
static struct cfg_file *
cfg_read(struct cfg_ld *ld, const char *name, const char *shown)
{
	struct cfg_file	*f;
	yaml_parser_t	 p;
	struct cfg_yaml	 y = { &p, 0, 0 };
	yaml_document_t	 more;
	yaml_node_t	*root, at;
	struct stat	 st;
	const char	*slash;
	FILE		*fp;
	int		 second, e;

	if ((fp = fopen(name, "r")) == NULL)
		return (NULL);
	f = NULL;
	if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode))
		e = EISDIR;
	else if ((f = calloc(1, sizeof(*f))) == NULL)
		e = ENOMEM;
	if (f == NULL) {
		fclose(fp);
		errno = e;
		return (NULL);
	}
	slash = strrchr(name, '/');
	f->name = cfg_strdup(ld, shown, 0);
	f->dir = strndup(name, slash != NULL ? (size_t)(slash - name) + 1 : 0);
	f->real = realpath(name, NULL);
	f->idx = ld->nfiles++;
	*ld->ftail = f;
	ld->ftail = &f->next;
	if (f->name == NULL || f->dir == NULL || !yaml_parser_initialize(&p)) {
		cfg_diag_at(ld, 1, f, NULL, NULL, "out of memory");
		fclose(fp);
		return (f);
	}
	yaml_parser_set_input_file(&p, fp);
	if (!cfg_yaml_load(&y, &f->doc)) {
		cfg_yaml_error(ld, f, &p, fp);
		goto done;
	}
	f->hasdoc = 1;
	/*
	 * Aliases can make a small file visit a node a billion times; a big
	 * file visits each of its nodes a few times.  The budget follows the
	 * size, so 300,000 deployments load and an alias bomb does not.
	 */
	ld->maxvisits += CFG_VISITSPERNODE *
	    (long)(f->doc.nodes.top - f->doc.nodes.start);
	if ((root = yaml_document_get_root_node(&f->doc)) == NULL) {
		cfg_diag_at(ld, 1, f, NULL, NULL, "the file is empty");
		goto done;
	}
	if (!cfg_yaml_load(&y, &more)) {
		cfg_yaml_error(ld, f, &p, fp);
		goto done;
	}
	second = yaml_document_get_root_node(&more) != NULL;
	memset(&at, 0, sizeof(at));
	at.start_mark = more.start_mark;
	yaml_document_delete(&more);
	if (second)
		cfg_diag_at(ld, 1, f, &at, NULL, "a second YAML document; "
		    "the configuration must be one document");
	else if (root->type != YAML_MAPPING_NODE)
		cfg_diag_at(ld, 1, f, root, NULL, "the top level must be a "
		    "mapping of sections, got %s", cfg_kind(root));
	else
		f->ok = 1;
 done:
	yaml_parser_delete(&p);
	fclose(fp);
	return (f);
}

/* Python's str() of a scalar, as LiteLLM exports it. */
static void
cfg_envstr(const struct cfg_val *v, char *buf, size_t sz)
{
	if (v->t == CFG_V_BOOL)
		snprintf(buf, sz, "%s", v->b ? "True" : "False");
	else if (v->t == CFG_V_INT)
		snprintf(buf, sz, "%lld", v->i);
	else if (v->t == CFG_V_NUM)
		cfg_pyfloat(v->d, buf, sz);
	else
		snprintf(buf, sz, "%s", v->s);
}

/*
 * The environment, in a hash for this load.  getenv() and setenv() scan
 * the whole environment on each call, so 40,000 environment_variables
 * cost 40,000 scans of a growing list; the load looks variables up here
 * and exports the new ones in one go at the end.
 */
static void
cfg_env_snapshot(struct cfg_ld *ld)
{
	struct cfg_hent	*e;
	const char	*eq;
	size_t		 len = 0, o = 0, i;

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		len += strlen(environ[i]) + 1;
	if ((ld->envnames = malloc(len + 1)) == NULL) {
		ld->envfail = 1;
		return;
	}
	for (i = 0; environ != NULL && environ[i] != NULL; i++) {
		if ((eq = strchr(environ[i], '=')) == NULL)
			continue;
		memcpy(ld->envnames + o, environ[i], (size_t)(eq - environ[i]));
		ld->envnames[o + (size_t)(eq - environ[i])] = '\0';
		if ((e = cfg_hash_at(&ld->env, ld->envnames + o, 0, 1)) ==
		    NULL) {
			ld->envfail = 1;
			return;
		}
		if (e->str == NULL)	/* the first one, as getenv() */
			e->str = eq + 1;
		o += (size_t)(eq - environ[i]) + 1;
	}
}

const char *
cfg_getenv(struct cfg_ld *ld, const char *name)
{
	struct cfg_hent	*e;

	if (ld->envfail)
		return (getenv(name));
	e = cfg_hash_at(&ld->env, name, 0, 0);
	return (e != NULL ? e->str : NULL);
}

/*
 * Set name to value for the rest of the load; cfg_env_commit() exports
 * it.  The string lives on in the environment, as putenv() strings do.
 */
static int
cfg_env_set(struct cfg_ld *ld, const char *name, const char *value)
{
	struct cfg_hent	*e;
	char		**nv, *s;
	size_t		 kl = strlen(name), vl = strlen(value);

	if (ld->envfail)
		return (setenv(name, value, 0));
	if ((nv = cfg_grow(ld->envnew, &ld->envcap, ld->nenvnew,
	    sizeof(*nv))) == NULL)
		return (-1);
	ld->envnew = nv;
	/* "NAME=value", then "NAME" alone for the hash. */
	if ((s = malloc(2 * kl + vl + 3)) == NULL)
		return (-1);
	memcpy(s, name, kl);
	s[kl] = '=';
	memcpy(s + kl + 1, value, vl + 1);
	memcpy(s + kl + vl + 2, name, kl + 1);
	if ((e = cfg_hash_at(&ld->env, s + kl + vl + 2, 0, 1)) == NULL) {
		free(s);
		return (-1);
	}
	e->str = s + kl + 1;
	nv[ld->nenvnew++] = s;
	return (0);
}

/*
 * Put this load's new variables into the environment: one new array
 * holding the old entries and the new ones.  The array installed by the
 * previous load is freed; libc copies the array on its next setenv(), so
 * nothing else points to it.
 */
static void
cfg_env_commit(struct cfg_ld *ld)
{
	static char	**mine;
	char		**nv;
	size_t		 n;

	if (ld->nenvnew == 0)
		return;
	for (n = 0; environ != NULL && environ[n] != NULL; n++)
		;
	if ((nv = calloc(n + ld->nenvnew + 1, sizeof(*nv))) == NULL) {
		cfg_diag_at(ld, 1, NULL, NULL, "environment_variables",
		    "out of memory");
		return;
	}
	if (n > 0)
		memcpy(nv, environ, n * sizeof(*nv));
	memcpy(nv + n, ld->envnew, ld->nenvnew * sizeof(*nv));
	environ = nv;
	free(mine);
	mine = nv;
	ld->nenvnew = 0;
}

/* environment_variables: set each unless already set. */
static void
cfg_env_export(struct cfg_ld *ld, struct cfg_file *f)
{
	struct cfg_pair	*pv;
	struct cfg_val	 v;
	struct cfg_mark	 m, m2;
	yaml_node_t	*n;
	char		 num[64];
	size_t		 np, i;
	int		 rc;

	ld->cur = f;
	if ((n = cfg_get(ld, yaml_document_get_root_node(&f->doc),
	    "environment_variables")) == NULL)
		return;
	m = cfg_push(ld, "environment_variables", 0);
	if (n->type != YAML_MAPPING_NODE) {
		if (!cfg_is_off(n))
			cfg_diag(ld, 1, n, "expected a mapping of variable "
			    "names to values, got %s", cfg_kind(n));
		cfg_pop(ld, m);
		return;
	}
	pv = cfg_pairs(ld, n, &np, 1);
	for (i = 0; i < np; i++) {
		m2 = cfg_push(ld, pv[i].key, 0);
		if (*pv[i].key == '\0' || strchr(pv[i].key, '=') != NULL)
			cfg_diag(ld, 1, pv[i].k, "not a variable name");
		else if (pv[i].v->type != YAML_SCALAR_NODE)
			cfg_diag(ld, 1, pv[i].v, "expected a string, got %s",
			    cfg_kind(pv[i].v));
		else if (cfg_scalar(ld, pv[i].v, 1, &v) == LX_OK &&
		    v.t != CFG_V_NULL && cfg_getenv(ld, pv[i].key) == NULL) {
			if (v.t == CFG_V_STR)
				rc = cfg_env_set(ld, pv[i].key, v.s);
			else {
				cfg_envstr(&v, num, sizeof(num));
				rc = cfg_env_set(ld, pv[i].key, num);
			}
			if (rc == -1)
				cfg_diag(ld, 1, pv[i].k, "out of memory");
		}
		cfg_pop(ld, m2);
	}
	free(pv);
	cfg_pop(ld, m);
}

/* include: read each file named, relative to f's directory. */
static void
cfg_includes(struct cfg_ld *ld, struct cfg_file *f, int depth)
{
	struct cfg_val	 v;
	struct cfg_mark	 m, m2;
	yaml_node_t	*n, *it;
	char		*path;
	size_t		 cnt, i;

	ld->cur = f;
	if ((n = cfg_get(ld, yaml_document_get_root_node(&f->doc),
	    "include")) == NULL || cfg_is_off(n))
		return;
	m = cfg_push(ld, "include", 0);
	if (n->type == YAML_MAPPING_NODE) {
		cfg_diag(ld, 1, n, "expected a list of file names, got a "
		    "mapping");
		cfg_pop(ld, m);
		return;
	}
	cnt = n->type == YAML_SCALAR_NODE ? 1 :
	    (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	for (i = 0; i < cnt; i++) {
		it = n->type == YAML_SCALAR_NODE ? n :
		    cfg_node(ld, n->data.sequence.items.start[i]);
		if (it == NULL)
			continue;
		m2 = cfg_push(ld, NULL, i);
		if (it->type != YAML_SCALAR_NODE)
			cfg_diag(ld, 1, it, "expected a file name, got %s",
			    cfg_kind(it));
		else if (cfg_scalar(ld, it, 1, &v) != LX_OK)
			;	/* reported */
		else if (v.t == CFG_V_NULL || *v.s == '\0')
			cfg_diag(ld, 1, it, "expected a file name");
		else if (depth >= CFG_MAXINCL)
			cfg_diag(ld, 1, it, "includes nested too deeply");
		else if (asprintf(&path, "%s%s", *v.s == '/' ? "" : f->dir,
		    v.s) == -1)
			cfg_diag(ld, 1, it, "out of memory");
		else {
			/* A name from the environment is shown as written. */
			cfg_open(ld, path, v.env != NULL ? cfg_text(it) : path,
			    f, it, depth + 1);
			free(path);
			ld->cur = f;
		}
		cfg_pop(ld, m2);
	}
	cfg_pop(ld, m);
}

/*
 * Read name, shown as shown (included by node at of file from, unless it
 * is the main file), export its environment_variables, then read its
 * includes.
 */
static void
cfg_open(struct cfg_ld *ld, const char *name, const char *shown,
    struct cfg_file *from, yaml_node_t *at, int depth)
{
	struct cfg_file	*f, *g;
	char		*real, disp[sizeof(ld->disp)], norm[sizeof(ld->norm)];
	size_t		 dlen = ld->dlen, nlen = ld->nlen;

	if (from != NULL && (real = realpath(name, NULL)) != NULL) {
		for (g = ld->files; g != NULL; g = g->next)
			if (g->real != NULL && strcmp(g->real, real) == 0)
				break;
		free(real);
		if (g != NULL) {
			cfg_diag(ld, 1, at, "\"%s\" is read already; a file "
			    "may be included once", shown);
			return;
		}
	}
	if ((f = cfg_read(ld, name, shown)) == NULL) {
		if (from == NULL)
			cfg_diag_at(ld, 1, NULL, NULL, NULL, "cannot read: %s",
			    strerror(errno));
		else
			cfg_diag(ld, 1, at, "cannot read \"%s\": %s", shown,
			    strerror(errno));
		return;
	}
	if (!f->ok)
		return;
	/* The included file's own paths start from the top. */
	memcpy(disp, ld->disp, dlen + 1);
	memcpy(norm, ld->norm, nlen + 1);
	cfg_setpath(ld, NULL);
	cfg_env_export(ld, f);
	cfg_includes(ld, f, depth);
	memcpy(ld->disp, disp, dlen + 1);
	memcpy(ld->norm, norm, nlen + 1);
	ld->dlen = dlen;
	ld->nlen = nlen;
}

/*
 * Why master key k is refused, or NULL.  A bare "sk-" would let any
 * client that knows the prefix in.
 */
const char *
cfg_masterkey_why(const char *k)
{
	if (strncmp(k, "sk-", 3) != 0)
		return (CFG_SKREASON);
	if (k[3] == '\0')
		return ("master_key needs characters after 'sk-'");
	return (NULL);
}

/* Fill what a deployment leaves unset from its litellm_credential_name. */
static void
cfg_cred_apply(struct cfg_ld *ld, size_t di)
{
	struct cfg_deploy	*d = &ld->dep[di];
	struct cfg_dx		*dx = &ld->dx[di];
	struct cfg_cred		*c;
	struct cfg_hent		*e;
	struct cfg_pair		*pv;
	struct cfg_val		 v;
	const char		**f;
	char			 path[1100];
	size_t			 np, i, j;

	e = cfg_hash_at(&ld->creds, dx->cred, 0, 0);
	c = e != NULL ? &ld->cred[e->val] : NULL;
	if (c == NULL) {
		snprintf(path, sizeof(path), "%s.litellm_params."
		    "litellm_credential_name", dx->disp);
		if (dx->credenv != NULL)
			cfg_diag_at(ld, 1, dx->file, dx->credn, path, "no "
			    "credential in credential_list is named by the "
			    "value of " CFG_ENV "%s", dx->credenv);
		else
			cfg_diag_at(ld, 1, dx->file, dx->credn, path, "no "
			    "credential named \"%s\" in credential_list",
			    dx->cred);
		return;
	}
	ld->cur = c->file;
	ld->di = di;
	ld->quiet = c->used;	/* its errors are reported once */
	c->used = 1;
	pv = cfg_pairs(ld, c->values, &np, 0);
	for (i = 0; i < np; i++) {
		snprintf(path, sizeof(path), "%s.credential_values.%s",
		    c->disp, pv[i].key);
		cfg_setpath(ld, path);
		for (j = 0; cfg_cred_fields[j] != NULL; j++)
			if (strcmp(cfg_cred_fields[j], pv[i].key) == 0)
				break;
		if (cfg_cred_fields[j] == NULL) {
			if (cfg_extra_find(ld, di, pv[i].key) == d->nextra)
				cfg_extra_node(ld, pv[i].key, pv[i].v, 1);
			continue;
		}
		f = j == 0 ? &d->api_key : j == 1 ? &d->api_base : j == 2 ?
		    &d->api_version : &d->organization;
		if (pv[i].v->type != YAML_SCALAR_NODE)
			cfg_diag(ld, 1, pv[i].v, "expected a string, got %s",
			    cfg_kind(pv[i].v));
		else if (cfg_scalar(ld, pv[i].v, 1, &v) == LX_OK &&
		    v.t != CFG_V_NULL && *f == NULL)
			*f = cfg_strdup(ld, v.s, j == 0);
	}
	free(pv);
	ld->quiet = 0;
	cfg_setpath(ld, NULL);
}

/* organization: [a, b] makes one deployment per organization. */
static void
cfg_expand_orgs(struct cfg_ld *ld)
{
	struct cfg_deploy	*nd;
	struct cfg_dx		*nx;
	size_t			 total = 0, i, j, o = 0;

	for (i = 0; i < ld->ndep; i++)
		total += ld->dx[i].orgs.n > 1 ? ld->dx[i].orgs.n : 1;
	if (total == ld->ndep)
		return;
	nd = calloc(total, sizeof(*nd));
	nx = calloc(total, sizeof(*nx));
	if (nd == NULL || nx == NULL) {
		free(nd);
		free(nx);
		return;
	}
	for (i = 0; i < ld->ndep; i++) {
		for (j = 0; j == 0 || j < ld->dx[i].orgs.n; j++, o++) {
			nd[o] = ld->dep[i];
			nx[o] = ld->dx[i];
			if (ld->dx[i].orgs.n > 1)
				nd[o].organization = nx[o].org =
				    ld->dx[i].orgs.v[j];
		}
	}
	free(ld->dep);
	free(ld->dx);
	ld->dep = nd;
	ld->dx = nx;
	ld->ndep = ld->depcap = total;
}

/*
 * The id LiteLLM gives a deployment without model_info.id: SHA-256 of
 * model_name followed by each litellm_params key and its value as Python's
 * str() shows it, as written (before os.environ/ substitution, so a
 * rotated secret keeps the id).
 */
static const char *
cfg_hash_id(struct cfg_ld *ld, struct cfg_dx *dx, const char *model_name)
{
	struct cfg_buf	 b = { NULL, 0, 0, 0 };
	struct cfg_pair	*pv;
	EVP_MD_CTX	*ctx;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1];
	size_t		 np, j;
	int		 ok = 0;

	ld->cur = dx->file;
	cfg_bputs(&b, model_name);
	pv = cfg_pairs(ld, cfg_get(ld, dx->entry, "litellm_params"), &np, 0);
	for (j = 0; j < np; j++) {
		cfg_bputs(&b, pv[j].key);
		if (dx->org != NULL && strcmp(pv[j].key, "organization") == 0)
			cfg_bputs(&b, dx->org);
		else
			cfg_pystr(ld, pv[j].v, &b);
	}
	free(pv);
	if (!b.fail && (ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		    EVP_DigestUpdate(ctx, b.p, b.len) == 1 &&
		    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
		EVP_MD_CTX_free(ctx);
	}
	free(b.p);
	if (!ok)
		return (NULL);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return (cfg_strdup(ld, hex, 0));
}

/* provider, upstream_model, wildcard and id of deployment di. */
static void
cfg_derive(struct cfg_ld *ld, size_t di)
{
	struct cfg_deploy	*d = &ld->dep[di];
	const char		*slash, *cp = d->custom_llm_provider;

	if (ld->dx[di].bad || d->model == NULL || d->model_name == NULL)
		return;
	d->wildcard = strchr(d->model_name, '*') != NULL;
	slash = strchr(d->model, '/');
	if (cp != NULL && *cp != '\0') {
		d->provider = cp;
		d->upstream_model = d->model;
		if (slash != NULL && strlen(cp) == (size_t)(slash - d->model) &&
		    strncmp(d->model, cp, strlen(cp)) == 0)
			d->upstream_model = slash + 1;
	} else if (slash != NULL && slash != d->model) {
		d->provider = ar_strndup(&ld->cfg->ar, d->model,
		    (size_t)(slash - d->model));
		d->upstream_model = slash + 1;
	} else {
		/* LiteLLM infers openai for its names; llmux for all. */
		d->provider = "openai";
		d->upstream_model = d->model;
	}
	if (d->id == NULL)
		d->id = cfg_hash_id(ld, &ld->dx[di], d->model_name);
}

/*
 * Whether a request for model group g would find a deployment: names is
 * every model_name and alias, wild the deployments with a pattern.
 */
static int
cfg_group_known(struct cfg_ld *ld, struct cfg_hash *names,
    const size_t *wild, size_t nwild, const char *g)
{
	size_t	 i;

	if (cfg_hash_at(names, g, 0, 0) != NULL)
		return (1);
	for (i = 0; i < nwild; i++)
		if (cfg_steps++, glob_match(ld->dep[wild[i]].model_name, g,
		    NULL, NULL, 0, NULL))
			return (1);
	return (0);
}

/*
 * The groups that fallbacks and aliases name, against model_list.  A name
 * that routes nowhere is an error: LiteLLM would only find out when a
 * request fails over to it.
 */
static void
cfg_check_refs(struct cfg_ld *ld)
{
	struct cfg_hash	 names = { NULL, 0, 0 };
	struct cfg_ref	*r;
	size_t		*wild, nwild = 0, i;

	if (ld->nref == 0)
		return;
	if ((wild = calloc(ld->ndep + 1, sizeof(*wild))) == NULL)
		return;
	for (i = 0; i < ld->ndep; i++) {
		if (ld->dep[i].model_name == NULL)
			continue;
		if (ld->dep[i].wildcard)
			wild[nwild++] = i;
		else
			cfg_hash_at(&names, ld->dep[i].model_name, 0, 1);
	}
	for (i = 0; i < ld->cfg->router.nalias; i++)
		cfg_hash_at(&names, ld->cfg->router.alias[i].alias, 0, 1);
	for (i = 0; i < ld->nref; i++) {
		r = &ld->ref[i];
		if (cfg_group_known(ld, &names, wild, nwild, r->group))
			;
		else if (r->env != NULL)
			cfg_diag_at(ld, 1, r->file, r->n, r->disp, "the model "
			    "group named by the value of " CFG_ENV "%s is not "
			    "in model_list", r->env);
		else
			cfg_diag_at(ld, 1, r->file, r->n, r->disp, "model "
			    "group \"%s\" is not in model_list", r->group);
	}
	cfg_hash_free(&names);
	free(wild);
}

/* The yaml position of fallback target s (a string the walk kept). */
static const struct cfg_ref *
cfg_ref_of(const struct cfg_ld *ld, const char *s)
{
	size_t	i;

	for (i = 0; i < ld->nref; i++)
		if (ld->ref[i].group == s)
			return (&ld->ref[i]);
	return (NULL);
}

/* Report the cycle that edge from -> to closes; stk holds the chain. */
static void
cfg_cycle_report(struct cfg_ld *ld, const struct cfg_fallbacks *fb,
    const size_t *stk, size_t depth, size_t to, const char *target)
{
	const struct cfg_ref	*r = cfg_ref_of(ld, target);
	char			 chain[512];
	size_t			 i, len = 0;

	for (i = 0; i < depth && stk[i] != to; i++)
		;
	for (; i < depth && len < sizeof(chain); i++)
		len += snprintf(chain + len, sizeof(chain) - len, "%s -> ",
		    fb->v[stk[i]].group);
	if (len < sizeof(chain))
		snprintf(chain + len, sizeof(chain) - len, "%s",
		    fb->v[to].group);
	if (r != NULL)
		cfg_diag_at(ld, 0, r->file, r->n, r->disp, "fallback cycle "
		    "%s; a request is never sent back to a group it has "
		    "tried", chain);
	else
		cfg_diag_at(ld, 0, NULL, NULL, "fallbacks", "fallback cycle "
		    "%s; a request is never sent back to a group it has "
		    "tried", chain);
}

/*
 * A chain of fallbacks in list fb that comes back to a group it left: a
 * warning, not an error, since LiteLLM's own example configs make groups
 * fall back to each other (LiteLLM follows such a chain until
 * max_fallbacks; the fallback engine never revisits a group).  The first
 * cycle of a list is reported.  Each list is a graph of its own (an
 * error class follows one list); a group naming itself is no cycle,
 * LiteLLM skips that entry.  Aliases are followed to their group.  The
 * first item of a group is the one LiteLLM uses.  Depth-first without
 * recursion: linear in the list.
 */
static void
cfg_check_cycles(struct cfg_ld *ld, const struct cfg_fallbacks *fb)
{
	const struct cfg	*c = ld->cfg;
	struct cfg_hash		 node = { NULL, 0, 0 }, alias = { NULL, 0, 0 };
	struct cfg_hent		*e;
	const char		*t;
	size_t			*stk = NULL, *edge = NULL, depth, i, j;
	unsigned char		*st = NULL;	/* 0 new, 1 on stk, 2 done */

	if (fb->n < 2)
		return;
	if ((stk = calloc(fb->n, sizeof(*stk))) == NULL ||
	    (edge = calloc(fb->n, sizeof(*edge))) == NULL ||
	    (st = calloc(fb->n, 1)) == NULL)
		goto out;
	for (i = 0; i < fb->n; i++)
		if ((e = cfg_hash_at(&node, fb->v[i].group, 0, 1)) != NULL &&
		    e->val == SIZE_MAX)
			e->val = i;
		else
			st[i] = 2;	/* a later item of a group: unused */
	for (i = 0; i < c->router.nalias; i++)
		if ((e = cfg_hash_at(&alias, c->router.alias[i].alias, 0,
		    1)) != NULL && e->str == NULL)
			e->str = c->router.alias[i].group;
	for (i = 0; i < fb->n; i++) {
		if (st[i] != 0)
			continue;
		stk[0] = i;
		edge[0] = 0;
		st[i] = 1;
		depth = 1;
		while (depth > 0) {
			const struct cfg_fallback *f = &fb->v[stk[depth - 1]];

			if (edge[depth - 1] == f->to.n) {
				st[stk[--depth]] = 2;
				continue;
			}
			t = f->to.v[edge[depth - 1]++];
			if ((e = cfg_hash_at(&alias, t, 0, 0)) != NULL &&
			    e->str != NULL)
				t = e->str;
			if ((e = cfg_hash_at(&node, t, 0, 0)) == NULL ||
			    (j = e->val) == stk[depth - 1] || st[j] == 2)
				continue;
			if (st[j] == 1) {
				cfg_cycle_report(ld, fb, stk, depth, j,
				    f->to.v[edge[depth - 1] - 1]);
				goto out;
			}
			st[j] = 1;
			stk[depth] = j;
			edge[depth] = 0;
			depth++;
		}
	}
 out:
	cfg_hash_free(&node);
	cfg_hash_free(&alias);
	free(stk);
	free(edge);
	free(st);
}

/* Two deployments with one id share cooldowns and counters: warn. */
static void
cfg_check_ids(struct cfg_ld *ld)
{
	struct cfg_hash	 ids = { NULL, 0, 0 };
	struct cfg_hent	*e;
	size_t		 i, j;

	for (i = 0; i < ld->ndep; i++) {
		if (ld->dep[i].id == NULL ||
		    (e = cfg_hash_at(&ids, ld->dep[i].id, 0, 1)) == NULL)
			continue;
		if (e->val == SIZE_MAX) {
			e->val = i;
			continue;
		}
		j = e->val;
		cfg_diag_at(ld, 0, ld->dx[i].file, ld->dx[i].entry,
		    ld->dx[i].disp, "same id as %s in %s; the two share "
		    "cooldowns and counters", ld->dx[j].disp,
		    ld->dx[j].file->name);
	}
	cfg_hash_free(&ids);
}

/* Row path's value came from environment variable name, not the file. */
static void
cfg_keypos_env(struct cfg_ld *ld, const char *path, const char *name)
{
	const struct cfg_key	*k;

	for (k = cfg_keys; k->path != NULL; k++)
		if (strcmp(k->path, path) == 0 && ld->cfg->keypos != NULL) {
			memset(&ld->cfg->keypos[k - cfg_keys], 0,
			    sizeof(*ld->cfg->keypos));
			ld->cfg->keypos[k - cfg_keys].env = name;
		}
}

/*
 * Checks across the whole config: the groups fallbacks and aliases name,
 * fallback cycles, repeated ids, and the master key and database taken
 * from the environment when the config has none.
 */
static void
cfg_check(struct cfg_ld *ld)
{
	struct cfg	*c = ld->cfg;
	const char	*e, *why;

	cfg_check_refs(ld);
	cfg_check_cycles(ld, &c->router.fallbacks);
	cfg_check_cycles(ld, &c->router.context_window_fallbacks);
	cfg_check_cycles(ld, &c->router.content_policy_fallbacks);
	cfg_check_cycles(ld, &c->litellm.fallbacks);
	cfg_check_cycles(ld, &c->litellm.context_window_fallbacks);
	cfg_check_cycles(ld, &c->litellm.content_policy_fallbacks);
	cfg_check_ids(ld);
	if (c->general.master_key == NULL &&
	    (e = cfg_getenv(ld, "LITELLM_MASTER_KEY")) != NULL && *e != '\0') {
		if ((why = cfg_masterkey_why(e)) != NULL)
			cfg_diag_at(ld, 1, NULL, NULL, "environment variable "
			    "LITELLM_MASTER_KEY", "%s", why);
		c->general.master_key = cfg_strdup(ld, e, 1);
	}
	if (c->general.database_url == NULL &&
	    (e = cfg_getenv(ld, "DATABASE_URL")) != NULL && *e != '\0') {
		c->general.database_url = cfg_strdup(ld, e, 1);
		cfg_keypos_env(ld, "general_settings.database_url",
		    "DATABASE_URL");
	}
}

/* After the walk: credentials, organizations, derived fields, checks. */
static void
cfg_finish(struct cfg_ld *ld)
{
	struct cfg	*c = ld->cfg;
	size_t		 i;

	for (i = 0; i < ld->ndep; i++)
		if (ld->dx[i].cred != NULL)
			cfg_cred_apply(ld, i);
	cfg_expand_orgs(ld);
	for (i = 0; i < ld->ndep; i++)
		cfg_derive(ld, i);
	cfg_check(ld);
	c->ndeploy = ld->ndep;
	if (ld->ndep == 0)
		return;
	/* The array moves to the config rather than being copied. */
	if (ar_cleanup(&c->ar, free, ld->dep) == LX_OK) {
		c->deploy = ld->dep;
		ld->dep = NULL;
	} else
		c->deploy = ar_memdup(&c->ar, ld->dep,
		    ld->ndep * sizeof(*ld->dep));
}

struct cfg *
cfg_load(const char *path, struct cfg_diags *diags)
{
	struct cfg_ld	 ld;
	struct cfg_diag	**start = diags->tail;
	struct cfg_file	*f, *next;
	struct cfg	*c;
	size_t		 nkeys;
	int		 nerr = diags->nerrors;

	memset(&ld, 0, sizeof(ld));
	ld.diags = diags;
	ld.ftail = &ld.files;
	for (nkeys = 0; cfg_keys[nkeys].path != NULL; nkeys++)
		;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (ld.warned = calloc(nkeys, 1)) == NULL) {
		free(c);
		diags->nerrors++;
		return (NULL);
	}
	ld.cfg = c;
	ar_init(&c->ar, 0);
	c->path = ar_strdup(&c->ar, path);
	cfg_defaults(c, CFG_W_CFG);
	ld.maxvisits = cfg_visit_base;
	c->keypos = ar_calloc(&c->ar, nkeys * sizeof(*c->keypos));
	cfg_env_snapshot(&ld);

	cfg_open(&ld, path, path, NULL, NULL, 0);
	for (f = ld.files; f != NULL; f = f->next) {
		if (!f->ok)
			continue;
		ld.cur = f;
		cfg_setpath(&ld, NULL);
		cfg_do_map(&ld, yaml_document_get_root_node(&f->doc), "",
		    NULL);
	}
	cfg_finish(&ld);
	cfg_env_commit(&ld);
	if (ar_failed(&c->ar) || c->path == NULL)
		cfg_diag_at(&ld, 1, NULL, NULL, NULL, "out of memory");
	cfg_diag_sort(&ld, start);

	for (f = ld.files; f != NULL; f = next) {
		next = f->next;
		if (f->hasdoc)
			yaml_document_delete(&f->doc);
		free(f->dir);
		free(f->real);
		free(f);
	}
	free(ld.dep);
	free(ld.dx);
	free(ld.cred);
	free(ld.ref);
	free(ld.dk);
	free(ld.warned);
	cfg_hash_free(&ld.extras);
	cfg_hash_free(&ld.creds);
	cfg_hash_free(&ld.env);
	free(ld.envnew);
	free(ld.envnames);
	if (diags->nerrors > nerr) {
		cfg_free(c);
		return (NULL);
	}
	return (c);
}

void
cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	ar_free(&c->ar);
	free(c);
}

/* Whether the field of row k is the same in a and b (struct cfg). */
static int
cfg_field_same(const struct cfg_key *k, const struct cfg *a,
    const struct cfg *b)
{
	const char	*fa = (const char *)a + k->off;
	const char	*fb = (const char *)b + k->off;
	const char	*sa, *sb;

	switch (k->type) {
	case CFG_T_INT:
		return (*(const long *)fa == *(const long *)fb);
	case CFG_T_NUM:
		return (*(const double *)fa == *(const double *)fb);
	case CFG_T_BOOL:
		return (*(const int *)fa == *(const int *)fb);
	case CFG_T_STR:
	case CFG_T_SECRET:
	case CFG_T_DURATION:
	case CFG_T_ENUM:
		sa = *(const char *const *)fa;
		sb = *(const char *const *)fb;
		return (sa == sb || (sa != NULL && sb != NULL &&
		    strcmp(sa, sb) == 0));
	default:
		return (1);	/* not a scalar: never flagged CFG_RESTART */
	}
}

/* "keeps 8 until restart", never showing a secret or an os.environ/. */
static void
cfg_reload_keeps(const struct cfg_key *k, const struct cfg *old,
    char *buf, size_t sz)
{
	const char	*f = (const char *)old + k->off, *s;
	char		 num[40];

	if (k->type == CFG_T_SECRET ||
	    (old->keypos != NULL && old->keypos[k - cfg_keys].env != NULL)) {
		snprintf(buf, sz, "keeps its running value until restart");
		return;
	}
	switch (k->type) {
	case CFG_T_INT:
		if (*(const long *)f == CFG_UNSET_INT)
			break;
		snprintf(buf, sz, "keeps %ld until restart", *(const long *)f);
		return;
	case CFG_T_NUM:
		if (*(const double *)f == CFG_UNSET_NUM)
			break;
		cfg_pyfloat(*(const double *)f, num, sizeof(num));
		snprintf(buf, sz, "keeps %s until restart", num);
		return;
	case CFG_T_BOOL:
		if (*(const int *)f == -1)
			break;
		snprintf(buf, sz, "keeps %s until restart", *(const int *)f ?
		    "true" : "false");
		return;
	default:
		if ((s = *(const char *const *)f) == NULL)
			break;
		snprintf(buf, sz, "keeps \"%.60s%s\" until restart", s,
		    strlen(s) > 60 ? "..." : "");
		return;
	}
	snprintf(buf, sz, "stays unset until restart");
}

/* Put old's value of row k into nc (strings copied into nc's arena). */
static int
cfg_reload_keep(const struct cfg_key *k, const struct cfg *old,
    struct cfg *nc)
{
	const char	*fo = (const char *)old + k->off, *s;
	char		*fn = (char *)nc + k->off;
	size_t		 i = (size_t)(k - cfg_keys);

	switch (k->type) {
	case CFG_T_INT:
		*(long *)fn = *(const long *)fo;
		break;
	case CFG_T_NUM:
		*(double *)fn = *(const double *)fo;
		break;
	case CFG_T_BOOL:
		*(int *)fn = *(const int *)fo;
		break;
	default:
		s = *(const char *const *)fo;
		if (s != NULL && (s = cfg_ar_strdup(nc, s,
		    k->type == CFG_T_SECRET)) == NULL)
			return (LX_ERR);
		*(const char **)fn = s;
		break;
	}
	/* The kept value's origin goes with it: hidden stays hidden. */
	if (nc->keypos != NULL) {
		nc->keypos[i].env = NULL;
		if (old->keypos != NULL && old->keypos[i].env != NULL &&
		    (nc->keypos[i].env = cfg_ar_strdup(nc,
		    old->keypos[i].env, 0)) == NULL)
			return (LX_ERR);
	}
	return (LX_OK);
}

int
cfg_reload_check(const struct cfg *old, struct cfg *nc,
    struct cfg_diags *ds)
{
	const struct cfg_key	*k;
	const struct cfg_keypos	*p;
	struct cfg_diag		*d;
	char			 keeps[128];
	int			 n = 0;

	for (k = cfg_keys; k->path != NULL; k++) {
		if (!(k->flags & CFG_RESTART) || k->where != CFG_W_CFG ||
		    cfg_field_same(k, old, nc))
			continue;
		cfg_reload_keeps(k, old, keeps, sizeof(keeps));
		p = nc->keypos != NULL ? &nc->keypos[k - cfg_keys] : NULL;
		if ((d = ar_calloc(&ds->ar, sizeof(*d))) == NULL)
			return (LX_ERR);
		d->file = nc->path;
		if (p != NULL && p->file != NULL) {
			d->file = p->file;
			d->line = p->line;
			d->col = p->col;
			d->text = ar_printf(&ds->ar, "%s:%d:%d: %s: cannot "
			    "change on reload; %s", p->file, p->line, p->col,
			    k->path, keeps);
		} else
			d->text = ar_printf(&ds->ar, "%s: %s: cannot change "
			    "on reload; %s", nc->path, k->path, keeps);
		if (d->text == NULL || (d->file = ar_strdup(&ds->ar,
		    d->file)) == NULL)
			return (LX_ERR);
		*ds->tail = d;
		ds->tail = &d->next;
		ds->nwarnings++;
		n++;
		if (cfg_reload_keep(k, old, nc) != LX_OK)
			return (LX_ERR);
	}
	return (n);
}

void
cfg_diags_init(struct cfg_diags *ds)
{
	memset(ds, 0, sizeof(*ds));
	ds->tail = &ds->head;
	ar_init(&ds->ar, 0);
}

void
cfg_diags_free(struct cfg_diags *ds)
{
	ar_free(&ds->ar);
	ds->head = NULL;
	ds->tail = &ds->head;
	ds->nerrors = ds->nwarnings = 0;
}
