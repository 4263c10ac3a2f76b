#pragma once
// Guarded JSON parsing for provider documents (pure).
//
// Limits checked before nlohmann sees the text: size (kMaxJsonDocument) and nesting depth
// of [ and { outside strings (kMaxJsonDepth) -- deep nesting must not reach recursive code.
// Parse errors report a byte offset only: nlohmann's messages quote the input, and the input
// may hold a password.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace lifeboat::meta {

inline constexpr std::size_t kMaxJsonDocument = 1024 * 1024;
inline constexpr std::size_t kMaxJsonDepth = 64;
inline constexpr std::size_t kMaxJsonString = 64 * 1024;

// Deepest nesting of [] and {} outside strings; stops counting past `limit` + 1.
std::size_t json_nesting_depth(std::string_view text, std::size_t limit = kMaxJsonDepth) noexcept;

// Parses `text` as one JSON document within the limits. On failure appends
// Error{source, doc, "..."} and returns nullopt.
std::optional<nlohmann::json> parse_json_guarded(std::string_view text, const std::string& source,
                                                 const std::string& doc, Errors& errors);

// An object key made safe to put into an Error field: printable ASCII letters, digits and
// ._-@+ kept, anything else '?', at most 64 characters ("..." appended when cut).
std::string safe_name(std::string_view name);

}  // namespace lifeboat::meta
