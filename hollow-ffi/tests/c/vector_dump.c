/* Reads a blob directory written by Java Hollow through the C API and prints every record of every
 * version asked for, in a canonical text form that the Rust side of the test derives independently
 * from Java's JSON dumps (hollow-rs/tests/vectors/<scenario>/expected). It also prints the results of
 * lookups: primary keys, hash-keyed sets and maps, and the simple string API.
 *
 * Usage: vector_dump BLOBS_DIR [VERSION | pk=TYPE.FIELD | setfind=SET:KEYTYPE | mapfind=MAP:KEYTYPE]...
 *   Without a version first, the consumer refreshes to the announced version and prints it.
 *   pk=Show.id: for each record, look its INT or LONG field up in the type's primary-key index.
 *   setfind / mapfind: for each element (key) of each record, find it again by its string hash key, the
 *   first field of KEYTYPE.
 *
 * Output, per version:
 *   version V
 *   type NAME KIND populated=N
 *   NAME#ORDINAL field=value ...      (OBJECT; values: 12, null, true, "text", f:bits, d:bits, hex:..., @ref)
 *   NAME#ORDINAL [e1,e2]              (LIST, SET in iteration order)
 *   NAME#ORDINAL {k:v,k:v}            (MAP in iteration order)
 *   pk TYPE FIELD=VALUE -> ORDINAL
 *   setfind SET#ORDINAL "KEY" -> ELEMENT
 *   mapfind MAP#ORDINAL "KEY" -> K:V
 *   string "VALUE" found
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hollow.h"

#define MAX_SPECS 16

static void die(const char *what, hollow_status s) {
    fprintf(stderr, "%s failed: %d (%s): %s\n", what, (int)s, hollow_status_message(s), hollow_last_error_message());
    exit(1);
}

#define TRY(call)                                                                                       \
    do {                                                                                                \
        hollow_status try_s_ = (call);                                                                  \
        if (try_s_ != HOLLOW_STATUS_OK) die(#call, try_s_);                                             \
    } while (0)

/* Text may hold NUL characters (Java strings can), so it is written by length, not with %s. */
static void print_str(hollow_str s) {
    putchar('"');
    fwrite(s.ptr, 1, s.len, stdout);
    putchar('"');
}

static void print_field(const hollow_type *t, uint32_t ordinal, size_t field) {
    hollow_field_type ft = 0;
    bool is_null = false;
    TRY(hollow_type_field_type(t, field, &ft));
    switch (ft) {
    case HOLLOW_FIELD_TYPE_INT: {
        int32_t v = 0;
        TRY(hollow_object_get_int(t, ordinal, field, &v, &is_null));
        if (!is_null) printf("%" PRId32, v);
        break;
    }
    case HOLLOW_FIELD_TYPE_LONG: {
        int64_t v = 0;
        TRY(hollow_object_get_long(t, ordinal, field, &v, &is_null));
        if (!is_null) printf("%" PRId64, v);
        break;
    }
    case HOLLOW_FIELD_TYPE_BOOLEAN: {
        bool v = false;
        TRY(hollow_object_get_bool(t, ordinal, field, &v, &is_null));
        if (!is_null) printf("%s", v ? "true" : "false");
        break;
    }
    case HOLLOW_FIELD_TYPE_FLOAT: {
        float v = 0;
        uint32_t bits;
        TRY(hollow_object_get_float(t, ordinal, field, &v, &is_null));
        memcpy(&bits, &v, sizeof bits);
        if (!is_null) printf("f:%08" PRIx32, bits);
        break;
    }
    case HOLLOW_FIELD_TYPE_DOUBLE: {
        double v = 0;
        uint64_t bits;
        TRY(hollow_object_get_double(t, ordinal, field, &v, &is_null));
        memcpy(&bits, &v, sizeof bits);
        if (!is_null) printf("d:%016" PRIx64, bits);
        break;
    }
    case HOLLOW_FIELD_TYPE_STRING: {
        hollow_str v;
        TRY(hollow_object_get_string(t, ordinal, field, &v, &is_null));
        if (!is_null) print_str(v);
        break;
    }
    case HOLLOW_FIELD_TYPE_BYTES: {
        hollow_bytes v;
        size_t i;
        TRY(hollow_object_get_bytes(t, ordinal, field, &v, &is_null));
        if (!is_null) {
            printf("hex:");
            for (i = 0; i < v.len; i++) printf("%02x", v.ptr[i]);
        }
        break;
    }
    case HOLLOW_FIELD_TYPE_REFERENCE: {
        uint32_t v = 0;
        TRY(hollow_object_get_reference(t, ordinal, field, &v, &is_null));
        if (!is_null) printf("@%" PRIu32, v);
        break;
    }
    default:
        fprintf(stderr, "unknown field type %d\n", (int)ft);
        exit(1);
    }
    if (is_null) printf("null");
}

static void print_record(const hollow_type *t, hollow_kind kind, uint32_t ordinal) {
    size_t n = 0, i;
    uint32_t *a = NULL, *b = NULL;
    switch (kind) {
    case HOLLOW_KIND_OBJECT:
        TRY(hollow_type_field_count(t, &n));
        for (i = 0; i < n; i++) {
            hollow_str name;
            TRY(hollow_type_field_name(t, i, &name));
            printf(" %.*s=", (int)name.len, name.ptr);
            print_field(t, ordinal, i);
        }
        break;
    case HOLLOW_KIND_LIST:
        TRY(hollow_list_size(t, ordinal, &n));
        printf(" [");
        for (i = 0; i < n; i++) {
            uint32_t e = 0;
            TRY(hollow_list_get(t, ordinal, i, &e));
            printf("%s%" PRIu32, i ? "," : "", e);
        }
        printf("]");
        break;
    case HOLLOW_KIND_SET:
        TRY(hollow_set_elements(t, ordinal, NULL, 0, &n));
        a = (uint32_t *)calloc(n + 1, sizeof *a);
        TRY(hollow_set_elements(t, ordinal, a, n, &n));
        printf(" [");
        for (i = 0; i < n; i++) printf("%s%" PRIu32, i ? "," : "", a[i]);
        printf("]");
        break;
    case HOLLOW_KIND_MAP:
        TRY(hollow_map_entries(t, ordinal, NULL, NULL, 0, &n));
        a = (uint32_t *)calloc(n + 1, sizeof *a);
        b = (uint32_t *)calloc(n + 1, sizeof *b);
        TRY(hollow_map_entries(t, ordinal, a, b, n, &n));
        printf(" {");
        for (i = 0; i < n; i++) printf("%s%" PRIu32 ":%" PRIu32, i ? "," : "", a[i], b[i]);
        printf("}");
        break;
    }
    free(a);
    free(b);
}

static const char *kind_name(hollow_kind k) {
    switch (k) {
    case HOLLOW_KIND_OBJECT: return "OBJECT";
    case HOLLOW_KIND_LIST: return "LIST";
    case HOLLOW_KIND_SET: return "SET";
    case HOLLOW_KIND_MAP: return "MAP";
    }
    return "?";
}

static void dump_types(const hollow_read_state *rs) {
    size_t types = 0, i, populated = 0;
    TRY(hollow_read_state_type_count(rs, &types));
    for (i = 0; i < types; i++) {
        const hollow_type *t = NULL;
        hollow_str name;
        hollow_kind kind = 0;
        int32_t max = -1, o;
        TRY(hollow_read_state_type_at(rs, i, &t));
        TRY(hollow_type_name(t, &name));
        TRY(hollow_type_kind(t, &kind));
        TRY(hollow_type_populated_count(t, &populated));
        TRY(hollow_type_max_ordinal(t, &max));
        printf("type %.*s %s populated=%zu\n", (int)name.len, name.ptr, kind_name(kind), populated);
        for (o = 0; o <= max; o++) {
            bool is = false;
            TRY(hollow_type_is_populated(t, (uint32_t)o, &is));
            if (!is) continue;
            printf("%.*s#%" PRId32, (int)name.len, name.ptr, o);
            print_record(t, kind, (uint32_t)o);
            printf("\n");
        }
    }
}

/* pk=TYPE.FIELD */
static void check_pk(const hollow_read_state *rs, const char *spec) {
    char type_name[128], *dot;
    const hollow_type *t = NULL;
    const hollow_primary_key_index *pk = NULL;
    size_t field = 0;
    hollow_field_type ft = 0;
    int32_t max = -1, o;
    snprintf(type_name, sizeof type_name, "%s", spec);
    dot = strchr(type_name, '.');
    if (dot == NULL) die("a pk= spec needs TYPE.FIELD", HOLLOW_STATUS_INVALID_ARGUMENT);
    *dot = '\0';
    TRY(hollow_read_state_type(rs, type_name, &t));
    TRY(hollow_type_field_index(t, dot + 1, &field));
    TRY(hollow_type_field_type(t, field, &ft));
    TRY(hollow_read_state_primary_key_index(rs, type_name, &pk));
    TRY(hollow_type_max_ordinal(t, &max));
    for (o = 0; o <= max; o++) {
        bool is = false, is_null = false, found = false;
        hollow_key_value key;
        uint32_t ordinal = 0;
        TRY(hollow_type_is_populated(t, (uint32_t)o, &is));
        if (!is) continue;
        key.field_type = ft;
        if (ft == HOLLOW_FIELD_TYPE_INT) {
            TRY(hollow_object_get_int(t, (uint32_t)o, field, &key.value.int_value, &is_null));
        } else {
            TRY(hollow_object_get_long(t, (uint32_t)o, field, &key.value.long_value, &is_null));
        }
        if (is_null) continue;
        TRY(hollow_primary_key_index_get(pk, &key, 1, &ordinal, &found));
        printf("pk %s %s=%" PRId64 " -> %s%" PRIu32 "\n", type_name, dot + 1,
               ft == HOLLOW_FIELD_TYPE_INT ? (int64_t)key.value.int_value : key.value.long_value,
               found ? "" : "NOT FOUND ", ordinal);
    }
}

/* setfind=SET:KEYTYPE or mapfind=MAP:KEYTYPE: look every element (key) up again by its string. */
static void check_find(const hollow_read_state *rs, const char *spec, bool is_map) {
    char coll_name[128], *colon;
    const hollow_type *coll = NULL, *key_type = NULL;
    int32_t max = -1, o;
    snprintf(coll_name, sizeof coll_name, "%s", spec);
    colon = strchr(coll_name, ':');
    if (colon == NULL) die("a find spec needs COLLECTION:KEYTYPE", HOLLOW_STATUS_INVALID_ARGUMENT);
    *colon = '\0';
    TRY(hollow_read_state_type(rs, coll_name, &coll));
    TRY(hollow_read_state_type(rs, colon + 1, &key_type));
    TRY(hollow_type_max_ordinal(coll, &max));
    for (o = 0; o <= max; o++) {
        bool is = false;
        size_t n = 0, i;
        uint32_t *keys, *values;
        TRY(hollow_type_is_populated(coll, (uint32_t)o, &is));
        if (!is) continue;
        if (is_map) {
            TRY(hollow_map_size(coll, (uint32_t)o, &n));
        } else {
            TRY(hollow_set_size(coll, (uint32_t)o, &n));
        }
        keys = (uint32_t *)calloc(n + 1, sizeof *keys);
        values = (uint32_t *)calloc(n + 1, sizeof *values);
        if (is_map) {
            TRY(hollow_map_entries(coll, (uint32_t)o, keys, values, n, &n));
        } else {
            TRY(hollow_set_elements(coll, (uint32_t)o, keys, n, &n));
        }
        for (i = 0; i < n; i++) {
            hollow_key_value key;
            hollow_str text;
            uint32_t k = 0, v = 0;
            bool found = false;
            TRY(hollow_object_get_string(key_type, keys[i], 0, &text, NULL));
            key.field_type = HOLLOW_FIELD_TYPE_STRING;
            key.value.string_value = text;
            if (is_map) {
                TRY(hollow_map_find(coll, (uint32_t)o, &key, 1, &k, &v, &found));
                printf("mapfind %s#%" PRId32 " ", coll_name, o);
                print_str(text);
                printf(" -> %s%" PRIu32 ":%" PRIu32 "\n", found ? "" : "NOT FOUND ", k, v);
            } else {
                TRY(hollow_set_find(coll, (uint32_t)o, &key, 1, &k, &found));
                printf("setfind %s#%" PRId32 " ", coll_name, o);
                print_str(text);
                printf(" -> %s%" PRIu32 "\n", found ? "" : "NOT FOUND ", k);
            }
        }
        free(keys);
        free(values);
    }
}

/* Every String record, found again through the simple string API. */
static void check_strings(const hollow_read_state *rs) {
    const hollow_type *strings = NULL;
    int32_t max = -1, o;
    if (hollow_read_state_type(rs, "String", &strings) != HOLLOW_STATUS_OK) return;
    TRY(hollow_type_max_ordinal(strings, &max));
    for (o = 0; o <= max; o++) {
        bool is = false, found = false, contains = false;
        hollow_str text, got;
        char *key;
        TRY(hollow_type_is_populated(strings, (uint32_t)o, &is));
        if (!is) continue;
        TRY(hollow_object_get_string(strings, (uint32_t)o, 0, &text, NULL));
        key = (char *)malloc(text.len + 1);
        memcpy(key, text.ptr, text.len);
        key[text.len] = '\0';
        TRY(hollow_read_state_get(rs, key, &got, &found));
        TRY(hollow_read_state_contains(rs, key, &contains));
        printf("string ");
        print_str(text);
        printf(" %s\n", found && contains && got.len == text.len && memcmp(got.ptr, text.ptr, text.len) == 0
                             ? "found"
                             : "MISSING");
        free(key);
    }
}

static void dump(const hollow_consumer *consumer, int argc, char **argv) {
    hollow_read_state *rs = NULL;
    int64_t version = 0;
    int i;
    TRY(hollow_consumer_read_state(consumer, &rs));
    TRY(hollow_read_state_version(rs, &version));
    printf("version %" PRId64 "\n", version);
    dump_types(rs);
    for (i = 2; i < argc; i++) {
        if (strncmp(argv[i], "pk=", 3) == 0) check_pk(rs, argv[i] + 3);
        if (strncmp(argv[i], "setfind=", 8) == 0) check_find(rs, argv[i] + 8, false);
        if (strncmp(argv[i], "mapfind=", 8) == 0) check_find(rs, argv[i] + 8, true);
    }
    check_strings(rs);
    hollow_read_state_free(rs);
}

int main(int argc, char **argv) {
    hollow_blob_store *store = NULL;
    hollow_consumer *consumer = NULL;
    int i, versions = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s BLOBS_DIR [VERSION | pk=T.F | setfind=S:K | mapfind=M:K]...\n", argv[0]);
        return 2;
    }
    TRY(hollow_blob_store_open_filesystem(argv[1], &store));
    TRY(hollow_consumer_new(store, &consumer));
    hollow_blob_store_free(store);
    for (i = 2; i < argc; i++) {
        if (argv[i][0] >= '0' && argv[i][0] <= '9') {
            TRY(hollow_consumer_refresh_to(consumer, strtoll(argv[i], NULL, 10)));
            dump(consumer, argc, argv);
            versions++;
        }
    }
    if (versions == 0) {
        TRY(hollow_consumer_refresh(consumer, NULL));
        dump(consumer, argc, argv);
    }
    hollow_consumer_free(consumer);
    return 0;
}
