/* Four reader threads read through read-state handles while another thread refreshes the consumer through
 * 20 versions (forward by deltas, then back by reverse deltas). Every read state must show one whole
 * version: its records, strings and indexes all agree on which cycle produced them, however the
 * consumer moves meanwhile. A second phase shares one read-state handle among all four readers.
 */
#define _POSIX_C_SOURCE 200809L /* rand_r, nanosleep */

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"

#define VERSIONS 20
#define READERS 4

static const char *SCHEMAS = "Entry @PrimaryKey(id) { int id; int cycle; string name; } String { string value; }";

static int64_t versions[VERSIONS];
static hollow_consumer *consumer;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int refreshing_done;

/* Entries of cycle c (1-based): ids 0 .. entries(c) - 1. */
static int entries(int c) {
    return 10 + 3 * c;
}

static int32_t populate(hollow_write_state *ws, void *user_data) {
    int c = *(int *)user_data, id;
    char text[64];
    hollow_object_record *r = NULL;
    hollow_status s = hollow_object_record_new(&r);
    for (id = 0; s == HOLLOW_STATUS_OK && id < entries(c); id++) {
        snprintf(text, sizeof text, "e%d-c%d", id, c);
        if ((s = hollow_object_record_clear(r)) == HOLLOW_STATUS_OK &&
            (s = hollow_object_record_set_int(r, "id", id)) == HOLLOW_STATUS_OK &&
            (s = hollow_object_record_set_int(r, "cycle", c)) == HOLLOW_STATUS_OK &&
            (s = hollow_object_record_set_string(r, "name", text)) == HOLLOW_STATUS_OK) {
            s = hollow_write_state_add_object(ws, "Entry", r, NULL);
        }
    }
    hollow_object_record_free(r);
    snprintf(text, sizeof text, "marker-%d", c);
    if (s == HOLLOW_STATUS_OK) {
        s = hollow_write_state_add_string(ws, text, NULL);
    }
    return s;
}

static int is_done(void) {
    int d;
    pthread_mutex_lock(&lock);
    d = refreshing_done;
    pthread_mutex_unlock(&lock);
    return d;
}

static void pause_briefly(void) {
    struct timespec t = {0, 2 * 1000 * 1000}; /* 2 ms */
    nanosleep(&t, NULL);
}

static void *refresher(void *arg) {
    int i;
    long failures = 0;
    (void)arg;
    for (i = 1; i < VERSIONS; i++) {
        failures += hollow_consumer_refresh_to(consumer, versions[i]) != HOLLOW_STATUS_OK;
        pause_briefly();
    }
    for (i = VERSIONS - 2; i >= 0; i--) {
        failures += hollow_consumer_refresh_to(consumer, versions[i]) != HOLLOW_STATUS_OK;
        pause_briefly();
    }
    pthread_mutex_lock(&lock);
    refreshing_done = 1;
    pthread_mutex_unlock(&lock);
    return (void *)failures;
}

/* Check that `rs` shows one whole version. Returns the number of inconsistencies found. */
static long check_state(const hollow_read_state *rs, unsigned *seed) {
    int64_t version = 0;
    int c = 0, i, k;
    long bad = 0;
    const hollow_type *entry = NULL;
    const hollow_primary_key_index *pk = NULL;
    size_t count = 0, size = 0;
    char text[64];

    bad += hollow_read_state_version(rs, &version) != HOLLOW_STATUS_OK;
    for (i = 0; i < VERSIONS; i++) {
        if (versions[i] == version) {
            c = i + 1;
        }
    }
    if (c == 0) {
        return bad + 1;
    }
    bad += hollow_read_state_type(rs, "Entry", &entry) != HOLLOW_STATUS_OK;
    bad += hollow_read_state_primary_key_index(rs, "Entry", &pk) != HOLLOW_STATUS_OK;
    if (bad) {
        return bad;
    }
    bad += hollow_type_populated_count(entry, &count) != HOLLOW_STATUS_OK || count != (size_t)entries(c);
    bad += hollow_read_state_size(rs, &size) != HOLLOW_STATUS_OK || size != 1;
    for (k = 0; k < 8; k++) {
        /* A random id of this cycle, and the first id past it. */
        int id = k == 0 ? entries(c) : (int)(rand_r(seed) % (unsigned)entries(c));
        hollow_key_value key;
        uint32_t ordinal = 0;
        bool found = false, is_null = true;
        int32_t cycle = 0;
        hollow_str name;
        key.field_type = HOLLOW_FIELD_TYPE_INT;
        key.value.int_value = id;
        bad += hollow_primary_key_index_get(pk, &key, 1, &ordinal, &found) != HOLLOW_STATUS_OK;
        if (k == 0) {
            bad += found;
            continue;
        }
        bad += !found;
        bad += hollow_object_get_int(entry, ordinal, 1, &cycle, &is_null) != HOLLOW_STATUS_OK || cycle != c;
        bad += hollow_object_get_string(entry, ordinal, 2, &name, &is_null) != HOLLOW_STATUS_OK;
        snprintf(text, sizeof text, "e%d-c%d", id, c);
        bad += !str_equals(name, text);
    }
    for (k = 1; k <= VERSIONS; k++) {
        bool contains = false;
        snprintf(text, sizeof text, "marker-%d", k);
        bad += hollow_read_state_contains(rs, text, &contains) != HOLLOW_STATUS_OK || contains != (k == c);
    }
    return bad;
}

struct reader {
    const hollow_read_state *shared; /* NULL: acquire a handle per read */
    long reads;
    long bad;
    int versions_seen[VERSIONS];
};

static void *reader(void *arg) {
    struct reader *r = (struct reader *)arg;
    unsigned seed = (unsigned)(uintptr_t)arg;
    do {
        hollow_read_state *own = NULL;
        const hollow_read_state *rs = r->shared;
        int64_t version = 0;
        int i;
        if (rs == NULL) {
            if (hollow_consumer_read_state(consumer, &own) != HOLLOW_STATUS_OK) {
                r->bad++;
                continue;
            }
            rs = own;
        }
        r->bad += check_state(rs, &seed);
        r->bad += hollow_read_state_version(rs, &version) != HOLLOW_STATUS_OK;
        for (i = 0; i < VERSIONS; i++) {
            r->versions_seen[i] |= versions[i] == version;
        }
        hollow_read_state_free(own);
        r->reads++;
    } while (!is_done());
    return NULL;
}

/* Run the readers against a refresher; return the number of distinct versions the readers saw. */
static int run_phase(const hollow_read_state *shared) {
    pthread_t threads[READERS], refresh_thread;
    struct reader readers[READERS];
    void *refresh_failures = NULL;
    int i, j, seen = 0;
    long reads = 0;

    memset(readers, 0, sizeof readers);
    refreshing_done = 0;
    CHECK_OK(hollow_consumer_refresh_to(consumer, versions[0]));
    for (i = 0; i < READERS; i++) {
        readers[i].shared = shared;
        CHECK(pthread_create(&threads[i], NULL, reader, &readers[i]) == 0);
    }
    CHECK(pthread_create(&refresh_thread, NULL, refresher, NULL) == 0);
    CHECK(pthread_join(refresh_thread, &refresh_failures) == 0);
    CHECK(refresh_failures == NULL);
    for (i = 0; i < READERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(readers[i].bad == 0);
        CHECK(readers[i].reads > 0);
        reads += readers[i].reads;
    }
    for (j = 0; j < VERSIONS; j++) {
        int any = 0;
        for (i = 0; i < READERS; i++) {
            any |= readers[i].versions_seen[j];
        }
        seen += any;
    }
    printf("phase (%s handle): %ld reads, %d distinct versions seen\n", shared ? "one shared" : "per-read",
           reads, seen);
    return seen;
}

int main(void) {
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_read_state *shared = NULL;
    int c, seen;

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &producer));
    for (c = 1; c <= VERSIONS; c++) {
        CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, &versions[c - 1]));
        CHECK(c == 1 || versions[c - 1] > versions[c - 2]);
    }
    CHECK_OK(hollow_consumer_new(store, &consumer));
    hollow_blob_store_free(store);

    /* Phase 1: each read acquires and releases its own handle. */
    seen = run_phase(NULL);
    CHECK(seen >= 2); /* the readers did see the consumer move */

    /* Phase 2: one handle, pinned at the first version, read by all four threads at once. */
    CHECK_OK(hollow_consumer_refresh_to(consumer, versions[0]));
    CHECK_OK(hollow_consumer_read_state(consumer, &shared));
    CHECK(run_phase(shared) == 1); /* the pinned version only */
    {
        unsigned seed = 1;
        int64_t version = 0;
        CHECK(check_state(shared, &seed) == 0);
        CHECK_OK(hollow_read_state_version(shared, &version));
        CHECK(version == versions[0]);
    }
    hollow_read_state_free(shared);

    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
    return check_report("threads_test");
}
