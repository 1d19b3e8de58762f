/*
 * log.c: one line per event on stderr (systemd and docker collect it).
 *
 * Lines are built in a stack buffer and written with one write(2) so lines
 * from several workers never interleave.  Both formats escape the message
 * and the request id in log_escape(), so that text from a client (a model
 * name, a path) can never end a line or write one of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_role = "llmux";
static enum log_level	 log_max = LOG_LVL_INFO;
static int		 log_json;

static const char *log_names[] = { "error", "warn", "info", "debug" };

void
log_init(const char *role, const char *level, const char *format)
{
	size_t	i;

	if (role != NULL)
		log_role = role;
	if (level != NULL) {
		for (i = 0; i < LX_NELEM(log_names); i++)
			if (strcasecmp(level, log_names[i]) == 0)
				log_max = (enum log_level)i;
		if (strcasecmp(level, "warning") == 0)
			log_max = LOG_LVL_WARN;
	}
	if (format != NULL)
		log_json = strcmp(format, "json") == 0;
}

void
log_set_role(const char *role)
{
	log_role = role;
}

int
log_enabled(enum log_level l)
{
	return (l <= log_max);
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), or 0 when the bytes
 * there are not one: overlong forms, surrogates and code points above
 * U+10FFFF count as invalid, as RFC 3629 says.
 */
static size_t
log_utf8_len(const unsigned char *s)
{
	size_t		 len, i;
	unsigned int	 cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return (0);
	/* A NUL ends the string, and it is not a continuation byte. */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (len);
}

/*
 * Copy s into dst so that the result is one line of valid UTF-8 whatever
 * s holds: a model name or a path from a client must not be able to start
 * a line of its own.  JSON gets \uXXXX escapes (and U+FFFD for a byte that
 * is not UTF-8); text gets \n, \r, \t and \xHH, for DEL and invalid
 * bytes too.  The output is cut at a whole character when room runs out.
 */
static size_t
log_escape(char *dst, size_t room, const char *s, int json)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0, len;
	unsigned char		 c;

	for (; *p != '\0'; p += len) {
		c = *p;
		/* The longest escape is 6 bytes; keep room for the NUL. */
		if (n + 7 > room)
			break;
		if ((len = log_utf8_len(p)) == 0) {
			len = 1;
			if (json) {
				memcpy(dst + n, "\\ufffd", 6);
				n += 6;
			} else
				n += (size_t)snprintf(dst + n, room - n,
				    "\\x%02x", c);
		} else if (len > 1) {
			memcpy(dst + n, p, len);
			n += len;
		} else if (json && (c == '"' || c == '\\')) {
			dst[n++] = '\\';
			dst[n++] = (char)c;
		} else if (json && c < 0x20) {
			n += (size_t)snprintf(dst + n, room - n, "\\u%04x", c);
		} else if (!json && (c < 0x20 || c == 0x7f)) {
			dst[n++] = '\\';
			if (c == '\n')
				dst[n++] = 'n';
			else if (c == '\r')
				dst[n++] = 'r';
			else if (c == '\t')
				dst[n++] = 't';
			else
				n += (size_t)snprintf(dst + n, room - n,
				    "x%02x", c);
		} else
			dst[n++] = (char)c;
	}
	if (room > 0)
		dst[n] = '\0';
	return (n);
}

static void
log_vmsg(enum log_level l, const char *reqid, const char *fmt, va_list ap)
{
	/* Each escaped byte takes at most 4 bytes of text, 6 of JSON. */
	char		 msg[2048], esc[2048 * 4], id[64 * 4];
	char		 line[sizeof(esc) + sizeof(id) + 256], ts[64];
	struct timespec	 now;
	struct tm	 tm;
	int		 n, saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
	log_escape(esc, sizeof(esc), msg, log_json);
	if (reqid != NULL)
		log_escape(id, sizeof(id), reqid, log_json);
	if (log_json)
		n = snprintf(line, sizeof(line),
		    "{\"time\":\"%s\",\"level\":\"%s\",\"process\":\"%s\","
		    "\"pid\":%d%s%s%s,\"message\":\"%s\"}\n", ts, log_names[l],
		    log_role, (int)getpid(),
		    reqid ? ",\"request_id\":\"" : "", reqid ? id : "",
		    reqid ? "\"" : "", esc);
	else
		n = snprintf(line, sizeof(line), "%s llmux[%d] %s %s: %s%s%s\n",
		    ts, (int)getpid(), log_role, log_names[l],
		    reqid ? id : "", reqid ? ": " : "", esc);
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

void
log_msg(enum log_level l, const char *reqid, const char *fmt, ...)
{
	va_list	ap;

	if (l > log_max)
		return;
	va_start(ap, fmt);
	log_vmsg(l, reqid, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

char *
log_redact(const char *s, char *buf, size_t bufsz)
{
	size_t	len;

	if (s == NULL) {
		snprintf(buf, bufsz, "(none)");
		return (buf);
	}
	len = strlen(s);
	/* Short secrets reveal nothing: show only their length. */
	if (len < 12)
		snprintf(buf, bufsz, "****(%zu chars)", len);
	else
		snprintf(buf, bufsz, "%.4s****%s", s, s + len - 4);
	return (buf);
}

/*
 * The log file: opened with O_APPEND and put in place of stderr, so that
 * every line (and anything else written to stderr) goes there and lines
 * of several processes still never interleave.  SIGUSR1 reopens the same
 * path after logrotate has moved the file away.
 */
static char	*log_path;	/* owned; NULL: stderr as inherited */

int
log_reopen(const char *path)
{
	char	*p = NULL;
	int	 fd, saved;

	if (path == NULL && (path = log_path) == NULL)
		return (LX_OK);
	if (path != log_path && (p = strdup(path)) == NULL)
		return (LX_ERR);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) {
		saved = errno;
		if (fd >= 0)
			close(fd);
		free(p);
		errno = saved;
		return (LX_ERR);
	}
	close(fd);
	if (p != NULL) {
		free(log_path);
		log_path = p;
	}
	return (LX_OK);
}
