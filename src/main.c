/*
 * main.c: the command line, named as LiteLLM's so existing start scripts
 * keep working, then hand-over to the master.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cfg.h"
#include "log.h"
#include "master.h"

#define MAIN_DEFAULT_CONFIG	"/etc/llmux/config.yaml"

static void
main_usage(FILE *f)
{
	fprintf(f,
"usage: llmux [-t] [-c file] [--host addr] [--port n] [-w n]\n"
"  -c, --config FILE      config.yaml to load (default " MAIN_DEFAULT_CONFIG
",\n"
"                         or $CONFIG_FILE_PATH)\n"
"      --host ADDR        address to listen on (default 0.0.0.0)\n"
"  -p, --port N           port to listen on (default 4000, or $PORT)\n"
"  -w, --num_workers N    worker processes (default: number of CPUs)\n"
"  -t, --test             check the config, print every error, and exit\n"
"      --debug, --detailed_debug   log at debug level\n"
"  -v, --version          print the version and exit\n"
"  -h, --help             this text\n");
}

static int
main_number(const char *s, const char *what)
{
	char	*end;
	long	 v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) {
		fprintf(stderr, "llmux: %s: not a valid number: %s\n", what, s);
		exit(1);
	}
	return ((int)v);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",		required_argument, NULL, 'c' },
		{ "host",		required_argument, NULL, 'H' },
		{ "port",		required_argument, NULL, 'p' },
		{ "num_workers",	required_argument, NULL, 'w' },
		{ "test",		no_argument,	   NULL, 't' },
		{ "debug",		no_argument,	   NULL, 'd' },
		{ "detailed_debug",	no_argument,	   NULL, 'd' },
		{ "version",		no_argument,	   NULL, 'v' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct mst_opts		 o;
	struct cfg_diags	 d;
	struct cfg_diag		*e;
	struct cfg		*cfg;
	const char		*env;
	int			 ch, test = 0, debug = 0, rc;

	memset(&o, 0, sizeof(o));
	o.config = (env = getenv("CONFIG_FILE_PATH")) != NULL && *env ?
	    env : MAIN_DEFAULT_CONFIG;
	o.host = (env = getenv("HOST")) != NULL && *env ? env : "0.0.0.0";
	o.port = (env = getenv("PORT")) != NULL && *env ?
	    main_number(env, "PORT") : 4000;
	if ((env = getenv("NUM_WORKERS")) != NULL && *env)
		o.workers = main_number(env, "NUM_WORKERS");

	while ((ch = getopt_long(argc, argv, "c:H:p:w:tdvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			o.port = main_number(optarg, "--port");
			break;
		case 'w':
			o.workers = main_number(optarg, "--num_workers");
			break;
		case 't':
			test = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'v':
			printf("llmux %s\n", LLMUX_VERSION);
			return (0);
		case 'h':
			main_usage(stdout);
			return (0);
		default:
			main_usage(stderr);
			return (1);
		}
	}
	if (optind != argc) {
		main_usage(stderr);
		return (1);
	}

	log_init("master", debug ? "debug" : NULL, NULL);
	cfg_diags_init(&d);
	cfg = cfg_load(o.config, &d);
	for (e = d.head; e != NULL; e = e->next)
		fprintf(stderr, "%s: %s\n", e->error ? "error" : "warning",
		    e->text);
	if (test) {
		if (cfg != NULL)
			printf("configuration OK\n");
		else
			fprintf(stderr, "llmux: %s: %d error%s\n", o.config,
			    d.nerrors, d.nerrors == 1 ? "" : "s");
		cfg_diags_free(&d);
		cfg_free(cfg);
		return (cfg != NULL ? 0 : 1);
	}
	cfg_diags_free(&d);
	if (cfg == NULL) {
		fprintf(stderr, "llmux: %s: configuration has errors, not "
		    "starting\n", o.config);
		return (1);
	}
	log_init(NULL, debug ? "debug" : cfg->llmux.log_level,
	    cfg->litellm.json_logs ? "json" : cfg->llmux.log_format);
	if (cfg->llmux.log_file != NULL &&
	    log_reopen(cfg->llmux.log_file) != LX_OK) {
		fprintf(stderr, "llmux: cannot open log_file %s: %s\n",
		    cfg->llmux.log_file, strerror(errno));
		cfg_free(cfg);
		return (1);
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "llmux: cannot initialise libcurl\n");
		cfg_free(cfg);
		return (1);
	}
	/* The master owns cfg from here: it is generation 1. */
	rc = mst_run(cfg, &o);
	curl_global_cleanup();
	return (rc);
}
