// Validation rules for the msgpack and JSON payloads: the C++ counterpart of the zod schemas in
// ipc-protocol/src/schemas.ts, with the same verdicts. Each rule reads a value out of a parsed Tree and writes one
// through a format writer (mpack::Writer or json::Writer), validating in both directions as the TS side does with
// safeParse. A struct declares its fields once, in wire order, through a static `schema(self, field)`:
//
//   template <class Self, class F> static void schema(Self& s, F&& field) {
//     field("peerId", s.peer_id, kShortText);
//     ...
//   }
//
// and Object<T> derives both the reader and the writer from that list.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "bytes.hpp"
#include "errors.hpp"
#include "js_number.hpp"
#include "utf8.hpp"
#include "value_tree.hpp"

namespace overlay_ipc::schema {

/** Where a value sits in a payload ("peers.1.rttMs"), built on the stack as rules descend. */
struct Path {
  const Path* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  Path child(std::string_view k) const { return Path{this, k, 0, false}; }
  Path at(std::size_t i) const { return Path{this, {}, i, true}; }

  std::string str() const {
    if (parent == nullptr) return "(root)";
    std::string head = parent->parent == nullptr ? std::string() : parent->str() + ".";
    return head + (is_index ? std::to_string(index) : std::string(key));
  }
};

/** Reading: the document, and what to blame in errors. */
struct In {
  const tree::Tree& tree;
  std::uint32_t frame_type;
  const char* what;  // "msgpack payload" or "JSON payload", as in the TS messages

  [[noreturn]] void fail(const Path& p, const std::string& problem) const {
    overlay_ipc::detail::malformed(frame_type,
                                   std::string(what) + " does not match its schema: " + p.str() + ": " + problem);
  }
  void check(const Path& p, const std::string& problem) const {
    if (!problem.empty()) fail(p, problem);
  }
  void expect(std::uint32_t node, tree::Kind k, const Path& p) const {
    const tree::Kind got = tree.kind(node);
    if (got != k) fail(p, std::string("expected ") + tree::kind_name(k) + ", received " + tree::kind_name(got));
  }
};

/** Writing: the format writer, and what to blame in errors (the value the caller asked us to encode). */
template <class W>
struct Out {
  W& w;
  std::uint32_t frame_type;
  const char* what;

  [[noreturn]] void fail(const Path& p, const std::string& problem) const {
    overlay_ipc::detail::malformed(frame_type,
                                   std::string("cannot encode ") + what + ": " + p.str() + ": " + problem);
  }
  void check(const Path& p, const std::string& problem) const {
    if (!problem.empty()) fail(p, problem);
  }
};

/** z.string().min(min).max(max): valid UTF-8, length in code points (zod 4.6 counts code points). */
struct Text {
  std::size_t min_len = 0;
  std::size_t max_len = std::numeric_limits<std::size_t>::max();
  using value_type = std::string;

  std::string problem(std::string_view s) const {
    if (!utf8::is_valid(s)) return "string is not valid UTF-8";
    const std::size_t n = utf8::code_points(s);
    if (n > max_len) return "too big: expected string to have <=" + std::to_string(max_len) + " characters";
    if (n < min_len) return "too small: expected string to have >=" + std::to_string(min_len) + " characters";
    return {};
  }
  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::String, p);
    const std::string_view s = in.tree.text(node);
    in.check(p, problem(s));
    return std::string(s);
  }
  template <class W>
  void write(const Out<W>& out, const value_type& v, const Path& p) const {
    out.check(p, problem(v));
    out.w.string(v);
  }
};

/** z.number() (finite), optionally .min(0). */
struct Number {
  bool non_negative = false;
  using value_type = double;

  std::string problem(double v) const {
    if (std::isnan(v)) return "expected number, received NaN";
    if (std::isinf(v)) return "expected number, received Infinity";
    if (non_negative && v < 0) return "too small: expected number to be >=0";
    return {};
  }
  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Number, p);
    const double v = in.tree.at(node).number;
    in.check(p, problem(v));
    return v;
  }
  template <class W>
  void write(const Out<W>& out, double v, const Path& p) const {
    out.check(p, problem(v));
    out.w.number(v);
  }
};

/** z.number().int().min(0).max(max), held as an unsigned C++ integer. zod's .int() admits safe integers only. */
template <class T>
struct UInt {
  double max_value = js::kMaxSafeInteger;
  using value_type = T;

  std::string problem(double v) const {
    if (!js::is_integer(v)) return std::isfinite(v) ? "expected int, received number" : "expected number";
    if (v < 0) return "too small: expected number to be >=0";
    if (v > max_value || !js::is_safe_integer(v)) return "too big: expected number to be <=" + js::to_string(max_value);
    return {};
  }
  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Number, p);
    const double v = in.tree.at(node).number;
    in.check(p, problem(v));
    return static_cast<T>(v);
  }
  template <class W>
  void write(const Out<W>& out, T v, const Path& p) const {
    // Compared as integers first: above 2^53 the conversion to double would round.
    if (static_cast<std::uint64_t>(v) > 9007199254740991ull) out.fail(p, problem(js::kMaxSafeInteger + 1));
    const auto d = static_cast<double>(v);
    out.check(p, problem(d));
    out.w.number(d);
  }
};

/** z.boolean(). */
struct Bool {
  using value_type = bool;

  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Bool, p);
    return in.tree.at(node).boolean;
  }
  template <class W>
  void write(const Out<W>& out, bool v, const Path&) const {
    out.w.boolean(v);
  }
};

/** A 32-byte binary (schemas.ts: z.custom<Uint8Array> of length 32), e.g. the network id. */
struct HashBytes {
  using value_type = Hash;

  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    if (in.tree.kind(node) != tree::Kind::Binary || in.tree.at(node).length != HASH_SIZE) {
      in.fail(p, "must be " + std::to_string(HASH_SIZE) + " bytes");
    }
    const std::string_view b = in.tree.text(node);
    Hash h;
    std::copy(b.begin(), b.end(), h.begin());
    return h;
  }
  template <class W>
  void write(const Out<W>& out, const Hash& v, const Path&) const {
    out.w.binary(ByteView(v));
  }
};

/** z.enum([...]) over a C++ enum whose values are 0..N-1 in the order of `names`. */
template <class E, std::size_t N>
struct OneOf {
  std::array<std::string_view, N> names;
  using value_type = E;

  std::string options() const {
    std::string out;
    for (const auto n : names) out += (out.empty() ? "\"" : "|\"") + std::string(n) + "\"";
    return "invalid option: expected one of " + out;
  }
  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::String, p);
    const std::string_view s = in.tree.text(node);
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i] == s) return static_cast<E>(i);
    }
    in.fail(p, options());
  }
  template <class W>
  void write(const Out<W>& out, E v, const Path& p) const {
    const auto i = static_cast<std::size_t>(v);
    if (i >= N) out.fail(p, options());
    out.w.string(names[i]);
  }
};

/** z.array(item).max(max). */
template <class R>
struct List {
  R item;
  std::size_t max_items = std::numeric_limits<std::size_t>::max();
  using value_type = std::vector<typename R::value_type>;

  std::string problem(std::size_t n) const {
    if (n > max_items) return "too big: expected array to have <=" + std::to_string(max_items) + " items";
    return {};
  }
  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Array, p);
    const std::uint32_t n = in.tree.at(node).length;  // elements actually present, so reserving is safe
    in.check(p, problem(n));
    value_type out;
    out.reserve(n);
    in.tree.for_each_element(node, [&](std::uint32_t el) { out.push_back(item.read(in, el, p.at(out.size()))); });
    return out;
  }
  template <class W>
  void write(const Out<W>& out, const value_type& v, const Path& p) const {
    out.check(p, problem(v.size()));
    out.w.begin_array(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) item.write(out, v[i], p.at(i));
    out.w.end_array();
  }
};

/**
 * z.object({...}) over a struct T declaring `schema(self, field)`. Like zod: unknown keys are dropped, a missing
 * key is an error, a repeated key counts once with its last value (that is what the JS object held), and output
 * keys follow the declaration order.
 */
template <class T>
struct Object {
  using value_type = T;

  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Object, p);
    value_type out{};
    std::vector<std::string_view> names;
    T::schema(out, [&](std::string_view name, auto&, const auto&) { names.push_back(name); });
    std::vector<std::uint32_t> found(names.size(), tree::Tree::npos);
    in.tree.for_each_entry(node, [&](std::string_view key, std::uint32_t value) {
      for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i] == key) found[i] = value;
      }
    });
    std::size_t i = 0;
    T::schema(out, [&](std::string_view name, auto& member, const auto& rule) {
      const Path fp = p.child(name);
      const std::uint32_t value = found[i++];
      if (value == tree::Tree::npos) in.fail(fp, "required");
      member = rule.read(in, value, fp);
    });
    return out;
  }
  template <class W>
  void write(const Out<W>& out, const value_type& v, const Path& p) const {
    std::size_t n = 0;
    T::schema(v, [&](std::string_view, const auto&, const auto&) { ++n; });
    out.w.begin_object(n);
    T::schema(v, [&](std::string_view name, const auto& member, const auto& rule) {
      out.w.key(name);
      rule.write(out, member, p.child(name));
    });
    out.w.end_object();
  }
};

/**
 * z.record(key, value) as an ordered list of properties. The order and uniqueness are those of the JS object the
 * TS side builds: a repeated key keeps its first position and its last value, array-index keys ("0", "7") come
 * first in numeric order, and "__proto__" never becomes a property. Decoding normalises to that order and
 * encoding writes it, so both sides put the same bytes on the wire for the same object.
 */
template <class K, class V>
struct Record {
  K key;
  V value;
  using value_type = std::vector<std::pair<std::string, typename V::value_type>>;

  value_type read(const In& in, std::uint32_t node, const Path& p) const {
    in.expect(node, tree::Kind::Object, p);
    value_type out;
    in.tree.for_each_entry(node, [&](std::string_view k, std::uint32_t v) {
      const Path kp = p.child(k);
      const std::string e = key.problem(k);
      if (!e.empty()) in.fail(kp, "bad key: " + e);
      out.emplace_back(std::string(k), value.read(in, v, kp));
    });
    to_property_order(out);
    return out;
  }
  template <class W>
  void write(const Out<W>& out, const value_type& v, const Path& p) const {
    std::unordered_set<std::string_view> seen;
    for (const auto& [k, val] : v) {
      const Path kp = p.child(k);
      const std::string e = key.problem(k);
      if (!e.empty()) out.fail(kp, "bad key: " + e);
      if (k == "__proto__") out.fail(kp, "\"__proto__\" cannot be a property of a JS object");
      if (!seen.insert(k).second) out.fail(kp, "duplicate key");
      out.check(kp, value.problem(val));
    }
    value_type ordered = v;
    to_property_order(ordered);
    out.w.begin_object(ordered.size());
    for (const auto& [k, val] : ordered) {
      out.w.key(k);
      value.write(out, val, p.child(k));
    }
    out.w.end_object();
  }

  static void to_property_order(value_type& props) {
    std::unordered_map<std::string_view, std::size_t> slot_of;  // key → its slot (first position)
    std::vector<std::size_t> first, last;                        // per slot: where the key first and last appear
    for (std::size_t i = 0; i < props.size(); ++i) {
      if (props[i].first == "__proto__") continue;
      const auto [it, inserted] = slot_of.emplace(props[i].first, first.size());
      if (inserted) {
        first.push_back(i);
        last.push_back(i);
      } else {
        last[it->second] = i;
      }
    }
    value_type unique;
    unique.reserve(first.size());
    for (std::size_t s = 0; s < first.size(); ++s) unique.emplace_back(props[first[s]].first, props[last[s]].second);
    std::stable_sort(unique.begin(), unique.end(), [](const auto& a, const auto& b) {
      std::uint32_t ia = 0, ib = 0;
      const bool a_index = js::is_array_index(a.first, ia), b_index = js::is_array_index(b.first, ib);
      if (a_index != b_index) return a_index;
      return a_index && ia < ib;
    });
    props = std::move(unique);
  }
};

}  // namespace overlay_ipc::schema
