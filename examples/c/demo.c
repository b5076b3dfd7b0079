/* The hollow-rs tour in C, shorter: a movie catalog changed by events, published in cycles, followed by
 * a consumer; each cycle's diff is checked against what the events did, and lookups by primary key are
 * timed against the 5 microsecond p99 target.
 *
 *   demo DIR [EVENTS [CYCLES]]        (defaults: 600 events over 12 cycles)
 *
 * The events are spread over the cycles by a normal distribution centred in the run, as in the Rust
 * examples (without waiting in real time). Exits 1 when the consumer or a diff disagrees with the catalog.
 *
 *   cc -O2 -Iinclude examples/c/demo.c target/release/libhollow.a -lpthread -ldl -lm -lrt -lutil -o demo
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c99 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hollow.h"

#define MAX_MOVIES 4096
#define LOOKUPS_PER_CYCLE 2000

static const char SCHEMA[] = "Movie @PrimaryKey(id) { long id; string title; int year; long votes; }";
static const char *WORDS[] = {"Night", "River", "Glass", "Summer", "Iron", "Hidden", "Silent", "Storm"};

struct movie {
    int present;
    char title[40];
    int32_t year;
    int64_t votes;
};

struct catalog {
    struct movie movies[MAX_MOVIES + 1]; /* by id; id 0 unused */
    int64_t next_id;
    hollow_object_record *record;
};

static uint64_t rng_state = 42;
static uint64_t next_random(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static hollow_status report(hollow_status s, const char *what) {
    if (s != HOLLOW_STATUS_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, hollow_status_message(s), hollow_last_error_message());
    }
    return s;
}

static void add_movie(struct catalog *c) {
    struct movie *m;
    if (c->next_id > MAX_MOVIES) {
        return;
    }
    m = &c->movies[c->next_id++];
    m->present = 1;
    snprintf(m->title, sizeof m->title, "%s %s", WORDS[next_random() % 8], WORDS[next_random() % 8]);
    m->year = 1950 + (int32_t)(next_random() % 77);
    m->votes = 0;
}

/* Half the events add a movie, a third change one (votes), the rest remove one. */
static void random_event(struct catalog *c) {
    uint64_t roll = next_random() % 100;
    int64_t id = 1 + (int64_t)(next_random() % (uint64_t)(c->next_id - 1));
    if (roll < 50 || !c->movies[id].present) {
        add_movie(c);
    } else if (roll < 85) {
        c->movies[id].votes++;
    } else {
        c->movies[id].present = 0;
    }
}

static int32_t populate(hollow_write_state *ws, void *user_data) {
    struct catalog *c = (struct catalog *)user_data;
    hollow_status s = HOLLOW_STATUS_OK;
    int64_t id;
    for (id = 1; id < c->next_id && s == HOLLOW_STATUS_OK; id++) {
        const struct movie *m = &c->movies[id];
        if (!m->present) {
            continue;
        }
        hollow_object_record_clear(c->record);
        hollow_object_record_set_long(c->record, "id", id);
        hollow_object_record_set_string(c->record, "title", m->title);
        hollow_object_record_set_int(c->record, "year", m->year);
        hollow_object_record_set_long(c->record, "votes", m->votes);
        s = report(hollow_write_state_add_object(ws, "Movie", c->record, NULL), "adding a movie");
    }
    return s;
}

/* What changed between two catalogs, as the diff should count it. */
static void catalog_change(const struct catalog *before, const struct catalog *after, uint64_t out[3]) {
    int64_t id;
    out[0] = out[1] = out[2] = 0;
    for (id = 1; id < after->next_id; id++) {
        const struct movie *b = &before->movies[id], *a = &after->movies[id];
        if (a->present && !b->present) {
            out[0]++;
        } else if (!a->present && b->present) {
            out[1]++;
        } else if (a->present && b->present && a->votes != b->votes) {
            out[2]++;
        }
    }
}

static size_t present_count(const struct catalog *c) {
    size_t n = 0;
    int64_t id;
    for (id = 1; id < c->next_id; id++) {
        n += (size_t)c->movies[id].present;
    }
    return n;
}

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time LOOKUPS_PER_CYCLE lookups by id (and the title read) into `latencies`; count wrong answers. */
static hollow_status time_lookups(const hollow_read_state *rs, const struct catalog *c, double *latencies,
                                  int *wrong) {
    const hollow_type *movies = NULL;
    const hollow_primary_key_index *by_id = NULL;
    size_t title_f = 0;
    hollow_status s;
    int i;
    if ((s = hollow_read_state_type(rs, "Movie", &movies)) || (s = hollow_type_field_index(movies, "title", &title_f)) ||
        (s = hollow_read_state_primary_key_index(rs, "Movie", &by_id))) {
        return s;
    }
    for (i = 0; i < LOOKUPS_PER_CYCLE; i++) {
        hollow_key_value key;
        uint32_t ordinal = 0;
        bool found = false;
        hollow_str title = {0};
        double started;
        key.field_type = HOLLOW_FIELD_TYPE_LONG;
        key.value.long_value = 1 + (int64_t)(next_random() % (uint64_t)(c->next_id - 1));
        started = now_ns();
        s = hollow_primary_key_index_get(by_id, &key, 1, &ordinal, &found);
        if (s == HOLLOW_STATUS_OK && found) {
            s = hollow_object_get_string(movies, ordinal, title_f, &title, NULL);
        }
        latencies[i] = now_ns() - started;
        if (s != HOLLOW_STATUS_OK) {
            return s;
        }
        *wrong += found != (c->movies[key.value.long_value].present != 0) ||
                  (found && (title.len != strlen(c->movies[key.value.long_value].title) ||
                             memcmp(title.ptr, c->movies[key.value.long_value].title, title.len) != 0));
    }
    return HOLLOW_STATUS_OK;
}

int main(int argc, char **argv) {
    static struct catalog catalog, before;
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *previous = NULL, *current = NULL;
    int events = argc > 2 ? atoi(argv[2]) : 600, cycles = argc > 3 ? atoi(argv[3]) : 12;
    int cycle, played = 0, disagreements = 0, wrong = 0, status = 1, i;
    double *latencies = NULL, sigma;
    size_t timed = 0;

    if (argc < 2 || events < 0 || cycles < 1) {
        fprintf(stderr, "usage: %s DIR [EVENTS [CYCLES]]\n", argv[0]);
        return 2;
    }
    latencies = malloc(sizeof(double) * LOOKUPS_PER_CYCLE * (size_t)cycles);
    catalog.next_id = 1;
    for (i = 0; i < 200; i++) {
        add_movie(&catalog);
    }
    if (!latencies || report(hollow_blob_store_create_filesystem(argv[1], &store), "opening the blob directory") ||
        report(hollow_producer_new(store, SCHEMA, &producer), "creating the producer") ||
        report(hollow_consumer_new(store, &consumer), "creating the consumer") ||
        report(hollow_object_record_new(&catalog.record), "creating a record")) {
        goto done;
    }
    sigma = cycles / 6.0;
    for (cycle = 0; cycle < cycles; cycle++) {
        /* This cycle's share of the events: the normal density around the middle cycle. */
        double z = (cycle + 0.5 - cycles / 2.0) / sigma, weight = 0, total = 0;
        int j, share;
        int64_t version = 0;
        size_t types = 0, t, count = 0;
        hollow_diff *diff = NULL;
        uint64_t expected[3];
        for (j = 0; j < cycles; j++) {
            double zj = (j + 0.5 - cycles / 2.0) / sigma;
            total += exp(-zj * zj / 2);
        }
        weight = exp(-z * z / 2) / total;
        share = cycle == cycles - 1 ? events - played : (int)lround(weight * events);
        if (share > events - played) {
            share = events - played;
        }
        memcpy(&before, &catalog, sizeof catalog);
        for (j = 0; j < share; j++) {
            random_event(&catalog);
        }
        played += share;

        if (report(hollow_producer_run_cycle(producer, populate, &catalog, &version), "running a cycle") ||
            report(hollow_consumer_refresh(consumer, &version), "refreshing") ||
            report(hollow_consumer_read_state(consumer, &current), "reading the state")) {
            goto done;
        }
        {
            const hollow_type *movies = NULL;
            if (report(hollow_read_state_type(current, "Movie", &movies), "type Movie") ||
                report(hollow_type_populated_count(movies, &count), "counting")) {
                goto done;
            }
        }
        printf("cycle %2d: %3d events, version %lld, %zu movies", cycle + 1, share, (long long)version, count);
        disagreements += count != present_count(&catalog);
        if (previous) {
            catalog_change(&before, &catalog, expected);
            if (report(hollow_diff_new(previous, current, &diff), "diffing") ||
                report(hollow_diff_type_count(diff, &types), "diff types")) {
                goto done;
            }
            for (t = 0; t < types; t++) {
                hollow_diff_type_summary summary;
                if (hollow_diff_type_at(diff, t, &summary) == HOLLOW_STATUS_OK && summary.name.len == 5 &&
                    memcmp(summary.name.ptr, "Movie", 5) == 0) {
                    printf(" (+%llu -%llu ~%llu)", (unsigned long long)summary.added,
                           (unsigned long long)summary.removed, (unsigned long long)summary.modified);
                    disagreements += summary.added != expected[0] || summary.removed != expected[1] ||
                                     summary.modified != expected[2];
                }
            }
            hollow_diff_free(diff);
        }
        printf("\n");
        if (report(time_lookups(current, &catalog, latencies + timed, &wrong), "timing lookups")) {
            goto done;
        }
        timed += LOOKUPS_PER_CYCLE;
        hollow_read_state_free(previous);
        previous = current;
        current = NULL;
    }

    qsort(latencies, timed, sizeof(double), compare_doubles);
    printf("%d events over %d cycles; %zu lookups: p50 %.2f us, p99 %.2f us (target 5 us: %s)\n", played, cycles, timed,
           latencies[timed / 2] / 1000, latencies[timed * 99 / 100] / 1000,
           latencies[timed * 99 / 100] <= 5000 ? "met" : "missed");
    printf("consumer and diffs agree with the catalog: %s; wrong lookups: %d\n", disagreements ? "NO" : "yes", wrong);
    status = disagreements || wrong ? 1 : 0;

done:
    free(latencies);
    hollow_read_state_free(previous);
    hollow_read_state_free(current);
    hollow_object_record_free(catalog.record);
    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
    hollow_blob_store_free(store);
    return status;
}
