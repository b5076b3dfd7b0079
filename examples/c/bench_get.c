/* The cost of a read through the C API: primary-key lookup of a movie by id, then its title (a reference
 * to a String record), on a dataset of 1M movies, in one call: through a prepared read
 * (hollow_prepared_read_string, the index and path checked once) and through
 * hollow_primary_key_index_read_string (checked on every call); the same lookups in batches
 * (hollow_primary_key_index_get_many_i64); and, for reference, the read in three calls (lookup,
 * reference, string). hollow-ffi/examples/bench_get.rs does exactly the same through the
 * Rust API, for comparison; examples/c/bench_compare.sh runs both, alternating, and prints the ratios.
 *
 *   bench_get [MOVIES] [LOOKUPS] [ROUNDS]      (defaults: 1000000 1000000 7)
 *
 * Build it against the release library (see README.md, "Use from C/C++"):
 *   cargo build --release -p hollow-ffi
 *   cc -O2 -Iinclude examples/c/bench_get.c target/release/libhollow.a -lpthread -ldl -lm -o bench_get
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hollow.h"
#include "movies.h"

#define CHECK(call)                                                                                    \
    do {                                                                                               \
        hollow_status s_ = (call);                                                                     \
        if (s_ != HOLLOW_STATUS_OK) {                                                                  \
            fprintf(stderr, "%s: %s (%s)\n", #call, hollow_status_message(s_), hollow_last_error_message()); \
            exit(1);                                                                                   \
        }                                                                                              \
    } while (0)

static const char *TAGS[16] = {"action", "adventure", "animation", "biography", "comedy", "crime",
                               "documentary", "drama", "family", "fantasy", "history", "horror",
                               "music", "mystery", "romance", "thriller"};

struct dataset {
    long movies;
};

static int32_t populate(hollow_write_state *ws, void *user_data) {
    const struct dataset *d = (const struct dataset *)user_data;
    hollow_object_record *r = NULL;
    uint32_t tag_ordinals[16];
    char title[64];
    long i;
    int t;
    CHECK(hollow_object_record_new(&r));
    for (t = 0; t < 16; t++) {
        CHECK(hollow_write_state_add_string(ws, TAGS[t], &tag_ordinals[t]));
    }
    for (i = 0; i < d->movies; i++) {
        uint32_t title_ordinal, tags[2], tag_list;
        snprintf(title, sizeof title, "Movie %ld", i);
        CHECK(hollow_write_state_add_string(ws, title, &title_ordinal));
        tags[0] = tag_ordinals[i % 16];
        tags[1] = tag_ordinals[(i * 7 + 3) % 16];
        CHECK(hollow_write_state_add_list(ws, "ListOfString", tags, 2, &tag_list));
        CHECK(hollow_object_record_clear(r));
        CHECK(hollow_object_record_set_long(r, "id", i));
        CHECK(hollow_object_record_set_reference(r, "title", title_ordinal));
        CHECK(hollow_object_record_set_int(r, "year", 1900 + (int)(i % 120)));
        CHECK(hollow_object_record_set_double(r, "rating", (double)(i % 100) / 10.0));
        CHECK(hollow_object_record_set_reference(r, "tags", tag_list));
        CHECK(hollow_write_state_add_object(ws, "Movie", r, NULL));
    }
    hollow_object_record_free(r);
    return HOLLOW_STATUS_OK;
}

static double seconds(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double now_seconds(void) {
    return seconds(CLOCK_MONOTONIC);
}

/* What is measured: for each id, the primary-key lookup and the movie's title, in one call. Kept out of
 * line so that `valgrind --tool=callgrind --toggle-collect=lookup_round` counts exactly this. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t lookup_round(const hollow_primary_key_index *by_id, const hollow_field_path *title,
                             const int64_t *ids, long lookups) {
    uint64_t checksum = 0;
    long i;
    for (i = 0; i < lookups; i++) {
        hollow_key_value key;
        hollow_found found = HOLLOW_FOUND_NO_RECORD;
        hollow_str text;
        key.field_type = HOLLOW_FIELD_TYPE_LONG;
        key.value.long_value = ids[i];
        CHECK(hollow_primary_key_index_read_string(by_id, &key, 1, title, &text, &found));
        checksum += text.len + (found == HOLLOW_FOUND_VALUE);
    }
    return checksum;
}

/* The same read through a prepared read: the key is a plain int64_t, and the index, the path and the
 * field's kind were checked once, by hollow_prepared_read_new. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t prepared_round(const hollow_prepared_read *title, const int64_t *ids, long lookups) {
    uint64_t checksum = 0;
    long i;
    for (i = 0; i < lookups; i++) {
        hollow_found found = HOLLOW_FOUND_NO_RECORD;
        hollow_str text;
        CHECK(hollow_prepared_read_string(title, ids[i], &text, &found));
        checksum += text.len + (found == HOLLOW_FOUND_VALUE);
    }
    return checksum;
}

/* The same read in three calls: lookup, the title reference, the string. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t three_call_round(const hollow_primary_key_index *by_id, const hollow_type *movies,
                                 const hollow_type *strings, size_t title_field, const int64_t *ids, long lookups) {
    uint64_t checksum = 0;
    long i;
    for (i = 0; i < lookups; i++) {
        hollow_key_value key;
        uint32_t movie = 0, title = 0;
        bool found = false;
        hollow_str text;
        key.field_type = HOLLOW_FIELD_TYPE_LONG;
        key.value.long_value = ids[i];
        CHECK(hollow_primary_key_index_get(by_id, &key, 1, &movie, &found));
        CHECK(hollow_object_get_reference(movies, movie, title_field, &title, NULL));
        CHECK(hollow_object_get_string(strings, title, 0, &text, NULL));
        checksum += text.len + found;
    }
    return checksum;
}

/* The lookups alone, BATCH keys per call. */
#define BATCH 1024
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static uint64_t batch_round(const hollow_primary_key_index *by_id, const int64_t *ids, long lookups) {
    uint32_t ordinals[BATCH];
    uint64_t checksum = 0;
    long i, j;
    for (i = 0; i < lookups; i += BATCH) {
        size_t n = (size_t)(lookups - i < BATCH ? lookups - i : BATCH), found = 0;
        CHECK(hollow_primary_key_index_get_many_i64(by_id, ids + i, n, ordinals, &found));
        for (j = 0; j < (long)n; j++) checksum += ordinals[j];
        checksum += found;
    }
    return checksum;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    struct dataset d;
    long lookups = argc > 2 ? atol(argv[2]) : 1000000, i;
    int rounds = argc > 3 ? atoi(argv[3]) : 7, round;
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    const hollow_type *movies = NULL, *strings = NULL;
    const hollow_primary_key_index *by_id = NULL;
    const hollow_field_path *title = NULL;
    hollow_prepared_read *prepared_title = NULL;
    size_t title_field = 0;
    int64_t *ids, version = 0;
    double *ns, *cpu_ns, *prepared_ns, *prepared_cpu_ns, *three_ns, *batch_ns, started;
    uint64_t x = 0x9E3779B97F4A7C15ull, checksum = 0, prepared_checksum = 0, three_checksum = 0, batch_checksum = 0;

    d.movies = argc > 1 ? atol(argv[1]) : 1000000;
    if (d.movies <= 0 || lookups <= 0 || rounds <= 0) {
        fprintf(stderr, "usage: %s [MOVIES] [LOOKUPS] [ROUNDS]\n", argv[0]);
        return 2;
    }

    started = now_seconds();
    CHECK(hollow_blob_store_new_in_memory(&store));
    CHECK(hollow_producer_new(store, MOVIE_SCHEMAS, &producer));
    CHECK(hollow_producer_run_cycle(producer, populate, &d, &version));
    printf("produced %ld movies in %.2f s\n", d.movies, now_seconds() - started);

    started = now_seconds();
    CHECK(hollow_consumer_new(store, &consumer));
    CHECK(hollow_consumer_refresh(consumer, NULL));
    CHECK(hollow_consumer_read_state(consumer, &rs));
    CHECK(hollow_read_state_type(rs, "Movie", &movies));
    CHECK(hollow_read_state_type(rs, "String", &strings));
    CHECK(hollow_type_field_index(movies, "title", &title_field));
    CHECK(hollow_read_state_primary_key_index(rs, "Movie", &by_id));
    CHECK(hollow_read_state_field_path(rs, "Movie", "title", &title)); /* follows title to String.value */
    CHECK(hollow_prepared_read_new(by_id, title, &prepared_title));
    printf("loaded and indexed in %.2f s\n", now_seconds() - started);

    /* The ids to look up: the same pseudo-random sequence as the Rust benchmark (xorshift64*). */
    ids = (int64_t *)malloc((size_t)lookups * sizeof *ids);
    ns = (double *)malloc((size_t)rounds * sizeof *ns);
    cpu_ns = (double *)malloc((size_t)rounds * sizeof *cpu_ns);
    prepared_ns = (double *)malloc((size_t)rounds * sizeof *prepared_ns);
    prepared_cpu_ns = (double *)malloc((size_t)rounds * sizeof *prepared_cpu_ns);
    three_ns = (double *)malloc((size_t)rounds * sizeof *three_ns);
    batch_ns = (double *)malloc((size_t)rounds * sizeof *batch_ns);
    for (i = 0; i < lookups; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        ids[i] = (int64_t)((x * 0x2545F4914F6CDD1Dull) % (uint64_t)d.movies);
    }

    /* Each round runs the four loops in turn, so that a burst of load elsewhere hits all four. */
    for (round = 0; round < rounds; round++) {
        double t0 = now_seconds(), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
        prepared_checksum += prepared_round(prepared_title, ids, lookups);
        prepared_ns[round] = (now_seconds() - t0) * 1e9 / (double)lookups;
        prepared_cpu_ns[round] = (seconds(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9 / (double)lookups;
        t0 = now_seconds();
        c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
        checksum += lookup_round(by_id, title, ids, lookups);
        ns[round] = (now_seconds() - t0) * 1e9 / (double)lookups;
        cpu_ns[round] = (seconds(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9 / (double)lookups;
        t0 = now_seconds();
        three_checksum += three_call_round(by_id, movies, strings, title_field, ids, lookups);
        three_ns[round] = (now_seconds() - t0) * 1e9 / (double)lookups;
        t0 = now_seconds();
        batch_checksum += batch_round(by_id, ids, lookups);
        batch_ns[round] = (now_seconds() - t0) * 1e9 / (double)lookups;
    }
    if (three_checksum != checksum || prepared_checksum != checksum) {
        fprintf(stderr, "the one-call, prepared and three-call reads disagree: checksums %llu, %llu and %llu\n",
                (unsigned long long)checksum, (unsigned long long)prepared_checksum,
                (unsigned long long)three_checksum);
        return 1;
    }
    qsort(ns, (size_t)rounds, sizeof *ns, compare_doubles);
    qsort(cpu_ns, (size_t)rounds, sizeof *cpu_ns, compare_doubles);
    qsort(prepared_ns, (size_t)rounds, sizeof *prepared_ns, compare_doubles);
    qsort(prepared_cpu_ns, (size_t)rounds, sizeof *prepared_cpu_ns, compare_doubles);
    qsort(three_ns, (size_t)rounds, sizeof *three_ns, compare_doubles);
    qsort(batch_ns, (size_t)rounds, sizeof *batch_ns, compare_doubles);
    printf("C prepared get (hollow_prepared_read_string): median %.1f ns/op (thread CPU %.1f), best %.1f ns/op "
           "(CPU %.1f) (checksum %llu)\n",
           prepared_ns[rounds / 2], prepared_cpu_ns[rounds / 2], prepared_ns[0], prepared_cpu_ns[0],
           (unsigned long long)prepared_checksum);
    printf("C get (primary-key lookup + title): median %.1f ns/op (thread CPU %.1f), best %.1f ns/op (CPU %.1f) "
           "(%d rounds of %ld lookups, %ld movies, checksum %llu)\n",
           ns[rounds / 2], cpu_ns[rounds / 2], ns[0], cpu_ns[0], rounds, lookups, d.movies,
           (unsigned long long)checksum);
    printf("C get in three calls (lookup, reference, string): median %.1f ns/op, best %.1f ns/op\n",
           three_ns[rounds / 2], three_ns[0]);
    printf("C get_many (lookup alone, %d keys per call): median %.1f ns/key, best %.1f ns/key (checksum %llu)\n",
           BATCH, batch_ns[rounds / 2], batch_ns[0], (unsigned long long)batch_checksum);

    free(ids);
    free(ns);
    free(cpu_ns);
    free(prepared_ns);
    free(prepared_cpu_ns);
    free(three_ns);
    free(batch_ns);
    hollow_read_state_free(rs);
    hollow_prepared_read_free(prepared_title); /* valid after the read state is freed: it keeps its version */
    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
    hollow_blob_store_free(store);
    return 0;
}
