/*
 * Reference subscriber for the central collector benchmark (`scripts/bench central`, docs/BENCHMARKS.md).
 *
 * What `lagesbild collect` does on the wire, with nothing else: connect (MQTT 5, clean start off, a Session
 * Expiry Interval, a fixed client id) to 127.0.0.1:PORT, take the messages the broker kept for that session
 * (subscription QoS 1), and count them. No JSON, no database, no receipts. libmosquitto sends the PUBACK of each
 * QoS 1 message itself, as it does for the collector; its Receive Maximum is libmosquitto's default, as the
 * collector's is.
 *
 * Driven like the collector: one thread, one poll() loop over the libmosquitto socket (no libmosquitto thread),
 * reading on while the socket has more.
 *
 * Two modes:
 *   register: connect, subscribe FILTER at QoS 1, wait for the SUBACK, disconnect: the broker keeps the session
 *             (and from then on queues what matches FILTER for it).
 *   count:    connect to that session (clean start off) and count messages until N, then disconnect.
 *
 * Prints (count mode; stdout, key=value, one a line):
 *   n=N
 *   start_unix_ms=...   when main() started (before connect)
 *   connack_unix_ms=... when the CONNACK arrived (session_present=1 expected)
 *   done_unix_ms=...    when the Nth message arrived
 *   elapsed_s=...       done - start (what the script compares)
 *   msgs_per_s=...      N / elapsed_s
 *   session_present=0|1
 *
 * Build: cc -O2 -Wall -o subscriber subscriber.c -lmosquitto
 * Usage: subscriber register PORT CLIENT_ID FILTER SESSION_EXPIRY_S
 *        subscriber count    PORT CLIENT_ID N SESSION_EXPIRY_S [TIMEOUT_S]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int registering;
static const char *filter;
static long want;
static long received;
static long bytes;
static int connected;
static int subscribed;
static int session_present = -1;
static int failed;
static double t_start, t_connack, t_done;

static double now_unix(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *m, void *ud, int rc, int flags, const mosquitto_property *props) {
    (void)ud; (void)props;
    if (rc != 0) {
        fprintf(stderr, "subscriber: CONNACK refused: %s\n", mosquitto_reason_string(rc));
        failed = 1;
        return;
    }
    t_connack = now_unix();
    session_present = flags & 1;
    connected = 1;
    if (registering) {
        int r = mosquitto_subscribe_v5(m, NULL, filter, 1, 0, NULL);
        if (r != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "subscriber: subscribe: %s\n", mosquitto_strerror(r));
            failed = 1;
        }
    }
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *granted, const mosquitto_property *props) {
    (void)m; (void)ud; (void)mid; (void)props;
    for (int i = 0; i < n; i++) {
        if (granted[i] >= 0x80) {
            fprintf(stderr, "subscriber: SUBACK refused: %s\n", mosquitto_reason_string(granted[i]));
            failed = 1;
        }
    }
    subscribed = 1;
}

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg, const mosquitto_property *props) {
    (void)m; (void)ud; (void)props;
    received++;
    bytes += msg->payloadlen;
    if (received == want) t_done = now_unix();
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc, const mosquitto_property *props) {
    (void)m; (void)ud; (void)props;
    if (!registering && received < want) {
        fprintf(stderr, "subscriber: disconnected (%d) after %ld messages\n", rc, received);
        failed = 1;
    }
    connected = 0;
}

static int readable(int fd) {
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

int main(int argc, char **argv) {
    t_start = now_unix();
    if (argc < 6 || (strcmp(argv[1], "register") != 0 && strcmp(argv[1], "count") != 0)) {
        fprintf(stderr, "usage: %s register PORT CLIENT_ID FILTER SESSION_EXPIRY_S\n"
                        "       %s count PORT CLIENT_ID N SESSION_EXPIRY_S [TIMEOUT_S]\n", argv[0], argv[0]);
        return 64;
    }
    registering = strcmp(argv[1], "register") == 0;
    int port = atoi(argv[2]);
    const char *client_id = argv[3];
    if (registering) filter = argv[4]; else want = atol(argv[4]);
    int expiry = atoi(argv[5]);
    double timeout = argc > 6 ? atof(argv[6]) : 600;

    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(client_id, false, NULL);   /* clean start off */
    if (!m) { perror("mosquitto_new"); return 71; }
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_subscribe_v5_callback_set(m, on_subscribe);
    mosquitto_message_v5_callback_set(m, on_message);
    mosquitto_disconnect_v5_callback_set(m, on_disconnect);
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, (uint32_t)expiry);
    int rc = mosquitto_connect_bind_v5(m, "127.0.0.1", port, 30, NULL, props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "subscriber: connect: %s\n", mosquitto_strerror(rc)); return 69; }

    double deadline = t_start + timeout;
    while (!failed && (registering ? !subscribed : received < want)) {
        if (now_unix() > deadline) {
            fprintf(stderr, "subscriber: timed out after %.0f s with %ld of %ld messages\n", timeout, received, want);
            failed = 1;
            break;
        }
        int fd = mosquitto_socket(m);
        if (fd < 0) { fprintf(stderr, "subscriber: no socket\n"); failed = 1; break; }
        struct pollfd pfd = { .fd = fd, .events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0) };
        int n = poll(&pfd, 1, 1000);
        if (n < 0 && errno != EINTR) { perror("poll"); failed = 1; break; }
        if (pfd.revents & (POLLOUT | POLLERR | POLLHUP)) {
            rc = mosquitto_loop_write(m, 1);
            if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "subscriber: write: %s\n", mosquitto_strerror(rc)); failed = 1; break; }
        }
        if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
            /* Read on while more is waiting, as the collector does (bounded). */
            int turns = 0;
            do {
                rc = mosquitto_loop_read(m, 1);
                if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "subscriber: read: %s\n", mosquitto_strerror(rc)); failed = 1; break; }
            } while (!failed && received < want && ++turns < 4000 && mosquitto_socket(m) >= 0 && readable(mosquitto_socket(m)));
            if (failed) break;
        }
        mosquitto_loop_misc(m);
    }
    /* Send what is queued (the last PUBACKs), then DISCONNECT. */
    for (int i = 0; i < 100 && mosquitto_socket(m) >= 0 && mosquitto_want_write(m); i++) mosquitto_loop_write(m, 1);
    mosquitto_disconnect_v5(m, MQTT_RC_NORMAL_DISCONNECTION, NULL);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    if (failed) return 1;

    if (registering) {
        printf("registered=%s\nsession_present=%d\n", client_id, session_present);
        return 0;
    }
    double elapsed = t_done - t_start;
    printf("n=%ld\nbytes=%ld\nstart_unix_ms=%.0f\nconnack_unix_ms=%.0f\ndone_unix_ms=%.0f\n", received, bytes,
           t_start * 1000, t_connack * 1000, t_done * 1000);
    printf("elapsed_s=%.3f\nmsgs_per_s=%.0f\nsession_present=%d\n", elapsed, (double)want / elapsed, session_present);
    return 0;
}
