/*
 * Log lines: one line per call whatever the message holds (no forged
 * lines from client text), escaping in both formats, level filtering.
 * Each test runs in its own process (Criterion), so stderr is redirected
 * to a temporary file and read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "log.h"

static FILE	*log_cap;

static void
cap_start(const char *level, const char *format)
{
	log_cap = tmpfile();
	cr_assert_not_null(log_cap);
	cr_assert_neq(dup2(fileno(log_cap), STDERR_FILENO), -1);
	log_init("master", level, format);
}

/* What was written so far; the caller frees it. */
static char *
cap_read(void)
{
	static char	 buf[65536];
	size_t		 n;

	rewind(log_cap);
	n = fread(buf, 1, sizeof(buf) - 1, log_cap);
	buf[n] = '\0';
	return (strdup(buf));
}

static size_t
count_lines(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (*s == '\n')
			n++;
	return (n);
}

Test(log, text_line_has_fields)
{
	char	*out;

	cap_start("info", "text");
	log_msg(LOG_LVL_WARN, "req-1", "upstream %d", 502);
	out = cap_read();
	cr_assert_eq(count_lines(out), 1);
	cr_assert_not_null(strstr(out, " master warn: req-1: upstream 502\n"),
	    "%s", out);
	free(out);
}

Test(log, text_escapes_newlines_in_message)
{
	const char	*model = "x\n2026-01-01T00:00:00.000Z llmux[1] master "
	    "error: FORGED\r\nmore";
	char		*out;

	cap_start("info", "text");
	log_info("unknown model %s", model);
	out = cap_read();
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_null(strchr(out, '\r'));
	cr_assert_not_null(strstr(out, "model x\\n2026-01-01T00:00:00.000Z "
	    "llmux[1] master error: FORGED\\r\\nmore\n"), "%s", out);
	free(out);
}

Test(log, text_escapes_other_controls_and_del)
{
	char	*out;

	cap_start("info", "text");
	log_info("a\tb\x01" "c\x1b[31md\x7f" "e");
	out = cap_read();
	cr_assert_not_null(strstr(out, ": a\\tb\\x01c\\x1b[31md\\x7fe\n"),
	    "%s", out);
	free(out);
}

Test(log, text_keeps_utf8_escapes_invalid_bytes)
{
	char	*out;

	cap_start("info", "text");
	/* é, €, 😀 pass; a lone continuation byte, an overlong '/', a
	 * surrogate and a truncated sequence do not. */
	log_info("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x80 \xc0\xaf "
	    "\xed\xa0\x80 \xe2\x82");
	out = cap_read();
	cr_assert_not_null(strstr(out, ": \xc3\xa9 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80 \\x80 \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82\n"),
	    "%s", out);
	free(out);
}

Test(log, text_escapes_request_id)
{
	char	*out;

	cap_start("info", "text");
	log_msg(LOG_LVL_INFO, "id\nFORGED", "m");
	out = cap_read();
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_not_null(strstr(out, ": id\\nFORGED: m\n"), "%s", out);
	free(out);
}

Test(log, json_escapes_message_and_request_id)
{
	char	*out;

	cap_start("info", "json");
	log_msg(LOG_LVL_ERROR, "a\"b", "q\"\\\n\x01\xff\xc3\xa9");
	out = cap_read();
	cr_assert_eq(count_lines(out), 1, "%s", out);
	cr_assert_not_null(strstr(out, "\"level\":\"error\",\"process\":"
	    "\"master\""), "%s", out);
	cr_assert_not_null(strstr(out, "\"request_id\":\"a\\\"b\""), "%s",
	    out);
	cr_assert_not_null(strstr(out, "\"message\":\"q\\\"\\\\\\u000a\\u0001"
	    "\\ufffd\xc3\xa9\"}\n"), "%s", out);
	free(out);
}

Test(log, long_message_is_one_line)
{
	char	 big[6000], *out;

	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cap_start("info", "text");
	log_info("%s", big);
	out = cap_read();
	cr_assert_eq(count_lines(out), 1, "%zu lines", count_lines(out));
	cr_assert_eq(out[strlen(out) - 1], '\n');
	free(out);
}

Test(log, level_filters)
{
	char	*out;

	cap_start("warning", "text");
	log_info("hidden");
	log_debug("hidden");
	log_warn("shown");
	cr_assert(!log_enabled(LOG_LVL_INFO));
	cr_assert(log_enabled(LOG_LVL_ERROR));
	out = cap_read();
	cr_assert_null(strstr(out, "hidden"));
	cr_assert_not_null(strstr(out, " warn: shown\n"));
	free(out);
}

Test(log, redact_never_shows_the_key)
{
	char	buf[64];

	cr_assert_str_eq(log_redact("sk-abcdefghijklmnop", buf, sizeof(buf)),
	    "sk-a****mnop");
	cr_assert_str_eq(log_redact("sk-short", buf, sizeof(buf)),
	    "****(8 chars)");
	cr_assert_str_eq(log_redact(NULL, buf, sizeof(buf)), "(none)");
}
