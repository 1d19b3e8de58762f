/*
 * sseclient: the streaming load client of `make bench` (scenario c).
 *
 * Keeps N HTTP/1.1 connections busy with streamed chat completions for a
 * bounded time (and a bounded number of streams), decodes each response
 * (chunked, content-length or close-delimited), splits it into SSE events
 * and measures:
 *   - time to first byte: request written -> first SSE event received;
 *   - relay delay of every chunk: the receive time (CLOCK_REALTIME, taken
 *     right after the read() that completed the event) minus the send time
 *     the mock stamped into the chunk as "mock_ts_ns" (also CLOCK_REALTIME,
 *     same machine), i.e. what the gateway between them adds per chunk;
 *   - the whole stream's duration.
 * A stream counts as good when the status is 2xx, every event is JSON with
 * "choices" (or the final [DONE]), [DONE] arrives and at least -k chunks
 * came.  Everything else is an error, by kind; nothing is dropped.
 *
 * The result is one JSON object on stdout.  Single-threaded, epoll.
 * Build: cc -O2 -o sseclient sseclient.c
 */
#define _GNU_SOURCE

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define SC_MAXHDR	16384
#define SC_MAXLINE	(1024 * 1024)
#define SC_RBUF		65536

enum sc_state {
	SC_IDLE,		/* no socket */
	SC_CONNECTING,
	SC_WRITING,
	SC_HEADERS,
	SC_BODY,
};

enum sc_chunk {
	SC_CH_SIZE,		/* reading the hex size line */
	SC_CH_DATA,
	SC_CH_CRLF,		/* the CRLF after the data */
	SC_CH_TRAILER,		/* after the last chunk: until an empty line */
};

enum sc_err {
	SC_E_CONNECT,
	SC_E_WRITE,
	SC_E_READ,		/* reset or EOF before the stream ended */
	SC_E_STATUS,		/* non-2xx */
	SC_E_BODY,		/* malformed event, no [DONE], too few chunks */
	SC_E_TIMEOUT,
	SC_E_NUM
};

static const char *sc_err_names[SC_E_NUM] = {
	"connect", "write", "read", "status", "body", "timeout"
};

struct sc_samples {
	int64_t		*v;
	size_t		 n, cap;
};

struct sc_conn {
	int		 fd;
	enum sc_state	 state;
	size_t		 woff;		/* bytes of the request written */
	int64_t		 t_start;	/* monotonic ns: request begun */
	int		 got_first;
	char		 hdr[SC_MAXHDR];
	size_t		 hlen;
	int		 status;
	int		 chunked, keepalive;
	int64_t		 clen;		/* -1: until close */
	enum sc_chunk	 cst;
	int64_t		 crem;		/* bytes left in this chunk */
	char		 csz[64];
	size_t		 cszlen;
	char		*line;		/* SSE line being assembled */
	size_t		 llen;
	int		 ev_has_data;
	int		 done;		/* [DONE] seen */
	int		 chunks, bad_events;
	int		 body_over;	/* response body complete */
};

struct sc_opts {
	struct sockaddr_in sa;
	char		 host[128];
	const char	*path;
	char		*req;		/* the whole request, built once */
	size_t		 reqlen;
	int		 conns;
	double		 duration;
	long		 max_streams;
	int		 expect_chunks;
	double		 timeout;
};

static struct sc_opts	 sc_o;
static struct sc_samples sc_ttfb, sc_relay, sc_total;
static long		 sc_errs[SC_E_NUM];
static long		 sc_ok, sc_started, sc_chunks, sc_stamped;
static char		 sc_first_err[256];
static int		 sc_epfd;

static int64_t
sc_now(clockid_t c)
{
	struct timespec	ts;

	clock_gettime(c, &ts);
	return ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static void
sc_push(struct sc_samples *s, int64_t v)
{
	int64_t	*nv;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		if ((nv = realloc(s->v, s->cap * sizeof(*nv))) == NULL) {
			fprintf(stderr, "sseclient: out of memory\n");
			exit(2);
		}
		s->v = nv;
	}
	s->v[s->n++] = v;
}

static int
sc_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return ((x > y) - (x < y));
}

/* Nearest-rank percentile of a sorted sample, in microseconds. */
static double
sc_pct(const struct sc_samples *s, double p)
{
	size_t	i;

	if (s->n == 0)
		return (-1);
	i = (size_t)((p / 100.0) * (double)s->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > s->n)
		i = s->n;
	return ((double)s->v[i - 1] / 1000.0);
}

static void
sc_print_dist(const char *name, struct sc_samples *s, int last)
{
	double	sum = 0;
	size_t	i;

	qsort(s->v, s->n, sizeof(*s->v), sc_cmp);
	for (i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	printf("\"%s\":{\"n\":%zu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
	    "\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f}%s", name, s->n,
	    sc_pct(s, 50), sc_pct(s, 90), sc_pct(s, 99), sc_pct(s, 99.9),
	    sc_pct(s, 100), s->n ? sum / (double)s->n / 1000.0 : -1.0,
	    last ? "" : ",");
}

static void
sc_error(struct sc_conn *c, enum sc_err e, const char *why)
{
	sc_errs[e]++;
	if (sc_first_err[0] == '\0')
		snprintf(sc_first_err, sizeof(sc_first_err), "%s: %s (status %d)",
		    sc_err_names[e], why, c->status);
}

static void
sc_close(struct sc_conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(sc_epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = SC_IDLE;
}

static void
sc_reset_response(struct sc_conn *c)
{
	c->hlen = 0;
	c->status = 0;
	c->chunked = 0;
	c->keepalive = 1;
	c->clen = -1;
	c->cst = SC_CH_SIZE;
	c->crem = 0;
	c->cszlen = 0;
	c->llen = 0;
	c->ev_has_data = 0;
	c->done = 0;
	c->chunks = 0;
	c->bad_events = 0;
	c->body_over = 0;
	c->got_first = 0;
}

static int
sc_want(struct sc_conn *c, uint32_t ev, int op)
{
	struct epoll_event	e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = c;
	return (epoll_ctl(sc_epfd, op, c->fd, &e));
}

/* Begin one stream on c, opening a connection when it has none. */
static void
sc_begin(struct sc_conn *c)
{
	int	one = 1;

	sc_reset_response(c);
	c->woff = 0;
	sc_started++;
	c->t_start = sc_now(CLOCK_MONOTONIC);
	if (c->fd >= 0) {
		c->state = SC_WRITING;
		sc_want(c, EPOLLOUT | EPOLLIN, EPOLL_CTL_MOD);
		return;
	}
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		sc_error(c, SC_E_CONNECT, strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sc_o.sa, sizeof(sc_o.sa)) < 0 &&
	    errno != EINPROGRESS) {
		sc_error(c, SC_E_CONNECT, strerror(errno));
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->state = SC_CONNECTING;
	sc_want(c, EPOLLOUT | EPOLLIN, EPOLL_CTL_ADD);
}

/* One complete SSE event (its data lines were checked as they came). */
static void
sc_event_line(struct sc_conn *c, char *l, size_t n, int64_t rt_now,
    int64_t mono_now)
{
	const char	*p, *ts;
	char		*end;
	long long	 stamp;

	if (n > 0 && l[n - 1] == '\r')
		l[--n] = '\0';
	if (n == 0 || strncmp(l, "data:", 5) != 0)
		return;		/* blank line, comment, event:, id: */
	p = l + 5;
	if (*p == ' ')
		p++;
	if (!c->got_first) {
		c->got_first = 1;
		sc_push(&sc_ttfb, mono_now - c->t_start);
	}
	if (strcmp(p, "[DONE]") == 0) {
		c->done = 1;
		return;
	}
	if (*p != '{' || strstr(p, "\"choices\"") == NULL) {
		c->bad_events++;
		return;
	}
	c->chunks++;
	sc_chunks++;
	if ((ts = strstr(p, "\"mock_ts_ns\"")) != NULL) {
		ts += strlen("\"mock_ts_ns\"");
		while (*ts == ' ' || *ts == ':')
			ts++;
		stamp = strtoll(ts, &end, 10);
		if (end != ts && stamp > 0) {
			sc_stamped++;
			sc_push(&sc_relay, rt_now - (int64_t)stamp);
		}
	}
}

/* Body bytes after transfer decoding: split them into SSE lines. */
static void
sc_sse_feed(struct sc_conn *c, const char *b, size_t n, int64_t rt_now,
    int64_t mono_now)
{
	const char	*nl;
	size_t		 k;

	while (n > 0) {
		nl = memchr(b, '\n', n);
		k = nl ? (size_t)(nl - b) : n;
		if (c->llen + k >= SC_MAXLINE) {
			c->bad_events++;
			c->llen = 0;
		} else {
			memcpy(c->line + c->llen, b, k);
			c->llen += k;
		}
		if (nl == NULL)
			return;
		c->line[c->llen] = '\0';
		sc_event_line(c, c->line, c->llen, rt_now, mono_now);
		c->llen = 0;
		b += k + 1;
		n -= k + 1;
	}
}

/* Transfer decoding; returns -1 on a malformed chunked body. */
static int
sc_body(struct sc_conn *c, const char *b, size_t n, int64_t rt_now,
    int64_t mono_now)
{
	size_t	k;
	char	*end;

	if (!c->chunked) {
		if (c->clen >= 0 && (int64_t)n > c->clen)
			n = (size_t)c->clen;
		sc_sse_feed(c, b, n, rt_now, mono_now);
		if (c->clen >= 0) {
			c->clen -= (int64_t)n;
			if (c->clen == 0)
				c->body_over = 1;
		}
		return (0);
	}
	while (n > 0 && !c->body_over) {
		switch (c->cst) {
		case SC_CH_SIZE:
		case SC_CH_TRAILER:
			if (*b != '\n') {
				if (c->cszlen < sizeof(c->csz) - 1)
					c->csz[c->cszlen++] = *b;
				b++;
				n--;
				break;
			}
			b++;
			n--;
			c->csz[c->cszlen] = '\0';
			if (c->cszlen > 0 && c->csz[c->cszlen - 1] == '\r')
				c->csz[--c->cszlen] = '\0';
			if (c->cst == SC_CH_TRAILER) {
				if (c->cszlen == 0)
					c->body_over = 1;
				c->cszlen = 0;
				break;
			}
			c->crem = strtoll(c->csz, &end, 16);
			if (end == c->csz || c->crem < 0)
				return (-1);
			c->cszlen = 0;
			c->cst = c->crem == 0 ? SC_CH_TRAILER : SC_CH_DATA;
			break;
		case SC_CH_DATA:
			k = n < (size_t)c->crem ? n : (size_t)c->crem;
			sc_sse_feed(c, b, k, rt_now, mono_now);
			b += k;
			n -= k;
			c->crem -= (int64_t)k;
			if (c->crem == 0)
				c->cst = SC_CH_CRLF;
			break;
		case SC_CH_CRLF:
			if (*b == '\n')
				c->cst = SC_CH_SIZE;
			b++;
			n--;
			break;
		}
	}
	return (0);
}

/* Parse the status line and the headers that matter; -1 if malformed. */
static int
sc_headers(struct sc_conn *c)
{
	char	*l, *save, *v;

	c->hdr[c->hlen] = '\0';
	l = strtok_r(c->hdr, "\r\n", &save);
	if (l == NULL || strncmp(l, "HTTP/1.", 7) != 0 || strlen(l) < 12)
		return (-1);
	c->status = atoi(l + 9);
	if (l[7] == '0')
		c->keepalive = 0;
	while ((l = strtok_r(NULL, "\r\n", &save)) != NULL) {
		if ((v = strchr(l, ':')) == NULL)
			continue;
		*v++ = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		if (strcasecmp(l, "content-length") == 0)
			c->clen = strtoll(v, NULL, 10);
		else if (strcasecmp(l, "transfer-encoding") == 0 &&
		    strcasestr(v, "chunked") != NULL)
			c->chunked = 1;
		else if (strcasecmp(l, "connection") == 0 &&
		    strcasestr(v, "close") != NULL)
			c->keepalive = 0;
	}
	if (c->chunked)
		c->clen = -1;
	return (0);
}

/* The stream on c is over (well or not): account for it. */
static void
sc_finish(struct sc_conn *c, int eof)
{
	int64_t	now = sc_now(CLOCK_MONOTONIC);

	if (c->status < 200 || c->status > 299)
		sc_error(c, SC_E_STATUS, "non-2xx");
	else if (!c->body_over && !(eof && c->clen < 0 && !c->chunked))
		sc_error(c, SC_E_READ, "connection closed mid-stream");
	else if (!c->done)
		sc_error(c, SC_E_BODY, "no [DONE] event");
	else if (c->bad_events > 0)
		sc_error(c, SC_E_BODY, "event without choices");
	else if (c->chunks < sc_o.expect_chunks)
		sc_error(c, SC_E_BODY, "fewer chunks than expected");
	else {
		sc_ok++;
		sc_push(&sc_total, now - c->t_start);
	}
	if (eof || !c->keepalive || !c->body_over)
		sc_close(c);
	else {
		c->state = SC_IDLE;	/* socket kept for the next stream */
		sc_want(c, EPOLLIN, EPOLL_CTL_MOD);
	}
}

static void
sc_on_read(struct sc_conn *c)
{
	char	 buf[SC_RBUF], *e;
	ssize_t	 r;
	size_t	 off, k;
	int64_t	 rt, mono;

	for (;;) {
		r = read(c->fd, buf, sizeof(buf));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		rt = sc_now(CLOCK_REALTIME);
		mono = sc_now(CLOCK_MONOTONIC);
		if (r <= 0) {
			if (c->state == SC_IDLE) {	/* idle keep-alive closed */
				sc_close(c);
				return;
			}
			if (c->state == SC_BODY)
				sc_finish(c, 1);
			else {
				sc_error(c, SC_E_READ, r < 0 ? strerror(errno) :
				    "EOF before the response headers");
				sc_close(c);
			}
			return;
		}
		if (c->state == SC_IDLE) {
			sc_close(c);	/* bytes nobody asked for */
			return;
		}
		off = 0;
		if (c->state == SC_HEADERS || c->state == SC_WRITING) {
			k = (size_t)r;
			if (c->hlen + k >= SC_MAXHDR - 1)
				k = SC_MAXHDR - 1 - c->hlen;
			memcpy(c->hdr + c->hlen, buf, k);
			c->hlen += k;
			c->hdr[c->hlen] = '\0';
			if ((e = strstr(c->hdr, "\r\n\r\n")) == NULL) {
				if (c->hlen >= SC_MAXHDR - 1) {
					sc_error(c, SC_E_READ, "headers too long");
					sc_close(c);
				}
				continue;
			}
			off = (size_t)(e + 4 - c->hdr) - (c->hlen - k);
			c->hlen = (size_t)(e + 2 - c->hdr);
			if (sc_headers(c) < 0) {
				sc_error(c, SC_E_READ, "bad status line");
				sc_close(c);
				return;
			}
			c->state = SC_BODY;
			if (c->clen == 0)
				c->body_over = 1;
		}
		if (sc_body(c, buf + off, (size_t)r - off, rt, mono) < 0) {
			sc_error(c, SC_E_BODY, "bad chunked encoding");
			sc_close(c);
			return;
		}
		if (c->body_over) {
			sc_finish(c, 0);
			return;
		}
	}
}

static void
sc_on_write(struct sc_conn *c)
{
	ssize_t	w;
	int	err = 0;
	socklen_t len = sizeof(err);

	if (c->state == SC_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			sc_error(c, SC_E_CONNECT, strerror(err ? err : errno));
			sc_close(c);
			return;
		}
		c->state = SC_WRITING;
	}
	while (c->woff < sc_o.reqlen) {
		w = write(c->fd, sc_o.req + c->woff, sc_o.reqlen - c->woff);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (w < 0) {
			sc_error(c, SC_E_WRITE, strerror(errno));
			sc_close(c);
			return;
		}
		c->woff += (size_t)w;
	}
	c->state = SC_HEADERS;
	sc_want(c, EPOLLIN, EPOLL_CTL_MOD);
}

static int
sc_parse_url(const char *url)
{
	const char	*p, *slash, *colon;
	char		 ip[64];
	size_t		 n;

	if (strncmp(url, "http://", 7) != 0)
		return (-1);
	p = url + 7;
	slash = strchr(p, '/');
	sc_o.path = slash ? slash : "/";
	n = slash ? (size_t)(slash - p) : strlen(p);
	if (n == 0 || n >= sizeof(sc_o.host))
		return (-1);
	memcpy(sc_o.host, p, n);
	sc_o.host[n] = '\0';
	if ((colon = strchr(sc_o.host, ':')) == NULL)
		return (-1);
	n = (size_t)(colon - sc_o.host);
	if (n >= sizeof(ip))
		return (-1);
	memcpy(ip, sc_o.host, n);
	ip[n] = '\0';
	if (strcmp(ip, "localhost") == 0)
		strcpy(ip, "127.0.0.1");
	memset(&sc_o.sa, 0, sizeof(sc_o.sa));
	sc_o.sa.sin_family = AF_INET;
	sc_o.sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, ip, &sc_o.sa.sin_addr) != 1)
		return (-1);
	return (0);
}

static char *
sc_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*b;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0 || (b = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return (NULL);
	}
	if (fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		fclose(f);
		return (NULL);
	}
	fclose(f);
	*len = (size_t)n;
	return (b);
}

static void
sc_usage(void)
{
	fprintf(stderr, "usage: sseclient -u http://127.0.0.1:PORT/path "
	    "-b body.json [-H 'Name: value']...\n"
	    "       [-c conns] [-d seconds] [-n max_streams] "
	    "[-k expected_chunks] [-t timeout_s]\n");
	exit(2);
}

static void
sc_build_request(const char *body, size_t blen, char **hdrs, int nh)
{
	size_t	cap, n;
	int	i;

	cap = 512 + blen + strlen(sc_o.path);
	for (i = 0; i < nh; i++)
		cap += strlen(hdrs[i]) + 2;
	if ((sc_o.req = malloc(cap)) == NULL)
		exit(2);
	n = (size_t)snprintf(sc_o.req, cap, "POST %s HTTP/1.1\r\nHost: %s\r\n"
	    "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
	    "Content-Length: %zu\r\n", sc_o.path, sc_o.host, blen);
	for (i = 0; i < nh; i++)
		n += (size_t)snprintf(sc_o.req + n, cap - n, "%s\r\n", hdrs[i]);
	n += (size_t)snprintf(sc_o.req + n, cap - n, "\r\n");
	memcpy(sc_o.req + n, body, blen);
	sc_o.reqlen = n + blen;
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[256];
	struct sc_conn		*conns, *c;
	char			*hdrs[32], *body = NULL;
	const char		*url = NULL, *bodyfile = NULL;
	size_t			 blen = 0;
	int64_t			 t0, now, stop_at, hard_stop, tmo;
	int			 ch, nh = 0, i, n, active;
	long			 errsum;

	signal(SIGPIPE, SIG_IGN);
	sc_o.conns = 10;
	sc_o.duration = 5;
	sc_o.max_streams = 1000000;
	sc_o.expect_chunks = 1;
	sc_o.timeout = 30;
	while ((ch = getopt(argc, argv, "u:b:H:c:d:n:k:t:")) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'b': bodyfile = optarg; break;
		case 'H':
			if (nh == (int)(sizeof(hdrs) / sizeof(hdrs[0])))
				sc_usage();
			hdrs[nh++] = optarg;
			break;
		case 'c': sc_o.conns = atoi(optarg); break;
		case 'd': sc_o.duration = atof(optarg); break;
		case 'n': sc_o.max_streams = atol(optarg); break;
		case 'k': sc_o.expect_chunks = atoi(optarg); break;
		case 't': sc_o.timeout = atof(optarg); break;
		default: sc_usage();
		}
	}
	if (url == NULL || bodyfile == NULL || sc_o.conns < 1 ||
	    sc_o.duration <= 0 || sc_o.max_streams < 1 || sc_parse_url(url) < 0)
		sc_usage();
	if ((body = sc_read_file(bodyfile, &blen)) == NULL) {
		fprintf(stderr, "sseclient: %s: cannot read\n", bodyfile);
		return (2);
	}
	sc_build_request(body, blen, hdrs, nh);
	if ((sc_epfd = epoll_create1(0)) < 0 ||
	    (conns = calloc((size_t)sc_o.conns, sizeof(*conns))) == NULL)
		return (2);
	for (i = 0; i < sc_o.conns; i++) {
		conns[i].fd = -1;
		if ((conns[i].line = malloc(SC_MAXLINE + 1)) == NULL)
			return (2);
	}

	t0 = sc_now(CLOCK_MONOTONIC);
	stop_at = t0 + (int64_t)(sc_o.duration * 1e9);
	hard_stop = stop_at + (int64_t)(sc_o.timeout * 1e9);
	tmo = (int64_t)(sc_o.timeout * 1e9);
	for (i = 0; i < sc_o.conns && sc_started < sc_o.max_streams; i++)
		sc_begin(&conns[i]);
	for (;;) {
		n = epoll_wait(sc_epfd, evs, 256, 20);
		for (i = 0; i < n; i++) {
			c = evs[i].data.ptr;
			if (c->fd < 0)
				continue;
			if ((evs[i].events & EPOLLOUT) &&
			    (c->state == SC_CONNECTING || c->state == SC_WRITING))
				sc_on_write(c);
			if (c->fd >= 0 && (evs[i].events &
			    (EPOLLIN | EPOLLHUP | EPOLLERR)))
				sc_on_read(c);
		}
		now = sc_now(CLOCK_MONOTONIC);
		active = 0;
		for (i = 0; i < sc_o.conns; i++) {
			c = &conns[i];
			if (c->state != SC_IDLE && now - c->t_start > tmo) {
				sc_error(c, SC_E_TIMEOUT, "stream timed out");
				sc_close(c);
			}
			if (c->state == SC_IDLE && now < stop_at &&
			    sc_started < sc_o.max_streams)
				sc_begin(c);
			if (c->state != SC_IDLE)
				active++;
		}
		if (active == 0 && (now >= stop_at ||
		    sc_started >= sc_o.max_streams))
			break;
		if (now >= hard_stop) {
			for (i = 0; i < sc_o.conns; i++)
				if (conns[i].state != SC_IDLE) {
					sc_error(&conns[i], SC_E_TIMEOUT,
					    "still running at the deadline");
					sc_close(&conns[i]);
				}
			break;
		}
	}
	now = sc_now(CLOCK_MONOTONIC);

	errsum = 0;
	for (i = 0; i < SC_E_NUM; i++)
		errsum += sc_errs[i];
	printf("{\"streams_ok\":%ld,\"streams_started\":%ld,\"errors_total\":%ld,"
	    "\"errors\":{", sc_ok, sc_started, errsum);
	for (i = 0; i < SC_E_NUM; i++)
		printf("\"%s\":%ld%s", sc_err_names[i], sc_errs[i],
		    i + 1 < SC_E_NUM ? "," : "");
	printf("},\"first_error\":\"");
	for (i = 0; sc_first_err[i] != '\0'; i++)
		if (sc_first_err[i] != '"' && sc_first_err[i] != '\\' &&
		    (unsigned char)sc_first_err[i] >= 0x20)
			putchar(sc_first_err[i]);
	printf("\",\"duration_s\":%.3f,\"streams_per_s\":%.2f,\"chunks\":%ld,"
	    "\"stamped_chunks\":%ld,\"conns\":%d,", (double)(now - t0) / 1e9,
	    (double)sc_ok / ((double)(now - t0) / 1e9), sc_chunks, sc_stamped,
	    sc_o.conns);
	sc_print_dist("ttfb_us", &sc_ttfb, 0);
	sc_print_dist("stream_us", &sc_total, 0);
	sc_print_dist("relay_us", &sc_relay, 1);
	printf("}\n");
	return (0);
}
