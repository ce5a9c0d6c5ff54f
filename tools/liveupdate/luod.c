// SPDX-License-Identifier: GPL-2.0
/*
 * luod - the live update agent
 *
 * The one process that opens /dev/liveupdate. Clients ask it for sessions
 * by name over a UNIX socket (see luod.h); luod creates or retrieves the
 * session, keeps a reference to it, and passes the client the session
 * file. The client preserves and retrieves its own files with the
 * session's ioctls. A session outlives the client that asked for it: it is
 * frozen by the reboot even if the client has exited, and it ends only
 * when luod lets it go (luoctl finish / release) or exits.
 *
 * Who may use which session:
 *  - root may use every session;
 *  - any other user only the names its lines of the policy file allow
 *    (default /etc/luod.conf; none when the file does not exist):
 *
 *        # who        session names (shell patterns, fnmatch(3))
 *        qemu         vm-*
 *        1000         cache-*
 *        @kvm         vm-*
 *
 *    "who" is a user name or uid, or "@" and a group name or gid (any
 *    group of the client: SO_PEERCRED and SO_PEERGROUPS), names looked up
 *    in /etc/passwd and /etc/group;
 *  - a session is also tied to the uid that created it: another non-root
 *    user that the policy would allow still gets EACCES, and only that uid
 *    may create the outgoing session of the name of its incoming one. luod
 *    carries this ownership across the live update in its own session
 *    (luod.state, written by LUOD_CMD_PREPARE, which luoctl exec sends),
 *    and keeps a copy in its socket's directory for a luod restarted in
 *    the same boot. A session whose owner is unknown is root's;
 *  - session names are printable characters.
 *
 * The socket is created mode 0660, owned by root and by the group given
 * with --group (default root), in a directory only root can write.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <search.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/compiler.h>
#include <linux/magic.h>
#include <linux/stringify.h>

#include "luod.h"

#define LUOD_DEVICE		"/dev/liveupdate"
#define LUOD_STATE_TOKEN	1
#define LUOD_STATE_MAGIC	"luod-state-v1\n"
#define LUOD_CLIENTS_MAX	1024
#define LUOD_MAX_SESSIONS	1024	/* per uid but root's, --max-sessions */
#define LUOD_MAX_CLIENTS	32	/* connections per uid but root's */
#define LUOD_SEND_TIMEOUT_MS	1000	/* for a client to read a reply */
#define LUOD_STATUS_TIMEOUT_MS	5000	/* ... the whole of a STATUS reply */
#define NO_OWNER		((uid_t)-1)

/* What a command returns besides 0 and -errno (with the reply filled in). */
#define CMD_REPLIED		1	/* it sent its reply itself */
#define CMD_DROP		2	/* the client does not read: drop it */

/**
 * struct session - a session luod knows
 * @name: its name.
 * @incoming: handed over by the previous kernel.
 * @fd: luod's reference; -1 for an incoming session not retrieved yet
 *      (known from the previous luod's state).
 * @owner: the uid that created it, NO_OWNER if unknown.
 */
struct session {
	char name[LUOD_NAME_LEN];
	bool incoming;
	int fd;
	uid_t owner;
};

/**
 * struct rule - a line of the policy file
 * @group: @id is a gid.
 * @id: the uid or gid the line is for.
 * @pattern: the session names it allows.
 */
struct rule {
	bool group;
	unsigned int id;
	char pattern[128];
};

#define LUOD_GROUPS_MAX		32

struct client {
	int fd;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int nr_groups;			/* supplementary groups, SO_PEERGROUPS */
	gid_t groups[LUOD_GROUPS_MAX];
};

static int dev_fd = -1;
static int state_fd = -1;		/* the luod.state session we made */
static void *sessions;			/* tsearch() tree of struct session */
static long nr_sessions;

/*
 * How many sessions each uid owns, for --max-sessions: a client of the
 * socket's group must not be able to make luod (and the kernel) keep an
 * unbounded number of sessions for it.
 */
struct owned {
	uid_t uid;
	long sessions;
};

static struct owned *owned;
static int nr_owned;
static long max_sessions = LUOD_MAX_SESSIONS;
static int max_clients = LUOD_MAX_CLIENTS;
static struct rule *rules;
static int nr_rules;
static bool verbose;

static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("luod: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* The reply's message, printf-style. Returns -@err for convenience. */
static __printf(3, 4) int
explain(struct luod_reply *rep, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->msg, sizeof(rep->msg), fmt, ap);
	va_end(ap);
	rep->error = err;
	return -err;
}

/* ---- the session table ---- */

static int session_cmp(const void *a, const void *b)
{
	const struct session *x = a, *y = b;

	if (x->incoming != y->incoming)
		return x->incoming ? 1 : -1;
	return strcmp(x->name, y->name);
}

static struct session *session_find(const char *name, bool incoming)
{
	struct session key = { .incoming = incoming };
	void *node;

	snprintf(key.name, sizeof(key.name), "%s", name);
	node = tfind(&key, &sessions, session_cmp);
	return node ? *(struct session **)node : NULL;
}

/* The sessions @uid owns; NULL if it owns none and @add is false. */
static long *owned_by(uid_t uid, bool add)
{
	struct owned *more;
	int i;

	for (i = 0; i < nr_owned; i++)
		if (owned[i].uid == uid)
			return &owned[i].sessions;
	if (!add)
		return NULL;
	more = realloc(owned, (nr_owned + 1) * sizeof(*owned));
	if (!more)
		return NULL;
	owned = more;
	owned[nr_owned] = (struct owned){ .uid = uid };
	return &owned[nr_owned++].sessions;
}

static struct session *session_add(const char *name, bool incoming, int fd,
				   uid_t owner)
{
	long *count = owned_by(owner, true);
	struct session *s = calloc(1, sizeof(*s));
	void *node;

	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->incoming = incoming;
	s->fd = fd;
	s->owner = owner;
	node = tsearch(s, &sessions, session_cmp);
	if (!node || *(struct session **)node != s) {
		free(s);
		return NULL;
	}
	nr_sessions++;
	if (count)
		(*count)++;
	return s;
}

static void session_del(struct session *s)
{
	long *count = owned_by(s->owner, false);

	if (count && *count)
		(*count)--;
	tdelete(s, &sessions, session_cmp);
	if (s->fd >= 0)
		close(s->fd);
	nr_sessions--;
	free(s);
}

/* twalk() has no context argument: these are the walk's. */
static struct session **walk_out;
static long walk_len;

static void walk_collect(const void *node, VISIT which, int depth)
{
	(void)depth;
	if (which == postorder || which == leaf)
		walk_out[walk_len++] = *(struct session *const *)node;
}

/* Every session, sorted by direction and name; free() the array. */
static struct session **session_list(long *count)
{
	walk_out = calloc(nr_sessions + 1, sizeof(*walk_out));
	if (!walk_out)
		return NULL;
	walk_len = 0;
	twalk(sessions, walk_collect);
	*count = walk_len;
	return walk_out;
}

/* ---- the kernel's side ---- */

static int luo_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int luo_create(const char *name)
{
	struct liveupdate_ioctl_create_session a = { .size = sizeof(a) };
	int err;

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	err = luo_ioctl(dev_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &a);
	return err ? err : a.fd;
}

static int luo_retrieve(const char *name)
{
	struct liveupdate_ioctl_retrieve_session a = { .size = sizeof(a) };
	int err;

	snprintf((char *)a.name, sizeof(a.name), "%s", name);
	err = luo_ioctl(dev_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a);
	return err ? err : a.fd;
}

static int luo_finish(int sfd)
{
	struct liveupdate_session_finish a = { .size = sizeof(a) };

	return luo_ioctl(sfd, LIVEUPDATE_SESSION_FINISH, &a);
}

/* ---- policy ---- */

/*
 * Look @name up in the colon-separated file @path (/etc/passwd or
 * /etc/group): its third field. Read directly, so that a static luod
 * needs no NSS modules.
 */
static int id_from_file(const char *path, const char *name, unsigned int *id)
{
	char line[1024];
	size_t len = strlen(name);
	FILE *f = fopen(path, "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		p = strchr(line + len + 1, ':');
		if (p && isdigit((unsigned char)p[1])) {
			*id = strtoul(p + 1, NULL, 10);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

static int parse_id(const char *who, bool group, unsigned int *id)
{
	char *end;

	errno = 0;
	*id = strtoul(who, &end, 10);
	if (*who && !*end && !errno)
		return 0;
	return id_from_file(group ? "/etc/group" : "/etc/passwd", who, id);
}

/* Read the policy file; a missing file is an empty policy. */
static int policy_load(const char *path)
{
	char line[512], who[128], pattern[sizeof(rules->pattern)], extra;
	int lineno = 0, ret = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT)
			return 0;
		say("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		struct rule *r;
		char *p = line;
		int n;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			say("%s:%d: line too long", path, lineno);
			ret = -EINVAL;
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		n = sscanf(p, "%127s %127s %c", who, pattern, &extra);
		r = realloc(rules, (nr_rules + 1) * sizeof(*rules));
		if (!r) {
			ret = -ENOMEM;
			break;
		}
		rules = r;
		r += nr_rules;
		r->group = who[0] == '@';
		if (n != 2 || strlen(pattern) == sizeof(pattern) - 1 ||
		    parse_id(who + r->group, r->group, &r->id)) {
			say("%s:%d: %s", path, lineno,
			    "expected \"<user|uid|@group|@gid> <pattern>\" (one pattern a line, users and groups of /etc/passwd and /etc/group)");
			ret = -EINVAL;
			break;
		}
		snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
		nr_rules++;
	}
	fclose(f);
	return ret;
}

static bool client_in_group(const struct client *c, gid_t gid)
{
	int i;

	if (c->gid == gid)
		return true;
	for (i = 0; i < c->nr_groups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static bool policy_allows(const struct client *c, const char *name)
{
	int i;

	if (c->uid == 0)
		return true;
	for (i = 0; i < nr_rules; i++) {
		const struct rule *r = &rules[i];

		if (!r->group && r->id != c->uid)
			continue;
		if (r->group && !client_in_group(c, r->id))
			continue;
		if (!fnmatch(r->pattern, name, 0))
			return true;
	}
	return false;
}

/* May @c use @s? Else explain why not. */
static int may_use(const struct client *c, const struct session *s,
		   struct luod_reply *rep)
{
	if (c->uid == 0 || s->owner == c->uid)
		return 0;
	if (s->owner == NO_OWNER)
		return explain(rep, EACCES, "session '%s' %s", s->name,
			       "has no known owner (luod lost its state): only root may use it");
	return explain(rep, EACCES, "session '%s' belongs to uid %u",
		       s->name, s->owner);
}

/* ---- the state luod hands to the luod of the next kernel ---- */

/*
 * Preserve, in the session luod.state, the list of outgoing sessions and
 * their owners. A state preserved earlier (a reboot that failed or was
 * never done) is replaced.
 */
static int state_save(struct luod_reply *rep)
{
	struct liveupdate_session_preserve_fd pa = { .size = sizeof(pa) };
	char name[LUOD_NAME_ESCAPED_LEN];
	struct session **list;
	long i, count, saved = 0;
	int mfd, sfd, fd, err;
	FILE *f;

	if (state_fd >= 0) {
		close(state_fd);	/* cancels the old one */
		state_fd = -1;
	}
	mfd = memfd_create("luod.state", MFD_CLOEXEC);
	if (mfd < 0)
		return explain(rep, errno, "memfd_create: %s", strerror(errno));
	fd = dup(mfd);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f && fd >= 0)
		close(fd);
	list = session_list(&count);
	if (!f || !list) {
		err = explain(rep, ENOMEM, "out of memory");
		goto out;
	}
	fputs(LUOD_STATE_MAGIC, f);
	for (i = 0; i < count; i++) {
		if (list[i]->incoming)
			continue;
		if (list[i]->owner == NO_OWNER)
			fputs("- ", f);
		else
			fprintf(f, "%u ", list[i]->owner);
		luod_name_escape(list[i]->name, name, sizeof(name));
		fprintf(f, "%s\n", name);
		saved++;
	}
	if (fclose(f)) {
		f = NULL;
		err = explain(rep, errno, "writing the state: %s",
			      strerror(errno));
		goto out;
	}
	f = NULL;

	sfd = luo_create(LUOD_STATE_SESSION);
	if (sfd < 0) {
		err = explain(rep, -sfd, "creating session %s: %s",
			      LUOD_STATE_SESSION, strerror(-sfd));
		goto out;
	}
	pa.fd = mfd;
	pa.token = LUOD_STATE_TOKEN;
	err = luo_ioctl(sfd, LIVEUPDATE_SESSION_PRESERVE_FD, &pa);
	if (err) {
		close(sfd);
		err = explain(rep, -err, "preserving the state: %s",
			      strerror(-err));
		goto out;
	}
	state_fd = sfd;
	if (verbose)
		say("state of %ld outgoing session(s) preserved", saved);
out:
	if (f)
		fclose(f);
	free(list);
	close(mfd);
	return err;
}

/* This boot's id, for the copy of the state that outlives a restart. */
static void this_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");

	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "unknown\n");
	if (f)
		fclose(f);
}

/* The sessions and owners of a state text (after its first line). */
static long state_parse(char *text)
{
	char *line, *save, *name, *end;
	unsigned long owner;
	long count = 0;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		name = strchr(line, ' ');
		if (!name)
			continue;
		*name++ = '\0';
		luod_name_unescape(name);
		if (strcmp(line, "-")) {
			errno = 0;
			owner = strtoul(line, &end, 10);
			if (*end || errno || owner >= NO_OWNER)
				continue;
		} else {
			owner = NO_OWNER;
		}
		if (!*name || strlen(name) >= LUOD_NAME_LEN ||
		    session_find(name, true))
			continue;
		if (session_add(name, true, -1, owner))
			count++;
	}
	return count;
}

/* Read the whole of @fd from its start, NUL-terminated; free() it. */
static char *read_all(int fd)
{
	size_t len = 0, size = 4096;
	char *buf = malloc(size + 1), *more;
	ssize_t n;

	if (!buf || lseek(fd, 0, SEEK_SET))
		goto err;
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size) {
			more = size < (64UL << 20) ? realloc(buf, 2 * size + 1) : NULL;
			if (!more)
				goto err;
			buf = more;
			size *= 2;
		}
	}
	if (n < 0)
		goto err;
	buf[len] = '\0';
	return buf;
err:
	free(buf);
	return NULL;
}

/*
 * Read the state the previous luod preserved, if any, and keep a copy in
 * @copy (root's only), for a luod restarted in this boot: the preserved
 * state is finished once read. Without a preserved state, read that copy
 * if it is from this boot.
 */
static void state_load(const char *copy)
{
	struct liveupdate_session_retrieve_fd ra = { .size = sizeof(ra) };
	char id[64], *text = NULL, *body;
	int sfd, fd;

	this_boot_id(id, sizeof(id));
	sfd = luo_retrieve(LUOD_STATE_SESSION);
	if (sfd >= 0) {
		ra.token = LUOD_STATE_TOKEN;
		if (!luo_ioctl(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &ra)) {
			text = read_all(ra.fd);
			close(ra.fd);
		}
		luo_finish(sfd);
		close(sfd);
		fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
			  O_CLOEXEC, 0600);
		if (fd >= 0 && text) {
			if (write(fd, id, strlen(id)) < 0 ||
			    write(fd, text, strlen(text)) < 0)
				say("%s: %s", copy, strerror(errno));
		}
		if (fd >= 0)
			close(fd);
		body = text;
	} else if (sfd == -ENOENT) {
		/* No luoctl exec before this boot, or luod restarted. */
		fd = open(copy, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return;
		text = read_all(fd);
		close(fd);
		body = text && !strncmp(text, id, strlen(id)) ?
		       text + strlen(id) : NULL;
		if (!body) {
			free(text);
			return;	/* a copy from an earlier boot */
		}
	} else {
		say("cannot retrieve %s: %s; owners of incoming sessions are unknown (root only)",
		    LUOD_STATE_SESSION, strerror(-sfd));
		return;
	}
	if (!body || strncmp(body, LUOD_STATE_MAGIC, strlen(LUOD_STATE_MAGIC))) {
		say("%s",
		    "the state of the previous luod is unreadable; owners of incoming sessions are unknown (root only)");
	} else {
		say("%ld incoming session(s) from the previous kernel",
		    state_parse(body + strlen(LUOD_STATE_MAGIC)));
	}
	free(text);
}

/* ---- commands ---- */

/*
 * Session names luod handles: 1 to 63 printable characters (so that a
 * name can go into a log line or onto a terminal as it is), and not
 * luod's own.
 */
static bool name_valid(const char *name, struct luod_reply *rep)
{
	const char *c;

	for (c = name; *c; c++) {
		if (!isprint((unsigned char)*c)) {
			explain(rep, EINVAL, "%s",
				"session names are printable characters");
			return false;
		}
	}
	if (!strcmp(name, LUOD_STATE_SESSION)) {
		explain(rep, EPERM, "'%s' is luod's own session",
			LUOD_STATE_SESSION);
		return false;
	}
	return true;
}

static bool name_ok(struct luod_request *req, struct luod_reply *rep)
{
	if (!memchr(req->name, '\0', sizeof(req->name)) || !req->name[0]) {
		explain(rep, EINVAL, "session names are 1 to %d bytes",
			LUOD_NAME_LEN - 1);
		return false;
	}
	return name_valid(req->name, rep);
}

/* The incoming session @name: luod's, or retrieved now. NULL: see @rep. */
static struct session *get_incoming(const struct client *c, const char *name,
				    struct luod_reply *rep)
{
	struct session *s = session_find(name, true);
	int fd;

	if (s && may_use(c, s, rep))
		return NULL;
	if (s && s->fd >= 0)
		return s;

	fd = luo_retrieve(name);
	if (fd == -ENOENT) {
		if (s)		/* finished by someone else */
			session_del(s);
		explain(rep, ENOENT, "no incoming session '%s'", name);
		return NULL;
	}
	if (fd < 0) {
		if (fd == -EBUSY)
			explain(rep, EBUSY, "incoming session '%s' %s", name,
				"is held by another process (one that retrieved it before luod started): it must hand it to luod (luod_adopt)");
		else
			explain(rep, -fd, "retrieving session '%s': %s", name,
				strerror(-fd));
		return NULL;
	}
	if (!s)
		s = session_add(name, true, fd, c->uid);
	else
		s->fd = fd;
	if (!s) {
		close(fd);
		explain(rep, ENOMEM, "out of memory");
	}
	return s;
}

static struct session *get_outgoing(const struct client *c, const char *name,
				    struct luod_reply *rep)
{
	struct session *s = session_find(name, false);
	long *count;
	int fd;

	if (s)
		return may_use(c, s, rep) ? NULL : s;
	/* The next session of a name is its incoming session's owner's. */
	s = session_find(name, true);
	if (s && may_use(c, s, rep))
		return NULL;

	count = owned_by(c->uid, false);
	if (c->uid && count && *count >= max_sessions) {
		explain(rep, EDQUOT,
			"uid %u has %ld sessions, the most luod keeps for a user (--max-sessions)",
			c->uid, *count);
		return NULL;
	}
	fd = luo_create(name);
	if (fd == -EEXIST) {
		explain(rep, EEXIST, "outgoing session '%s' %s", name,
			"exists but luod does not hold it: the process holding it (from before luod was restarted) must hand it to luod (luod_adopt) or close it");
		return NULL;
	}
	if (fd < 0) {
		explain(rep, -fd, "creating session '%s': %s", name,
			strerror(-fd));
		return NULL;
	}
	s = session_add(name, false, fd, c->uid);
	if (!s) {
		close(fd);
		explain(rep, ENOMEM, "out of memory");
	}
	return s;
}

static int cmd_session(const struct client *c, struct luod_request *req,
		       struct luod_reply *rep, int *reply_fd)
{
	unsigned int flags = req->flags;
	struct session *s = NULL;

	if (!name_ok(req, rep))
		return -rep->error;
	if (!flags || (flags & ~(LUOD_SESSION_CREATE | LUOD_SESSION_RETRIEVE)))
		return explain(rep, EINVAL, "unknown flags %#x", flags);
	if (!policy_allows(c, req->name))
		return explain(rep, EACCES, "uid %u may not use session '%s' (see the policy file)",
			       c->uid, req->name);

	if (flags & LUOD_SESSION_RETRIEVE) {
		s = get_incoming(c, req->name, rep);
		if (!s && (rep->error != ENOENT ||
			   !(flags & LUOD_SESSION_CREATE)))
			return -rep->error;
	}
	if (!s) {
		rep->error = 0;
		s = get_outgoing(c, req->name, rep);
		if (!s)
			return -rep->error;
	}
	rep->flags = s->incoming ? LUOD_REPLY_INCOMING : 0;
	*reply_fd = s->fd;
	if (verbose)
		say("pid %d (uid %u): %s session '%s'", c->pid, c->uid,
		    s->incoming ? "incoming" : "outgoing", s->name);
	return 0;
}

/*
 * Whether @fd is a live update session file, told from its /proc link
 * ("[luo_session] <name>") so that nothing is asked of the file itself:
 * a client can attach a file whose operations block (FUSE).
 */
static bool is_session_file(int fd)
{
	static const char prefix[] = "[luo_session] ";
	char path[64], link[sizeof(prefix) + LUOD_NAME_LEN];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	return n >= (ssize_t)sizeof(prefix) - 1 &&
	       !memcmp(link, prefix, sizeof(prefix) - 1);
}

/* "luo_direction:\tincoming" in the session file's fdinfo? -1 if unknown. */
static int fdinfo_incoming(int fd)
{
	char path[64], line[256];
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "luo_direction:\t", 15))
			ret = !strcmp(line + 15, "incoming\n");
	fclose(f);
	return ret;
}

static int cmd_adopt(const struct client *c, int fd, struct luod_reply *rep)
{
	struct liveupdate_session_get_name ga = { .size = sizeof(ga) };
	struct session *s;
	struct statfs sf;
	int incoming;

	if (fd < 0)
		return explain(rep, EBADF, "no session file attached");
	if (!is_session_file(fd) || fstatfs(fd, &sf) ||
	    sf.f_type != LUO_SESSION_MAGIC ||
	    luo_ioctl(fd, LIVEUPDATE_SESSION_GET_NAME, &ga))
		return explain(rep, EINVAL, "not a live update session file");
	ga.name[sizeof(ga.name) - 1] = '\0';
	if (!name_valid((char *)ga.name, rep))
		return -rep->error;
	incoming = fdinfo_incoming(fd);
	if (incoming < 0)
		return explain(rep, EINVAL, "cannot tell whether session '%s' is incoming",
			       (char *)ga.name);
	if (!policy_allows(c, (char *)ga.name))
		return explain(rep, EACCES, "uid %u may not use session '%s'",
			       c->uid, (char *)ga.name);

	s = session_find((char *)ga.name, incoming);
	if (s && s->fd >= 0) {
		struct stat a, b;

		if (!fstat(fd, &a) && !fstat(s->fd, &b) && a.st_ino == b.st_ino)
			return 0;	/* luod has it already */
		return explain(rep, EEXIST, "luod holds another session '%s'",
			       (char *)ga.name);
	}
	if (s && may_use(c, s, rep))
		return -rep->error;
	fd = dup(fd);
	if (fd < 0)
		return explain(rep, errno, "dup: %s", strerror(errno));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (s) {
		s->fd = fd;
	} else if (!session_add((char *)ga.name, incoming, fd, c->uid)) {
		close(fd);
		return explain(rep, ENOMEM, "out of memory");
	}
	say("pid %d (uid %u) handed over %s session '%s'", c->pid, c->uid,
	    incoming ? "incoming" : "outgoing", (char *)ga.name);
	return 0;
}

static int cmd_finish(const struct client *c, struct luod_request *req,
		      struct luod_reply *rep)
{
	struct session *s;
	int err;

	if (!name_ok(req, rep))
		return -rep->error;
	if (!policy_allows(c, req->name))
		return explain(rep, EACCES, "uid %u may not use session '%s'",
			       c->uid, req->name);
	/* A session nobody retrieved is retrieved to be finished: discarded. */
	s = get_incoming(c, req->name, rep);
	if (!s)
		return -rep->error;
	err = luo_finish(s->fd);
	if (err == -EBUSY)
		return explain(rep, EBUSY, "session '%s': %s", req->name,
			       "a file cannot finish yet (its handler said so): retry later");
	if (err)
		return explain(rep, -err, "finishing session '%s': %s",
			       req->name, strerror(-err));
	say("pid %d (uid %u) finished session '%s'", c->pid, c->uid,
	    req->name);
	session_del(s);
	return 0;
}

static int cmd_release(const struct client *c, struct luod_request *req,
		       struct luod_reply *rep)
{
	struct session *s;

	if (!name_ok(req, rep))
		return -rep->error;
	s = session_find(req->name, false);
	if (!s || !policy_allows(c, req->name))
		return explain(rep, ENOENT, "luod holds no outgoing session '%s'",
			       req->name);
	if (may_use(c, s, rep))
		return -rep->error;
	say("pid %d (uid %u) released session '%s'", c->pid, c->uid,
	    req->name);
	session_del(s);
	return 0;
}

/* ---- replies ---- */

/* CLOCK_MONOTONIC in milliseconds, for the deadlines of client_send(). */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Send @mh to a client, by @deadline (now_ms() time) at the latest: a
 * client that does not read is given up on, never waited for longer.
 */
static int client_send(int fd, struct msghdr *mh, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	long long left;

	for (;;) {
		if (sendmsg(fd, mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -errno;
	}
}

/* The reply to a request, with the file @fd if it is not negative. */
static int send_reply(int sock, struct luod_reply *rep, int fd)
{
	char cbuf[LUOD_FD_CMSG_SPACE];
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0)
		luod_attach_fd(&mh, cbuf, fd);
	return client_send(sock, &mh, now_ms() + LUOD_SEND_TIMEOUT_MS);
}

/* ---- status ---- */

struct status_buf {
	int sock;
	long long deadline;	/* for the whole reply */
	char pkt[LUOD_PACKET_MAX];
	size_t len;
	int err;
};

static void status_flush(struct status_buf *b, bool last)
{
	struct luod_reply *rep = (struct luod_reply *)b->pkt;
	struct iovec iov = { b->pkt, b->len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	rep->flags = last ? 0 : LUOD_REPLY_MORE;
	if (!b->err)
		b->err = client_send(b->sock, &mh, b->deadline);
	b->len = sizeof(*rep);
}

static __printf(2, 3) void
status_put(struct status_buf *b, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	if (b->len + n > sizeof(b->pkt))
		status_flush(b, false);
	memcpy(b->pkt + b->len, line, n);
	b->len += n;
}

/* The files of a session, from its fdinfo (see luo_file_show_fdinfo()). */
static void status_files(struct status_buf *b, int fd)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long token;
		char handler[128], state[128];

		if (sscanf(line, "luo_file:\ttoken=%llu handler=%127s state=%127[^\n]",
			   &token, handler, state) == 3)
			status_put(b, "file %llu %s %s\n", token, handler,
				   state);
	}
	fclose(f);
}

/*
 * One line per session, then one per file of it:
 *   session <outgoing|incoming> <held|waiting> <owner uid|-> <name>
 *   file <token> <handler> <state>
 * Names are escaped (\ooo for spaces and unprintable bytes).
 */
static int cmd_status(const struct client *c, int sock, struct luod_reply *rep)
{
	struct status_buf *b = calloc(1, sizeof(*b));
	struct session **list;
	long i, count;
	int ret;

	list = session_list(&count);
	if (!b || !list) {
		free(b);
		free(list);
		return explain(rep, ENOMEM, "out of memory");
	}
	b->sock = sock;
	b->deadline = now_ms() + LUOD_STATUS_TIMEOUT_MS;
	b->len = sizeof(struct luod_reply);
	for (i = 0; i < count && !b->err; i++) {
		struct session *s = list[i];
		char name[LUOD_NAME_ESCAPED_LEN], owner[16] = "-";

		/* What the client may use: see may_use(). */
		if (!policy_allows(c, s->name) || (c->uid && s->owner != c->uid))
			continue;
		luod_name_escape(s->name, name, sizeof(name));
		if (s->owner != NO_OWNER)
			snprintf(owner, sizeof(owner), "%u", s->owner);
		status_put(b, "session %s %s %s %s\n",
			   s->incoming ? "incoming" : "outgoing",
			   s->fd >= 0 ? "held" : "waiting", owner, name);
		if (s->fd >= 0)
			status_files(b, s->fd);
	}
	status_flush(b, true);
	ret = b->err ? CMD_DROP : CMD_REPLIED;
	free(list);
	free(b);
	return ret;
}

/* ---- clients ---- */

static void *close_fd_thread(void *arg)
{
	close((int)(long)arg);
	return NULL;
}

/*
 * Close a file a client attached. Its close() may block for as long as
 * the client likes (a FUSE flush, a lingering socket), so anything but a
 * session file is closed by a thread of its own, never by the loop.
 */
static void drop_client_fd(int fd)
{
	pthread_attr_t attr;
	pthread_t t;

	if (is_session_file(fd)) {
		close(fd);
		return;
	}
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) ||
	    pthread_create(&t, &attr, close_fd_thread, (void *)(long)fd))
		close(fd);	/* no thread: close it here after all */
	pthread_attr_destroy(&attr);
}

#define LUOD_FDS_MAX		4	/* a request carries at most one */

static void handle(struct client *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * LUOD_FDS_MAX)];
	struct luod_request req;
	struct luod_reply rep = { 0 };
	struct iovec iov = { &req, sizeof(req) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	int in_fd = -1, reply_fd = -1, ret, fd, i, nfds;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Every file attached is ours now, also with an empty message. */
	for (cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfds; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (in_fd < 0)
				in_fd = fd;
			else
				drop_client_fd(fd);
		}
	}
	if (n <= 0) {
		if (in_fd >= 0)
			drop_client_fd(in_fd);
		close(c->fd);
		c->fd = -1;
		return;
	}

	if ((size_t)n != sizeof(req)) {
		ret = explain(&rep, EPROTO, "bad request size %zd", n);
	} else {
		switch (req.cmd) {
		case LUOD_CMD_SESSION:
			ret = cmd_session(c, &req, &rep, &reply_fd);
			break;
		case LUOD_CMD_ADOPT:
			ret = cmd_adopt(c, in_fd, &rep);
			break;
		case LUOD_CMD_FINISH:
			ret = cmd_finish(c, &req, &rep);
			break;
		case LUOD_CMD_RELEASE:
			ret = cmd_release(c, &req, &rep);
			break;
		case LUOD_CMD_STATUS:
			ret = cmd_status(c, c->fd, &rep);
			break;
		case LUOD_CMD_PREPARE:
			ret = c->uid ? explain(&rep, EPERM, "only root updates the kernel") :
				       state_save(&rep);
			break;
		default:
			ret = explain(&rep, EOPNOTSUPP, "unknown command %u",
				      req.cmd);
		}
	}
	if (in_fd >= 0)
		drop_client_fd(in_fd);
	if (ret < 0 && verbose)
		say("pid %d (uid %u): %s", c->pid, c->uid, rep.msg);
	if (ret == CMD_REPLIED)
		return;
	if (ret != CMD_DROP)
		ret = send_reply(c->fd, &rep, reply_fd);
	if (ret) {
		if (verbose)
			say("pid %d (uid %u): dropped, it does not read its replies",
			    c->pid, c->uid);
		close(c->fd);
		c->fd = -1;
	}
}

/* ---- start up ---- */

/* Who holds /dev/liveupdate? A pid, or 0 if not found. */
static pid_t device_holder(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	pid_t pid = 0;

	while (proc && !pid && (p = readdir(proc))) {
		char path[600], link[64];
		struct dirent *f;
		DIR *fds;

		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		while (fds && (f = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 p->d_name, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (!strcmp(link, LUOD_DEVICE)) {
				pid = atoi(p->d_name);
				break;
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return pid;
}

static int open_device(void)
{
	pid_t holder;

	dev_fd = open(LUOD_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev_fd >= 0)
		return 0;
	switch (errno) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		say("%s: %s: %s", LUOD_DEVICE, strerror(errno),
		    "the kernel has no live update (CONFIG_LIVEUPDATE, liveupdate=on, kho=on)");
		break;
	case EBUSY:
		holder = device_holder();
		if (holder)
			say("%s is held by pid %d: only one agent may run",
			    LUOD_DEVICE, holder);
		else
			say("%s is held by another process: only one agent may run",
			    LUOD_DEVICE);
		break;
	default:
		say("%s: %s", LUOD_DEVICE, strerror(errno));
	}
	return -1;
}

static int listen_socket(const char *path, gid_t gid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)], *slash;
	int sock, probe, ret;
	mode_t old_umask;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		say("%s: path too long", path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		struct stat st;

		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST) {
			say("mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
		/* Nobody else may put anything where the socket goes. */
		if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid ||
		    (st.st_mode & 022)) {
			say("%s must be a directory of root's that only root can write",
			    dir);
			return -1;
		}
	}
	/* A socket file left by a luod that died: remove it if nobody answers. */
	probe = luod_connect(path);
	if (probe >= 0) {
		close(probe);
		say("%s: another luod answers there", path);
		return -1;
	}
	unlink(path);

	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock < 0) {
		say("socket: %s", strerror(errno));
		return -1;
	}
	/* Mode 0660 from the start; the owner set on the socket, no link. */
	old_umask = umask(0117);
	ret = bind(sock, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret || fchownat(AT_FDCWD, path, 0, gid, AT_SYMLINK_NOFOLLOW) ||
	    listen(sock, 64)) {
		say("%s: %s", path, strerror(errno));
		close(sock);
		return -1;
	}
	return sock;
}

static const char usage_text[] =
	"Usage: luod [OPTIONS]\n"
	"\n"
	"The live update agent: the one process that opens /dev/liveupdate. It\n"
	"creates and retrieves live update sessions for its clients and keeps them\n"
	"until the kernel is updated (luoctl exec) or they are finished.\n"
	"Run it from boot on (a service), in the foreground; it logs to stderr.\n"
	"\n"
	"  -s, --socket PATH   listen on PATH (default " LUOD_SOCKET_PATH ")\n"
	"  -g, --group GROUP   group that may connect (socket mode 0660; default root)\n"
	"  -p, --policy FILE   which users may use which session names\n"
	"                      (default " LUOD_POLICY_PATH "; see below)\n"
	"      --max-sessions N\n"
	"                      sessions a user other than root may own (default\n"
	"                      " __stringify(LUOD_MAX_SESSIONS) "); more fail with EDQUOT\n"
	"      --max-clients N connections a user other than root may have open\n"
	"                      (default " __stringify(LUOD_MAX_CLIENTS) "); more are closed\n"
	"  -v, --verbose       log every request\n"
	"  -h, --help          this text\n"
	"\n"
	"Policy: root may use every session. Other users only those whose names\n"
	"match a line of the policy file, \"<user|uid|@group|@gid> <pattern>\":\n"
	"    qemu    vm-*\n"
	"    @kvm    vm-*\n"
	"(\"@group\": the client's primary or supplementary groups; names from\n"
	"/etc/passwd and /etc/group), and only sessions they created (or that\n"
	"they created before the last live update). A session whose owner luod\n"
	"does not know is root's.\n"
	"\n"
	"If luod exits, every session only it held ends: outgoing sessions are\n"
	"cancelled, incoming ones finished. Stop it only when no session matters;\n"
	"update the kernel with 'luoctl exec', never with a shutdown that stops\n"
	"services first.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* The copy of the previous luod's state: next to the socket. */
static const char *state_copy_path(const char *sock_path)
{
	static char path[PATH_MAX];
	const char *slash = strrchr(sock_path, '/');
	int dir = slash ? (int)(slash - sock_path) : 1;

	snprintf(path, sizeof(path), "%.*s/owners", dir,
		 slash ? sock_path : ".");
	return path;
}

/* Up to the hard limit: a descriptor per session and per client. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The number of connected clients of @uid among the @nr in @clients. */
static int clients_of(uid_t uid, const struct client *clients, int nr)
{
	int i, n = 0;

	for (i = 0; i < nr; i++)
		n += clients[i].fd >= 0 && clients[i].uid == uid;
	return n;
}

/*
 * Accept a client on @lsock, identified by its credentials and groups,
 * unless luod has as many as it serves, or as many of its uid as one user
 * (not root) may have: the connection is then closed. Returns -errno if
 * accept() failed (-EMFILE: out of descriptors).
 */
static int accept_client(int lsock, struct client *clients, int *nr_clients)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	struct client *c;

	if (fd < 0)
		return -errno;
	if (*nr_clients == LUOD_CLIENTS_MAX ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid && clients_of(cred.uid, clients, *nr_clients) >= max_clients)) {
		close(fd);
		return 0;
	}
	c = &clients[(*nr_clients)++];
	*c = (struct client){
		.fd = fd, .pid = cred.pid, .uid = cred.uid, .gid = cred.gid,
	};
	len = sizeof(c->groups);
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups, &len))
		c->nr_groups = len / sizeof(gid_t);
	return 0;
}

/* SIGTERM and SIGINT, written by their handler for the poll loop. */
static int stop_pipe[2] = { -1, -1 };

static void on_stop_signal(int sig)
{
	unsigned char b = sig;

	if (write(stop_pipe[1], &b, 1) < 0)
		return;		/* the pipe is full: one is enough */
}

/* Serve clients until SIGTERM or SIGINT; the signal. */
static int serve(int lsock)
{
	static struct client clients[LUOD_CLIENTS_MAX];
	static struct pollfd pfd[LUOD_CLIENTS_MAX + 2];
	struct sigaction sa = { .sa_handler = on_stop_signal };
	int i, nr_clients = 0, backoff_ms = 0;
	unsigned char sig;

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		say("pipe: %s", strerror(errno));
		return 0;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = lsock, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = stop_pipe[0], .events = POLLIN };
		for (i = 0; i < nr_clients; i++)
			pfd[i + 2] = (struct pollfd){ .fd = clients[i].fd,
						      .events = POLLIN };
		if (poll(pfd, nr_clients + 2, backoff_ms ? backoff_ms : -1) < 0)
			continue;
		backoff_ms = 0;

		if (pfd[1].revents & POLLIN && read(stop_pipe[0], &sig, 1) == 1)
			return sig;
		for (i = 0; i < nr_clients; i++)
			if (pfd[i + 2].revents)
				handle(&clients[i]);
		/* Drop the clients that went away. */
		for (i = 0; i < nr_clients;) {
			if (clients[i].fd < 0)
				clients[i] = clients[--nr_clients];
			else
				i++;
		}
		/* Out of descriptors: do not spin on the pending connection. */
		if (pfd[0].revents & POLLIN &&
		    accept_client(lsock, clients, &nr_clients) == -EMFILE)
			backoff_ms = 100;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "group", required_argument, NULL, 'g' },
		{ "policy", required_argument, NULL, 'p' },
		{ "max-sessions", required_argument, NULL, 'S' },
		{ "max-clients", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	char *end;
	const char *sock_path = LUOD_SOCKET_PATH, *policy = LUOD_POLICY_PATH;
	unsigned int gid = 0;
	int opt, lsock, sig;
	long max;

	while ((opt = getopt_long(argc, argv, "s:g:p:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock_path = optarg;
			break;
		case 'g':
			if (parse_id(optarg, true, &gid)) {
				say("unknown group %s", optarg);
				return 1;
			}
			break;
		case 'p':
			policy = optarg;
			break;
		case 'S':
		case 'C':
			errno = 0;
			max = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || max < 1 ||
			    max > INT_MAX) {
				say("--%s: not a positive number: %s",
				    opt == 'S' ? "max-sessions" : "max-clients",
				    optarg);
				return 2;
			}
			if (opt == 'S')
				max_sessions = max;
			else
				max_clients = max;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	if (policy_load(policy))
		return 1;
	raise_nofile();
	if (open_device())
		return 1;
	lsock = listen_socket(sock_path, gid);
	if (lsock < 0)
		return 1;
	state_load(state_copy_path(sock_path));
	signal(SIGPIPE, SIG_IGN);
	say("ready on %s (%d policy line(s))", sock_path, nr_rules);

	sig = serve(lsock);
	if (nr_sessions)
		say("exiting on signal %d: the %ld session(s) only luod held end now",
		    sig, nr_sessions);
	unlink(sock_path);
	return 0;
}
