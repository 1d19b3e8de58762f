/*
 * The connection guard's reading of the request framing (RFC 9112
 * section 6.3): what it accepts, and what it refuses with 400.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "hdr.h"

static int
scan(const char *s, struct hdr_info *hi)
{
	return (hdr_parse(s, strlen(s), hi));
}

Test(hdr, plain_content_length)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length:  12 \r\n\r\n", &hi), LX_OK);
	cr_assert_eq(hi.content_length, 12);
	cr_assert_eq(hi.chunked, 0);
}

Test(hdr, bare_lf_lines)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\nContent-Length: 7\n"
	    "Expect: 100-continue\n\n", &hi), LX_OK);
	cr_assert_eq(hi.content_length, 7);
	cr_assert_eq(hi.expect_continue, 1);
}

Test(hdr, same_content_length_twice)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
	    "content-length: 5\r\n\r\n", &hi), LX_OK);
	cr_assert_eq(hi.content_length, 5);
}

Test(hdr, refuses_conflicting_content_length)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: 2\r\n"
	    "Content-Length: 86\r\n\r\n", &hi), LX_ERR);
	cr_assert_not_null(strstr(hi.why, "Content-Length"));
}

Test(hdr, refuses_signed_or_listed_content_length)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: +61\r\n\r\n",
	    &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n",
	    &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
	    &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
	    &hi), LX_ERR);
}

Test(hdr, refuses_content_length_with_chunked)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n", &hi), LX_ERR);
}

Test(hdr, chunked_only)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n"
	    "\r\n", &hi), LX_OK);
	cr_assert_eq(hi.chunked, 1);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, "
	    "chunked\r\n\r\n", &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", &hi), LX_ERR);
}

Test(hdr, refuses_folding_and_bad_names)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length: 2\r\n"
	    " 86\r\n\r\n", &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nContent-Length : 2\r\n\r\n",
	    &hi), LX_ERR);
	cr_assert_eq(scan("POST / HTTP/1.1\r\nno colon here\r\n\r\n", &hi),
	    LX_ERR);
}

Test(hdr, head_has_no_body)
{
	struct hdr_info	hi;

	cr_assert_eq(scan("HEAD /v1/models HTTP/1.1\r\nContent-Length: 9\r\n"
	    "\r\n", &hi), LX_OK);
	cr_assert_eq(hi.nobody, 1);
}
