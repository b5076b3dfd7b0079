/* Bad input never gets through (issue 13) and stores opened by URL (issue 8), from C.
 *
 * Usage: issue13_test [S3_URL]. With an S3 URL (the harness passes one when HOLLOW_TEST_S3 is set), the
 * producer/consumer round trip also runs against that bucket. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
/* From <sanitizer/allocator_interface.h>, which not every compiler installation ships. */
size_t __sanitizer_get_current_allocated_bytes(void);
/* Live heap bytes (freed chunks waiting in ASan's quarantine are not counted). */
static size_t heap_in_use(void) { return __sanitizer_get_current_allocated_bytes(); }
#else
#include <malloc.h>
static size_t heap_in_use(void) { return mallinfo2().uordblks; }
#endif

static const char *SCHEMAS = "Movie @PrimaryKey(id) { long id; string title; int year; String original; }\n"
                             "String { string value; }\n";

/* ----- 1. schema text refused by hollow_producer_new ------------------------------------------ */

static void test_bad_schemas(hollow_blob_store *store) {
    hollow_producer *p = NULL;
    CHECK_STATUS(hollow_producer_new(store, "A { int x; } A { long y; }", &p), HOLLOW_STATUS_SCHEMA);
    CHECK_LAST_ERROR_HAS("A");
    CHECK(p == NULL);
    CHECK_STATUS(hollow_producer_new(store, "Movie @PrimaryKey(nope) { long id; }", &p), HOLLOW_STATUS_SCHEMA);
    CHECK_LAST_ERROR_HAS("nope");
    CHECK(p == NULL);
}

/* ----- 2. calls from inside a populate callback on the same producer --------------------------- */

struct reentry {
    hollow_producer *producer;
    hollow_object_record *record;
    int64_t current_inside;
    int calls;
};

static int32_t noop_populate(hollow_write_state *ws, void *user_data) {
    (void)ws;
    (void)user_data;
    return HOLLOW_STATUS_OK;
}

static int32_t reentrant_populate(hollow_write_state *ws, void *user_data) {
    struct reentry *r = (struct reentry *)user_data;
    int64_t v = 12345;
    uint32_t o = 0;
    r->calls++;
    CHECK_STATUS(hollow_producer_run_cycle(r->producer, noop_populate, NULL, &v), HOLLOW_STATUS_REENTRANT_CALL);
    CHECK_LAST_ERROR_HAS("hollow_producer_run_cycle");
    CHECK_LAST_ERROR_HAS("inside a populate callback");
    CHECK(v == 12345);
    CHECK_STATUS(hollow_producer_restore_announced(r->producer, &v), HOLLOW_STATUS_REENTRANT_CALL);
    CHECK_LAST_ERROR_HAS("hollow_producer_restore_announced");
    CHECK(v == 12345);
    hollow_producer_free(r->producer); /* refused: does nothing */
    CHECK_LAST_ERROR_HAS("hollow_producer_free");
    CHECK_OK(hollow_producer_current_version(r->producer, &r->current_inside));
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_REENTRANT_CALL),
                 "called from inside a callback on the same handle") == 0);
    /* The cycle itself goes on. */
    CHECK_OK(hollow_object_record_clear(r->record));
    CHECK_OK(hollow_object_record_set_long(r->record, "id", 1));
    CHECK_OK(hollow_object_record_set_string(r->record, "title", "Heat"));
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r->record, &o));
    return HOLLOW_STATUS_OK;
}

static void test_reentrancy(hollow_blob_store *store) {
    struct reentry r = {NULL, NULL, 0, 0};
    int64_t v1 = 0, v2 = 0, current = 0;
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &r.producer));
    CHECK_OK(hollow_object_record_new(&r.record));
    CHECK_OK(hollow_producer_run_cycle(r.producer, reentrant_populate, &r, &v1));
    CHECK(r.calls == 1 && r.current_inside == HOLLOW_VERSION_NONE);
    CHECK_OK(hollow_producer_current_version(r.producer, &current));
    CHECK(current == v1 && v1 != HOLLOW_VERSION_NONE);
    /* Again, from a producer with a version: nothing changed, the version stays; the handle still works. */
    CHECK_OK(hollow_producer_run_cycle(r.producer, reentrant_populate, &r, &v2));
    CHECK(r.calls == 2 && r.current_inside == v1 && v2 == v1);
    hollow_object_record_free(r.record);
    hollow_producer_free(r.producer);
}

/* ----- 6. random bad records are refused; the announced version and its data stay -------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

struct bad_cycle {
    hollow_object_record *record;
    int kind;          /* which bad record */
    int ignore_error;  /* return OK although the bad record was refused */
    hollow_status got; /* what adding it returned */
};

static void add_good(hollow_write_state *ws, hollow_object_record *r) {
    uint32_t o = 0, s = 0;
    int64_t id;
    for (id = 1; id <= 3; id++) {
        char title[16];
        snprintf(title, sizeof title, "movie %d", (int)id);
        CHECK_OK(hollow_write_state_add_string(ws, title, &s));
        CHECK_OK(hollow_object_record_clear(r));
        CHECK_OK(hollow_object_record_set_long(r, "id", id));
        CHECK_OK(hollow_object_record_set_string(r, "title", title));
        CHECK_OK(hollow_object_record_set_int(r, "year", 1990 + (int32_t)id));
        CHECK_OK(hollow_object_record_set_reference(r, "original", s));
        CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &o));
    }
}

#define BAD_KINDS 12

static hollow_status add_bad(hollow_write_state *ws, hollow_object_record *r, int kind) {
    uint32_t o = 0, e = 4000000000u;
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 100 + (int64_t)rnd(1000)));
    switch (kind) {
    case 0: /* a string for an int */
        CHECK_OK(hollow_object_record_set_string(r, "year", "1999"));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 1: /* a long for an int */
        CHECK_OK(hollow_object_record_set_long(r, "year", (int64_t)1 << 40));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 2: /* an int for a long */
        CHECK_OK(hollow_object_record_set_int(r, "id", (int32_t)rnd(100)));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 3: /* an unknown field */
        CHECK_OK(hollow_object_record_set_bool(r, "nope", 1));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 4: /* a reference to a record never added */
        CHECK_OK(hollow_object_record_set_reference(r, "original", 1000000 + rnd(1000)));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 5: /* bytes for a string */
        CHECK_OK(hollow_object_record_set_bytes(r, "title", (const uint8_t *)"ab", 2));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 6: /* a double for a reference */
        CHECK_OK(hollow_object_record_set_double(r, "original", 1.5));
        return hollow_write_state_add_object(ws, "Movie", r, &o);
    case 7: /* an unknown type */
        return hollow_write_state_add_object(ws, "Film", r, &o);
    case 8: /* the wrong record kind */
        return hollow_write_state_add_list(ws, "Movie", &e, 1, &o);
    case 9:
        return hollow_write_state_add_map(ws, "String", &e, &e, 1, &o);
    case 10: /* an unknown set type */
        return hollow_write_state_add_set(ws, "SetOfNothing", &e, 1, &o);
    default: /* text that is not UTF-8 */
        return hollow_write_state_add_string(ws, "bad\xff", &o);
    }
}

static int32_t bad_populate(hollow_write_state *ws, void *user_data) {
    struct bad_cycle *c = (struct bad_cycle *)user_data;
    add_good(ws, c->record);
    c->got = add_bad(ws, c->record, c->kind);
    if (c->ignore_error || c->got == HOLLOW_STATUS_OK) {
        return HOLLOW_STATUS_OK;
    }
    return (int32_t)c->got;
}

static int32_t good_populate(hollow_write_state *ws, void *user_data) {
    add_good(ws, ((struct bad_cycle *)user_data)->record);
    return HOLLOW_STATUS_OK;
}

/* The announced version holds exactly the 3 good movies. */
static void check_data(hollow_consumer *consumer, int64_t expected_version) {
    hollow_read_state *rs = NULL;
    const hollow_type *movie = NULL;
    int64_t version = 0;
    size_t count = 0;
    CHECK_OK(hollow_consumer_refresh(consumer, &version));
    CHECK(version == expected_version);
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_type(rs, "Movie", &movie));
    CHECK_OK(hollow_type_populated_count(movie, &count));
    CHECK(count == 3);
    hollow_read_state_free(rs);
}

static void test_bad_records(hollow_blob_store *store) {
    hollow_producer *p = NULL;
    hollow_consumer *consumer = NULL;
    struct bad_cycle c = {NULL, 0, 0, HOLLOW_STATUS_OK};
    int64_t announced = 0, version = 0;
    int i, refused = 0, mixed_ok = 0;

    CHECK_OK(hollow_producer_new(store, SCHEMAS, &p));
    CHECK_OK(hollow_consumer_new(store, &consumer));
    CHECK_OK(hollow_object_record_new(&c.record));
    CHECK_OK(hollow_producer_run_cycle(p, good_populate, &c, &announced));
    check_data(consumer, announced);
    for (i = 0; i < 200; i++) {
        hollow_status s;
        c.kind = (int)rnd(BAD_KINDS);
        c.ignore_error = (int)rnd(2);
        s = hollow_producer_run_cycle(p, bad_populate, &c, &version);
        if (c.got != HOLLOW_STATUS_OK) {
            refused++;
        } else {
            fprintf(stderr, "bad record kind %d was accepted\n", c.kind);
        }
        CHECK(c.got != HOLLOW_STATUS_OK);
        CHECK(hollow_last_error_message()[0] != '\0');
        if (c.ignore_error) {
            /* The refused record was not added: the same records again, nothing to publish. */
            CHECK(s == HOLLOW_STATUS_OK && version == announced);
            mixed_ok += s == HOLLOW_STATUS_OK;
        } else {
            CHECK(s == c.got);
        }
        CHECK_OK(hollow_producer_current_version(p, &version));
        CHECK(version == announced);
        if (i % 20 == 0) {
            check_data(consumer, announced);
        }
    }
    CHECK(refused == 200 && mixed_ok > 0);
    check_data(consumer, announced);
    hollow_object_record_free(c.record);
    hollow_consumer_free(consumer);
    hollow_producer_free(p);
}

/* ----- 3, 4, 5: reads --------------------------------------------------------------------------- */

#define DISTINCT 1000
#define READS 1000

static int32_t strings_populate(hollow_write_state *ws, void *user_data) {
    hollow_object_record *r = (hollow_object_record *)user_data;
    uint32_t o = 0;
    int64_t id;
    for (id = 0; id < DISTINCT; id++) {
        char title[64];
        snprintf(title, sizeof title, "Am\xc3\xa9lie n\xc2\xb0%" PRId64 " \xe2\x80\x94 caf\xc3\xa9", id);
        CHECK_OK(hollow_object_record_clear(r));
        CHECK_OK(hollow_object_record_set_long(r, "id", id));
        CHECK_OK(hollow_object_record_set_string(r, "title", title));
        CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &o));
    }
    return HOLLOW_STATUS_OK;
}

static int32_t strings_populate_without_7(hollow_write_state *ws, void *user_data) {
    hollow_object_record *r = (hollow_object_record *)user_data;
    uint32_t o = 0;
    int64_t id;
    for (id = 0; id < DISTINCT; id++) {
        char title[64];
        if (id == 7) {
            continue;
        }
        snprintf(title, sizeof title, "Am\xc3\xa9lie n\xc2\xb0%" PRId64 " \xe2\x80\x94 caf\xc3\xa9", id);
        CHECK_OK(hollow_object_record_clear(r));
        CHECK_OK(hollow_object_record_set_long(r, "id", id));
        CHECK_OK(hollow_object_record_set_string(r, "title", title));
        CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &o));
    }
    return HOLLOW_STATUS_OK;
}

static void test_reads(hollow_blob_store *store) {
    hollow_producer *p = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    hollow_object_record *r = NULL;
    const hollow_type *movie = NULL;
    const hollow_primary_key_index *pk = NULL;
    hollow_key_value key[2];
    int64_t v1 = 0, v2 = 0, i64 = 0;
    int32_t i32 = 0;
    uint32_t ordinal = 0, removed = 0, ref = 0;
    bool found = false, is_null = false, populated = true;
    size_t title = 0, year = 0, len = 0, before, after;
    hollow_str s = {NULL, 0}, s2 = {NULL, 0};
    hollow_bytes bytes = {NULL, 0};
    float f32 = 0;
    double f64 = 0;
    char buf[8];
    int i, j, same_pointer = 1;

    CHECK_OK(hollow_producer_new(store, SCHEMAS, &p));
    CHECK_OK(hollow_object_record_new(&r));
    CHECK_OK(hollow_producer_run_cycle(p, strings_populate, r, &v1));
    CHECK_OK(hollow_producer_run_cycle(p, strings_populate_without_7, r, &v2));
    CHECK(v2 > v1);
    CHECK_OK(hollow_consumer_new(store, &consumer));
    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_type(rs, "Movie", &movie));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
    key[0].field_type = HOLLOW_FIELD_TYPE_LONG;
    key[0].value.long_value = 7;
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &removed, &found));
    CHECK(found);
    hollow_read_state_free(rs);
    CHECK_OK(hollow_consumer_refresh(consumer, &v1));
    CHECK(v1 == v2);
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_type(rs, "Movie", &movie));
    CHECK_OK(hollow_type_field_index(movie, "title", &title));
    CHECK_OK(hollow_type_field_index(movie, "year", &year));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));

    /* 3. A removed ordinal: every typed getter says NOT_FOUND, naming the type and the ordinal. */
    {
        char fragment[64];
        snprintf(fragment, sizeof fragment, "Movie has no record %u", (unsigned)removed);
        CHECK_OK(hollow_type_is_populated(movie, removed, &populated));
        CHECK(!populated);
        i64 = 99;
        CHECK_STATUS(hollow_object_get_long(movie, removed, 0, &i64, &is_null), HOLLOW_STATUS_NOT_FOUND);
        CHECK_LAST_ERROR_HAS(fragment);
        CHECK(i64 == 99); /* untouched */
        CHECK_STATUS(hollow_object_get_int(movie, removed, year, &i32, NULL), HOLLOW_STATUS_NOT_FOUND);
        CHECK_LAST_ERROR_HAS(fragment);
        CHECK_STATUS(hollow_object_get_string(movie, removed, title, &s, NULL), HOLLOW_STATUS_NOT_FOUND);
        CHECK_LAST_ERROR_HAS(fragment);
        CHECK_STATUS(hollow_object_copy_string(movie, removed, title, buf, sizeof buf, &len, NULL),
                     HOLLOW_STATUS_NOT_FOUND);
        CHECK_STATUS(hollow_object_is_null(movie, removed, title, &is_null), HOLLOW_STATUS_NOT_FOUND);
        CHECK_STATUS(hollow_object_get_reference(movie, removed, 3, &ref, NULL), HOLLOW_STATUS_NOT_FOUND);
        CHECK_STATUS(hollow_object_get_long(movie, 5000000, 0, &i64, NULL), HOLLOW_STATUS_NOT_FOUND);
        CHECK_LAST_ERROR_HAS("Movie has no record 5000000");
        /* Wrong field types are still reported as such on a record that exists. */
        CHECK_STATUS(hollow_object_get_float(movie, 0, year, &f32, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
        CHECK_STATUS(hollow_object_get_double(movie, 0, year, &f64, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
        CHECK_STATUS(hollow_object_get_bytes(movie, 0, title, &bytes, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
        CHECK_STATUS(hollow_object_get_bool(movie, 0, title, &is_null, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    }

    /* 4. Primary-key lookups with the wrong number or kinds of values. */
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 0, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("the key of Movie has 1 field (id), 0 given");
    CHECK_STATUS(hollow_primary_key_index_get(pk, NULL, 0, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    key[1] = key[0];
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 2, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("2 given");
    key[0].field_type = HOLLOW_FIELD_TYPE_STRING;
    key[0].value.string_value.ptr = "8";
    key[0].value.string_value.len = 1;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("key field 0 (id) of Movie holds a long, but a string was given");
    key[0].field_type = HOLLOW_FIELD_TYPE_DOUBLE;
    key[0].value.double_value = 8.0;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("a double was given");
    key[0].field_type = HOLLOW_FIELD_TYPE_INT; /* an INT stands for a LONG */
    key[0].value.int_value = 8;
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
    CHECK(found);
    key[0].field_type = HOLLOW_FIELD_TYPE_LONG;
    key[0].value.long_value = 7; /* removed: a right key that matches nothing */
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
    CHECK(!found);

    /* 5. 1M reads of non-ASCII strings (1000 distinct values, 1000 times each) keep a bounded amount,
     * and schema texts are rendered once. */
    CHECK_OK(hollow_object_get_string(movie, 0, title, &s, NULL)); /* warm up: type handles, first copy */
    before = heap_in_use();
    for (j = 0; j < READS; j++) {
        for (i = 0; i < DISTINCT; i++) {
            if (i == 7) {
                continue;
            }
            key[0].value.long_value = i;
            if (j == 0) {
                CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
            } else {
                hollow_primary_key_index_get(pk, key, 1, &ordinal, &found);
            }
            if (hollow_object_get_string(movie, ordinal, title, &s, NULL) != HOLLOW_STATUS_OK || s.len < 10) {
                CHECK(0);
            }
        }
        CHECK_OK(hollow_type_schema(movie, &s2));
    }
    after = heap_in_use();
    printf("heap in use: %zu bytes before 1M non-ASCII string reads, %zu after\n", before, after);
    CHECK(after < before + 2 * 1024 * 1024);
    /* The same value read again gives the same kept copy. */
    CHECK_OK(hollow_object_get_string(movie, 0, title, &s, NULL));
    CHECK_OK(hollow_object_get_string(movie, 0, title, &s2, NULL));
    same_pointer = s.ptr == s2.ptr;
    CHECK(same_pointer);
    CHECK(s.len > 0 && memcmp(s.ptr, "Am\xc3\xa9lie n\xc2\xb0", 8) == 0);
    CHECK_OK(hollow_type_schema(movie, &s));
    CHECK_OK(hollow_type_schema(movie, &s2));
    CHECK(s.ptr == s2.ptr);

    hollow_read_state_free(rs);
    hollow_object_record_free(r);
    hollow_consumer_free(consumer);
    hollow_producer_free(p);
}

/* ----- issue 8: stores opened by URL ------------------------------------------------------------ */

static int32_t one_movie(hollow_write_state *ws, void *user_data) {
    hollow_object_record *r = (hollow_object_record *)user_data;
    uint32_t o = 0;
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 1));
    CHECK_OK(hollow_object_record_set_string(r, "title", "Heat"));
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &o));
    return HOLLOW_STATUS_OK;
}

static int32_t two_movies(hollow_write_state *ws, void *user_data) {
    hollow_object_record *r = (hollow_object_record *)user_data;
    uint32_t o = 0;
    one_movie(ws, user_data);
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 2));
    CHECK_OK(hollow_object_record_set_string(r, "title", "Alien"));
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &o));
    return HOLLOW_STATUS_OK;
}

/* Publish, read back, restart the producer (restore_announced), publish a delta, read it. */
static void round_trip(const char *url, const hollow_store_option *options, size_t n_options) {
    hollow_blob_store *store = NULL;
    hollow_producer *p = NULL, *rival = NULL;
    hollow_consumer *consumer = NULL;
    hollow_object_record *r = NULL;
    hollow_read_state *rs = NULL;
    const hollow_type *movie = NULL;
    int64_t v1 = 0, v2 = 0, restored = 0, version = 0;
    size_t count = 0;

    printf("round trip through %s\n", url);
    CHECK_OK(hollow_blob_store_open_url(url, options, n_options, &store));
    if (store == NULL) {
        return;
    }
    CHECK_OK(hollow_object_record_new(&r));
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &p));
    CHECK_OK(hollow_producer_run_cycle(p, one_movie, r, &v1));
    /* A second producer of the same store is refused while the first lives. */
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &rival));
    CHECK_STATUS(hollow_producer_run_cycle(rival, two_movies, r, &version), HOLLOW_STATUS_CONFLICT);
    hollow_producer_free(rival);
    hollow_producer_free(p);

    /* A restarted producer carries on from the announced version. */
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &p));
    CHECK_OK(hollow_producer_restore_announced(p, &restored));
    CHECK(restored == v1);
    CHECK_OK(hollow_producer_current_version(p, &version));
    CHECK(version == v1);
    CHECK_OK(hollow_producer_run_cycle(p, two_movies, r, &v2));
    CHECK(v2 > v1);

    CHECK_OK(hollow_consumer_new(store, &consumer));
    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_refresh(consumer, &version)); /* by delta */
    CHECK(version == v2);
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_type(rs, "Movie", &movie));
    CHECK_OK(hollow_type_populated_count(movie, &count));
    CHECK(count == 2);
    {
        hollow_str title = {NULL, 0};
        bool heat_found = false;
        uint32_t o = 0;
        hollow_key_value k;
        const hollow_primary_key_index *pk = NULL;
        k.field_type = HOLLOW_FIELD_TYPE_LONG;
        k.value.long_value = 2;
        CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
        CHECK_OK(hollow_primary_key_index_get(pk, &k, 1, &o, &heat_found));
        CHECK(heat_found);
        CHECK_OK(hollow_object_get_string(movie, o, 1, &title, NULL));
        CHECK_STR(title, "Alien");
    }
    hollow_read_state_free(rs);
    hollow_consumer_free(consumer);
    hollow_producer_free(p);
    hollow_object_record_free(r);
    hollow_blob_store_free(store);
}

static void test_store_urls(void) {
    hollow_blob_store *store = NULL;
    hollow_producer *p = NULL;
    int64_t version = 0;
    hollow_store_option opts[2] = {{"poll_interval_ms", "50"}, {"layout", "filesystem"}};
    hollow_store_option bad[1] = {{"poll_jitter", "7"}};
    hollow_store_option bad_layout[1] = {{"layout", "sideways"}};
    hollow_store_option null_key[1] = {{NULL, "x"}};

    round_trip("memory://", NULL, 0);
    round_trip("memory://some/prefix", opts, 2);

    CHECK_STATUS(hollow_blob_store_open_url("ftp://example.com/x", NULL, 0, &store), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("ftp://example.com/x");
    CHECK(store == NULL);
    CHECK_STATUS(hollow_blob_store_open_url("memory://", bad, 1, &store), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("poll_jitter");
    CHECK_STATUS(hollow_blob_store_open_url("memory://", bad_layout, 1, &store), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("sideways");
    CHECK_STATUS(hollow_blob_store_open_url("memory://?poll_interval_ms=soon", NULL, 0, &store),
                 HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("poll_interval_ms");
    CHECK_STATUS(hollow_blob_store_open_url("memory://", null_key, 1, &store), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_url("memory://", NULL, 1, &store), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_url(NULL, NULL, 0, &store), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_url("memory://", NULL, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_url("/no/such/hollow/dir", NULL, 0, &store), HOLLOW_STATUS_NOT_FOUND);
    CHECK(store == NULL);

    /* Nothing announced yet: nothing to restore. */
    CHECK_OK(hollow_blob_store_open_url("memory://", NULL, 0, &store));
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &p));
    CHECK_STATUS(hollow_producer_restore_announced(p, &version), HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("announced");
    CHECK_STATUS(hollow_producer_restore_announced(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    hollow_producer_free(p);
    hollow_blob_store_free(store);
}

int main(int argc, char **argv) {
    hollow_blob_store *store = NULL;

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    test_bad_schemas(store);
    hollow_blob_store_free(store);

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    test_reentrancy(store);
    hollow_blob_store_free(store);

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    test_bad_records(store);
    hollow_blob_store_free(store);

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    test_reads(store);
    hollow_blob_store_free(store);

    test_store_urls();
    if (argc > 1) {
        round_trip(argv[1], NULL, 0);
    }
    return check_report("issue13_test");
}
