// Passwords and tokens: a type that cannot be printed, so a secret cannot
// reach a log line, an error text or /metrics by accident.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

namespace mimamori::collector {

/// A secret value (the WinRM password). There is no operator<<, no
/// conversion to std::string and no comparison: the one way to the bytes is
/// Reveal(), which belongs only where the secret is handed to a library that
/// sends it (libcurl). The bytes are overwritten when the object is
/// destroyed or assigned over, and a moved-from Secret is empty and wiped.
/// Not thread-safe (a plain value).
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret& other) : value_(other.value_) {}
  // Copies and wipes the source instead of moving: a moved std::string
  // leaves short strings' bytes in its inline buffer.
  Secret(Secret&& other) noexcept : value_(other.value_) { other.Wipe(); }
  Secret& operator=(const Secret& other) {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
    }
    return *this;
  }
  Secret& operator=(Secret&& other) noexcept {
    if (this != &other) {
      Wipe();
      value_ = other.value_;
      other.Wipe();
    }
    return *this;
  }
  ~Secret() { Wipe(); }

  bool empty() const { return value_.empty(); }
  const std::string& Reveal() const { return value_; }

  friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;
  /// GoogleTest prints values of failed assertions; this keeps it from
  /// dumping the bytes.
  friend void PrintTo(const Secret&, std::ostream* out);

 private:
  void Wipe() noexcept {
    volatile char* bytes = value_.data();
    for (std::size_t i = 0; i < value_.size(); ++i) bytes[i] = 0;
    value_.clear();
  }

  std::string value_;
};

/// Reads a secret from the first line of `file` (a trailing "\r" dropped,
/// for files written on Windows) or from the environment variable `env`;
/// exactly one of the two is non-empty. Read at every use, so a rotated
/// password needs no reload. On failure returns nullopt and sets `error`
/// ("password file /etc/mimamori/winrm.pass: cannot read: No such file or
/// directory", "environment variable WINRM_PASSWORD is not set"), which
/// names where the secret should be, never what it is.
std::optional<Secret> ReadSecret(const std::string& file, const std::string& env,
                                 std::string& error);

}  // namespace mimamori::collector
