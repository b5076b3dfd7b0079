/* A minimal test harness for the C tests of libhollow: checks count and report instead of aborting, so
 * one run lists every failure. Each test program includes this once. */
#ifndef HOLLOW_TEST_CHECK_H
#define HOLLOW_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "hollow.h"

static int check_passed;
static int check_failed;

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (cond) {                                                                         \
            check_passed++;                                                                 \
        } else {                                                                            \
            check_failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);        \
        }                                                                                   \
    } while (0)

/* Check that `call` returns `expected`; on a mismatch, print the status and the last error message. */
#define CHECK_STATUS(call, expected)                                                                      \
    do {                                                                                                  \
        hollow_status check_s_ = (call);                                                                  \
        if (check_s_ == (expected)) {                                                                     \
            check_passed++;                                                                               \
        } else {                                                                                          \
            check_failed++;                                                                               \
            fprintf(stderr, "%s:%d: %s returned %d (%s), expected %d; last error: %s\n", __FILE__,      \
                    __LINE__, #call, (int)check_s_, hollow_status_message(check_s_), (int)(expected),    \
                    hollow_last_error_message());                                                         \
        }                                                                                                 \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, HOLLOW_STATUS_OK)

/* Check that a hollow_str equals the C string `expected`. */
#define CHECK_STR(hs, expected) CHECK(str_equals((hs), (expected)))

/* Check that the last error message on this thread contains `fragment`. */
#define CHECK_LAST_ERROR_HAS(fragment) CHECK(strstr(hollow_last_error_message(), (fragment)) != NULL)

static int str_equals(hollow_str s, const char *expected) {
    size_t n = strlen(expected);
    return s.ptr != NULL && s.len == n && memcmp(s.ptr, expected, n) == 0;
}

/* Print the closing line ("<name>: N passed, N failed") and return the process exit code. */
static int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif /* HOLLOW_TEST_CHECK_H */
