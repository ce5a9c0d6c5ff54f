// SPDX-License-Identifier: GPL-2.0
/*
 * luoctl - drive a live update: load the next kernel, look at the
 * sessions luod holds, update the kernel, finish what came through.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/compiler.h>
#include <linux/kexec.h>
#include <linux/reboot.h>

#include "luod.h"

static const char *sock_path = LUOD_SOCKET_PATH;

static const char usage_text[] =
	"Usage: luoctl [-s SOCKET] COMMAND [ARGS]\n"
	"\n"
	"Live update: replace the running kernel by kexec while the files that\n"
	"programs put in live update sessions (memfds: guest RAM, caches) stay in\n"
	"memory. luod holds the sessions; luoctl asks it and the kernel.\n"
	"\n"
	"A live update, as root:\n"
	"    luoctl load /boot/vmlinuz-NEW --initrd /boot/initrd.img-NEW --reuse-cmdline\n"
	"    luoctl status            # what will be carried over\n"
	"    luoctl exec              # the reboot; returns only if it failed\n"
	"and in the new kernel, once the programs took their sessions back:\n"
	"    luoctl status            # incoming sessions and their files\n"
	"    luoctl finish NAME       # let go of what a session still holds\n"
	"\n"
	"Commands:\n"
	"  status [--json]      sessions luod holds (outgoing: for the next kernel;\n"
	"                       incoming: from the previous one), their files and\n"
	"                       states, and whether a next kernel is loaded\n"
	"  load KERNEL [--initrd FILE] [--append CMDLINE] [--reuse-cmdline] [--force]\n"
	"                       load the next kernel with kexec_file_load(), which\n"
	"                       also hands it the live update data. The command\n"
	"                       line is CMDLINE, or this kernel's (without\n"
	"                       BOOT_IMAGE= and initrd=) with CMDLINE after it.\n"
	"                       Refused unless --force if that command line would\n"
	"                       not take the sessions over: kho= or liveupdate=\n"
	"                       off, or left out while this kernel has them on\n"
	"  unload               forget the loaded kernel\n"
	"  exec [--force]       update now: luod saves its state, then reboot()\n"
	"                       freezes every session and jumps to the loaded\n"
	"                       kernel. If a session cannot be frozen the kernel\n"
	"                       refuses, luoctl prints why and everything is as it\n"
	"                       was. Without luod nothing would be carried over:\n"
	"                       refused unless --force\n"
	"  finish NAME          finish the incoming session NAME: files not\n"
	"                       retrieved are freed, luod lets the session go\n"
	"  release NAME         luod lets the outgoing session NAME go: it is\n"
	"                       cancelled when its last holder closes it\n"
	"  session NAME [--create|--retrieve] [--fd N] -- PROGRAM [ARGS]\n"
	"                       run PROGRAM with the session NAME open on fd N\n"
	"                       (default 3; LUO_SESSION_FD and LUO_SESSION_INCOMING\n"
	"                       say which and what): the incoming session if there\n"
	"                       is one, else a new outgoing one\n"
	"\n"
	"Options:\n"
	"  -s, --socket PATH    luod's socket (default " LUOD_SOCKET_PATH ")\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 on success, 1 on failure (with the reason on stderr), 2 on\n"
	"a bad command line.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static __printf(1, 2) int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("luoctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int connect_luod(void)
{
	int sock = luod_connect(sock_path);

	if (sock == -ENOENT || sock == -ECONNREFUSED)
		fail("luod is not running (no one answers on %s)", sock_path);
	else if (sock < 0)
		fail("%s: %s", sock_path, strerror(-sock));
	return sock;
}

/* ---- status ---- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static int next_kernel_loaded(void)
{
	FILE *f = fopen("/sys/kernel/kexec_loaded", "re");
	int loaded = -1;

	if (f) {
		if (fscanf(f, "%d", &loaded) != 1)
			loaded = -1;
		fclose(f);
	}
	return loaded;
}

static int cmd_status(bool json)
{
	char msg[LUOD_MSG_LEN], *text, *line, *save, *p;
	int sock, loaded = next_kernel_loaded();
	int sessions = 0, files = 0;

	sock = connect_luod();
	if (sock < 0)
		return 1;
	text = luod_status(sock, msg, sizeof(msg));
	close(sock);
	if (!text)
		return fail("status: %s", *msg ? msg : strerror(errno));

	if (json)
		printf("{\"kexec_loaded\": %s, \"sessions\": [",
		       loaded == 1 ? "true" : "false");
	else
		printf("next kernel: %s\n", loaded == 1 ? "loaded" :
		       loaded == 0 ? "not loaded (luoctl load)" : "unknown");

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char dir[16], state[64], owner[16], name[LUOD_NAME_LEN * 4];
		char handler[128];
		unsigned long long token;

		if (sscanf(line, "session %15s %63s %15s %255s", dir, state,
			   owner, name) == 4) {
			luod_name_unescape(name);
			/* Nothing raw on a terminal (names of an older luod). */
			for (p = name; !json && *p; p++)
				if (!isprint((unsigned char)*p))
					*p = '?';
			if (json) {
				printf("%s\n  {\"name\": ", sessions ? "]}," : "");
				json_string(name);
				printf(", \"direction\": \"%s\", \"state\": \"%s\"",
				       dir, state);
				printf(", \"owner\": %s, \"files\": [",
				       strcmp(owner, "-") ? owner : "null");
			} else {
				if (!sessions)
					printf("%-24s %-9s %-8s %s\n",
					       "SESSION", "DIRECTION", "STATE",
					       "OWNER");
				printf("%-24s %-9s %-8s %s\n", name, dir,
				       state, owner);
			}
			sessions++;
			files = 0;
		} else if (sscanf(line, "file %llu %127s %63[^\n]", &token,
				  handler, state) == 3) {
			if (json) {
				printf("%s{\"token\": %llu, \"handler\": \"%s\"",
				       files ? ", " : "", token, handler);
				printf(", \"state\": \"%s\"}", state);
			} else {
				printf("  file token %-10llu %-14s %s\n",
				       token, handler, state);
			}
			files++;
		}
	}
	if (json)
		printf("%s]}\n", sessions ? "]}\n" : "");
	else if (!sessions)
		printf("no sessions\n");
	free(text);
	return 0;
}

/* ---- load, unload, exec ---- */

/* This kernel's command line, without what only its boot loader meant. */
static int reuse_cmdline(char *buf, size_t len)
{
	char raw[4096], *word, *save;
	size_t used = 0;
	FILE *f = fopen("/proc/cmdline", "re");

	if (!f || !fgets(raw, sizeof(raw), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	buf[0] = '\0';
	for (word = strtok_r(raw, "\n\t ", &save); word;
	     word = strtok_r(NULL, "\n\t ", &save)) {
		if (!strncmp(word, "BOOT_IMAGE=", 11) ||
		    !strncmp(word, "initrd=", 7))
			continue;
		used += snprintf(buf + used, len - used, "%s%s",
				 used ? " " : "", word);
		if (used >= len)
			return -1;
	}
	return 0;
}

/*
 * The value of the last "@key=" in the command line @cmdline (the one the
 * kernel obeys), copied into @val; false if there is none.
 */
static bool cmdline_value(const char *cmdline, const char *key, char *val,
			  size_t len)
{
	size_t klen = strlen(key);
	const char *p = cmdline;
	bool found = false;

	while (*p) {
		size_t n;

		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == 2 && !strncmp(p, "--", 2))
			break;	/* the rest is for init */
		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(val, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
			found = true;
		}
		p += n;
	}
	return found;
}

/* A boolean as the kernel's kstrtobool() reads it: 1, 0, or -1. */
static int str_bool(const char *v)
{
	switch (v[0]) {
	case 'y': case 'Y': case '1':
		return 1;
	case 'n': case 'N': case '0':
		return 0;
	case 'o': case 'O':
		if (v[1] == 'n' || v[1] == 'N')
			return 1;
		if (v[1] == 'f' || v[1] == 'F')
			return 0;
	}
	return -1;
}

/* Whether @next keeps @key on as @here has it; else why not, in @why. */
static bool cmdline_keeps(const char *here, const char *next,
			  const char *key, char *why, size_t len)
{
	char val[16];

	if (cmdline_value(next, key, val, sizeof(val))) {
		if (str_bool(val) == 1)
			return true;
		snprintf(why, len, "it has %s=%s", key, val);
		return false;
	}
	if (cmdline_value(here, key, val, sizeof(val)) && str_bool(val) == 1) {
		snprintf(why, len, "it lacks the %s=on this kernel was booted with",
			 key);
		return false;
	}
	return true;
}

/*
 * Would the next kernel take the sessions over? Not if its command line
 * turns KHO or LUO off, nor if it leaves out a kho=on or liveupdate=on
 * that this kernel was booted with (this kernel's build does not enable
 * them by default, and the next one may well be the same build). Returns
 * the reason, or NULL.
 */
static const char *cmdline_drops_sessions(const char *next)
{
	static char why[160];
	char here[4096] = "";
	FILE *f;

	f = fopen("/proc/cmdline", "re");
	if (f) {
		if (!fgets(here, sizeof(here), f))
			here[0] = '\0';
		fclose(f);
	}
	if (!cmdline_keeps(here, next, "kho", why, sizeof(why)) ||
	    !cmdline_keeps(here, next, "liveupdate", why, sizeof(why)))
		return why;
	return NULL;
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "reuse-cmdline", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ }
	};
	const char *initrd = NULL, *append = NULL, *why;
	char cmdline[8192] = "";
	unsigned long flags = 0;
	int opt, kfd, ifd = -1, ret = 0;
	bool reuse = false, force = false;

	optind = 0;	/* glibc: start afresh, argv[0] is the command */
	while ((opt = getopt_long(argc, argv, "i:a:rf", opts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'a':
			append = optarg;
			break;
		case 'r':
			reuse = true;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s\n",
			"luoctl load KERNEL [--initrd FILE] [--append CMDLINE] [--reuse-cmdline] [--force]");
		return 2;
	}
	if (reuse && reuse_cmdline(cmdline, sizeof(cmdline)))
		return fail("cannot read /proc/cmdline");
	if (append) {
		size_t used = strlen(cmdline);

		if (snprintf(cmdline + used, sizeof(cmdline) - used, "%s%s",
			     used ? " " : "", append) >=
		    (int)(sizeof(cmdline) - used))
			return fail("command line too long");
	}
	why = cmdline_drops_sessions(cmdline);
	if (why && !force)
		return fail("the next kernel would not take the sessions over: %s %s",
			    why, "(--force to load it anyway)");

	kfd = open(argv[optind], O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return fail("%s: %s", argv[optind], strerror(errno));
	if (initrd) {
		ifd = open(initrd, O_RDONLY | O_CLOEXEC);
		if (ifd < 0) {
			ret = fail("%s: %s", initrd, strerror(errno));
			goto out;
		}
	} else {
		flags |= KEXEC_FILE_NO_INITRAMFS;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		    cmdline, flags)) {
		int err = errno;

		ret = fail("kexec_file_load: %s%s", strerror(err),
			   err == EPERM ? " (root only; or kexec_load_disabled, lockdown)" :
			   err == ENOEXEC ? " (not a kernel image this kernel can load)" :
			   err == EKEYREJECTED ? " (signature check failed)" :
			   err == ENOMEM || err == EADDRNOTAVAIL ?
			   " (no room for it in the scratch memory: see kho_scratch=)" : "");
		goto out;
	}
	printf("loaded %s%s%s\ncommand line: %s\n", argv[optind],
	       initrd ? " with " : "", initrd ? initrd : "", cmdline);
out:
	if (ifd >= 0)
		close(ifd);
	close(kfd);
	return ret;
}

static int cmd_unload(void)
{
	if (syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
		    (unsigned long)KEXEC_FILE_UNLOAD))
		return fail("kexec_file_load(UNLOAD): %s", strerror(errno));
	return 0;
}

static int cmd_exec(bool force)
{
	char msg[LUOD_MSG_LEN];
	int sock, err;

	if (next_kernel_loaded() != 1)
		return fail("no kernel is loaded: luoctl load KERNEL first");

	/* Before luod saves its state: sessions created meanwhile are not in it. */
	sync();
	sock = luod_connect(sock_path);
	if (sock < 0 && !force)
		return fail("%s",
			    "luod is not running: no session would survive this update (--force to update anyway)");
	if (sock >= 0) {
		err = luod_simple(sock, LUOD_CMD_PREPARE, NULL, msg,
				  sizeof(msg));
		close(sock);
		if (err && !force)
			return fail("luod could not save its state: %s (--force to update anyway)",
				    msg);
	}

	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	err = errno;
	return fail("the kernel refused the update: %s. %s", strerror(err),
		    "Nothing was lost: the sessions are as they were; the kernel log says which session or file could not be frozen.");
}

/* ---- finish, release, session ---- */

static int cmd_named(enum luod_cmd cmd, const char *name)
{
	char msg[LUOD_MSG_LEN];
	int sock, err;

	sock = connect_luod();
	if (sock < 0)
		return 1;
	err = luod_simple(sock, cmd, name, msg, sizeof(msg));
	close(sock);
	if (err)
		return fail("%s", msg);
	return 0;
}

static int cmd_session(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "create", no_argument, NULL, 'c' },
		{ "retrieve", no_argument, NULL, 'r' },
		{ "fd", required_argument, NULL, 'f' },
		{ }
	};
	unsigned int flags = 0;
	char msg[LUOD_MSG_LEN], env[16];
	int opt, target = 3, sock, fd, incoming;

	optind = 0;	/* glibc: start afresh, argv[0] is the command */
	/* Options anywhere before "--"; PROGRAM's own come after it. */
	while ((opt = getopt_long(argc, argv, "crf:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			flags |= LUOD_SESSION_CREATE;
			break;
		case 'r':
			flags |= LUOD_SESSION_RETRIEVE;
			break;
		case 'f':
			target = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 2 > argc || target < 3) {
		fprintf(stderr, "usage: %s\n",
			"luoctl session NAME [--create|--retrieve] [--fd N>=3] -- PROGRAM [ARGS]");
		return 2;
	}
	if (!flags)
		flags = LUOD_SESSION_CREATE | LUOD_SESSION_RETRIEVE;

	sock = connect_luod();
	if (sock < 0)
		return 1;
	fd = luod_session(sock, argv[optind], flags, &incoming, msg,
			  sizeof(msg));
	close(sock);
	if (fd < 0)
		return fail("%s", msg);
	if (fd != target) {
		if (dup2(fd, target) < 0)
			return fail("dup2: %s", strerror(errno));
		close(fd);
	} else {
		fcntl(fd, F_SETFD, 0);
	}
	snprintf(env, sizeof(env), "%d", target);
	setenv("LUO_SESSION_FD", env, 1);
	setenv("LUO_SESSION_INCOMING", incoming ? "1" : "0", 1);
	execvp(argv[optind + 1], argv + optind + 1);
	return fail("%s: %s", argv[optind + 1], strerror(errno));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *cmd;
	int opt;

	while ((opt = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "status") &&
	    (argc == 1 || (argc == 2 && !strcmp(argv[1], "--json"))))
		return cmd_status(argc == 2);
	if (!strcmp(cmd, "load"))
		return cmd_load(argc, argv);
	if (!strcmp(cmd, "unload") && argc == 1)
		return cmd_unload();
	if (!strcmp(cmd, "exec") &&
	    (argc == 1 || (argc == 2 && !strcmp(argv[1], "--force"))))
		return cmd_exec(argc == 2);
	if (!strcmp(cmd, "finish") && argc == 2)
		return cmd_named(LUOD_CMD_FINISH, argv[1]);
	if (!strcmp(cmd, "release") && argc == 2)
		return cmd_named(LUOD_CMD_RELEASE, argv[1]);
	if (!strcmp(cmd, "session"))
		return cmd_session(argc, argv);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
