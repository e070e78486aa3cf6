/*
 * ctl_server.h - the control channel of a running process (rhook-ctl)
 * and the thread that serves it and the snapshot triggers.
 *
 * The channel: a SOCK_SEQPACKET Unix socket "<pid>.sock" in the runtime
 * directory $RHOOK_CTL_DIR, by default /tmp/rhook-<euid>, created 0700
 * if missing and refused (with a message on stderr) when it is a
 * symbolic link, someone else's, writable by others, or under a
 * directory others could replace (safedir.h).  The socket is bound
 * through that directory's descriptor (/proc/self/fd/N/...), so a path
 * swapped after the check is never used.  A connection is served only
 * when its peer (SO_PEERCRED) has this process's effective uid, or is
 * root; anyone else gets an error reply.  RHOOK_CTL=off turns the
 * channel off: no socket, and no thread unless a snapshot trigger is
 * armed.
 *
 * The thread "rhook-ctl" (shown by top -H) sleeps in poll(2) on the
 * socket and on an eventfd that the snapshot triggers write to; it
 * serves one connection at a time (a peer that does not send its
 * request within 1 s is dropped), and takes the triggered snapshots.
 * It blocks every signal.  The host's paths never look at it: nothing
 * is added to any of them for the channel.  A request runs on the
 * thread: start and stop are rhook_recorder_start()/_stop() (stop waits
 * for a grace period: the thread holds nothing a hook could wait for),
 * a snapshot copies the rings (snapshot.h).
 *
 * fork(): the child has no control channel and no trigger (its
 * inherited descriptors are closed; its recorder records as before);
 * the prepare handler waits for a snapshot in progress to finish.
 * At exit the socket is removed; a process killed (or ended by _exit())
 * leaves it behind: the next process of that pid replaces it, and every
 * process that opens a channel removes those nobody listens on.
 */
#ifndef RHOOK_TRACE_CTL_SERVER_H
#define RHOOK_TRACE_CTL_SERVER_H

/*
 * Constructor, after every other fork handler was registered (its
 * prepare handler then runs first): reads RHOOK_CTL, RHOOK_CTL_DIR and
 * the snapshot trigger variables, opens the channel and starts the
 * thread if either is wanted.  Messages on stderr for what it refuses.
 */
void rhook__ctl_init(void);

#endif /* RHOOK_TRACE_CTL_SERVER_H */
