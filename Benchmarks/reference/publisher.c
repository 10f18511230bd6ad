/*
 * Reference publisher for the tipskiosk gateway benchmark (Benchmarks/, scripts/bench).
 *
 * What the gateway does on the wire, with nothing else: connect (MQTT 5, clean start) to 127.0.0.1:PORT,
 * publish N payloads (one per line of FILE, loaded into memory first) to TOPIC at QoS 1 with the same three
 * MQTT 5 user properties the gateway sends (id, kiosk, seq, taken from the payload JSON), keeping at most
 * WINDOW publishes unacknowledged, where the window is min(configured window, broker Receive Maximum),
 * exactly as the gateway computes it. No database, no bookkeeping beyond a counter.
 *
 * Driven like the gateway: one thread, one poll() loop over the libmosquitto socket (no libmosquitto thread).
 *
 * Prints (stdout, one line each, key=value):
 *   window=W  (effective window)
 *   start_unix_ms=...   when main() started (before connect)
 *   connack_unix_ms=... when the CONNACK arrived
 *   done_unix_ms=...    when the last PUBACK arrived
 *   elapsed_s=...       done - start (process start to last PUBACK; what the script compares)
 *   msgs_per_s=...      N / elapsed_s
 *   publish_s=...       done - connack (pure publishing time)
 *
 * Build: cc -O2 -Wall -o publisher publisher.c -lmosquitto
 * Usage: publisher PORT FILE TOPIC WINDOW [CLIENT_ID]
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

struct msg {
    const char *payload;
    int len;
    char id[64];
    char seq[24];
};

static struct msg *msgs;
static long n_msgs;
static long next_to_send;
static long acked;
static long inflight;
static int window_configured;
static int window_effective;
static int connected;
static int failed;
static const char *topic;
static const char *kiosk = "bench-kiosk-1";
static double t_start, t_connack, t_done;

static double now_unix(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Copies the string value of "key":"..." or the number of "key":123 from a payload. */
static void json_field(const char *p, int len, const char *key, char *out, size_t outlen) {
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *s = memmem(p, (size_t)len, pat, strlen(pat));
    out[0] = 0;
    if (!s) return;
    s += strlen(pat);
    const char *end = p + len;
    if (*s == '"') {
        s++;
        size_t i = 0;
        while (s < end && *s != '"' && i + 1 < outlen) out[i++] = *s++;
        out[i] = 0;
    } else {
        size_t i = 0;
        while (s < end && *s >= '0' && *s <= '9' && i + 1 < outlen) out[i++] = *s++;
        out[i] = 0;
    }
}

static void fill(struct mosquitto *m) {
    while (connected && inflight < window_effective && next_to_send < n_msgs) {
        struct msg *g = &msgs[next_to_send];
        mosquitto_property *props = NULL;
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "id", g->id);
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "kiosk", kiosk);
        mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, "seq", g->seq);
        int mid = 0;
        int rc = mosquitto_publish_v5(m, &mid, topic, g->len, g->payload, 1, false, props);
        mosquitto_property_free_all(&props);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "publisher: publish: %s\n", mosquitto_strerror(rc));
            failed = 1;
            return;
        }
        inflight++;
        next_to_send++;
    }
}

static void on_connect(struct mosquitto *m, void *ud, int rc, int flags, const mosquitto_property *props) {
    (void)ud; (void)flags;
    if (rc != 0) {
        fprintf(stderr, "publisher: CONNACK refused: %s\n", mosquitto_reason_string(rc));
        failed = 1;
        return;
    }
    uint16_t rm = 65535;
    uint16_t v = 0;
    if (mosquitto_property_read_int16(props, MQTT_PROP_RECEIVE_MAXIMUM, &v, false)) rm = v;
    window_effective = window_configured < rm ? window_configured : rm;
    if (window_effective < 1) window_effective = 1;
    t_connack = now_unix();
    connected = 1;
    fill(m);
}

static void on_publish(struct mosquitto *m, void *ud, int mid, int reason, const mosquitto_property *props) {
    (void)ud; (void)mid; (void)props;
    if (reason >= 0x80) {
        fprintf(stderr, "publisher: PUBACK refused: %s\n", mosquitto_reason_string(reason));
        failed = 1;
        return;
    }
    inflight--;
    acked++;
    if (acked == n_msgs) {
        t_done = now_unix();
        return;
    }
    fill(m);
}

static void on_disconnect(struct mosquitto *m, void *ud, int rc, const mosquitto_property *props) {
    (void)m; (void)ud; (void)props;
    if (acked < n_msgs) {
        fprintf(stderr, "publisher: disconnected (%d) after %ld PUBACKs\n", rc, acked);
        failed = 1;
    }
    connected = 0;
}

int main(int argc, char **argv) {
    t_start = now_unix();
    if (argc < 5) {
        fprintf(stderr, "usage: %s PORT FILE TOPIC WINDOW [CLIENT_ID]\n", argv[0]);
        return 64;
    }
    int port = atoi(argv[1]);
    topic = argv[3];
    window_configured = atoi(argv[4]);
    const char *client_id = argc > 5 ? argv[5] : "bench-reference";

    /* Load every payload into memory before connecting. */
    FILE *f = fopen(argv[2], "rb");
    if (!f) { perror(argv[2]); return 66; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) { perror("read"); return 74; }
    fclose(f);
    buf[size] = '\n';
    long cap = 1024;
    msgs = malloc(sizeof *msgs * (size_t)cap);
    for (char *p = buf, *end = buf + size; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p + 1));
        if (nl > p) {
            if (n_msgs == cap) { cap *= 2; msgs = realloc(msgs, sizeof *msgs * (size_t)cap); }
            struct msg *g = &msgs[n_msgs++];
            g->payload = p;
            g->len = (int)(nl - p);
            json_field(p, g->len, "id", g->id, sizeof g->id);
            json_field(p, g->len, "seq", g->seq, sizeof g->seq);
        }
        p = nl + 1;
    }
    if (n_msgs == 0) { fprintf(stderr, "publisher: no payloads in %s\n", argv[2]); return 65; }

    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(client_id, true, NULL);
    if (!m) { perror("mosquitto_new"); return 71; }
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_publish_v5_callback_set(m, on_publish);
    mosquitto_disconnect_v5_callback_set(m, on_disconnect);
    int rc = mosquitto_connect_bind_v5(m, "127.0.0.1", port, 30, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "publisher: connect: %s\n", mosquitto_strerror(rc)); return 69; }

    while (!failed && acked < n_msgs) {
        int fd = mosquitto_socket(m);
        if (fd < 0) { fprintf(stderr, "publisher: no socket\n"); failed = 1; break; }
        struct pollfd pfd = { .fd = fd, .events = POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0) };
        int n = poll(&pfd, 1, 1000);
        if (n < 0 && errno != EINTR) { perror("poll"); failed = 1; break; }
        if (pfd.revents & (POLLOUT | POLLERR | POLLHUP)) {
            rc = mosquitto_loop_write(m, 1);
            if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "publisher: write: %s\n", mosquitto_strerror(rc)); failed = 1; break; }
        }
        if (pfd.revents & (POLLIN | POLLERR | POLLHUP)) {
            rc = mosquitto_loop_read(m, 1);
            if (rc != MOSQ_ERR_SUCCESS) { fprintf(stderr, "publisher: read: %s\n", mosquitto_strerror(rc)); failed = 1; break; }
        }
        mosquitto_loop_misc(m);
    }
    if (failed) return 1;
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();

    double elapsed = t_done - t_start;
    printf("n=%ld\nwindow=%d\nstart_unix_ms=%.0f\nconnack_unix_ms=%.0f\ndone_unix_ms=%.0f\n", n_msgs,
           window_effective, t_start * 1000, t_connack * 1000, t_done * 1000);
    printf("elapsed_s=%.3f\nmsgs_per_s=%.0f\npublish_s=%.3f\n", elapsed, (double)n_msgs / elapsed, t_done - t_connack);
    free(msgs);
    free(buf);
    return 0;
}
