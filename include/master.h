/*
 * master.h: the master process (master.c): binds the listening socket,
 * forks and watches the workers, reloads and drains.
 */
#ifndef MASTER_H
#define MASTER_H

#include "llmux.h"

struct mst_opts {
	const char	*config;	/* path given with --config */
	const char	*host;
	int		 port;
	int		 workers;	/* 0: from the config or CPU count */
};

/* Run until SIGTERM/SIGINT; returns the process exit status. */
int	mst_run(struct cfg *, const struct mst_opts *);

#endif
