/* The dataset of the C examples: movies, as in Hollow's schema language. Shared by producer.c,
 * consumer.c and bench_get.c. */
#ifndef HOLLOW_EXAMPLE_MOVIES_H
#define HOLLOW_EXAMPLE_MOVIES_H

static const char MOVIE_SCHEMAS[] =
    "Movie @PrimaryKey(id) { long id; String title; int year; double rating; ListOfString tags; }\n"
    "String { string value; }\n"
    "ListOfString List<String>;\n";

#endif
