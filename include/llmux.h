/*
 * llmux.h: return codes and forward declarations shared by every module.
 * Nothing else belongs here; each module has its own header.
 */
#ifndef LLMUX_H
#define LLMUX_H

#define LLMUX_VERSION		"0.1.0"

/* Return codes of every fallible function. */
#define LX_OK			0	/* done */
#define LX_ERR			(-1)	/* failed; the caller decides whether to log */
#define LX_AGAIN		(-2)	/* waiting on I/O; a callback resumes */
#define LX_DECLINED		(-3)	/* not mine; try the next handler */

#define LX_MUSTCHECK		__attribute__((warn_unused_result))
#define LX_PRINTF(f, a)		__attribute__((format(printf, f, a)))
#define LX_NORETURN		__attribute__((noreturn))

#define LX_NELEM(a)		(sizeof(a) / sizeof((a)[0]))

struct cfg;
struct cfg_deploy;
struct arena;
struct req;
struct wrk;

#endif
