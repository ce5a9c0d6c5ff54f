// SPDX-License-Identifier: GPL-2.0
/*
 * The client side of luod's protocol (see luod.h), for luoctl and for
 * programs that keep state in live update sessions.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "luod.h"

/**
 * luod_connect() - connect to luod
 * @path: its socket, or NULL for LUOD_SOCKET_PATH.
 *
 * Replies that take longer than %LUOD_CLIENT_TIMEOUT_S seconds fail with
 * -EAGAIN.
 *
 * Return: the connected socket, or -errno (-ENOENT or -ECONNREFUSED when
 * luod is not running).
 */
int luod_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval timeout = { .tv_sec = LUOD_CLIENT_TIMEOUT_S };
	int sock;

	if (!path)
		path = LUOD_SOCKET_PATH;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);

	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	/* luod answers at once: do not wait for ever on one that is stuck. */
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = -errno;

		close(sock);
		return err;
	}
	return sock;
}

/**
 * luod_attach_fd() - attach a file to a message (SCM_RIGHTS)
 * @mh: the message, without control data yet.
 * @cbuf: %LUOD_FD_CMSG_SPACE bytes for the control data.
 * @fd: the file.
 */
void luod_attach_fd(struct msghdr *mh, char *cbuf, int fd)
{
	struct cmsghdr *c;

	memset(cbuf, 0, LUOD_FD_CMSG_SPACE);
	mh->msg_control = cbuf;
	mh->msg_controllen = LUOD_FD_CMSG_SPACE;
	c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
}

/* Send @req, with @fd attached if it is not negative. */
static int luod_send(int sock, const struct luod_request *req, int fd)
{
	char cbuf[LUOD_FD_CMSG_SPACE];
	struct iovec iov = { (void *)req, sizeof(*req) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0)
		luod_attach_fd(&mh, cbuf, fd);
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/*
 * Receive one reply into @rep; the file attached to it, if any, into
 * *@fd (else -1). Returns 0, or -errno; -ECONNRESET if luod went away.
 */
static int luod_recv(int sock, struct luod_reply *rep, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n < sizeof(*rep) || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	rep->msg[sizeof(rep->msg) - 1] = '\0';
	return 0;
}

static int luod_call(int sock, enum luod_cmd cmd, unsigned int flags,
		     const char *name, int send_fd, struct luod_reply *rep,
		     int *fd)
{
	struct luod_request req = { .cmd = cmd, .flags = flags };
	int err;

	*fd = -1;
	if (name && strlen(name) >= sizeof(req.name))
		return -ENAMETOOLONG;
	if (name)
		snprintf(req.name, sizeof(req.name), "%s", name);

	err = luod_send(sock, &req, send_fd);
	if (!err)
		err = luod_recv(sock, rep, fd);
	if (err)
		snprintf(rep->msg, sizeof(rep->msg), "luod: %s",
			 err == -ECONNRESET ? "connection closed" :
					      strerror(-err));
	else if (rep->error)
		err = -rep->error;
	if (err && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

static void luod_msg(const struct luod_reply *rep, char *msg, size_t len)
{
	if (msg && len)
		snprintf(msg, len, "%s", rep->msg);
}

/**
 * luod_session() - get a session from luod
 * @sock: from luod_connect().
 * @name: the session name.
 * @flags: LUOD_SESSION_CREATE, LUOD_SESSION_RETRIEVE or both.
 * @incoming: set to 1 if the session is incoming (retrieved from the
 *            previous kernel), 0 if it is outgoing. May be NULL.
 * @msg: luod's explanation of an error, or NULL.
 * @msg_len: size of @msg.
 *
 * Return: the session file descriptor (close-on-exec), or -errno.
 */
int luod_session(int sock, const char *name, unsigned int flags,
		 int *incoming, char *msg, size_t msg_len)
{
	struct luod_reply rep = { 0 };
	int fd, err;

	err = luod_call(sock, LUOD_CMD_SESSION, flags, name, -1, &rep, &fd);
	luod_msg(&rep, msg, msg_len);
	if (err)
		return err;
	if (fd < 0)
		return -EPROTO;
	if (incoming)
		*incoming = !!(rep.flags & LUOD_REPLY_INCOMING);
	return fd;
}

/**
 * luod_adopt() - give luod a reference to a session file
 * @sock: from luod_connect().
 * @session_fd: the session file; the caller keeps its own descriptor.
 * @msg: luod's explanation of an error, or NULL.
 * @msg_len: size of @msg.
 *
 * Return: 0 or -errno.
 */
int luod_adopt(int sock, int session_fd, char *msg, size_t msg_len)
{
	struct luod_reply rep = { 0 };
	int fd, err;

	err = luod_call(sock, LUOD_CMD_ADOPT, 0, NULL, session_fd, &rep, &fd);
	luod_msg(&rep, msg, msg_len);
	return err;
}

/**
 * luod_simple() - a command that takes a name and returns nothing
 * @sock: from luod_connect().
 * @cmd: %LUOD_CMD_FINISH, %LUOD_CMD_RELEASE or %LUOD_CMD_PREPARE.
 * @name: the session name, or NULL.
 * @msg: luod's explanation of an error, or NULL.
 * @msg_len: size of @msg.
 *
 * Return: 0 or -errno.
 */
int luod_simple(int sock, enum luod_cmd cmd, const char *name,
		char *msg, size_t msg_len)
{
	struct luod_reply rep = { 0 };
	int fd, err;

	err = luod_call(sock, cmd, 0, name, -1, &rep, &fd);
	luod_msg(&rep, msg, msg_len);
	return err;
}

/**
 * luod_status() - what luod knows
 * @sock: from luod_connect().
 * @msg: luod's explanation of an error, or NULL.
 * @msg_len: size of @msg.
 *
 * The text is a line per session, and after it a line per file of the
 * session (see cmd_status() in luod.c).
 *
 * Return: the text, to be freed with free(), or NULL with errno set.
 */
char *luod_status(int sock, char *msg, size_t msg_len)
{
	struct luod_request req = { .cmd = LUOD_CMD_STATUS };
	struct luod_reply *rep;
	char *text = NULL, *pkt;
	size_t len = 0;
	int err;

	pkt = malloc(LUOD_PACKET_MAX);
	if (!pkt)
		return NULL;
	rep = (struct luod_reply *)pkt;
	err = luod_send(sock, &req, -1);
	while (!err) {
		ssize_t n = recv(sock, pkt, LUOD_PACKET_MAX, 0);
		char *more;

		if (n < (ssize_t)sizeof(*rep)) {
			err = n < 0 ? -errno : n ? -EPROTO : -ECONNRESET;
			break;
		}
		if (rep->error) {
			rep->msg[sizeof(rep->msg) - 1] = '\0';
			luod_msg(rep, msg, msg_len);
			err = -rep->error;
			break;
		}
		n -= sizeof(*rep);
		more = realloc(text, len + n + 1);
		if (!more) {
			err = -ENOMEM;
			break;
		}
		text = more;
		memcpy(text + len, pkt + sizeof(*rep), n);
		len += n;
		text[len] = '\0';
		if (!(rep->flags & LUOD_REPLY_MORE))
			break;
	}
	free(pkt);
	if (!err && !text)
		text = strdup("");
	if (err) {
		free(text);
		errno = -err;
		return NULL;
	}
	return text;
}

/**
 * luod_name_escape() - a session name as luod's texts write it
 * @name: the name.
 * @out: where to write it, NUL-terminated.
 * @len: size of @out; %LUOD_NAME_ESCAPED_LEN holds any session name.
 */
void luod_name_escape(const char *name, char *out, size_t len)
{
	size_t used = 0;

	for (; *name && used + 5 <= len; name++) {
		unsigned char ch = *name;

		if (isgraph(ch) && ch != '\\')
			out[used++] = ch;
		else
			used += snprintf(out + used, len - used, "\\%03o", ch);
	}
	if (len)
		out[used < len ? used : len - 1] = '\0';
}

/**
 * luod_name_unescape() - undo luod_name_escape(), in place
 * @s: the escaped name.
 */
void luod_name_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 |
				 (s[3] - '0');
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}
