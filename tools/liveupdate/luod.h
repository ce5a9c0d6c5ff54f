/* SPDX-License-Identifier: GPL-2.0 */
/*
 * luod: the live update agent, and how its clients talk to it.
 *
 * /dev/liveupdate has one opener. luod is that opener: it creates and
 * retrieves sessions for its clients (VMMs, caches, luoctl) and keeps a
 * reference to every session, so that a session survives its client and
 * is frozen by the reboot that updates the kernel.
 *
 * Clients connect to a SOCK_SEQPACKET socket (LUOD_SOCKET_PATH). Each
 * request is one struct luod_request; each reply is one struct
 * luod_reply, with the session file attached (SCM_RIGHTS) where a command
 * returns one. LUOD_CMD_STATUS replies with several packets: a
 * struct luod_reply with LUOD_REPLY_MORE and text after it, until one
 * without LUOD_REPLY_MORE.
 *
 * The client functions below wrap the protocol; they return a file
 * descriptor or 0 on success and a negative errno on failure, with luod's
 * explanation in @msg when a buffer is given.
 */
#ifndef _LUOD_H
#define _LUOD_H

#include <stddef.h>
#include <sys/socket.h>
#include <linux/liveupdate.h>
#include <linux/types.h>

#define LUOD_SOCKET_PATH	"/run/luod/luod.sock"
#define LUOD_POLICY_PATH	"/etc/luod.conf"
#define LUOD_NAME_LEN		LIVEUPDATE_SESSION_NAME_LENGTH
#define LUOD_CLIENT_TIMEOUT_S	30	/* longest wait for a reply */

/*
 * luod's own session: what it knew before a live update (the sessions and
 * who owns them), preserved by LUOD_CMD_PREPARE and read back by the luod
 * of the next kernel. Clients cannot use this name.
 */
#define LUOD_STATE_SESSION	"luod.state"

/**
 * enum luod_cmd - what a client asks
 * @LUOD_CMD_SESSION: the session @name: the incoming one if there is one
 *                    and %LUOD_SESSION_RETRIEVE is set, else a new
 *                    outgoing one if %LUOD_SESSION_CREATE is set; or the
 *                    one luod already holds. Reply: the session file.
 * @LUOD_CMD_ADOPT: take a session file the client holds (attached) into
 *                  luod's care, e.g. after luod was restarted.
 * @LUOD_CMD_FINISH: finish the incoming session @name and close luod's
 *                   reference to it.
 * @LUOD_CMD_RELEASE: close luod's reference to the session @name: an
 *                    outgoing session is cancelled once its client closes
 *                    it too.
 * @LUOD_CMD_STATUS: list the sessions luod knows (text, see luoctl.c).
 * @LUOD_CMD_PREPARE: save luod's state for the next kernel; luoctl exec
 *                    asks it just before the reboot.
 */
enum luod_cmd {
	LUOD_CMD_SESSION = 1,
	LUOD_CMD_ADOPT,
	LUOD_CMD_FINISH,
	LUOD_CMD_RELEASE,
	LUOD_CMD_STATUS,
	LUOD_CMD_PREPARE,
};

#define LUOD_SESSION_CREATE	0x1
#define LUOD_SESSION_RETRIEVE	0x2

/**
 * struct luod_request - one request
 * @cmd: an &enum luod_cmd.
 * @flags: LUOD_SESSION_* for %LUOD_CMD_SESSION, else 0.
 * @name: the session name, NUL-terminated.
 */
struct luod_request {
	__u32 cmd;
	__u32 flags;
	char name[LUOD_NAME_LEN];
};

#define LUOD_REPLY_INCOMING	0x1	/* the session is incoming */
#define LUOD_REPLY_MORE		0x2	/* more packets follow */

#define LUOD_MSG_LEN		256

/**
 * struct luod_reply - one reply
 * @error: 0 or a positive errno.
 * @flags: LUOD_REPLY_*.
 * @msg: NUL-terminated; why, when @error is set.
 */
struct luod_reply {
	__s32 error;
	__u32 flags;
	char msg[LUOD_MSG_LEN];
};

/* Largest STATUS packet: a reply and the text after it. */
#define LUOD_PACKET_MAX		(sizeof(struct luod_reply) + 8192)

int luod_connect(const char *path);
int luod_session(int sock, const char *name, unsigned int flags,
		 int *incoming, char *msg, size_t msg_len);
int luod_adopt(int sock, int session_fd, char *msg, size_t msg_len);
int luod_simple(int sock, enum luod_cmd cmd, const char *name,
		char *msg, size_t msg_len);
char *luod_status(int sock, char *msg, size_t msg_len);

/*
 * Session names in luod's texts (status, its saved state): every byte that
 * is not a printable non-space character, and the backslash, as \ooo.
 */
#define LUOD_NAME_ESCAPED_LEN	(LUOD_NAME_LEN * 4)
void luod_name_escape(const char *name, char *out, size_t len);
void luod_name_unescape(char *s);

/* Attach the file @fd to @mh, in @cbuf of %LUOD_FD_CMSG_SPACE bytes. */
#define LUOD_FD_CMSG_SPACE	CMSG_SPACE(sizeof(int))
void luod_attach_fd(struct msghdr *mh, char *cbuf, int fd);

#endif /* _LUOD_H */
