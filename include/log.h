/*
 * log.h: log lines on stderr, text or JSON, with the process role and an
 * optional request id.  Secrets never reach this module: callers pass key
 * aliases or hashes, never keys (log_redact() masks a key for messages that
 * must mention one).
 */
#ifndef LOG_H
#define LOG_H

#include <stddef.h>

#include "llmux.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Role shown in each line ("master", "worker", "acct"), level and format. */
void	log_init(const char *role, const char *level, const char *format);
void	log_set_role(const char *role);
int	log_enabled(enum log_level);
void	log_msg(enum log_level, const char *reqid, const char *fmt, ...)
	    LX_PRINTF(3, 4);
/* Startup only: log and exit(1). */
void	fatal(const char *fmt, ...) LX_PRINTF(1, 2) LX_NORETURN;
/*
 * Append the log to path from now on (it replaces stderr, in this process
 * and the children it forks later); path NULL reopens the current one, as
 * after logrotate, and does nothing when logging to the inherited stderr.
 * LX_ERR with errno set: the old destination is kept.
 */
int	log_reopen(const char *path) LX_MUSTCHECK;
/* "sk-a****wxyz" style mask of a secret into buf (never the whole key). */
char	*log_redact(const char *secret, char *buf, size_t bufsz);

#define log_err(...)	log_msg(LOG_LVL_ERROR, NULL, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, NULL, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, NULL, __VA_ARGS__); } while (0)

#endif
