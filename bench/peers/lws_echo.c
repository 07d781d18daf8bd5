/* lws_echo: a libwebsockets echo (or broadcast) server, a peer for bench/compare.sh.
 *
 *   lws_echo PORT [--broadcast] [--rx-buffer BYTES]
 *
 * Listens on 127.0.0.1:PORT (0 picks a free port) and prints "lws_echo listening on
 * 127.0.0.1:PORT". libwebsockets' own event loop (lws_service, poll), one thread. Every message
 * is assembled from the fragments lws delivers (rx_buffer_size at a time, 64 KiB by default) and
 * sent back whole with its own type from LWS_CALLBACK_SERVER_WRITEABLE, one lws_write per
 * writeable callback as lws asks; with --broadcast each message goes to every connection, the
 * sender included (one reference-counted copy shared by all queues). No size limit of our own
 * (wsload sends at most 16 MiB), no extensions. Stop it with a signal.
 *
 * Third-party code under test, not part of ws-cpp.
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

struct msg {
    int refs;
    int binary;
    size_t len;
    size_t cap;
    unsigned char data[]; /* LWS_PRE bytes of room, then the payload */
};

struct conn {
    struct lws *wsi;
    struct conn *prev, *next; /* every open connection, for broadcast */
    struct msg *rx;           /* the message being assembled */
    struct msg **q;           /* messages to send: a ring */
    size_t q_head, q_len, q_cap;
};

static int g_broadcast;
static struct conn *g_conns;

static struct msg *msg_new(size_t cap)
{
    struct msg *m = malloc(sizeof *m + LWS_PRE + cap);
    if (!m)
        return NULL;
    m->refs = 1;
    m->binary = 0;
    m->len = 0;
    m->cap = cap;
    return m;
}

static void msg_unref(struct msg *m)
{
    if (m && --m->refs == 0)
        free(m);
}

/* Appends len bytes to c->rx, growing it (doubling) when needed. */
static int rx_append(struct conn *c, const void *in, size_t len, size_t hint)
{
    if (c->rx->len + len > c->rx->cap) {
        size_t cap = c->rx->cap * 2;
        if (cap < c->rx->len + len + hint)
            cap = c->rx->len + len + hint;
        struct msg *m = realloc(c->rx, sizeof *m + LWS_PRE + cap);
        if (!m)
            return -1;
        m->cap = cap;
        c->rx = m;
    }
    memcpy(c->rx->data + LWS_PRE + c->rx->len, in, len);
    c->rx->len += len;
    return 0;
}

static int enqueue(struct conn *c, struct msg *m)
{
    if (c->q_len == c->q_cap) {
        size_t cap = c->q_cap ? c->q_cap * 2 : 8;
        struct msg **q = malloc(cap * sizeof *q);
        if (!q)
            return -1;
        for (size_t i = 0; i < c->q_len; i++)
            q[i] = c->q[(c->q_head + i) % c->q_cap];
        free(c->q);
        c->q = q;
        c->q_head = 0;
        c->q_cap = cap;
    }
    c->q[(c->q_head + c->q_len) % c->q_cap] = m;
    c->q_len++;
    m->refs++;
    if (c->q_len == 1)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct conn *c = user;

    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        if (g_broadcast) {
            c->next = g_conns;
            if (g_conns)
                g_conns->prev = c;
            g_conns = c;
        }
        return 0;

    case LWS_CALLBACK_RECEIVE: {
        const size_t remaining = lws_remaining_packet_payload(wsi);
        if (!c->rx) {
            /* A new message: room for this chunk and the rest of its frame. */
            c->rx = msg_new(len + remaining);
            if (!c->rx)
                return -1;
            c->rx->binary = lws_frame_is_binary(wsi);
        }
        if (rx_append(c, in, len, remaining))
            return -1;
        if (!lws_is_final_fragment(wsi))
            return 0;
        struct msg *m = c->rx;
        c->rx = NULL;
        if (g_broadcast) {
            for (struct conn *o = g_conns; o; o = o->next)
                if (enqueue(o, m))
                    return -1;
        } else if (enqueue(c, m)) {
            return -1;
        }
        msg_unref(m);
        return 0;
    }

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (c->q_len == 0)
            return 0;
        struct msg *m = c->q[c->q_head];
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
        const int n = lws_write(wsi, m->data + LWS_PRE, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        const int short_write = n < (int)m->len;
        msg_unref(m);
        if (short_write)
            return -1;
        if (c->q_len)
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_CLOSED:
        if (g_broadcast) {
            if (c->prev)
                c->prev->next = c->next;
            else if (g_conns == c)
                g_conns = c->next;
            if (c->next)
                c->next->prev = c->prev;
        }
        msg_unref(c->rx);
        for (size_t i = 0; i < c->q_len; i++)
            msg_unref(c->q[(c->q_head + i) % c->q_cap]);
        free(c->q);
        memset(c, 0, sizeof *c);
        return 0;

    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

int main(int argc, char **argv)
{
    const char *port_arg = NULL;
    unsigned rx_buffer = 64 * 1024;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--broadcast"))
            g_broadcast = 1;
        else if (!strcmp(argv[i], "--rx-buffer") && i + 1 < argc)
            rx_buffer = (unsigned)atoi(argv[++i]);
        else if (!port_arg)
            port_arg = argv[i];
        else
            port_arg = NULL, i = argc;
    }
    if (!port_arg) {
        fprintf(stderr, "usage: lws_echo PORT [--broadcast] [--rx-buffer BYTES]\n");
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);

    /* The first protocol serves connections that ask for none (and the HTTP side of the upgrade). */
    static struct lws_protocols protocols[2];
    protocols[0].name = "echo";
    protocols[0].callback = callback;
    protocols[0].per_session_data_size = sizeof(struct conn);
    protocols[0].rx_buffer_size = rx_buffer;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = atoi(port_arg);
    info.iface = "127.0.0.1";
    info.protocols = protocols;
    info.pt_serv_buf_size = rx_buffer > 4096 ? rx_buffer : 4096;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;

    struct lws_context *context = lws_create_context(&info);
    if (!context) {
        fprintf(stderr, "lws_echo: cannot create the context (listen on 127.0.0.1:%s)\n", port_arg);
        return 1;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(context, "default");
    printf("lws_echo listening on 127.0.0.1:%d (libwebsockets %s, %s)\n", vh ? lws_get_vhost_listen_port(vh) : -1,
           lws_get_library_version(), g_broadcast ? "broadcast" : "echo");
    fflush(stdout);
    int n = 0;
    while (n >= 0)
        n = lws_service(context, 0);
    lws_context_destroy(context);
    return 0;
}
