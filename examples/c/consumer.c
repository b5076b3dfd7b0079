/* A consumer in C: loads the announced version of a blob directory (e.g. one written by producer.c),
 * prints every movie, and looks one up by primary key.
 *
 *   consumer DIR [ID]
 */
#include <stdio.h>
#include <stdlib.h>

#include "hollow.h"

#define TRY(call)                                                                                      \
    do {                                                                                               \
        hollow_status s_ = (call);                                                                     \
        if (s_ != HOLLOW_STATUS_OK) {                                                                  \
            fprintf(stderr, "%s: %s (%s)\n", #call, hollow_status_message(s_), hollow_last_error_message()); \
            goto done;                                                                                 \
        }                                                                                              \
    } while (0)

/* Print one movie: the title is a reference to a String record, the tags a reference to a list of them. */
static hollow_status print_movie(const hollow_read_state *rs, uint32_t movie) {
    const hollow_type *movies = NULL, *strings = NULL, *lists = NULL;
    size_t id_f, title_f, year_f, rating_f, tags_f, n = 0, i;
    int64_t id = 0;
    int32_t year = 0;
    double rating = 0;
    uint32_t title_ref = 0, tags_ref = 0;
    hollow_str title;
    hollow_status s;

    /* Type handles and field indexes are resolved once per read state in a real program. */
    if ((s = hollow_read_state_type(rs, "Movie", &movies)) || (s = hollow_read_state_type(rs, "String", &strings)) ||
        (s = hollow_read_state_type(rs, "ListOfString", &lists)) ||
        (s = hollow_type_field_index(movies, "id", &id_f)) || (s = hollow_type_field_index(movies, "title", &title_f)) ||
        (s = hollow_type_field_index(movies, "year", &year_f)) ||
        (s = hollow_type_field_index(movies, "rating", &rating_f)) ||
        (s = hollow_type_field_index(movies, "tags", &tags_f))) {
        return s;
    }
    if ((s = hollow_object_get_long(movies, movie, id_f, &id, NULL)) ||
        (s = hollow_object_get_reference(movies, movie, title_f, &title_ref, NULL)) ||
        (s = hollow_object_get_string(strings, title_ref, 0, &title, NULL)) ||
        (s = hollow_object_get_int(movies, movie, year_f, &year, NULL)) ||
        (s = hollow_object_get_double(movies, movie, rating_f, &rating, NULL)) ||
        (s = hollow_object_get_reference(movies, movie, tags_f, &tags_ref, NULL)) ||
        (s = hollow_list_size(lists, tags_ref, &n))) {
        return s;
    }
    printf("movie %lld: %.*s (%d), rated %.1f, tags:", (long long)id, (int)title.len, title.ptr, (int)year, rating);
    for (i = 0; i < n; i++) {
        uint32_t tag = 0;
        hollow_str text;
        if ((s = hollow_list_get(lists, tags_ref, i, &tag)) ||
            (s = hollow_object_get_string(strings, tag, 0, &text, NULL))) {
            return s;
        }
        printf(" %.*s", (int)text.len, text.ptr);
    }
    printf("\n");
    return HOLLOW_STATUS_OK;
}

int main(int argc, char **argv) {
    hollow_blob_store *store = NULL;
    hollow_consumer *consumer = NULL;
    hollow_read_state *rs = NULL;
    const hollow_type *movies = NULL;
    const hollow_primary_key_index *by_id = NULL;
    int64_t version = 0;
    int32_t max = -1, o;
    size_t count = 0;
    hollow_key_value key;
    uint32_t ordinal = 0;
    bool found = false;
    int status = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [ID]\n", argv[0]);
        return 2;
    }
    TRY(hollow_blob_store_open_filesystem(argv[1], &store));
    TRY(hollow_consumer_new(store, &consumer));
    TRY(hollow_consumer_refresh(consumer, &version));
    if (version == HOLLOW_VERSION_NONE) {
        fprintf(stderr, "nothing announced in %s\n", argv[1]);
        goto done;
    }

    /* Pin the version for this unit of work; other threads may refresh meanwhile. */
    TRY(hollow_consumer_read_state(consumer, &rs));
    TRY(hollow_read_state_type(rs, "Movie", &movies));
    TRY(hollow_type_populated_count(movies, &count));
    printf("version %lld: %zu movies\n", (long long)version, count);
    TRY(hollow_type_max_ordinal(movies, &max));
    for (o = 0; o <= max; o++) {
        bool populated = false;
        TRY(hollow_type_is_populated(movies, (uint32_t)o, &populated));
        if (populated) {
            TRY(print_movie(rs, (uint32_t)o));
        }
    }

    key.field_type = HOLLOW_FIELD_TYPE_LONG;
    key.value.long_value = argc > 2 ? atoll(argv[2]) : 1;
    TRY(hollow_read_state_primary_key_index(rs, "Movie", &by_id));
    TRY(hollow_primary_key_index_get(by_id, &key, 1, &ordinal, &found));
    if (found) {
        printf("lookup id %lld -> ", (long long)key.value.long_value);
        TRY(print_movie(rs, ordinal));
    } else {
        printf("lookup id %lld -> not found\n", (long long)key.value.long_value);
    }
    status = 0;

done:
    hollow_read_state_free(rs);
    hollow_consumer_free(consumer);
    hollow_blob_store_free(store);
    return status;
}
