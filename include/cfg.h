/*
 * cfg.h: the parsed config.yaml, one generation.
 *
 * cfg_load() reads a LiteLLM config.yaml (plus its include: files) into a
 * struct cfg that owns all of its memory in one arena.  A generation is
 * read-only once loaded; the master loads a new one on reload and keeps the
 * old one if the new one has errors.  Every key llmux knows is described
 * once in the table in cfg_keys.c, which drives the loader, its errors and
 * the man page.
 */
#ifndef CFG_H
#define CFG_H

#include <stddef.h>
#include <stdio.h>

#include "llmux.h"
#include "arena.h"

/* Unset numeric values; a key that is absent keeps these. */
#define CFG_UNSET_INT	(-1L)
#define CFG_UNSET_NUM	(-1.0)

/* One diagnostic: "file:line:col: path: message". */
struct cfg_diag {
	struct cfg_diag	*next;
	int		 error;		/* 0: warning */
	char		*text;		/* complete line, no newline */
	const char	*file;		/* NULL: not tied to a file */
	int		 line, col;	/* 1-based; 0: no position */
};

struct cfg_diags {
	struct cfg_diag	*head, **tail;
	int		 nerrors, nwarnings;
	struct arena	 ar;		/* owns the diagnostics */
};

/* A list of strings (tags, fallback targets, ...). */
struct cfg_strv {
	size_t		 n;
	const char	**v;
};

/* One fallback rule: { group: [targets...] }. */
struct cfg_fallback {
	const char	*group;		/* "*" for default_fallbacks */
	struct cfg_strv	 to;
};

struct cfg_fallbacks {
	size_t			 n;
	struct cfg_fallback	*v;
};

/* An extra litellm_params key llmux does not know: forwarded upstream. */
struct cfg_extra {
	const char	*key;
	const char	*json;		/* the YAML value as JSON text */
	int		 known;		/* a LiteLLM parameter such as aws_*,
					   vertex_*: for the provider module,
					   not a request field */
};

/* model_list entry: one deployment. */
struct cfg_deploy {
	const char	*model_name;		/* public alias; may hold '*' */
	int		 wildcard;		/* model_name contains '*' */

	/* litellm_params */
	const char	*model;			/* as written: provider/model */
	const char	*provider;		/* "openai", "azure", ... */
	const char	*upstream_model;	/* model without the prefix */
	const char	*custom_llm_provider;
	const char	*api_key;		/* resolved; never logged */
	const char	*api_base;
	const char	*api_version;
	const char	*organization;
	const char	*mock_response;		/* NULL: call the upstream */
	double		 timeout;		/* s; CFG_UNSET_NUM */
	double		 stream_timeout;
	long		 max_retries;
	long		 num_retries;
	long		 rpm, tpm;		/* also deployment-level rpm/tpm */
	long		 rph, tph, rpd, tpd;	/* per hour, per day; as rpm */
	double		 weight;
	long		 order;
	long		 max_parallel_requests;
	double		 cooldown_time;
	double		 input_cost_per_token;
	double		 output_cost_per_token;
	double		 max_budget;
	const char	*budget_duration;
	const char	*region_name;
	struct cfg_strv	 tags;
	int		 drop_params;		/* -1 unset, 0, 1 */
	size_t		 nextra;
	struct cfg_extra *extra;		/* unknown litellm_params */

	/* model_info */
	const char	*id;			/* given, or sha256 hex (derived) */
	const char	*mode;			/* "chat" default */
	const char	*base_model;
	long		 max_tokens;
	long		 max_input_tokens;
	long		 max_output_tokens;

	const char	*file;			/* where it was defined */
	int		 line;
};

/*
 * router_settings.retry_policy: retries per LiteLLM error class, each
 * CFG_UNSET_INT when the config does not give one.
 */
struct cfg_retry_policy {
	long		 bad_request;		/* BadRequestErrorRetries */
	long		 authentication;	/* AuthenticationErrorRetries */
	long		 timeout;		/* TimeoutErrorRetries */
	long		 rate_limit;		/* RateLimitErrorRetries */
	long		 content_policy;	/* ContentPolicyViolation... */
	long		 internal_server;	/* InternalServerErrorRetries */
};

struct cfg_alias {
	const char	*alias;
	const char	*group;
	int		 hidden;
};

/* Where a key's value came from, for messages about it. */
struct cfg_keypos {
	const char	*file;		/* NULL: not in a file */
	int		 line, col;
	const char	*env;		/* os.environ/ variable, or NULL */
};

struct cfg {
	struct arena	 ar;			/* owns everything below */
	const char	*path;			/* the main config file */
	struct cfg_keypos *keypos;		/* per cfg_keys[] row */

	size_t			 ndeploy;
	struct cfg_deploy	*deploy;

	/* litellm_settings */
	struct {
		long		 num_retries;
		double		 request_timeout;	/* default 6000 */
		int		 drop_params;
		int		 json_logs;
		int		 set_verbose;
		double		 max_budget;
		const char	*budget_duration;
		long		 allowed_fails;
		long		 max_fallbacks;
		struct cfg_fallbacks fallbacks;
		struct cfg_fallbacks context_window_fallbacks;
		struct cfg_fallbacks content_policy_fallbacks;
		struct cfg_strv	 default_fallbacks;
		struct cfg_strv	 callbacks;
		struct cfg_strv	 success_callback;
		struct cfg_strv	 failure_callback;
	} litellm;

	/* router_settings (wins over litellm_settings where both apply) */
	struct {
		const char	*routing_strategy;	/* "simple-shuffle" */
		long		 num_retries;
		long		 max_fallbacks;
		double		 timeout;
		double		 stream_timeout;
		double		 retry_after;
		struct cfg_retry_policy retry_policy;
		long		 allowed_fails;
		double		 cooldown_time;
		int		 disable_cooldowns;
		struct {				/* allowed_fails_policy */
			long	 bad_request, auth, timeout, rate_limit,
				 content_policy, internal;
		}		 afp;			/* CFG_UNSET_INT: unset */
		double		 lowest_latency_buffer;	/* routing_strategy_args */
		double		 latency_ttl;		/* routing_strategy_args.ttl */
		int		 enable_pre_call_checks;
		int		 enable_tag_filtering;
		long		 default_max_parallel_requests;
		struct cfg_fallbacks fallbacks;
		struct cfg_fallbacks context_window_fallbacks;
		struct cfg_fallbacks content_policy_fallbacks;
		struct cfg_strv	 default_fallbacks;
		size_t		 nalias;
		struct cfg_alias *alias;		/* model_group_alias */
	} router;

	/* general_settings */
	struct {
		const char	*master_key;		/* resolved; never logged */
		const char	*database_url;
		double		 max_request_size_mb;	/* CFG_UNSET_NUM: none */
		double		 max_response_size_mb;
		long		 max_parallel_requests;
		long		 global_max_parallel_requests;
		const char	*completion_model;
		const char	*litellm_key_header_name;
		const char	*user_header_name;
		int		 allow_requests_on_db_unavailable;
		int		 disable_spend_logs;
		long		 proxy_batch_write_at;	/* s; default 10 */
		long		 database_connection_pool_limit;
		struct cfg_strv	 public_routes;
	} general;

	/* llmux_settings: llmux's own keys, ignored by LiteLLM */
	struct {
		long		 num_workers;		/* 0: number of CPUs */
		const char	*state_dir;		/* LMDB directory */
		double		 header_timeout;	/* s; default 10 */
		double		 body_timeout;		/* s; default 60 */
		double		 keepalive_timeout;	/* s; default 75 */
		long		 max_header_size;	/* bytes; default 32768 */
		double		 drain_timeout;		/* s; default 30 */
		const char	*log_level;		/* "info" */
		const char	*log_format;		/* "text" or "json" */
		const char	*log_file;		/* NULL: stderr */
		long		 max_connections;	/* per worker; 0: none */
		double		 sse_keepalive;		/* s; 0: off */
	} llmux;
};

/*
 * Load path (and its include: files).  Every error and warning goes to
 * diags, in file order.  Returns the config, or NULL when there was at
 * least one error; warnings alone do not fail.  environment_variables are
 * exported with setenv() before os.environ/ references are resolved.
 */
struct cfg	*cfg_load(const char *path, struct cfg_diags *diags);
void		 cfg_free(struct cfg *);

/*
 * On reload, before nc replaces old: a key flagged CFG_RESTART (read once
 * at start, such as state_dir or log_level) whose value changed keeps
 * old's value in nc, with a warning in diags ("file:line:col: key: cannot
 * change on reload; keeps VALUE until restart"; a secret or a value from
 * os.environ/ is never shown).  Returns the number of such keys, or
 * LX_ERR when out of memory: nc is then half updated and must be refused.
 * What it keeps is copied into nc's arena, so old may be freed first.
 */
int		 cfg_reload_check(const struct cfg *old, struct cfg *nc,
		    struct cfg_diags *diags);

/*
 * Lookups done by config loads so far (hash probes, key comparisons), for
 * the unit tests that check loading stays linear.  Nothing else reads it.
 */
extern unsigned long	 cfg_steps;
/*
 * Mappings and lists a load may visit before it stops as an alias bomb,
 * besides an allowance per node read; CFG_MAXVISIT unless a test lowers it.
 */
extern long		 cfg_visit_base;

void		 cfg_diags_init(struct cfg_diags *);
void		 cfg_diags_free(struct cfg_diags *);

/*
 * The key table as documentation, for whoever prints the running config:
 * one row per known key, in document order.  Terminated by a row with
 * path == NULL.  Built once and kept; NULL when out of memory.
 */
struct cfg_keydoc {
	const char	*path;		/* "router_settings.routing_strategy" */
	const char	*type;		/* "string", "integer", ... */
	const char	*def;		/* default, as text; NULL: none */
	const char	*doc;		/* one sentence */
	int		 restart;	/* a reload does not change it */
};
const struct cfg_keydoc	*cfg_keydocs(void);

/*
 * Print the key reference of llmux.yaml(5) in mdoc, generated from the
 * key table (man/gen-yaml5.sh splices it into the page).  Returns LX_OK,
 * or LX_ERR when writing fails.
 */
int			 cfg_keys_mdoc(FILE *);

/*
 * The key table itself, for cfg.c (and whoever prints the running config):
 * one row per key, grouped by section, terminated by a row with path NULL.
 * A path names a key from the top ("router_settings.timeout"); "[]" stands
 * for any item of a list ("model_list[].litellm_params.api_key").
 */
enum cfg_type {
	CFG_T_STR,		/* string; a number or boolean as written */
	CFG_T_SECRET,		/* string that is never printed */
	CFG_T_INT,		/* long; "30" in quotes is accepted */
	CFG_T_NUM,		/* double; likewise */
	CFG_T_BOOL,		/* int: 0, 1; -1 while unset */
	CFG_T_STRV,		/* struct cfg_strv; a bare string is one item */
	CFG_T_MAP,		/* mapping read by a special handler */
	CFG_T_FALLBACKS,	/* struct cfg_fallbacks: [{group: [to...]}] */
	CFG_T_DURATION,		/* string such as "30s", "24h", "30d", "1mo" */
	CFG_T_ENUM,		/* string, one of enums[] */
	CFG_T_SECTION,		/* mapping whose keys have rows of their own */
	CFG_T_LIST,		/* list of such mappings (path[].key rows) */
	CFG_T_ANY		/* any value; not interpreted */
};

enum cfg_where {
	CFG_W_NONE,		/* nowhere: structural, or not used */
	CFG_W_CFG,		/* struct cfg at off */
	CFG_W_DEPLOY,		/* struct cfg_deploy at off */
	CFG_W_EXTRA,		/* cfg_deploy.extra, known = 1 */
	CFG_W_FORWARD		/* cfg_deploy.extra, known = 0: request field */
};

enum cfg_special {
	CFG_S_NONE,
	CFG_S_DEPLOYS,		/* model_list */
	CFG_S_CREDS,		/* credential_list */
	CFG_S_INCLUDE,		/* include */
	CFG_S_ENV,		/* environment_variables */
	CFG_S_ALIAS,		/* router_settings.model_group_alias */
	CFG_S_ORG,		/* organization: a string or a list */
	CFG_S_CALLBACKS,	/* callback names: warn about what is missing */
	CFG_S_MODELINFO,	/* litellm_params.model_info: model_info rows */
	CFG_S_CREDNAME,		/* litellm_credential_name */
	CFG_S_MASTERKEY,	/* must start with sk- */
	CFG_S_GROUPS,		/* model groups: checked against model_list */
	CFG_S_CLASSES		/* section of error classes: an unknown key is
				   an error, not a warning */
};

#define CFG_REQUIRED	0x01	/* missing: error */
#define CFG_NONNEG	0x02	/* negative: error */
#define CFG_IGNORED	0x04	/* LiteLLM feature llmux lacks: one warning */
#define CFG_STRICT	0x08	/* must be a YAML string, not 1234 or true */
#define CFG_LIVE	0x10	/* the daemon acts on it (else: checked, kept,
				   not used yet; the man page says so) */
#define CFG_POSITIVE	0x20	/* zero or negative: error */
#define CFG_RESTART	0x40	/* read once at start: a reload keeps the
				   running value and warns */

struct cfg_key {
	const char		*path;
	enum cfg_type		 type;
	const char		*def;		/* default as text, or NULL */
	enum cfg_where		 where;
	size_t			 off;
	unsigned		 flags;
	enum cfg_special	 special;
	const char *const	*enums;		/* CFG_T_ENUM: NULL-ended */
	const char		*doc;		/* one sentence */
};

#define CFG_C(m)	CFG_W_CFG, offsetof(struct cfg, m)
#define CFG_D(m)	CFG_W_DEPLOY, offsetof(struct cfg_deploy, m)
#define CFG_NOWHERE	CFG_W_NONE, 0
#define CFG_EXTRA	CFG_W_EXTRA, 0
#define CFG_FORWARD	CFG_W_FORWARD, 0

extern const struct cfg_key	cfg_keys[];

#endif
