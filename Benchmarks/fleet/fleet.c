/*
 * A fleet of simulated kiosks in one process, for `scripts/bench fleet` (docs/BENCHMARKS.md, "A fleet").
 *
 * Each kiosk is its own MQTT 5 connection (client id = kiosk id, as the shipped broker config ties them to the
 * user), with its own seq, a retained status, and a subscription to its receipts. It sends what a gateway sends
 * (tipskiosk.report.v1 payloads, QoS 1, at most WINDOW unacknowledged) and keeps each report until the
 * collector's receipt names its seq, as a kiosk with `await_receipts` does. One thread, one poll() over every
 * socket, libmosquitto without its own threads.
 *
 * Phases:
 *   connect   every kiosk connects, subscribes to {prefix}/receipts/{kiosk}, publishes its status;
 *   steady    RATE reports a second over the fleet for STEADY_S seconds, each from a kiosk picked at random:
 *             end to end = stored at the kiosk (the moment it is handed to the client) -> the receipt back;
 *   outage    every kiosk disconnects; each then holds BACKLOG reports (an hour's worth at RATE);
 *   burst     every kiosk reconnects at once and sends its backlog and its status: the intake rate is the
 *             backlog over the time from the reconnect to the last receipt; end to end from the reconnect.
 *
 * Prints key=value lines (stdout): steady_n, steady_p50_ms, steady_p99_ms, steady_max_ms, burst_n, burst_s,
 * burst_per_s, burst_p50_ms, burst_p99_ms, missing (reports with no receipt by the deadline), and the phases'
 * times. Exit 0 when every report got its receipt, 1 otherwise.
 *
 * Build: cc -O2 -Wall -o fleet fleet.c -lmosquitto -lm
 * Usage: fleet PORT PREFIX KIOSKS RATE STEADY_S BACKLOG WINDOW TIMEOUT_S
 */
#define _GNU_SOURCE
#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct kiosk {
    struct mosquitto *m;
    char id[32];
    char receipts[128];
    char reports[128];
    char status[128];
    int connected;
    int subscribed;
    long stored;          /* reports made so far (seq 1..stored) */
    long sent;            /* seqs 1..sent handed to libmosquitto on this connection (resent from 0 on reconnect) */
    int unacked;          /* published, no PUBACK yet */
    double *t_stored;     /* per seq: when it was stored (s, monotonic) */
    double *t_receipt;    /* per seq: when its receipt came (0: not yet) */
    long confirmed;       /* how many seqs have a receipt */
};

static struct kiosk *fleet;
static int nk;
static const char *prefix;
static int window_size;
static long capacity;
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_random(void) {   /* SplitMix64: the same sequence every run */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *categories[] = {"unsafe_place", "drugs", "youth_groups", "threats_violence", "theft", "fraud",
                                   "vandalism", "traffic", "online", "other"};
static const char *places[] = {"Centrum", "Ungdomsgården", "Stationen", "Skolgården", "Torget", "Badhuset", "Parken"};
static const char *occurred[] = {"now", "today", "this_week", "earlier", "unknown"};

static int payload_of(struct kiosk *k, long seq, char *out, size_t size) {
    /* A UUIDv7-shaped id unique per (kiosk, seq), the time now. */
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    uint64_t ms = (uint64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
    int index = (int)(k - fleet);
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    return snprintf(out, size,
        "{\"schema\":\"tipskiosk.report.v1\",\"id\":\"%08llx-%04llx-7%03x-8%03x-%012lx\",\"kiosk\":\"%s\",\"seq\":%ld,"
        "\"submitted_at\":\"%s.%03d+00:00\",\"category\":\"%s\",\"place\":\"%s\",\"occurred\":\"%s\","
        "\"text\":\"rapport %ld från flottan\",\"language\":\"sv\",\"reporter\":{\"role\":\"visitor\",\"age_group\":null},"
        "\"contact\":null,\"site\":\"Flottan\",\"event\":null}",
        (unsigned long long)(ms >> 16), (unsigned long long)(ms & 0xFFFF), index & 0xFFF, (unsigned)((index >> 12) & 0xFFF),
        (unsigned long)seq, k->id, seq, when, (int)(ms % 1000), categories[seq % 10], places[seq % 7], occurred[seq % 5], seq);
}

static void publish_status(struct kiosk *k) {
    char body[512];
    int n = snprintf(body, sizeof body,
        "{\"kiosk\":\"%s\",\"state\":\"online\",\"pending\":%ld,\"oldest_pending_at\":null,\"last_ack_at\":null,"
        "\"dead_letters\":0,\"awaiting_receipt\":%ld,\"last_seq\":%ld,\"version\":\"fleet\",\"since\":null}",
        k->id, k->stored - k->confirmed, k->stored - k->confirmed, k->stored);
    mosquitto_publish_v5(k->m, NULL, k->status, n, body, 1, true, NULL);
}

/* Sends what the window allows: the seqs without a receipt, oldest first. */
static void pump(struct kiosk *k) {
    char body[1024];
    while (k->connected && k->unacked < window_size && k->sent < k->stored) {
        long seq = ++k->sent;
        if (k->t_receipt[seq] > 0) continue;
        int n = payload_of(k, seq, body, sizeof body);
        if (mosquitto_publish_v5(k->m, NULL, k->reports, n, body, 1, false, NULL) != MOSQ_ERR_SUCCESS) { k->sent--; break; }
        k->unacked++;
    }
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props) {
    struct kiosk *k = obj;
    if (rc != 0) { fprintf(stderr, "fleet: %s refused: %d\n", k->id, rc); return; }
    k->connected = 1;
    k->sent = 0;
    k->unacked = 0;
    mosquitto_subscribe_v5(m, NULL, k->receipts, 1, 0, NULL);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int n, const int *granted, const mosquitto_property *props) {
    struct kiosk *k = obj;
    k->subscribed = 1;
    publish_status(k);
    pump(k);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props) {
    struct kiosk *k = obj;
    k->connected = 0;
    k->subscribed = 0;
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int rc, const mosquitto_property *props) {
    struct kiosk *k = obj;
    if (k->unacked > 0) k->unacked--;
    pump(k);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg, const mosquitto_property *props) {
    struct kiosk *k = obj;
    const char *p = strstr((const char *)msg->payload, "\"seqs\":[");
    if (!p) return;
    p += 8;
    double t = now_s();
    while (*p == '[') {
        char *end;
        long lo = strtol(p + 1, &end, 10);
        long hi = strtol(end + 1, &end, 10);
        for (long s = lo; s <= hi && s <= k->stored; s++) {
            if (s >= 1 && k->t_receipt[s] == 0) { k->t_receipt[s] = t; k->confirmed++; }
        }
        p = end + 1;   /* past ']' */
        if (*p == ',') p++;
    }
}

static void connect_kiosk(struct kiosk *k, int port) {
    if (k->m) mosquitto_destroy(k->m);
    k->m = mosquitto_new(k->id, true, k);
    mosquitto_int_option(k->m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(k->m, on_connect);
    mosquitto_subscribe_v5_callback_set(k->m, on_subscribe);
    mosquitto_disconnect_v5_callback_set(k->m, on_disconnect);
    mosquitto_publish_v5_callback_set(k->m, on_publish);
    mosquitto_message_v5_callback_set(k->m, on_message);
    int rc = mosquitto_connect_bind_v5(k->m, "127.0.0.1", port, 60, NULL, NULL);
    if (rc != MOSQ_ERR_SUCCESS) fprintf(stderr, "fleet: %s cannot connect: %s\n", k->id, mosquitto_strerror(rc));
}

static struct pollfd *fds;

/* One round of poll() over every socket, at most `ms` milliseconds. */
static void turn(int ms) {
    for (int i = 0; i < nk; i++) {
        int s = fleet[i].m ? mosquitto_socket(fleet[i].m) : -1;
        fds[i].fd = s;
        fds[i].events = s >= 0 ? (POLLIN | (mosquitto_want_write(fleet[i].m) ? POLLOUT : 0)) : 0;
        fds[i].revents = 0;
    }
    poll(fds, nk, ms);
    for (int i = 0; i < nk; i++) {
        struct kiosk *k = &fleet[i];
        if (!k->m) continue;
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) mosquitto_loop_read(k->m, 1);
        if (mosquitto_socket(k->m) >= 0 && mosquitto_want_write(k->m)) mosquitto_loop_write(k->m, 1);
        mosquitto_loop_misc(k->m);
    }
}

/* Connects every kiosk, serving the ones already connected between every 20 (a connect blocks until the
 * broker has accepted the socket; without the turns, receipts would wait in the sockets meanwhile). */
static void connect_all(int port) {
    for (int i = 0; i < nk; i++) {
        connect_kiosk(&fleet[i], port);
        if (i % 20 == 19) turn(0);
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void latencies(const char *name, long from_seq_of[], long to_seq_of[], double since) {
    /* since < 0: from each report's stored time; else from `since` */
    long n = 0;
    for (int i = 0; i < nk; i++) n += to_seq_of[i] - from_seq_of[i];
    double *v = malloc(sizeof(double) * (n ? n : 1));
    long c = 0, missing = 0;
    for (int i = 0; i < nk; i++)
        for (long s = from_seq_of[i] + 1; s <= to_seq_of[i]; s++) {
            if (fleet[i].t_receipt[s] == 0) { missing++; continue; }
            v[c++] = (fleet[i].t_receipt[s] - (since < 0 ? fleet[i].t_stored[s] : since)) * 1000;
        }
    qsort(v, c, sizeof(double), cmp_double);
    printf("%s_n=%ld\n%s_missing=%ld\n", name, n, name, missing);
    if (c) {
        printf("%s_p50_ms=%.1f\n%s_p99_ms=%.1f\n%s_max_ms=%.1f\n", name, v[c / 2], name, v[(long)(c * 0.99)], name, v[c - 1]);
    }
    free(v);
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: fleet PORT PREFIX KIOSKS RATE STEADY_S BACKLOG WINDOW TIMEOUT_S\n");
        return 64;
    }
    int port = atoi(argv[1]);
    prefix = argv[2];
    nk = atoi(argv[3]);
    double rate = atof(argv[4]);
    double steady_s = atof(argv[5]);
    long backlog = atol(argv[6]);
    window_size = atoi(argv[7]);
    double timeout_s = atof(argv[8]);
    /* libmosquitto takes three descriptors a client (its socket and a pair to wake its loop). */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)(3 * nk + 64)) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < (rlim_t)(3 * nk + 64)) {
            fprintf(stderr, "fleet: %d kiosks need %d open files; the limit is %llu\n", nk, 3 * nk + 64, (unsigned long long)rl.rlim_cur);
            return 69;
        }
    }
    mosquitto_lib_init();
    long steady_total = (long)(rate * steady_s);
    capacity = steady_total + backlog + 8;   /* a kiosk gets at most all the steady reports */
    fleet = calloc(nk, sizeof *fleet);
    fds = calloc(nk, sizeof *fds);
    long *mark0 = calloc(nk, sizeof(long)), *mark1 = calloc(nk, sizeof(long)), *mark2 = calloc(nk, sizeof(long));
    for (int i = 0; i < nk; i++) {
        struct kiosk *k = &fleet[i];
        snprintf(k->id, sizeof k->id, "fleet-%04d", i + 1);
        snprintf(k->receipts, sizeof k->receipts, "%s/receipts/%s", prefix, k->id);
        snprintf(k->reports, sizeof k->reports, "%s/reports/%s", prefix, k->id);
        snprintf(k->status, sizeof k->status, "%s/status/%s", prefix, k->id);
        k->t_stored = calloc(capacity + 1, sizeof(double));
        k->t_receipt = calloc(capacity + 1, sizeof(double));
    }

    /* connect */
    double t0 = now_s();
    connect_all(port);
    for (;;) {
        int up = 0;
        for (int i = 0; i < nk; i++) up += fleet[i].subscribed;
        if (up == nk) break;
        if (now_s() - t0 > timeout_s) { fprintf(stderr, "fleet: only %d of %d kiosks subscribed\n", up, nk); return 1; }
        turn(50);
    }
    printf("kiosks=%d\nconnect_s=%.2f\n", nk, now_s() - t0);
    fflush(stdout);

    /* steady */
    double start = now_s(), next = start;
    long made = 0;
    while (made < steady_total) {
        double t = now_s();
        while (made < steady_total && next <= t) {
            struct kiosk *k = &fleet[next_random() % nk];
            long seq = ++k->stored;
            k->t_stored[seq] = now_s();
            pump(k);
            made++;
            next = start + made / rate;
        }
        int wait = (int)((next - now_s()) * 1000);
        turn(wait < 0 ? 0 : wait > 50 ? 50 : wait);
    }
    for (int i = 0; i < nk; i++) mark1[i] = fleet[i].stored;
    double deadline = now_s() + timeout_s;
    for (;;) {
        long confirmed = 0;
        for (int i = 0; i < nk; i++) confirmed += fleet[i].confirmed;
        if (confirmed >= steady_total || now_s() > deadline) break;
        turn(20);
    }
    latencies("steady", mark0, mark1, -1);
    fflush(stdout);

    /* outage: every kiosk goes; its backlog is stored meanwhile */
    for (int i = 0; i < nk; i++) { mosquitto_disconnect_v5(fleet[i].m, 0, NULL); }
    for (int r = 0; r < 20; r++) turn(10);
    for (int i = 0; i < nk; i++) {
        struct kiosk *k = &fleet[i];
        for (long b = 0; b < backlog; b++) { long seq = ++k->stored; k->t_stored[seq] = now_s(); }
        mark2[i] = k->stored;
    }

    /* burst: every kiosk back at once */
    double burst = now_s();
    connect_all(port);
    long want = 0;
    for (int i = 0; i < nk; i++) want += fleet[i].stored;
    deadline = burst + timeout_s;
    double last = burst;
    for (;;) {
        long confirmed = 0;
        for (int i = 0; i < nk; i++) confirmed += fleet[i].confirmed;
        if (confirmed >= want) { last = now_s(); break; }
        if (now_s() > deadline) { last = now_s(); break; }
        turn(20);
    }
    double burst_s = last - burst;
    printf("burst_s=%.2f\nburst_per_s=%.0f\n", burst_s, (double)(backlog * nk) / burst_s);
    latencies("burst", mark1, mark2, burst);
    long missing = 0;
    for (int i = 0; i < nk; i++) missing += fleet[i].stored - fleet[i].confirmed;
    printf("missing=%ld\n", missing);
    for (int i = 0; i < nk; i++) { mosquitto_disconnect_v5(fleet[i].m, 0, NULL); }
    for (int r = 0; r < 10; r++) turn(10);
    return missing == 0 ? 0 : 1;
}
