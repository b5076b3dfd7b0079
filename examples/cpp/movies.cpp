// A producer and a consumer of a small movie catalog, through the C++ wrapper (bindings/cpp/hollow.hpp):
// publish two versions to a directory in Java Hollow's layout, then read the latest back, walking every
// movie, looking one up by primary key and finding movies by year.
//
// Build against an installed libhollow (see the README's "Use from C/C++" section):
//
//     c++ -std=c++17 movies.cpp $(pkg-config --cflags --libs hollow) -o movies
//     ./movies /tmp/movies
//
// Errors are `hollow::error` exceptions carrying the status code and the library's message.

#include <cstdio>
#include <string>
#include <vector>

#include "hollow.hpp"

namespace {

const char *const SCHEMAS =
    "Movie @PrimaryKey(id) { long id; String title; int year; }\n"
    "String { string value; }\n";

struct movie {
    std::int64_t id;
    const char *title;
    std::int32_t year;
};

// Version 1 has the first four movies; version 2 drops "Thief" and adds "Collateral".
const std::vector<movie> V1 = {{1, "Heat", 1995}, {2, "Thief", 1981}, {3, "Insider", 1999}, {4, "Ali", 2001}};
const std::vector<movie> V2 = {{1, "Heat", 1995}, {3, "Insider", 1999}, {4, "Ali", 2001}, {5, "Collateral", 2004}};

std::int64_t publish(hollow::producer &producer, const std::vector<movie> &movies) {
    return producer.run_cycle([&](hollow::write_state &ws) {
        hollow::object_record title, m;
        for (const movie &each : movies) {
            std::uint32_t t = ws.add_object("String", title.clear().set_string("value", each.title));
            ws.add_object("Movie", m.clear().set_long("id", each.id).set_reference("title", t).set_int("year", each.year));
        }
    });
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    try {
        {
            hollow::producer producer(hollow::blob_store::create_filesystem(dir), SCHEMAS);
            std::int64_t v1 = publish(producer, V1);
            std::int64_t v2 = publish(producer, V2);
            std::printf("published versions %lld and %lld\n", static_cast<long long>(v1), static_cast<long long>(v2));
        }

        hollow::consumer consumer(hollow::blob_store::open_filesystem(dir));
        consumer.refresh();
        hollow::read_state rs = consumer.read_state();
        hollow::type_view movies = rs.type("Movie"), strings = rs.type("String");
        const std::size_t id = movies.field_index("id"), title = movies.field_index("title");
        const std::size_t year = movies.field_index("year");
        auto title_of = [&](std::uint32_t m) { return std::string(*strings.get_string(*movies.get_reference(m, title), 0)); };

        std::printf("version %lld: %zu movies\n", static_cast<long long>(rs.version()), movies.populated_count());
        // Every movie, skipping the ordinal "Thief" left behind, without probing ordinals one by one.
        for (std::uint32_t m : movies.populated_ordinals()) {
            std::printf("  movie %lld: %s (%d)\n", static_cast<long long>(*movies.get_long(m, id)), title_of(m).c_str(),
                        *movies.get_int(m, year));
        }

        hollow::primary_key_index by_id = rs.primary_key_index("Movie");
        if (auto m = by_id.get({hollow::key::int64(5)})) {
            std::printf("id 5 -> %s\n", title_of(*m).c_str());
        }
        std::printf("id 2 -> %s\n", by_id.get({hollow::key::int64(2)}) ? "found" : "not found");

        hollow::hash_index by_year = rs.hash_index("Movie", {"year"});
        std::printf("movies of 1999: %zu\n", by_year.find({hollow::key::int32(1999)}).size());

        // A key of the wrong kind is an error that says why, not an empty result.
        try {
            by_id.get({hollow::key::string("5")});
        } catch (const hollow::error &e) {
            std::printf("string key: status %d, %s\n", static_cast<int>(e.code()), e.what());
        }
    } catch (const hollow::error &e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
