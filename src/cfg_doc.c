/*
 * cfg_doc.c: reading the key table in cfg_keys.c: finding a key's row, and
 * the table as documentation (cfg_keydocs() and the key sections of
 * llmux.yaml(5), which man/gen-yaml5.sh writes with cfg_keys_mdoc()).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg.h"
#include "cfg_int.h"

static const char *const cfg_type_names[] = {
	[CFG_T_STR] = "string", [CFG_T_SECRET] = "secret",
	[CFG_T_INT] = "integer", [CFG_T_NUM] = "number",
	[CFG_T_BOOL] = "boolean", [CFG_T_STRV] = "string list",
	[CFG_T_MAP] = "mapping", [CFG_T_FALLBACKS] = "fallbacks",
	[CFG_T_DURATION] = "duration", [CFG_T_ENUM] = "enum",
	[CFG_T_SECTION] = "section", [CFG_T_LIST] = "list",
	[CFG_T_ANY] = "any"
};

int
cfg_is_child(const char *path, const char *parent, size_t plen)
{
	if (plen == 0)
		return (strchr(path, '.') == NULL);
	return (strncmp(path, parent, plen) == 0 && path[plen] == '.' &&
	    strchr(path + plen + 1, '.') == NULL);
}

/*
 * The table's rows by path, built on first use and kept: a mapping of
 * 40,000 keys must not scan the table 40,000 times.
 */
static struct cfg_hash	 cfg_key_index;
static const struct cfg_key **cfg_key_req;	/* CFG_REQUIRED rows */

static int
cfg_key_init(void)
{
	const struct cfg_key	*k;
	struct cfg_hent		*e;
	size_t			 n = 0, r = 0;

	if (cfg_key_req != NULL)
		return (LX_OK);
	for (k = cfg_keys; k->path != NULL; k++)
		n += (k->flags & CFG_REQUIRED) != 0;
	if ((cfg_key_req = calloc(n + 1, sizeof(*cfg_key_req))) == NULL)
		return (LX_ERR);
	for (k = cfg_keys; k->path != NULL; k++) {
		if ((e = cfg_hash_at(&cfg_key_index, k->path, 0, 1)) == NULL)
			goto fail;
		e->val = (size_t)(k - cfg_keys);
		if (k->flags & CFG_REQUIRED)
			cfg_key_req[r++] = k;
	}
	return (LX_OK);
 fail:
	cfg_hash_free(&cfg_key_index);
	free(cfg_key_req);
	cfg_key_req = NULL;
	return (LX_ERR);
}

const struct cfg_key *
cfg_key_find(const char *parent, const char *key)
{
	const struct cfg_key	*k;
	struct cfg_hent		*e;
	char			 path[512];
	int			 n;

	if (strpbrk(key, ".[") != NULL)
		return (NULL);
	if (cfg_key_init() == LX_OK) {
		n = snprintf(path, sizeof(path), "%s%s%s", parent,
		    *parent != '\0' ? "." : "", key);
		if (n < 0 || (size_t)n >= sizeof(path))
			return (NULL);	/* longer than any row */
		e = cfg_hash_at(&cfg_key_index, path, 0, 0);
		return (e != NULL ? &cfg_keys[e->val] : NULL);
	}
	for (k = cfg_keys; k->path != NULL; k++)
		if (cfg_is_child(k->path, parent, strlen(parent)) &&
		    strcmp(k->path + strlen(parent) + (*parent != '\0'),
		    key) == 0)
			return (k);
	return (NULL);
}

const struct cfg_key *const *
cfg_key_required(void)
{
	static const struct cfg_key *const none[] = { NULL };

	return (cfg_key_init() == LX_OK ?
	    (const struct cfg_key *const *)cfg_key_req : none);
}

const char *
cfg_key_name(const struct cfg_key *k)
{
	const char	*dot = strrchr(k->path, '.');

	return (dot != NULL ? dot + 1 : k->path);
}

const struct cfg_keydoc *
cfg_keydocs(void)
{
	static struct cfg_keydoc	*docs;	/* built once, kept */
	size_t				 n, i;

	if (docs != NULL)
		return (docs);
	for (n = 0; cfg_keys[n].path != NULL; n++)
		;
	if ((docs = calloc(n + 1, sizeof(*docs))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		docs[i].path = cfg_keys[i].path;
		docs[i].type = cfg_type_names[cfg_keys[i].type];
		docs[i].def = cfg_keys[i].def;
		docs[i].doc = cfg_keys[i].doc;
		docs[i].restart = (cfg_keys[i].flags & CFG_RESTART) != 0;
	}
	return (docs);
}

/*
 * Text lines for mdoc: wrapped before 72 columns (a sentence may span
 * lines), no line starting a request, backslashes escaped.
 */
static void
cfg_mdoc_text(FILE *fp, const char *s)
{
	const char	*e, *sp;

	while (*s != '\0') {
		for (e = s, sp = NULL; *e != '\0' && (e - s < 72 || sp == NULL);
		    e++)
			if (*e == ' ')
				sp = e;
		if (*e == '\0')
			sp = e;
		if (*s == '.' || *s == '\'')
			fputs("\\&", fp);
		for (; s < sp; s++) {
			if (*s == '\\')
				fputs("\\e", fp);
			else
				fputc(*s, fp);
		}
		fputc('\n', fp);
		while (*s == ' ')
			s++;
	}
}

static void
cfg_mdoc_head(FILE *fp, const char *parent)
{
	const char	*p, *dot = strrchr(parent, '.');

	if (*parent == '\0') {
		fputs(".Sh TOP-LEVEL KEYS\n", fp);
		return;
	}
	if (dot != NULL) {
		fprintf(fp, ".Ss %s\n", dot + 1);
		return;
	}
	fputs(".Sh ", fp);
	for (p = parent; *p != '\0' && *p != '['; p++)
		fputc(*p == '_' ? ' ' : toupper((unsigned char)*p), fp);
	fputc('\n', fp);
	if (strchr(parent, '[') != NULL)
		fprintf(fp, "Each item of\n.Ic %.*s\nis a mapping with these "
		    "keys:\n", (int)(strchr(parent, '[') - parent), parent);
	else
		fprintf(fp, "The\n.Ic %s\nmapping holds these keys:\n", parent);
}

int
cfg_keys_mdoc(FILE *fp)
{
	static const char *const arg[] = {
		[CFG_T_STR] = "Ar string", [CFG_T_SECRET] = "Ar string",
		[CFG_T_INT] = "Ar integer", [CFG_T_NUM] = "Ar number",
		[CFG_T_BOOL] = "Cm true | false", [CFG_T_STRV] = "Ar list",
		[CFG_T_MAP] = "Ar mapping", [CFG_T_FALLBACKS] = "Ar list",
		[CFG_T_DURATION] = "Ar duration", [CFG_T_ENUM] = "Ar name",
		[CFG_T_SECTION] = "Ar mapping", [CFG_T_LIST] = "Ar list",
		[CFG_T_ANY] = "Ar value"
	};
	const struct cfg_key	*k;
	const char *const	*e;
	char			 parent[256] = "", *dot;
	int			 inlist = 0;

	for (k = cfg_keys; k->path != NULL; k++) {
		snprintf(parent, sizeof(parent), "%s", k->path);
		if ((dot = strrchr(parent, '.')) != NULL)
			*dot = '\0';
		else
			parent[0] = '\0';
		if (k == cfg_keys || !cfg_is_child(k[-1].path, parent,
		    strlen(parent))) {
			if (inlist)
				fputs(".El\n", fp);
			cfg_mdoc_head(fp, parent);
			fputs(".Bl -tag -width Ds\n", fp);
			inlist = 1;
		}
		fprintf(fp, ".It Ic %s %s\n", cfg_key_name(k), arg[k->type]);
		cfg_mdoc_text(fp, k->doc);
		if (k->type == CFG_T_ENUM) {
			fputs("One of\n", fp);
			for (e = k->enums; *e != NULL; e++)
				fprintf(fp, ".Cm %s%s\n", *e, e[1] == NULL ?
				    " ." : e[2] == NULL ? "\nor" : " ,");
		}
		if (k->flags & CFG_REQUIRED)
			fputs("This key is required.\n", fp);
		if (k->flags & CFG_POSITIVE)
			fputs("It must be greater than 0.\n", fp);
		else if (k->flags & CFG_NONNEG)
			fputs("It must not be negative.\n", fp);
		if (k->flags & CFG_RESTART)
			cfg_mdoc_text(fp, "A change takes effect on restart "
			    "only: a reload keeps the running value and warns.");
		if (k->flags & CFG_IGNORED)
			cfg_mdoc_text(fp, "llmux does not support it: it warns "
			    "once and ignores the key, unless its value is "
			    "null, false or empty.");
		else if (k->type == CFG_T_ANY && k->where == CFG_W_NONE)
			fputs("llmux accepts it without a warning and ignores "
			    "it.\n", fp);
		else if (k->where == CFG_W_EXTRA)
			cfg_mdoc_text(fp, "llmux keeps it among the "
			    "deployment's extra parameters, for the provider "
			    "module.");
		else if ((k->where == CFG_W_CFG || k->where == CFG_W_DEPLOY) &&
		    !(k->flags & CFG_LIVE))
			cfg_mdoc_text(fp, "llmux checks this key but does not "
			    "act on it yet.");
		if (k->def != NULL)
			fprintf(fp, "The default is\n.Cm %s .\n", k->def);
		else if (k->type == CFG_T_STRV || k->type == CFG_T_LIST ||
		    k->type == CFG_T_FALLBACKS)
			fputs("The default is an empty list.\n", fp);
		else if (k->type == CFG_T_SECTION || k->type == CFG_T_MAP)
			fputs("The default is an empty mapping.\n", fp);
		else
			fputs("It is unset by default.\n", fp);
	}
	if (inlist)
		fputs(".El\n", fp);
	return (ferror(fp) ? LX_ERR : LX_OK);
}
