/*
 * master.c: the master process.
 *
 * The master owns the listening socket and the config generations.  It
 * forks num_workers workers that inherit the socket (one socket for all:
 * per-worker SO_REUSEPORT sockets drop the connections queued on a socket
 * when its worker exits, which a reload must not do).  It does no request
 * work and no libevent: a ppoll() loop with signals blocked outside it,
 * so a forked worker inherits no event state.
 *
 * Generations: every worker belongs to the generation it was forked for.
 * SIGHUP loads the config again; if it has any error the old generation
 * keeps serving.  Otherwise generation g+1 is forked, and once each of its
 * workers has said READY, generation g is told to drain.  A worker of the
 * current generation that dies is respawned, with a backoff that grows
 * while workers keep dying.  SIGTERM drains every worker and exits 0;
 * SIGINT stops them at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "cfg.h"
#include "log.h"
#include "master.h"
#include "worker.h"

#define MST_MAXCHILD	256

struct mst_child {
	pid_t		 pid;		/* 0: slot free */
	int		 ctl;		/* socketpair end, -1 when closed */
	unsigned	 gen;
	int		 ready;
	int		 draining;
	int		 slot;		/* worker index within its generation */
	struct cfg	*cfg;
};

struct mst {
	const struct mst_opts	*o;
	int			 lfd;
	unsigned		 gen;
	int			 nworkers;
	struct cfg		*cfg;		/* current generation's */
	struct cfg		*old[8];	/* configs of draining generations */
	struct cfg		*boot;		/* main's: main frees it */
	struct mst_child	 ch[MST_MAXCHILD];
	int			 respawn[MST_MAXCHILD];	/* slots to refork */
	double			 respawn_at;
	int			 fails;		/* recent deaths, for backoff */
	double			 last_fail;
	int			 stopping;
	double			 kill_at;	/* SIGKILL stragglers then */
	int			 pending_gen;	/* new generation not all ready */
};

static volatile sig_atomic_t	mst_sig_chld, mst_sig_term, mst_sig_int,
				mst_sig_hup;

static void
mst_on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD:	mst_sig_chld = 1; break;
	case SIGTERM:	mst_sig_term = 1; break;
	case SIGINT:	mst_sig_int = 1; break;
	case SIGHUP:	mst_sig_hup = 1; break;
	}
}

static double
mst_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int
mst_listen(const char *host, int port)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 ps[16];
	int		 fd = -1, on = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		fatal("cannot resolve %s: %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 4096) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		fatal("cannot listen on %s:%d: %s", host, port,
		    strerror(errno));
	return (fd);
}

static int
mst_spawn(struct mst *m, int slot, unsigned gen, struct cfg *cfg)
{
	struct mst_child	*c = NULL;
	int			 sp[2], i;
	pid_t			 pid;
	sigset_t		 none;

	for (i = 0; i < MST_MAXCHILD; i++)
		if (m->ch[i].pid == 0) {
			c = &m->ch[i];
			break;
		}
	if (c == NULL) {
		log_err("too many child processes");
		return (LX_ERR);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		log_err("socketpair: %s", strerror(errno));
		return (LX_ERR);
	}
	if ((pid = fork()) < 0) {
		log_err("fork: %s", strerror(errno));
		close(sp[0]);
		close(sp[1]);
		return (LX_ERR);
	}
	if (pid == 0) {
		close(sp[0]);
		/* Close the master's ends to other workers. */
		for (i = 0; i < MST_MAXCHILD; i++)
			if (m->ch[i].pid != 0 && m->ch[i].ctl >= 0)
				close(m->ch[i].ctl);
		signal(SIGCHLD, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		wrk_main(cfg, m->lfd, sp[1], gen);
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	memset(c, 0, sizeof(*c));
	c->pid = pid;
	c->ctl = sp[0];
	c->gen = gen;
	c->slot = slot;
	c->cfg = cfg;
	return (LX_OK);
}

static int
mst_count(const struct mst *m, unsigned gen, int only_ready)
{
	int	i, n = 0;

	for (i = 0; i < MST_MAXCHILD; i++)
		if (m->ch[i].pid != 0 && m->ch[i].gen == gen &&
		    (!only_ready || m->ch[i].ready))
			n++;
	return (n);
}

static void
mst_kill_all(struct mst *m, int sig)
{
	int	i;

	for (i = 0; i < MST_MAXCHILD; i++)
		if (m->ch[i].pid != 0)
			kill(m->ch[i].pid, sig);
}

/* Tell every worker of generations older than gen to drain. */
static void
mst_drain_old(struct mst *m, unsigned gen)
{
	int	i;

	for (i = 0; i < MST_MAXCHILD; i++) {
		struct mst_child *c = &m->ch[i];

		if (c->pid != 0 && c->gen < gen && !c->draining) {
			kill(c->pid, SIGTERM);
			c->draining = 1;
		}
	}
}

static void
mst_reap(struct mst *m)
{
	struct mst_child	*c;
	pid_t			 pid;
	int			 st, i;
	double			 now = mst_now(), delay;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (c = NULL, i = 0; i < MST_MAXCHILD; i++)
			if (m->ch[i].pid == pid) {
				c = &m->ch[i];
				break;
			}
		if (c == NULL)
			continue;
		if (c->ctl >= 0)
			close(c->ctl);
		c->pid = 0;
		c->ctl = -1;
		if (m->stopping || c->draining || c->gen != m->gen) {
			log_debug("worker %d exited", (int)pid);
			continue;
		}
		if (WIFSIGNALED(st))
			log_err("worker %d killed by signal %d; respawning",
			    (int)pid, WTERMSIG(st));
		else
			log_err("worker %d exited with status %d; respawning",
			    (int)pid, WEXITSTATUS(st));
		/* Backoff: 0.1 s doubling per death within 10 s, up to 5 s. */
		if (now - m->last_fail > 10)
			m->fails = 0;
		m->fails++;
		m->last_fail = now;
		delay = 0.1 * (double)(1 << (m->fails > 6 ? 6 : m->fails - 1));
		if (delay > 5)
			delay = 5;
		m->respawn[c->slot] = 1;
		if (m->respawn_at == 0 || now + delay < m->respawn_at)
			m->respawn_at = now + delay;
	}
}

static void
mst_reload(struct mst *m)
{
	struct cfg_diags	 d;
	struct cfg_diag		*e;
	struct cfg		*nc;
	unsigned		 gen;
	int			 i;

	log_info("SIGHUP: reloading %s", m->o->config);
	cfg_diags_init(&d);
	nc = cfg_load(m->o->config, &d);
	for (e = d.head; e != NULL; e = e->next)
		log_msg(e->error ? LOG_LVL_ERROR : LOG_LVL_WARN, NULL, "%s",
		    e->text);
	cfg_diags_free(&d);
	if (nc == NULL) {
		log_err("reload failed: keeping the running configuration");
		return;
	}
	for (i = 0; i < (int)LX_NELEM(m->old); i++)
		if (m->old[i] == NULL) {
			m->old[i] = m->cfg;
			break;
		}
	if (i == (int)LX_NELEM(m->old)) {
		/* Too many reloads in flight: refuse rather than leak. */
		log_err("reload refused: previous generations still draining");
		cfg_free(nc);
		return;
	}
	m->cfg = nc;
	gen = ++m->gen;
	m->pending_gen = 1;
	for (i = 0; i < m->nworkers; i++)
		if (mst_spawn(m, i, gen, nc) != LX_OK)
			log_err("cannot fork worker %d of generation %u", i,
			    gen);
}

static void
mst_read_ctl(struct mst *m, struct mst_child *c)
{
	char	buf[64];
	ssize_t	n, i;

	while ((n = read(c->ctl, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			if (buf[i] == 'R' && !c->ready) {
				c->ready = 1;
				log_debug("worker %d ready", (int)c->pid);
			}
	if (n == 0) {
		close(c->ctl);
		c->ctl = -1;
	}
}

/* Free configs no worker uses any more. */
static void
mst_gc(struct mst *m)
{
	size_t	j;
	int	i, used;

	for (j = 0; j < LX_NELEM(m->old); j++) {
		if (m->old[j] == NULL)
			continue;
		for (used = 0, i = 0; i < MST_MAXCHILD; i++)
			if (m->ch[i].pid != 0 && m->ch[i].cfg == m->old[j])
				used = 1;
		if (!used) {
			if (m->old[j] != m->boot)
				cfg_free(m->old[j]);
			m->old[j] = NULL;
		}
	}
}

/*
 * Each client in flight holds two descriptors (client and upstream): a
 * soft limit of 1024, common by default, would cap a worker near 500
 * calls.  Raise it to the hard limit, as nginx's worker_rlimit_nofile.
 */
static void
mst_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		log_warn("cannot raise the open files limit: %s",
		    strerror(errno));
}

int
mst_run(struct cfg *cfg, const struct mst_opts *o)
{
	static struct mst	 mst;
	struct mst		*m = &mst;
	struct sigaction	 sa;
	struct pollfd		 pfd[MST_MAXCHILD];
	struct mst_child	*pc[MST_MAXCHILD];
	struct timespec		 ts;
	sigset_t		 block, empty;
	double			 now, wait;
	int			 i, n;
	long			 ncpu;

	m->o = o;
	m->cfg = cfg;
	m->boot = cfg;
	m->gen = 1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	m->nworkers = o->workers > 0 ? o->workers :
	    cfg->llmux.num_workers > 0 ? (int)cfg->llmux.num_workers :
	    ncpu > 0 ? (int)ncpu : 1;
	if (m->nworkers > MST_MAXCHILD / 2)
		m->nworkers = MST_MAXCHILD / 2;
	m->lfd = mst_listen(o->host, o->port);
	mst_raise_nofile();

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mst_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_info("llmux %s listening on %s:%d with %d workers", LLMUX_VERSION,
	    o->host, o->port, m->nworkers);
	for (i = 0; i < m->nworkers; i++)
		if (mst_spawn(m, i, m->gen, cfg) != LX_OK)
			fatal("cannot fork the workers");

	for (;;) {
		now = mst_now();
		wait = 1.0;
		if (m->respawn_at > 0 && m->respawn_at - now < wait)
			wait = m->respawn_at - now;
		if (m->kill_at > 0 && m->kill_at - now < wait)
			wait = m->kill_at - now;
		if (wait < 0)
			wait = 0;
		ts.tv_sec = (time_t)wait;
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
		for (n = 0, i = 0; i < MST_MAXCHILD; i++)
			if (m->ch[i].pid != 0 && m->ch[i].ctl >= 0) {
				pfd[n].fd = m->ch[i].ctl;
				pfd[n].events = POLLIN;
				pc[n++] = &m->ch[i];
			}
		if (ppoll(pfd, (nfds_t)n, &ts, &empty) > 0)
			for (i = 0; i < n; i++)
				if (pfd[i].revents != 0)
					mst_read_ctl(m, pc[i]);
		if (mst_sig_chld) {
			mst_sig_chld = 0;
			mst_reap(m);
			mst_gc(m);
		}
		if (mst_sig_int) {
			mst_sig_int = 0;
			log_info("SIGINT: stopping now");
			mst_kill_all(m, SIGINT);
			m->stopping = 1;
			m->kill_at = mst_now() + 2;
		}
		if (mst_sig_term) {
			mst_sig_term = 0;
			if (!m->stopping) {
				log_info("SIGTERM: draining");
				m->stopping = 1;
				mst_kill_all(m, SIGTERM);
				m->kill_at = mst_now() +
				    m->cfg->llmux.drain_timeout + 5;
			}
		}
		if (mst_sig_hup) {
			mst_sig_hup = 0;
			if (!m->stopping)
				mst_reload(m);
		}
		if (m->pending_gen &&
		    mst_count(m, m->gen, 1) == m->nworkers) {
			m->pending_gen = 0;
			log_info("generation %u ready; draining the previous "
			    "one", m->gen);
			mst_drain_old(m, m->gen);
		}
		now = mst_now();
		if (m->stopping) {
			for (n = 0, i = 0; i < MST_MAXCHILD; i++)
				n += m->ch[i].pid != 0;
			if (n == 0)
				break;
			if (m->kill_at > 0 && now >= m->kill_at) {
				log_warn("workers still running: SIGKILL");
				mst_kill_all(m, SIGKILL);
				m->kill_at = now + 1;
			}
			continue;
		}
		if (m->respawn_at > 0 && now >= m->respawn_at) {
			m->respawn_at = 0;
			for (i = 0; i < m->nworkers; i++)
				if (m->respawn[i]) {
					m->respawn[i] = 0;
					if (mst_spawn(m, i, m->gen, m->cfg) !=
					    LX_OK)
						m->respawn_at = now + 1;
				}
		}
	}
	close(m->lfd);
	for (i = 0; i < (int)LX_NELEM(m->old); i++)
		if (m->old[i] != NULL && m->old[i] != cfg)
			cfg_free(m->old[i]);
	if (m->cfg != cfg)
		cfg_free(m->cfg);
	log_info("exiting");
	return (0);
}
