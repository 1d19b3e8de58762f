/*
 * mock.c: llmux-mock's entry point: command line, listening socket, worker
 * processes and signals.
 *
 * The socket is bound once, its port printed as "PORT <n>" for the test
 * harness, then either this process serves it (--workers 1) or N forked
 * workers share it and this process only forwards SIGTERM/SIGINT to them
 * and waits for them to exit.  A worker is one libevent loop; SIGTERM and
 * SIGINT break the loop and everything is freed so that a sanitizer build
 * reports no leaks.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "mock.h"

#define MOCK_MAXWORKERS	256

struct mock_opt	 mock_opt = {
	.host = "127.0.0.1",
	.port = 0,
	.log = NULL,
	.logfd = -1,
	.workers = 1,
	.record = 1,
	.worker = 0
};

void
mock_fatal(const char *fmt, ...)
{
	va_list	 ap;

	fputs("llmux-mock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void
mock_usage(void)
{
	fprintf(stderr, "usage: llmux-mock [--host addr] [--port n] "
	    "[--log file] [--workers n] [--no-record]\n");
	exit(2);
}

static long
mock_number(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		mock_fatal("%s: bad value \"%s\"", what, s);
	return (v);
}

/* Bind and listen on host:port; returns the socket, *bound the port. */
static int
mock_listen(const char *host, int port, int *bound)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 ps[16];
	int			 fd = -1, one = 1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		mock_fatal("%s: %s", host, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 4096) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		mock_fatal("cannot listen on %s port %d: %s", host, port,
		    strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		mock_fatal("getsockname: %s", strerror(errno));
	if (ss.ss_family == AF_INET6)
		*bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return (fd);
}

static void
mock_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	int	 one = 1;

	/* Stream chunks must leave at once, not wait for Nagle. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	mhttp_new(evconnlistener_get_base(lev), fd);
}

static void
mock_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(arg);
}

/* Serve the listening socket fd until SIGTERM or SIGINT. */
static int
mock_worker(int fd)
{
	struct event_config	*cfg;
	struct event_base	*base = NULL;
	struct evconnlistener	*lev = NULL;
	struct event		*sigterm = NULL, *sigint = NULL;
	int			 rc = 1;

	mapi_seed((uint64_t)getpid() << 32 ^ (uint64_t)time(NULL));
	if ((cfg = event_config_new()) == NULL)
		goto fail;
	/* One thread per process: libevent's locks would only cost time. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK |
	    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base == NULL)
		goto fail;
	lev = evconnlistener_new(base, mock_accept_cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (lev == NULL)
		goto fail;
	fd = -1;		/* the listener owns it now */
	sigterm = evsignal_new(base, SIGTERM, mock_signal_cb, base);
	sigint = evsignal_new(base, SIGINT, mock_signal_cb, base);
	if (sigterm == NULL || sigint == NULL ||
	    event_add(sigterm, NULL) == -1 || event_add(sigint, NULL) == -1)
		goto fail;
	if (event_base_dispatch(base) == -1)
		goto fail;
	rc = 0;
 fail:
	if (rc != 0)
		fprintf(stderr, "llmux-mock: event loop setup failed\n");
	mhttp_free_all();
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (lev != NULL)
		evconnlistener_free(lev);
	if (fd != -1)
		close(fd);
	if (base != NULL)
		event_base_free(base);
	mrec_free();
	libevent_global_shutdown();
	return (rc);
}

static void
mock_sigchld(int sig)
{
	/* Only there so that SIGCHLD is never discarded: sigwaitinfo reaps. */
}

/* Fork n workers on fd, forward SIGTERM/SIGINT, return when all exited. */
static int
mock_master(int fd, int n)
{
	struct sigaction	 sa;
	sigset_t		 set, old;
	pid_t			 pids[MOCK_MAXWORKERS], pid, parent = getpid();
	int			 i, live = 0, sig, st, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mock_sigchld;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			fprintf(stderr, "llmux-mock: fork: %s\n",
			    strerror(errno));
			rc = 1;
			break;
		}
		if (pid == 0) {
			signal(SIGCHLD, SIG_DFL);
			sigprocmask(SIG_SETMASK, &old, NULL);
			/* Do not outlive a parent killed by SIGKILL. */
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (getppid() != parent)
				_exit(0);
			mock_opt.worker = i;
			exit(mock_worker(fd));
		}
		pids[live++] = pid;
	}
	close(fd);
	if (rc != 0)
		for (i = 0; i < live; i++)
			kill(pids[i], SIGTERM);
	while (live > 0) {
		if ((sig = sigwaitinfo(&set, NULL)) == -1)
			continue;
		if (sig == SIGTERM || sig == SIGINT) {
			for (i = 0; i < live; i++)
				kill(pids[i], sig);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				rc = 1;
			for (i = 0; i < live; i++)
				if (pids[i] == pid) {
					pids[i] = pids[--live];
					break;
				}
		}
	}
	return (rc);
}

/* Benchmarks open many connections: take every descriptor allowed. */
static void
mock_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "log", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "no-record", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int				 ch, fd, port, rc;

	while ((ch = getopt_long(argc, argv, "H:p:l:w:nh", opts, NULL)) != -1) {
		switch (ch) {
		case 'H':
			mock_opt.host = optarg;
			break;
		case 'p':
			mock_opt.port = mock_number(optarg, 0, 65535, "--port");
			break;
		case 'l':
			mock_opt.log = optarg;
			break;
		case 'w':
			mock_opt.workers = mock_number(optarg, 1,
			    MOCK_MAXWORKERS, "--workers");
			break;
		case 'n':
			mock_opt.record = 0;
			break;
		default:
			mock_usage();
		}
	}
	if (optind != argc)
		mock_usage();
	signal(SIGPIPE, SIG_IGN);
	mock_raise_nofile();
	if (mock_opt.log != NULL && (mock_opt.logfd = open(mock_opt.log,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		mock_fatal("%s: %s", mock_opt.log, strerror(errno));
	fd = mock_listen(mock_opt.host, mock_opt.port, &port);
	printf("PORT %d\n", port);
	if (fflush(stdout) == EOF)
		mock_fatal("stdout: %s", strerror(errno));
	if (mock_opt.workers == 1)
		rc = mock_worker(fd);
	else
		rc = mock_master(fd, mock_opt.workers);
	if (mock_opt.logfd != -1)
		close(mock_opt.logfd);
	return (rc);
}
