/*
 * master.h: the master process (master.c): binds the listening socket,
 * keeps the process table (workers and, to come, the accounting process),
 * reloads by generation and drains; and the framed messages the children
 * and the master exchange on their socketpair.
 */
#ifndef MASTER_H
#define MASTER_H

#include <stddef.h>
#include <stdint.h>

#include "llmux.h"

struct mst_opts {
	const char	*config;	/* path given with --config */
	const char	*host;
	int		 port;
	int		 workers;	/* 0: from the config or CPU count */
};

/*
 * Run until SIGTERM/SIGINT; returns the process exit status.  Takes
 * ownership of cfg: it becomes generation 1 and is freed when the last
 * child using it has exited (the caller must not free it).
 */
int	mst_run(struct cfg *, const struct mst_opts *);

/*
 * In a child: whether it was forked while the master's reload parser was
 * running.  Such a child holds a copy of a half-built config that no
 * pointer it can see reaches, and that it must not free; it should end
 * with _exit() so that a leak checker does not report that copy.
 */
int	mst_forked_during_parse(void);

/*
 * Control messages.  The socketpair is SOCK_SEQPACKET, so one send is one
 * message; each starts with this header, then len bytes of payload.
 * A receiver ignores types it does not know.
 */
struct mst_msg_hdr {
	uint32_t	len;		/* payload bytes after the header */
	uint16_t	type;		/* MST_MSG_* */
	uint16_t	flags;		/* 0 */
};

#define MST_MSG_READY	1	/* child -> master: serving; no payload */
#define MST_MSG_MAX	4096	/* largest payload */

/* Send one message on fd.  LX_ERR with errno set when it could not. */
int	mst_msg_send(int fd, uint16_t type, const void *payload, size_t len)
	    LX_MUSTCHECK;
/*
 * Receive one message from fd into buf (payload only, up to cap bytes).
 * Returns the payload length and sets *type; 0 with *type 0 at EOF;
 * LX_AGAIN when nothing is waiting; LX_ERR on a read error or a frame
 * whose length does not match its header (errno EPROTO).
 */
int	mst_msg_recv(int fd, uint16_t *type, void *buf, size_t cap)
	    LX_MUSTCHECK;

#endif
