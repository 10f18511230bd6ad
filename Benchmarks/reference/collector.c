/*
 * Reference collector for the fleet benchmark (`scripts/bench fleet`, docs/BENCHMARKS.md, "A fleet"): the fair
 * yardstick for `lagesbild collect`, doing the same work with nothing else.
 *
 * Connects (MQTT 5, a kept session under a fixed client id) to 127.0.0.1:PORT, subscribes QoS 1 to
 * PREFIX/reports/+, and for each batch (what the socket holds, at most 2000 messages, like the collector) inserts
 * every payload into the `reports` table of the centre's database by id (ON CONFLICT DO NOTHING), with one synced
 * commit per batch, then publishes one receipt per kiosk naming the seqs of the batch, as `lagesbild collect`
 * does. Fields are taken from the payload with a few string searches (no validation, no cleaning, no seq ranges,
 * no kiosk table): a lower bound, not a collector.
 *
 * The database: a SQLite file made by `lagesbild collect` (WAL, synchronous=FULL, as the collector sets them),
 * or with -DWITH_POSTGRES a PostgreSQL conninfo whose schema `lagesbild collect` made (synchronous_commit on).
 *
 * Build: cc -O2 -Wall -o collector collector.c -lmosquitto -lsqlite3
 *        cc -O2 -Wall -DWITH_POSTGRES -I/usr/include/postgresql -o collector-pg collector.c -lmosquitto -lpq
 * Usage: collector PORT PREFIX CLIENT_ID DATABASE
 * Runs until SIGTERM/SIGINT; prints `batches=N reports=N` at the end.
 */
#define _GNU_SOURCE
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef WITH_POSTGRES
#include <libpq-fe.h>
#else
#include <sqlite3.h>
#endif

#define BATCH 2000          /* reading stops at this many (one read may bring a few more) */
#define CAPACITY 65536
#define FIELDS 9

struct item { char *kiosk; long seq; char *f[FIELDS]; char *payload; };
static struct item batch[CAPACITY];
static int n;
static char reports_filter[256];
static char prefix[128];
static volatile sig_atomic_t stop;
static long batches, total;

static char *field(const char *json, const char *key, int quoted) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":%s", key, quoted ? "\"" : "");
    const char *p = strstr(json, pat);
    if (!p) return NULL;
    p += strlen(pat);
    const char *e = p;
    if (quoted) { while (*e && *e != '"') { if (*e == '\\' && e[1]) e++; e++; } }
    else { while (*e && *e != ',' && *e != '}') e++; }
    return strndup(p, e - p);
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg, const mosquitto_property *props) {
    if (n >= CAPACITY) { fprintf(stderr, "collector: more than %d messages in one batch\n", CAPACITY); exit(1); }
    struct item *it = &batch[n++];
    char *json = strndup(msg->payload, msg->payloadlen);
    it->payload = json;
    it->kiosk = field(json, "kiosk", 1);
    char *seq = field(json, "seq", 0);
    it->seq = seq ? atol(seq) : 0;
    free(seq);
    static const char *keys[FIELDS] = {"id", "category", "place", "occurred", "schema", "event", "source", "submitted_at", "language"};
    for (int i = 0; i < FIELDS; i++) it->f[i] = field(json, keys[i], 1);
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags, const mosquitto_property *props) {
    if (rc == 0) mosquitto_subscribe_v5(m, NULL, reports_filter, 1, 0, NULL);
}

#ifdef WITH_POSTGRES
static PGconn *pg;
static int commit_batch(long long now_ms) {
    PGresult *r = PQexec(pg, "BEGIN");
    PQclear(r);
    char now[32];
    snprintf(now, sizeof now, "%lld", now_ms);
    for (int i = 0; i < n; i++) {
        struct item *it = &batch[i];
        char seq[32];
        snprintf(seq, sizeof seq, "%ld", it->seq);
        const char *v[12] = {it->f[0], it->kiosk, seq, now, now, it->f[1], it->f[2], it->f[3], NULL, it->f[5], it->f[4], it->payload};
        r = PQexecParams(pg, "INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, occurred, "
                             "age_group, event, schema, payload) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) "
                             "ON CONFLICT (id) DO NOTHING", 12, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) { fprintf(stderr, "collector: %s", PQerrorMessage(pg)); PQclear(r); r = PQexec(pg, "ROLLBACK"); PQclear(r); return -1; }
        PQclear(r);
    }
    r = PQexec(pg, "COMMIT");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}
static int open_db(const char *conninfo) {
    pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) { fprintf(stderr, "collector: %s", PQerrorMessage(pg)); return -1; }
    return 0;
}
#else
static sqlite3 *db;
static sqlite3_stmt *ins;
static int commit_batch(long long now_ms) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    for (int i = 0; i < n; i++) {
        struct item *it = &batch[i];
        sqlite3_bind_text(ins, 1, it->f[0], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, it->kiosk, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, it->seq);
        sqlite3_bind_int64(ins, 4, now_ms);
        sqlite3_bind_int64(ins, 5, now_ms);
        sqlite3_bind_text(ins, 6, it->f[1], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 7, it->f[2], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 8, it->f[3], -1, SQLITE_STATIC);
        sqlite3_bind_null(ins, 9);
        sqlite3_bind_text(ins, 10, it->f[5], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 11, it->f[4], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 12, it->payload, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE) { fprintf(stderr, "collector: %s\n", sqlite3_errmsg(db)); sqlite3_reset(ins); sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); return -1; }
        sqlite3_reset(ins);
    }
    return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}
static int open_db(const char *path) {
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    sqlite3_busy_timeout(db, 15000);
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL", NULL, NULL, NULL);
    return sqlite3_prepare_v2(db, "INSERT INTO reports (id, kiosk, seq, submitted_at, received_at, category, place, occurred, "
                                  "age_group, event, schema, payload) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING",
                              -1, &ins, NULL) == SQLITE_OK ? 0 : -1;
}
#endif

static int by_kiosk_seq(const void *a, const void *b) {
    const struct item *x = a, *y = b;
    int c = strcmp(x->kiosk ? x->kiosk : "", y->kiosk ? y->kiosk : "");
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* One receipt per kiosk, its seqs as ranges, after the commit. */
static void send_receipts(struct mosquitto *m) {
    qsort(batch, n, sizeof batch[0], by_kiosk_seq);
    static char body[65536];
    for (int i = 0; i < n;) {
        int j = i;
        int len = snprintf(body, sizeof body, "{\"schema\":\"lagesbild.receipt.v1\",\"kiosk\":\"%s\",\"seqs\":[", batch[i].kiosk);
        int first = 1;
        while (j < n && strcmp(batch[j].kiosk, batch[i].kiosk) == 0) {
            long lo = batch[j].seq, hi = lo;
            j++;
            while (j < n && strcmp(batch[j].kiosk, batch[i].kiosk) == 0 && batch[j].seq <= hi + 1) { if (batch[j].seq > hi) hi = batch[j].seq; j++; }
            if (len < (int)sizeof body - 64) len += snprintf(body + len, sizeof body - len, "%s[%ld,%ld]", first ? "" : ",", lo, hi);
            first = 0;
        }
        len += snprintf(body + len, sizeof body - len, "],\"at\":\"1970-01-01T00:00:00.000+00:00\"}");
        char topic[256];
        snprintf(topic, sizeof topic, "%s/receipts/%s", prefix, batch[i].kiosk);
        mosquitto_publish_v5(m, NULL, topic, len, body, 1, false, NULL);
        i = j;
    }
}

static void on_signal(int s) { stop = 1; }

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: collector PORT PREFIX CLIENT_ID DATABASE\n"); return 64; }
    snprintf(prefix, sizeof prefix, "%s", argv[2]);
    snprintf(reports_filter, sizeof reports_filter, "%s/reports/+", prefix);
    if (open_db(argv[4]) != 0) { fprintf(stderr, "collector: cannot open %s\n", argv[4]); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(argv[3], false, NULL);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(m, on_connect);
    mosquitto_message_v5_callback_set(m, on_message);
    mosquitto_property *props = NULL;
    mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, 3600);
    if (mosquitto_connect_bind_v5(m, "127.0.0.1", atoi(argv[1]), 60, NULL, props) != MOSQ_ERR_SUCCESS) { fprintf(stderr, "collector: cannot connect\n"); return 1; }
    while (!stop) {
        struct pollfd p = {mosquitto_socket(m), POLLIN | (mosquitto_want_write(m) ? POLLOUT : 0), 0};
        poll(&p, 1, 1000);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            mosquitto_loop_read(m, 1);
            for (;;) {   /* read on while the socket has more, up to a batch */
                struct pollfd q = {mosquitto_socket(m), POLLIN, 0};
                if (n >= BATCH || poll(&q, 1, 0) <= 0 || !(q.revents & POLLIN)) break;
                mosquitto_loop_read(m, 1);
            }
        }
        if (n > 0) {
            struct timespec t;
            clock_gettime(CLOCK_REALTIME, &t);
            if (commit_batch((long long)t.tv_sec * 1000 + t.tv_nsec / 1000000) == 0) {
                send_receipts(m);
                batches++;
                total += n;
            }
            for (int i = 0; i < n; i++) { free(batch[i].payload); free(batch[i].kiosk); for (int f = 0; f < FIELDS; f++) free(batch[i].f[f]); }
            n = 0;
        }
        if (mosquitto_want_write(m)) mosquitto_loop_write(m, 1);
        mosquitto_loop_misc(m);
    }
    printf("batches=%ld reports=%ld\n", batches, total);
    mosquitto_disconnect_v5(m, 0, NULL);
    return 0;
}
