/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Live Update Orchestrator: userspace interface.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _UAPI_LIVEUPDATE_H
#define _UAPI_LIVEUPDATE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: General ioctl format
 *
 * ``/dev/liveupdate`` and the session files it creates are driven by
 * ioctls of type %LIVEUPDATE_IOCTL_TYPE. Every ioctl number is
 * ``_IO(LIVEUPDATE_IOCTL_TYPE, cmd)``: the direction and size bits are zero
 * and the size travels in the argument instead. Each argument structure
 * starts with ``__u32 size``, which the caller sets to the size of the
 * structure as it knows it. The kernel accepts a smaller structure, as long
 * as it holds every mandatory field, and treats the missing tail as zero;
 * it accepts a larger one if every byte it does not know is zero. Replies
 * are written back up to the smaller of the two sizes.
 *
 * Errors common to all ioctls:
 *
 * - ``ENOTTY``: the ioctl number is not one of this interface's.
 * - ``EINVAL``: the command number is out of range, the ioctl does not
 *   apply to this kind of session, ``size`` is too small for the mandatory
 *   fields, or a field is malformed.
 * - ``E2BIG``: the structure is larger than the kernel's and a byte beyond
 *   the kernel's structure is not zero.
 * - ``EOPNOTSUPP``: a known field has a value the kernel does not support.
 * - ``ENOENT``: no session or file with that name or token.
 * - ``EFAULT``: the argument could not be read or written. An ioctl whose
 *   reply cannot be written changed nothing, unless its description says
 *   otherwise.
 * - ``ENOMEM``: out of memory.
 * - ``EOVERFLOW``: a value does not fit the field that has to hold it.
 *
 * Each ioctl below lists the errors specific to it.
 */

/* ioctl type of /dev/liveupdate and of session files. */
#define LIVEUPDATE_IOCTL_TYPE		0xBA

/* Length of a session name, terminating NUL included. */
#define LIVEUPDATE_SESSION_NAME_LENGTH	64

/* First command number of the device ioctls. */
#define LIVEUPDATE_CMD_BASE		0x00

/* First command number of the session ioctls. */
#define LIVEUPDATE_CMD_SESSION_BASE	0x40

enum {
	LIVEUPDATE_CMD_CREATE_SESSION = LIVEUPDATE_CMD_BASE,
	LIVEUPDATE_CMD_RETRIEVE_SESSION = 0x01,
};

enum {
	LIVEUPDATE_CMD_SESSION_PRESERVE_FD = LIVEUPDATE_CMD_SESSION_BASE,
	LIVEUPDATE_CMD_SESSION_RETRIEVE_FD = 0x41,
	LIVEUPDATE_CMD_SESSION_FINISH = 0x42,
	LIVEUPDATE_CMD_SESSION_GET_NAME = 0x43,
};

/**
 * struct liveupdate_ioctl_create_session - ioctl(LIVEUPDATE_IOCTL_CREATE_SESSION)
 * @size: Input; sizeof(struct liveupdate_ioctl_create_session).
 * @fd: Output; the new session file descriptor, close-on-exec.
 * @name: Input; the session name: 1 to 63 characters and a terminating NUL.
 *
 * Creates an outgoing session, the unit in which files are preserved for
 * the next kernel, and returns a file descriptor for it. The next kernel
 * finds the session by @name. Closing the last descriptor of the session
 * before the live update discards everything preserved in it.
 *
 * Errors: ``EINVAL`` if @name is empty or not NUL-terminated; ``EEXIST`` if
 * an outgoing session of that name exists; ``ENOSPC`` if the handover
 * format cannot describe one more session; ``EMFILE``, ``ENFILE``. On any
 * error, ``EFAULT`` included, no session was created.
 */
struct liveupdate_ioctl_create_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_CREATE_SESSION					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_CREATE_SESSION)

/**
 * struct liveupdate_ioctl_retrieve_session - ioctl(LIVEUPDATE_IOCTL_RETRIEVE_SESSION)
 * @size: Input; sizeof(struct liveupdate_ioctl_retrieve_session).
 * @fd: Output; a file descriptor for the session, close-on-exec.
 * @name: Input; the name the session had in the previous kernel.
 *
 * Returns the session the previous kernel handed over under @name. A
 * session can be retrieved once per boot.
 *
 * Errors: ``ENOENT`` if there is no such incoming session (always so after
 * a cold boot, and after the session was finished and closed);
 * ``EINVAL`` if it was retrieved already (or another call is retrieving
 * it right now); ``EMFILE``, ``ENFILE``. On any error, ``EFAULT``
 * included, the session was not retrieved and can be retrieved again.
 */
struct liveupdate_ioctl_retrieve_session {
	__u32 size;
	__s32 fd;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION				\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_RETRIEVE_SESSION)

/**
 * struct liveupdate_session_preserve_fd - ioctl(LIVEUPDATE_SESSION_PRESERVE_FD)
 * @size: Input; sizeof(struct liveupdate_session_preserve_fd).
 * @fd: Input; the file descriptor to preserve.
 * @token: Input; the caller's identifier for the file, unique within the
 *         session. The next kernel returns the file by this token.
 *
 * Preserves the file behind @fd in an outgoing session. The subsystem that
 * owns the file saves its state now, not at reboot; the session holds a
 * reference to the file, so the caller may close @fd. The file must be
 * open for writing: the next kernel returns it open for reading and
 * writing. Memory the kernel allocates to keep track of the file is
 * charged to the caller's memory cgroup.
 *
 * A subsystem may let a file depend on other files of the session, which
 * must then be preserved first. A chain of such dependencies is at most 16
 * files long.
 *
 * Errors: ``EINVAL`` on an incoming session; ``EEXIST`` if @token is used
 * in this session; ``ENOSPC`` if the handover format cannot describe one
 * more file; ``EBADF`` if @fd is not open, or not open for writing;
 * ``ENOENT`` if no subsystem can preserve this kind of file; ``EBUSY`` if
 * the file is already preserved, in any session; ``ELOOP`` if the file's
 * dependencies would make a chain longer than 16 files; ``ENXIO`` if the
 * file's memory was hot-added since boot (the next kernel would not find
 * it at boot); other errors from the owning subsystem. On any error,
 * ``EFAULT`` included, the file was not preserved.
 */
struct liveupdate_session_preserve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_PRESERVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_PRESERVE_FD)

/**
 * struct liveupdate_session_retrieve_fd - ioctl(LIVEUPDATE_SESSION_RETRIEVE_FD)
 * @size: Input; sizeof(struct liveupdate_session_retrieve_fd).
 * @fd: Output; a new file descriptor for the file, close-on-exec.
 * @token: Input; the token the file was preserved with.
 *
 * Returns a file preserved by the previous kernel in an incoming session.
 * Files may be retrieved in any order. Retrieving a token again returns the
 * same open file (shared offset and state). If restoring a file fails,
 * every later retrieve of that token fails with the same error.
 *
 * Errors: ``EINVAL`` on an outgoing session; ``ENOENT`` if there is no file
 * with this @token (also after ``LIVEUPDATE_SESSION_FINISH``); ``ELOOP`` if
 * the file depends on itself through other files, or on a chain of more
 * than 16 files; errors from the subsystem that restores the file;
 * ``EMFILE``, ``ENFILE``. After ``EMFILE``, ``ENFILE`` or ``EFAULT`` the
 * file can be retrieved again; the subsystem may have restored it already,
 * and a later retrieve returns that file.
 */
struct liveupdate_session_retrieve_fd {
	__u32 size;
	__s32 fd;
	__aligned_u64 token;
};

#define LIVEUPDATE_SESSION_RETRIEVE_FD					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_RETRIEVE_FD)

/**
 * struct liveupdate_session_finish - ioctl(LIVEUPDATE_SESSION_FINISH)
 * @size: Input; sizeof(struct liveupdate_session_finish).
 * @reserved: Input; must be zero.
 *
 * Ends the live update of an incoming session: the subsystems release what
 * they kept for it. Files that were retrieved stay open and become ordinary
 * files; files that were never retrieved are discarded. Calling it on an
 * empty session does nothing.
 *
 * Errors: ``EINVAL`` on an outgoing session, or if @reserved is not zero;
 * ``EBUSY`` if a subsystem is not ready to finish yet (nothing changed;
 * try again later).
 */
struct liveupdate_session_finish {
	__u32 size;
	__u32 reserved;
};

#define LIVEUPDATE_SESSION_FINISH					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_FINISH)

/**
 * struct liveupdate_session_get_name - ioctl(LIVEUPDATE_SESSION_GET_NAME)
 * @size: Input; sizeof(struct liveupdate_session_get_name).
 * @reserved: Input; must be zero.
 * @name: Output; the session name, NUL-terminated and zero-padded.
 *
 * Returns the full session name of an outgoing or incoming session.
 *
 * Errors: ``EINVAL`` if @reserved is not zero.
 */
struct liveupdate_session_get_name {
	__u32 size;
	__u32 reserved;
	__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];
};

#define LIVEUPDATE_SESSION_GET_NAME					\
	_IO(LIVEUPDATE_IOCTL_TYPE, LIVEUPDATE_CMD_SESSION_GET_NAME)

#endif /* _UAPI_LIVEUPDATE_H */
