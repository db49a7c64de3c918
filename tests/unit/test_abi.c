/* The shared libraries as an application links them: public headers only. */
#include <string.h>

#include <libchat/libchat.h>
#include <libchat/server.h>

#include "testutil.h"

START_TEST(abi_versions)
{
	ck_assert_str_eq(lc_version(), lc_server_version());
	ck_assert_ptr_nonnull(strchr(lc_version(), '.'));
	ck_assert(lc_allocator_default()->malloc != NULL);
}
END_TEST

START_TEST(abi_frame_through_shared_library)
{
	uint8_t wire[LC_FRAME_PROLOGUE_LEN + 2 + 3];
	lc_frame_decoder *d;
	const uint8_t *f;
	size_t used, flen;

	lc_frame_prologue(wire);
	ck_assert_int_eq(lc_frame_encode(wire + 6, sizeof wire - 6,
					 (const uint8_t *)"hey", 3), 5);
	ck_assert_int_eq(lc_frame_decoder_new(&d, LC_FRAME_EXPECT_PROLOGUE, NULL), 0);
	ck_assert_int_eq(lc_frame_decode(d, wire, sizeof wire, &used, &f, &flen), 1);
	ck_assert_uint_eq(flen, 3);
	ck_assert_mem_eq(f, "hey", 3);
	lc_frame_decoder_free(d);
	ck_assert_str_eq(lc_strerror(LC_ERR_FRAME_TOO_LARGE),
			 "frame larger than the limit");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("abi");
	TCase *t = tcase_create("shared");

	tcase_add_test(t, abi_versions);
	tcase_add_test(t, abi_frame_through_shared_library);
	suite_add_tcase(s, t);
	return lc_test_run(s);
}
