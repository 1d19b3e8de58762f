/*
 * mock.h: shared types of llmux-mock, the fake OpenAI upstream used by the
 * integration tests and the benchmark.
 *
 * The program is split by job, one prefix per file:
 *
 *	mock.c		mock_	argv, listening socket, workers, signals
 *	mock_http.c	mhttp_	connections: reading, HTTP/1.1 parsing, writing
 *	mock_api.c	mapi_	routes, behaviour directives, responses, streams
 *	mock_rec.c	mrec_	recorded requests, the --log file, counters
 *	mock_buf.c	mbuf_	growable byte buffer and JSON string escaping
 *
 * A connection (struct mconn) is owned by mock_http.c.  While a request is
 * answered asynchronously (latency, stream, hang) mock_api.c keeps its state
 * in the connection's struct mapi_resp and its timer; nothing else is
 * allocated per request.
 */
#ifndef MOCK_H
#define MOCK_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#define MOCK_MAXHDR	100		/* header lines kept per request */
#define MOCK_MAXHEAD	(64 * 1024)	/* request line and headers */
#define MOCK_MAXBODY	(64 * 1024 * 1024)
#define MOCK_RECMAX	1000		/* requests kept for /_mock/requests */
#define MOCK_RECBODY	(64 * 1024)	/* recorded body bytes per request */

/*
 * Growable byte buffer.  Growth failure is fatal: this is a test tool and
 * a partial answer would only hide the real problem.
 */
struct mbuf {
	char	*d;
	size_t	 len;
	size_t	 cap;
};

struct mock_opt {
	const char	*host;
	int		 port;
	const char	*log;
	int		 logfd;		/* -1 without --log */
	int		 workers;
	int		 record;	/* 0 with --no-record */
	int		 worker;	/* index of this process, from 0 */
};

extern struct mock_opt	mock_opt;

/* Counters of /_mock/stats; per process. */
struct mrec_stats {
	uint64_t	 requests;
	uint64_t	 chat;
	uint64_t	 streams_started;
	uint64_t	 streams_completed;
	uint64_t	 streams_aborted;
	uint64_t	 streams_broken;	/* cut by break_after */
	uint64_t	 aborted;		/* any request, client left */
	uint64_t	 hung;			/* hang=1 requests seen */
	int64_t		 hung_open;		/* of those, still open */
	int64_t		 in_flight;
};

extern struct mrec_stats	mrec_stats;

/* A header line as offsets into the connection's input buffer. */
struct mhttp_hdr {
	uint32_t	 name;
	uint32_t	 nlen;
	uint32_t	 val;
	uint32_t	 vlen;
};

/*
 * One parsed request, handed to mapi_dispatch().  Every pointer points into
 * the connection's input buffer and is valid only during that call.
 */
struct mreq {
	const char		*base;		/* header offsets start here */
	const char		*method;
	size_t			 mlen;
	const char		*target;	/* path and query */
	size_t			 tlen;
	const char		*body;		/* de-chunked */
	size_t			 blen;
	const struct mhttp_hdr	*hdr;
	unsigned int		 nhdr;
};

/* A string kept in the connection's string buffer (mconn.sb). */
struct mapi_str {
	uint32_t	 off;
	uint32_t	 len;
	int		 set;
};

/* Behaviour directives of one request; see mapi_keys[] in mock_api.c. */
struct mapi_dir {
	long		 latency_ms;
	long		 status;
	long		 retry_after;		/* -1: no header */
	long		 chunks;
	long		 chunk_delay_ms;
	long		 hang;
	long		 break_after;		/* -1: never */
	long		 split;
	long		 stamp;
	long		 headers_late;
	long		 prompt_tokens;		/* -1: from the body size */
	long		 completion_tokens;	/* -1: from the content */
	struct mapi_str	 finish_reason;
	struct mapi_str	 message;
	struct mapi_str	 content;
	struct mapi_str	 code;
	struct mapi_str	 type;
};

enum mapi_state {
	MAPI_IDLE,
	MAPI_WAIT,		/* latency before the answer or first chunk */
	MAPI_STREAM,		/* between chunks or pieces of a split chunk */
	MAPI_HANG
};

/* The answer in progress on a connection. */
struct mapi_resp {
	int		 active;	/* counted in in_flight */
	enum mapi_state	 state;
	int		 kind;
	int		 stream;
	int		 include_usage;
	int		 b64;
	int		 ninput;
	int		 nchunks;
	int		 step;		/* next stream event */
	int		 nsteps;
	int		 delayed;	/* chunk_delay_ms already waited */
	int		 npieces;	/* split=1: pieces of mconn.eb */
	int		 piece;
	size_t		 cut[4];
	uint64_t	 id;
	long		 created;
	long		 ptok;
	long		 ctok;
	struct mapi_str	 model;		/* already JSON-escaped */
	struct mapi_dir	 d;
};

/*
 * A client connection.  The input buffer holds the request being parsed
 * (and whatever a pipelining client sent after it); output that the socket
 * did not take at once waits in out.
 */
struct mconn {
	TAILQ_ENTRY(mconn)	 entry;
	int			 fd;
	struct event		 rev;
	struct event		 wev;
	struct event		 tev;		/* mock_api.c's timer */
	struct evbuffer		*out;		/* NULL until a short write */
	char			*ib;
	size_t			 ilen;
	size_t			 icap;

	/* Parser state of the request at the head of ib. */
	int			 headdone;
	size_t			 scan;		/* header end search resumes */
	size_t			 hend;		/* first byte after the head */
	size_t			 clen;
	int			 chunked;
	size_t			 craw;		/* next raw chunk-size line */
	size_t			 bodylen;
	size_t			 reqend;	/* first byte after request */
	int			 expect;
	int			 keepalive;
	uint32_t		 moff, mlen, toff, tlen;
	unsigned int		 nhdr;
	struct mhttp_hdr	 hdr[MOCK_MAXHDR];

	int			 busy;		/* answering; input waits */
	int			 in_dispatch;
	int			 keep;		/* keep-alive after answer */
	int			 closing;	/* close once out drains */
	int			 dead;		/* free when callback ends */
	int			 reading;	/* rev is added */

	struct mbuf		 ob;		/* wire bytes being built */
	struct mbuf		 eb;		/* one body or stream event */
	struct mbuf		 sb;		/* strings the answer needs */
	struct mapi_resp	 rs;
};

/* mock.c */
/* Print "llmux-mock: " and the message to stderr, then exit(1). */
void		 mock_fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* mock_buf.c */
/* Make room for n more bytes; fatal when memory runs out. */
void		 mbuf_grow(struct mbuf *, size_t n);
/* Append unsigned and signed decimal numbers. */
void		 mbuf_addu(struct mbuf *, uint64_t);
void		 mbuf_addi(struct mbuf *, int64_t);
/* Append a lowercase hexadecimal number (chunk sizes). */
void		 mbuf_addx(struct mbuf *, size_t);
/*
 * Append s as the inside of a JSON string: quotes, backslashes and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD.
 */
void		 mbuf_json(struct mbuf *, const char *s, size_t n);
/* Append base64 of p. */
void		 mbuf_b64(struct mbuf *, const void *p, size_t n);
/* Release the storage; the buffer may be used again. */
void		 mbuf_free(struct mbuf *);

static inline void
mbuf_add(struct mbuf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->len < n)
		mbuf_grow(b, n);
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static inline void
mbuf_adds(struct mbuf *b, const char *s)
{
	mbuf_add(b, s, strlen(s));
}

static inline void
mbuf_addc(struct mbuf *b, char ch)
{
	if (b->cap == b->len)
		mbuf_grow(b, 1);
	b->d[b->len++] = ch;
}

/* mock_http.c */
/* Take over an accepted, non-blocking socket.  Fatal on out of memory. */
void		 mhttp_new(struct event_base *, int fd);
/*
 * Write n bytes, queueing what the socket does not take.  Returns -1 when
 * the connection is gone (the answer was aborted and accounted), else 0.
 */
int		 mhttp_send(struct mconn *, const void *, size_t n);
/* The answer is complete: go on with the next request or close. */
void		 mhttp_finish(struct mconn *);
/* Close once queued output is written, whatever the request asked. */
void		 mhttp_close(struct mconn *);
/* End of a callback on c: free it if it died meanwhile. */
void		 mhttp_settle(struct mconn *);
/* Shutdown: free every connection without accounting. */
void		 mhttp_free_all(void);

/* mock_api.c */
/* Answer rq, now or later through the connection's timer. */
void		 mapi_dispatch(struct mconn *, const struct mreq *rq);
/* Answer a request that could not be parsed, then close. */
void		 mapi_reject(struct mconn *, int status, const char *msg);
/* The client went away: stop timers and count the abort. */
void		 mapi_abort(struct mconn *);
/* The connection's timer (latency, chunk delay, split pieces). */
void		 mapi_timer_cb(evutil_socket_t, short, void *);
/* Seed the generator behind split=1. */
void		 mapi_seed(uint64_t);

/* mock_rec.c */
/* Record rq (unless --no-record) and log it (with --log). */
void		 mrec_add(const struct mreq *rq);
/* Append the recorded requests as a JSON array, oldest first. */
void		 mrec_dump(struct mbuf *);
/* Forget the recorded requests; returns how many there were. */
size_t		 mrec_clear(void);
/* Append the counters as a JSON object. */
void		 mrec_stats_json(struct mbuf *);
/* Zero the counters that are totals (not in_flight, hung_open). */
void		 mrec_stats_reset(void);
/* Exit: free the ring and the scratch buffer. */
void		 mrec_free(void);

#endif /* MOCK_H */
