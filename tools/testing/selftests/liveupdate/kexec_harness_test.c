// SPDX-License-Identifier: GPL-2.0
/*
 * Self-test of the kexec test harness, independent of live update: proves
 * that stage 2 really runs in a new kernel entered by kexec.
 *
 * Stage 1 checks that it is the first boot, leaves a marker file in tmpfs
 * and asks the init for a kexec. Stage 2 checks that the stage marker is on
 * its command line, that the previous kernel's boot id was handed over and
 * differs from its own (every kernel boot draws a new one), and that the
 * marker file is gone (tmpfs did not survive, so this is a new kernel, not a
 * second run in the old one). The runner also counts two kernel banners.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vmtest.h"

#define MARKER		"/tmp/kexec_harness_stage1"
#define UUID_LEN	36

static int stage_from_env(void)
{
	const char *s = getenv("VMTEST_STAGE");

	return s ? atoi(s) : -1;
}

static int stage1(void)
{
	char id[64], prev[64];
	int fd;

	ksft_set_plan(4);
	ksft_test_result(vmtest_stage() == 1,
			 "stage 1: no stage marker on the command line\n");
	ksft_test_result(stage_from_env() == 1,
			 "stage 1: init passed VMTEST_STAGE=1\n");
	ksft_test_result(vmtest_cmdline_get("vmtest.prev_boot_id", prev,
					    sizeof(prev)) == -ENOENT,
			 "stage 1: no previous boot id\n");

	fd = open(MARKER, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ksft_test_result(fd >= 0 && vmtest_boot_id(id, sizeof(id)) == UUID_LEN,
			 "stage 1: marker written, boot id %s\n", fd >= 0 ? id : "?");
	if (fd >= 0)
		close(fd);

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	return VMTEST_EXIT_NEXT_STAGE;
}

static int stage2(void)
{
	char id[64], prev[64];
	int id_len, prev_len;

	ksft_set_plan(5);
	ksft_test_result(vmtest_stage() == 2,
			 "stage 2: vmtest.stage=2 on the command line\n");
	ksft_test_result(stage_from_env() == 2,
			 "stage 2: init passed VMTEST_STAGE=2\n");

	id_len = vmtest_boot_id(id, sizeof(id));
	prev_len = vmtest_cmdline_get("vmtest.prev_boot_id", prev, sizeof(prev));
	ksft_test_result(prev_len == UUID_LEN && id_len == UUID_LEN,
			 "stage 2: boot ids present (previous %s, now %s)\n",
			 prev_len > 0 ? prev : "-", id_len > 0 ? id : "-");
	ksft_test_result(prev_len == UUID_LEN && id_len == UUID_LEN &&
			 strcmp(id, prev),
			 "stage 2: boot id differs from stage 1's\n");
	ksft_test_result(access(MARKER, F_OK) && errno == ENOENT,
			 "stage 2: stage 1's tmpfs marker is gone\n");

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

int main(void)
{
	ksft_print_header();
	switch (vmtest_stage()) {
	case 1:
		return stage1();
	case 2:
		return stage2();
	default:
		ksft_exit_fail_msg("unexpected stage %d\n", vmtest_stage());
	}
}
