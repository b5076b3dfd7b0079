/* Exercises every function of hollow.h, on success and on its error paths: NULL handles and out-pointers,
 * invalid UTF-8, unknown types and fields, wrong field types, a missing store directory, corrupted blobs.
 *
 * Usage: api_test SCRATCH_DIR   (an existing, empty, writable directory)
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const char *SCHEMAS =
    "Movie @PrimaryKey(id) {\n"
    "    long id; string title; int year; float score; double rating; boolean released; bytes poster;\n"
    "    String original; ListOfString tags; SetOfString genres; MapOfStringToLong counters;\n"
    "}\n"
    "String { string value; }\n"
    "Long { long value; }\n"
    "ListOfString List<String>;\n"
    "SetOfString Set<String> @HashKey(value);\n"
    "MapOfStringToLong Map<String, Long> @HashKey(value);\n";

static const char AMELIE[] = "Am\xc3\xa9lie";                      /* "Amélie" */
static const char AMELIE_ORIGINAL[] = "Le Fabuleux Destin d'Am\xc3\xa9lie Poulain";
static const char INVALID_UTF8[] = "bad\xff\xfe";
static const unsigned char POSTER[] = {0x89, 'P', 'N', 'G', 0x00, 0x0d};

/* What a populate callback should do this cycle. */
enum scenario { FULL_V1, FULL_V2, RETURN_SCHEMA_MISMATCH, RETURN_GARBAGE, STRINGS_ONLY };

struct cycle {
    enum scenario scenario;
    hollow_object_record *record;
};

static uint32_t add_string(hollow_write_state *ws, const char *s) {
    uint32_t ordinal = UINT32_MAX;
    CHECK_OK(hollow_write_state_add_string(ws, s, &ordinal));
    return ordinal;
}

static uint32_t add_long(hollow_write_state *ws, hollow_object_record *r, int64_t v) {
    uint32_t ordinal = UINT32_MAX;
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "value", v));
    CHECK_OK(hollow_write_state_add_object(ws, "Long", r, &ordinal));
    return ordinal;
}

/* Error paths of the write side, run inside a cycle: none of them may disturb the cycle. */
static void write_errors(hollow_write_state *ws, hollow_object_record *r) {
    uint32_t o = 0, s = add_string(ws, "x");
    int64_t version = 0;

    CHECK_STATUS(hollow_write_state_version(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_version(ws, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_add_string(NULL, "x", &o), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_add_string(ws, NULL, &o), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_add_string(ws, INVALID_UTF8, &o), HOLLOW_STATUS_INVALID_UTF8);

    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 99));
    CHECK_OK(hollow_object_record_set_int(r, "no_such_field", 1));
    CHECK_STATUS(hollow_write_state_add_object(ws, "Movie", r, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("no_such_field");

    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_string(r, "year", "1999")); /* year is an int */
    CHECK_STATUS(hollow_write_state_add_object(ws, "Movie", r, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("year");

    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_reference(r, "original", 1000000)); /* not added this cycle */
    CHECK_STATUS(hollow_write_state_add_object(ws, "Movie", r, &o), HOLLOW_STATUS_INVALID_ARGUMENT);

    CHECK_STATUS(hollow_write_state_add_object(ws, "NoSuchType", r, &o), HOLLOW_STATUS_NOT_FOUND);
    CHECK_STATUS(hollow_write_state_add_object(ws, INVALID_UTF8, r, &o), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_write_state_add_object(NULL, "Movie", r, &o), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_add_object(ws, NULL, r, &o), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_write_state_add_object(ws, "Movie", NULL, &o), HOLLOW_STATUS_NULL_ARGUMENT);

    /* Wrong record kinds. */
    CHECK_STATUS(hollow_write_state_add_list(ws, "Movie", &s, 1, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_write_state_add_set(ws, "ListOfString", &s, 1, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_write_state_add_map(ws, "SetOfString", &s, &s, 1, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_STATUS(hollow_write_state_add_object(ws, "ListOfString", r, &o), HOLLOW_STATUS_SCHEMA_MISMATCH);

    /* Collections: NULL arrays, unknown elements, bad names. */
    {
        uint32_t missing = 777777;
        CHECK_STATUS(hollow_write_state_add_list(ws, "ListOfString", NULL, 2, &o), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_set(ws, "SetOfString", NULL, 1, &o), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_map(ws, "MapOfStringToLong", &s, NULL, 1, &o),
                     HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_map(ws, "MapOfStringToLong", NULL, &s, 1, &o),
                     HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_list(ws, "ListOfString", &missing, 1, &o),
                     HOLLOW_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_list(NULL, "ListOfString", &s, 1, &o), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_set(NULL, "SetOfString", &s, 1, &o), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_map(NULL, "MapOfStringToLong", &s, &s, 1, &o),
                     HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_list(ws, INVALID_UTF8, &s, 1, &o), HOLLOW_STATUS_INVALID_UTF8);
        CHECK_STATUS(hollow_write_state_add_set(ws, NULL, &s, 1, &o), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_write_state_add_map(ws, "NoSuchMap", &s, &s, 1, &o), HOLLOW_STATUS_NOT_FOUND);
    }
}

static void add_movie_1(hollow_write_state *ws, hollow_object_record *r) {
    uint32_t action = add_string(ws, "action"), scifi = add_string(ws, "sci-fi");
    uint32_t original = add_string(ws, "The Matrix");
    uint32_t tags_elems[2], tags, genres, counters, views = add_string(ws, "views");
    uint32_t views_count = add_long(ws, r, 1000);
    uint32_t ordinal = UINT32_MAX;
    tags_elems[0] = action;
    tags_elems[1] = scifi;
    CHECK_OK(hollow_write_state_add_list(ws, "ListOfString", tags_elems, 2, &tags));
    CHECK_OK(hollow_write_state_add_set(ws, "SetOfString", tags_elems, 2, &genres));
    CHECK_OK(hollow_write_state_add_map(ws, "MapOfStringToLong", &views, &views_count, 1, &counters));

    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 1));
    CHECK_OK(hollow_object_record_set_string(r, "title", "The Matrix"));
    CHECK_OK(hollow_object_record_set_int(r, "year", 1999));
    CHECK_OK(hollow_object_record_set_float(r, "score", 8.75f));
    CHECK_OK(hollow_object_record_set_double(r, "rating", 8.65));
    CHECK_OK(hollow_object_record_set_bool(r, "released", true));
    CHECK_OK(hollow_object_record_set_bytes(r, "poster", POSTER, sizeof POSTER));
    CHECK_OK(hollow_object_record_set_reference(r, "original", original));
    CHECK_OK(hollow_object_record_set_reference(r, "tags", tags));
    CHECK_OK(hollow_object_record_set_reference(r, "genres", genres));
    CHECK_OK(hollow_object_record_set_reference(r, "counters", counters));
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &ordinal));
    CHECK(ordinal != UINT32_MAX);
    {
        /* The same record again is the same record: same ordinal. */
        uint32_t again = UINT32_MAX;
        CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, &again));
        CHECK(again == ordinal);
    }
}

static void add_movie_2(hollow_write_state *ws, hollow_object_record *r) {
    uint32_t original = add_string(ws, AMELIE_ORIGINAL), empty[1] = {0}, tags, genres, counters;
    CHECK_OK(hollow_write_state_add_list(ws, "ListOfString", empty, 0, &tags));
    CHECK_OK(hollow_write_state_add_set(ws, "SetOfString", NULL, 0, &genres));
    CHECK_OK(hollow_write_state_add_map(ws, "MapOfStringToLong", NULL, NULL, 0, &counters));
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", 2));
    CHECK_OK(hollow_object_record_set_string(r, "title", AMELIE));
    CHECK_OK(hollow_object_record_set_int(r, "year", 2001));
    CHECK_OK(hollow_object_record_set_float(r, "score", NAN));
    CHECK_OK(hollow_object_record_set_double(r, "rating", 1.0));
    CHECK_OK(hollow_object_record_set_null(r, "rating")); /* the last value set wins */
    CHECK_OK(hollow_object_record_set_bool(r, "released", false));
    CHECK_OK(hollow_object_record_set_bytes(r, "poster", NULL, 0));
    CHECK_OK(hollow_object_record_set_reference(r, "original", original));
    CHECK_OK(hollow_object_record_set_reference(r, "tags", tags));
    CHECK_OK(hollow_object_record_set_reference(r, "genres", genres));
    CHECK_OK(hollow_object_record_set_reference(r, "counters", counters));
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, NULL)); /* the ordinal is optional */
}

static void add_sparse_movie(hollow_write_state *ws, hollow_object_record *r, int64_t id, const char *title) {
    CHECK_OK(hollow_object_record_clear(r));
    CHECK_OK(hollow_object_record_set_long(r, "id", id));
    if (title != NULL) {
        CHECK_OK(hollow_object_record_set_string(r, "title", title));
        CHECK_OK(hollow_object_record_set_int(r, "year", 1995));
    } else {
        CHECK_OK(hollow_object_record_set_int(r, "year", 1999));
    }
    CHECK_OK(hollow_write_state_add_object(ws, "Movie", r, NULL));
}

static int32_t populate(hollow_write_state *ws, void *user_data) {
    struct cycle *c = (struct cycle *)user_data;
    int64_t version = 0;
    CHECK_OK(hollow_write_state_version(ws, &version));
    CHECK(version > 0);
    switch (c->scenario) {
    case FULL_V1:
        write_errors(ws, c->record);
        add_movie_1(ws, c->record);
        add_movie_2(ws, c->record);
        add_sparse_movie(ws, c->record, 3, NULL);
        add_string(ws, "standalone");
        return HOLLOW_STATUS_OK;
    case FULL_V2:
        add_movie_1(ws, c->record);
        add_sparse_movie(ws, c->record, 3, NULL);
        add_sparse_movie(ws, c->record, 4, "Heat");
        add_string(ws, "standalone");
        return HOLLOW_STATUS_OK;
    case RETURN_SCHEMA_MISMATCH:
        add_string(ws, "never published");
        return HOLLOW_STATUS_SCHEMA_MISMATCH;
    case RETURN_GARBAGE:
        return 12345;
    case STRINGS_ONLY:
        add_string(ws, "alpha");
        add_string(ws, "beta");
        return HOLLOW_STATUS_OK;
    }
    return HOLLOW_STATUS_OK;
}

static void test_misc(void) {
    const char *v = hollow_version();
    CHECK(v != NULL && strlen(v) >= 5 && strchr(v, '.') != NULL);
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_OK), "success") == 0);
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_NOT_FOUND), "not found") == 0);
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_NULL_ARGUMENT), "NULL argument") == 0);
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_PANIC), "internal panic (a bug in libhollow)") == 0);
    CHECK(strcmp(hollow_status_message(-42), "unrecognized status code") == 0);
    CHECK(hollow_last_error_message() != NULL);
    /* The numbers are ABI. */
    CHECK(HOLLOW_STATUS_CORRUPT_BLOB == 1 && HOLLOW_STATUS_IO == 9 && HOLLOW_STATUS_CONFLICT == 10 && HOLLOW_STATUS_NULL_ARGUMENT == 100);
    CHECK(HOLLOW_STATUS_INVALID_UTF8 == 101 && HOLLOW_STATUS_PANIC == 102 && HOLLOW_STATUS_CALLBACK_FAILED == 103);
    /* _free(NULL) is a no-op everywhere. */
    hollow_blob_store_free(NULL);
    hollow_producer_free(NULL);
    hollow_consumer_free(NULL);
    hollow_read_state_free(NULL);
    hollow_object_record_free(NULL);
}

static void test_store_errors(const char *scratch) {
    hollow_blob_store *store = NULL;
    char path[4096];

    CHECK_STATUS(hollow_blob_store_new_in_memory(NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_create_filesystem(NULL, &store), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_create_filesystem(scratch, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_create_filesystem(INVALID_UTF8, &store), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_blob_store_open_filesystem(NULL, &store), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_filesystem(scratch, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_blob_store_open_filesystem(INVALID_UTF8, &store), HOLLOW_STATUS_INVALID_UTF8);

    /* A missing store directory. */
    snprintf(path, sizeof path, "%s/no/such/dir", scratch);
    CHECK_STATUS(hollow_blob_store_open_filesystem(path, &store), HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("no/such/dir");
    CHECK(store == NULL); /* out-pointers are untouched on failure */

    /* By URL: a directory path (created on request), an unknown scheme, a bad option. */
    {
        hollow_store_option create[1] = {{"create", "true"}};
        CHECK_STATUS(hollow_blob_store_open_url(path, NULL, 0, &store), HOLLOW_STATUS_NOT_FOUND);
        CHECK(store == NULL);
        snprintf(path, sizeof path, "%s/by-url", scratch);
        CHECK_OK(hollow_blob_store_open_url(path, create, 1, &store));
        CHECK(store != NULL);
        hollow_blob_store_free(store);
        store = NULL;
        CHECK_STATUS(hollow_blob_store_open_url("gopher://x/y", NULL, 0, &store), HOLLOW_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hollow_blob_store_open_url(INVALID_UTF8, NULL, 0, &store), HOLLOW_STATUS_INVALID_UTF8);
        CHECK(store == NULL);
    }

    /* A directory that cannot be created: its parent is a regular file. */
    {
        FILE *f;
        snprintf(path, sizeof path, "%s/plain-file", scratch);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (f != NULL) {
            fclose(f);
        }
        snprintf(path, sizeof path, "%s/plain-file/store", scratch);
        CHECK_STATUS(hollow_blob_store_create_filesystem(path, &store), HOLLOW_STATUS_IO);
    }
}

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f != NULL) {
        CHECK(fwrite(data, 1, len, f) == len);
        fclose(f);
    }
}

/* Truncate the file dir/name to half its size. */
static void truncate_half(const char *dir, const char *name) {
    char path[4096];
    unsigned char *buf;
    long size;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f == NULL) {
        return;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (unsigned char *)malloc((size_t)size);
    CHECK(buf != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    write_file(dir, name, buf, (size_t)size / 2);
    free(buf);
}

static void test_filesystem_and_corruption(const char *scratch) {
    char dir[4096], name[64];
    hollow_blob_store *store = NULL, *reader_store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    struct cycle c = {STRINGS_ONLY, NULL};
    int64_t version = 0, seen = 0;
    bool found = false;
    hollow_str value;

    /* A producer writes a directory that does not exist yet; a consumer reads it back. */
    snprintf(dir, sizeof dir, "%s/fs-store/nested", scratch);
    CHECK_OK(hollow_blob_store_create_filesystem(dir, &store));
    CHECK_OK(hollow_producer_new(store, NULL, &producer)); /* no schemas: strings only */
    hollow_blob_store_free(store);                        /* the producer keeps the store */
    CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, &version));
    CHECK_OK(hollow_blob_store_open_filesystem(dir, &reader_store));
    CHECK_OK(hollow_consumer_new(reader_store, &consumer));
    hollow_blob_store_free(reader_store);
    CHECK_OK(hollow_consumer_refresh(consumer, &seen));
    CHECK(seen == version);
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_get(rs, "beta", &value, &found));
    CHECK(found);
    CHECK_STR(value, "beta");
    hollow_read_state_free(rs);
    hollow_consumer_free(consumer);
    consumer = NULL;

    /* The same snapshot, truncated: a fresh consumer reports a corrupt blob and keeps no state. */
    snprintf(name, sizeof name, "snapshot-%lld", (long long)version);
    truncate_half(dir, name);
    CHECK_OK(hollow_blob_store_open_filesystem(dir, &reader_store));
    CHECK_OK(hollow_consumer_new(reader_store, &consumer));
    hollow_blob_store_free(reader_store);
    CHECK_STATUS(hollow_consumer_refresh(consumer, &seen), HOLLOW_STATUS_CORRUPT_BLOB);
    CHECK_LAST_ERROR_HAS(name);
    CHECK_OK(hollow_consumer_current_version(consumer, &seen));
    CHECK(seen == HOLLOW_VERSION_NONE);
    CHECK_STATUS(hollow_consumer_read_state(consumer, &rs), HOLLOW_STATUS_NOT_FOUND);
    hollow_consumer_free(consumer);
    hollow_producer_free(producer);

    /* A blob that is garbage from the first byte. */
    snprintf(dir, sizeof dir, "%s/garbage-store", scratch);
    CHECK_OK(hollow_blob_store_create_filesystem(dir, &store));
    write_file(dir, "snapshot-7", "definitely not a hollow blob", 28);
    write_file(dir, "announced.version", "7", 1);
    CHECK_OK(hollow_consumer_new(store, &consumer));
    hollow_blob_store_free(store);
    CHECK_STATUS(hollow_consumer_refresh(consumer, NULL), HOLLOW_STATUS_CORRUPT_BLOB);
    CHECK_STATUS(hollow_consumer_refresh_to(consumer, 7), HOLLOW_STATUS_CORRUPT_BLOB);
    hollow_consumer_free(consumer);
}

static void test_producer_errors(hollow_blob_store *store) {
    hollow_producer *producer = NULL;
    struct cycle c = {STRINGS_ONLY, NULL};
    int64_t version = 0;

    CHECK_STATUS(hollow_producer_new(NULL, SCHEMAS, &producer), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_new(store, SCHEMAS, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_new(store, "Movie { long id; ", &producer), HOLLOW_STATUS_SCHEMA);
    CHECK_STATUS(hollow_producer_new(store, "A { int x; string x; }", &producer), HOLLOW_STATUS_SCHEMA);
    CHECK_LAST_ERROR_HAS("two fields named x");
    CHECK_STATUS(hollow_producer_new(store, INVALID_UTF8, &producer), HOLLOW_STATUS_INVALID_UTF8);
    CHECK(producer == NULL);

    CHECK_STATUS(hollow_producer_run_cycle(NULL, populate, &c, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_current_version(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_restore_announced(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    /* Schema text defining a type twice, or a primary key that does not resolve (issue 13). */
    CHECK_STATUS(hollow_producer_new(store, "A { int x; } A { int x; }", &producer), HOLLOW_STATUS_SCHEMA);
    CHECK_STATUS(hollow_producer_new(store, "Movie @PrimaryKey(nope) { long id; }", &producer),
                 HOLLOW_STATUS_SCHEMA);
    CHECK_LAST_ERROR_HAS("nope");
    CHECK(producer == NULL);
    CHECK(strcmp(hollow_status_message(HOLLOW_STATUS_REENTRANT_CALL),
                 "called from inside a callback on the same handle") == 0);
}

/* Build the dataset: version 1, then version 2; failing cycles in between change nothing. */
static void produce(hollow_producer *producer, int64_t *v1, int64_t *v2) {
    struct cycle c;
    int64_t version = 0, again = 0;
    CHECK_OK(hollow_object_record_new(&c.record));

    CHECK_OK(hollow_producer_current_version(producer, &version));
    CHECK(version == HOLLOW_VERSION_NONE);
    CHECK_STATUS(hollow_producer_current_version(producer, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_run_cycle(producer, NULL, &c, &version), HOLLOW_STATUS_NULL_ARGUMENT);

    c.scenario = FULL_V1;
    CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, v1));

    c.scenario = RETURN_SCHEMA_MISMATCH;
    CHECK_STATUS(hollow_producer_run_cycle(producer, populate, &c, &version), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("populate callback returned 4");
    c.scenario = RETURN_GARBAGE;
    CHECK_STATUS(hollow_producer_run_cycle(producer, populate, &c, &version), HOLLOW_STATUS_CALLBACK_FAILED);
    CHECK_LAST_ERROR_HAS("12345");
    CHECK_OK(hollow_producer_current_version(producer, &version));
    CHECK(version == *v1);

    c.scenario = FULL_V2;
    CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, v2));
    CHECK(*v2 > *v1);
    /* The same records again: nothing changes, nothing is published, the version stays. */
    CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, &again));
    CHECK(again == *v2);
    CHECK_OK(hollow_producer_run_cycle(producer, populate, &c, NULL));

    hollow_object_record_free(c.record);
}

static void test_record_errors(void) {
    hollow_object_record *r = NULL;
    CHECK_STATUS(hollow_object_record_new(NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_object_record_new(&r));
    CHECK_STATUS(hollow_object_record_clear(NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_null(NULL, "f"), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_null(r, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_int(NULL, "f", 1), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_int(r, INVALID_UTF8, 1), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_object_record_set_long(r, NULL, 1), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_float(NULL, "f", 1.0f), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_double(r, NULL, 1.0), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_bool(NULL, "f", true), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_string(r, "f", NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_string(r, "f", INVALID_UTF8), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_object_record_set_string(r, INVALID_UTF8, "v"), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_object_record_set_bytes(r, "f", NULL, 3), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_bytes(NULL, "f", POSTER, 1), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_record_set_reference(r, NULL, 0), HOLLOW_STATUS_NULL_ARGUMENT);
    hollow_object_record_free(r);
}

static void test_consumer_errors(hollow_blob_store *store) {
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    int64_t version = 0;

    CHECK_STATUS(hollow_consumer_new(NULL, &consumer), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_new(store, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_refresh(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_refresh_to(NULL, 1), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_current_version(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_read_state(NULL, &rs), HOLLOW_STATUS_NULL_ARGUMENT);

    /* Nothing announced yet: refresh changes nothing, there is no state to read. */
    {
        hollow_blob_store *empty = NULL;
        CHECK_OK(hollow_blob_store_new_in_memory(&empty));
        CHECK_OK(hollow_consumer_new(empty, &consumer));
        hollow_blob_store_free(empty);
        version = 0;
        CHECK_OK(hollow_consumer_refresh(consumer, &version));
        CHECK(version == HOLLOW_VERSION_NONE);
        CHECK_OK(hollow_consumer_current_version(consumer, &version));
        CHECK(version == HOLLOW_VERSION_NONE);
        CHECK_STATUS(hollow_consumer_current_version(consumer, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_consumer_read_state(consumer, &rs), HOLLOW_STATUS_NOT_FOUND);
        CHECK_LAST_ERROR_HAS("refresh");
        CHECK_STATUS(hollow_consumer_read_state(consumer, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_consumer_refresh_to(consumer, 123), HOLLOW_STATUS_NOT_FOUND);
        hollow_consumer_free(consumer);
    }
}

static const hollow_type *type_named(const hollow_read_state *rs, const char *name) {
    const hollow_type *t = NULL;
    CHECK_OK(hollow_read_state_type(rs, name, &t));
    return t;
}

static size_t field_named(const hollow_type *t, const char *name) {
    size_t f = SIZE_MAX;
    CHECK_OK(hollow_type_field_index(t, name, &f));
    return f;
}

static uint32_t movie_ordinal(const hollow_read_state *rs, int64_t id, bool *found) {
    const hollow_primary_key_index *pk = NULL;
    hollow_key_value key;
    uint32_t ordinal = UINT32_MAX;
    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    key.value.long_value = id;
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
    CHECK_OK(hollow_primary_key_index_get(pk, &key, 1, &ordinal, found));
    return ordinal;
}

/* Follow a reference field to the String it points at. */
static hollow_str string_at(const hollow_read_state *rs, uint32_t ordinal) {
    hollow_str s = {NULL, 0};
    const hollow_type *strings = type_named(rs, "String");
    CHECK_OK(hollow_object_get_string(strings, ordinal, 0, &s, NULL));
    return s;
}

/* One-call reads (lookup + field through a field path) and the batch lookup, at version 1: movie 1 has
 * every field, movie 2 a non-ASCII title and a null rating, movie 3 a null title and no `original`. */
static void test_one_call_reads(const hollow_read_state *rs) {
    const hollow_primary_key_index *pk = NULL;
    const hollow_field_path *title = NULL, *again = NULL, *year = NULL, *id = NULL, *rating = NULL;
    const hollow_field_path *original = NULL, *string_value = NULL;
    hollow_key_value key;
    hollow_found found = HOLLOW_FOUND_VALUE;
    hollow_str s = {NULL, 0};
    int32_t i32 = -1;
    int64_t i64 = -1;
    double d = -1;
    char buf[64];
    size_t len = 0;

    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "title", &title));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "title", &again));
    CHECK(title != NULL && title == again);
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "year", &year));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "id", &id));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "rating", &rating));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "original", &original)); /* -> String.value */
    CHECK(original != title);
    CHECK_OK(hollow_read_state_field_path(rs, "String", "value", &string_value));
    CHECK_STATUS(hollow_read_state_field_path(rs, "Movie", "nope", &again), HOLLOW_STATUS_SCHEMA);
    CHECK_LAST_ERROR_HAS("nope");
    CHECK_STATUS(hollow_read_state_field_path(rs, "Movie", "tags.element", &again), HOLLOW_STATUS_SCHEMA);
    CHECK_STATUS(hollow_read_state_field_path(rs, "Nope", "id", &again), HOLLOW_STATUS_NOT_FOUND);
    CHECK_STATUS(hollow_read_state_field_path(rs, "ListOfString", "element", &again), HOLLOW_STATUS_NOT_FOUND);
    CHECK_STATUS(hollow_read_state_field_path(rs, "Movie", INVALID_UTF8, &again), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_field_path(NULL, "Movie", "id", &again), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_field_path(rs, NULL, "id", &again), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_field_path(rs, "Movie", NULL, &again), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_field_path(rs, "Movie", "id", NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    key.value.long_value = 1;
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, title, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, "The Matrix");
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, original, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, "The Matrix");
    CHECK_OK(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && i32 == 1999);
    CHECK_OK(hollow_primary_key_index_read_long(pk, &key, 1, id, &i64, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && i64 == 1);
    CHECK_OK(hollow_primary_key_index_read_double(pk, &key, 1, rating, &d, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && d == 8.65);
    key.field_type = HOLLOW_FIELD_TYPE_INT; /* an INT value matches a LONG key field */
    key.value.int_value = 2;
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, title, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, AMELIE);
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, original, &s, &found));
    CHECK_STR(s, AMELIE_ORIGINAL);
    d = -1;
    CHECK_OK(hollow_primary_key_index_read_double(pk, &key, 1, rating, &d, &found));
    CHECK(found == HOLLOW_FOUND_NULL && d == 0.0);
    key.value.int_value = 3; /* null title, null reference on the way to `original` */
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, title, &s, &found));
    CHECK(found == HOLLOW_FOUND_NULL);
    CHECK_STR(s, "");
    found = HOLLOW_FOUND_VALUE;
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, original, &s, &found));
    CHECK(found == HOLLOW_FOUND_NULL);
    CHECK_OK(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && i32 == 1999);
    key.value.int_value = 42; /* no such movie */
    i32 = -1;
    CHECK_OK(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, &found));
    CHECK(found == HOLLOW_FOUND_NO_RECORD && i32 == 0);
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, title, &s, &found));
    CHECK(found == HOLLOW_FOUND_NO_RECORD);
    CHECK_STR(s, "");

    /* Errors leave the out-parameters as they were. */
    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    key.value.long_value = 1;
    i32 = -7;
    found = (hollow_found)77;
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, title, &i32, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("Movie.title leads to a STRING field, not INT");
    CHECK(i32 == -7 && (int)found == 77);
    CHECK_STATUS(hollow_primary_key_index_read_long(pk, &key, 1, year, &i64, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_primary_key_index_read_double(pk, &key, 1, year, &d, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_primary_key_index_read_string(pk, &key, 1, year, &s, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_primary_key_index_read_string(pk, &key, 1, string_value, &s, &found),
                 HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("does not start at Movie");
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 2, year, &i32, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("1 field (id), 2 given");
    key.field_type = HOLLOW_FIELD_TYPE_STRING; /* wrong kind of key */
    key.value.string_value.ptr = "1";
    key.value.string_value.len = 1;
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("holds a long, but a string was given");
    key.value.string_value.ptr = INVALID_UTF8;
    key.value.string_value.len = sizeof INVALID_UTF8 - 1;
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, &found), HOLLOW_STATUS_INVALID_UTF8);
    CHECK(i32 == -7 && (int)found == 77);
    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    CHECK_STATUS(hollow_primary_key_index_read_int(NULL, &key, 1, year, &i32, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, NULL, 1, year, &i32, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, NULL, &i32, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, year, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_int(pk, &key, 1, year, &i32, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_long(pk, &key, 1, id, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_double(pk, &key, 1, rating, &d, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_string(pk, &key, 1, title, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_read_string(pk, &key, 1, title, &s, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK(i32 == -7 && (int)found == 77);

    /* Copies: whole, cut to the buffer (at a character boundary), counted only, missing. */
    key.value.long_value = 1;
    memset(buf, 'x', sizeof buf);
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, sizeof buf, &len, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && len == 10 && strcmp(buf, "The Matrix") == 0);
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, 4, &len, &found));
    CHECK(len == 10 && strcmp(buf, "The") == 0);
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, NULL, 0, &len, &found));
    CHECK(len == 10 && found == HOLLOW_FOUND_VALUE);
    key.value.long_value = 2;
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, 4, &len, &found));
    CHECK(len == strlen(AMELIE) && strcmp(buf, "Am") == 0); /* "Am" + the first byte of \xc3\xa9 would cut it */
    key.value.long_value = 3;
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, sizeof buf, &len, &found));
    CHECK(found == HOLLOW_FOUND_NULL && len == 0 && buf[0] == '\0');
    key.value.long_value = 42;
    CHECK_OK(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, sizeof buf, &len, &found));
    CHECK(found == HOLLOW_FOUND_NO_RECORD && len == 0 && buf[0] == '\0');
    len = 99;
    CHECK_STATUS(hollow_primary_key_index_copy_string(pk, &key, 1, title, NULL, 8, &len, &found),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, sizeof buf, NULL, &found),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_copy_string(pk, &key, 1, title, buf, sizeof buf, &len, NULL),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_copy_string(pk, &key, 1, year, buf, sizeof buf, &len, &found),
                 HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK(len == 99);

    /* The batch lookup: the same ordinals as one lookup at a time, HOLLOW_NO_ORDINAL for misses, across
     * more keys than one internal chunk (nine whole chunks and part of a tenth). */
    {
        int64_t keys[600];
        uint32_t ordinals[600], expected[4];
        bool hit = false;
        size_t n_found = 0, i, want_found = 0;
        int64_t ids[4] = {1, 2, 3, 42};
        for (i = 0; i < 3; i++) {
            expected[i] = movie_ordinal(rs, ids[i], &hit);
            CHECK(hit);
        }
        expected[3] = HOLLOW_NO_ORDINAL;
        for (i = 0; i < 600; i++) {
            keys[i] = ids[(i * 7) % 4];
            want_found += keys[i] != 42;
            ordinals[i] = 12345;
        }
        CHECK_OK(hollow_primary_key_index_get_many_i64(pk, keys, 600, ordinals, &n_found));
        CHECK(n_found == want_found);
        for (i = 0; i < 600; i++) CHECK(ordinals[i] == expected[(i * 7) % 4]);
        CHECK_OK(hollow_primary_key_index_get_many_i64(pk, keys, 3, ordinals, NULL)); /* found count optional */
        n_found = 9;
        CHECK_OK(hollow_primary_key_index_get_many_i64(pk, NULL, 0, NULL, &n_found));
        CHECK(n_found == 0);
        ordinals[0] = 12345;
        CHECK_STATUS(hollow_primary_key_index_get_many_i64(NULL, keys, 3, ordinals, &n_found), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_primary_key_index_get_many_i64(pk, NULL, 3, ordinals, &n_found), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_primary_key_index_get_many_i64(pk, keys, 3, NULL, &n_found), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK(ordinals[0] == 12345 && n_found == 0);
    }
}

/* A prepared read gives what the unprepared one-call read gives, for the key `id`, on every field. */
static void check_prepared_like_unprepared(const hollow_primary_key_index *pk, int64_t id,
                                           const hollow_prepared_read *title, const hollow_field_path *title_path,
                                           const hollow_prepared_read *original,
                                           const hollow_field_path *original_path, const hollow_prepared_read *year,
                                           const hollow_field_path *year_path, const hollow_prepared_read *movie_id,
                                           const hollow_field_path *id_path, const hollow_prepared_read *rating,
                                           const hollow_field_path *rating_path) {
    hollow_key_value key;
    hollow_found want = HOLLOW_FOUND_VALUE, got = HOLLOW_FOUND_VALUE;
    hollow_str want_s = {NULL, 0}, got_s = {NULL, 0};
    int32_t want_i = -1, got_i = -2;
    int64_t want_l = -1, got_l = -2;
    double want_d = -1, got_d = -2;
    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    key.value.long_value = id;
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, title_path, &want_s, &want));
    CHECK_OK(hollow_prepared_read_string(title, id, &got_s, &got));
    CHECK(got == want && got_s.len == want_s.len && memcmp(got_s.ptr, want_s.ptr, want_s.len) == 0);
    CHECK_OK(hollow_primary_key_index_read_string(pk, &key, 1, original_path, &want_s, &want));
    CHECK_OK(hollow_prepared_read_string(original, id, &got_s, &got));
    CHECK(got == want && got_s.len == want_s.len && memcmp(got_s.ptr, want_s.ptr, want_s.len) == 0);
    CHECK_OK(hollow_primary_key_index_read_int(pk, &key, 1, year_path, &want_i, &want));
    CHECK_OK(hollow_prepared_read_int(year, id, &got_i, &got));
    CHECK(got == want && got_i == want_i);
    CHECK_OK(hollow_primary_key_index_read_long(pk, &key, 1, id_path, &want_l, &want));
    CHECK_OK(hollow_prepared_read_long(movie_id, id, &got_l, &got));
    CHECK(got == want && got_l == want_l);
    CHECK_OK(hollow_primary_key_index_read_double(pk, &key, 1, rating_path, &want_d, &want));
    CHECK_OK(hollow_prepared_read_double(rating, id, &got_d, &got));
    CHECK(got == want && got_d == want_d);
}

/* Key shapes a prepared read refuses (a string key, a key of two fields) and an int key given as an
 * int64_t, on a dataset of their own. */
static void test_prepared_key_shapes(void) {
    static const char *schemas = "Tag @PrimaryKey(name) { string name; int n; }\n"
                                 "Pair @PrimaryKey(a, b) { int a; int b; }\n"
                                 "Small @PrimaryKey(k) { int k; string s; }\n";
    static const char *records =
        "{\"op\":\"upsert\",\"type\":\"Tag\",\"record\":{\"name\":\"x\",\"n\":1}}\n"
        "{\"op\":\"upsert\",\"type\":\"Pair\",\"record\":{\"a\":1,\"b\":2}}\n"
        "{\"op\":\"upsert\",\"type\":\"Small\",\"record\":{\"k\":-5,\"s\":\"minus five\"}}\n";
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    const hollow_primary_key_index *tags = NULL, *pairs = NULL, *smalls = NULL;
    const hollow_field_path *tag_n = NULL, *pair_b = NULL, *small_s = NULL;
    hollow_prepared_read *sentinel = (hollow_prepared_read *)&store, *prepared = sentinel;
    hollow_found found = HOLLOW_FOUND_NO_RECORD;
    hollow_str s = {NULL, 0};

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    CHECK_OK(hollow_producer_new(store, schemas, &producer));
    CHECK_OK(hollow_consumer_new(store, &consumer));
    CHECK_OK(hollow_producer_apply_changes(producer, records, NULL));
    CHECK_OK(hollow_consumer_refresh(consumer, NULL));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Tag", &tags));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Pair", &pairs));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Small", &smalls));
    CHECK_OK(hollow_read_state_field_path(rs, "Tag", "n", &tag_n));
    CHECK_OK(hollow_read_state_field_path(rs, "Pair", "b", &pair_b));
    CHECK_OK(hollow_read_state_field_path(rs, "Small", "s", &small_s));

    CHECK_STATUS(hollow_prepared_read_new(tags, tag_n, &prepared), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("needs a key of one int or long field; the key of Tag is name (string)");
    CHECK_STATUS(hollow_prepared_read_new(pairs, pair_b, &prepared), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("the key of Pair is a (int), b (int)");
    CHECK(prepared == sentinel);

    /* An int key field: an int64_t that fits finds its record, one that does not fit finds nothing. */
    CHECK_OK(hollow_prepared_read_new(smalls, small_s, &prepared));
    CHECK_OK(hollow_prepared_read_string(prepared, -5, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, "minus five");
    CHECK_OK(hollow_prepared_read_string(prepared, -5 + ((int64_t)1 << 32), &s, &found));
    CHECK(found == HOLLOW_FOUND_NO_RECORD);
    CHECK_STR(s, "");
    hollow_prepared_read_free(prepared);

    /* A version that changes only Tag shares the Small type with the version before: an index of one
     * version and a path of the other are refused all the same. */
    {
        hollow_read_state *next = NULL;
        const hollow_primary_key_index *next_smalls = NULL;
        CHECK_OK(hollow_producer_apply_changes(
            producer, "{\"op\":\"upsert\",\"type\":\"Tag\",\"record\":{\"name\":\"y\",\"n\":2}}", NULL));
        CHECK_OK(hollow_consumer_refresh(consumer, NULL));
        CHECK_OK(hollow_consumer_read_state(consumer, &next));
        CHECK_OK(hollow_read_state_primary_key_index(next, "Small", &next_smalls));
        prepared = sentinel;
        CHECK_STATUS(hollow_prepared_read_new(next_smalls, small_s, &prepared), HOLLOW_STATUS_INVALID_ARGUMENT);
        CHECK_LAST_ERROR_HAS("make both from one read state");
        CHECK(prepared == sentinel);
        hollow_read_state_free(next);
    }

    hollow_read_state_free(rs);
    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
    hollow_blob_store_free(store);
}

/* Prepared reads at version 1 (see test_one_call_reads): the values of the unprepared reads, for found,
 * missing and null keys, one at a time and in batches; every error leaves the out-parameters as they
 * were; and a prepared read outlives its read state and the consumer's move to version 2. Leaves the
 * consumer at version 2. */
static void test_prepared_reads(hollow_consumer *consumer, int64_t v1, int64_t v2) {
    hollow_read_state *rs = NULL;
    const hollow_primary_key_index *pk = NULL;
    const hollow_field_path *title_path = NULL, *original_path = NULL, *year_path = NULL, *id_path = NULL;
    const hollow_field_path *rating_path = NULL, *string_value = NULL, *score = NULL;
    hollow_prepared_read *title = NULL, *original = NULL, *year = NULL, *movie_id = NULL, *rating = NULL;
    hollow_prepared_read *sentinel = (hollow_prepared_read *)&rs, *untouched = sentinel;
    hollow_found found = HOLLOW_FOUND_VALUE;
    hollow_str s = {NULL, 0};
    int32_t i32 = -7;
    int64_t i64 = -7, ids[4] = {1, 2, 3, 42}, version = 0;
    double d = -7;
    size_t i;

    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "title", &title_path));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "original", &original_path)); /* -> String.value */
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "year", &year_path));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "id", &id_path));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "rating", &rating_path));
    CHECK_OK(hollow_read_state_field_path(rs, "Movie", "score", &score));
    CHECK_OK(hollow_read_state_field_path(rs, "String", "value", &string_value));
    CHECK_OK(hollow_prepared_read_new(pk, title_path, &title));
    CHECK_OK(hollow_prepared_read_new(pk, original_path, &original));
    CHECK_OK(hollow_prepared_read_new(pk, year_path, &year));
    CHECK_OK(hollow_prepared_read_new(pk, id_path, &movie_id));
    CHECK_OK(hollow_prepared_read_new(pk, rating_path, &rating));
    CHECK(title != NULL && title != original);

    /* 1: every field; 2: a non-ASCII title, a null rating; 3: a null title, a null `original`; 42: none. */
    for (i = 0; i < 4; i++) {
        check_prepared_like_unprepared(pk, ids[i], title, title_path, original, original_path, year, year_path,
                                       movie_id, id_path, rating, rating_path);
    }
    CHECK_OK(hollow_prepared_read_string(title, 2, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, AMELIE);
    CHECK_OK(hollow_prepared_read_string(original, 3, &s, &found));
    CHECK(found == HOLLOW_FOUND_NULL);
    CHECK_STR(s, "");
    CHECK_OK(hollow_prepared_read_double(rating, 2, &d, &found));
    CHECK(found == HOLLOW_FOUND_NULL && d == 0.0);
    CHECK_OK(hollow_prepared_read_int(year, 42, &i32, &found));
    CHECK(found == HOLLOW_FOUND_NO_RECORD && i32 == 0);

    /* Batches: what one read at a time gives, across more keys than one internal chunk
     * (nine whole chunks and part of a tenth). */
    {
        int64_t keys[600];
        hollow_str strs[600];
        hollow_found founds[600];
        int32_t ints[600];
        int64_t longs[600];
        double doubles[600];
        for (i = 0; i < 600; i++) keys[i] = ids[(i * 7) % 4];
        CHECK_OK(hollow_prepared_read_string_many(title, keys, 600, strs, founds));
        for (i = 0; i < 600; i++) {
            CHECK_OK(hollow_prepared_read_string(title, keys[i], &s, &found));
            CHECK(founds[i] == found && strs[i].len == s.len && memcmp(strs[i].ptr, s.ptr, s.len) == 0);
        }
        CHECK_OK(hollow_prepared_read_int_many(year, keys, 600, ints, founds));
        for (i = 0; i < 600; i++) {
            CHECK_OK(hollow_prepared_read_int(year, keys[i], &i32, &found));
            CHECK(founds[i] == found && ints[i] == i32);
        }
        CHECK_OK(hollow_prepared_read_long_many(movie_id, keys, 600, longs, founds));
        for (i = 0; i < 600; i++) {
            CHECK_OK(hollow_prepared_read_long(movie_id, keys[i], &i64, &found));
            CHECK(founds[i] == found && longs[i] == i64);
        }
        CHECK_OK(hollow_prepared_read_double_many(rating, keys, 600, doubles, founds));
        for (i = 0; i < 600; i++) {
            CHECK_OK(hollow_prepared_read_double(rating, keys[i], &d, &found));
            CHECK(founds[i] == found && doubles[i] == d);
        }
        CHECK_OK(hollow_prepared_read_string_many(title, NULL, 0, NULL, NULL)); /* nothing to read */
        founds[0] = (hollow_found)77;
        ints[0] = -7;
        CHECK_STATUS(hollow_prepared_read_int_many(title, keys, 3, ints, founds), HOLLOW_STATUS_SCHEMA_MISMATCH);
        CHECK_STATUS(hollow_prepared_read_int_many(NULL, keys, 3, ints, founds), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_prepared_read_int_many(year, NULL, 3, ints, founds), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_prepared_read_int_many(year, keys, 3, NULL, founds), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_prepared_read_int_many(year, keys, 3, ints, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK((int)founds[0] == 77 && ints[0] == -7);
    }

    /* Errors: nothing is written. */
    found = (hollow_found)77;
    i32 = -7;
    i64 = -7;
    d = -7;
    s.ptr = NULL;
    s.len = 99;
    CHECK_STATUS(hollow_prepared_read_int(title, 1, &i32, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("Movie.title leads to a STRING field, not INT");
    CHECK_STATUS(hollow_prepared_read_long(year, 1, &i64, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_prepared_read_double(movie_id, 1, &d, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_prepared_read_string(rating, 1, &s, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("Movie.rating leads to a DOUBLE field, not STRING");
    CHECK_STATUS(hollow_prepared_read_int(NULL, 1, &i32, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_int(year, 1, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_int(year, 1, &i32, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_long(movie_id, 1, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_double(rating, 1, &d, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_string(NULL, 1, &s, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_string(title, 1, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_string(title, 1, &s, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK((int)found == 77 && i32 == -7 && i64 == -7 && d == -7 && s.ptr == NULL && s.len == 99);
    CHECK_STATUS(hollow_prepared_read_new(pk, string_value, &untouched), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("String.value does not start at Movie");
    CHECK_STATUS(hollow_prepared_read_new(pk, score, &untouched), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("Movie.score leads to a FLOAT field");
    CHECK_STATUS(hollow_prepared_read_new(NULL, title_path, &untouched), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_new(pk, NULL, &untouched), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_prepared_read_new(pk, title_path, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK(untouched == sentinel);
    hollow_prepared_read_free(NULL);

    /* The read state (and with it the index and path handles) released, the consumer at version 2,
     * where movie 2 is gone: the prepared reads still read version 1, strings included. */
    hollow_read_state_free(rs);
    CHECK_OK(hollow_consumer_refresh_to(consumer, v2));
    CHECK_OK(hollow_consumer_current_version(consumer, &version));
    CHECK(version == v2);
    CHECK_OK(hollow_prepared_read_string(title, 2, &s, &found));
    CHECK(found == HOLLOW_FOUND_VALUE);
    CHECK_STR(s, AMELIE);
    CHECK_OK(hollow_prepared_read_string(original, 2, &s, &found));
    CHECK_STR(s, AMELIE_ORIGINAL);
    CHECK_OK(hollow_prepared_read_string(title, 1, &s, &found));
    CHECK_STR(s, "The Matrix");
    CHECK_OK(hollow_prepared_read_int(year, 2, &i32, &found));
    CHECK(found == HOLLOW_FOUND_VALUE && i32 == 2001);
    CHECK_OK(hollow_prepared_read_long(movie_id, 4, &i64, &found)); /* only in version 2 */
    CHECK(found == HOLLOW_FOUND_NO_RECORD && i64 == 0);
    hollow_prepared_read_free(title);
    hollow_prepared_read_free(original);
    hollow_prepared_read_free(year);
    hollow_prepared_read_free(movie_id);
    hollow_prepared_read_free(rating);
}

static void test_metadata(const hollow_read_state *rs) {
    const hollow_type *movie = type_named(rs, "Movie"), *t = NULL, *again = NULL;
    size_t count = 0, f = 0, i;
    hollow_str s;
    hollow_kind kind = 0;
    hollow_field_type ft = 0;
    int32_t max = -2;

    CHECK_OK(hollow_read_state_type_count(rs, &count));
    CHECK(count == 6);
    CHECK_STATUS(hollow_read_state_type_count(NULL, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type_count(rs, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    /* Types in name order; a type handle is made once per name. */
    CHECK_OK(hollow_read_state_type_at(rs, 0, &t));
    CHECK_OK(hollow_type_name(t, &s));
    CHECK_STR(s, "ListOfString");
    CHECK_OK(hollow_read_state_type_at(rs, 3, &t));
    CHECK(t == movie);
    CHECK_OK(hollow_read_state_type(rs, "Movie", &again));
    CHECK(again == movie);
    CHECK_STATUS(hollow_read_state_type_at(rs, 6, &t), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type_at(NULL, 0, &t), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type_at(rs, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type(rs, "Nope", &t), HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("Nope");
    CHECK_STATUS(hollow_read_state_type(rs, INVALID_UTF8, &t), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_type(rs, NULL, &t), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type(NULL, "Movie", &t), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_type(rs, "Movie", NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    CHECK_OK(hollow_type_name(movie, &s));
    CHECK_STR(s, "Movie");
    CHECK_STATUS(hollow_type_name(NULL, &s), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_name(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_type_kind(movie, &kind));
    CHECK(kind == HOLLOW_KIND_OBJECT);
    CHECK_OK(hollow_type_kind(type_named(rs, "SetOfString"), &kind));
    CHECK(kind == HOLLOW_KIND_SET);
    CHECK_STATUS(hollow_type_kind(NULL, &kind), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_kind(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_type_schema(type_named(rs, "MapOfStringToLong"), &s));
    CHECK_STR(s, "MapOfStringToLong Map<String,Long> @HashKey(value);");
    CHECK_OK(hollow_type_schema(movie, &s));
    CHECK(s.len > 100 && memcmp(s.ptr, "Movie @PrimaryKey(id) {\n\tlong id;\n", 34) == 0);
    CHECK_STATUS(hollow_type_schema(NULL, &s), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_schema(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    CHECK_OK(hollow_type_max_ordinal(movie, &max));
    CHECK(max >= 2);
    CHECK_STATUS(hollow_type_max_ordinal(NULL, &max), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_max_ordinal(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_type_populated_count(movie, &count));
    CHECK(count == 3);
    CHECK_STATUS(hollow_type_populated_count(NULL, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_populated_count(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    {
        size_t populated = 0, n = 0, walked = 0;
        bool is = false;
        uint32_t batch[2], from = 0, last = 0;
        for (i = 0; i <= (size_t)max; i++) {
            CHECK_OK(hollow_type_is_populated(movie, (uint32_t)i, &is));
            populated += is;
        }
        CHECK(populated == count);
        /* The cursor walk, two at a time, visits the same ordinals, ascending, without probing. */
        for (;;) {
            CHECK_OK(hollow_type_populated_ordinals(movie, from, batch, 2, &n));
            for (i = 0; i < n; i++) {
                CHECK_OK(hollow_type_is_populated(movie, batch[i], &is));
                CHECK(is);
                CHECK(walked == 0 || batch[i] > last);
                last = batch[i];
                walked++;
            }
            if (n < 2) break;
            from = batch[n - 1] + 1;
        }
        CHECK(walked == count && last <= (uint32_t)max);
        CHECK_OK(hollow_type_populated_ordinals(movie, (uint32_t)max + 1, batch, 2, &n));
        CHECK(n == 0);
        CHECK_OK(hollow_type_populated_ordinals(movie, 0, NULL, 0, &n));
        CHECK(n == 0);
        CHECK_STATUS(hollow_type_populated_ordinals(movie, 0, NULL, 2, &n), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_type_populated_ordinals(movie, 0, batch, 2, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_type_populated_ordinals(NULL, 0, batch, 2, &n), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_OK(hollow_type_is_populated(movie, 1000000, &is));
        CHECK(!is);
        CHECK_STATUS(hollow_type_is_populated(NULL, 0, &is), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_type_is_populated(movie, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    }

    CHECK_OK(hollow_type_field_count(movie, &count));
    CHECK(count == 11);
    CHECK_STATUS(hollow_type_field_count(type_named(rs, "ListOfString"), &count), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_type_field_count(NULL, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_count(movie, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_type_field_index(movie, "rating", &f));
    CHECK(f == 4);
    CHECK_STATUS(hollow_type_field_index(movie, "titel", &f), HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("titel");
    CHECK_STATUS(hollow_type_field_index(movie, INVALID_UTF8, &f), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_type_field_index(movie, NULL, &f), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_index(movie, "id", NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_index(NULL, "id", &f), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_index(type_named(rs, "SetOfString"), "id", &f), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_OK(hollow_type_field_name(movie, 7, &s));
    CHECK_STR(s, "original");
    CHECK_STATUS(hollow_type_field_name(movie, 11, &s), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_type_field_name(NULL, 0, &s), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_name(movie, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    {
        static const hollow_field_type expected[11] = {
            HOLLOW_FIELD_TYPE_LONG,      HOLLOW_FIELD_TYPE_STRING,    HOLLOW_FIELD_TYPE_INT,
            HOLLOW_FIELD_TYPE_FLOAT,     HOLLOW_FIELD_TYPE_DOUBLE,    HOLLOW_FIELD_TYPE_BOOLEAN,
            HOLLOW_FIELD_TYPE_BYTES,     HOLLOW_FIELD_TYPE_REFERENCE, HOLLOW_FIELD_TYPE_REFERENCE,
            HOLLOW_FIELD_TYPE_REFERENCE, HOLLOW_FIELD_TYPE_REFERENCE};
        for (i = 0; i < 11; i++) {
            CHECK_OK(hollow_type_field_type(movie, i, &ft));
            CHECK(ft == expected[i]);
        }
    }
    CHECK_STATUS(hollow_type_field_type(movie, 99, &ft), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_type_field_type(NULL, 0, &ft), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_type_field_type(movie, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
}

static void test_object_fields(const hollow_read_state *rs) {
    const hollow_type *movie = type_named(rs, "Movie"), *list = type_named(rs, "ListOfString");
    size_t id_f = field_named(movie, "id"), title = field_named(movie, "title"), year = field_named(movie, "year");
    size_t score = field_named(movie, "score"), rating = field_named(movie, "rating");
    size_t released = field_named(movie, "released"), poster = field_named(movie, "poster");
    size_t original = field_named(movie, "original");
    bool found = false, is_null = true;
    uint32_t m1 = movie_ordinal(rs, 1, &found), m2, m3, ref = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    float f32 = 0;
    double f64 = 0;
    bool b = false;
    hollow_str s = {NULL, 0};
    hollow_bytes bytes = {NULL, 0};

    CHECK(found);
    m2 = movie_ordinal(rs, 2, &found);
    CHECK(found);
    m3 = movie_ordinal(rs, 3, &found);
    CHECK(found);

    /* Movie 1: every field set. */
    CHECK_OK(hollow_object_get_long(movie, m1, id_f, &i64, &is_null));
    CHECK(i64 == 1 && !is_null);
    CHECK_OK(hollow_object_get_string(movie, m1, title, &s, &is_null));
    CHECK_STR(s, "The Matrix");
    CHECK(!is_null);
    CHECK_OK(hollow_object_get_int(movie, m1, year, &i32, &is_null));
    CHECK(i32 == 1999 && !is_null);
    CHECK_OK(hollow_object_get_float(movie, m1, score, &f32, &is_null));
    CHECK(f32 == 8.75f && !is_null);
    CHECK_OK(hollow_object_get_double(movie, m1, rating, &f64, &is_null));
    CHECK(f64 == 8.65 && !is_null);
    CHECK_OK(hollow_object_get_bool(movie, m1, released, &b, &is_null));
    CHECK(b && !is_null);
    CHECK_OK(hollow_object_get_bytes(movie, m1, poster, &bytes, &is_null));
    CHECK(bytes.len == sizeof POSTER && memcmp(bytes.ptr, POSTER, sizeof POSTER) == 0 && !is_null);
    CHECK_OK(hollow_object_get_reference(movie, m1, original, &ref, &is_null));
    CHECK(!is_null);
    CHECK_STR(string_at(rs, ref), "The Matrix");
    CHECK_OK(hollow_object_is_null(movie, m1, title, &is_null));
    CHECK(!is_null);

    /* Movie 2: non-ASCII text (decoded and kept by the read state), NaN, null, false, empty bytes. */
    CHECK_OK(hollow_object_get_string(movie, m2, title, &s, NULL));
    CHECK_STR(s, AMELIE);
    CHECK_OK(hollow_object_get_float(movie, m2, score, &f32, &is_null));
    CHECK(isnan(f32) && !is_null);
    CHECK_OK(hollow_object_get_double(movie, m2, rating, &f64, &is_null));
    CHECK(is_null && f64 == 0.0);
    CHECK_OK(hollow_object_get_bool(movie, m2, released, &b, &is_null));
    CHECK(!b && !is_null);
    CHECK_OK(hollow_object_get_bytes(movie, m2, poster, &bytes, &is_null));
    CHECK(bytes.len == 0 && bytes.ptr != NULL && !is_null);
    CHECK_OK(hollow_object_get_reference(movie, m2, original, &ref, NULL));
    CHECK_STR(string_at(rs, ref), AMELIE_ORIGINAL);

    /* Movie 3: only id and year; every other field reads as null. */
    CHECK_OK(hollow_object_get_string(movie, m3, title, &s, &is_null));
    CHECK(is_null && s.len == 0 && s.ptr != NULL);
    CHECK_OK(hollow_object_is_null(movie, m3, title, &is_null));
    CHECK(is_null);
    CHECK_OK(hollow_object_get_float(movie, m3, score, &f32, &is_null));
    CHECK(is_null);
    CHECK_OK(hollow_object_get_bool(movie, m3, released, &b, &is_null));
    CHECK(is_null && !b);
    CHECK_OK(hollow_object_get_bytes(movie, m3, poster, &bytes, &is_null));
    CHECK(is_null && bytes.len == 0);
    CHECK_OK(hollow_object_get_reference(movie, m3, original, &ref, &is_null));
    CHECK(is_null);
    CHECK_OK(hollow_object_get_long(movie, m3, id_f, &i64, NULL));
    CHECK(i64 == 3);
    /* An ordinal without data is not a record: NOT_FOUND, and nothing is written. */
    i32 = 5;
    CHECK_STATUS(hollow_object_get_int(movie, 999999, year, &i32, &is_null), HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("Movie has no record 999999");
    CHECK(i32 == 5);

    /* Copying a string: whole, truncated to whole characters, and just measuring. */
    {
        char buf[64];
        size_t len = 0;
        CHECK_OK(hollow_object_copy_string(movie, m2, title, buf, sizeof buf, &len, &is_null));
        CHECK(len == strlen(AMELIE) && strcmp(buf, AMELIE) == 0 && !is_null);
        CHECK_OK(hollow_object_copy_string(movie, m2, title, buf, 4, &len, NULL)); /* "Am" + half of é */
        CHECK(len == strlen(AMELIE) && strcmp(buf, "Am") == 0);
        CHECK_OK(hollow_object_copy_string(movie, m1, title, NULL, 0, &len, NULL));
        CHECK(len == 10);
        CHECK_OK(hollow_object_copy_string(movie, m3, title, buf, sizeof buf, &len, &is_null));
        CHECK(len == 0 && buf[0] == '\0' && is_null);
        CHECK_STATUS(hollow_object_copy_string(movie, m1, title, NULL, 8, &len, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_object_copy_string(movie, m1, title, buf, 8, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_object_copy_string(movie, m1, year, buf, 8, &len, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
        CHECK_STATUS(hollow_object_copy_string(NULL, m1, title, buf, 8, &len, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    }

    /* Wrong field types, bad field indexes, wrong kinds, NULL handles and out-pointers. */
    CHECK_STATUS(hollow_object_get_int(movie, m1, title, &i32, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("Movie.title is STRING, not INT");
    CHECK_STATUS(hollow_object_get_long(movie, m1, year, &i64, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_float(movie, m1, rating, &f32, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_double(movie, m1, score, &f64, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_bool(movie, m1, id_f, &b, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_string(movie, m1, poster, &s, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_bytes(movie, m1, title, &bytes, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_reference(movie, m1, year, &ref, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_object_get_int(movie, m1, 11, &i32, NULL), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_object_is_null(movie, m1, 11, &is_null), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_object_get_int(list, 0, 0, &i32, NULL), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("is a LIST, not a OBJECT");
    CHECK_STATUS(hollow_object_get_int(NULL, m1, year, &i32, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_int(movie, m1, year, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_long(movie, m1, id_f, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_float(NULL, m1, score, &f32, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_double(movie, m1, rating, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_bool(NULL, m1, released, &b, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_string(movie, m1, title, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_bytes(NULL, m1, poster, &bytes, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_get_reference(movie, m1, original, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_is_null(NULL, m1, title, &is_null), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_object_is_null(movie, m1, title, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
}

static void test_collections(const hollow_read_state *rs) {
    const hollow_type *movie = type_named(rs, "Movie"), *lists = type_named(rs, "ListOfString");
    const hollow_type *sets = type_named(rs, "SetOfString"), *maps = type_named(rs, "MapOfStringToLong");
    const hollow_type *longs = type_named(rs, "Long");
    bool found = false, contains = false;
    uint32_t m1 = movie_ordinal(rs, 1, &found), tags = 0, genres = 0, counters = 0, e = 0, k = 0, v = 0;
    uint32_t elems[4] = {0}, keys[2] = {0}, values[2] = {0};
    size_t n = 0;
    int64_t views = 0;
    hollow_key_value key;

    CHECK_OK(hollow_object_get_reference(movie, m1, field_named(movie, "tags"), &tags, NULL));
    CHECK_OK(hollow_object_get_reference(movie, m1, field_named(movie, "genres"), &genres, NULL));
    CHECK_OK(hollow_object_get_reference(movie, m1, field_named(movie, "counters"), &counters, NULL));

    /* LIST */
    CHECK_OK(hollow_list_size(lists, tags, &n));
    CHECK(n == 2);
    CHECK_OK(hollow_list_get(lists, tags, 0, &e));
    CHECK_STR(string_at(rs, e), "action");
    CHECK_OK(hollow_list_get(lists, tags, 1, &e));
    CHECK_STR(string_at(rs, e), "sci-fi");
    CHECK_STATUS(hollow_list_get(lists, tags, 2, &e), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_list_get(NULL, tags, 0, &e), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_list_get(lists, tags, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_list_get(sets, genres, 0, &e), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_OK(hollow_list_size(lists, 999999, &n));
    CHECK(n == 0);
    CHECK_STATUS(hollow_list_size(movie, 0, &n), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_list_size(NULL, 0, &n), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_list_size(lists, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* SET */
    CHECK_OK(hollow_set_size(sets, genres, &n));
    CHECK(n == 2);
    CHECK_OK(hollow_set_elements(sets, genres, NULL, 0, &n));
    CHECK(n == 2);
    CHECK_OK(hollow_set_elements(sets, genres, elems, 4, &n));
    CHECK(n == 2);
    CHECK_OK(hollow_set_elements(sets, genres, elems + 2, 1, &n)); /* only one fits */
    CHECK(n == 2 && (elems[2] == elems[0] || elems[2] == elems[1]));
    CHECK_OK(hollow_set_contains(sets, genres, elems[1], &contains));
    CHECK(contains);
    CHECK_OK(hollow_set_contains(sets, genres, 999999, &contains));
    CHECK(!contains);
    key.field_type = HOLLOW_FIELD_TYPE_STRING;
    key.value.string_value.ptr = "sci-fi";
    key.value.string_value.len = 6;
    CHECK_OK(hollow_set_find(sets, genres, &key, 1, &e, &found));
    CHECK(found);
    CHECK_STR(string_at(rs, e), "sci-fi");
    key.value.string_value.len = 3; /* "sci" */
    CHECK_OK(hollow_set_find(sets, genres, &key, 1, &e, &found));
    CHECK(!found);
    key.field_type = HOLLOW_FIELD_TYPE_INT; /* the hash key is a string */
    key.value.int_value = 1;
    CHECK_STATUS(hollow_set_find(sets, genres, &key, 1, &e, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_set_find(sets, genres, NULL, 1, &e, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_find(sets, genres, &key, 1, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_find(sets, genres, &key, 1, &e, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_find(lists, genres, &key, 1, &e, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_set_elements(sets, genres, NULL, 2, &n), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_elements(sets, genres, elems, 2, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_elements(maps, 0, elems, 2, &n), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_set_contains(NULL, genres, 0, &contains), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_contains(sets, genres, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_set_size(lists, 0, &n), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_set_size(sets, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* MAP */
    CHECK_OK(hollow_map_size(maps, counters, &n));
    CHECK(n == 1);
    CHECK_OK(hollow_map_entries(maps, counters, keys, values, 2, &n));
    CHECK(n == 1);
    CHECK_STR(string_at(rs, keys[0]), "views");
    CHECK_OK(hollow_object_get_long(longs, values[0], 0, &views, NULL));
    CHECK(views == 1000);
    CHECK_OK(hollow_map_entries(maps, counters, NULL, NULL, 0, &n));
    CHECK(n == 1);
    CHECK_OK(hollow_map_get(maps, counters, keys[0], &v, &found));
    CHECK(found && v == values[0]);
    CHECK_OK(hollow_map_get(maps, counters, 999999, &v, &found));
    CHECK(!found);
    key.field_type = HOLLOW_FIELD_TYPE_STRING;
    key.value.string_value.ptr = "views";
    key.value.string_value.len = 5;
    CHECK_OK(hollow_map_find(maps, counters, &key, 1, &k, &v, &found));
    CHECK(found && k == keys[0] && v == values[0]);
    key.value.string_value.ptr = INVALID_UTF8;
    key.value.string_value.len = sizeof INVALID_UTF8 - 1;
    CHECK_STATUS(hollow_map_find(maps, counters, &key, 1, &k, &v, &found), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_map_find(maps, counters, &key, 1, NULL, &v, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_find(maps, counters, &key, 1, &k, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_find(maps, counters, &key, 1, &k, &v, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_find(sets, counters, &key, 1, &k, &v, &found), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_map_entries(maps, counters, keys, NULL, 2, &n), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_entries(maps, counters, NULL, values, 2, &n), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_entries(maps, counters, keys, values, 2, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_entries(sets, 0, keys, values, 2, &n), HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_STATUS(hollow_map_get(NULL, counters, 0, &v, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_get(maps, counters, 0, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_get(maps, counters, 0, &v, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_size(NULL, 0, &n), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_map_size(lists, 0, &n), HOLLOW_STATUS_SCHEMA_MISMATCH);
}

static void test_indexes(const hollow_read_state *rs) {
    const hollow_primary_key_index *pk = NULL, *pk_again = NULL;
    const hollow_hash_index *by_year = NULL, *by_year_again = NULL;
    const hollow_type *movie = type_named(rs, "Movie");
    const char *year_field[1] = {"year"};
    const char *bad_fields[1] = {INVALID_UTF8};
    hollow_key_value key[2];
    uint32_t ordinal = 0, ordinals[4] = {0};
    bool found = false;
    size_t count = 0, i;
    int64_t id = 0;

    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk));
    CHECK_OK(hollow_read_state_primary_key_index(rs, "Movie", &pk_again));
    CHECK(pk == pk_again);
    key[0].field_type = HOLLOW_FIELD_TYPE_LONG;
    key[0].value.long_value = 4;
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
    CHECK(found);
    CHECK_OK(hollow_object_get_long(movie, ordinal, 0, &id, NULL));
    CHECK(id == 4);
    key[0].field_type = HOLLOW_FIELD_TYPE_INT; /* an INT value matches a LONG key field */
    key[0].value.int_value = 1;
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
    CHECK(found);
    key[0].value.int_value = 42;
    CHECK_OK(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found));
    CHECK(!found);
    key[0].field_type = HOLLOW_FIELD_TYPE_STRING; /* wrong kind: refused */
    key[0].value.string_value.ptr = "1";
    key[0].value.string_value.len = 1;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("holds a long, but a string was given");
    key[1] = key[0]; /* wrong length: refused */
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 2, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("the key of Movie has 1 field (id), 2 given");
    key[0].field_type = (hollow_field_type)99;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("99");
    key[0].field_type = HOLLOW_FIELD_TYPE_STRING;
    key[0].value.string_value.ptr = NULL;
    key[0].value.string_value.len = 3;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    key[0].value.string_value.ptr = INVALID_UTF8;
    key[0].value.string_value.len = sizeof INVALID_UTF8 - 1;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_UTF8);
    key[0].field_type = HOLLOW_FIELD_TYPE_BYTES; /* bytes need not be UTF-8, but id is a long */
    key[0].value.bytes_value.ptr = POSTER;
    key[0].value.bytes_value.len = sizeof POSTER;
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("bytes was given");
    CHECK_STATUS(hollow_primary_key_index_get(pk, NULL, 1, &ordinal, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_get(NULL, key, 1, &ordinal, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_primary_key_index_get(pk, key, 1, &ordinal, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    /* Every key kind decodes, and all but INT and LONG are refused for a LONG id. */
    {
        hollow_key_value k;
        k.field_type = HOLLOW_FIELD_TYPE_FLOAT;
        k.value.float_value = 1.0f;
        CHECK_STATUS(hollow_primary_key_index_get(pk, &k, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
        k.field_type = HOLLOW_FIELD_TYPE_DOUBLE;
        k.value.double_value = 1.0;
        CHECK_STATUS(hollow_primary_key_index_get(pk, &k, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
        k.field_type = HOLLOW_FIELD_TYPE_BOOLEAN;
        k.value.bool_value = true;
        CHECK_STATUS(hollow_primary_key_index_get(pk, &k, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
        k.field_type = HOLLOW_FIELD_TYPE_REFERENCE;
        k.value.reference_value = 1;
        CHECK_STATUS(hollow_primary_key_index_get(pk, &k, 1, &ordinal, &found), HOLLOW_STATUS_INVALID_ARGUMENT);
        k.field_type = HOLLOW_FIELD_TYPE_LONG;
        k.value.long_value = 1;
        CHECK_OK(hollow_primary_key_index_get(pk, &k, 1, &ordinal, &found));
        CHECK(found);
    }

    CHECK_STATUS(hollow_read_state_primary_key_index(rs, "String", &pk), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("no primary key");
    CHECK_STATUS(hollow_read_state_primary_key_index(rs, "Nope", &pk), HOLLOW_STATUS_NOT_FOUND);
    CHECK_STATUS(hollow_read_state_primary_key_index(rs, INVALID_UTF8, &pk), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_primary_key_index(NULL, "Movie", &pk), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_primary_key_index(rs, NULL, &pk), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_primary_key_index(rs, "Movie", NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* Hash index: movies by year. */
    CHECK_OK(hollow_read_state_hash_index(rs, "Movie", year_field, 1, &by_year));
    CHECK_OK(hollow_read_state_hash_index(rs, "Movie", year_field, 1, &by_year_again));
    CHECK(by_year == by_year_again);
    key[0].field_type = HOLLOW_FIELD_TYPE_INT;
    key[0].value.int_value = 1999;
    CHECK_OK(hollow_hash_index_find(by_year, key, 1, NULL, 0, &count));
    CHECK(count == 2);
    CHECK_OK(hollow_hash_index_find(by_year, key, 1, ordinals, 4, &count));
    CHECK(count == 2);
    for (i = 0; i < 2; i++) {
        int32_t year = 0;
        CHECK_OK(hollow_object_get_int(movie, ordinals[i], 2, &year, NULL));
        CHECK(year == 1999);
    }
    CHECK(ordinals[0] != ordinals[1]);
    key[0].value.int_value = 1800;
    CHECK_OK(hollow_hash_index_find(by_year, key, 1, ordinals, 4, &count));
    CHECK(count == 0);
    CHECK_STATUS(hollow_hash_index_find(by_year, key, 1, NULL, 4, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_hash_index_find(by_year, key, 1, ordinals, 4, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_hash_index_find(NULL, key, 1, ordinals, 4, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_hash_index_find(by_year, NULL, 1, ordinals, 4, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    /* A key of the wrong kind or length is an error naming the field, not "no match". */
    key[0].field_type = HOLLOW_FIELD_TYPE_LONG; /* an int field takes a long too */
    key[0].value.long_value = 1999;
    CHECK_OK(hollow_hash_index_find(by_year, key, 1, ordinals, 4, &count));
    CHECK(count == 2);
    key[0].field_type = HOLLOW_FIELD_TYPE_STRING;
    key[0].value.string_value.ptr = "1999";
    key[0].value.string_value.len = 4;
    count = 77;
    CHECK_STATUS(hollow_hash_index_find(by_year, key, 1, ordinals, 4, &count), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("key field 0 (year) of Movie holds an int, but a string was given");
    CHECK(count == 77);
    key[0].field_type = HOLLOW_FIELD_TYPE_INT;
    key[0].value.int_value = 1999;
    key[1] = key[0];
    CHECK_STATUS(hollow_hash_index_find(by_year, key, 2, ordinals, 4, &count), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("the key of Movie has 1 field (year), 2 given");
    CHECK_STATUS(hollow_hash_index_find(by_year, key, 0, ordinals, 4, &count), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_read_state_hash_index(rs, "Movie", bad_fields, 1, &by_year), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_hash_index(rs, "Movie", NULL, 1, &by_year), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_hash_index(rs, "Nope", year_field, 1, &by_year), HOLLOW_STATUS_NOT_FOUND);
    CHECK_STATUS(hollow_read_state_hash_index(NULL, "Movie", year_field, 1, &by_year), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_hash_index(rs, NULL, year_field, 1, &by_year), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_hash_index(rs, "Movie", year_field, 1, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    {
        const char *unknown[1] = {"no_such_field"};
        CHECK(hollow_read_state_hash_index(rs, "Movie", unknown, 1, &by_year) != HOLLOW_STATUS_OK);
        CHECK_LAST_ERROR_HAS("no_such_field");
    }
}

static void test_strings(const hollow_read_state *rs) {
    size_t size = 0;
    bool found = false, contains = false;
    hollow_str value = {NULL, 0};

    CHECK_OK(hollow_read_state_size(rs, &size));
    /* v2 strings: action, sci-fi, The Matrix, views, standalone. */
    CHECK(size == 5);
    CHECK_OK(hollow_read_state_get(rs, "standalone", &value, &found));
    CHECK(found);
    CHECK_STR(value, "standalone");
    CHECK_OK(hollow_read_state_get(rs, "missing", &value, &found));
    CHECK(!found && value.len == 0 && value.ptr != NULL);
    CHECK_OK(hollow_read_state_contains(rs, "views", &contains));
    CHECK(contains);
    CHECK_OK(hollow_read_state_contains(rs, AMELIE_ORIGINAL, &contains)); /* only in version 1 */
    CHECK(!contains);
    CHECK_STATUS(hollow_read_state_size(NULL, &size), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_size(rs, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_get(rs, INVALID_UTF8, &value, &found), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_get(NULL, "x", &value, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_get(rs, NULL, &value, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_get(rs, "x", NULL, &found), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_get(rs, "x", &value, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_contains(rs, INVALID_UTF8, &contains), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_read_state_contains(NULL, "x", &contains), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_contains(rs, "x", NULL), HOLLOW_STATUS_NULL_ARGUMENT);
}

static void test_versions(hollow_consumer *consumer, int64_t v1, int64_t v2) {
    hollow_read_state *at_v2 = NULL, *at_v1 = NULL;
    int64_t version = 0;
    bool found = false;

    CHECK_OK(hollow_consumer_read_state(consumer, &at_v2));
    CHECK_OK(hollow_read_state_version(at_v2, &version));
    CHECK(version == v2);
    CHECK_STATUS(hollow_read_state_version(NULL, &version), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_version(at_v2, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* Back to version 1 by reverse delta: the handle acquired before still shows version 2. */
    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_current_version(consumer, &version));
    CHECK(version == v1);
    CHECK_OK(hollow_consumer_read_state(consumer, &at_v1));
    movie_ordinal(at_v1, 2, &found);
    CHECK(found);
    movie_ordinal(at_v2, 2, &found);
    CHECK(!found);
    movie_ordinal(at_v2, 4, &found);
    CHECK(found);
    CHECK_OK(hollow_read_state_version(at_v2, &version));
    CHECK(version == v2);
    hollow_read_state_free(at_v1);

    /* A version that does not exist: the consumer stays where it is. */
    CHECK_STATUS(hollow_consumer_refresh_to(consumer, v2 + 1000), HOLLOW_STATUS_NOT_FOUND);
    CHECK_OK(hollow_consumer_current_version(consumer, &version));
    CHECK(version == v1);

    /* Forward again by delta, to the announced version. */
    CHECK_OK(hollow_consumer_refresh(consumer, &version));
    CHECK(version == v2);
    CHECK_OK(hollow_consumer_refresh(consumer, NULL));
    hollow_read_state_free(at_v2);
}

/* ----- log records ------------------------------------------------------------------------------ */

struct log_capture {
    int records;
    int consumer_info;
    int producer_info;
    char last_message[512];
};

static void capture_log(void *user_data, hollow_log_level level, const char *target, const char *message) {
    struct log_capture *c = (struct log_capture *)user_data;
    c->records++;
    if (level == HOLLOW_LOG_LEVEL_INFO && strcmp(target, "hollow::consumer") == 0) {
        c->consumer_info++;
    }
    if (level == HOLLOW_LOG_LEVEL_INFO && strcmp(target, "hollow::producer") == 0) {
        c->producer_info++;
    }
    snprintf(c->last_message, sizeof c->last_message, "%s", message);
}

/* Diffs, incremental cycles from change lines, and metrics as JSON, on a dataset of their own. */
static const char *DIFF_SCHEMAS = "Movie @PrimaryKey(id) { long id; string title; int year; }";
static const char *DIFF_V1 =
    "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":1,\"title\":\"Heat\",\"year\":1995}}\n"
    "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":2,\"title\":\"Alien\",\"year\":1979}}\n"
    "\n"
    "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":3,\"title\":\"Up\",\"year\":2009}}\n";
static const char *DIFF_V2 =
    "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":1,\"title\":\"Heat 2\",\"year\":1995}}\n"
    "{\"op\":\"delete\",\"type\":\"Movie\",\"key\":[2]}\n"
    "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":4,\"title\":\"Big\",\"year\":1988}}";

static int str_contains(hollow_str s, const char *fragment) {
    size_t n = strlen(fragment), i;
    for (i = 0; n <= s.len && i <= s.len - n; i++) {
        if (memcmp(s.ptr + i, fragment, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A producer of its own store applying `first`; returns it and the store's consumer. */
static hollow_producer *diff_producer(hollow_consumer **consumer, int64_t *version) {
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    CHECK_OK(hollow_producer_new(store, DIFF_SCHEMAS, &producer));
    CHECK_OK(hollow_consumer_new(store, consumer));
    hollow_blob_store_free(store);
    CHECK_OK(hollow_producer_apply_changes(producer, DIFF_V1, version));
    return producer;
}

static void test_diff(void) {
    hollow_consumer *consumer = NULL, *consumer_b = NULL;
    hollow_read_state *rs1 = NULL, *rs2 = NULL, *rs_b = NULL;
    hollow_diff *diff = NULL, *none = NULL;
    hollow_diff_type_summary summary;
    hollow_diff_change change;
    int64_t v1 = 0, v2 = 0, again = 0, vb = 0;
    size_t count = 0, len = 0, i;
    char small[6], metrics[512];
    hollow_producer *producer = diff_producer(&consumer, &v1);
    hollow_producer *producer_b = NULL;
    hollow_blob_store *fresh_store = NULL;
    hollow_producer *fresh = NULL;

    /* What the last incremental cycle did: null before the first one. */
    CHECK_OK(hollow_blob_store_new_in_memory(&fresh_store));
    CHECK_OK(hollow_producer_new(fresh_store, DIFF_SCHEMAS, &fresh));
    CHECK_OK(hollow_producer_last_incremental_stats_json(fresh, metrics, sizeof metrics, &len));
    CHECK(len == 4 && strcmp(metrics, "null") == 0);
    hollow_producer_free(fresh);
    hollow_blob_store_free(fresh_store);
    CHECK_OK(hollow_producer_last_incremental_stats_json(producer, metrics, sizeof metrics, &len));
    CHECK(strlen(metrics) == len && strstr(metrics, "\"upserts\":3") != NULL);
    CHECK(strstr(metrics, "\"added\":{\"Movie\":3}") != NULL && strstr(metrics, "\"removed\":{}") != NULL);
    CHECK_STATUS(hollow_producer_last_incremental_stats_json(NULL, metrics, sizeof metrics, &len),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_last_incremental_stats_json(producer, metrics, sizeof metrics, NULL),
                 HOLLOW_STATUS_NULL_ARGUMENT);

    /* Bad change lines: the status of the core's error, the line number in the message; nothing
     * announced. */
    CHECK_STATUS(hollow_producer_apply_changes(NULL, DIFF_V2, &again), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_apply_changes(producer, NULL, &again), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_apply_changes(producer, INVALID_UTF8, &again), HOLLOW_STATUS_INVALID_UTF8);
    CHECK_STATUS(hollow_producer_apply_changes(producer,
                                               "{\"op\":\"delete\",\"type\":\"Movie\",\"key\":[1]}\n"
                                               "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":\"x\"}}\n",
                                               &again),
                 HOLLOW_STATUS_SCHEMA_MISMATCH);
    CHECK_LAST_ERROR_HAS("change line 2");
    CHECK_STATUS(hollow_producer_apply_changes(producer, "{\"op\":\"delete\",\"type\":\"Nope\",\"key\":[1]}", &again),
                 HOLLOW_STATUS_NOT_FOUND);
    CHECK_LAST_ERROR_HAS("change line 1");
    CHECK_STATUS(hollow_producer_apply_changes(producer, "\n\nnot json", &again), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("change line 3");
    CHECK_OK(hollow_producer_current_version(producer, &again));
    CHECK(again == v1);

    CHECK_OK(hollow_producer_apply_changes(producer, DIFF_V2, &v2));
    CHECK(v2 > v1);
    CHECK_OK(hollow_producer_last_incremental_stats_json(producer, metrics, sizeof metrics, &len));
    CHECK(strstr(metrics, "\"upserts\":2") != NULL && strstr(metrics, "\"deletes\":1") != NULL);
    CHECK(strstr(metrics, "\"absent_deletes\":0") != NULL && strstr(metrics, "\"superseded\":0") != NULL);
    CHECK(strstr(metrics, "\"removed\":{\"Movie\":2}") != NULL && strstr(metrics, "\"added\":{\"Movie\":2}") != NULL);
    CHECK_OK(hollow_producer_apply_changes(producer, DIFF_V2, &again)); /* the same changes: no change */
    CHECK(again == v2);
    CHECK_OK(hollow_producer_apply_changes(producer, "", NULL));

    /* Two read states one delta apart. */
    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs1));
    CHECK_OK(hollow_consumer_refresh_to(consumer, v2));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs2));

    CHECK_STATUS(hollow_diff_new(NULL, rs2, &diff), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_new(rs1, NULL, &diff), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_new(rs1, rs2, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK(diff == NULL);
    {
        /* Options: no details kept but exact counts; a type filter; NULL for the defaults. */
        hollow_diff_options options = {0};
        const char *only_other[1] = {"Other"};
        hollow_diff *limited = NULL;
        options.limit_details = true;
        options.detail_limit = 0;
        CHECK_OK(hollow_diff_new_with_options(rs1, rs2, &options, &limited));
        CHECK_OK(hollow_diff_type_at(limited, 0, &summary));
        CHECK(summary.added == 1 && summary.removed == 1 && summary.modified == 1);
        CHECK_OK(hollow_diff_change_count(limited, 0, &count));
        CHECK(count == 0);
        hollow_diff_free(limited);
        options.types = only_other;
        options.type_count = 1;
        CHECK_OK(hollow_diff_new_with_options(rs1, rs2, &options, &limited));
        CHECK_OK(hollow_diff_type_count(limited, &count));
        CHECK(count == 0);
        hollow_diff_free(limited);
        CHECK_OK(hollow_diff_new_with_options(rs1, rs2, NULL, &limited));
        CHECK_OK(hollow_diff_change_count(limited, 0, &count));
        CHECK(count == 3);
        hollow_diff_free(limited);
        options.types = NULL;
        CHECK_STATUS(hollow_diff_new_with_options(rs1, rs2, &options, &limited), HOLLOW_STATUS_NULL_ARGUMENT);
        only_other[0] = INVALID_UTF8;
        options.types = only_other;
        CHECK_STATUS(hollow_diff_new_with_options(rs1, rs2, &options, &limited), HOLLOW_STATUS_INVALID_UTF8);
        CHECK_STATUS(hollow_diff_new_with_options(NULL, rs2, NULL, &limited), HOLLOW_STATUS_NULL_ARGUMENT);
        CHECK_STATUS(hollow_diff_new_with_options(rs1, rs2, NULL, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    }
    CHECK_OK(hollow_diff_new(rs1, rs2, &diff));
    hollow_read_state_free(rs1); /* the diff keeps what it needs */

    CHECK_OK(hollow_diff_type_count(diff, &count));
    CHECK(count == 1);
    CHECK_STATUS(hollow_diff_type_count(NULL, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_type_count(diff, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_diff_type_at(diff, 0, &summary));
    CHECK_STR(summary.name, "Movie");
    CHECK(summary.added == 1 && summary.removed == 1 && summary.modified == 1 && summary.unchanged == 1);
    CHECK_STATUS(hollow_diff_type_at(diff, 1, &summary), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("out of range");
    CHECK_STATUS(hollow_diff_type_at(NULL, 0, &summary), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_type_at(diff, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    CHECK_OK(hollow_diff_change_count(diff, 0, &count));
    CHECK(count == 3);
    CHECK_STATUS(hollow_diff_change_count(diff, 1, &count), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_count(NULL, 0, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_count(diff, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* Removed, then added, then modified. */
    CHECK_OK(hollow_diff_change_at(diff, 0, 0, &change));
    CHECK(change.kind == HOLLOW_DIFF_CHANGE_KIND_REMOVED);
    CHECK_STR(change.key_json, "[2]");
    CHECK(str_contains(change.old_json, "\"Alien\""));
    CHECK(change.new_json.len == 0 && change.new_json.ptr != NULL && change.fields.len == 0);
    CHECK_OK(hollow_diff_change_at(diff, 0, 1, &change));
    CHECK(change.kind == HOLLOW_DIFF_CHANGE_KIND_ADDED);
    CHECK_STR(change.key_json, "[4]");
    CHECK(change.old_json.len == 0 && str_contains(change.new_json, "\"Big\""));
    CHECK_OK(hollow_diff_change_at(diff, 0, 2, &change));
    CHECK(change.kind == HOLLOW_DIFF_CHANGE_KIND_MODIFIED);
    CHECK_STR(change.key_json, "[1]");
    CHECK_STR(change.fields, "title");
    CHECK(str_contains(change.old_json, "\"title\":\"Heat\""));
    CHECK(str_contains(change.new_json, "\"title\":\"Heat 2\""));
    {
        /* Asked again: the same kept texts. */
        hollow_diff_change again_change;
        CHECK_OK(hollow_diff_change_at(diff, 0, 2, &again_change));
        CHECK(again_change.fields.ptr == change.fields.ptr && again_change.new_json.ptr == change.new_json.ptr);
    }
    CHECK_STATUS(hollow_diff_change_at(diff, 0, 3, &change), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("change index 3");
    CHECK_STATUS(hollow_diff_change_at(diff, 7, 0, &change), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_at(NULL, 0, 0, &change), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_at(diff, 0, 0, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    /* The change set: size first, then the text; a short buffer gets a NUL-terminated prefix. */
    CHECK_OK(hollow_diff_change_set_json(diff, NULL, 0, &len));
    CHECK(len > 0);
    {
        char *lines = (char *)malloc(len + 1);
        size_t len2 = 0, newlines = 0;
        CHECK(lines != NULL);
        CHECK_OK(hollow_diff_change_set_json(diff, lines, len + 1, &len2));
        CHECK(len2 == len && strlen(lines) == len);
        for (i = 0; i < len; i++) {
            newlines += lines[i] == '\n';
        }
        CHECK(newlines == 3);
        CHECK(strstr(lines, "{\"key\":[2],\"op\":\"delete\",\"type\":\"Movie\"}\n") == lines);
        CHECK(strstr(lines, "\"title\":\"Heat 2\"") != NULL);

        /* Applied to another store holding version 1, it gives version 2's records. */
        producer_b = diff_producer(&consumer_b, &vb);
        CHECK_OK(hollow_producer_apply_changes(producer_b, lines, &vb));
        CHECK_OK(hollow_consumer_refresh(consumer_b, NULL));
        CHECK_OK(hollow_consumer_read_state(consumer_b, &rs_b));
        CHECK_OK(hollow_diff_new(rs2, rs_b, &none));
        CHECK_OK(hollow_diff_type_at(none, 0, &summary));
        CHECK(summary.added == 0 && summary.removed == 0 && summary.modified == 0 && summary.unchanged == 3);
        CHECK_OK(hollow_diff_change_count(none, 0, &count));
        CHECK(count == 0);
        CHECK_OK(hollow_diff_change_set_json(none, NULL, 0, &len2));
        CHECK(len2 == 0);
        hollow_diff_free(none);
        hollow_read_state_free(rs_b);
        free(lines);
    }
    memset(small, 'x', sizeof small);
    CHECK_OK(hollow_diff_change_set_json(diff, small, sizeof small, &count));
    CHECK(count == len && strlen(small) == sizeof small - 1);
    CHECK_STATUS(hollow_diff_change_set_json(diff, NULL, 4, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_set_json(diff, small, sizeof small, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_diff_change_set_json(NULL, small, sizeof small, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    hollow_diff_free(diff);
    hollow_diff_free(NULL);
    hollow_read_state_free(rs2);

    /* Metrics for operators. */
    CHECK_OK(hollow_consumer_metrics_json(consumer, NULL, 0, &len));
    CHECK(len > 0 && len < sizeof metrics);
    CHECK_OK(hollow_consumer_metrics_json(consumer, metrics, sizeof metrics, &count));
    CHECK(count == len && strlen(metrics) == len);
    CHECK(strstr(metrics, "\"refreshes_succeeded\":2") != NULL);
    CHECK(strstr(metrics, "\"snapshots_applied\":1") != NULL && strstr(metrics, "\"deltas_applied\":1") != NULL);
    CHECK(strstr(metrics, "\"last_refresh_duration_seconds\":") != NULL);
    CHECK_STATUS(hollow_consumer_metrics_json(NULL, metrics, sizeof metrics, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_metrics_json(consumer, metrics, sizeof metrics, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_consumer_metrics_json(consumer, NULL, 8, &count), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_OK(hollow_producer_metrics_json(producer, metrics, sizeof metrics, &len));
    CHECK(strlen(metrics) == len);
    CHECK(strstr(metrics, "\"cycles_succeeded\":2") != NULL);
    CHECK(strstr(metrics, "\"cycles_no_change\":2") != NULL);
    CHECK(strstr(metrics, "\"cycles_failed\":0") != NULL); /* bad lines fail before a cycle starts */
    {
        char expected[64];
        snprintf(expected, sizeof expected, "\"current_version\":%" PRId64, v2);
        CHECK(strstr(metrics, expected) != NULL);
    }
    CHECK_STATUS(hollow_producer_metrics_json(NULL, metrics, sizeof metrics, &len), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_producer_metrics_json(producer, metrics, sizeof metrics, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    hollow_consumer_free(consumer_b);
    hollow_producer_free(producer_b);
    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
}

/* Two read states hold the same records: a diff between them finds no change in any type, and some
 * records unchanged. */
static void check_same_records(const hollow_read_state *a, const hollow_read_state *b) {
    hollow_diff *diff = NULL;
    size_t types = 0, t, changes = 99;
    uint64_t unchanged = 0;
    CHECK_OK(hollow_diff_new(a, b, &diff));
    CHECK_OK(hollow_diff_type_count(diff, &types));
    CHECK(types > 0);
    for (t = 0; t < types; t++) {
        hollow_diff_type_summary summary;
        CHECK_OK(hollow_diff_type_at(diff, t, &summary));
        CHECK_OK(hollow_diff_change_count(diff, t, &changes));
        CHECK(changes == 0);
        unchanged += summary.unchanged;
    }
    CHECK(unchanged > 0);
    hollow_diff_free(diff);
}

/* Memory-mapped consumers: over one filesystem store, a consumer in SHARED mode reads the same records as
 * one in COPY mode, and reads them from a mapping; a read state opens a snapshot file either way. */
static void test_memory_mapping(const char *scratch) {
    char dir[4096], path[4200];
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *copying = NULL, *mapping = NULL;
    /* Sentinels: a failed call must leave its out-parameter as it was. */
    hollow_consumer *const consumer_sentinel = (hollow_consumer *)&check_passed;
    hollow_read_state *const state_sentinel = (hollow_read_state *)&check_failed;
    hollow_consumer *untouched_consumer = consumer_sentinel;
    hollow_read_state *untouched_state = state_sentinel;
    hollow_read_state *copied = NULL, *mapped = NULL, *from_file = NULL;
    int64_t v1 = 0, v2 = 0, version = 0;
    size_t shards = 99, mapped_v1 = 0;

    snprintf(dir, sizeof dir, "%s/mapped-store", scratch);
    CHECK_OK(hollow_blob_store_create_filesystem(dir, &store));
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &producer));
    produce(producer, &v1, &v2);

    CHECK_STATUS(hollow_consumer_new_with_mapping(store, 7, &untouched_consumer), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("hollow_mapping_mode");
    CHECK_STATUS(hollow_consumer_new_with_mapping(store, -1, &untouched_consumer), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hollow_consumer_new_with_mapping(NULL, HOLLOW_MAPPING_MODE_SHARED, &untouched_consumer),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK(untouched_consumer == consumer_sentinel);
    CHECK_STATUS(hollow_consumer_new_with_mapping(store, HOLLOW_MAPPING_MODE_SHARED, NULL), HOLLOW_STATUS_NULL_ARGUMENT);

    CHECK_OK(hollow_consumer_new_with_mapping(store, HOLLOW_MAPPING_MODE_COPY, &copying));
    CHECK_OK(hollow_consumer_new_with_mapping(store, HOLLOW_MAPPING_MODE_SHARED, &mapping));
    hollow_blob_store_free(store); /* the producer and the consumers share the store */
    CHECK_OK(hollow_consumer_refresh_to(copying, v1));
    CHECK_OK(hollow_consumer_refresh_to(mapping, v1));
    CHECK_OK(hollow_consumer_read_state(copying, &copied));
    CHECK_OK(hollow_consumer_read_state(mapping, &mapped));
    CHECK_OK(hollow_read_state_mapped_shards(copied, &shards));
    CHECK(shards == 0);
    CHECK_OK(hollow_read_state_mapped_shards(mapped, &mapped_v1));
    CHECK(mapped_v1 > 0);
    shards = 99;
    CHECK_STATUS(hollow_read_state_mapped_shards(NULL, &shards), HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK(shards == 99);
    CHECK_STATUS(hollow_read_state_mapped_shards(mapped, NULL), HOLLOW_STATUS_NULL_ARGUMENT);
    /* The same records, and the detailed reads of version 1 pass on the mapped state too. */
    check_same_records(copied, mapped);
    test_object_fields(mapped);
    test_one_call_reads(mapped);
    hollow_read_state_free(copied);
    hollow_read_state_free(mapped);

    /* A delta applied to a mapped state builds heap shards for what it changes and keeps the rest mapped. */
    CHECK_OK(hollow_consumer_refresh_to(copying, v2));
    CHECK_OK(hollow_consumer_refresh_to(mapping, v2));
    CHECK_OK(hollow_consumer_read_state(copying, &copied));
    CHECK_OK(hollow_consumer_read_state(mapping, &mapped));
    CHECK_OK(hollow_read_state_mapped_shards(mapped, &shards));
    CHECK(shards > 0 && shards < mapped_v1);
    check_same_records(copied, mapped);
    hollow_read_state_free(copied);
    hollow_read_state_free(mapped);

    /* A snapshot file of the store, opened as a read state: mapped, or copied into the heap. */
    snprintf(path, sizeof path, "%s/snapshot-%lld", dir, (long long)v1);
    CHECK_OK(hollow_consumer_refresh_to(copying, v1));
    CHECK_OK(hollow_consumer_read_state(copying, &copied));
    CHECK_OK(hollow_read_state_open_snapshot_file(path, v1, HOLLOW_MAPPING_MODE_SHARED, &from_file));
    CHECK_OK(hollow_read_state_version(from_file, &version));
    CHECK(version == v1);
    CHECK_OK(hollow_read_state_mapped_shards(from_file, &shards));
    CHECK(shards == mapped_v1);
    check_same_records(copied, from_file);
    test_object_fields(from_file);
    hollow_read_state_free(from_file);
    from_file = NULL;
    CHECK_OK(hollow_read_state_open_snapshot_file(path, v1, HOLLOW_MAPPING_MODE_COPY, &from_file));
    CHECK_OK(hollow_read_state_mapped_shards(from_file, &shards));
    CHECK(shards == 0);
    check_same_records(copied, from_file);
    hollow_read_state_free(from_file);
    hollow_read_state_free(copied);
    CHECK_STATUS(hollow_read_state_open_snapshot_file(path, v1, 2, &untouched_state), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_LAST_ERROR_HAS("hollow_mapping_mode");
    CHECK_STATUS(hollow_read_state_open_snapshot_file(NULL, v1, HOLLOW_MAPPING_MODE_SHARED, &untouched_state),
                 HOLLOW_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(hollow_read_state_open_snapshot_file(INVALID_UTF8, v1, HOLLOW_MAPPING_MODE_SHARED, &untouched_state),
                 HOLLOW_STATUS_INVALID_UTF8);
    snprintf(path, sizeof path, "%s/snapshot-1", dir); /* no such file */
    CHECK_STATUS(hollow_read_state_open_snapshot_file(path, 1, HOLLOW_MAPPING_MODE_SHARED, &untouched_state),
                 HOLLOW_STATUS_IO);
    CHECK_LAST_ERROR_HAS("snapshot-1");
    CHECK(untouched_state == state_sentinel);
    CHECK_STATUS(hollow_read_state_open_snapshot_file(path, 1, HOLLOW_MAPPING_MODE_SHARED, NULL),
                 HOLLOW_STATUS_NULL_ARGUMENT);

    hollow_consumer_free(copying);
    hollow_consumer_free(mapping);
    hollow_producer_free(producer);
}

int main(int argc, char **argv) {
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    int64_t v1 = 0, v2 = 0, version = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    struct log_capture logs;
    memset(&logs, 0, sizeof logs);
    CHECK_STATUS(hollow_set_log_callback(capture_log, &logs, 9), HOLLOW_STATUS_INVALID_ARGUMENT);
    CHECK_OK(hollow_set_log_callback(capture_log, &logs, HOLLOW_LOG_LEVEL_INFO));
    test_misc();
    test_store_errors(argv[1]);
    test_record_errors();
    test_filesystem_and_corruption(argv[1]);
    test_memory_mapping(argv[1]);

    CHECK_OK(hollow_blob_store_new_in_memory(&store));
    test_producer_errors(store);
    CHECK_OK(hollow_producer_new(store, SCHEMAS, &producer));
    produce(producer, &v1, &v2);

    test_consumer_errors(store);
    CHECK_OK(hollow_consumer_new(store, &consumer));
    hollow_blob_store_free(store); /* the producer and the consumer share the store */
    {
        /* Counted from here: the producers above may log hollow::consumer records of their own. */
        int consumer_info_before = logs.consumer_info;
        CHECK_OK(hollow_consumer_refresh(consumer, &version));
        CHECK(logs.consumer_info == consumer_info_before + 1);
    }
    CHECK(version == v2);
    /* Each announced cycle and the refresh were logged at INFO, the refresh last. */
    CHECK(logs.producer_info >= 2);
    {
        char expected[64];
        snprintf(expected, sizeof expected, "refreshed to version %" PRId64, v2);
        CHECK(strstr(logs.last_message, expected) != NULL);
    }
    CHECK_OK(hollow_set_log_callback(NULL, NULL, HOLLOW_LOG_LEVEL_INFO));
    {
        int before = logs.records;
        CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
        CHECK_OK(hollow_consumer_refresh_to(consumer, v2));
        CHECK(logs.records == before); /* no callback, no records */
    }
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));

    test_metadata(rs);
    test_strings(rs);
    test_indexes(rs);
    hollow_read_state_free(rs);

    /* Records of version 1 (Movie 2 only exists there). */
    CHECK_OK(hollow_consumer_refresh_to(consumer, v1));
    CHECK_OK(hollow_consumer_read_state(consumer, &rs));
    test_object_fields(rs);
    test_collections(rs);
    test_one_call_reads(rs);
    hollow_read_state_free(rs);
    CHECK_OK(hollow_consumer_refresh_to(consumer, v2));
    test_prepared_reads(consumer, v1, v2);
    test_prepared_key_shapes();

    test_versions(consumer, v1, v2);
    test_diff();

    hollow_consumer_free(consumer);
    hollow_producer_free(producer);
    return check_report("api_test");
}
