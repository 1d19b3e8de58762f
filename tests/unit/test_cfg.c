/*
 * test_cfg.c: the config loader (cfg.c) and its key table (cfg_keys.c).
 *
 * Each test writes its YAML into a fresh directory, moves there and loads
 * "config.yaml", so diagnostics read "config.yaml:LINE:COL: path: ...".
 * Criterion runs each test in a process of its own, so chdir() and setenv()
 * do not leak from one test into another.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cfg.h"

static struct cfg_diags	 tc_ds;
static struct cfg	*tc_cfg;
static char		 tc_dir[PATH_MAX];
static char		 tc_top[PATH_MAX];	/* where the tests started */
static char		 tc_buf[16384];

static int
tc_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static void
tc_setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	cr_assert_not_null(getcwd(tc_top, sizeof(tc_top)));
	snprintf(tc_dir, sizeof(tc_dir), "%s/llmux-cfg-XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(tc_dir));
	cr_assert_eq(chdir(tc_dir), 0);
	cfg_diags_init(&tc_ds);
	unsetenv("LITELLM_MASTER_KEY");
	unsetenv("DATABASE_URL");
}

static void
tc_teardown(void)
{
	cfg_free(tc_cfg);
	tc_cfg = NULL;
	cfg_diags_free(&tc_ds);
	if (chdir(tc_top) == 0)
		nftw(tc_dir, tc_rm, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(cfg, .init = tc_setup, .fini = tc_teardown);

static void
tc_put(const char *name, const char *text)
{
	FILE	*fp;

	cr_assert_not_null(fp = fopen(name, "w"), "%s: %s", name,
	    strerror(errno));
	fputs(text, fp);
	cr_assert_eq(fclose(fp), 0);
}

static struct cfg *
tc_loadf(const char *path)
{
	cfg_free(tc_cfg);
	cfg_diags_free(&tc_ds);
	cfg_diags_init(&tc_ds);
	tc_cfg = cfg_load(path, &tc_ds);
	return (tc_cfg);
}

static struct cfg *
tc_load(const char *text)
{
	tc_put("config.yaml", text);
	return (tc_loadf("config.yaml"));
}

/* Every diagnostic, one a line, for failure messages. */
static const char *
tc_dump(void)
{
	struct cfg_diag	*d;
	size_t		 n = 0;

	tc_buf[0] = '\0';
	for (d = tc_ds.head; d != NULL && n < sizeof(tc_buf) - 1; d = d->next)
		n += snprintf(tc_buf + n, sizeof(tc_buf) - n, "  %s %s\n",
		    d->error ? "E" : "w", d->text);
	return (tc_buf);
}

static int
tc_has(int error, const char *text)
{
	struct cfg_diag	*d;

	for (d = tc_ds.head; d != NULL; d = d->next)
		if (strcmp(d->text, text) == 0 && d->error == error)
			return (1);
	return (0);
}

/* The number of diagnostics whose text contains s. */
static int
tc_count(const char *s)
{
	struct cfg_diag	*d;
	int		 n = 0;

	for (d = tc_ds.head; d != NULL; d = d->next)
		if (strstr(d->text, s) != NULL)
			n++;
	return (n);
}

#define TC_ERR(t)	cr_assert(tc_has(1, t), "no error\n  %s\ngot:\n%s", \
			    t, tc_dump())
#define TC_WARN(t)	cr_assert(tc_has(0, t), "no warning\n  %s\ngot:\n%s", \
			    t, tc_dump())
#define TC_OK()		cr_assert_not_null(tc_cfg, "load failed:\n%s", \
			    tc_dump())
#define TC_FAILED()	cr_assert_null(tc_cfg, "load did not fail:\n%s", \
			    tc_dump())
#define TC_CLEAN()	do {						\
	TC_OK();							\
	cr_assert_eq(tc_ds.nwarnings, 0, "warnings:\n%s", tc_dump());	\
} while (0)

static const struct cfg_deploy *
tc_dep(size_t i)
{
	cr_assert_not_null(tc_cfg);
	cr_assert_lt(i, tc_cfg->ndeploy, "only %zu deployments",
	    tc_cfg->ndeploy);
	return (&tc_cfg->deploy[i]);
}

static const struct cfg_extra *
tc_extra(const struct cfg_deploy *d, const char *key)
{
	size_t	 i;

	for (i = 0; i < d->nextra; i++)
		if (strcmp(d->extra[i].key, key) == 0)
			return (&d->extra[i]);
	return (NULL);
}

#define TC_ONE	"model_list:\n"						\
		"  - model_name: m\n"					\
		"    litellm_params:\n"					\
		"      model: openai/gpt-4o\n"

/*
 * Whole configs and defaults.
 */

Test(cfg, seed_basic)
{
	setenv("ANTHROPIC_API_KEY", "sk-ant-test", 1);
	setenv("OPENAI_API_KEY", "sk-oai-test", 1);
	tc_load("# aliases for clients\n"
	    "model_list:\n"
	    "  - model_name: claude-sonnet\n"
	    "    litellm_params:\n"
	    "      model: anthropic/claude-sonnet-4-20250514\n"
	    "      api_key: os.environ/ANTHROPIC_API_KEY\n"
	    "  - model_name: gpt-4o\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "      api_key: os.environ/OPENAI_API_KEY\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 2);
	cr_assert_str_eq(tc_cfg->path, "config.yaml");
	cr_assert_str_eq(tc_dep(0)->model_name, "claude-sonnet");
	cr_assert_str_eq(tc_dep(0)->provider, "anthropic");
	cr_assert_str_eq(tc_dep(0)->upstream_model,
	    "claude-sonnet-4-20250514");
	cr_assert_str_eq(tc_dep(0)->api_key, "sk-ant-test");
	cr_assert_str_eq(tc_dep(1)->api_key, "sk-oai-test");
	cr_assert_str_eq(tc_dep(1)->file, "config.yaml");
	cr_assert_eq(tc_dep(1)->line, 7);
	cr_assert_eq(tc_dep(1)->wildcard, 0);
}

Test(cfg, defaults)
{
	const struct cfg_deploy	*d;

	tc_load(TC_ONE);
	TC_CLEAN();
	cr_assert_float_eq(tc_cfg->litellm.request_timeout, 6000, 1e-9);
	cr_assert_eq(tc_cfg->litellm.num_retries, CFG_UNSET_INT);
	cr_assert_eq(tc_cfg->litellm.drop_params, 0);
	cr_assert_eq(tc_cfg->litellm.json_logs, 0);
	cr_assert_eq(tc_cfg->litellm.allowed_fails, CFG_UNSET_INT);
	cr_assert_float_eq(tc_cfg->litellm.max_budget, CFG_UNSET_NUM, 1e-9);
	cr_assert_eq(tc_cfg->litellm.fallbacks.n, 0);
	cr_assert_str_eq(tc_cfg->router.routing_strategy, "simple-shuffle");
	cr_assert_eq(tc_cfg->router.num_retries, CFG_UNSET_INT);
	cr_assert_eq(tc_cfg->router.max_fallbacks, CFG_UNSET_INT);
	cr_assert_float_eq(tc_cfg->router.timeout, CFG_UNSET_NUM, 1e-9);
	cr_assert_float_eq(tc_cfg->router.cooldown_time, CFG_UNSET_NUM, 1e-9);
	cr_assert_eq(tc_cfg->router.disable_cooldowns, 0);
	cr_assert_eq(tc_cfg->router.nalias, 0);
	cr_assert_null(tc_cfg->general.master_key);
	cr_assert_null(tc_cfg->general.database_url);
	cr_assert_float_eq(tc_cfg->general.max_request_size_mb,
	    CFG_UNSET_NUM, 1e-9);
	cr_assert_eq(tc_cfg->general.proxy_batch_write_at, 10);
	cr_assert_eq(tc_cfg->general.database_connection_pool_limit, 10);
	cr_assert_eq(tc_cfg->general.max_parallel_requests, CFG_UNSET_INT);
	cr_assert_eq(tc_cfg->general.disable_spend_logs, 0);
	cr_assert_eq(tc_cfg->llmux.num_workers, CFG_UNSET_INT);
	cr_assert_null(tc_cfg->llmux.state_dir);
	cr_assert_float_eq(tc_cfg->llmux.header_timeout, 10, 1e-9);
	cr_assert_float_eq(tc_cfg->llmux.body_timeout, 60, 1e-9);
	cr_assert_float_eq(tc_cfg->llmux.keepalive_timeout, 75, 1e-9);
	cr_assert_eq(tc_cfg->llmux.max_header_size, 32768);
	cr_assert_float_eq(tc_cfg->llmux.drain_timeout, 30, 1e-9);
	cr_assert_str_eq(tc_cfg->llmux.log_level, "info");
	cr_assert_str_eq(tc_cfg->llmux.log_format, "text");
	cr_assert_eq(tc_cfg->llmux.max_connections, CFG_UNSET_INT);
	cr_assert_float_eq(tc_cfg->llmux.sse_keepalive, CFG_UNSET_NUM, 1e-9);
	d = tc_dep(0);
	cr_assert_str_eq(d->mode, "chat");
	cr_assert_eq(d->rpm, CFG_UNSET_INT);
	cr_assert_eq(d->tpm, CFG_UNSET_INT);
	cr_assert_eq(d->rpd, CFG_UNSET_INT);
	cr_assert_eq(d->max_retries, CFG_UNSET_INT);
	cr_assert_eq(d->order, CFG_UNSET_INT);
	cr_assert_float_eq(d->timeout, CFG_UNSET_NUM, 1e-9);
	cr_assert_float_eq(d->weight, CFG_UNSET_NUM, 1e-9);
	cr_assert_float_eq(d->input_cost_per_token, CFG_UNSET_NUM, 1e-9);
	cr_assert_eq(d->drop_params, -1);
	cr_assert_null(d->api_key);
	cr_assert_null(d->organization);
	cr_assert_eq(d->tags.n, 0);
	cr_assert_eq(d->nextra, 0);
	cr_assert_eq(d->max_input_tokens, CFG_UNSET_INT);
}

Test(cfg, every_section)
{
	const struct cfg_deploy	*d;

	setenv("PG_URL", "postgresql://u:p@127.0.0.1/db", 1);
	tc_load(TC_ONE
	    "      api_base: http://127.0.0.1:9/v1\n"
	    "      api_version: \"2024-02-01\"\n"
	    "      organization: org-1\n"
	    "      timeout: 30\n"
	    "      stream_timeout: 5.5\n"
	    "      max_retries: 1\n"
	    "      num_retries: 4\n"
	    "      rpm: 100\n"
	    "      tpm: 1000\n"
	    "      weight: 2\n"
	    "      order: 1\n"
	    "      max_parallel_requests: 8\n"
	    "      cooldown_time: 12\n"
	    "      tags: [a, default]\n"
	    "      drop_params: true\n"
	    "      mock_response: hi\n"
	    "      input_cost_per_token: 0.000001\n"
	    "      output_cost_per_token: 0.000002\n"
	    "      max_budget: 10\n"
	    "      budget_duration: 30d\n"
	    "      region_name: eu\n"
	    "    model_info:\n"
	    "      id: dep-1\n"
	    "      mode: embedding\n"
	    "      base_model: azure/gpt-4o\n"
	    "      max_tokens: 100\n"
	    "      max_input_tokens: 90\n"
	    "      max_output_tokens: 10\n"
	    "litellm_settings:\n"
	    "  num_retries: 3\n"
	    "  request_timeout: 600\n"
	    "  drop_params: True\n"
	    "  json_logs: true\n"
	    "  set_verbose: false\n"
	    "  max_budget: 100\n"
	    "  budget_duration: 1mo\n"
	    "  allowed_fails: 2\n"
	    "  fallbacks: [{m: [m]}]\n"
	    "  default_fallbacks: [m]\n"
	    "  callbacks: [prometheus]\n"
	    "router_settings:\n"
	    "  routing_strategy: least-busy\n"
	    "  num_retries: 2\n"
	    "  max_fallbacks: 3\n"
	    "  timeout: 30\n"
	    "  stream_timeout: 10\n"
	    "  retry_after: 1\n"
	    "  allowed_fails: 4\n"
	    "  cooldown_time: 7\n"
	    "  disable_cooldowns: yes\n"
	    "  enable_pre_call_checks: on\n"
	    "  enable_tag_filtering: true\n"
	    "  default_max_parallel_requests: 9\n"
	    "  context_window_fallbacks: [{m: [m]}]\n"
	    "  content_policy_fallbacks: [{m: [m]}]\n"
	    "general_settings:\n"
	    "  master_key: sk-admin\n"
	    "  database_url: os.environ/PG_URL\n"
	    "  max_request_size_mb: 1.5\n"
	    "  max_response_size_mb: 2\n"
	    "  max_parallel_requests: 5\n"
	    "  global_max_parallel_requests: 50\n"
	    "  completion_model: m\n"
	    "  litellm_key_header_name: X-Key\n"
	    "  user_header_name: X-User\n"
	    "  allow_requests_on_db_unavailable: true\n"
	    "  disable_spend_logs: true\n"
	    "  proxy_batch_write_at: 60\n"
	    "  database_connection_pool_limit: 20\n"
	    "  public_routes: [/x]\n"
	    "llmux_settings:\n"
	    "  num_workers: 4\n"
	    "  state_dir: /var/db/llmux\n"
	    "  header_timeout: 5\n"
	    "  body_timeout: 50\n"
	    "  keepalive_timeout: 70\n"
	    "  max_header_size: 8192\n"
	    "  drain_timeout: 20\n"
	    "  log_level: debug\n"
	    "  log_format: json\n"
	    "  max_connections: 1000\n"
	    "  sse_keepalive: 15\n");
	TC_CLEAN();
	d = tc_dep(0);
	cr_assert_str_eq(d->api_base, "http://127.0.0.1:9/v1");
	cr_assert_str_eq(d->api_version, "2024-02-01");
	cr_assert_str_eq(d->organization, "org-1");
	cr_assert_float_eq(d->timeout, 30, 1e-9);
	cr_assert_float_eq(d->stream_timeout, 5.5, 1e-9);
	cr_assert_eq(d->max_retries, 1);
	cr_assert_eq(d->num_retries, 4);
	cr_assert_eq(d->rpm, 100);
	cr_assert_eq(d->tpm, 1000);
	cr_assert_float_eq(d->weight, 2, 1e-9);
	cr_assert_eq(d->order, 1);
	cr_assert_eq(d->max_parallel_requests, 8);
	cr_assert_float_eq(d->cooldown_time, 12, 1e-9);
	cr_assert_eq(d->tags.n, 2);
	cr_assert_str_eq(d->tags.v[1], "default");
	cr_assert_eq(d->drop_params, 1);
	cr_assert_str_eq(d->mock_response, "hi");
	cr_assert_float_eq(d->input_cost_per_token, 1e-6, 1e-15);
	cr_assert_float_eq(d->output_cost_per_token, 2e-6, 1e-15);
	cr_assert_float_eq(d->max_budget, 10, 1e-9);
	cr_assert_str_eq(d->budget_duration, "30d");
	cr_assert_str_eq(d->region_name, "eu");
	cr_assert_str_eq(d->id, "dep-1");
	cr_assert_str_eq(d->mode, "embedding");
	cr_assert_str_eq(d->base_model, "azure/gpt-4o");
	cr_assert_eq(d->max_tokens, 100);
	cr_assert_eq(d->max_input_tokens, 90);
	cr_assert_eq(d->max_output_tokens, 10);
	cr_assert_eq(tc_cfg->litellm.num_retries, 3);
	cr_assert_float_eq(tc_cfg->litellm.request_timeout, 600, 1e-9);
	cr_assert_eq(tc_cfg->litellm.drop_params, 1);
	cr_assert_eq(tc_cfg->litellm.json_logs, 1);
	cr_assert_eq(tc_cfg->litellm.set_verbose, 0);
	cr_assert_float_eq(tc_cfg->litellm.max_budget, 100, 1e-9);
	cr_assert_str_eq(tc_cfg->litellm.budget_duration, "1mo");
	cr_assert_eq(tc_cfg->litellm.allowed_fails, 2);
	cr_assert_eq(tc_cfg->litellm.fallbacks.n, 1);
	cr_assert_eq(tc_cfg->litellm.default_fallbacks.n, 1);
	cr_assert_eq(tc_cfg->litellm.callbacks.n, 1);
	cr_assert_str_eq(tc_cfg->router.routing_strategy, "least-busy");
	cr_assert_eq(tc_cfg->router.num_retries, 2);
	cr_assert_eq(tc_cfg->router.max_fallbacks, 3);
	cr_assert_float_eq(tc_cfg->router.timeout, 30, 1e-9);
	cr_assert_float_eq(tc_cfg->router.stream_timeout, 10, 1e-9);
	cr_assert_float_eq(tc_cfg->router.retry_after, 1, 1e-9);
	cr_assert_eq(tc_cfg->router.allowed_fails, 4);
	cr_assert_float_eq(tc_cfg->router.cooldown_time, 7, 1e-9);
	cr_assert_eq(tc_cfg->router.disable_cooldowns, 1);
	cr_assert_eq(tc_cfg->router.enable_pre_call_checks, 1);
	cr_assert_eq(tc_cfg->router.enable_tag_filtering, 1);
	cr_assert_eq(tc_cfg->router.default_max_parallel_requests, 9);
	cr_assert_eq(tc_cfg->router.context_window_fallbacks.n, 1);
	cr_assert_eq(tc_cfg->router.content_policy_fallbacks.n, 1);
	cr_assert_str_eq(tc_cfg->general.master_key, "sk-admin");
	cr_assert_str_eq(tc_cfg->general.database_url,
	    "postgresql://u:p@127.0.0.1/db");
	cr_assert_float_eq(tc_cfg->general.max_request_size_mb, 1.5, 1e-9);
	cr_assert_float_eq(tc_cfg->general.max_response_size_mb, 2, 1e-9);
	cr_assert_eq(tc_cfg->general.max_parallel_requests, 5);
	cr_assert_eq(tc_cfg->general.global_max_parallel_requests, 50);
	cr_assert_str_eq(tc_cfg->general.completion_model, "m");
	cr_assert_str_eq(tc_cfg->general.litellm_key_header_name, "X-Key");
	cr_assert_str_eq(tc_cfg->general.user_header_name, "X-User");
	cr_assert_eq(tc_cfg->general.allow_requests_on_db_unavailable, 1);
	cr_assert_eq(tc_cfg->general.disable_spend_logs, 1);
	cr_assert_eq(tc_cfg->general.proxy_batch_write_at, 60);
	cr_assert_eq(tc_cfg->general.database_connection_pool_limit, 20);
	cr_assert_str_eq(tc_cfg->general.public_routes.v[0], "/x");
	cr_assert_eq(tc_cfg->llmux.num_workers, 4);
	cr_assert_str_eq(tc_cfg->llmux.state_dir, "/var/db/llmux");
	cr_assert_float_eq(tc_cfg->llmux.header_timeout, 5, 1e-9);
	cr_assert_float_eq(tc_cfg->llmux.body_timeout, 50, 1e-9);
	cr_assert_float_eq(tc_cfg->llmux.keepalive_timeout, 70, 1e-9);
	cr_assert_eq(tc_cfg->llmux.max_header_size, 8192);
	cr_assert_float_eq(tc_cfg->llmux.drain_timeout, 20, 1e-9);
	cr_assert_str_eq(tc_cfg->llmux.log_level, "debug");
	cr_assert_str_eq(tc_cfg->llmux.log_format, "json");
	cr_assert_eq(tc_cfg->llmux.max_connections, 1000);
	cr_assert_float_eq(tc_cfg->llmux.sse_keepalive, 15, 1e-9);
}

Test(cfg, null_resets_to_default)
{
	tc_load(TC_ONE
	    "litellm_settings:\n"
	    "  request_timeout: 5\n"
	    "  request_timeout: null\n"
	    "router_settings:\n"
	    "  routing_strategy: ~\n"
	    "general_settings:\n");
	TC_OK();
	cr_assert_float_eq(tc_cfg->litellm.request_timeout, 6000, 1e-9);
	cr_assert_str_eq(tc_cfg->router.routing_strategy, "simple-shuffle");
}

Test(cfg, empty_model_list_and_no_model_list)
{
	tc_load("model_list: []\n"
	    "general_settings:\n"
	    "  master_key: sk-1234\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 0);
	cr_assert_null(tc_cfg->deploy);
	tc_load("general_settings:\n  master_key: sk-1234\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 0);
	tc_load("model_list:\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 0);
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n");
	TC_ERR("config.yaml:3:20: model_list[0]: missing required key "
	    "\"litellm_params.model\"");
}

/*
 * YAML as PyYAML reads it.
 */

Test(cfg, yaml11_scalars)
{
	tc_load(TC_ONE
	    "      tpm: 20_000\n"
	    "      rpm: 0x1F\n"
	    "      max_retries: 017\n"
	    "      num_retries: \"3\"\n"
	    "      max_parallel_requests: 1:30\n"
	    "      timeout: \"30\"\n"
	    "      stream_timeout: 1_000.5\n"
	    "      weight: '0.25'\n"
	    "      drop_params: yes\n"
	    "      temperature: 0.1\n"
	    "      seed: 0b101\n"
	    "      stop: off\n"
	    "      user: ~\n"
	    "      n: \"2\"\n");
	TC_CLEAN();
	cr_assert_eq(tc_dep(0)->tpm, 20000);
	cr_assert_eq(tc_dep(0)->rpm, 31);
	cr_assert_eq(tc_dep(0)->max_retries, 15);
	cr_assert_eq(tc_dep(0)->num_retries, 3);
	cr_assert_eq(tc_dep(0)->max_parallel_requests, 90);
	cr_assert_float_eq(tc_dep(0)->timeout, 30, 1e-9);
	cr_assert_float_eq(tc_dep(0)->stream_timeout, 1000.5, 1e-9);
	cr_assert_float_eq(tc_dep(0)->weight, 0.25, 1e-9);
	cr_assert_eq(tc_dep(0)->drop_params, 1);
	cr_assert_str_eq(tc_extra(tc_dep(0), "temperature")->json, "0.1");
	cr_assert_str_eq(tc_extra(tc_dep(0), "seed")->json, "5");
	cr_assert_str_eq(tc_extra(tc_dep(0), "stop")->json, "false");
	cr_assert_str_eq(tc_extra(tc_dep(0), "user")->json, "null");
	cr_assert_str_eq(tc_extra(tc_dep(0), "n")->json, "\"2\"");
	/* PyYAML reads 1e5 (no point, unsigned exponent) as a string. */
	tc_load(TC_ONE "    rph: 1e5\n");
	TC_ERR("config.yaml:5:10: model_list[0].rph: expected an integer, "
	    "got \"1e5\"");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
	tc_load(TC_ONE
	    "litellm_settings:\n"
	    "  drop_params: ON\n"
	    "  json_logs: No\n"
	    "  set_verbose: 'true'\n");
	TC_OK();
	cr_assert_eq(tc_cfg->litellm.drop_params, 1);
	cr_assert_eq(tc_cfg->litellm.json_logs, 0);
	cr_assert_eq(tc_cfg->litellm.set_verbose, 1);
}

Test(cfg, crlf_no_final_newline_flow_trailing_comma)
{
	tc_load("model_list:\r\n"
	    "  - model_name: \"openai-model\"\r\n"
	    "    litellm_params: {model: \"gpt-3.5-turbo\", rpm: 5,}\r\n"
	    "litellm_settings:\r\n"
	    "  cache: True\r\n"
	    "general_settings:\r\n"
	    "  master_key: [1,]\r\n"
	    "  max_request_size_mb: bad");
	TC_FAILED();
	/* CRLF counts one line; a file without final newline still ends. */
	TC_ERR("config.yaml:7:15: general_settings.master_key: expected a "
	    "string, got a list");
	TC_ERR("config.yaml:8:24: general_settings.max_request_size_mb: "
	    "expected a number, got \"bad\"");
	TC_WARN("config.yaml:5:3: litellm_settings.cache: not supported by "
	    "llmux, ignored");
	tc_load("model_list:\r\n"
	    "  - model_name: \"openai-model\"\r\n"
	    "    litellm_params: {model: \"gpt-3.5-turbo\", rpm: 5,}");
	TC_CLEAN();
	cr_assert_eq(tc_dep(0)->rpm, 5);
}

Test(cfg, duplicate_key_last_wins)
{
	tc_load(TC_ONE
	    "litellm_settings:\n"
	    "  success_callback: [\"prometheus\"]\n"
	    "  num_retries: 1\n"
	    "  success_callback: [\"s3\"]\n");
	TC_OK();
	cr_assert_eq(tc_cfg->litellm.success_callback.n, 1);
	cr_assert_str_eq(tc_cfg->litellm.success_callback.v[0], "s3");
	TC_WARN("config.yaml:6:3: litellm_settings.success_callback: key "
	    "repeated at line 8, which wins");
	TC_WARN("config.yaml:8:22: litellm_settings.success_callback[0]: "
	    "callback \"s3\" is not supported by llmux, ignored");
	cr_assert_eq(tc_ds.nwarnings, 2, "%s", tc_dump());
}

Test(cfg, merge_keys)
{
	tc_load("base: &base\n"
	    "  model: openai/gpt-4o\n"
	    "  rpm: 10\n"
	    "  tpm: 5\n"
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      <<: *base\n"
	    "      rpm: 20\n"
	    "  - model_name: b\n"
	    "    litellm_params:\n"
	    "      <<: [{model: anthropic/x}, *base]\n"
	    "  - model_name: c\n"
	    "    litellm_params:\n"
	    "      <<: 5\n"
	    "      model: x\n");
	TC_FAILED();
	TC_WARN("config.yaml:1:1: base: unknown key, ignored");
	TC_ERR("config.yaml:15:11: model_list[2].litellm_params: << needs a "
	    "mapping or a list of mappings");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
	tc_load("base: &base\n"
	    "  model: openai/gpt-4o\n"
	    "  rpm: 10\n"
	    "  tpm: 5\n"
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      <<: *base\n"
	    "      rpm: 20\n"
	    "  - model_name: b\n"
	    "    litellm_params:\n"
	    "      <<: [{model: anthropic/x}, *base]\n");
	TC_OK();
	cr_assert_str_eq(tc_dep(0)->model, "openai/gpt-4o");
	cr_assert_eq(tc_dep(0)->rpm, 20);
	cr_assert_eq(tc_dep(0)->tpm, 5);
	/* Earlier mappings in a << list win over later ones. */
	cr_assert_str_eq(tc_dep(1)->model, "anthropic/x");
	cr_assert_eq(tc_dep(1)->rpm, 10);
}

Test(cfg, merge_list_with_a_scalar)
{
	tc_load("base: &b {model: openai/x}\n"
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      <<: [*b, 5]\n");
	TC_FAILED();
	TC_ERR("config.yaml:5:16: model_list[0].litellm_params: << needs a "
	    "mapping or a list of mappings");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
}

Test(cfg, non_scalar_key)
{
	tc_load(TC_ONE
	    "litellm_settings:\n"
	    "  ? [a, b]\n"
	    "  : 1\n");
	TC_FAILED();
	TC_ERR("config.yaml:6:5: litellm_settings: a key must be a scalar, "
	    "got a list");
}

Test(cfg, alias_bomb)
{
	tc_load(TC_ONE
	    "      extra_body: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
	TC_FAILED();
	cr_assert_eq(tc_count("value nested too deeply or too large"), 1,
	    "%s", tc_dump());
}

/*
 * r15: the alias-bomb guard was a fixed 1,000,000 visits, so a config of
 * 250,000 plain deployments failed with "nested too deeply or too large".
 * The budget now grows with the nodes read; with the fixed part lowered
 * to 1,000, 500 deployments (2,000 visits) load and the bomb still stops.
 */
Test(cfg, r15_visit_budget_grows_with_the_file)
{
	FILE	*fp;
	int	 i;

	cfg_visit_base = 1000;
	cr_assert_not_null(fp = fopen("config.yaml", "w"));
	fputs("model_list:\n", fp);
	for (i = 0; i < 500; i++)
		fprintf(fp, "  - model_name: m%d\n"
		    "    litellm_params:\n"
		    "      model: openai/gpt\n", i);
	cr_assert_eq(fclose(fp), 0);
	tc_loadf("config.yaml");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 500);
	tc_load(TC_ONE
	    "      extra_body: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
	TC_FAILED();
	cr_assert_eq(tc_count("value nested too deeply or too large"), 1,
	    "%s", tc_dump());
}

Test(cfg, model_names_and_providers)
{
	tc_load("model_list:\n"
	    "  - model_name: Azure OpenAI GPT-4 Canada\n"
	    "    litellm_params:\n"
	    "      model: gpt-4.1-nano\n"
	    "  - model_name: \"*\"\n"
	    "    litellm_params:\n"
	    "      model: openai/*\n"
	    "  - model_name: anthropic/*\n"
	    "    litellm_params:\n"
	    "      model: anthropic/*\n"
	    "  - model_name: dall-e-2\n"
	    "    litellm_params:\n"
	    "      model: azure/\n"
	    "      api_version: 2023-06-01-preview\n"
	    "  - model_name: llava\n"
	    "    litellm_params:\n"
	    "      model: openai/llava-hf/llava-v1.6\n"
	    "  - model_name: forced\n"
	    "    litellm_params:\n"
	    "      model: meta-llama/Llama-3\n"
	    "      custom_llm_provider: openai\n"
	    "  - model_name: forced2\n"
	    "    litellm_params:\n"
	    "      model: hosted_vllm/llama\n"
	    "      custom_llm_provider: hosted_vllm\n"
	    "  - model_name: conv\n"
	    "    litellm_params:\n"
	    "      model: bedrock/converse/us.anthropic.claude:0\n");
	TC_CLEAN();
	cr_assert_str_eq(tc_dep(0)->provider, "openai");
	cr_assert_str_eq(tc_dep(0)->upstream_model, "gpt-4.1-nano");
	cr_assert_eq(tc_dep(0)->wildcard, 0);
	cr_assert_str_eq(tc_dep(1)->model_name, "*");
	cr_assert_eq(tc_dep(1)->wildcard, 1);
	cr_assert_str_eq(tc_dep(1)->upstream_model, "*");
	cr_assert_eq(tc_dep(2)->wildcard, 1);
	cr_assert_str_eq(tc_dep(2)->provider, "anthropic");
	cr_assert_str_eq(tc_dep(3)->provider, "azure");
	cr_assert_str_eq(tc_dep(3)->upstream_model, "");
	cr_assert_str_eq(tc_dep(3)->api_version, "2023-06-01-preview");
	cr_assert_str_eq(tc_dep(4)->provider, "openai");
	cr_assert_str_eq(tc_dep(4)->upstream_model, "llava-hf/llava-v1.6");
	cr_assert_str_eq(tc_dep(5)->provider, "openai");
	cr_assert_str_eq(tc_dep(5)->upstream_model, "meta-llama/Llama-3");
	cr_assert_str_eq(tc_dep(6)->provider, "hosted_vllm");
	cr_assert_str_eq(tc_dep(6)->upstream_model, "llama");
	cr_assert_str_eq(tc_dep(7)->provider, "bedrock");
	cr_assert_str_eq(tc_dep(7)->upstream_model,
	    "converse/us.anthropic.claude:0");
}

/*
 * Deployment ids.
 */

Test(cfg, id_given_or_derived)
{
	setenv("OPENAI_API_KEY", "sk-one", 1);
	tc_load("model_list:\n"
	    "  - model_name: gpt-4o\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "      api_key: os.environ/OPENAI_API_KEY\n"
	    "  - model_name: gpt-4o\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "    model_info:\n"
	    "      id: \"1\"\n"
	    "  - model_name: gpt-4o\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "      rpm: 1\n");
	TC_CLEAN();
	/* sha256 of "gpt-4o" "model" "openai/gpt-4o" "api_key" "os.en..." */
	cr_assert_str_eq(tc_dep(0)->id, "5729bebed57d83d934c564941d8cdf31b4ec"
	    "f9b604a835cbaf635b702a65cbbb");
	cr_assert_str_eq(tc_dep(1)->id, "1");
	cr_assert_neq(strcmp(tc_dep(2)->id, tc_dep(0)->id), 0);
	cr_assert_eq(strlen(tc_dep(2)->id), 64);
	/* Stable: the same config (even with the secret rotated) keeps it. */
	setenv("OPENAI_API_KEY", "sk-two", 1);
	tc_loadf("config.yaml");
	TC_OK();
	cr_assert_str_eq(tc_dep(0)->id, "5729bebed57d83d934c564941d8cdf31b4ec"
	    "f9b604a835cbaf635b702a65cbbb");
	cr_assert_str_eq(tc_dep(0)->api_key, "sk-two");
}

Test(cfg, id_python_str_of_values)
{
	/* Values go in as Python's str() shows them: 20000, 0.5, True. */
	tc_load("model_list:\n"
	    "  - model_name: gpt-4-team1\n"
	    "    litellm_params:\n"
	    "      model: azure/chatgpt-v-2\n"
	    "      api_base: https://openai-gpt-4-test-v-1.openai.azure.com/\n"
	    "      api_version: \"2023-05-15\"\n"
	    "      api_key: os.environ/AZURE_API_KEY\n"
	    "      tpm: 20_000\n"
	    "      timeout: 5\n"
	    "      stream_timeout: 0.5\n"
	    "      max_retries: 4\n");
	TC_FAILED();	/* AZURE_API_KEY is not set */
	setenv("AZURE_API_KEY", "k", 1);
	tc_loadf("config.yaml");
	TC_CLEAN();
	cr_assert_str_eq(tc_dep(0)->id, "b82829cbca94d892f67d7d197c77c65a4f89"
	    "dedcd7706b07069d4aa8c78b4dd9");
}

Test(cfg, duplicate_id_warns)
{
	tc_load("model_list:\n"
	    "  - model_name: g\n"
	    "    litellm_params:\n"
	    "      model: gemini/gemini-2.5-flash\n"
	    "  - model_name: g\n"
	    "    litellm_params:\n"
	    "      model: gemini/gemini-2.5-flash\n");
	TC_OK();
	TC_WARN("config.yaml:5:5: model_list[1]: same id as model_list[0] in "
	    "config.yaml; the two share cooldowns and counters");
}

Test(cfg, organization_list_expands)
{
	tc_load("model_list:\n"
	    "  - model_name: x\n"
	    "    litellm_params:\n"
	    "      model: openai/x\n"
	    "      organization: [org-a, org-b]\n"
	    "  - model_name: y\n"
	    "    litellm_params:\n"
	    "      model: openai/y\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 3);
	cr_assert_str_eq(tc_dep(0)->organization, "org-a");
	cr_assert_str_eq(tc_dep(1)->organization, "org-b");
	cr_assert_str_eq(tc_dep(1)->model_name, "x");
	cr_assert_str_eq(tc_dep(2)->model_name, "y");
	/* Each copy hashes as if its organization were a plain string. */
	cr_assert_str_eq(tc_dep(0)->id, "2cbbb2cd62633b2084d86c8aace300ec5be8"
	    "a0c45a20ff6f34cbd79e014085e6");
	cr_assert_str_eq(tc_dep(1)->id, "5d247462539664ed6c8bc0ff843152e91985"
	    "588aa7bd92291cbcc4135beaa220");
}

/*
 * Deployment details.
 */

Test(cfg, deployment_level_limits)
{
	tc_load(TC_ONE
	    "      rpm: 5\n"
	    "      tpm: 6\n"
	    "    rpm: 60\n"
	    "    tpm: 60000\n"
	    "    rph: 3000\n"
	    "    tph: 3000000\n"
	    "    rpd: 50000\n"
	    "    tpd: 50000000\n");
	TC_CLEAN();
	cr_assert_eq(tc_dep(0)->rpm, 60);
	cr_assert_eq(tc_dep(0)->tpm, 60000);
	cr_assert_eq(tc_dep(0)->rph, 3000);
	cr_assert_eq(tc_dep(0)->tph, 3000000);
	cr_assert_eq(tc_dep(0)->rpd, 50000);
	cr_assert_eq(tc_dep(0)->tpd, 50000000);
}

Test(cfg, model_info_prices_and_nesting)
{
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      model: openai/a\n"
	    "      input_cost_per_token: 0.5\n"
	    "    model_info:\n"
	    "      input_cost_per_token: 0.1\n"
	    "      output_cost_per_token: 0.2\n"
	    "      supports_vision: True\n"
	    "      description: free text\n"
	    "  - model_name: b\n"
	    "    litellm_params:\n"
	    "      model: openai/b\n"
	    "      model_info:\n"
	    "        id: nested-id\n"
	    "        mode: embedding\n");
	TC_CLEAN();
	cr_assert_float_eq(tc_dep(0)->input_cost_per_token, 0.5, 1e-12);
	cr_assert_float_eq(tc_dep(0)->output_cost_per_token, 0.2, 1e-12);
	cr_assert_str_eq(tc_dep(1)->id, "nested-id");
	cr_assert_str_eq(tc_dep(1)->mode, "embedding");
}

Test(cfg, extra_params)
{
	const struct cfg_deploy	*d;

	setenv("S3_KEY", "AKIA0", 1);
	setenv("AWS_SECRET", "s3cr\"t", 1);
	tc_load(TC_ONE
	    "      temperature: 0.2\n"
	    "      max_tokens: 20\n"
	    "      extra_headers: {User-Agent: \"Claude Code/1.0\"}\n"
	    "      aws_region_name: us-east-1\n"
	    "      aws_secret_access_key: os.environ/AWS_SECRET\n"
	    "      input_cost_per_second: \"0.5\"\n"
	    "      use_in_pass_through: \"true\"\n"
	    "      s3_access_key_id: os.environ/S3_KEY\n"
	    "      complexity_router_config:\n"
	    "        tiers: {SIMPLE: [a, b]}\n"
	    "        affinity: true\n"
	    "        n: 35\n");
	TC_OK();
	d = tc_dep(0);
	cr_assert_eq(d->nextra, 9);
	cr_assert_str_eq(tc_extra(d, "temperature")->json, "0.2");
	cr_assert_eq(tc_extra(d, "temperature")->known, 0);
	cr_assert_str_eq(tc_extra(d, "max_tokens")->json, "20");
	cr_assert_str_eq(tc_extra(d, "extra_headers")->json,
	    "{\"User-Agent\":\"Claude Code/1.0\"}");
	cr_assert_str_eq(tc_extra(d, "aws_region_name")->json,
	    "\"us-east-1\"");
	cr_assert_eq(tc_extra(d, "aws_region_name")->known, 1);
	cr_assert_str_eq(tc_extra(d, "aws_secret_access_key")->json,
	    "\"s3cr\\\"t\"");
	cr_assert_str_eq(tc_extra(d, "input_cost_per_second")->json, "0.5");
	cr_assert_str_eq(tc_extra(d, "use_in_pass_through")->json, "true");
	cr_assert_str_eq(tc_extra(d, "s3_access_key_id")->json, "\"AKIA0\"");
	cr_assert_eq(tc_extra(d, "s3_access_key_id")->known, 0);
	cr_assert_str_eq(tc_extra(d, "complexity_router_config")->json,
	    "{\"tiers\":{\"SIMPLE\":[\"a\",\"b\"]},\"affinity\":true,"
	    "\"n\":35}");
	TC_WARN("config.yaml:12:7: model_list[0].litellm_params."
	    "s3_access_key_id: unknown key, passed to the provider as is");
	TC_WARN("config.yaml:13:7: model_list[0].litellm_params."
	    "complexity_router_config: unknown key, passed to the provider "
	    "as is");
	cr_assert_eq(tc_ds.nwarnings, 2, "%s", tc_dump());
}

Test(cfg, extra_param_missing_env)
{
	tc_load(TC_ONE
	    "      vertex_project: os.environ/NO_SUCH_PROJECT\n"
	    "      router_cfg:\n"
	    "        key: os.environ/NO_SUCH_KEY\n");
	TC_FAILED();
	TC_ERR("config.yaml:5:23: model_list[0].litellm_params.vertex_project: "
	    "environment variable NO_SUCH_PROJECT is not set");
	TC_ERR("config.yaml:7:14: model_list[0].litellm_params.router_cfg: "
	    "environment variable NO_SUCH_KEY is not set");
}

/*
 * os.environ/ and environment_variables.
 */

Test(cfg, os_environ_everywhere)
{
	setenv("MK", "sk-from-env", 1);
	setenv("DB", "postgresql://x", 1);
	setenv("RPM", "30", 1);
	setenv("FLAG", "true", 1);
	setenv("FLAG2", "False", 1);
	setenv("SD", "/tmp/state", 1);
	setenv("GRP", "m", 1);
	tc_load(TC_ONE
	    "      rpm: os.environ/RPM\n"
	    "      timeout: \"os.environ/RPM\"\n"
	    "      drop_params: os.environ/FLAG\n"
	    "      tags: [os.environ/GRP]\n"
	    "litellm_settings:\n"
	    "  json_logs: os.environ/FLAG2\n"
	    "  cache_params:\n"
	    "    host: os.environ/NOT_SET_AT_ALL\n"
	    "router_settings:\n"
	    "  redis_password: os.environ/NOT_SET_EITHER\n"
	    "  fallbacks: [{m: [os.environ/GRP]}]\n"
	    "general_settings:\n"
	    "  master_key: os.environ/MK\n"
	    "  database_url: os.environ/DB\n"
	    "llmux_settings:\n"
	    "  state_dir: os.environ/SD\n");
	TC_OK();
	cr_assert_eq(tc_dep(0)->rpm, 30);
	cr_assert_float_eq(tc_dep(0)->timeout, 30, 1e-9);
	cr_assert_eq(tc_dep(0)->drop_params, 1);
	cr_assert_str_eq(tc_dep(0)->tags.v[0], "m");
	cr_assert_eq(tc_cfg->litellm.json_logs, 0);
	cr_assert_str_eq(tc_cfg->general.master_key, "sk-from-env");
	cr_assert_str_eq(tc_cfg->general.database_url, "postgresql://x");
	cr_assert_str_eq(tc_cfg->llmux.state_dir, "/tmp/state");
	cr_assert_str_eq(tc_cfg->router.fallbacks.v[0].to.v[0], "m");
	/* Keys llmux ignores may name unset variables. */
	cr_assert_eq(tc_count("NOT_SET"), 0, "%s", tc_dump());
}

Test(cfg, os_environ_missing_is_an_error)
{
	unsetenv("NO_SUCH_VAR");
	tc_load(TC_ONE
	    "      api_key: os.environ/NO_SUCH_VAR\n"
	    "      api_base: os.environ/\n"
	    "general_settings:\n"
	    "  master_key: \"os.environ/NO_SUCH_VAR\"\n"
	    "  database_url: os.environ/NO_SUCH_DB\n"
	    "llmux_settings:\n"
	    "  log_level: os.environ/NO_SUCH_LEVEL\n");
	TC_FAILED();
	TC_ERR("config.yaml:5:16: model_list[0].litellm_params.api_key: "
	    "environment variable NO_SUCH_VAR is not set");
	TC_ERR("config.yaml:6:17: model_list[0].litellm_params.api_base: "
	    "os.environ/ names no variable");
	TC_ERR("config.yaml:8:15: general_settings.master_key: environment "
	    "variable NO_SUCH_VAR is not set");
	TC_ERR("config.yaml:9:17: general_settings.database_url: environment "
	    "variable NO_SUCH_DB is not set");
	TC_ERR("config.yaml:11:14: llmux_settings.log_level: environment "
	    "variable NO_SUCH_LEVEL is not set");
	cr_assert_eq(tc_ds.nerrors, 5, "%s", tc_dump());
}

Test(cfg, env_value_type_errors)
{
	setenv("WORD", "fast", 1);
	tc_load(TC_ONE
	    "      rpm: os.environ/WORD\n"
	    "      drop_params: os.environ/WORD\n");
	TC_FAILED();
	TC_ERR("config.yaml:5:12: model_list[0].litellm_params.rpm: expected "
	    "an integer, got the value of os.environ/WORD");
	TC_ERR("config.yaml:6:20: model_list[0].litellm_params.drop_params: "
	    "expected a boolean (true or false), got the value of "
	    "os.environ/WORD");
	cr_assert_eq(tc_count("fast"), 0, "%s", tc_dump());
}

/*
 * r15: a value from the environment is never printed, whatever the check
 * that refuses it: types, ranges, enums, durations, group and credential
 * names, callbacks and include paths.
 */
Test(cfg, r15_env_values_never_printed)
{
	const char	*sec = "sk-provider-env-SECRET-0123456789";
	struct cfg_diag	*d;

	setenv("SEC", sec, 1);
	setenv("NEG", "-5", 1);
	tc_load("include:\n"
	    "  - os.environ/SEC\n"
	    "model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "      rpm: os.environ/SEC\n"
	    "      timeout: os.environ/SEC\n"
	    "      drop_params: os.environ/SEC\n"
	    "      max_retries: os.environ/NEG\n"
	    "      budget_duration: os.environ/SEC\n"
	    "  - model_name: n\n"
	    "    litellm_params:\n"
	    "      model: openai/gpt-4o\n"
	    "      litellm_credential_name: os.environ/SEC\n"
	    "litellm_settings:\n"
	    "  success_callback: [os.environ/SEC]\n"
	    "router_settings:\n"
	    "  routing_strategy: os.environ/SEC\n"
	    "  fallbacks: [{m: [os.environ/SEC]}]\n"
	    "  model_group_alias: {a: os.environ/SEC}\n"
	    "llmux_settings:\n"
	    "  log_level: os.environ/SEC\n"
	    "  header_timeout: os.environ/NEG\n");
	TC_FAILED();
	for (d = tc_ds.head; d != NULL; d = d->next) {
		cr_assert_null(strstr(d->text, "SECRET"), "%s", tc_dump());
		cr_assert_null(strstr(d->text, "-5"), "%s", tc_dump());
	}
	TC_ERR("config.yaml:7:12: model_list[0].litellm_params.rpm: expected "
	    "an integer, got the value of os.environ/SEC");
	TC_ERR("config.yaml:8:16: model_list[0].litellm_params.timeout: "
	    "expected a number, got the value of os.environ/SEC");
	TC_ERR("config.yaml:10:20: model_list[0].litellm_params.max_retries: "
	    "must not be negative, got the value of os.environ/NEG");
	TC_ERR("config.yaml:11:24: model_list[0].litellm_params."
	    "budget_duration: expected a duration such as 30s, 5m, 24h, 30d "
	    "or 1mo, got the value of os.environ/SEC");
	TC_ERR("config.yaml:15:32: model_list[1].litellm_params."
	    "litellm_credential_name: no credential in credential_list is "
	    "named by the value of os.environ/SEC");
	TC_WARN("config.yaml:17:22: litellm_settings.success_callback[0]: "
	    "callback the value of os.environ/SEC is not supported by llmux, "
	    "ignored");
	cr_assert_eq(tc_count("routing_strategy: must be one of"), 1, "%s",
	    tc_dump());
	TC_ERR("config.yaml:20:20: router_settings.fallbacks[0].m[0]: the "
	    "model group named by the value of os.environ/SEC is not in "
	    "model_list");
	TC_ERR("config.yaml:2:5: include[0]: cannot read "
	    "\"os.environ/SEC\": No such file or directory");
	TC_ERR("config.yaml:24:19: llmux_settings.header_timeout: must be "
	    "greater than 0, got the value of os.environ/NEG");
}

Test(cfg, environment_variables_export)
{
	unsetenv("LB_HOST");
	unsetenv("LB_PORT");
	unsetenv("LB_FLAG");
	unsetenv("LB_KEY");
	setenv("LB_SET", "from-process", 1);
	setenv("LB_SRC", "sk-source", 1);
	tc_load("model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params:\n"
	    "      model: openai/m\n"
	    "      api_key: os.environ/LB_KEY\n"
	    "      api_base: os.environ/LB_HOST\n"
	    "environment_variables:\n"
	    "  LB_HOST: localhost\n"
	    "  LB_PORT: 6329\n"
	    "  LB_FLAG: true\n"
	    "  LB_SET: from-config\n"
	    "  LB_KEY: os.environ/LB_SRC\n"
	    "  LB_NONE:\n");
	TC_CLEAN();
	cr_assert_str_eq(getenv("LB_HOST"), "localhost");
	cr_assert_str_eq(getenv("LB_PORT"), "6329");
	cr_assert_str_eq(getenv("LB_FLAG"), "True");
	/* A variable already set wins, as in LiteLLM. */
	cr_assert_str_eq(getenv("LB_SET"), "from-process");
	cr_assert_str_eq(getenv("LB_KEY"), "sk-source");
	cr_assert_null(getenv("LB_NONE"));
	/* Exported before the rest of the file is read. */
	cr_assert_str_eq(tc_dep(0)->api_key, "sk-source");
	cr_assert_str_eq(tc_dep(0)->api_base, "localhost");
}

Test(cfg, environment_variables_errors)
{
	tc_load("environment_variables:\n"
	    "  A_LIST: [1, 2]\n"
	    "  \"BAD=NAME\": x\n"
	    "  FROM: os.environ/NOT_THERE_EITHER\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:11: environment_variables.A_LIST: expected a "
	    "string, got a list");
	TC_ERR("config.yaml:3:3: environment_variables.BAD=NAME: not a "
	    "variable name");
	TC_ERR("config.yaml:4:9: environment_variables.FROM: environment "
	    "variable NOT_THERE_EITHER is not set");
	tc_load("environment_variables: [A, B]\n");
	TC_FAILED();
	TC_ERR("config.yaml:1:24: environment_variables: expected a mapping "
	    "of variable names to values, got a list");
}

/*
 * include:
 */

Test(cfg, include_merges)
{
	cr_assert_eq(mkdir("sub", 0755), 0);
	tc_put("sub/models.yaml", "model_list:\n"
	    "  - model_name: inc-1\n"
	    "    litellm_params:\n"
	    "      model: gpt-4\n"
	    "include:\n"
	    "  - more.yaml\n"
	    "router_settings:\n"
	    "  num_retries: 5\n");
	tc_put("sub/more.yaml", "model_list:\n"
	    "  - model_name: inc-2\n"
	    "    litellm_params:\n"
	    "      model: gpt-3.5-turbo\n"
	    "credential_list:\n"
	    "  - credential_name: c\n"
	    "    credential_values: {api_key: sk-cred}\n");
	tc_load("include:\r\n"
	    "  - sub/models.yaml\r\n"
	    "model_list:\r\n"
	    "  - model_name: main\r\n"
	    "    litellm_params:\r\n"
	    "      model: openai/main\r\n"
	    "      litellm_credential_name: c\r\n"
	    "router_settings:\r\n"
	    "  num_retries: 1\r\n"
	    "  timeout: 9\r\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->ndeploy, 3);
	cr_assert_str_eq(tc_dep(0)->model_name, "main");
	cr_assert_str_eq(tc_dep(0)->file, "config.yaml");
	cr_assert_str_eq(tc_dep(0)->api_key, "sk-cred");
	cr_assert_str_eq(tc_dep(1)->model_name, "inc-1");
	cr_assert_str_eq(tc_dep(1)->file, "sub/models.yaml");
	cr_assert_eq(tc_dep(1)->line, 2);
	cr_assert_str_eq(tc_dep(2)->model_name, "inc-2");
	cr_assert_str_eq(tc_dep(2)->file, "sub/more.yaml");
	/* Sections merge key by key; the file read later wins. */
	cr_assert_eq(tc_cfg->router.num_retries, 5);
	cr_assert_float_eq(tc_cfg->router.timeout, 9, 1e-9);
}

Test(cfg, include_errors)
{
	tc_put("frag.yaml", "model_list:\n"
	    "  - model_name: x\n"
	    "    litellm_params: {rpm: fast}\n");
	tc_put("empty.yaml", "# nothing\n");
	tc_load("include:\n"
	    "  - missing.yaml\n"
	    "  - frag.yaml\n"
	    "  - [nested]\n"
	    "  - \"\"\n"
	    "  - frag.yaml\n"
	    "  - config.yaml\n"
	    "  - empty.yaml\n"
	    "  - os.environ/NO_INCLUDE_VAR\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:5: include[0]: cannot read \"missing.yaml\": "
	    "No such file or directory");
	TC_ERR("config.yaml:4:5: include[2]: expected a file name, got a "
	    "list");
	TC_ERR("config.yaml:5:5: include[3]: expected a file name");
	TC_ERR("config.yaml:6:5: include[4]: \"frag.yaml\" is read already; "
	    "a file may be included once");
	TC_ERR("config.yaml:7:5: include[5]: \"config.yaml\" is read "
	    "already; a file may be included once");
	TC_ERR("config.yaml:9:5: include[7]: environment variable "
	    "NO_INCLUDE_VAR is not set");
	/* The included file's own errors carry its name. */
	TC_ERR("frag.yaml:3:27: model_list[0].litellm_params.rpm: expected "
	    "an integer, got \"fast\"");
	TC_ERR("frag.yaml:3:21: model_list[0]: missing required key "
	    "\"litellm_params.model\"");
	TC_ERR("empty.yaml: the file is empty");
	cr_assert_eq(tc_ds.nerrors, 9, "%s", tc_dump());
	/* Sorted by file (in read order), then position. */
	cr_assert(strncmp(tc_ds.head->text, "config.yaml:2:5:", 16) == 0,
	    "%s", tc_dump());
	tc_load("include: {a: b}\n");
	TC_ERR("config.yaml:1:10: include: expected a list of file names, "
	    "got a mapping");
	tc_load("include: frag.yaml\n");
	cr_assert_eq(tc_count("frag.yaml:3:27"), 1, "%s", tc_dump());
}

Test(cfg, include_directory_and_environment)
{
	cr_assert_eq(mkdir("frags", 0755), 0);
	tc_put("frags/a.yaml", "environment_variables:\n"
	    "  INC_KEY: sk-from-include\n"
	    "  INC_FIRST: include\n");
	unsetenv("INC_DIR");
	unsetenv("INC_KEY");
	unsetenv("INC_FIRST");
	/* The main file's variables are exported before its includes. */
	tc_load("environment_variables:\n"
	    "  INC_DIR: frags\n"
	    "  INC_FIRST: main\n"
	    "include:\n"
	    "  - os.environ/INC_DIR\n"
	    "  - frags/a.yaml\n"
	    TC_ONE
	    "      api_key: os.environ/INC_KEY\n");
	TC_FAILED();
	TC_ERR("config.yaml:5:5: include[0]: cannot read "
	    "\"os.environ/INC_DIR\": Is a directory");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
	cr_assert_str_eq(getenv("INC_KEY"), "sk-from-include");
	cr_assert_str_eq(getenv("INC_FIRST"), "main");
}

Test(cfg, include_depth)
{
	tc_put("loop.yaml", "include: [loop2.yaml]\n");
	tc_put("loop2.yaml", "include: [loop.yaml]\n");
	tc_load("include: [loop.yaml]\n");
	TC_FAILED();
	TC_ERR("loop2.yaml:1:11: include[0]: \"loop.yaml\" is read already; "
	    "a file may be included once");
}

/*
 * credential_list
 */

Test(cfg, credentials)
{
	setenv("CRED_KEY", "sk-cred-key", 1);
	tc_load("credential_list:\n"
	    "  - credential_name: azure-east\n"
	    "    credential_values:\n"
	    "      api_key: os.environ/CRED_KEY\n"
	    "      api_base: https://east.example/\n"
	    "      api_version: \"2024-02-01\"\n"
	    "      aws_region_name: us-east-1\n"
	    "    credential_info:\n"
	    "      description: east\n"
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      model: azure/a\n"
	    "      litellm_credential_name: azure-east\n"
	    "  - model_name: b\n"
	    "    litellm_params:\n"
	    "      model: azure/b\n"
	    "      api_base: https://own.example/\n"
	    "      litellm_credential_name: azure-east\n");
	TC_CLEAN();
	cr_assert_str_eq(tc_dep(0)->api_key, "sk-cred-key");
	cr_assert_str_eq(tc_dep(0)->api_base, "https://east.example/");
	cr_assert_str_eq(tc_dep(0)->api_version, "2024-02-01");
	cr_assert_str_eq(tc_extra(tc_dep(0), "aws_region_name")->json,
	    "\"us-east-1\"");
	cr_assert_eq(tc_extra(tc_dep(0), "aws_region_name")->known, 1);
	/* What the deployment sets itself wins. */
	cr_assert_str_eq(tc_dep(1)->api_base, "https://own.example/");
	cr_assert_str_eq(tc_dep(1)->api_key, "sk-cred-key");
}

Test(cfg, credential_errors)
{
	tc_load("credential_list:\n"
	    "  - credential_name: c1\n"
	    "    credential_values:\n"
	    "      api_key: os.environ/NO_CRED_VAR\n"
	    "      api_base: [x]\n"
	    "  - credential_values: {}\n"
	    "  - just-a-name\n"
	    "  - credential_name: c3\n"
	    "    credential_values: 5\n"
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      model: azure/a\n"
	    "      litellm_credential_name: c1\n"
	    "  - model_name: b\n"
	    "    litellm_params:\n"
	    "      model: azure/b\n"
	    "      litellm_credential_name: c1\n"
	    "  - model_name: c\n"
	    "    litellm_params:\n"
	    "      model: azure/c\n"
	    "      litellm_credential_name: nope\n");
	TC_FAILED();
	/* Reported once although two deployments use the credential. */
	TC_ERR("config.yaml:4:16: credential_list[0].credential_values."
	    "api_key: environment variable NO_CRED_VAR is not set");
	cr_assert_eq(tc_count("NO_CRED_VAR"), 1, "%s", tc_dump());
	TC_ERR("config.yaml:5:17: credential_list[0].credential_values."
	    "api_base: expected a string, got a list");
	TC_ERR("config.yaml:6:5: credential_list[1]: missing required key "
	    "\"credential_name\"");
	TC_ERR("config.yaml:7:5: credential_list[2]: expected a mapping with "
	    "credential_name and credential_values, got a string");
	TC_ERR("config.yaml:9:24: credential_list[3].credential_values: "
	    "expected a mapping, got an integer");
	TC_ERR("config.yaml:22:32: model_list[2].litellm_params."
	    "litellm_credential_name: no credential named \"nope\" in "
	    "credential_list");
	cr_assert_eq(tc_ds.nerrors, 6, "%s", tc_dump());
}

/*
 * The master key.
 */

Test(cfg, master_key_must_start_with_sk)
{
	tc_load("general_settings:\n"
	    "  master_key: my-secret-key\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:15: general_settings.master_key: master_key "
	    "must start with 'sk-', as keys are told apart by that prefix and "
	    "LiteLLM's key database depends on it");
	/* The key itself is never echoed. */
	cr_assert_eq(tc_count("my-secret-key"), 0);
}

/* r15: "sk-" alone is the prefix every client knows, not a key. */
Test(cfg, r15_master_key_needs_more_than_the_prefix)
{
	tc_load("general_settings:\n"
	    "  master_key: \"sk-\"\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:15: general_settings.master_key: master_key "
	    "needs characters after 'sk-'");
	setenv("LITELLM_MASTER_KEY", "sk-", 1);
	tc_load("general_settings: {}\n");
	TC_FAILED();
	TC_ERR("config.yaml: environment variable LITELLM_MASTER_KEY: "
	    "master_key needs characters after 'sk-'");
	setenv("LITELLM_MASTER_KEY", "sk-1", 1);
	tc_load("general_settings: {}\n");
	TC_CLEAN();
	cr_assert_str_eq(tc_cfg->general.master_key, "sk-1");
}

/*
 * r15: a second general_settings: replaced the first whole, master_key
 * and all, with a warning only.  A repeated section is an error naming
 * both lines; a key repeated inside a section still warns.
 */
Test(cfg, r15_repeated_section_is_an_error)
{
	tc_load("general_settings:\n"
	    "  master_key: sk-1234\n"
	    TC_ONE
	    "general_settings:\n"
	    "  max_request_size_mb: 2\n"
	    "  max_request_size_mb: 3\n");
	TC_FAILED();
	TC_ERR("config.yaml:1:1: general_settings: section given twice, at "
	    "lines 1 and 7; the second would replace the first whole");
	TC_WARN("config.yaml:8:3: general_settings.max_request_size_mb: key "
	    "repeated at line 9, which wins");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
}

/*
 * r15: header_timeout: 0 passed --test, then every connection was
 * dropped at once.  Values where 0 cannot work are refused; drain_timeout
 * 0 (stop at once) and sse_keepalive 0 (off) keep their meaning.
 */
Test(cfg, r15_zero_where_zero_breaks)
{
	tc_load("llmux_settings:\n"
	    "  header_timeout: 0\n"
	    "  body_timeout: 0.0\n"
	    "  keepalive_timeout: \"0\"\n"
	    "  max_header_size: 0\n"
	    "  drain_timeout: 0\n"
	    "  sse_keepalive: 0\n"
	    "general_settings:\n"
	    "  max_response_size_mb: 0\n"
	    "  max_request_size_mb: 0\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:19: llmux_settings.header_timeout: must be "
	    "greater than 0, got 0");
	TC_ERR("config.yaml:3:17: llmux_settings.body_timeout: must be "
	    "greater than 0, got 0.0");
	TC_ERR("config.yaml:4:22: llmux_settings.keepalive_timeout: must be "
	    "greater than 0, got \"0\"");
	TC_ERR("config.yaml:5:20: llmux_settings.max_header_size: must be "
	    "greater than 0, got 0");
	TC_ERR("config.yaml:9:25: general_settings.max_response_size_mb: "
	    "must be greater than 0, got 0");
	TC_ERR("config.yaml:10:24: general_settings.max_request_size_mb: "
	    "must be greater than 0, got 0");
	cr_assert_eq(tc_ds.nerrors, 6, "%s", tc_dump());
	tc_load("llmux_settings:\n"
	    "  header_timeout: 0.5\n"
	    "  drain_timeout: 0\n"
	    "general_settings:\n"
	    "  max_response_size_mb: 1.5\n");
	TC_CLEAN();
	cr_assert_float_eq(tc_cfg->llmux.header_timeout, 0.5, 1e-9);
	cr_assert_float_eq(tc_cfg->llmux.drain_timeout, 0, 1e-9);
	cr_assert_float_eq(tc_cfg->general.max_response_size_mb, 1.5, 1e-9);
}

Test(cfg, master_key_must_be_a_string)
{
	tc_load("general_settings:\n"
	    "  master_key: 1234\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:15: general_settings.master_key: master_key "
	    "must be a string, got an integer");
	tc_load("general_settings:\n"
	    "  master_key: true\n");
	TC_ERR("config.yaml:2:15: general_settings.master_key: master_key "
	    "must be a string, got a boolean");
	tc_load("general_settings:\n"
	    "  master_key: {a: 1}\n");
	TC_ERR("config.yaml:2:15: general_settings.master_key: expected a "
	    "string, got a mapping");
	tc_load("general_settings:\n"
	    "  master_key: \"sk-1234\"\n");
	TC_CLEAN();
}

Test(cfg, master_key_from_environment)
{
	setenv("LITELLM_MASTER_KEY", "sk-env-master", 1);
	tc_load(TC_ONE);
	TC_CLEAN();
	cr_assert_str_eq(tc_cfg->general.master_key, "sk-env-master");
	tc_load(TC_ONE "general_settings:\n  master_key: sk-config\n");
	TC_CLEAN();
	cr_assert_str_eq(tc_cfg->general.master_key, "sk-config");
	setenv("LITELLM_MASTER_KEY", "plain-env-key", 1);
	tc_load(TC_ONE);
	TC_FAILED();
	TC_ERR("config.yaml: environment variable LITELLM_MASTER_KEY: "
	    "master_key must start with 'sk-', as keys are told apart by "
	    "that prefix and LiteLLM's key database depends on it");
}

Test(cfg, database_url_from_environment)
{
	setenv("DATABASE_URL", "postgresql://env", 1);
	tc_load(TC_ONE);
	TC_OK();
	cr_assert_str_eq(tc_cfg->general.database_url, "postgresql://env");
}

/*
 * Errors: every one reported, in file order, with line and column.
 */

Test(cfg, many_errors_in_one_load)
{
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params:\n"
	    "      model: openai/x\n"
	    "      rpm: fast\n"
	    "      tpm: -5\n"
	    "      timeout: -0.5\n"
	    "      drop_params: maybe\n"
	    "      budget_duration: 3 days\n"
	    "  - litellm_params:\n"
	    "      model: x\n"
	    "  - model_name: b\n"
	    "  - model_name: c\n"
	    "    litellm_params:\n"
	    "      api_key: k\n"
	    "  - just a string\n"
	    "  - model_name: \"\"\n"
	    "    litellm_params: {model: \"\"}\n"
	    "router_settings:\n"
	    "  routing_strategy: fastest\n"
	    "general_settings:\n"
	    "  max_request_size_mb: -1\n"
	    "litellm_settings:\n"
	    "  num_retries: [1]\n"
	    "llmux_settings:\n"
	    "  log_level: loud\n");
	TC_FAILED();
	cr_assert_eq(tc_ds.nerrors, 15, "%s", tc_dump());
	TC_ERR("config.yaml:5:12: model_list[0].litellm_params.rpm: expected "
	    "an integer, got \"fast\"");
	TC_ERR("config.yaml:6:12: model_list[0].litellm_params.tpm: must not "
	    "be negative, got -5");
	TC_ERR("config.yaml:7:16: model_list[0].litellm_params.timeout: must "
	    "not be negative, got -0.5");
	TC_ERR("config.yaml:8:20: model_list[0].litellm_params.drop_params: "
	    "expected a boolean (true or false), got \"maybe\"");
	TC_ERR("config.yaml:9:24: model_list[0].litellm_params."
	    "budget_duration: expected a duration such as 30s, 5m, 24h, 30d "
	    "or 1mo, got \"3 days\"");
	TC_ERR("config.yaml:10:5: model_list[1]: missing required key "
	    "\"model_name\"");
	TC_ERR("config.yaml:12:5: model_list[2]: missing required key "
	    "\"litellm_params\"");
	TC_ERR("config.yaml:15:7: model_list[3]: missing required key "
	    "\"litellm_params.model\"");
	TC_ERR("config.yaml:16:5: model_list[4]: expected a mapping with "
	    "model_name and litellm_params, got a string");
	TC_ERR("config.yaml:17:17: model_list[5].model_name: must not be "
	    "empty, got \"\"");
	TC_ERR("config.yaml:18:29: model_list[5].litellm_params.model: must "
	    "not be empty, got \"\"");
	TC_ERR("config.yaml:20:21: router_settings.routing_strategy: must be "
	    "one of simple-shuffle, least-busy, usage-based-routing, "
	    "usage-based-routing-v2, latency-based-routing, "
	    "cost-based-routing, free-key-optimization, "
	    "provider-budget-routing, got \"fastest\"");
	TC_ERR("config.yaml:22:24: general_settings.max_request_size_mb: must "
	    "be greater than 0, got -1");
	TC_ERR("config.yaml:24:16: litellm_settings.num_retries: expected an "
	    "integer, got a list");
	TC_ERR("config.yaml:26:14: llmux_settings.log_level: must be one of "
	    "debug, info, warning, error, got \"loud\"");
}

Test(cfg, diagnostics_sorted_and_placed)
{
	struct cfg_diag	*d;
	int		 last = 0;

	tc_load("llmux_settings:\n"
	    "  body_timeout: x\n"
	    "model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params: {model: a, rpm: y}\n"
	    "environment_variables:\n"
	    "  X: [1]\n");
	TC_FAILED();
	cr_assert_eq(tc_ds.nerrors, 3);
	for (d = tc_ds.head; d != NULL; d = d->next) {
		cr_assert_str_eq(d->file, "config.yaml");
		cr_assert_geq(d->line, last, "%s", tc_dump());
		last = d->line;
	}
	cr_assert_eq(tc_ds.head->line, 2);
	cr_assert_eq(tc_ds.head->col, 17);
	cr_assert_eq(tc_ds.head->error, 1);
}

Test(cfg, type_errors)
{
	tc_load("model_list:\n"
	    "  - model_name: [a]\n"
	    "    litellm_params:\n"
	    "      model: openai/x\n"
	    "      api_key: {a: 1}\n"
	    "      weight: [1]\n"
	    "      tags: {a: b}\n"
	    "      tags_ok: [[x]]\n"
	    "      max_retries: 1.5\n"
	    "      cooldown_time: true\n"
	    "    model_info: [x]\n"
	    "litellm_settings: [1]\n"
	    "router_settings:\n"
	    "  default_fallbacks: [[x]]\n"
	    "  disable_cooldowns: 2\n"
	    "general_settings:\n"
	    "  public_routes: {a: b}\n"
	    "credential_list: {a: b}\n");
	TC_FAILED();
	TC_ERR("config.yaml:2:17: model_list[0].model_name: expected a string, "
	    "got a list");
	TC_ERR("config.yaml:5:16: model_list[0].litellm_params.api_key: "
	    "expected a string, got a mapping");
	TC_ERR("config.yaml:6:15: model_list[0].litellm_params.weight: "
	    "expected a number, got a list");
	TC_ERR("config.yaml:7:13: model_list[0].litellm_params.tags: expected "
	    "a list of strings, got a mapping");
	TC_ERR("config.yaml:9:20: model_list[0].litellm_params.max_retries: "
	    "expected an integer, got 1.5");
	TC_ERR("config.yaml:10:22: model_list[0].litellm_params."
	    "cooldown_time: expected a number, got true");
	TC_ERR("config.yaml:11:17: model_list[0].model_info: expected a "
	    "mapping, got a list");
	TC_ERR("config.yaml:12:19: litellm_settings: expected a mapping, got "
	    "a list");
	TC_ERR("config.yaml:14:23: router_settings.default_fallbacks[0]: "
	    "expected a string, got a list");
	TC_ERR("config.yaml:15:22: router_settings.disable_cooldowns: "
	    "expected a boolean (true or false), got 2");
	TC_ERR("config.yaml:17:18: general_settings.public_routes: expected a "
	    "list of strings, got a mapping");
	TC_ERR("config.yaml:18:18: credential_list: expected a list, got a "
	    "mapping");
	cr_assert_eq(tc_ds.nerrors, 12, "%s", tc_dump());
	tc_load("model_list: {a: 1}\n");
	TC_ERR("config.yaml:1:13: model_list: expected a list, got a mapping");
}

Test(cfg, durations)
{
	tc_load(TC_ONE
	    "      budget_duration: 1mo\n"
	    "litellm_settings:\n"
	    "  budget_duration: 1d\n");
	TC_CLEAN();
	tc_load(TC_ONE
	    "      budget_duration: 30\n"
	    "litellm_settings:\n"
	    "  budget_duration: d\n");
	TC_ERR("config.yaml:5:24: model_list[0].litellm_params."
	    "budget_duration: expected a duration such as 30s, 5m, 24h, 30d "
	    "or 1mo, got 30");
	TC_ERR("config.yaml:7:20: litellm_settings.budget_duration: expected "
	    "a duration such as 30s, 5m, 24h, 30d or 1mo, got \"d\"");
}

Test(cfg, fallbacks)
{
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params: {model: openai/a}\n"
	    "  - model_name: b\n"
	    "    litellm_params: {model: openai/b}\n"
	    "  - model_name: anthropic/*\n"
	    "    litellm_params: {model: anthropic/*}\n"
	    "litellm_settings:\n"
	    "  fallbacks: [{ \"a\": [\"b\"] }]\n"
	    "  default_fallbacks: b\n"
	    "router_settings:\n"
	    "  fallbacks:\n"
	    "    - a: [b, anthropic/claude-3]\n"
	    "    - b:\n"
	    "        - a\n"
	    "    - b: a\n"
	    "    - \"*\": [a]\n"
	    "  context_window_fallbacks: []\n");
	TC_OK();
	/* a and b fall back to each other, as LiteLLM's examples do. */
	TC_WARN("config.yaml:15:11: router_settings.fallbacks[1].b[0]: "
	    "fallback cycle a -> b -> a; a request is never sent back to a "
	    "group it has tried");
	cr_assert_eq(tc_ds.nwarnings, 1, "%s", tc_dump());
	cr_assert_eq(tc_cfg->litellm.fallbacks.n, 1);
	cr_assert_str_eq(tc_cfg->litellm.fallbacks.v[0].group, "a");
	cr_assert_str_eq(tc_cfg->litellm.fallbacks.v[0].to.v[0], "b");
	cr_assert_eq(tc_cfg->litellm.default_fallbacks.n, 1);
	cr_assert_eq(tc_cfg->router.fallbacks.n, 4);
	cr_assert_eq(tc_cfg->router.fallbacks.v[0].to.n, 2);
	cr_assert_str_eq(tc_cfg->router.fallbacks.v[1].to.v[0], "a");
	cr_assert_eq(tc_cfg->router.fallbacks.v[2].to.n, 1);
	cr_assert_str_eq(tc_cfg->router.fallbacks.v[3].group, "*");
	cr_assert_eq(tc_cfg->router.context_window_fallbacks.n, 0);
}

/* r8: names that route nowhere are errors, each with file:line. */
Test(cfg, r8_unknown_groups_are_errors)
{
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  fallbacks: [{ghost: [m]}]\n"
	    "  context_window_fallbacks: [{m: [m, wraith]}]\n"
	    "  default_fallbacks: [m, spook]\n"
	    "  model_group_alias: {nick: phantom, ok: m}\n");
	TC_FAILED();
	TC_ERR("config.yaml:6:16: router_settings.fallbacks[0].ghost: model "
	    "group \"ghost\" is not in model_list");
	TC_ERR("config.yaml:7:38: router_settings.context_window_fallbacks[0]"
	    ".m[1]: model group \"wraith\" is not in model_list");
	TC_ERR("config.yaml:8:26: router_settings.default_fallbacks[1]: model "
	    "group \"spook\" is not in model_list");
	TC_ERR("config.yaml:9:29: router_settings.model_group_alias.nick: "
	    "model group \"phantom\" is not in model_list");
	cr_assert_eq(tc_ds.nerrors, 4, "%s", tc_dump());
	/* An alias, a wildcard group and "*" are names that route. */
	tc_load("model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params: {model: openai/m}\n"
	    "  - model_name: \"team/*\"\n"
	    "    litellm_params: {model: \"openai/*\"}\n"
	    "router_settings:\n"
	    "  model_group_alias: {nick: m}\n"
	    "  fallbacks: [{nick: [team/x]}, {\"*\": [nick]}]\n");
	TC_CLEAN();
}

/* r8: fallback chains that come back are found, with file:line. */
Test(cfg, r8_fallback_cycles)
{
	static const char groups[] =
	    "model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params: {model: openai/a}\n"
	    "  - model_name: b\n"
	    "    litellm_params: {model: openai/b}\n"
	    "  - model_name: c\n"
	    "    litellm_params: {model: openai/c}\n"
	    "  - model_name: d\n"
	    "    litellm_params: {model: openai/d}\n";
	char	 buf[2048];

	snprintf(buf, sizeof(buf), "%s"
	    "router_settings:\n"
	    "  fallbacks:\n"
	    "    - a: [d, b]\n"
	    "    - b: [c]\n"
	    "    - c: [d, a]\n", groups);
	tc_load(buf);
	TC_OK();
	TC_WARN("config.yaml:14:14: router_settings.fallbacks[2].c[1]: "
	    "fallback cycle a -> b -> c -> a; a request is never sent back to "
	    "a group it has tried");
	cr_assert_eq(tc_ds.nwarnings, 1, "%s", tc_dump());
	/* A group naming itself, a chain, and lists kept apart: none. */
	snprintf(buf, sizeof(buf), "%s"
	    "router_settings:\n"
	    "  fallbacks: [{a: [a, b]}, {b: [c]}, {c: [d]}]\n"
	    "  context_window_fallbacks: [{c: [a]}]\n"
	    "litellm_settings:\n"
	    "  fallbacks: [{d: [a]}]\n", groups);
	tc_load(buf);
	TC_CLEAN();
	/* Through an alias. */
	snprintf(buf, sizeof(buf), "%s"
	    "router_settings:\n"
	    "  model_group_alias: {back: a}\n"
	    "  content_policy_fallbacks: [{a: [b]}, {b: [back]}]\n", groups);
	tc_load(buf);
	TC_OK();
	TC_WARN("config.yaml:12:45: router_settings.content_policy_fallbacks"
	    "[1].b[0]: fallback cycle a -> b -> a; a request is never sent "
	    "back to a group it has tried");
}

/* r8: retry_policy's classes are LiteLLM's; another name is an error. */
Test(cfg, r8_retry_policy_classes)
{
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  retry_policy:\n"
	    "    BadRequestErrorRetries: 1\n"
	    "    AuthenticationErrorRetries: 0\n"
	    "    TimeoutErrorRetries: 2\n"
	    "    RateLimitErrorRetries: 3\n"
	    "    ContentPolicyViolationErrorRetries: 4\n"
	    "    InternalServerErrorRetries: 5\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->router.retry_policy.bad_request, 1);
	cr_assert_eq(tc_cfg->router.retry_policy.authentication, 0);
	cr_assert_eq(tc_cfg->router.retry_policy.timeout, 2);
	cr_assert_eq(tc_cfg->router.retry_policy.rate_limit, 3);
	cr_assert_eq(tc_cfg->router.retry_policy.content_policy, 4);
	cr_assert_eq(tc_cfg->router.retry_policy.internal_server, 5);
	tc_load(TC_ONE "router_settings:\n  retry_policy: {}\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->router.retry_policy.rate_limit, CFG_UNSET_INT);
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  retry_policy:\n"
	    "    NotFoundErrorRetries: 1\n"
	    "    RateLimitErrorRetries: -1\n");
	TC_FAILED();
	TC_ERR("config.yaml:7:5: router_settings.retry_policy."
	    "NotFoundErrorRetries: unknown error class; LiteLLM's are "
	    "BadRequestErrorRetries, AuthenticationErrorRetries, "
	    "TimeoutErrorRetries, RateLimitErrorRetries, "
	    "ContentPolicyViolationErrorRetries and "
	    "InternalServerErrorRetries");
	cr_assert_eq(tc_ds.nerrors, 2, "%s", tc_dump());
	tc_load(TC_ONE "router_settings:\n  retry_policy: [1]\n");
	TC_FAILED();
}

Test(cfg, fallback_errors)
{
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  fallbacks: [{m: [m], c: [d]}, \"x\", {}, {m: {k: v}}]\n"
	    "  content_policy_fallbacks: m\n"
	    "litellm_settings:\n"
	    "  fallbacks: [{m: [nowhere]}]\n");
	TC_FAILED();
	TC_ERR("config.yaml:6:15: router_settings.fallbacks[0]: Dictionary "
	    "{'m': ['m'], 'c': ['d']} must have exactly one key, but has 2 "
	    "keys");
	TC_ERR("config.yaml:6:33: router_settings.fallbacks[1]: expected a "
	    "one-key mapping {group: [fallbacks]}, got a string");
	TC_ERR("config.yaml:6:38: router_settings.fallbacks[2]: Dictionary {} "
	    "must have exactly one key, but has 0 keys");
	TC_ERR("config.yaml:6:46: router_settings.fallbacks[3].m: expected a "
	    "list of strings, got a mapping");
	TC_ERR("config.yaml:7:29: router_settings.content_policy_fallbacks: "
	    "expected a list of one-key mappings {group: [fallbacks]}, got a "
	    "string");
	TC_ERR("config.yaml:9:20: litellm_settings.fallbacks[0].m[0]: model "
	    "group \"nowhere\" is not in model_list");
	cr_assert_eq(tc_ds.nerrors, 6, "%s", tc_dump());
}

Test(cfg, model_group_alias)
{
	tc_load("model_list:\n"
	    "  - model_name: fake-3\n"
	    "    litellm_params: {model: openai/f}\n"
	    "router_settings:\n"
	    "  model_group_alias: {\"my-alias\": \"fake-3\", hid: {model: "
	    "fake-3, hidden: true}, vis: {model: fake-3, hidden: \"false\"}}\n"
	    "  fallbacks: [{my-alias: [fake-3]}]\n");
	TC_CLEAN();
	cr_assert_eq(tc_cfg->router.nalias, 3);
	cr_assert_str_eq(tc_cfg->router.alias[0].alias, "my-alias");
	cr_assert_str_eq(tc_cfg->router.alias[0].group, "fake-3");
	cr_assert_eq(tc_cfg->router.alias[0].hidden, 0);
	cr_assert_str_eq(tc_cfg->router.alias[1].alias, "hid");
	cr_assert_eq(tc_cfg->router.alias[1].hidden, 1);
	cr_assert_eq(tc_cfg->router.alias[2].hidden, 0);
}

Test(cfg, model_group_alias_errors)
{
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  model_group_alias:\n"
	    "    a: {hidden: yes}\n"
	    "    b: [x]\n"
	    "    c: {model: m, hidden: maybe, colour: red}\n"
	    "    d: {model: [m]}\n"
	    "    e: \"\"\n"
	    "    f: gone\n");
	TC_FAILED();
	TC_ERR("config.yaml:7:8: router_settings.model_group_alias.a: missing "
	    "required key \"model\"");
	TC_ERR("config.yaml:8:8: router_settings.model_group_alias.b: expected "
	    "a model group name or {model: group, hidden: true}, got a list");
	TC_ERR("config.yaml:9:27: router_settings.model_group_alias.c.hidden: "
	    "expected a boolean (true or false), got \"maybe\"");
	TC_WARN("config.yaml:9:34: router_settings.model_group_alias.c.colour: "
	    "unknown key, ignored");
	TC_ERR("config.yaml:10:16: router_settings.model_group_alias.d.model: "
	    "expected a string, got a list");
	TC_ERR("config.yaml:11:8: router_settings.model_group_alias.e: "
	    "expected a model group name");
	TC_ERR("config.yaml:12:8: router_settings.model_group_alias.f: model "
	    "group \"gone\" is not in model_list");
	tc_load(TC_ONE
	    "router_settings:\n"
	    "  model_group_alias:\n"
	    "    g: {model: ~}\n"
	    "    h: {model: m, hidden: os.environ/NO_HIDDEN_VAR}\n");
	TC_ERR("config.yaml:7:16: router_settings.model_group_alias.g.model: "
	    "expected a model group name");
	TC_ERR("config.yaml:8:27: router_settings.model_group_alias.h.hidden: "
	    "environment variable NO_HIDDEN_VAR is not set");
	cr_assert_eq(tc_ds.nerrors, 2, "%s", tc_dump());
	tc_load(TC_ONE "router_settings:\n  model_group_alias: [a]\n");
	TC_ERR("config.yaml:6:22: router_settings.model_group_alias: expected "
	    "a mapping of aliases to model groups, got a list");
}

/*
 * Unknown, ignored and unsupported keys.
 */

Test(cfg, unknown_keys_warn)
{
	tc_load("model_list:\n"
	    "  - model_name: m\n"
	    "    litellm_params:\n"
	    "      model: openai/m\n"
	    "    model_info:\n"
	    "      colour: blue\n"
	    "    flavour: x\n"
	    "litellm_settings:\n"
	    "  telemetry: False\n"
	    "  not_a_setting: 1\n"
	    "general_settings:\n"
	    "  master_keyy: sk-x\n"
	    "llmux_settings:\n"
	    "  workers: 2\n"
	    "model_list_with_extra_headers: []\n");
	TC_OK();
	TC_WARN("config.yaml:6:7: model_list[0].model_info.colour: unknown "
	    "key, ignored");
	TC_WARN("config.yaml:7:5: model_list[0].flavour: unknown key, "
	    "ignored");
	TC_WARN("config.yaml:10:3: litellm_settings.not_a_setting: unknown "
	    "key, ignored");
	TC_WARN("config.yaml:12:3: general_settings.master_keyy: unknown key, "
	    "ignored");
	TC_WARN("config.yaml:14:3: llmux_settings.workers: unknown key, "
	    "ignored");
	TC_WARN("config.yaml:15:1: model_list_with_extra_headers: unknown "
	    "key, ignored");
	cr_assert_eq(tc_ds.nwarnings, 6, "%s", tc_dump());
}

Test(cfg, unsupported_keys_warn_once)
{
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "    litellm_params: {model: openai/a}\n"
	    "    model_info: {access_groups: [g]}\n"
	    "  - model_name: b\n"
	    "    litellm_params: {model: openai/b}\n"
	    "    model_info: {access_groups: [g]}\n"
	    "litellm_settings:\n"
	    "  cache: true\n"
	    "  modify_params: false\n"
	    "  guardrails: []\n"
	    "  callbacks: custom_callbacks.my_custom_logger\n"
	    "  success_callback: [prometheus, langfuse]\n"
	    "general_settings:\n"
	    "  custom_auth: custom_auth.user_api_key_auth\n"
	    "  store_model_in_db: ~\n"
	    "guardrails:\n"
	    "  - guardrail_name: g\n"
	    "    litellm_params: {api_key: os.environ/UNSET_GUARD_KEY}\n"
	    "mcp_servers: {}\n");
	TC_OK();
	TC_WARN("config.yaml:4:18: model_list[0].model_info.access_groups: not "
	    "supported by llmux, ignored");
	TC_WARN("config.yaml:9:3: litellm_settings.cache: not supported by "
	    "llmux, ignored");
	TC_WARN("config.yaml:12:14: litellm_settings.callbacks[0]: callback "
	    "\"custom_callbacks.my_custom_logger\" is Python code, which llmux "
	    "cannot run; ignored");
	TC_WARN("config.yaml:13:34: litellm_settings.success_callback[1]: "
	    "callback \"langfuse\" is not supported by llmux, ignored");
	TC_WARN("config.yaml:15:3: general_settings.custom_auth: not supported "
	    "by llmux, ignored");
	TC_WARN("config.yaml:17:1: guardrails: not supported by llmux, "
	    "ignored");
	cr_assert_eq(tc_ds.nwarnings, 6, "%s", tc_dump());
	/* A bare string where a list is expected is a list of one. */
	cr_assert_eq(tc_cfg->litellm.callbacks.n, 1);
	cr_assert_str_eq(tc_cfg->litellm.callbacks.v[0],
	    "custom_callbacks.my_custom_logger");
}

/*
 * The file itself.
 */

Test(cfg, file_level_errors)
{
	tc_load("model_list:\n"
	    "  - model_name: a\n"
	    "   litellm_params: x\n");
	TC_FAILED();
	cr_assert_eq(tc_ds.nerrors, 1);
	cr_assert_str_eq(tc_ds.head->text, "config.yaml:3:4: did not find "
	    "expected '-' indicator (while parsing a block collection at line "
	    "2, column 3)");
	tc_load("a: [1, 2\nb: 3\n");
	TC_ERR("config.yaml:2:2: did not find expected ',' or ']' (while "
	    "parsing a flow sequence at line 1, column 4)");
	tc_load("a: \"unterminated\n");
	cr_assert_eq(tc_count("config.yaml:2:1: found unexpected end of "
	    "stream"), 1, "%s", tc_dump());
	tc_load("a: b: c\n");
	TC_ERR("config.yaml:1:5: mapping values are not allowed in this "
	    "context");
	tc_load("- a\n- b\n");
	TC_ERR("config.yaml:1:1: the top level must be a mapping of sections, "
	    "got a list");
	tc_load("just text\n");
	TC_ERR("config.yaml:1:1: the top level must be a mapping of sections, "
	    "got a string");
	tc_load("");
	TC_ERR("config.yaml: the file is empty");
	tc_load("# only a comment\n");
	TC_ERR("config.yaml: the file is empty");
	tc_load("a: 1\n---\nb: 2\n");
	TC_ERR("config.yaml:2:1: a second YAML document; the configuration "
	    "must be one document");
	/* An encoding error is placed too (é is one column). */
	tc_load("a: b\n"
	    "c: \"\xc3\xa9\xff\"\n");
	TC_ERR("config.yaml:2:6: invalid leading UTF-8 octet (byte 0xFF)");
	cr_assert_eq(tc_ds.nerrors, 1, "%s", tc_dump());
	tc_loadf("no-such-file.yaml");
	TC_FAILED();
	TC_ERR("no-such-file.yaml: cannot read: No such file or directory");
}

Test(cfg, warnings_alone_do_not_fail)
{
	tc_load(TC_ONE "whatever: 1\n");
	TC_OK();
	cr_assert_eq(tc_ds.nerrors, 0);
	cr_assert_eq(tc_ds.nwarnings, 1);
	cr_assert_eq(tc_ds.head->error, 0);
}

Test(cfg, diags_accumulate_across_loads)
{
	struct cfg_diags	 ds;
	struct cfg		*c;

	tc_put("config.yaml", "x: 1\n");
	cfg_diags_init(&ds);
	c = cfg_load("config.yaml", &ds);
	cfg_free(c);
	c = cfg_load("config.yaml", &ds);
	cfg_free(c);
	cr_assert_eq(ds.nwarnings, 2);
	cr_assert_not_null(ds.head);
	cr_assert_not_null(ds.head->next);
	cr_assert_null(ds.head->next->next);
	cr_assert_eq(ds.tail, &ds.head->next->next);
	cfg_diags_free(&ds);
	cr_assert_null(ds.head);
	cfg_free(NULL);
}

/*
 * The key table and the man page.
 */

Test(cfg, keydocs)
{
	const struct cfg_keydoc	*k;
	size_t			 n = 0;
	int			 seen = 0;

	cr_assert_not_null(k = cfg_keydocs());
	for (; k->path != NULL; k++, n++) {
		cr_assert_not_null(k->type, "%s", k->path);
		cr_assert_not_null(k->doc, "%s", k->path);
		cr_assert_eq(k->doc[strlen(k->doc) - 1], '.', "%s", k->path);
		cr_assert_str_eq(k->path, cfg_keys[n].path);
		if (strcmp(k->path, "router_settings.routing_strategy") == 0) {
			cr_assert_str_eq(k->def, "simple-shuffle");
			cr_assert_str_eq(k->type, "enum");
			seen = 1;
		}
	}
	cr_assert(seen);
	cr_assert_null(cfg_keys[n].path);
	cr_assert_gt(n, 200);
	cr_assert_eq(cfg_keydocs(), cfg_keydocs());
}

Test(cfg, key_table_is_sound)
{
	const struct cfg_key	*k, *j;
	const char		*dot;
	size_t			 plen;

	for (k = cfg_keys; k->path != NULL; k++) {
		/* Unique paths, every parent a section or list above. */
		for (j = cfg_keys; j < k; j++)
			cr_assert_str_neq(j->path, k->path);
		if ((dot = strrchr(k->path, '.')) == NULL)
			continue;
		plen = (size_t)(dot - k->path);
		if (plen > 2 && strncmp(dot - 2, "[]", 2) == 0)
			plen -= 2;
		for (j = cfg_keys; j < k; j++)
			if (strlen(j->path) == plen &&
			    strncmp(j->path, k->path, plen) == 0)
				break;
		cr_assert_lt(j, k, "%s: no parent row before it", k->path);
		cr_assert(j->type == CFG_T_SECTION || j->type == CFG_T_LIST,
		    "%s: parent %s is not a section or list", k->path,
		    j->path);
		if (k->type == CFG_T_ENUM)
			cr_assert_not_null(k->enums, "%s", k->path);
		if (k->flags & CFG_IGNORED)
			cr_assert_eq(k->type, CFG_T_ANY, "%s", k->path);
	}
}

/* The generated key sections must be in man/llmux.yaml.5 as they are. */
Test(cfg, man_page_lists_every_key)
{
	const struct cfg_key	*k;
	char			*gen = NULL, *man, line[256];
	size_t			 genlen = 0, n;
	FILE			*fp;
	long			 len;

	cr_assert_eq(chdir(tc_top), 0);
	fp = fopen("man/llmux.yaml.5", "r");
	cr_assert_not_null(fp, "man/llmux.yaml.5: %s (run from the top of "
	    "the tree)", strerror(errno));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	cr_assert_not_null(man = calloc(1, len + 1));
	n = fread(man, 1, len, fp);
	fclose(fp);
	man[n] = '\0';
	for (k = cfg_keys; k->path != NULL; k++) {
		snprintf(line, sizeof(line), "\n.It Ic %s ",
		    strrchr(k->path, '.') != NULL ? strrchr(k->path, '.') + 1 :
		    k->path);
		cr_assert_not_null(strstr(man, line), "%s is not in "
		    "man/llmux.yaml.5; run man/gen-yaml5.sh", k->path);
	}
	cr_assert_not_null(fp = open_memstream(&gen, &genlen));
	cr_assert_eq(cfg_keys_mdoc(fp), LX_OK);
	fclose(fp);
	cr_assert_not_null(strstr(man, gen), "man/llmux.yaml.5 differs from "
	    "the key table; run man/gen-yaml5.sh");
	free(gen);
	free(man);
}

/*
 * Every reference config loads without error: LiteLLM's own and the seed
 * ones, with a dummy value for each os.environ/ variable they name.
 */

static void
tc_ref_env(const char *file)
{
	char	 line[512], *eq, *v, *e;
	FILE	*fp;

	if ((fp = fopen(file, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "export ", 7) != 0 ||
		    (eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		v = eq + 1;
		if (*v == '\'' && (e = strrchr(v + 1, '\'')) != NULL) {
			v++;
			*e = '\0';
		}
		setenv(line + 7, v, 1);
	}
	fclose(fp);
}

/* Variables env.sh does not cover (the seed configs name a few). */
static void
tc_ref_placeholders(const char *file)
{
	char	 buf[65536], name[128], *p;
	size_t	 n, i;
	FILE	*fp;

	if ((fp = fopen(file, "r")) == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "os.environ/")) != NULL;) {
		p += 11;
		for (i = 0; i < sizeof(name) - 1 && (p[i] == '_' ||
		    (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' &&
		    p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')); i++)
			name[i] = p[i];
		name[i] = '\0';
		if (i > 0 && getenv(name) == NULL)
			setenv(name, "placeholder", 1);
	}
}

Test(cfg, reference_configs)
{
	const char	*ref = getenv("LLMUX_REF_DIR");
	char		 dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent	*de;
	DIR		*dp;
	int		 nfiles = 0, bad = 0;
	size_t		 len;

	cr_assert_eq(chdir(tc_top), 0);
	if (ref == NULL || *ref == '\0')
		ref = "../shared/reference";
	snprintf(dir, sizeof(dir), "%s/configs/litellm", ref);
	if (chdir(dir) != 0)
		cr_skip_test("no reference configs in %s", dir);
	tc_ref_env("env.sh");
	cr_assert_not_null(dp = opendir("."));
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if ((len < 5 || strcmp(de->d_name + len - 5, ".yaml") != 0) &&
		    (len < 4 || strcmp(de->d_name + len - 4, ".yml") != 0))
			continue;
		nfiles++;
		tc_loadf(de->d_name);
		if (tc_cfg == NULL) {
			bad++;
			cr_log_error("%s:\n%s", de->d_name, tc_dump());
		}
	}
	closedir(dp);
	cr_assert_gt(nfiles, 70);
	cr_assert_not_null(dp = opendir(".."));
	while ((de = readdir(dp)) != NULL) {
		if (strncmp(de->d_name, "seed-", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "../%s", de->d_name);
		tc_ref_placeholders(path);
		nfiles++;
		tc_loadf(path);
		if (tc_cfg == NULL) {
			bad++;
			cr_log_error("%s:\n%s", path, tc_dump());
		}
	}
	closedir(dp);
	cr_assert_eq(bad, 0, "%d of %d reference configs fail", bad, nfiles);
}

/*
 * r15: loading was quadratic in the size of a mapping, of model_list, of
 * environment_variables and in the number of anchors.  cfg_steps counts
 * the loader's lookups (hash probes, key comparisons); eight times the
 * config must cost well under 64 times the steps, and at least one step
 * per item shows that the lookups are counted at all.
 */
enum tc_shape { TC_DEPLOYS, TC_ENVS, TC_KEYS, TC_ANCHORS };

static unsigned long
tc_steps(enum tc_shape shape, int n)
{
	unsigned long	 before;
	FILE		*fp;
	int		 i;

	cr_assert_not_null(fp = fopen("config.yaml", "w"));
	switch (shape) {
	case TC_DEPLOYS:
		fputs("model_list:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "  - model_name: m%d\n"
			    "    litellm_params:\n"
			    "      model: openai/gpt-%d\n"
			    "      api_key: sk-x\n", i % (n / 2), i);
		/* One long cycle: each group falls back to the next. */
		fputs("router_settings:\n  fallbacks:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "    - m%d: [m%d]\n", i % (n / 2),
			    (i + 1) % (n / 2));
		break;
	case TC_ENVS:
		fputs("environment_variables:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "  TC_STEPS_%d_%d: v%d\n", n, i, i);
		fputs("model_list:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "  - model_name: m%d\n"
			    "    litellm_params:\n"
			    "      model: openai/gpt\n"
			    "      api_key: os.environ/TC_STEPS_%d_%d\n", i, n,
			    i);
		break;
	case TC_KEYS:
		fputs(TC_ONE, fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "      k%d: %d\n", i, i);
		fputs("litellm_settings:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "  k%d: %d\n", i, i);
		break;
	case TC_ANCHORS:
		fputs(TC_ONE "      extra_body:\n        defs:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "          - &a%d v%d\n", i, i);
		fputs("        refs:\n", fp);
		for (i = 0; i < n; i++)
			fprintf(fp, "          - *a%d\n", i);
		break;
	}
	cr_assert_eq(fclose(fp), 0);
	before = cfg_steps;
	tc_loadf("config.yaml");
	TC_OK();
	return (cfg_steps - before);
}

static void
tc_linear(enum tc_shape shape, const char *what)
{
	unsigned long	 s1, s8;

	s1 = tc_steps(shape, 1000);
	s8 = tc_steps(shape, 8000);
	cr_assert_geq(s1, 1000, "%s: %lu steps for 1000", what, s1);
	cr_assert_lt(s8, 16 * s1, "%s: %lu steps for 1000, %lu for 8000",
	    what, s1, s8);
}

Test(cfg, r15_load_is_linear_in_deployments)
{
	tc_linear(TC_DEPLOYS, "deployments");
}

Test(cfg, r15_load_is_linear_in_environment_variables)
{
	tc_linear(TC_ENVS, "environment_variables");
}

Test(cfg, r15_load_is_linear_in_keys)
{
	tc_linear(TC_KEYS, "keys");
}

Test(cfg, r15_load_is_linear_in_anchors)
{
	tc_linear(TC_ANCHORS, "anchors");
}

/*
 * r14: keys read once at start keep their running value on reload, with
 * a warning that never shows a secret or a value from the environment;
 * other keys change.
 */
Test(cfg, r14_reload_keeps_restart_keys)
{
	struct cfg	*old;
	struct cfg_diag	*d;
	int		 n;

	setenv("DBURL", "postgresql://u:SECRETPW@db/x", 1);
	tc_load("general_settings:\n"
	    "  database_url: os.environ/DBURL\n"
	    "llmux_settings:\n"
	    "  num_workers: 2\n"
	    "  state_dir: /var/lib/llmux\n"
	    "  log_level: info\n");
	TC_CLEAN();
	old = tc_cfg;
	tc_cfg = NULL;
	tc_load("general_settings:\n"
	    "  database_url: postgresql://u:OTHERPW@db/y\n"
	    "llmux_settings:\n"
	    "  num_workers: 4\n"
	    "  state_dir: /tmp/elsewhere\n"
	    "  log_level: debug\n"
	    "  log_format: json\n");
	TC_CLEAN();
	n = cfg_reload_check(old, tc_cfg, &tc_ds);
	cr_assert_eq(n, 4, "%d\n%s", n, tc_dump());
	TC_WARN("config.yaml:2:17: general_settings.database_url: cannot "
	    "change on reload; keeps its running value until restart");
	TC_WARN("config.yaml:5:14: llmux_settings.state_dir: cannot change "
	    "on reload; keeps \"/var/lib/llmux\" until restart");
	TC_WARN("config.yaml:6:14: llmux_settings.log_level: cannot change "
	    "on reload; keeps \"info\" until restart");
	TC_WARN("config.yaml:7:15: llmux_settings.log_format: cannot change "
	    "on reload; keeps \"text\" until restart");
	for (d = tc_ds.head; d != NULL; d = d->next)
		cr_assert(strstr(d->text, "PW") == NULL, "%s", tc_dump());
	/* Freeing the old generation first must not matter. */
	cfg_free(old);
	cr_assert_str_eq(tc_cfg->general.database_url,
	    "postgresql://u:SECRETPW@db/x");
	cr_assert_str_eq(tc_cfg->llmux.state_dir, "/var/lib/llmux");
	cr_assert_str_eq(tc_cfg->llmux.log_level, "info");
	cr_assert_str_eq(tc_cfg->llmux.log_format, "text");
	cr_assert_eq(tc_cfg->llmux.num_workers, 4);

	/* A second reload: the kept database URL is still not shown. */
	old = tc_cfg;
	tc_cfg = NULL;
	cfg_diags_free(&tc_ds);
	cfg_diags_init(&tc_ds);
	tc_load("general_settings:\n"
	    "  database_url: postgresql://u:THIRDPW@db/z\n");
	TC_CLEAN();
	cr_assert_eq(cfg_reload_check(old, tc_cfg, &tc_ds), 2, "%s",
	    tc_dump());
	TC_WARN("config.yaml:2:17: general_settings.database_url: cannot "
	    "change on reload; keeps its running value until restart");
	TC_WARN("config.yaml: llmux_settings.state_dir: cannot change on "
	    "reload; keeps \"/var/lib/llmux\" until restart");
	cfg_free(old);
	cr_assert_eq(tc_count("PW"), 0, "%s", tc_dump());
	/* The same file again: nothing to say. */
	old = tc_cfg;
	tc_cfg = NULL;
	tc_load("general_settings:\n"
	    "  database_url: postgresql://u:SECRETPW@db/x\n"
	    "llmux_settings:\n"
	    "  state_dir: /var/lib/llmux\n");
	TC_CLEAN();
	cr_assert_eq(cfg_reload_check(old, tc_cfg, &tc_ds), 0, "%s",
	    tc_dump());
	cfg_free(old);
}

/* r14: the man page says which keys wait for a restart. */
Test(cfg, r14_man_page_marks_restart_keys)
{
	const struct cfg_keydoc	*kd;
	FILE			*fp;
	char			*page = NULL, *p;
	size_t			 len = 0;
	int			 n = 0, m;

	for (kd = cfg_keydocs(); kd->path != NULL; kd++)
		if (kd->restart) {
			n++;
			cr_assert(strcmp(kd->path, "llmux_settings.num_workers")
			    != 0, "num_workers takes effect on reload");
		}
	cr_assert_geq(n, 4);
	/* Each of them, and only they, say so in the page. */
	cr_assert_not_null(fp = open_memstream(&page, &len));
	cr_assert_eq(cfg_keys_mdoc(fp), LX_OK);
	cr_assert_eq(fclose(fp), 0);
	for (p = page, m = 0; (p = strstr(p, "takes effect on restart")) !=
	    NULL; p++)
		m++;
	free(page);
	cr_assert_eq(m, n, "%d rows, %d sentences", n, m);
}
