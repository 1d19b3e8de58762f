/*
 * test_master.c: the framed control messages of master.c on a
 * SOCK_SEQPACKET socketpair, as the master and its children use them.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <criterion/criterion.h>

#include "master.h"

static int	tm_sp[2];

static void
tm_setup(void)
{
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0,
	    tm_sp), 0);
}

static void
tm_teardown(void)
{
	close(tm_sp[0]);
	close(tm_sp[1]);
}

TestSuite(master, .init = tm_setup, .fini = tm_teardown);

Test(master, messages_keep_their_boundaries_and_types)
{
	char		buf[64];
	uint16_t	type;

	cr_assert_eq(mst_msg_send(tm_sp[0], MST_MSG_READY, NULL, 0), LX_OK);
	cr_assert_eq(mst_msg_send(tm_sp[0], 7, "hello", 5), LX_OK);
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)), 0);
	cr_assert_eq(type, MST_MSG_READY);
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)), 5);
	cr_assert_eq(type, 7);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)),
	    LX_AGAIN);
}

Test(master, eof_is_zero_with_no_type)
{
	char		buf[8];
	uint16_t	type = 99;

	close(tm_sp[0]);
	tm_sp[0] = -1;
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)), 0);
	cr_assert_eq(type, 0);
}

Test(master, bad_frames_are_refused)
{
	struct mst_msg_hdr	h = { 10, MST_MSG_READY, 0 };
	char			buf[8];
	uint16_t		type;

	/* A header announcing more than was sent. */
	cr_assert_eq(write(tm_sp[0], &h, sizeof(h)), (ssize_t)sizeof(h));
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)),
	    LX_ERR);
	cr_assert_eq(errno, EPROTO);
	/* A payload larger than the reader's buffer. */
	cr_assert_eq(mst_msg_send(tm_sp[0], 3, "0123456789", 10), LX_OK);
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)),
	    LX_ERR);
	/* Too short for a header. */
	cr_assert_eq(write(tm_sp[0], "R", 1), 1);
	cr_assert_eq(mst_msg_recv(tm_sp[1], &type, buf, sizeof(buf)),
	    LX_ERR);
	cr_assert_eq(mst_msg_send(tm_sp[0], 1, buf, MST_MSG_MAX + 1), LX_ERR);
	cr_assert_eq(errno, EMSGSIZE);
}
