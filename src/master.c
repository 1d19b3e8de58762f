/*
 * master.c: the master process.
 *
 * The master owns the listening socket, the config generations and the
 * process table.  It forks num_workers workers that inherit the socket
 * (one socket for all: per-worker SO_REUSEPORT sockets drop the
 * connections queued on a socket when its worker exits, which a reload
 * must not do).  It does no request work and no libevent: a ppoll() loop
 * with signals blocked outside it, so a forked child inherits no event
 * state.
 *
 * Process table: every child has a role (mst_roles[]: the workers, and
 * the accounting process, whose row has no body yet), a slot within its
 * role and the generation it was forked for.  A child that dies is
 * respawned in the same role and slot while its generation is current,
 * with a backoff that grows while children keep dying.  Children talk to
 * the master in framed messages (mst_msg_send) on a SOCK_SEQPACKET
 * socketpair; its EOF tells a child the master is gone.  To add a role:
 * a row in mst_roles[] with how many children a generation wants and the
 * function a child runs.
 *
 * Generations: a generation owns its struct cfg and counts the children
 * forked for it; it is freed when it is no longer current and its last
 * child has exited, so any number of generations may drain at once.
 * SIGHUP parses the config in a thread of the master (mst_load_*), so the
 * master keeps reaping, respawning and serving signals meanwhile; if the
 * file has any error the running generation keeps serving.  Otherwise
 * generation g+1 is forked and, once each of its children has sent READY,
 * the older generations are told to drain (SIGTERM).
 *
 * Fork safety: the only other thread is the parser, which holds no lock
 * the master or a child needs except malloc's, which glibc's fork resets;
 * a child never touches the parser's state, and closes its pipe.
 *
 * Signals: SIGTERM drains every child and exits 0; SIGINT stops them at
 * once; SIGUSR1 reopens the log file and is passed on to the children;
 * SIGUSR2 is kept for the binary upgrade and only logged.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
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
#include <sys/uio.h>
#include <sys/wait.h>

#include "cfg.h"
#include "log.h"
#include "master.h"
#include "state.h"
#include "worker.h"

/* Test-only: milliseconds the reload parser sleeps before parsing. */
#define MST_ENV_PARSE_DELAY	"LLMUX_TEST_PARSE_DELAY_MS"

enum mst_role { MST_ROLE_WORKER, MST_ROLE_ACCT, MST_NROLES };

enum mst_state {
	MST_CH_FREE,		/* table entry unused */
	MST_CH_RUNNING,		/* pid is ours */
	MST_CH_RESPAWN		/* died; fork again at respawn_at */
};

struct mst_gen {
	unsigned	 id;
	struct cfg	*cfg;		/* owned; freed with the generation */
	int		 nworkers;
	int		 refs;		/* running children forked for it */
	struct mst_gen	*next;
};

struct mst_child {
	enum mst_state	 state;
	enum mst_role	 role;
	int		 slot;		/* index within role and generation */
	pid_t		 pid;
	int		 ctl;		/* socketpair end, -1 when closed */
	int		 ready;
	int		 draining;
	struct mst_gen	*gen;
};

struct mst;

struct mst_role_def {
	const char	*name;
	/* Children of this role generation g runs. */
	int		(*wanted)(const struct mst *, const struct mst_gen *);
	/* What the child runs; never returns. */
	void		(*run)(const struct cfg *, int lfd, int ctl,
			    unsigned gen, unsigned pslot);
};

/* The reload parser thread and what it hands back. */
struct mst_load {
	pthread_t		 tid;
	int			 fd[2];		/* done: one byte on fd[1] */
	int			 busy;
	int			 again;		/* SIGHUP during a parse */
	long			 delay_ms;
	const char		*path;
	struct cfg		*cfg;		/* result; NULL on errors */
	struct cfg_diags	 d;
};

struct mst {
	const struct mst_opts	*o;
	int			 lfd;
	struct mst_gen		*cur;		/* current generation */
	struct mst_gen		*gens;		/* all, newest first */
	unsigned		 lastgen;
	struct mst_child	*ch;		/* the process table */
	size_t			 nch;
	struct mst_load		 load;
	double			 respawn_at;
	int			 fails;		/* recent deaths, for backoff */
	double			 last_fail;
	int			 stopping;
	double			 kill_at;	/* SIGKILL stragglers then */
	int			 pending_gen;	/* current not all ready yet */
};

static int	mst_wanted_workers(const struct mst *, const struct mst_gen *);
static const char *mst_state_dir(const struct mst *);
static int	mst_wanted_none(const struct mst *, const struct mst_gen *);

static const struct mst_role_def mst_roles[MST_NROLES] = {
	[MST_ROLE_WORKER] = { "worker", mst_wanted_workers, wrk_main },
	/* The accounting process: its body comes with acct.c. */
	[MST_ROLE_ACCT] = { "acct", mst_wanted_none, NULL },
};

static int	mst_mid_parse;		/* in a child: see master.h */

static volatile sig_atomic_t	mst_sig_chld, mst_sig_term, mst_sig_int,
				mst_sig_hup, mst_sig_usr1, mst_sig_usr2;

static void
mst_on_signal(int sig)
{
	switch (sig) {
	case SIGCHLD:	mst_sig_chld = 1; break;
	case SIGTERM:	mst_sig_term = 1; break;
	case SIGINT:	mst_sig_int = 1; break;
	case SIGHUP:	mst_sig_hup = 1; break;
	case SIGUSR1:	mst_sig_usr1 = 1; break;
	case SIGUSR2:	mst_sig_usr2 = 1; break;
	}
}

static double
mst_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
mst_forked_during_parse(void)
{
	return (mst_mid_parse);
}

int
mst_msg_send(int fd, uint16_t type, const void *payload, size_t len)
{
	struct mst_msg_hdr	h;
	struct iovec		iov[2];
	ssize_t			n;

	if (len > MST_MSG_MAX) {
		errno = EMSGSIZE;
		return (LX_ERR);
	}
	memset(&h, 0, sizeof(h));
	h.len = (uint32_t)len;
	h.type = type;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	do
		n = writev(fd, iov, len > 0 ? 2 : 1);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(h) + len))
		return (LX_ERR);
	return (LX_OK);
}

int
mst_msg_recv(int fd, uint16_t *type, void *buf, size_t cap)
{
	struct mst_msg_hdr	h;
	struct iovec		iov[2];
	ssize_t			n;

	*type = 0;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = buf;
	iov[1].iov_len = cap;
	do
		n = readv(fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return (0);
	if (n < 0)
		return (errno == EAGAIN ? LX_AGAIN : LX_ERR);
	/* SOCK_SEQPACKET: one read is one whole message, or a cut one. */
	if ((size_t)n < sizeof(h) || h.len > cap ||
	    (size_t)n != sizeof(h) + h.len || h.type == 0) {
		errno = EPROTO;
		return (LX_ERR);
	}
	*type = h.type;
	return ((int)h.len);
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
mst_wanted_workers(const struct mst *m, const struct mst_gen *g)
{
	return (g->nworkers);
}

static int
mst_wanted_none(const struct mst *m, const struct mst_gen *g)
{
	return (0);
}

/* --num_workers wins over llmux_settings.num_workers, then the CPUs. */
static int
mst_nworkers(const struct mst *m, const struct cfg *cfg)
{
	long	n;

	n = m->o->workers > 0 ? m->o->workers :
	    cfg->llmux.num_workers > 0 ? cfg->llmux.num_workers :
	    sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > 1024)
		n = 1024;
	return ((int)n);
}

static struct mst_gen *
mst_gen_new(struct mst *m, struct cfg *cfg)
{
	struct mst_gen	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	g->id = ++m->lastgen;
	g->cfg = cfg;
	g->nworkers = mst_nworkers(m, cfg);
	g->next = m->gens;
	m->gens = g;
	return (g);
}

/* Free the generations that are not current and have no child left. */
static void
mst_gen_gc(struct mst *m, int all)
{
	struct mst_gen	**gp, *g;

	for (gp = &m->gens; (g = *gp) != NULL; ) {
		if (g->refs > 0 || (g == m->cur && !all)) {
			gp = &g->next;
			continue;
		}
		*gp = g->next;
		if (g == m->cur)
			m->cur = NULL;
		log_debug("generation %u freed", g->id);
		cfg_free(g->cfg);
		free(g);
	}
}

/* state_dir is read at start only: every generation keeps the first's. */
static const char *
mst_state_dir(const struct mst *m)
{
	const char	*d = m->cur->cfg->llmux.state_dir;

	return (d != NULL ? d : ST_DEFAULT_DIR);
}

/* A free entry of the process table, growing it when full. */
static struct mst_child *
mst_slot(struct mst *m)
{
	struct mst_child	*n;
	size_t			 i, cap;

	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_FREE)
			return (&m->ch[i]);
	cap = m->nch ? m->nch * 2 : 16;
	if ((n = realloc(m->ch, cap * sizeof(*n))) == NULL)
		return (NULL);
	memset(n + m->nch, 0, (cap - m->nch) * sizeof(*n));
	for (i = m->nch; i < cap; i++)
		n[i].ctl = -1;
	m->ch = n;
	i = m->nch;
	m->nch = cap;
	return (&m->ch[i]);
}

/* In the child: drop what belongs to the master, reset the signals. */
static void
mst_child_setup(struct mst *m, int keep)
{
	sigset_t	none;
	size_t		i;

	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RUNNING && m->ch[i].ctl >= 0 &&
		    m->ch[i].ctl != keep)
			close(m->ch[i].ctl);
	mst_mid_parse = m->load.busy;
	if (m->load.fd[0] >= 0)
		close(m->load.fd[0]);
	if (m->load.fd[1] >= 0)
		close(m->load.fd[1]);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* Until the child installs its own: a logrotate must not kill it. */
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Fork a child of role in slot for generation g into table entry c. */
static int
mst_spawn(struct mst *m, struct mst_child *c, enum mst_role role, int slot,
    struct mst_gen *g)
{
	const struct mst_role_def	*rd = &mst_roles[role];
	int				 sp[2];
	pid_t				 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
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
		mst_child_setup(m, sp[1]);
		/* The table entry names the child's in-flight counts. */
		rd->run(g->cfg, m->lfd, sp[1], g->id,
		    (unsigned)(c - m->ch));
		_exit(1);
	}
	close(sp[1]);
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	memset(c, 0, sizeof(*c));
	c->state = MST_CH_RUNNING;
	c->role = role;
	c->slot = slot;
	c->pid = pid;
	c->ctl = sp[0];
	c->gen = g;
	g->refs++;
	log_debug("%s %d of generation %u: pid %d", rd->name, slot, g->id,
	    (int)pid);
	return (LX_OK);
}

/* Fork every child generation g wants. */
static int
mst_spawn_gen(struct mst *m, struct mst_gen *g)
{
	struct mst_child	*c;
	int			 r, i, n, rc = LX_OK;

	for (r = 0; r < MST_NROLES; r++) {
		if (mst_roles[r].run == NULL)
			continue;
		n = mst_roles[r].wanted(m, g);
		for (i = 0; i < n; i++) {
			if ((c = mst_slot(m)) == NULL ||
			    mst_spawn(m, c, (enum mst_role)r, i, g) != LX_OK) {
				log_err("cannot fork %s %d of generation %u",
				    mst_roles[r].name, i, g->id);
				rc = LX_ERR;
			}
		}
	}
	return (rc);
}

/* Children of generation g (ready ones only, if asked), every role. */
static int
mst_count(const struct mst *m, const struct mst_gen *g, int only_ready)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RUNNING && m->ch[i].gen == g &&
		    (!only_ready || m->ch[i].ready))
			n++;
	return (n);
}

static int
mst_wanted(const struct mst *m, const struct mst_gen *g)
{
	int	r, n = 0;

	for (r = 0; r < MST_NROLES; r++)
		if (mst_roles[r].run != NULL)
			n += mst_roles[r].wanted(m, g);
	return (n);
}

static int
mst_running(const struct mst *m)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < m->nch; i++)
		n += m->ch[i].state == MST_CH_RUNNING;
	return (n);
}

static void
mst_kill_all(struct mst *m, int sig)
{
	size_t	i;

	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RUNNING)
			kill(m->ch[i].pid, sig);
}

/* Tell every child of generations other than the current to drain. */
static void
mst_drain_old(struct mst *m)
{
	size_t	i;

	for (i = 0; i < m->nch; i++) {
		struct mst_child *c = &m->ch[i];

		if (c->state == MST_CH_RUNNING && c->gen != m->cur &&
		    !c->draining) {
			kill(c->pid, SIGTERM);
			c->draining = 1;
		}
	}
}

/* Respawns pending for a generation that is no longer current go. */
static void
mst_drop_respawns(struct mst *m)
{
	size_t	i;

	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RESPAWN &&
		    m->ch[i].gen != m->cur) {
			m->ch[i].gen->refs--;
			m->ch[i].state = MST_CH_FREE;
		}
}

static void
mst_reap(struct mst *m)
{
	struct mst_child	*c;
	pid_t			 pid;
	size_t			 i;
	int			 st;
	double			 now = mst_now(), delay;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (c = NULL, i = 0; i < m->nch; i++)
			if (m->ch[i].state == MST_CH_RUNNING &&
			    m->ch[i].pid == pid) {
				c = &m->ch[i];
				break;
			}
		if (c == NULL)
			continue;
		if (c->ctl >= 0)
			close(c->ctl);
		c->ctl = -1;
		c->pid = 0;
		/* What it had in flight will never be released: clear it. */
		if (st_slot_clear(mst_state_dir(m), (unsigned)(c - m->ch)) !=
		    LX_OK)
			log_err("state_dir %s: cannot clear the in-flight "
			    "counts of %s %d", mst_state_dir(m),
			    mst_roles[c->role].name, (int)pid);
		if (m->stopping || c->draining || c->gen != m->cur) {
			log_debug("%s %d exited", mst_roles[c->role].name,
			    (int)pid);
			c->gen->refs--;
			c->state = MST_CH_FREE;
			continue;
		}
		if (WIFSIGNALED(st))
			log_err("%s %d killed by signal %d; respawning",
			    mst_roles[c->role].name, (int)pid, WTERMSIG(st));
		else
			log_err("%s %d exited with status %d; respawning",
			    mst_roles[c->role].name, (int)pid,
			    WEXITSTATUS(st));
		/* Keeps its generation's reference until forked again. */
		c->state = MST_CH_RESPAWN;
		c->ready = 0;
		/* Backoff: 0.1 s doubling per death within 10 s, up to 5 s. */
		if (now - m->last_fail > 10)
			m->fails = 0;
		m->fails++;
		m->last_fail = now;
		delay = 0.1 * (double)(1 << (m->fails > 6 ? 6 : m->fails - 1));
		if (delay > 5)
			delay = 5;
		if (m->respawn_at == 0 || now + delay < m->respawn_at)
			m->respawn_at = now + delay;
	}
}

static void
mst_respawn(struct mst *m, double now)
{
	struct mst_child	*c;
	struct mst_gen		*g;
	size_t			 i;

	m->respawn_at = 0;
	for (i = 0; i < m->nch; i++) {
		c = &m->ch[i];
		if (c->state != MST_CH_RESPAWN)
			continue;
		g = c->gen;
		g->refs--;		/* mst_spawn takes it again */
		c->state = MST_CH_FREE;
		if (mst_spawn(m, c, c->role, c->slot, g) != LX_OK) {
			c->state = MST_CH_RESPAWN;
			c->gen = g;
			g->refs++;
			m->respawn_at = now + 1;
		}
	}
}

/*
 * The parser thread: cfg_load() alone, nothing shared with the master
 * until it writes its byte and the master joins it.
 */
static void *
mst_load_main(void *arg)
{
	struct mst_load	*l = arg;
	struct timespec	 ts;

	if (l->delay_ms > 0) {
		ts.tv_sec = l->delay_ms / 1000;
		ts.tv_nsec = (l->delay_ms % 1000) * 1000000;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	l->cfg = cfg_load(l->path, &l->d);
	while (write(l->fd[1], "", 1) < 0 && errno == EINTR)
		;
	return (NULL);
}

static void
mst_load_start(struct mst *m)
{
	struct mst_load	*l = &m->load;
	const char	*s;
	int		 rc;

	if (l->busy) {
		/* The file may have changed since that parse began. */
		log_info("SIGHUP: a reload is being parsed; loading again "
		    "after it");
		l->again = 1;
		return;
	}
	log_info("SIGHUP: reloading %s", m->o->config);
	cfg_diags_init(&l->d);
	l->path = m->o->config;
	l->cfg = NULL;
	l->delay_ms = (s = getenv(MST_ENV_PARSE_DELAY)) != NULL ?
	    strtol(s, NULL, 10) : 0;
	if ((rc = pthread_create(&l->tid, NULL, mst_load_main, l)) != 0) {
		log_err("reload failed: cannot start the parser: %s",
		    strerror(rc));
		cfg_diags_free(&l->d);
		return;
	}
	l->busy = 1;
}

/* The parse is done: join it and start the new generation. */
static void
mst_load_done(struct mst *m)
{
	struct mst_load		*l = &m->load;
	struct cfg_diag		*e;
	struct mst_gen		*g;
	struct cfg		*nc;
	const char		*lf, *olf;
	char			 b[16];

	while (read(l->fd[0], b, sizeof(b)) > 0)
		;
	pthread_join(l->tid, NULL);
	l->busy = 0;
	nc = l->cfg;
	l->cfg = NULL;
	/* Keys read once at start keep their running value, with a warning. */
	if (nc != NULL && cfg_reload_check(m->cur->cfg, nc, &l->d) == LX_ERR) {
		cfg_free(nc);
		nc = NULL;
	}
	for (e = l->d.head; e != NULL; e = e->next)
		log_msg(e->error ? LOG_LVL_ERROR : LOG_LVL_WARN, NULL, "%s",
		    e->text);
	cfg_diags_free(&l->d);
	if (m->stopping) {
		cfg_free(nc);
		return;
	}
	if (nc == NULL) {
		log_err("reload failed: keeping the running configuration");
		goto again;
	}
	if ((g = mst_gen_new(m, nc)) == NULL) {
		log_err("reload failed: out of memory");
		cfg_free(nc);
		goto again;
	}
	lf = nc->llmux.log_file;
	olf = m->cur->cfg->llmux.log_file;
	if (lf != NULL && (olf == NULL || strcmp(lf, olf) != 0) &&
	    log_reopen(lf) != LX_OK)
		log_err("cannot open log_file %s: %s; logging where before",
		    lf, strerror(errno));
	m->cur = g;
	mst_drop_respawns(m);
	m->pending_gen = 1;
	log_info("generation %u: starting %d workers", g->id, g->nworkers);
	mst_spawn_gen(m, g);
	mst_gen_gc(m, 0);
 again:
	if (l->again) {
		l->again = 0;
		mst_load_start(m);
	}
}

static void
mst_read_ctl(struct mst *m, struct mst_child *c)
{
	char		buf[MST_MSG_MAX];
	uint16_t	type;
	int		n;

	while ((n = mst_msg_recv(c->ctl, &type, buf, sizeof(buf))) >= 0) {
		if (n == 0 && type == 0) {
			/* EOF: the child is exiting; SIGCHLD follows. */
			close(c->ctl);
			c->ctl = -1;
			return;
		}
		if (type == MST_MSG_READY && !c->ready) {
			c->ready = 1;
			log_debug("%s %d ready", mst_roles[c->role].name,
			    (int)c->pid);
		}
	}
	if (n == LX_ERR) {
		log_warn("%s %d: bad control message: %s",
		    mst_roles[c->role].name, (int)c->pid, strerror(errno));
		close(c->ctl);
		c->ctl = -1;
	}
}

static void
mst_reopen_logs(struct mst *m)
{
	size_t	i;

	if (log_reopen(NULL) != LX_OK)
		log_err("SIGUSR1: cannot reopen the log file: %s",
		    strerror(errno));
	else
		log_info("SIGUSR1: log file reopened; telling the children");
	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RUNNING)
			kill(m->ch[i].pid, SIGUSR1);
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

static void
mst_signals(void)
{
	static const int	 sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP,
				    SIGUSR1, SIGUSR2 };
	struct sigaction	 sa;
	sigset_t		 block;
	size_t			 i;

	/* Blocked outside ppoll(); the parser thread inherits the mask. */
	sigemptyset(&block);
	for (i = 0; i < LX_NELEM(sigs); i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mst_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < LX_NELEM(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The longest drain_timeout of the generations still running. */
static double
mst_drain_max(const struct mst *m)
{
	const struct mst_gen	*g;
	double			 t = 0;

	for (g = m->gens; g != NULL; g = g->next)
		if (g->cfg->llmux.drain_timeout > t)
			t = g->cfg->llmux.drain_timeout;
	return (t);
}

/* Act on the signals that arrived during the last ppoll(). */
static void
mst_on_signals(struct mst *m)
{
	if (mst_sig_chld) {
		mst_sig_chld = 0;
		mst_reap(m);
		mst_gen_gc(m, 0);
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
			m->kill_at = mst_now() + mst_drain_max(m) + 5;
		}
	}
	if (mst_sig_hup) {
		mst_sig_hup = 0;
		if (!m->stopping)
			mst_load_start(m);
	}
	if (mst_sig_usr1) {
		mst_sig_usr1 = 0;
		mst_reopen_logs(m);
	}
	if (mst_sig_usr2) {
		mst_sig_usr2 = 0;
		log_warn("SIGUSR2: the binary upgrade is not supported yet; "
		    "ignored");
	}
}

/* One pass: wait for a message, the parser or a signal, then act. */
static int
mst_loop_once(struct mst *m, struct pollfd **pfdp, size_t *cappfd,
    const sigset_t *empty)
{
	struct pollfd	*pfd = *pfdp;
	struct timespec	 ts;
	double		 now, wait;
	size_t		 i, n, want = m->nch + 1;
	int		 nready;

	if (*cappfd < want) {
		if ((pfd = realloc(*pfdp, want * sizeof(*pfd))) == NULL) {
			log_err("out of memory polling the children");
			want = *cappfd;
			pfd = *pfdp;
		} else {
			*pfdp = pfd;
			*cappfd = want;
		}
	}
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
	n = 0;
	if (want > 0) {
		pfd[n].fd = m->load.busy ? m->load.fd[0] : -1;
		pfd[n++].events = POLLIN;
	}
	/* pfd[k] for k >= 1 is table entry k - 1 (fd -1: not polled). */
	for (i = 0; i < m->nch && n < want; i++, n++) {
		pfd[n].fd = m->ch[i].state == MST_CH_RUNNING ?
		    m->ch[i].ctl : -1;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
	}
	nready = ppoll(pfd, (nfds_t)n, &ts, empty);
	if (nready > 0) {
		for (i = 1; i < n; i++)
			if (pfd[i].revents != 0 && pfd[i].fd >= 0 &&
			    m->ch[i - 1].ctl == pfd[i].fd)
				mst_read_ctl(m, &m->ch[i - 1]);
	}
	mst_on_signals(m);
	if (nready > 0 && n > 0 && pfd[0].fd >= 0 && pfd[0].revents != 0 &&
	    m->load.busy)
		mst_load_done(m);
	if (m->pending_gen && mst_count(m, m->cur, 1) == mst_wanted(m, m->cur)) {
		m->pending_gen = 0;
		log_info("generation %u ready; draining the previous ones",
		    m->cur->id);
		mst_drain_old(m);
	}
	now = mst_now();
	if (m->stopping) {
		if (mst_running(m) == 0 && !m->load.busy)
			return (0);
		if (m->kill_at > 0 && now >= m->kill_at && mst_running(m)) {
			log_warn("children still running: SIGKILL");
			mst_kill_all(m, SIGKILL);
			m->kill_at = now + 1;
		}
		return (1);
	}
	if (m->respawn_at > 0 && now >= m->respawn_at)
		mst_respawn(m, now);
	return (1);
}

int
mst_run(struct cfg *cfg, const struct mst_opts *o)
{
	static struct mst	 mst;
	struct mst		*m = &mst;
	struct pollfd		*pfd = NULL;
	size_t			 i, cappfd = 0;
	sigset_t		 empty;
	char			 err[1200];

	m->o = o;
	m->load.fd[0] = m->load.fd[1] = -1;
	if ((m->cur = mst_gen_new(m, cfg)) == NULL)
		fatal("out of memory");
	if (pipe2(m->load.fd, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("pipe: %s", strerror(errno));
	m->lfd = mst_listen(o->host, o->port);
	/* Before any fork: the workers only open what exists. */
	if (st_create(mst_state_dir(m), err, sizeof(err)) != LX_OK)
		fatal("%s", err);
	mst_raise_nofile();
	mst_signals();
	sigemptyset(&empty);

	log_info("llmux %s listening on %s:%d with %d workers", LLMUX_VERSION,
	    o->host, o->port, m->cur->nworkers);
	if (mst_spawn_gen(m, m->cur) != LX_OK)
		fatal("cannot fork the workers");
	while (mst_loop_once(m, &pfd, &cappfd, &empty))
		;

	close(m->lfd);
	close(m->load.fd[0]);
	close(m->load.fd[1]);
	for (i = 0; i < m->nch; i++)
		if (m->ch[i].state == MST_CH_RESPAWN)
			m->ch[i].gen->refs--;
	mst_gen_gc(m, 1);
	free(m->ch);
	free(pfd);
	log_info("exiting");
	return (0);
}
