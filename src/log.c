/*
 * log.c: one line per event on stderr (systemd and docker collect it).
 *
 * Lines are built in a stack buffer and written with one write(2) so lines
 * from several workers never interleave.  JSON lines escape the message.
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

static size_t
log_json_escape(char *dst, size_t room, const char *s)
{
	size_t	n = 0;

	for (; *s != '\0' && n + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)snprintf(dst + n, room - n, "\\u%04x", c);
		} else
			dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return (n);
}

static void
log_vmsg(enum log_level l, const char *reqid, const char *fmt, va_list ap)
{
	char		 msg[2048], line[4600], ts[64], esc[4200];
	struct timespec	 now;
	struct tm	 tm;
	int		 n, saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (now.tv_nsec / 1000000) % 1000);
	if (log_json) {
		log_json_escape(esc, sizeof(esc), msg);
		n = snprintf(line, sizeof(line),
		    "{\"time\":\"%s\",\"level\":\"%s\",\"process\":\"%s\","
		    "\"pid\":%d%s%s%s,\"message\":\"%s\"}\n", ts, log_names[l],
		    log_role, (int)getpid(),
		    reqid ? ",\"request_id\":\"" : "", reqid ? reqid : "",
		    reqid ? "\"" : "", esc);
	} else
		n = snprintf(line, sizeof(line), "%s llmux[%d] %s %s: %s%s%s\n",
		    ts, (int)getpid(), log_role, log_names[l],
		    reqid ? reqid : "", reqid ? ": " : "", msg);
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
