/* A producer in C: publishes a few versions of a small movie catalog to a blob directory (Java Hollow's
 * layout, readable by hollow-rs and Java consumers alike), then exits.
 *
 *   producer DIR [CYCLES]
 *
 * Cycle n (1-based) holds movies 1 .. 3 + n, and rates movie 1 differently every cycle, so each new
 * version is published as a snapshot plus a delta and a reverse delta from the previous one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "hollow.h"
#include "movies.h"

static const char *TITLES[] = {"Heat", "Alien", "Amelie", "Ran", "Up", "Jaws", "Rocky", "Fargo", "Brazil", "Psycho"};
static const char *TAGS[] = {"drama", "crime", "sci-fi", "comedy"};

struct catalog {
    int cycle;
    hollow_object_record *record; /* reused for every movie */
};

/* Print what failed and why, and return the status (so a callback can pass it on). */
static hollow_status report(hollow_status s, const char *what) {
    if (s != HOLLOW_STATUS_OK) {
        fprintf(stderr, "%s: %s (%s)\n", what, hollow_status_message(s), hollow_last_error_message());
    }
    return s;
}

/* The populate callback: add every record of the new version. Returning non-zero abandons the cycle. */
static int32_t populate(hollow_write_state *ws, void *user_data) {
    struct catalog *c = (struct catalog *)user_data;
    int movies = 3 + c->cycle, i;
    hollow_status s = HOLLOW_STATUS_OK;

    for (i = 0; i < movies && s == HOLLOW_STATUS_OK; i++) {
        uint32_t title, tags[2], tag_list;
        /* Referenced records first: the title string and the tag list. */
        if ((s = report(hollow_write_state_add_string(ws, TITLES[i % 10], &title), "title")) ||
            (s = report(hollow_write_state_add_string(ws, TAGS[i % 4], &tags[0]), "tag")) ||
            (s = report(hollow_write_state_add_string(ws, TAGS[(i + 1) % 4], &tags[1]), "tag")) ||
            (s = report(hollow_write_state_add_list(ws, "ListOfString", tags, 2, &tag_list), "tags"))) {
            break;
        }
        hollow_object_record_clear(c->record);
        hollow_object_record_set_long(c->record, "id", i + 1);
        hollow_object_record_set_reference(c->record, "title", title);
        hollow_object_record_set_int(c->record, "year", 1970 + 3 * i);
        hollow_object_record_set_double(c->record, "rating", i == 0 ? 5.0 + c->cycle : 7.5);
        hollow_object_record_set_reference(c->record, "tags", tag_list);
        s = report(hollow_write_state_add_object(ws, "Movie", c->record, NULL), "movie");
    }
    return s;
}

int main(int argc, char **argv) {
    hollow_blob_store *store = NULL;
    hollow_producer *producer = NULL;
    struct catalog catalog = {0, NULL};
    int cycles = argc > 2 ? atoi(argv[2]) : 3, status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR [CYCLES]\n", argv[0]);
        return 2;
    }
    if (report(hollow_blob_store_create_filesystem(argv[1], &store), "opening the blob directory") ||
        report(hollow_producer_new(store, MOVIE_SCHEMAS, &producer), "creating the producer") ||
        report(hollow_object_record_new(&catalog.record), "creating a record")) {
        status = 1;
    }
    for (catalog.cycle = 1; status == 0 && catalog.cycle <= cycles; catalog.cycle++) {
        int64_t version = 0;
        if (report(hollow_producer_run_cycle(producer, populate, &catalog, &version), "running a cycle")) {
            status = 1;
        } else {
            printf("published version %lld with %d movies\n", (long long)version, 3 + catalog.cycle);
        }
    }
    hollow_object_record_free(catalog.record);
    hollow_producer_free(producer);
    hollow_blob_store_free(store);
    return status;
}
