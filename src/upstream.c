/*
 * upstream.c: libcurl multi <-> libevent glue.
 *
 * curl tells us which sockets to watch (up_sock_cb) and when to wake it
 * (up_timer_cb); libevent calls back into curl_multi_socket_action().
 * Finished transfers are collected in up_check(), which runs after every
 * action, outside curl's callbacks, so a done callback may free memory the
 * transfer used.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "log.h"
#include "upstream.h"

#define UP_POOL_MAX	256	/* idle easy handles kept for reuse */

struct up_call {
	CURL			*easy;
	struct req		*r;
	const struct up_ops	*ops;
	long			 status;
	struct event		 idle;	/* nothing received for idle_ms */
	struct event		 resume;	/* unpause after a refusal */
	int			 paused;
	struct timeval		 idle_tv;
	int			 idle_on;
	struct up_call		*next;	/* free list */
};

struct up_sock {
	struct event	 ev;
	curl_socket_t	 fd;
	short		 kind;		/* what ev watches */
};

static struct event_base	*up_base;
static CURLM			*up_multi;
static struct event		*up_timer;
static struct up_call		*up_pool;
static unsigned			 up_npool;
static struct up_stats		 up_st;

static void	up_check(void);

static void
up_event_cb(evutil_socket_t fd, short what, void *arg)
{
	int	action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(up_multi, fd, action, &running);
	up_check();
}

static void
up_timer_fire(evutil_socket_t fd, short what, void *arg)
{
	int	running;

	curl_multi_socket_action(up_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	up_check();
}

static int
up_timer_cb(CURLM *m, long ms, void *arg)
{
	struct timeval	tv;

	if (ms < 0) {
		evtimer_del(up_timer);
		return (0);
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(up_timer, &tv);
	return (0);
}

static int
up_sock_cb(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct up_sock	*us = sockp;
	short		 kind;

	if (what == CURL_POLL_REMOVE) {
		if (us != NULL) {
			event_del(&us->ev);
			free(us);
			curl_multi_assign(up_multi, fd, NULL);
		}
		return (0);
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (us == NULL) {
		if ((us = calloc(1, sizeof(*us))) == NULL)
			return (-1);
		us->fd = fd;
		curl_multi_assign(up_multi, fd, us);
	} else if (us->kind == kind)
		return (0);	/* nothing changes: no epoll_ctl */
	else
		event_del(&us->ev);
	/* The event lives in us: reassigning it allocates nothing. */
	event_assign(&us->ev, up_base, fd, kind, up_event_cb, NULL);
	us->kind = kind;
	event_add(&us->ev, NULL);
	return (0);
}

/*
 * The idle timer restarts on every byte received.  curl's own low-speed
 * check averages over seconds and counts the upload, so it cannot see a
 * stream that stalls: this one can.
 */
static void
up_idle_touch(struct up_call *c)
{
	if (c->idle_on)
		evtimer_add(&c->idle, &c->idle_tv);
}

static void	up_finish(struct up_call *, int, const char *);

static const struct timeval	up_resume_tv = { 0, 10000 };

static void
up_resume(evutil_socket_t fd, short what, void *arg)
{
	struct up_call	*c = arg;

	c->paused = 0;
	/* May call the write callback at once, which may pause again. */
	curl_easy_pause(c->easy, CURLPAUSE_CONT);
}

static void
up_idle_fire(evutil_socket_t fd, short what, void *arg)
{
	struct up_call	*c = arg;

	up_finish(c, CURLE_OPERATION_TIMEDOUT,
	    "no data received within the stream timeout");
}

static size_t
up_write_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct up_call	*c = arg;
	size_t		 n = sz * nm;

	up_idle_touch(c);
	if (c->r == NULL)
		return (0);
	switch (c->ops->data(c->r, p, n)) {
	case 0:
		return (n);
	case 1:
		/* Try again soon; the idle timer keeps running meanwhile. */
		evtimer_add(&c->resume, &up_resume_tv);
		c->paused = 1;
		return (CURL_WRITEFUNC_PAUSE);
	default:
		return (0);
	}
}

static size_t
up_header_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct up_call	*c = arg;
	size_t		 n = sz * nm;

	up_idle_touch(c);
	/* A new status line starts every response (also after 100). */
	if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', n);

		c->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
	}
	if (c->r != NULL && c->ops->header != NULL)
		c->ops->header(c->r, p, n);
	return (n);
}

int
up_init(struct event_base *base)
{
	up_base = base;
	if ((up_multi = curl_multi_init()) == NULL)
		return (LX_ERR);
	if ((up_timer = evtimer_new(base, up_timer_fire, NULL)) == NULL)
		return (LX_ERR);
	curl_multi_setopt(up_multi, CURLMOPT_SOCKETFUNCTION, up_sock_cb);
	curl_multi_setopt(up_multi, CURLMOPT_TIMERFUNCTION, up_timer_cb);
	/* Keep enough idle connections for a thousand calls in flight. */
	curl_multi_setopt(up_multi, CURLMOPT_MAXCONNECTS, 2048L);
	return (LX_OK);
}

void
up_fini(void)
{
	struct up_call	*c;

	while ((c = up_pool) != NULL) {
		up_pool = c->next;
		curl_easy_cleanup(c->easy);
		free(c);
	}
	if (up_multi != NULL)
		curl_multi_cleanup(up_multi);
	if (up_timer != NULL)
		event_free(up_timer);
	up_multi = NULL;
	up_timer = NULL;
}

static struct up_call *
up_get(void)
{
	struct up_call	*c;

	if ((c = up_pool) != NULL) {
		up_pool = c->next;
		up_npool--;
		curl_easy_reset(c->easy);
		return (c);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->easy = curl_easy_init()) == NULL) {
		free(c);
		return (NULL);
	}
	evtimer_assign(&c->idle, up_base, up_idle_fire, c);
	evtimer_assign(&c->resume, up_base, up_resume, c);
	return (c);
}

static void
up_put(struct up_call *c)
{
	if (c->idle_on)
		evtimer_del(&c->idle);
	if (c->paused)
		evtimer_del(&c->resume);
	c->idle_on = 0;
	c->paused = 0;
	c->r = NULL;
	c->ops = NULL;
	if (up_npool >= UP_POOL_MAX) {
		curl_easy_cleanup(c->easy);
		free(c);
		return;
	}
	c->next = up_pool;
	up_pool = c;
	up_npool++;
}

struct up_call *
up_start(struct req *r, const struct up_ops *ops, const char *url,
    const struct curl_slist *hdrs, const char *body, size_t blen,
    long timeout_ms, long idle_ms)
{
	struct up_call	*c;
	CURL		*e;

	if ((c = up_get()) == NULL)
		return (NULL);
	e = c->easy;
	c->r = r;
	c->ops = ops;
	c->status = 0;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, up_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, up_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "llmux/" LLMUX_VERSION);
	if (timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (curl_multi_add_handle(up_multi, e) != CURLM_OK) {
		up_put(c);
		return (NULL);
	}
	if (idle_ms > 0) {
		c->idle_tv.tv_sec = idle_ms / 1000;
		c->idle_tv.tv_usec = (idle_ms % 1000) * 1000;
		c->idle_on = 1;
		up_idle_touch(c);
	}
	up_st.active++;
	return (c);
}

void
up_abort(struct up_call *c)
{
	if (c == NULL)
		return;
	curl_multi_remove_handle(up_multi, c->easy);
	up_st.active--;
	up_put(c);
}

/*
 * End a call: remove it from curl, hand the call back to the pool (which
 * may free it), then report with the status taken before: nothing may read
 * the call after up_put().
 */
static void
up_finish(struct up_call *c, int code, const char *msg)
{
	struct req		*r = c->r;
	const struct up_ops	*ops = c->ops;
	long			 status = c->status;

	curl_multi_remove_handle(up_multi, c->easy);
	up_st.active--;
	up_put(c);
	if (r != NULL)
		ops->done(r, code, status, msg);
}

long
up_status(struct up_call *c)
{
	return (c->status);
}

const struct up_stats *
up_stats(void)
{
	return (&up_st);
}

static void
up_check(void)
{
	CURLMsg		*m;
	struct up_call	*c;
	int		 left, code;
	char		 msg[256];

	while ((m = curl_multi_info_read(up_multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &c);
		code = (int)m->data.result;
		snprintf(msg, sizeof(msg), "%s",
		    curl_easy_strerror(m->data.result));
		/* m is invalid from here on: curl reuses it. */
		up_finish(c, code, msg);
	}
}
