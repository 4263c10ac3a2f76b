#include "model/secret.h"

namespace lifeboat::meta {

void wipe(std::string& s) noexcept {
  // Zero the whole capacity: a short string lives in the object itself (SSO), a long one
  // in its buffer; volatile keeps the compiler from dropping the stores.
  s.resize(s.capacity());
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

Secret::Secret(std::string_view text) {
  value_.reserve(text.size());
  value_.assign(text.data(), text.size());
}

Secret::Secret(const Secret& other) : Secret(std::string_view(other.value_)) {}

Secret::Secret(Secret&& other) noexcept {
  value_.swap(other.value_);
  other.clear();
}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    clear();
    value_.reserve(other.value_.size());
    value_.assign(other.value_);
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    value_.swap(other.value_);
    other.clear();
  }
  return *this;
}

Secret::~Secret() { clear(); }

void Secret::clear() noexcept { wipe(value_); }

bool Secret::operator==(const Secret& other) const noexcept {
  // Length-independent-ish comparison is not needed here (no remote oracle).
  return value_ == other.value_;
}

}  // namespace lifeboat::meta
