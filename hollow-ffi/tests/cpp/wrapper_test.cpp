// The C++ wrappers (bindings/cpp/hollow.hpp): RAII handles, exceptions, typed reads, a populate callback
// that throws.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "hollow.hpp"

static int passed = 0, failed = 0;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (cond) {                                                                    \
            passed++;                                                                  \
        } else {                                                                       \
            failed++;                                                                  \
            std::fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                              \
    } while (0)

// Expect `expr` to throw hollow::error with `status`.
#define EXPECT_THROWS(expr, status)                                                    \
    do {                                                                               \
        try {                                                                          \
            (void)(expr);                                                              \
            failed++;                                                                  \
            std::fprintf(stderr, "%s:%d: no exception from %s\n", __FILE__, __LINE__, #expr); \
        } catch (const hollow::error &e) {                                             \
            EXPECT(e.code() == (status));                                              \
        }                                                                              \
    } while (0)

static const char *SCHEMAS =
    "Movie @PrimaryKey(id) { long id; String title; int year; double rating; bytes poster; ListOfString tags;"
    "  SetOfString genres; MapOfStringToString credits; }"
    "String { string value; }"
    "ListOfString List<String>;"
    "SetOfString Set<String> @HashKey(value);"
    "MapOfStringToString Map<String, String> @HashKey(value);";

static void add_movie(hollow::write_state &ws, hollow::object_record &r, std::int64_t id, const std::string &title,
                      int year) {
    std::uint32_t t = ws.add_string(title), drama = ws.add_string("drama"), crime = ws.add_string("crime");
    std::uint32_t director = ws.add_string("director"), name = ws.add_string("Michael Mann");
    const std::uint8_t poster[3] = {1, 2, 3};
    r.clear()
        .set_long("id", id)
        .set_reference("title", t)
        .set_int("year", year)
        .set_double("rating", 8.5)
        .set_bytes("poster", poster, sizeof poster)
        .set_reference("tags", ws.add_list("ListOfString", {drama, crime}))
        .set_reference("genres", ws.add_set("SetOfString", {crime, drama}))
        .set_reference("credits", ws.add_map("MapOfStringToString", {{director, name}}));
    ws.add_object("Movie", r);
}

// Memory-mapped reads through the wrappers: a SHARED consumer over a filesystem store in `scratch` reads
// what a COPY consumer reads, from a mapping; a snapshot file opens as a read state.
static void memory_mapping(const std::string &scratch) {
    const std::string dir = scratch + "/mapped";
    hollow::object_record record;
    std::int64_t v1 = 0;
    {
        hollow::blob_store store = hollow::blob_store::create_filesystem(dir);
        hollow::producer producer(store, SCHEMAS);
        v1 = producer.run_cycle([&](hollow::write_state &ws) {
            add_movie(ws, record, 1, "Heat", 1995);
            add_movie(ws, record, 2, "Thief", 1981);
        });
    }
    hollow::blob_store store = hollow::blob_store::open_filesystem(dir);
    hollow::consumer copying(store, HOLLOW_MAPPING_MODE_COPY), mapping(store, HOLLOW_MAPPING_MODE_SHARED);
    EXPECT(copying.refresh() == v1 && mapping.refresh() == v1);
    hollow::read_state copied = copying.read_state(), mapped = mapping.read_state();
    EXPECT(copied.mapped_shards() == 0 && mapped.mapped_shards() > 0);
    hollow::field_path title = mapped.field_path("Movie", "title");
    auto read = mapped.primary_key_index("Movie").read_string({hollow::key::int64(2)}, title);
    EXPECT(read.has_value() && *read == "Thief");
    EXPECT(hollow::diff(copied, mapped).change_count(0) == 0);
    hollow::read_state file =
        hollow::read_state::open_snapshot_file(dir + "/snapshot-" + std::to_string(v1), v1, HOLLOW_MAPPING_MODE_SHARED);
    EXPECT(file.version() == v1 && file.mapped_shards() == mapped.mapped_shards());
    EXPECT_THROWS(hollow::consumer(store, static_cast<hollow_mapping_mode>(5)), HOLLOW_STATUS_INVALID_ARGUMENT);
    EXPECT_THROWS(hollow::read_state::open_snapshot_file(dir + "/snapshot-1", 1, HOLLOW_MAPPING_MODE_COPY),
                  HOLLOW_STATUS_IO);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    memory_mapping(argv[1]);
    hollow::blob_store store = hollow::blob_store::new_in_memory();
    hollow::producer producer(store, SCHEMAS);
    hollow::object_record record;
    EXPECT(producer.current_version() == hollow::no_version);

    std::int64_t v1 = producer.run_cycle([&](hollow::write_state &ws) {
        EXPECT(ws.version() > 0);
        add_movie(ws, record, 1, "Heat", 1995);
        add_movie(ws, record, 2, "Thief", 1981);
    });
    EXPECT(producer.current_version() == v1);

    // An exception in the callback abandons the cycle and comes back out of run_cycle unchanged.
    try {
        producer.run_cycle([&](hollow::write_state &ws) {
            add_movie(ws, record, 3, "Collateral", 2004);
            throw std::runtime_error("changed my mind");
        });
        EXPECT(false);
    } catch (const std::runtime_error &e) {
        EXPECT(std::strcmp(e.what(), "changed my mind") == 0);
    }
    // A library error inside the callback is a hollow::error, with its code.
    EXPECT_THROWS(producer.run_cycle([&](hollow::write_state &ws) {
                      record.clear().set_string("no_such_field", "x");
                      ws.add_object("Movie", record);
                  }),
                  HOLLOW_STATUS_SCHEMA_MISMATCH);
    EXPECT(producer.current_version() == v1);

    std::int64_t v2 = producer.run_cycle([&](hollow::write_state &ws) {
        add_movie(ws, record, 1, "Heat", 1995);
        add_movie(ws, record, 3, "Collateral", 2004);
    });
    EXPECT(v2 > v1);

    hollow::consumer consumer(store);
    EXPECT(consumer.current_version() == hollow::no_version);
    EXPECT_THROWS(consumer.read_state(), HOLLOW_STATUS_NOT_FOUND);
    EXPECT(consumer.refresh() == v2);
    {
        hollow::read_state rs = consumer.read_state();
        EXPECT(rs.version() == v2);
        EXPECT(rs.type_count() == 5);
        EXPECT(rs.type_at(0).name() == "ListOfString");
        hollow::type_view movies = rs.type("Movie");
        hollow::type_view strings = rs.type("String");
        EXPECT(movies.kind() == HOLLOW_KIND_OBJECT);
        EXPECT(movies.populated_count() == 2);
        EXPECT(movies.ordinals().size() == 2);
        {
            // The range visits exactly the ordinals that probing finds, in order.
            std::vector<std::uint32_t> probed, ranged;
            for (std::int32_t o = 0; o <= strings.max_ordinal(); o++) {
                if (strings.is_populated(static_cast<std::uint32_t>(o))) probed.push_back(static_cast<std::uint32_t>(o));
            }
            for (std::uint32_t o : strings.populated_ordinals()) ranged.push_back(o);
            EXPECT(ranged == probed && ranged.size() == strings.populated_count() && ranged.size() == 6);
        }
        EXPECT(movies.field_count() == 8);
        EXPECT(movies.field_name(2) == "year");
        EXPECT(movies.field_type(4) == HOLLOW_FIELD_TYPE_BYTES);
        EXPECT(rs.type("ListOfString").schema() == "ListOfString List<String>;");
        EXPECT_THROWS(rs.type("Nope"), HOLLOW_STATUS_NOT_FOUND);
        EXPECT_THROWS(movies.field_index("nope"), HOLLOW_STATUS_NOT_FOUND);

        auto by_id = rs.primary_key_index("Movie");
        std::optional<std::uint32_t> heat = by_id.get({hollow::key::int64(1)});
        EXPECT(heat.has_value());
        EXPECT(!by_id.get({hollow::key::int64(2)}).has_value());  // only in v1
        std::uint32_t m = *heat;
        std::size_t title = movies.field_index("title"), year = movies.field_index("year");
        EXPECT(strings.get_string(*movies.get_reference(m, title), 0) == std::string_view("Heat"));
        EXPECT(strings.copy_string(*movies.get_reference(m, title), 0) == std::string("Heat"));
        EXPECT(movies.get_int(m, year) == 1995);
        {
            // One-call reads through a field path, and the batch lookup.
            hollow::field_path title_path = rs.field_path("Movie", "title"), year_path = rs.field_path("Movie", "year");
            EXPECT(by_id.read_string({hollow::key::int64(1)}, title_path) == std::string_view("Heat"));
            EXPECT(!by_id.read_string({hollow::key::int64(2)}, title_path).has_value());
            EXPECT(by_id.read_int({hollow::key::int64(1)}, year_path) == 1995);
            EXPECT(by_id.read_long({hollow::key::int64(1)}, rs.field_path("Movie", "id")) == 1);
            EXPECT(by_id.read_double({hollow::key::int64(1)}, rs.field_path("Movie", "rating")) == 8.5);
            std::string text;
            EXPECT(by_id.copy_string({hollow::key::int64(1)}, title_path, text) && text == "Heat");
            EXPECT(!by_id.copy_string({hollow::key::int64(2)}, title_path, text) && text.empty());
            EXPECT_THROWS(by_id.read_int({hollow::key::int64(1)}, title_path), HOLLOW_STATUS_SCHEMA_MISMATCH);
            EXPECT_THROWS(rs.field_path("Movie", "nope"), HOLLOW_STATUS_SCHEMA);
            std::vector<std::uint32_t> many = by_id.get_many({2, 1, 1});
            EXPECT(many.size() == 3 && many[0] == HOLLOW_NO_ORDINAL && many[1] == m && many[2] == m);
        }
        EXPECT(movies.get_long(m, movies.field_index("id")) == 1);
        EXPECT(movies.get_double(m, movies.field_index("rating")) == 8.5);
        EXPECT(!movies.is_null(m, year));
        auto poster = movies.get_bytes(m, movies.field_index("poster"));
        EXPECT(poster && poster->size == 3 && poster->data[2] == 3);
        EXPECT_THROWS(movies.get_string(m, year), HOLLOW_STATUS_SCHEMA_MISMATCH);
        EXPECT_THROWS(movies.get_float(m, year), HOLLOW_STATUS_SCHEMA_MISMATCH);
        EXPECT_THROWS(movies.get_bool(m, year), HOLLOW_STATUS_SCHEMA_MISMATCH);

        hollow::type_view lists = rs.type("ListOfString"), sets = rs.type("SetOfString");
        hollow::type_view maps = rs.type("MapOfStringToString");
        std::uint32_t tags = *movies.get_reference(m, movies.field_index("tags"));
        EXPECT(lists.list_size(tags) == 2);
        EXPECT(strings.get_string(lists.list_get(tags, 0), 0) == std::string_view("drama"));
        EXPECT(lists.list_elements(tags).size() == 2);
        std::uint32_t genres = *movies.get_reference(m, movies.field_index("genres"));
        EXPECT(sets.set_size(genres) == 2 && sets.set_elements(genres).size() == 2);
        auto crime = sets.set_find(genres, {hollow::key::string("crime")});
        EXPECT(crime && sets.set_contains(genres, *crime));
        std::uint32_t credits = *movies.get_reference(m, movies.field_index("credits"));
        EXPECT(maps.map_size(credits) == 1);
        auto director = maps.map_find(credits, {hollow::key::string("director")});
        EXPECT(director && strings.get_string(director->second, 0) == std::string_view("Michael Mann"));
        EXPECT(maps.map_get(credits, director->first) == director->second);
        EXPECT(maps.map_entries(credits).size() == 1);

        auto by_year = rs.hash_index("Movie", {"year"});
        EXPECT(by_year.find({hollow::key::int32(2004)}).size() == 1);
        EXPECT(by_year.find({hollow::key::int32(1981)}).empty());
        // A key of the wrong kind or length is an error, not "no match".
        EXPECT_THROWS(by_year.find({hollow::key::string("2004")}), HOLLOW_STATUS_INVALID_ARGUMENT);
        EXPECT_THROWS(by_year.find({hollow::key::int32(2004), hollow::key::int32(1)}), HOLLOW_STATUS_INVALID_ARGUMENT);
        EXPECT_THROWS(by_id.get({hollow::key::string("1")}), HOLLOW_STATUS_INVALID_ARGUMENT);

        // The simple string API.
        EXPECT(rs.contains("Collateral") && !rs.contains("Thief"));
        EXPECT(rs.get("Heat") == std::string_view("Heat"));
        EXPECT(!rs.get("Thief").has_value());
        EXPECT(rs.size() == 6);  // Heat, Collateral, drama, crime, director, Michael Mann

        // Prepared reads: the values of the unprepared reads, errors as exceptions.
        hollow::field_path title_path = rs.field_path("Movie", "title"), year_path = rs.field_path("Movie", "year");
        std::optional<hollow::prepared_read> prepared_title(std::in_place, by_id, title_path);
        hollow::prepared_read prepared_year(by_id, year_path);
        EXPECT(prepared_title->read_string(1) == by_id.read_string({hollow::key::int64(1)}, title_path));
        EXPECT(prepared_title->read_string(1) == std::string_view("Heat"));
        EXPECT(!prepared_title->read_string(2).has_value());
        EXPECT(prepared_year.read_int(3) == 2004);
        EXPECT(hollow::prepared_read(by_id, rs.field_path("Movie", "id")).read_long(3) == 3);
        EXPECT(hollow::prepared_read(by_id, rs.field_path("Movie", "rating")).read_double(1) == 8.5);
        {
            auto many = prepared_title->read_string_many({3, 2, 1});
            EXPECT(many.size() == 3 && many[0] == std::string_view("Collateral") && !many[1] &&
                   many[2] == std::string_view("Heat"));
        }
        EXPECT_THROWS(prepared_year.read_string(1), HOLLOW_STATUS_SCHEMA_MISMATCH);
        EXPECT_THROWS(hollow::prepared_read(by_id, rs.field_path("String", "value")), HOLLOW_STATUS_INVALID_ARGUMENT);

        // A read state pins its version while the consumer moves.
        consumer.refresh_to(v1);
        EXPECT(consumer.current_version() == v1);
        EXPECT(rs.version() == v2 && !rs.primary_key_index("Movie").get({hollow::key::int64(2)}));
        hollow::read_state old = consumer.read_state();
        EXPECT(old.primary_key_index("Movie").get({hollow::key::int64(2)}).has_value());
        hollow::read_state moved = std::move(old);  // RAII handles move
        EXPECT(moved.version() == v1);
        // A prepared read keeps its version (v2) after its read state is gone.
        hollow::prepared_read kept = std::move(*prepared_title);
        prepared_title.reset();
        {
            hollow::read_state gone = std::move(rs);
        }
        EXPECT(kept.read_string(3) == std::string_view("Collateral") && !kept.read_string(2));
    }
    EXPECT_THROWS(consumer.refresh_to(v2 + 99), HOLLOW_STATUS_NOT_FOUND);
    EXPECT_THROWS(hollow::blob_store::open_filesystem("/nonexistent/hollow/dir"), HOLLOW_STATUS_NOT_FOUND);
    EXPECT_THROWS(hollow::blob_store::open_url("gopher://x/y"), HOLLOW_STATUS_INVALID_ARGUMENT);
    EXPECT_THROWS(hollow::blob_store::open_url("memory://", {{"poll_jitter", "7"}}), HOLLOW_STATUS_INVALID_ARGUMENT);
    {
        hollow::blob_store url_store = hollow::blob_store::open_url("memory://cpp", {{"poll_interval_ms", "50"}});
        std::int64_t url_v1 = 0;
        {
            hollow::producer p(url_store);
            url_v1 = p.run_cycle([](hollow::write_state &ws) { ws.add_string("by url"); });
        }
        hollow::producer restarted(url_store);
        EXPECT(restarted.restore_announced() == url_v1);
        EXPECT(restarted.current_version() == url_v1);
    }
    EXPECT_THROWS(hollow::producer(store, "Broken {"), HOLLOW_STATUS_SCHEMA);
    {
        // Diffs and incremental cycles: two versions by change lines, their diff, its change set
        // replayed into a second store.
        const std::string schema = "Movie @PrimaryKey(id) { long id; string title; }";
        hollow::blob_store a = hollow::blob_store::new_in_memory(), b = hollow::blob_store::new_in_memory();
        hollow::producer pa(a, schema), pb(b, schema);
        const std::string first = "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":1,\"title\":\"Heat\"}}\n"
                                  "{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":2,\"title\":\"Up\"}}\n";
        std::int64_t a1 = pa.apply_changes(first);
        pb.apply_changes(first);
        std::int64_t a2 =
            pa.apply_changes("{\"op\":\"upsert\",\"type\":\"Movie\",\"record\":{\"id\":1,\"title\":\"Heat 2\"}}");
        EXPECT(a2 > a1);
        EXPECT(pa.last_incremental_stats_json().find("\"upserts\":1") != std::string::npos);
        EXPECT(hollow::producer(hollow::blob_store::new_in_memory(), schema).last_incremental_stats_json() == "null");
        EXPECT_THROWS(pa.apply_changes("{\"op\":\"nope\"}"), HOLLOW_STATUS_INVALID_ARGUMENT);
        hollow::consumer ca(a), cb(b);
        ca.refresh_to(a1);
        hollow::read_state r1 = ca.read_state();
        ca.refresh_to(a2);
        hollow::read_state r2 = ca.read_state();
        hollow::diff d(r1, r2);
        EXPECT(d.type_count() == 1);
        hollow::diff::type_summary movie = d.type_at(0);
        EXPECT(movie.name == "Movie" && movie.modified == 1 && movie.unchanged == 1 && movie.added == 0);
        EXPECT(d.change_count(0) == 1);
        hollow::diff::change c = d.change_at(0, 0);
        EXPECT(c.kind == HOLLOW_DIFF_CHANGE_KIND_MODIFIED && c.key_json == "[1]" && c.fields == "title");
        EXPECT(c.new_json.find("Heat 2") != std::string_view::npos);
        EXPECT_THROWS(d.type_at(1), HOLLOW_STATUS_INVALID_ARGUMENT);
        hollow::diff counted(r1, r2, {"Movie"}, 0);  // counts only, no details
        EXPECT(counted.type_at(0).modified == 1 && counted.change_count(0) == 0);
        EXPECT(hollow::diff(r1, r2, {"Other"}).type_count() == 0);
        EXPECT_THROWS(d.change_at(0, 1), HOLLOW_STATUS_INVALID_ARGUMENT);
        pb.apply_changes(d.change_set_json());
        cb.refresh();
        hollow::diff same(r2, cb.read_state());
        EXPECT(same.change_count(0) == 0 && same.change_set_json().empty());
        EXPECT(ca.metrics_json().find("\"refreshes_succeeded\":2") != std::string::npos);
        EXPECT(pa.metrics_json().find("\"cycles_succeeded\":2") != std::string::npos);
    }

    std::printf("wrapper_test: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
