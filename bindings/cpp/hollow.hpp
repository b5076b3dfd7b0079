// hollow.hpp: C++17 wrappers over libhollow's C API (hollow.h). Header-only.
//
// * Owning handles are RAII classes (movable, not copyable): blob_store, producer, consumer, read_state,
//   object_record. Their destructors call the matching _free function.
// * Borrowed handles are small value types valid as long as their owner: type_view, primary_key_index and
//   hash_index (until the read_state is destroyed), write_state (during a populate callback).
// * prepared_read owns what it reads (its version of the dataset): it stays valid after the read_state
//   it was made from is destroyed.
// * Every failing call throws hollow::error, which carries the hollow_status and the library's detailed
//   message.
// * Strings returned are std::string_view into memory owned by the read_state; copy them to keep them.
// * Thread safety is the C API's: consumer, read_state and the views it hands out may be used from many
//   threads at once; producer, write_state and object_record from one thread at a time.
#ifndef HOLLOW_HPP
#define HOLLOW_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hollow.h"

namespace hollow {

/// A failed libhollow call: the status code and the library's message.
class error : public std::runtime_error {
public:
    error(hollow_status code, const std::string &message) : std::runtime_error(message), code_(code) {}

    /// The stable status code (HOLLOW_STATUS_*).
    hollow_status code() const noexcept { return code_; }

private:
    hollow_status code_;
};

/// What version functions return before any version is loaded.
constexpr std::int64_t no_version = HOLLOW_VERSION_NONE;

namespace detail {

inline void check(hollow_status status) {
    if (status != HOLLOW_STATUS_OK) {
        throw error(status, std::string(hollow_status_message(status)) + ": " + hollow_last_error_message());
    }
}

inline std::string_view view(hollow_str s) { return std::string_view(s.ptr, s.len); }

/// Text copied out by a `(buffer, capacity, out_len)` function `f`: sized first, then copied (again, if it
/// grew in between).
template <class F>
std::string copied_text(F &&f) {
    std::string text;
    std::size_t len = 0;
    check(f(nullptr, 0, &len));
    while (true) {
        text.resize(len + 1);
        std::size_t needed = 0;
        check(f(&text[0], text.size(), &needed));
        if (needed <= len) {
            text.resize(needed);
            return text;
        }
        len = needed;
    }
}

template <class T, void (*Free)(T *)>
struct deleter {
    void operator()(T *p) const noexcept { Free(p); }
};

template <class T, void (*Free)(T *)>
using owned = std::unique_ptr<T, deleter<T, Free>>;

inline hollow_key_value key_of(hollow_field_type type) {
    hollow_key_value k{};
    k.field_type = type;
    return k;
}

}  // namespace detail

/// Key field values for index and hash-key lookups.
namespace key {
inline hollow_key_value int32(std::int32_t v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_INT);
    k.value.int_value = v;
    return k;
}
inline hollow_key_value int64(std::int64_t v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_LONG);
    k.value.long_value = v;
    return k;
}
inline hollow_key_value float32(float v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_FLOAT);
    k.value.float_value = v;
    return k;
}
inline hollow_key_value float64(double v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_DOUBLE);
    k.value.double_value = v;
    return k;
}
inline hollow_key_value boolean(bool v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_BOOLEAN);
    k.value.bool_value = v;
    return k;
}
/// The text must outlive the lookup it is used in.
inline hollow_key_value string(std::string_view v) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_STRING);
    k.value.string_value = hollow_str{v.data(), v.size()};
    return k;
}
inline hollow_key_value bytes(const std::uint8_t *data, std::size_t size) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_BYTES);
    k.value.bytes_value = hollow_bytes{data, size};
    return k;
}
inline hollow_key_value reference(std::uint32_t ordinal) {
    hollow_key_value k = detail::key_of(HOLLOW_FIELD_TYPE_REFERENCE);
    k.value.reference_value = ordinal;
    return k;
}
}  // namespace key

/// Bytes read from a record: valid until the read_state is destroyed.
struct bytes_view {
    const std::uint8_t *data;
    std::size_t size;
};

/// Where blobs and the announced version live. Producers and consumers share the store itself, so a
/// blob_store may be destroyed once they are made.
class blob_store {
public:
    // Named as the C functions they call, without `hollow_blob_store_` (see docs/naming.md).

    /// An in-memory store, for a producer and consumers in one process.
    static blob_store new_in_memory() {
        hollow_blob_store *h = nullptr;
        detail::check(hollow_blob_store_new_in_memory(&h));
        return blob_store(h);
    }
    /// A directory in Java Hollow's layout, created if missing (for a producer).
    static blob_store create_filesystem(const std::string &path) {
        hollow_blob_store *h = nullptr;
        detail::check(hollow_blob_store_create_filesystem(path.c_str(), &h));
        return blob_store(h);
    }
    /// An existing directory (for a consumer); throws HOLLOW_STATUS_NOT_FOUND if it is missing.
    static blob_store open_filesystem(const std::string &path) {
        hollow_blob_store *h = nullptr;
        detail::check(hollow_blob_store_open_filesystem(path.c_str(), &h));
        return blob_store(h);
    }

    /// The store at `url` (a directory path, `file://`, `memory://`, `s3://bucket/prefix`, `gs://...`,
    /// `az://...`), with `options` as key/value pairs (`{{"aws_region", "eu-west-1"}}`; see
    /// `hollow_blob_store_open_url`).
    static blob_store open_url(const std::string &url,
                               const std::vector<std::pair<std::string, std::string>> &options = {}) {
        std::vector<hollow_store_option> opts;
        opts.reserve(options.size());
        for (const auto &o : options) {
            opts.push_back(hollow_store_option{o.first.c_str(), o.second.c_str()});
        }
        hollow_blob_store *h = nullptr;
        detail::check(hollow_blob_store_open_url(url.c_str(), opts.data(), opts.size(), &h));
        return blob_store(h);
    }

    [[deprecated("renamed new_in_memory, as hollow_blob_store_new_in_memory")]] static blob_store in_memory() {
        return new_in_memory();
    }
    [[deprecated("renamed create_filesystem, as hollow_blob_store_create_filesystem")]] static blob_store
    create_directory(const std::string &path) {
        return create_filesystem(path);
    }
    [[deprecated("renamed open_filesystem, as hollow_blob_store_open_filesystem")]] static blob_store
    open_directory(const std::string &path) {
        return open_filesystem(path);
    }

    const hollow_blob_store *get() const noexcept { return handle_.get(); }

private:
    explicit blob_store(hollow_blob_store *h) : handle_(h) {}
    detail::owned<hollow_blob_store, hollow_blob_store_free> handle_;
};

/// An OBJECT record being built; reusable after clear(). Setters return *this for chaining.
class object_record {
public:
    object_record() {
        hollow_object_record *h = nullptr;
        detail::check(hollow_object_record_new(&h));
        handle_.reset(h);
    }

    object_record &clear() {
        detail::check(hollow_object_record_clear(handle_.get()));
        return *this;
    }
    object_record &set_null(const std::string &field) {
        detail::check(hollow_object_record_set_null(handle_.get(), field.c_str()));
        return *this;
    }
    object_record &set_int(const std::string &field, std::int32_t v) {
        detail::check(hollow_object_record_set_int(handle_.get(), field.c_str(), v));
        return *this;
    }
    object_record &set_long(const std::string &field, std::int64_t v) {
        detail::check(hollow_object_record_set_long(handle_.get(), field.c_str(), v));
        return *this;
    }
    object_record &set_float(const std::string &field, float v) {
        detail::check(hollow_object_record_set_float(handle_.get(), field.c_str(), v));
        return *this;
    }
    object_record &set_double(const std::string &field, double v) {
        detail::check(hollow_object_record_set_double(handle_.get(), field.c_str(), v));
        return *this;
    }
    object_record &set_bool(const std::string &field, bool v) {
        detail::check(hollow_object_record_set_bool(handle_.get(), field.c_str(), v));
        return *this;
    }
    object_record &set_string(const std::string &field, const std::string &v) {
        detail::check(hollow_object_record_set_string(handle_.get(), field.c_str(), v.c_str()));
        return *this;
    }
    object_record &set_bytes(const std::string &field, const std::uint8_t *data, std::size_t size) {
        detail::check(hollow_object_record_set_bytes(handle_.get(), field.c_str(), data, size));
        return *this;
    }
    object_record &set_reference(const std::string &field, std::uint32_t ordinal) {
        detail::check(hollow_object_record_set_reference(handle_.get(), field.c_str(), ordinal));
        return *this;
    }

    const hollow_object_record *get() const noexcept { return handle_.get(); }

private:
    detail::owned<hollow_object_record, hollow_object_record_free> handle_;
};

/// The records of the version being built; valid only inside producer::run_cycle's callback.
class write_state {
public:
    explicit write_state(hollow_write_state *ws) noexcept : ws_(ws) {}

    std::int64_t version() const {
        std::int64_t v = 0;
        detail::check(hollow_write_state_version(ws_, &v));
        return v;
    }
    std::uint32_t add_string(const std::string &value) {
        std::uint32_t o = 0;
        detail::check(hollow_write_state_add_string(ws_, value.c_str(), &o));
        return o;
    }
    std::uint32_t add_object(const std::string &type, const object_record &record) {
        std::uint32_t o = 0;
        detail::check(hollow_write_state_add_object(ws_, type.c_str(), record.get(), &o));
        return o;
    }
    std::uint32_t add_list(const std::string &type, const std::vector<std::uint32_t> &elements) {
        std::uint32_t o = 0;
        detail::check(hollow_write_state_add_list(ws_, type.c_str(), elements.data(), elements.size(), &o));
        return o;
    }
    std::uint32_t add_set(const std::string &type, const std::vector<std::uint32_t> &elements) {
        std::uint32_t o = 0;
        detail::check(hollow_write_state_add_set(ws_, type.c_str(), elements.data(), elements.size(), &o));
        return o;
    }
    std::uint32_t add_map(const std::string &type, const std::vector<std::pair<std::uint32_t, std::uint32_t>> &entries) {
        std::vector<std::uint32_t> keys, values;
        keys.reserve(entries.size());
        values.reserve(entries.size());
        for (const auto &e : entries) {
            keys.push_back(e.first);
            values.push_back(e.second);
        }
        std::uint32_t o = 0;
        detail::check(hollow_write_state_add_map(ws_, type.c_str(), keys.data(), values.data(), keys.size(), &o));
        return o;
    }

private:
    hollow_write_state *ws_;
};

/// Publishes versions to a blob store. Use from one thread at a time.
class producer {
public:
    /// `schemas` in Hollow's schema language; empty for the simple string dataset only.
    explicit producer(const blob_store &store, const std::string &schemas = std::string()) {
        hollow_producer *h = nullptr;
        detail::check(hollow_producer_new(store.get(), schemas.empty() ? nullptr : schemas.c_str(), &h));
        handle_.reset(h);
    }

    /// Run a cycle: `populate(write_state&)` adds every record of the new version. Returns the version
    /// announced. An exception thrown by `populate` abandons the cycle and is rethrown here.
    template <class F>
    std::int64_t run_cycle(F &&populate) {
        struct context {
            F *populate;
            std::exception_ptr failure;
        } ctx{&populate, nullptr};
        hollow_populate_fn trampoline = [](hollow_write_state *ws, void *user_data) -> std::int32_t {
            auto *c = static_cast<context *>(user_data);
            try {
                write_state w(ws);
                (*c->populate)(w);
                return HOLLOW_STATUS_OK;
            } catch (...) {  // exceptions must not unwind through the C library
                c->failure = std::current_exception();
                return HOLLOW_STATUS_CALLBACK_FAILED;
            }
        };
        std::int64_t version = 0;
        hollow_status status = hollow_producer_run_cycle(handle_.get(), trampoline, &ctx, &version);
        if (ctx.failure) {
            std::rethrow_exception(ctx.failure);
        }
        detail::check(status);
        return version;
    }

    /// After a restart: carry on from the version the store announces (returned).
    std::int64_t restore_announced() {
        std::int64_t v = 0;
        detail::check(hollow_producer_restore_announced(handle_.get(), &v));
        return v;
    }

    /// The last announced version, or no_version.
    std::int64_t current_version() const {
        std::int64_t v = 0;
        detail::check(hollow_producer_current_version(handle_.get(), &v));
        return v;
    }

    /// What the last incremental cycle did, as JSON (`null` before the first; see
    /// hollow_producer_last_incremental_stats_json).
    std::string last_incremental_stats_json() const {
        return detail::copied_text([this](char *b, std::size_t c, std::size_t *n) {
            return hollow_producer_last_incremental_stats_json(handle_.get(), b, c, n);
        });
    }
    /// An incremental cycle from change lines (see hollow_producer_apply_changes); returns the version
    /// announced (the current one if nothing changed).
    std::int64_t apply_changes(const std::string &json_lines) {
        std::int64_t v = 0;
        detail::check(hollow_producer_apply_changes(handle_.get(), json_lines.c_str(), &v));
        return v;
    }

    /// The producer's counters as a JSON object (see hollow_producer_metrics_json).
    std::string metrics_json() const {
        return detail::copied_text([this](char *b, std::size_t c, std::size_t *n) {
            return hollow_producer_metrics_json(handle_.get(), b, c, n);
        });
    }

private:
    detail::owned<hollow_producer, hollow_producer_free> handle_;
};

/// A type of one read state's version. Valid until that read_state is destroyed.
class type_view {
public:
    explicit type_view(const hollow_type *t) noexcept : t_(t) {}

    std::string_view name() const {
        hollow_str s;
        detail::check(hollow_type_name(t_, &s));
        return detail::view(s);
    }
    hollow_kind kind() const {
        hollow_kind k;
        detail::check(hollow_type_kind(t_, &k));
        return k;
    }
    std::string_view schema() const {
        hollow_str s;
        detail::check(hollow_type_schema(t_, &s));
        return detail::view(s);
    }
    std::int32_t max_ordinal() const {
        std::int32_t m = 0;
        detail::check(hollow_type_max_ordinal(t_, &m));
        return m;
    }
    std::size_t populated_count() const {
        std::size_t n = 0;
        detail::check(hollow_type_populated_count(t_, &n));
        return n;
    }
    bool is_populated(std::uint32_t ordinal) const {
        bool b = false;
        detail::check(hollow_type_is_populated(t_, ordinal, &b));
        return b;
    }
    /// The populated ordinals, ascending, as a range read in batches through
    /// `hollow_type_populated_ordinals` (no probing of unpopulated ordinals):
    /// `for (std::uint32_t o : ty.populated_ordinals()) { ... }`.
    class ordinal_range {
    public:
        class iterator {
        public:
            using iterator_category = std::input_iterator_tag;
            using value_type = std::uint32_t;
            using difference_type = std::ptrdiff_t;
            using pointer = const std::uint32_t *;
            using reference = const std::uint32_t &;

            iterator() noexcept = default;
            explicit iterator(const hollow_type *t) : t_(t) { fetch(0); }
            reference operator*() const noexcept { return batch_[at_]; }
            iterator &operator++() {
                if (++at_ == count_) {
                    // A short batch was the last one.
                    if (count_ < batch_.size()) {
                        t_ = nullptr;
                    } else {
                        fetch(batch_[count_ - 1] + 1);
                    }
                }
                return *this;
            }
            void operator++(int) { ++*this; }
            friend bool operator==(const iterator &a, const iterator &b) noexcept { return a.t_ == b.t_; }
            friend bool operator!=(const iterator &a, const iterator &b) noexcept { return !(a == b); }

        private:
            void fetch(std::uint32_t from) {
                detail::check(hollow_type_populated_ordinals(t_, from, batch_.data(), batch_.size(), &count_));
                at_ = 0;
                if (count_ == 0) {
                    t_ = nullptr;  // the end
                }
            }
            const hollow_type *t_ = nullptr;
            std::array<std::uint32_t, 256> batch_{};
            std::size_t count_ = 0;
            std::size_t at_ = 0;
        };

        explicit ordinal_range(const hollow_type *t) noexcept : t_(t) {}
        iterator begin() const { return iterator(t_); }
        iterator end() const noexcept { return iterator(); }

    private:
        const hollow_type *t_;
    };

    ordinal_range populated_ordinals() const noexcept { return ordinal_range(t_); }

    /// Every record of the type at this version, ascending, collected.
    std::vector<std::uint32_t> ordinals() const {
        std::vector<std::uint32_t> out;
        out.reserve(populated_count());
        for (std::uint32_t o : populated_ordinals()) {
            out.push_back(o);
        }
        return out;
    }

    // OBJECT types.
    std::size_t field_count() const {
        std::size_t n = 0;
        detail::check(hollow_type_field_count(t_, &n));
        return n;
    }
    std::size_t field_index(const std::string &name) const {
        std::size_t f = 0;
        detail::check(hollow_type_field_index(t_, name.c_str(), &f));
        return f;
    }
    std::string_view field_name(std::size_t field) const {
        hollow_str s;
        detail::check(hollow_type_field_name(t_, field, &s));
        return detail::view(s);
    }
    hollow_field_type field_type(std::size_t field) const {
        hollow_field_type t;
        detail::check(hollow_type_field_type(t_, field, &t));
        return t;
    }
    bool is_null(std::uint32_t ordinal, std::size_t field) const {
        bool b = false;
        detail::check(hollow_object_is_null(t_, ordinal, field, &b));
        return b;
    }
    std::optional<std::int32_t> get_int(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_int, ordinal, field);
    }
    std::optional<std::int64_t> get_long(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_long, ordinal, field);
    }
    std::optional<float> get_float(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_float, ordinal, field);
    }
    std::optional<double> get_double(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_double, ordinal, field);
    }
    std::optional<bool> get_bool(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_bool, ordinal, field);
    }
    std::optional<std::uint32_t> get_reference(std::uint32_t ordinal, std::size_t field) const {
        return read_fixed(hollow_object_get_reference, ordinal, field);
    }
    std::optional<std::string_view> get_string(std::uint32_t ordinal, std::size_t field) const {
        hollow_str s;
        bool is_null = false;
        detail::check(hollow_object_get_string(t_, ordinal, field, &s, &is_null));
        return is_null ? std::nullopt : std::optional<std::string_view>(detail::view(s));
    }
    /// A string field copied out, keeping nothing in the read state.
    std::optional<std::string> copy_string(std::uint32_t ordinal, std::size_t field) const {
        std::size_t len = 0;
        bool is_null = false;
        detail::check(hollow_object_copy_string(t_, ordinal, field, nullptr, 0, &len, &is_null));
        if (is_null) {
            return std::nullopt;
        }
        std::string out(len + 1, '\0');
        detail::check(hollow_object_copy_string(t_, ordinal, field, &out[0], out.size(), &len, &is_null));
        out.resize(len);
        return out;
    }
    std::optional<bytes_view> get_bytes(std::uint32_t ordinal, std::size_t field) const {
        hollow_bytes b;
        bool is_null = false;
        detail::check(hollow_object_get_bytes(t_, ordinal, field, &b, &is_null));
        return is_null ? std::nullopt : std::optional<bytes_view>(bytes_view{b.ptr, b.len});
    }

    // LIST types.
    std::size_t list_size(std::uint32_t ordinal) const {
        std::size_t n = 0;
        detail::check(hollow_list_size(t_, ordinal, &n));
        return n;
    }
    std::uint32_t list_get(std::uint32_t ordinal, std::size_t index) const {
        std::uint32_t e = 0;
        detail::check(hollow_list_get(t_, ordinal, index, &e));
        return e;
    }
    std::vector<std::uint32_t> list_elements(std::uint32_t ordinal) const {
        std::vector<std::uint32_t> out(list_size(ordinal));
        for (std::size_t i = 0; i < out.size(); i++) {
            out[i] = list_get(ordinal, i);
        }
        return out;
    }

    // SET types.
    std::size_t set_size(std::uint32_t ordinal) const {
        std::size_t n = 0;
        detail::check(hollow_set_size(t_, ordinal, &n));
        return n;
    }
    std::vector<std::uint32_t> set_elements(std::uint32_t ordinal) const {
        std::size_t n = 0;
        detail::check(hollow_set_elements(t_, ordinal, nullptr, 0, &n));
        std::vector<std::uint32_t> out(n);
        detail::check(hollow_set_elements(t_, ordinal, out.data(), out.size(), &n));
        return out;
    }
    bool set_contains(std::uint32_t ordinal, std::uint32_t element) const {
        bool b = false;
        detail::check(hollow_set_contains(t_, ordinal, element, &b));
        return b;
    }
    std::optional<std::uint32_t> set_find(std::uint32_t ordinal, std::initializer_list<hollow_key_value> key) const {
        std::uint32_t e = 0;
        bool found = false;
        detail::check(hollow_set_find(t_, ordinal, key.begin(), key.size(), &e, &found));
        return found ? std::optional<std::uint32_t>(e) : std::nullopt;
    }

    // MAP types.
    std::size_t map_size(std::uint32_t ordinal) const {
        std::size_t n = 0;
        detail::check(hollow_map_size(t_, ordinal, &n));
        return n;
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> map_entries(std::uint32_t ordinal) const {
        std::size_t n = 0;
        detail::check(hollow_map_entries(t_, ordinal, nullptr, nullptr, 0, &n));
        std::vector<std::uint32_t> keys(n), values(n);
        detail::check(hollow_map_entries(t_, ordinal, keys.data(), values.data(), n, &n));
        std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
        for (std::size_t i = 0; i < n; i++) {
            out.emplace_back(keys[i], values[i]);
        }
        return out;
    }
    std::optional<std::uint32_t> map_get(std::uint32_t ordinal, std::uint32_t key) const {
        std::uint32_t v = 0;
        bool found = false;
        detail::check(hollow_map_get(t_, ordinal, key, &v, &found));
        return found ? std::optional<std::uint32_t>(v) : std::nullopt;
    }
    /// (key ordinal, value ordinal) of the entry whose key's hash key is `key`.
    std::optional<std::pair<std::uint32_t, std::uint32_t>> map_find(std::uint32_t ordinal,
                                                                    std::initializer_list<hollow_key_value> key) const {
        std::uint32_t k = 0, v = 0;
        bool found = false;
        detail::check(hollow_map_find(t_, ordinal, key.begin(), key.size(), &k, &v, &found));
        return found ? std::optional<std::pair<std::uint32_t, std::uint32_t>>(std::make_pair(k, v)) : std::nullopt;
    }

    const hollow_type *get() const noexcept { return t_; }

private:
    template <class T>
    std::optional<T> read_fixed(hollow_status (*getter)(const hollow_type *, std::uint32_t, std::size_t, T *, bool *),
                         std::uint32_t ordinal, std::size_t field) const {
        T value{};
        bool is_null = false;
        detail::check(getter(t_, ordinal, field, &value, &is_null));
        return is_null ? std::nullopt : std::optional<T>(value);
    }

    const hollow_type *t_;
};

/// A primary-key index of one read state's version.
/// A field reached from a type through references (read_state::field_path), for the one-call reads of
/// primary_key_index.
class field_path {
public:
    explicit field_path(const hollow_field_path *p) noexcept : p_(p) {}
    const hollow_field_path *get() const noexcept { return p_; }

private:
    const hollow_field_path *p_;
};

class primary_key_index {
public:
    explicit primary_key_index(const hollow_primary_key_index *i) noexcept : i_(i) {}
    const hollow_primary_key_index *get() const noexcept { return i_; }

    /// The ordinal of the record with this key (one value per key field), if any.
    std::optional<std::uint32_t> get(std::initializer_list<hollow_key_value> key) const {
        std::uint32_t o = 0;
        bool found = false;
        detail::check(hollow_primary_key_index_get(i_, key.begin(), key.size(), &o, &found));
        return found ? std::optional<std::uint32_t>(o) : std::nullopt;
    }

    /// The ordinals of the records with these keys (a key of one int or long field), in one call:
    /// HOLLOW_NO_ORDINAL where no record has the key.
    std::vector<std::uint32_t> get_many(const std::vector<std::int64_t> &keys) const {
        std::vector<std::uint32_t> out(keys.size());
        detail::check(hollow_primary_key_index_get_many_i64(i_, keys.data(), keys.size(), out.data(), nullptr));
        return out;
    }

    /// The field at `path` of the record with this key, in one call: nullopt when there is no such
    /// record or the field is null.
    std::optional<std::int32_t> read_int(std::initializer_list<hollow_key_value> key, field_path path) const {
        std::int32_t v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_primary_key_index_read_int(i_, key.begin(), key.size(), path.get(), &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::int32_t>(v) : std::nullopt;
    }
    std::optional<std::int64_t> read_long(std::initializer_list<hollow_key_value> key, field_path path) const {
        std::int64_t v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_primary_key_index_read_long(i_, key.begin(), key.size(), path.get(), &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::int64_t>(v) : std::nullopt;
    }
    std::optional<double> read_double(std::initializer_list<hollow_key_value> key, field_path path) const {
        double v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_primary_key_index_read_double(i_, key.begin(), key.size(), path.get(), &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<double>(v) : std::nullopt;
    }
    /// As read_int, for a string field; the view is valid while the read state lives.
    std::optional<std::string_view> read_string(std::initializer_list<hollow_key_value> key,
                                                field_path path) const {
        hollow_str v;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_primary_key_index_read_string(i_, key.begin(), key.size(), path.get(), &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::string_view>(detail::view(v)) : std::nullopt;
    }
    /// As read_string, copied into `out` (cleared when there is no value), keeping nothing in the read
    /// state; true when there was a value.
    bool copy_string(std::initializer_list<hollow_key_value> key, field_path path, std::string &out) const {
        std::size_t len = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        out.resize(out.capacity() > 0 ? out.capacity() : 15);
        detail::check(hollow_primary_key_index_copy_string(i_, key.begin(), key.size(), path.get(), out.data(),
                                                           out.size() + 1, &len, &f));
        if (len > out.size()) {
            out.resize(len);
            detail::check(hollow_primary_key_index_copy_string(i_, key.begin(), key.size(), path.get(),
                                                               out.data(), out.size() + 1, &len, &f));
        }
        out.resize(len);
        return f == HOLLOW_FOUND_VALUE;
    }

private:
    const hollow_primary_key_index *i_;
};

/// The field at a path of the record with a given key, for an index whose key is one int or long field:
/// the index, the path and the field's kind are checked once, here, so a read by key costs the lookup and
/// the field read. Keeps its version of the dataset alive: valid (reading that version) after the
/// read_state it was made from is destroyed; strings it returns are valid while it lives. Usable from many
/// threads at once.
class prepared_read {
public:
    prepared_read(primary_key_index index, field_path path) {
        hollow_prepared_read *p = nullptr;
        detail::check(hollow_prepared_read_new(index.get(), path.get(), &p));
        handle_.reset(p);
    }

    /// The field of the record with key `key`: nullopt when there is no such record or the field is null.
    std::optional<std::int32_t> read_int(std::int64_t key) const {
        std::int32_t v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_prepared_read_int(handle_.get(), key, &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::int32_t>(v) : std::nullopt;
    }
    std::optional<std::int64_t> read_long(std::int64_t key) const {
        std::int64_t v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_prepared_read_long(handle_.get(), key, &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::int64_t>(v) : std::nullopt;
    }
    std::optional<double> read_double(std::int64_t key) const {
        double v = 0;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_prepared_read_double(handle_.get(), key, &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<double>(v) : std::nullopt;
    }
    /// As read_int, for a string field; the view is valid while this prepared_read lives.
    std::optional<std::string_view> read_string(std::int64_t key) const {
        hollow_str v;
        hollow_found f = HOLLOW_FOUND_NO_RECORD;
        detail::check(hollow_prepared_read_string(handle_.get(), key, &v, &f));
        return f == HOLLOW_FOUND_VALUE ? std::optional<std::string_view>(detail::view(v)) : std::nullopt;
    }
    /// read_string for many keys in one call (their lookups overlap).
    std::vector<std::optional<std::string_view>> read_string_many(const std::vector<std::int64_t> &keys) const {
        std::vector<hollow_str> values(keys.size());
        std::vector<hollow_found> found(keys.size());
        detail::check(hollow_prepared_read_string_many(handle_.get(), keys.data(), keys.size(), values.data(),
                                                       found.data()));
        std::vector<std::optional<std::string_view>> out;
        out.reserve(keys.size());
        for (std::size_t i = 0; i < keys.size(); i++) {
            out.push_back(found[i] == HOLLOW_FOUND_VALUE ? std::optional<std::string_view>(detail::view(values[i]))
                                                         : std::nullopt);
        }
        return out;
    }

    const hollow_prepared_read *get() const noexcept { return handle_.get(); }

private:
    detail::owned<hollow_prepared_read, hollow_prepared_read_free> handle_;
};

/// A hash index of one read state's version.
class hash_index {
public:
    explicit hash_index(const hollow_hash_index *i) noexcept : i_(i) {}

    /// The ordinals of every record with this key.
    std::vector<std::uint32_t> find(std::initializer_list<hollow_key_value> key) const {
        std::size_t n = 0;
        detail::check(hollow_hash_index_find(i_, key.begin(), key.size(), nullptr, 0, &n));
        std::vector<std::uint32_t> out(n);
        detail::check(hollow_hash_index_find(i_, key.begin(), key.size(), out.data(), out.size(), &n));
        out.resize(n);
        return out;
    }

private:
    const hollow_hash_index *i_;
};

/// One pinned version. Views and strings obtained from it are valid until it is destroyed.
class read_state {
public:
    explicit read_state(hollow_read_state *h) noexcept : handle_(h) {}

    std::int64_t version() const {
        std::int64_t v = 0;
        detail::check(hollow_read_state_version(handle_.get(), &v));
        return v;
    }
    /// The simple string dataset (type String): its size, lookups.
    std::size_t size() const {
        std::size_t n = 0;
        detail::check(hollow_read_state_size(handle_.get(), &n));
        return n;
    }
    std::optional<std::string_view> get(const std::string &key) const {
        hollow_str s;
        bool found = false;
        detail::check(hollow_read_state_get(handle_.get(), key.c_str(), &s, &found));
        return found ? std::optional<std::string_view>(detail::view(s)) : std::nullopt;
    }
    bool contains(const std::string &key) const {
        bool b = false;
        detail::check(hollow_read_state_contains(handle_.get(), key.c_str(), &b));
        return b;
    }
    std::size_t type_count() const {
        std::size_t n = 0;
        detail::check(hollow_read_state_type_count(handle_.get(), &n));
        return n;
    }
    type_view type(const std::string &name) const {
        const hollow_type *t = nullptr;
        detail::check(hollow_read_state_type(handle_.get(), name.c_str(), &t));
        return type_view(t);
    }
    type_view type_at(std::size_t index) const {
        const hollow_type *t = nullptr;
        detail::check(hollow_read_state_type_at(handle_.get(), index, &t));
        return type_view(t);
    }
    hollow::primary_key_index primary_key_index(const std::string &type) const {
        const hollow_primary_key_index *i = nullptr;
        detail::check(hollow_read_state_primary_key_index(handle_.get(), type.c_str(), &i));
        return hollow::primary_key_index(i);
    }
    /// The field at `path` (dot-separated, following references) from type `type`, resolved once.
    hollow::field_path field_path(const std::string &type, const std::string &path) const {
        const hollow_field_path *p = nullptr;
        detail::check(hollow_read_state_field_path(handle_.get(), type.c_str(), path.c_str(), &p));
        return hollow::field_path(p);
    }
    hollow::hash_index hash_index(const std::string &type, const std::vector<std::string> &fields) const {
        std::vector<const char *> names;
        for (const auto &f : fields) {
            names.push_back(f.c_str());
        }
        const hollow_hash_index *i = nullptr;
        detail::check(hollow_read_state_hash_index(handle_.get(), type.c_str(), names.data(), names.size(), &i));
        return hollow::hash_index(i);
    }

    /// How many of its shards this state reads from a memory-mapped snapshot file (0 when every record
    /// is in the heap).
    std::size_t mapped_shards() const {
        std::size_t n = 0;
        detail::check(hollow_read_state_mapped_shards(handle_.get(), &n));
        return n;
    }
    /// The snapshot file at `path`, holding `version`, as a read state: read into the heap
    /// (HOLLOW_MAPPING_MODE_COPY) or mapped (HOLLOW_MAPPING_MODE_SHARED: the file must never be modified
    /// or truncated in place while the state lives; see hollow_read_state_open_snapshot_file).
    static read_state open_snapshot_file(const std::string &path, std::int64_t version, hollow_mapping_mode mode) {
        hollow_read_state *h = nullptr;
        detail::check(hollow_read_state_open_snapshot_file(path.c_str(), version, mode, &h));
        return read_state(h);
    }

    const hollow_read_state *get() const noexcept { return handle_.get(); }

private:
    detail::owned<hollow_read_state, hollow_read_state_free> handle_;
};

/// Follows a blob store's announced version. Usable from many threads at once.
class consumer {
public:
    explicit consumer(const blob_store &store) {
        hollow_consumer *h = nullptr;
        detail::check(hollow_consumer_new(store.get(), &h));
        handle_.reset(h);
    }
    /// A consumer whose snapshots load as `mapping` says: HOLLOW_MAPPING_MODE_SHARED maps the snapshot
    /// files of a filesystem store and reads them in place (see hollow_consumer_new_with_mapping).
    consumer(const blob_store &store, hollow_mapping_mode mapping) {
        hollow_consumer *h = nullptr;
        detail::check(hollow_consumer_new_with_mapping(store.get(), mapping, &h));
        handle_.reset(h);
    }

    /// Move to the announced version; returns the version held (no_version if nothing is announced).
    std::int64_t refresh() {
        std::int64_t v = 0;
        detail::check(hollow_consumer_refresh(handle_.get(), &v));
        return v;
    }
    void refresh_to(std::int64_t version) { detail::check(hollow_consumer_refresh_to(handle_.get(), version)); }
    std::int64_t current_version() const {
        std::int64_t v = 0;
        detail::check(hollow_consumer_current_version(handle_.get(), &v));
        return v;
    }
    /// Pin the current version.
    hollow::read_state read_state() const {
        hollow_read_state *h = nullptr;
        detail::check(hollow_consumer_read_state(handle_.get(), &h));
        return hollow::read_state(h);
    }
    /// The consumer's counters as a JSON object (see hollow_consumer_metrics_json).
    std::string metrics_json() const {
        return detail::copied_text([this](char *b, std::size_t c, std::size_t *n) {
            return hollow_consumer_metrics_json(handle_.get(), b, c, n);
        });
    }

private:
    detail::owned<hollow_consumer, hollow_consumer_free> handle_;
};

/// What changed between two read states (hollow_diff_new). Owns its texts: every string_view it returns
/// is valid while the diff lives. Usable from many threads at once.
class diff {
public:
    struct type_summary {
        std::string_view name;
        std::uint64_t added, removed, modified, unchanged;
    };
    struct change {
        hollow_diff_change_kind kind;
        std::string_view key_json, old_json, new_json;
        /// Changed field paths, one per line.
        std::string_view fields;
    };

    diff(const read_state &from, const read_state &to) {
        hollow_diff *h = nullptr;
        detail::check(hollow_diff_new(from.get(), to.get(), &h));
        handle_.reset(h);
    }
    /// With options (see hollow_diff_new_with_options): `{}` for every type, `{"Movie"}` for one;
    /// `detail_limit` bounds the records kept in detail per type and kind (counts stay exact).
    diff(const read_state &from, const read_state &to, const std::vector<std::string> &types,
         std::optional<std::size_t> detail_limit = std::nullopt) {
        std::vector<const char *> names;
        for (const auto &t : types) {
            names.push_back(t.c_str());
        }
        hollow_diff_options options{};
        options.types = names.empty() ? nullptr : names.data();
        options.type_count = names.size();
        options.limit_details = detail_limit.has_value();
        options.detail_limit = detail_limit.value_or(0);
        hollow_diff *h = nullptr;
        detail::check(hollow_diff_new_with_options(from.get(), to.get(), &options, &h));
        handle_.reset(h);
    }

    std::size_t type_count() const {
        std::size_t n = 0;
        detail::check(hollow_diff_type_count(handle_.get(), &n));
        return n;
    }
    type_summary type_at(std::size_t type_index) const {
        hollow_diff_type_summary s{};
        detail::check(hollow_diff_type_at(handle_.get(), type_index, &s));
        return type_summary{detail::view(s.name), s.added, s.removed, s.modified, s.unchanged};
    }
    std::size_t change_count(std::size_t type_index) const {
        std::size_t n = 0;
        detail::check(hollow_diff_change_count(handle_.get(), type_index, &n));
        return n;
    }
    change change_at(std::size_t type_index, std::size_t index) const {
        hollow_diff_change c{};
        detail::check(hollow_diff_change_at(handle_.get(), type_index, index, &c));
        return change{c.kind, detail::view(c.key_json), detail::view(c.old_json), detail::view(c.new_json),
                      detail::view(c.fields)};
    }
    /// The change set as JSON lines, for producer::apply_changes.
    std::string change_set_json() const {
        return detail::copied_text([this](char *b, std::size_t c, std::size_t *n) {
            return hollow_diff_change_set_json(handle_.get(), b, c, n);
        });
    }

    const hollow_diff *get() const noexcept { return handle_.get(); }

private:
    detail::owned<hollow_diff, hollow_diff_free> handle_;
};

}  // namespace hollow

#endif  // HOLLOW_HPP
