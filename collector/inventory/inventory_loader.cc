#include "collector/inventory/inventory_loader.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <re2/re2.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <tuple>
#include <utility>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/timetable.h"
#include "collector/ledger/ledger.h"
#include "mimamori/proto/oid.h"
#include "re2/re2.h"

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Longer than any sensible interval or timeout; also keeps the arithmetic far
// from overflow.
constexpr milliseconds kLongestDuration = std::chrono::hours(24);
constexpr long long kNoMaximum = std::numeric_limits<int>::max();

// A value in the document: the YAML node, where it is, and its name in
// messages.
struct Field {
  YAML::Node node;
  YAML::Mark mark;
  std::string path;
};

// Keys that would blur the path or the "FIELD: MESSAGE" split (mount
// points such as /var or C:) are quoted: disk["/var"].
std::string Child(const std::string& path, std::string_view key) {
  if (key.empty() || key.find_first_of(" .[]\"':/\\") != std::string_view::npos) {
    return path + "[\"" + std::string(key) + "\"]";
  }
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Item(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// The "got ..." half of "expected X, got Y".
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "nothing";
  }
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

std::string FormatDuration(milliseconds duration) {
  const long long ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string JoinNames(std::vector<std::string_view> names) {
  std::sort(names.begin(), names.end());
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

// A finite decimal number; from_chars alone would also take "inf" and "nan".
std::optional<double> ParseNumber(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// "300s", "5m", "500ms", "1h", "1.5s" or bare seconds, in milliseconds.
std::optional<double> ParseDurationMs(std::string_view text) {
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  double factor = 1000;
  for (const auto& [suffix, unit_ms] : kUnits) {
    if (text.ends_with(suffix)) {
      text.remove_suffix(suffix.size());
      factor = unit_ms;
      break;
    }
  }
  // Digits with an optional fraction: no sign, exponent or spaces.
  if (text.empty() || text.front() == '.' || text.back() == '.' ||
      text.find_first_not_of("0123456789.") != std::string_view::npos) {
    return std::nullopt;
  }
  std::optional<double> value = ParseNumber(text);
  if (!value) return std::nullopt;
  return *value * factor;
}

// "HH:MM" as minutes after midnight; 24:00 is allowed as an end of day.
std::optional<int> ParseClock(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || text.size() != colon + 3 ||
      text.find_first_not_of("0123456789:") != std::string_view::npos) {
    return std::nullopt;
  }
  int hour = 0, minute = 0;
  auto [h_end, h_ec] = std::from_chars(text.data(), text.data() + colon, hour);
  auto [m_end, m_ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), minute);
  if (h_ec != std::errc() || h_end != text.data() + colon || m_ec != std::errc() ||
      m_end != text.data() + text.size() || minute > 59 || hour > 24 ||
      (hour == 24 && minute != 0)) {
    return std::nullopt;
  }
  return hour * 60 + minute;
}

bool IsDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  int year = 0;
  unsigned month = 0, day = 0;
  auto number = [&](std::size_t at, std::size_t length, auto& out) {
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc() && end == text.data() + at + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return false;
  return std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(month),
                                     std::chrono::day(day))
      .ok();
}

// A numeric IPv4/IPv6 address or a DNS name. A name made only of digits and
// dots is a mistyped IPv4 address (10.0.0.256), not a name.
bool IsAddressOrName(const std::string& text) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1 || inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return true;
  }
  std::string_view rest = text;
  if (rest.ends_with('.')) rest.remove_suffix(1);  // a fully qualified name
  if (rest.empty() || rest.size() > 253) return false;
  bool only_digits = true;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool digit = c >= '0' && c <= '9';
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      if (!digit && !letter && c != '-') return false;
      if (!digit) only_digits = false;
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return !only_digits;
}

// Per file system threshold keys: a Unix mount point or a Windows drive.
bool IsMountPoint(std::string_view key) {
  if (key.starts_with('/')) return true;
  const bool drive = key.size() >= 2 &&
                     ((key[0] >= 'A' && key[0] <= 'Z') || (key[0] >= 'a' && key[0] <= 'z')) &&
                     key[1] == ':';
  return drive && (key.size() == 2 || (key.size() == 3 && key[2] == '\\'));
}

// Holds the errors of one parse and reads single values, reporting each
// problem at the value's position.
class Decoder {
 public:
  Decoder(const std::string& source, std::string_view text, std::vector<ConfigError>& errors)
      : source_(source), errors_(errors) {
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      lines_.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }

  void Report(const YAML::Mark& mark, std::string field, std::string message) {
    ConfigError error;
    error.file = source_;
    error.field = std::move(field);
    error.message = std::move(message);
    if (mark.line >= 0 && mark.column >= 0) {
      error.line = mark.line + 1;
      // yaml-cpp counts bytes; editors count characters (the inventory is
      // full of Japanese names), so count UTF-8 lead bytes.
      std::string_view line =
          static_cast<std::size_t>(mark.line) < lines_.size() ? lines_[mark.line] : "";
      line = line.substr(0, std::min<std::size_t>(mark.column, line.size()));
      error.column = 1 + static_cast<int>(std::count_if(line.begin(), line.end(), [](char c) {
                       return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                     }));
    }
    errors_.push_back(std::move(error));
  }
  void Report(const Field& field, std::string message) {
    Report(field.mark, field.path, std::move(message));
  }

  /// A syntax error from yaml-cpp. Its message for a tab in the indentation
  /// ("illegal map value") does not say "tab", so look for one first.
  void ReportSyntax(const YAML::Mark& mark, const std::string& message) {
    for (int i = 0; i < static_cast<int>(lines_.size()) && i <= mark.line; ++i) {
      const std::string_view line = lines_[i];
      const std::size_t indent = line.find_first_not_of(" \t");
      const std::size_t tab = line.substr(0, indent).find('\t');
      if (tab != std::string_view::npos) {
        YAML::Mark at;
        at.line = i;
        at.column = static_cast<int>(tab);
        Report(at, "", "tab in the indentation (YAML allows only spaces)");
        return;
      }
    }
    std::string text = "invalid YAML: " + message;
    if (message == "end of map not found" || message == "end of sequence not found") {
      text += " (is this line indented correctly?)";
    }
    Report(mark, "", text);
  }

  int LineOf(const YAML::Mark& mark) const { return mark.line + 1; }

  bool Scalar(const Field& field, std::string_view expected, std::string& text) {
    if (!field.node.IsScalar()) {
      Report(field, "expected " + std::string(expected) + ", got " + Describe(field.node));
      return false;
    }
    text = field.node.Scalar();
    return true;
  }

  /// Any scalar; nothing is the empty string.
  bool String(const Field& field, std::string& out) {
    if (field.node.IsNull()) {
      out.clear();
      return true;
    }
    return Scalar(field, "a string", out);
  }

  /// A string that must not be empty.
  bool Text(const Field& field, std::string& out) {
    std::string text;
    if (!String(field, text)) return false;
    if (text.empty()) {
      Report(field, "must not be empty");
      return false;
    }
    out = std::move(text);
    return true;
  }

  bool Integer(const Field& field, long long min, long long max, int& out) {
    std::string text;
    if (!Scalar(field, "an integer", text)) return false;
    long long value = 0;
    const char* end = text.data() + text.size();
    auto [stop, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || stop != end ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      Report(field, "expected an integer, got '" + text + "'");
      return false;
    }
    if (ec == std::errc::result_out_of_range || value < min || value > max) {
      Report(field, (max == kNoMaximum
                         ? "must be at least " + std::to_string(min)
                         : "must be from " + std::to_string(min) + " to " + std::to_string(max)) +
                        ", got " + text);
      return false;
    }
    out = static_cast<int>(value);
    return true;
  }

  bool Port(const Field& field, std::uint16_t& out) {
    int value = 0;
    if (!Integer(field, 1, 65535, value)) return false;
    out = static_cast<std::uint16_t>(value);
    return true;
  }

  /// 0 to 100, "75" or "75%".
  bool Percent(const Field& field, double& out) {
    std::string text;
    if (!Scalar(field, "a percentage", text)) return false;
    std::string_view number = text;
    if (number.ends_with('%')) number.remove_suffix(1);
    std::optional<double> value = ParseNumber(number);
    if (!value) {
      Report(field, "expected a percentage such as 75, got '" + text + "'");
      return false;
    }
    if (*value < 0 || *value > 100) {
      Report(field, "must be from 0 to 100, got " + text);
      return false;
    }
    out = *value;
    return true;
  }

  bool Duration(const Field& field, milliseconds min, milliseconds& out) {
    static constexpr std::string_view kExpected = "a duration such as 300s, 5m, 500ms or 1h";
    std::string text;
    if (!Scalar(field, kExpected, text)) return false;
    std::optional<double> ms = ParseDurationMs(text);
    if (!ms) {
      Report(field, "expected " + std::string(kExpected) + ", got '" + text + "'");
      return false;
    }
    if (*ms < static_cast<double>(min.count())) {
      Report(field, "must be at least " + FormatDuration(min) + ", got " + text);
      return false;
    }
    if (*ms > static_cast<double>(kLongestDuration.count())) {
      Report(field, "must be at most " + FormatDuration(kLongestDuration) + ", got " + text);
      return false;
    }
    out = milliseconds(static_cast<milliseconds::rep>(std::llround(*ms)));
    return true;
  }

  /// How often a monitor runs: whole seconds, at least 1 s.
  bool Interval(const Field& field, seconds& out) {
    milliseconds ms{};
    if (!Duration(field, seconds(1), ms)) return false;
    if (ms.count() % 1000 != 0) {
      Report(field, "must be a whole number of seconds, got " + field.node.Scalar());
      return false;
    }
    out = std::chrono::duration_cast<seconds>(ms);
    return true;
  }

  /// A file or directory the daemon opens: absolute, since under systemd its
  /// working directory is / and a relative path would quietly mean another
  /// place than the operator had in mind.
  bool AbsolutePath(const Field& field, std::string& out) {
    std::string text;
    if (!Text(field, text)) return false;
    if (!text.starts_with('/')) {
      Report(field, "must be an absolute path, got '" + text + "'");
      return false;
    }
    out = std::move(text);
    return true;
  }

  /// A URL starting with one of `schemes` ("http://") and naming a host.
  /// `credentials` says where a user or password goes instead (a URL ends
  /// up in logs); empty: user info in the URL is allowed.
  bool Url(const Field& field, std::initializer_list<std::string_view> schemes,
           std::string_view credentials, std::string& out) {
    std::string text;
    if (!Text(field, text)) return false;
    std::size_t host = 0;
    std::string names;
    for (std::string_view scheme : schemes) {
      if (host == 0 && std::string_view(text).starts_with(scheme)) host = scheme.size();
      names += (names.empty() ? "" : " or ") + std::string(scheme);
    }
    if (host == 0) {
      Report(field, "must start with " + names + ", got '" + text + "'");
      return false;
    }
    const std::string_view authority =
        std::string_view(text).substr(host, text.find_first_of("/?#", host) - host);
    if (authority.empty()) {
      Report(field, "no host in '" + text + "'");
      return false;
    }
    // Not echoed: the part before '@' may be a password.
    if (!credentials.empty() && authority.find('@') != std::string_view::npos) {
      Report(field, "must not contain a user or password (the URL shows in logs); give " +
                        std::string(credentials));
      return false;
    }
    out = std::move(text);
    return true;
  }

  /// A recipient or sender address, as strict as the mail channel that will
  /// use it, so a typo stops the load instead of a report at 3 a.m.
  bool MailAddress(const Field& field, std::string& out) {
    std::string text;
    if (!Text(field, text)) return false;
    if (!IsValidMailAddress(text)) {
      const std::size_t at = text.find('@');
      std::string why;
      if (at == std::string::npos) {
        why = "no '@'";
      } else if (at == 0 || at + 1 == text.size()) {
        why = "nothing before or after '@'";
      } else {
        why = "letters, digits and !#$%&'*+-/=?^_`{|}~. before the '@', a host name after it";
      }
      Report(field, "'" + text + "' is not a mail address (" + why + ")");
      return false;
    }
    out = std::move(text);
    return true;
  }

  /// Free text an operator or a phone gateway reads ("+81-59-000-0001",
  /// "内線 1234"): one line with at least one digit, which catches a mail
  /// address or a name in the wrong key.
  bool PhoneNumber(const Field& field, std::string& out) {
    std::string text;
    if (!Text(field, text)) return false;
    const bool has_digit = text.find_first_of("0123456789") != std::string::npos;
    const bool one_line = std::none_of(text.begin(), text.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (!has_digit || !one_line) {
      Report(field, "expected a phone number such as +81-59-000-0001, got '" + text + "'");
      return false;
    }
    out = std::move(text);
    return true;
  }

  bool Bool(const Field& field, bool& out) {
    std::string text;
    if (!Scalar(field, "true or false", text)) return false;
    if (text != "true" && text != "false") {
      Report(field, "expected true or false, got '" + text + "'");
      return false;
    }
    out = text == "true";
    return true;
  }

  /// One of the names in `choices`, a table of (name, value) pairs.
  template <typename Choices, typename E>
  bool Choice(const Field& field, const Choices& choices, E& out) {
    std::string names_text;
    for (const auto& choice : choices) {
      names_text += (names_text.empty() ? "" : ", ") + std::string(choice.first);
    }
    std::string text;
    if (!Scalar(field, "one of " + names_text, text)) return false;
    for (const auto& [name, value] : choices) {
      if (text == name) {
        out = value;
        return true;
      }
    }
    Report(field, "expected one of " + names_text + ", got '" + text + "'");
    return false;
  }

  /// An ECMAScript regular expression; compiled here so that a typo stops
  /// the load instead of silently never matching.
  bool Regex(const Field& field, bool case_insensitive, bool allow_empty, std::string& out) {
    std::string text;
    if (!(allow_empty ? String(field, text) : Text(field, text))) return false;
    // The usual slip is a shell wildcard ("*httpd*"); libstdc++ reports it
    // as a mismatched parenthesis, which sends the reader the wrong way.
    if (!text.empty() && (text[0] == '*' || text[0] == '+' || text[0] == '?')) {
      Report(field, "'" + text + "' is not a valid regular expression: '" + text.substr(0, 1) +
                        "' at the start has nothing to repeat (for \"anything\" write .*)");
      return false;
    }
    try {
      std::regex(text, case_insensitive ? std::regex::ECMAScript | std::regex::icase
                                        : std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      std::string_view why = e.what();
      if (why.ends_with(" in regular expression")) {
        why.remove_suffix(std::string_view(" in regular expression").size());
      }
      if (why.ends_with('.')) why.remove_suffix(1);
      Report(field, "'" + text + "' is not a valid regular expression: " + std::string(why));
      return false;
    }
    out = std::move(text);
    return true;
  }

  /// The items of a list; nothing is an empty list.
  std::vector<Field> Items(const Field& list) {
    std::vector<Field> items;
    if (list.node.IsNull()) return items;
    if (!list.node.IsSequence()) {
      Report(list, "expected a list, got " + Describe(list.node));
      return items;
    }
    std::size_t index = 0;
    for (const YAML::Node& node : list.node) {
      Field item{node, node.Mark(), Item(list.path, index++)};
      if (node.IsNull()) {
        Report(list.mark, item.path, "empty list item");
        continue;
      }
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  std::string source_;
  std::vector<std::string_view> lines_;
  std::vector<ConfigError>& errors_;
};

// The keys of one mapping, checked against those its section allows:
// unknown and repeated keys are reported when it is built.
class Section {
 public:
  /// `is_extra` accepts keys the operator chooses (mount points); `extra_hint`
  /// describes them after the list of known keys.
  Section(Decoder& decoder, const Field& field, std::vector<std::string_view> known,
          std::function<bool(std::string_view)> is_extra = {}, std::string_view extra_hint = {})
      : decoder_(decoder), field_(field) {
    if (field.node.IsNull()) return;  // "key:" and nothing: an empty section
    if (!field.node.IsMap()) {
      decoder.Report(field, "expected a mapping, got " + Describe(field.node));
      broken_ = true;
      return;
    }
    std::map<std::string, int> first_line;
    for (auto it = field.node.begin(); it != field.node.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a temporary pair.
      const YAML::Node key = it->first;
      const YAML::Node node = it->second;
      if (!key.IsScalar()) {
        decoder.Report(key.Mark(), field.path, "expected a key name, got " + Describe(key));
        continue;
      }
      const std::string name = key.Scalar();
      const bool is_known = std::find(known.begin(), known.end(), name) != known.end();
      const bool extra = !is_known && is_extra && is_extra(name);
      // A key with nothing after it has no position of its own worth showing.
      Field value{node, node.IsNull() ? key.Mark() : node.Mark(), Child(field.path, name)};
      if (!is_known && !extra) {
        std::string hint = JoinNames(known);
        if (!extra_hint.empty()) hint += ", " + std::string(extra_hint);
        decoder.Report(key.Mark(), value.path, "unknown key (known keys: " + hint + ")");
        continue;
      }
      if (auto first = first_line.find(name); first != first_line.end()) {
        decoder.Report(key.Mark(), value.path,
                       "given twice (first at line " + std::to_string(first->second) + ")");
        continue;
      }
      first_line[name] = decoder.LineOf(key.Mark());
      if (extra) {
        extras_.emplace_back(name, std::move(value));
      } else {
        values_.emplace(name, std::move(value));
      }
    }
  }

  std::optional<Field> Get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }

  /// As Get, and reports the key missing (unless the section itself was not
  /// a mapping: that was reported already).
  std::optional<Field> Required(std::string_view key) const {
    std::optional<Field> value = Get(key);
    if (!value && !broken_) {
      decoder_.Report(field_.mark, Child(field_.path, key), "required key is missing");
    }
    return value;
  }

  const std::vector<std::pair<std::string, Field>>& extras() const { return extras_; }

  /// No known key given (unknown ones were reported).
  bool empty() const { return values_.empty(); }

 private:
  Decoder& decoder_;
  Field field_;
  bool broken_ = false;
  std::map<std::string, Field, std::less<>> values_;
  std::vector<std::pair<std::string, Field>> extras_;
};

constexpr std::pair<std::string_view, ServiceLevel> kLevels[] = {{"A", ServiceLevel::kA},
                                                                 {"B", ServiceLevel::kB},
                                                                 {"C", ServiceLevel::kC},
                                                                 {"C-dev", ServiceLevel::kCDev}};

constexpr std::pair<std::string_view, NodeKind> kKinds[] = {
    {"vm", NodeKind::kVm},           {"esxi-host", NodeKind::kEsxiHost},
    {"storage", NodeKind::kStorage}, {"network", NodeKind::kNetwork},
    {"vcenter", NodeKind::kVcenter}, {"monitoring-server", NodeKind::kMonitoringServer}};

constexpr std::pair<std::string_view, MonitoringHours> kHours[] = {
    {"always", {false, true}},
    {"always-no-ping", {false, false}},
    {"business", {true, true}},
    {"business-no-ping", {true, false}}};

constexpr std::pair<std::string_view, seconds Intervals::*> kIntervalKeys[] = {
    {"ping", &Intervals::ping},         {"process", &Intervals::process},
    {"port", &Intervals::port},         {"service", &Intervals::service},
    {"web", &Intervals::web},           {"resource", &Intervals::resource},
    {"hardware", &Intervals::hardware}, {"time", &Intervals::time},
    {"backup", &Intervals::backup}};

constexpr std::pair<std::string_view, int FailureCounts::*> kFailureKeys[] = {
    {"ping", &FailureCounts::ping},         {"port", &FailureCounts::port},
    {"process", &FailureCounts::process},   {"service", &FailureCounts::service},
    {"web", &FailureCounts::web},           {"resource", &FailureCounts::resource},
    {"hardware", &FailureCounts::hardware}, {"time", &FailureCounts::time},
    {"backup", &FailureCounts::backup}};

constexpr std::pair<std::string_view, Priority> kPriorities[] = {{"high", Priority::kHigh},
                                                                 {"low", Priority::kLow}};

// Every FailureClass, for the keys of a priority mapping; names come from
// FailureClassName so the file and the logs spell them alike.
constexpr FailureClass kFailureClasses[] = {
    FailureClass::kAlive,           FailureClass::kProcess,  FailureClass::kPort,
    FailureClass::kService,         FailureClass::kWeb,      FailureClass::kResourceCritical,
    FailureClass::kResourceWarning, FailureClass::kHardware, FailureClass::kTimeSync,
    FailureClass::kBackup,          FailureClass::kMessage};

// The shortest first-report deadline of the timetable (spec section 4,
// platform failure, high priority, business hours): a grouping window must
// close well before it or the first report would wait for the grouping.
constexpr seconds kShortestFirstReport = std::chrono::minutes(5);

template <typename Table>
std::vector<std::string_view> KeysOf(const Table& table) {
  std::vector<std::string_view> keys;
  for (const auto& entry : table) keys.push_back(entry.first);
  return keys;
}

// Remembers the first line of each name in one list, to report repeats.
class Repeats {
 public:
  explicit Repeats(Decoder& decoder) : decoder_(decoder) {}
  /// False (and reported) when `name` was seen before.
  bool Add(const std::string& name, const Field& at, std::string_view what) {
    auto [it, added] = first_line_.emplace(name, decoder_.LineOf(at.mark));
    if (!added) {
      decoder_.Report(at, "duplicate " + std::string(what) + " (first at line " +
                              std::to_string(it->second) + ")");
    }
    return added;
  }

 private:
  Decoder& decoder_;
  std::map<std::string, int> first_line_;
};

// Where a node's cross references are, for the checks after all nodes are read.
struct NodeFields {
  std::optional<Field> name, host, system;
};

// Where a suppression's target is, for the same checks.
struct SuppressionFields {
  std::optional<Field> node, system;
};

class InventoryDecoder {
 public:
  InventoryDecoder(Decoder& decoder, Inventory& inventory) : d_(decoder), inventory_(inventory) {}

  void Decode(const YAML::Node& root) {
    Section top(d_, Field{root, root.Mark(), ""},
                {"platform_name", "defaults", "calendar", "metrics", "alerting", "vcenter",
                 "systems", "nodes", "messages"});
    // Defaults first, wherever they are in the file: nodes start from them.
    if (auto field = top.Get("defaults")) ReadDefaults(*field, inventory_.defaults);
    if (auto field = top.Get("platform_name")) d_.Text(*field, inventory_.platform_name);
    if (auto field = top.Get("calendar")) ReadCalendar(*field, inventory_.calendar);
    if (auto field = top.Get("metrics")) ReadMetrics(*field, inventory_.metrics);
    if (auto field = top.Get("alerting")) ReadAlerting(*field, inventory_.alerting);
    if (auto field = top.Get("vcenter")) ReadVcenter(*field);
    if (auto field = top.Get("systems")) ReadSystems(*field);
    if (auto field = top.Get("messages")) ReadMessages(*field, inventory_.messages);
    if (auto field = top.Get("nodes")) ReadNodes(*field);
    CheckReferences();
    CheckMessageRules();
    CheckBackupRules();
  }

 private:
  void ReadDefaults(const Field& field, Defaults& defaults) {
    Section section(
        d_, field,
        {"intervals", "failures", "thresholds", "snmp", "ping", "monitoring_hours", "time_sync"});
    if (auto intervals = section.Get("intervals")) {
      Section keys(d_, *intervals, KeysOf(kIntervalKeys));
      for (const auto& [key, member] : kIntervalKeys) {
        if (auto value = keys.Get(key)) d_.Interval(*value, defaults.intervals.*member);
      }
    }
    if (auto failures = section.Get("failures")) {
      Section keys(d_, *failures, KeysOf(kFailureKeys));
      for (const auto& [key, member] : kFailureKeys) {
        if (auto value = keys.Get(key)) d_.Integer(*value, 1, 100, defaults.failures.*member);
      }
    }
    if (auto thresholds = section.Get("thresholds")) {
      ReadThresholds(*thresholds, defaults.thresholds);
    }
    if (auto snmp = section.Get("snmp")) ReadSnmp(*snmp, defaults.snmp);
    if (auto ping = section.Get("ping")) ReadPing(*ping, defaults.ping);
    if (auto sync = section.Get("time_sync")) ReadTimeSync(*sync, defaults.time_sync, false);
    if (auto hours = section.Get("monitoring_hours")) {
      Section levels(d_, *hours, KeysOf(kLevels));
      for (const auto& [name, level] : kLevels) {
        if (auto value = levels.Get(name)) d_.Choice(*value, kHours, defaults.hours[level]);
      }
    }
  }

  // Reads warning and critical of one section into `threshold`; partial
  // overrides keep the other level.
  void ReadLevels(const Section& section, Threshold& threshold) {
    std::optional<Field> warning = section.Get("warning");
    std::optional<Field> critical = section.Get("critical");
    Threshold read = threshold;
    bool ok = true;
    if (warning) ok = d_.Percent(*warning, read.warning) && ok;
    if (critical) ok = d_.Percent(*critical, read.critical) && ok;
    if (!ok) return;
    if (read.warning > read.critical) {
      d_.Report(warning ? *warning : *critical, "warning " + FormatNumber(read.warning) +
                                                    " is above critical " +
                                                    FormatNumber(read.critical));
      return;
    }
    threshold = read;
  }

  void ReadThreshold(const Field& field, Threshold& threshold) {
    ReadLevels(Section(d_, field, {"warning", "critical"}), threshold);
  }

  void ReadThresholds(const Field& field, Thresholds& thresholds) {
    Section section(d_, field, {"cpu", "memory", "disk"});
    if (auto cpu = section.Get("cpu")) ReadThreshold(*cpu, thresholds.cpu);
    if (auto memory = section.Get("memory")) ReadThreshold(*memory, thresholds.memory);
    if (auto disk = section.Get("disk")) {
      Section levels(d_, *disk, {"warning", "critical"}, IsMountPoint,
                     "or a mount point such as /var or C:");
      ReadLevels(levels, thresholds.disk);
      for (const auto& [mount, value] : levels.extras()) {
        // A file system not overridden before starts from this disk level.
        auto it = thresholds.disk_by_mount.find(mount);
        Threshold threshold = it == thresholds.disk_by_mount.end() ? thresholds.disk : it->second;
        ReadThreshold(value, threshold);
        thresholds.disk_by_mount[mount] = threshold;
      }
    }
  }

  void ReadSnmp(const Field& field, SnmpSettings& snmp) {
    Section section(d_, field, {"version", "community", "port", "timeout", "retries"});
    if (auto version = section.Get("version")) {
      std::string text;
      if (d_.String(*version, text)) {
        if (text == "2c") {
          snmp.version = text;
        } else {
          d_.Report(*version, "only version 2c is supported, got '" + text + "'");
        }
      }
    }
    if (auto community = section.Get("community")) d_.Text(*community, snmp.community);
    if (auto port = section.Get("port")) d_.Port(*port, snmp.port);
    if (auto timeout = section.Get("timeout")) d_.Duration(*timeout, milliseconds(1), snmp.timeout);
    if (auto retries = section.Get("retries")) d_.Integer(*retries, 0, 10, snmp.retries);
  }

  void ReadPing(const Field& field, PingSettings& ping) {
    Section section(d_, field,
                    {"packets", "timeout", "packet_interval", "rtt_warning", "rtt_critical",
                     "loss_warning", "loss_critical"});
    if (auto packets = section.Get("packets")) d_.Integer(*packets, 1, 100, ping.packets);
    if (auto timeout = section.Get("timeout")) d_.Duration(*timeout, milliseconds(1), ping.timeout);
    if (auto interval = section.Get("packet_interval")) {
      d_.Duration(*interval, milliseconds(1), ping.interval);
    }
    // "off" clears a level set in the defaults.
    auto is_off = [](const std::optional<Field>& f) {
      return f && f->node.IsScalar() && f->node.Scalar() == "off";
    };
    bool ok = true;
    auto read_rtt = [&](std::string_view key, std::optional<milliseconds>& out) {
      std::optional<Field> value = section.Get(key);
      if (!value) return value;
      if (is_off(value)) {
        out.reset();
      } else if (milliseconds rtt{}; d_.Duration(*value, milliseconds(1), rtt)) {
        out = rtt;
      } else {
        ok = false;
      }
      return value;
    };
    auto read_loss = [&](std::string_view key, std::optional<double>& out) {
      std::optional<Field> value = section.Get(key);
      if (!value) return value;
      if (is_off(value)) {
        out.reset();
      } else if (double loss = 0; d_.Percent(*value, loss)) {
        out = loss;
      } else {
        ok = false;
      }
      return value;
    };
    std::optional<Field> rtt_warning = read_rtt("rtt_warning", ping.rtt_warning);
    std::optional<Field> rtt_critical = read_rtt("rtt_critical", ping.rtt_critical);
    std::optional<Field> loss_warning = read_loss("loss_warning", ping.loss_warning_percent);
    std::optional<Field> loss_critical = read_loss("loss_critical", ping.loss_critical_percent);
    if (!ok) return;
    if (ping.rtt_warning && ping.rtt_critical && *ping.rtt_warning > *ping.rtt_critical &&
        (rtt_warning || rtt_critical)) {
      d_.Report(rtt_warning ? *rtt_warning : *rtt_critical,
                "rtt_warning " + FormatDuration(*ping.rtt_warning) + " is above rtt_critical " +
                    FormatDuration(*ping.rtt_critical));
    }
    if (ping.loss_warning_percent && ping.loss_critical_percent &&
        *ping.loss_warning_percent > *ping.loss_critical_percent &&
        (loss_warning || loss_critical)) {
      d_.Report(loss_warning ? *loss_warning : *loss_critical,
                "loss_warning " + FormatNumber(*ping.loss_warning_percent) +
                    " is above loss_critical " + FormatNumber(*ping.loss_critical_percent));
    }
  }

  void ReadCalendar(const Field& field, CalendarSettings& calendar) {
    Section section(d_, field, {"business_hours", "extra_closed_days", "extra_open_days"});
    if (auto hours = section.Get("business_hours")) {
      std::string text;
      if (d_.Scalar(*hours, "business hours such as 09:00-17:45", text)) {
        const std::size_t dash = text.find('-');
        std::optional<int> open, close;
        if (dash != std::string::npos) {
          open = ParseClock(std::string_view(text).substr(0, dash));
          close = ParseClock(std::string_view(text).substr(dash + 1));
        }
        if (!open || !close) {
          d_.Report(*hours, "expected business hours such as 09:00-17:45, got '" + text + "'");
        } else if (*open >= *close) {
          d_.Report(*hours, "opening time " + text.substr(0, dash) +
                                " is not before closing time " + text.substr(dash + 1));
        } else {
          calendar.open_minute = *open;
          calendar.close_minute = *close;
        }
      }
    }
    auto read_days = [&](std::string_view key, std::vector<std::string>& days,
                         std::vector<Field>& fields) {
      std::optional<Field> list = section.Get(key);
      if (!list) return;
      days.clear();
      for (const Field& item : d_.Items(*list)) {
        std::string text;
        if (!d_.Scalar(item, "a date YYYY-MM-DD", text)) continue;
        if (!IsDate(text)) {
          d_.Report(item, "expected a date YYYY-MM-DD, got '" + text + "'");
          continue;
        }
        days.push_back(text);
        fields.push_back(item);
      }
    };
    std::vector<Field> closed_fields, open_fields;
    read_days("extra_closed_days", calendar.extra_closed_days, closed_fields);
    read_days("extra_open_days", calendar.extra_open_days, open_fields);
    const std::set<std::string> closed(calendar.extra_closed_days.begin(),
                                       calendar.extra_closed_days.end());
    for (std::size_t i = 0; i < open_fields.size(); ++i) {
      if (closed.count(calendar.extra_open_days[i])) {
        d_.Report(open_fields[i],
                  calendar.extra_open_days[i] + " is also in calendar.extra_closed_days");
      }
    }
  }

  void ReadMetrics(const Field& field, MetricsSettings& metrics) {
    Section section(d_, field, {"listen"});
    std::optional<Field> listen = section.Get("listen");
    std::string text;
    if (!listen || !d_.Scalar(*listen, "HOST:PORT such as 127.0.0.1:9716", text)) return;
    // HOST:PORT or [IPv6]:PORT; port 0 takes a free port (tests, demos).
    const std::size_t colon = text.rfind(':');
    std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    unsigned port = 0;
    const char* end = text.data() + text.size();
    const char* start = colon == std::string::npos ? end : text.data() + colon + 1;
    auto [stop, ec] = std::from_chars(start, end, port);
    if (host.empty() || start == end || ec != std::errc() || stop != end || port > 65535 ||
        !IsAddressOrName(host)) {
      d_.Report(*listen, "expected HOST:PORT such as 127.0.0.1:9716, got '" + text + "'");
      return;
    }
    metrics.listen = text;
  }

  // A list of people reports go to: system owners and the alerting roles.
  void ReadPeople(const Field& field, std::vector<Owner>& people) {
    for (const Field& item : d_.Items(field)) {
      Section section(d_, item, {"name", "mail", "phone"});
      Owner person;
      if (auto name = section.Get("name")) d_.String(*name, person.name);
      if (auto mail = section.Required("mail")) d_.MailAddress(*mail, person.mail);
      if (auto phone = section.Get("phone")) d_.PhoneNumber(*phone, person.phone);
      people.push_back(std::move(person));
    }
  }

  // Failure class -> high or low; only the classes named change.
  void ReadPriorities(const Field& field, std::map<FailureClass, Priority>& priorities) {
    std::vector<std::string_view> names;
    for (FailureClass c : kFailureClasses) names.push_back(FailureClassName(c));
    Section section(d_, field, names);
    for (FailureClass c : kFailureClasses) {
      if (auto value = section.Get(FailureClassName(c))) {
        d_.Choice(*value, kPriorities, priorities[c]);
      }
    }
  }

  void ReadAlerting(const Field& field, AlertingSettings& alerting) {
    Section section(d_, field,
                    {"platform_managers", "ict_service_center", "on_duty", "mail", "phone", "retry",
                     "priority", "ledger", "templates", "grouping_window", "platform_vm_threshold",
                     "suppressions", "suppression_platform_name", "suppression_notice_lead",
                     "recovery_targets", "availability"});
    if (auto people = section.Get("platform_managers")) {
      ReadPeople(*people, alerting.platform_managers);
    }
    if (auto people = section.Get("ict_service_center")) {
      ReadPeople(*people, alerting.ict_service_center);
    }
    if (auto people = section.Get("on_duty")) ReadPeople(*people, alerting.on_duty);
    if (auto mail = section.Get("mail")) ReadMail(*mail, alerting.mail);
    if (auto phone = section.Get("phone")) ReadPhone(*phone, alerting.phone);
    if (auto retry = section.Get("retry")) ReadRetry(*retry, alerting.retry);
    if (auto priority = section.Get("priority")) {
      ReadPriorities(*priority, alerting.priority.by_class);
    }
    if (auto ledger = section.Get("ledger")) ReadLedger(*ledger, alerting);
    if (auto templates = section.Get("templates")) d_.AbsolutePath(*templates, alerting.templates);
    if (auto window = section.Get("grouping_window")) {
      if (seconds value{}; d_.Interval(*window, value)) {
        if (value >= kShortestFirstReport) {
          d_.Report(*window, "must be under " + FormatDuration(kShortestFirstReport) +
                                 " (the shortest first-report deadline), got " +
                                 window->node.Scalar());
        } else {
          alerting.grouping_window = value;
        }
      }
    }
    if (auto threshold = section.Get("platform_vm_threshold")) {
      // One failing VM is that VM's incident, not the platform's.
      d_.Integer(*threshold, 2, kNoMaximum, alerting.platform_vm_threshold);
    }
    if (auto suppressions = section.Get("suppressions")) {
      for (const Field& item : d_.Items(*suppressions)) ReadSuppression(item);
    }
    if (auto name = section.Get("suppression_platform_name")) {
      d_.Text(*name, alerting.suppression_platform_name);
    }
    if (auto lead = section.Get("suppression_notice_lead")) {
      // Zero is allowed: queued at the start itself, as an operator may want.
      if (milliseconds value{}; d_.Duration(*lead, milliseconds(0), value)) {
        alerting.suppression_notice_lead = std::chrono::duration_cast<seconds>(value);
      }
    }
    if (auto targets = section.Get("recovery_targets")) {
      ReadRecoveryTargets(*targets, alerting.recovery_targets);
    }
    if (auto availability = section.Get("availability")) {
      Section a(d_, *availability, {"a_without_redundancy_as_b"});
      if (auto as_b = a.Get("a_without_redundancy_as_b")) {
        d_.Bool(*as_b, alerting.a_without_redundancy_as_b);
      }
    }
  }

  void ReadRecoveryTargets(const Field& field, RecoveryTargets& targets) {
    Section section(d_, field, {"A", "B", "C", "C-dev", "platform", "raise_priority"});
    const auto read = [&](const char* key, RecoveryTarget& target) {
      auto value = section.Get(key);
      if (!value) return;
      if (value->node.IsScalar() && value->node.Scalar() == "next_business_day") {
        target.within.reset();
      } else if (milliseconds ms{}; d_.Duration(*value, std::chrono::minutes(1), ms)) {
        target.within = std::chrono::duration_cast<seconds>(ms);
      }
    };
    read("A", targets.a);
    read("B", targets.b);
    read("C", targets.c);
    read("C-dev", targets.c_dev);
    read("platform", targets.platform);
    if (auto raise = section.Get("raise_priority")) d_.Bool(*raise, targets.raise_priority);
  }

  // Refuses a password written in the inventory itself: secrets come from a
  // file or the environment, never from a file that is copied around. The
  // section must have been made with `password` as its extra key. True when
  // there was none.
  bool RefuseInlinePassword(const Section& section) {
    for (const auto& [key, value] : section.extras()) {
      d_.Report(value,
                "the password itself does not belong in the inventory; give "
                "password_file or password_env");
    }
    return section.extras().empty();
  }

  // Where a section's password comes from: password_file or password_env,
  // not both; with `required`, neither is an error too (unless the password
  // was written inline, which RefuseInlinePassword reported).
  struct PasswordSource {
    bool given = false;        ///< password_file or password_env is there
    bool conflicting = false;  ///< both are
    bool ok = true;            ///< nothing was reported
  };
  PasswordSource ReadPasswordSource(const Section& section, const Field& field, bool required,
                                    std::string& file_out, std::string& env_out) {
    PasswordSource source;
    std::optional<Field> file = section.Get("password_file");
    std::optional<Field> env = section.Get("password_env");
    source.given = file || env;
    source.conflicting = file && env;
    if (file) source.ok = d_.AbsolutePath(*file, file_out) && source.ok;
    if (env) source.ok = d_.Text(*env, env_out) && source.ok;
    if (source.conflicting) {
      d_.Report(*env, "give password_file or password_env, not both");
      source.ok = false;
    } else if (required && !source.given && section.extras().empty()) {
      d_.Report(field, "needs password_file or password_env");
      source.ok = false;
    }
    return source;
  }

  // `ledger: /var/lib/mimamori/ledger.db` (SQLite), or
  // `ledger: {postgresql: "host=db1 dbname=mimamori user=mimamori",
  //           password_file: /etc/mimamori/ledger.pass}`.
  void ReadLedger(const Field& field, AlertingSettings& alerting) {
    if (field.node.IsScalar()) {
      d_.AbsolutePath(field, alerting.ledger);
      return;
    }
    Section section(d_, field, {"postgresql", "password_file", "password_env"},
                    [](std::string_view key) { return key == "password"; });
    RefuseInlinePassword(section);
    if (auto conninfo = section.Required("postgresql")) {
      std::string text;
      if (d_.Text(*conninfo, text)) {
        const bool uri = text.starts_with("postgresql://") || text.starts_with("postgres://");
        const std::size_t at = text.find('@');
        if (text.find("password=") != std::string::npos ||
            (uri && at != std::string::npos &&
             text.substr(0, at).find(':', 13) != std::string::npos)) {
          d_.Report(*conninfo,
                    "the password itself does not belong in the inventory; give password_file or "
                    "password_env");
        } else if (!IsPostgresLocation(text)) {
          d_.Report(*conninfo,
                    "is not a PostgreSQL connection string: give a URI "
                    "(postgresql://host/dbname) or key=value pairs (host=... dbname=...), got '" +
                        text + "'");
        } else {
          alerting.ledger = std::move(text);
        }
      }
    }
    ReadPasswordSource(section, field, false, alerting.ledger_password_file,
                       alerting.ledger_password_env);
  }

  void ReadVcenter(const Field& field) {
    Section section(d_, field,
                    {"url", "user", "password_file", "password_env", "insecure_skip_verify",
                     "ca_file", "interval", "timeout"},
                    [](std::string_view key) { return key == "password"; });
    RefuseInlinePassword(section);
    VcenterSettings vc;
    if (auto url = section.Required("url")) {
      d_.Url(*url, {"https://", "http://"}, "user and password_file or password_env", vc.url);
    }
    if (auto user = section.Required("user")) d_.Text(*user, vc.user);
    ReadPasswordSource(section, field, true, vc.password_file, vc.password_env);
    if (auto skip = section.Get("insecure_skip_verify")) {
      bool insecure = false;
      if (d_.Bool(*skip, insecure)) vc.verify_tls = !insecure;
    }
    if (auto ca = section.Get("ca_file")) d_.AbsolutePath(*ca, vc.ca_file);
    if (auto interval = section.Get("interval")) d_.Interval(*interval, vc.interval);
    if (auto timeout = section.Get("timeout")) d_.Duration(*timeout, milliseconds(1), vc.timeout);
    inventory_.vcenter = std::move(vc);
  }

  void ReadMail(const Field& field, MailSettings& mail) {
    Section section(d_, field,
                    {"url", "starttls", "user", "password_file", "password_env", "from",
                     "from_name", "timeout"},
                    [](std::string_view key) { return key == "password"; });
    RefuseInlinePassword(section);
    if (section.empty()) return;  // "mail:" alone: mail is not configured
    // Settings without a URL would leave mail silently off.
    if (auto url = section.Required("url")) {
      d_.Url(*url, {"smtp://", "smtps://"}, "user and password_file or password_env", mail.url);
      if (auto from = section.Required("from")) d_.MailAddress(*from, mail.from);
    }
    if (auto starttls = section.Get("starttls")) d_.Bool(*starttls, mail.starttls);
    std::optional<Field> user = section.Get("user");
    if (user) d_.Text(*user, mail.user);
    const PasswordSource password =
        ReadPasswordSource(section, field, user.has_value(), mail.password_file, mail.password_env);
    if (!user && password.given && !password.conflicting) {
      std::optional<Field> file = section.Get("password_file");
      d_.Report(file ? *file : *section.Get("password_env"),
                "only used for SMTP AUTH; give user as well");
    }
    if (auto from_name = section.Get("from_name")) d_.String(*from_name, mail.from_name);
    if (auto timeout = section.Get("timeout")) d_.Duration(*timeout, milliseconds(1), mail.timeout);
  }

  void ReadPhone(const Field& field, PhoneSettings& phone) {
    Section section(d_, field, {"command", "webhook_url", "token_file", "token_env", "timeout"},
                    [](std::string_view key) { return key == "token"; });
    for (const auto& [key, value] : section.extras()) {
      d_.Report(value,
                "the token itself does not belong in the inventory; give token_file or "
                "token_env");
    }
    std::optional<Field> command = section.Get("command");
    std::optional<Field> webhook = section.Get("webhook_url");
    if (command) ReadCommand(*command, phone.command);
    if (webhook) {
      d_.Url(*webhook, {"http://", "https://"}, "token_file or token_env", phone.webhook_url);
    }
    if (command && webhook) d_.Report(*webhook, "give command or webhook_url, not both");
    std::optional<Field> file = section.Get("token_file");
    std::optional<Field> env = section.Get("token_env");
    if (file) d_.AbsolutePath(*file, phone.token_file);
    if (env) d_.Text(*env, phone.token_env);
    if (file && env) {
      d_.Report(*env, "give token_file or token_env, not both");
    } else if (!webhook && (file || env)) {
      d_.Report(file ? *file : *env, "only used with webhook_url");
    }
    if (auto timeout = section.Get("timeout")) {
      d_.Duration(*timeout, milliseconds(1), phone.timeout);
    }
  }

  // The argv of the phone command. No shell runs it, so one string with
  // spaces would be taken as the program's whole name.
  void ReadCommand(const Field& field, std::vector<std::string>& argv) {
    if (field.node.IsScalar()) {
      d_.Report(field,
                "expected the program and its arguments as a list such as "
                "[/usr/local/bin/call-duty, --urgent] (no shell runs it), got '" +
                    field.node.Scalar() + "'");
      return;
    }
    std::vector<Field> items = d_.Items(field);
    if (items.empty()) {
      if (field.node.IsNull() || (field.node.IsSequence() && field.node.size() == 0)) {
        d_.Report(field, "must not be empty");
      }
      return;
    }
    std::vector<std::string> read;
    bool ok = d_.AbsolutePath(items[0], read.emplace_back());
    for (std::size_t i = 1; i < items.size(); ++i) {
      ok = d_.String(items[i], read.emplace_back()) && ok;
    }
    if (ok) argv = std::move(read);
  }

  void ReadRetry(const Field& field, RetrySettings& retry) {
    Section section(d_, field, {"initial", "max", "phone_attempts"});
    std::optional<Field> initial = section.Get("initial");
    std::optional<Field> max = section.Get("max");
    RetrySettings read = retry;
    bool ok = true;
    if (initial) ok = d_.Interval(*initial, read.initial) && ok;
    if (max) ok = d_.Interval(*max, read.max) && ok;
    if (ok && read.initial > read.max) {
      d_.Report(initial ? *initial : *max, "initial " + FormatDuration(read.initial) +
                                               " is above max " + FormatDuration(read.max));
    } else if (ok) {
      retry.initial = read.initial;
      retry.max = read.max;
    }
    if (auto attempts = section.Get("phone_attempts")) {
      d_.Integer(*attempts, 1, 100, retry.phone_attempts);
    }
  }

  void ReadSuppression(const Field& field) {
    Section section(d_, field, {"node", "system", "start", "end", "reason", "requested_by"});
    ConfiguredSuppression suppression;
    SuppressionFields fields;
    suppression.line = d_.LineOf(field.mark);
    std::optional<Field> node = section.Get("node");
    std::optional<Field> system = section.Get("system");
    if (node && d_.Text(*node, suppression.node)) fields.node = node;
    if (system && d_.Text(*system, suppression.system)) fields.system = system;
    if (node && system) {
      d_.Report(*system, "give node or system, not both");
    } else if (!node && !system && field.node.IsMap()) {
      d_.Report(field, "needs node or system");
    }
    std::optional<TimePoint> start, end;
    auto read_time = [&](std::string_view key, std::string& text, std::optional<TimePoint>& at) {
      std::optional<Field> value = section.Required(key);
      if (!value || !d_.Scalar(*value, "a time YYYY-MM-DD HH:MM", text)) return value;
      at = ParseTokyoTime(text);
      if (!at && TokyoTimeProblem(text).starts_with("is outside")) {
        d_.Report(*value, "'" + text + "' " + TokyoTimeProblem(text));
      } else if (!at) {
        d_.Report(*value, "expected a time YYYY-MM-DD HH:MM (Asia/Tokyo), got '" + text + "'");
      }
      return value;
    };
    read_time("start", suppression.start, start);
    std::optional<Field> end_field = read_time("end", suppression.end, end);
    if (start && end && *end <= *start) {
      d_.Report(*end_field, "end " + suppression.end + " is not after start " + suppression.start);
    }
    // Who asked and why: the ledger and the suppression mails record both.
    if (auto reason = section.Required("reason")) d_.Text(*reason, suppression.reason);
    if (auto by = section.Required("requested_by")) d_.Text(*by, suppression.requested_by);
    inventory_.alerting.suppressions.push_back(std::move(suppression));
    suppression_fields_.push_back(std::move(fields));
  }

  void ReadSystems(const Field& field) {
    Repeats names(d_);
    for (const Field& item : d_.Items(field)) {
      Section section(d_, item, {"name", "level", "owners", "priority", "redundant"});
      System system;
      std::optional<Field> name = section.Required("name");
      if (name && d_.Text(*name, system.name)) {
        names.Add(system.name, *name, "system name '" + system.name + "'");
      }
      if (auto level = section.Required("level")) d_.Choice(*level, kLevels, system.level);
      if (auto owners = section.Get("owners")) ReadPeople(*owners, system.owners);
      if (auto priority = section.Get("priority")) ReadPriorities(*priority, system.priority);
      if (auto redundant = section.Get("redundant")) d_.Bool(*redundant, system.redundant);
      inventory_.systems.push_back(std::move(system));
    }
  }

  void ReadNodes(const Field& field) {
    for (const Field& item : d_.Items(field)) {
      Section section(d_, item,
                      {"name", "address", "kind", "host", "system", "os", "snmp", "ping",
                       "resource", "processes", "ports", "services", "web", "thresholds", "enabled",
                       "acceptance_testing", "monitoring_starts",
                       // issue 10
                       "hardware", "time_sync", "backups", "syslog", "messages"});
      Node node;
      NodeFields fields;
      node.line = d_.LineOf(item.mark);
      node.snmp = inventory_.defaults.snmp;
      node.ping = inventory_.defaults.ping;
      node.thresholds = inventory_.defaults.thresholds;
      node.time_sync = inventory_.defaults.time_sync;
      fields.name = section.Required("name");
      if (fields.name && !d_.Text(*fields.name, node.name)) fields.name.reset();
      if (auto address = section.Required("address"); address && d_.Text(*address, node.address)) {
        if (!IsAddressOrName(node.address)) {
          d_.Report(*address,
                    "'" + node.address + "' is not an IPv4 or IPv6 address or a DNS name");
        }
      }
      if (auto kind = section.Get("kind")) d_.Choice(*kind, kKinds, node.kind);
      // Spec section 2: network devices and vCenter get no resource monitoring.
      node.resource = node.kind != NodeKind::kNetwork && node.kind != NodeKind::kVcenter;
      if (auto resource = section.Get("resource")) d_.Bool(*resource, node.resource);
      fields.host = section.Get("host");
      if (fields.host && !d_.Text(*fields.host, node.host)) fields.host.reset();
      fields.system = section.Get("system");
      if (fields.system && !d_.Text(*fields.system, node.system)) fields.system.reset();
      if (auto os = section.Get("os")) d_.String(*os, node.os);
      if (auto snmp = section.Get("snmp")) ReadSnmp(*snmp, node.snmp);
      if (auto ping = section.Get("ping")) ReadPing(*ping, node.ping);
      if (auto thresholds = section.Get("thresholds")) ReadThresholds(*thresholds, node.thresholds);
      ReadNodeState(section, node);
      ReadPlatformChecks(section, node);
      if (auto processes = section.Get("processes")) {
        Repeats names(d_);
        for (const Field& process_field : d_.Items(*processes)) {
          if (auto process = ReadProcess(process_field);
              process &&
              names.Add(process->name, process_field, "process name '" + process->name + "'")) {
            node.processes.push_back(std::move(*process));
          }
        }
      }
      if (auto ports = section.Get("ports")) {
        Repeats numbers(d_);
        for (const Field& port_field : d_.Items(*ports)) {
          if (auto port = ReadPort(port_field);
              port && numbers.Add(std::to_string(port->port), port_field,
                                  "port " + std::to_string(port->port))) {
            node.ports.push_back(std::move(*port));
          }
        }
      }
      if (auto services = section.Get("services")) {
        Repeats names(d_);
        for (const Field& service_field : d_.Items(*services)) {
          if (auto service = ReadService(service_field);
              service &&
              names.Add(service->service, service_field, "service '" + service->service + "'")) {
            node.services.push_back(std::move(*service));
          }
        }
      }
      if (auto web = section.Get("web")) {
        Repeats names(d_);
        for (const Field& web_field : d_.Items(*web)) {
          if (auto check = ReadWeb(web_field);
              check && names.Add(check->name, web_field, "web check '" + check->name + "'")) {
            node.web.push_back(std::move(*check));
          }
        }
      }
      ReadNodeMessages(section, node);
      inventory_.nodes.push_back(std::move(node));
      node_fields_.push_back(std::move(fields));
    }
  }

  // enabled, acceptance_testing and monitoring_starts: when the node's
  // checks run and whether their failures are reported.
  void ReadNodeState(const Section& section, Node& node) {
    std::optional<Field> enabled = section.Get("enabled");
    std::optional<Field> acceptance = section.Get("acceptance_testing");
    if (enabled) d_.Bool(*enabled, node.enabled);
    if (acceptance) d_.Bool(*acceptance, node.acceptance_testing);
    if (!node.enabled && node.acceptance_testing) {
      // Disabled runs nothing, acceptance runs checks: both at once is a
      // contradiction an operator should resolve, not have guessed.
      d_.Report(*acceptance,
                "a node with enabled: false runs no checks, so it cannot be in acceptance "
                "testing; give one of the two");
    }
    if (auto starts = section.Get("monitoring_starts")) {
      std::string text;
      if (!d_.Scalar(*starts, "a date YYYY-MM-DD", text)) return;
      const auto day = ParseIsoDate(text);
      if (!day) {
        d_.Report(*starts, "expected a date YYYY-MM-DD, got '" + text + "'");
      } else if (!IsSupportedDay(*day)) {
        d_.Report(*starts,
                  "'" + text + "' is outside the supported times (" + SupportedTimeRange() + ")");
      } else {
        node.monitoring_starts = BusinessCalendar::FromTokyo(std::chrono::local_days{*day});
        node.monitoring_starts_text = text;
      }
    }
  }

  std::optional<ProcessCheck> ReadProcess(const Field& field) {
    Section section(d_, field,
                    {"name", "command", "arguments", "case_insensitive", "min_count", "max_count"});
    ProcessCheck process;
    bool ok = true;
    if (auto name = section.Required("name")) {
      ok = d_.Text(*name, process.name) && ok;
    } else {
      ok = false;
    }
    if (auto icase = section.Get("case_insensitive")) {
      ok = d_.Bool(*icase, process.case_insensitive) && ok;
    }
    if (auto command = section.Required("command")) {
      ok = d_.Regex(*command, process.case_insensitive, false, process.command) && ok;
    } else {
      ok = false;
    }
    if (auto arguments = section.Get("arguments")) {
      ok = d_.Regex(*arguments, process.case_insensitive, true, process.arguments) && ok;
    }
    std::optional<Field> min = section.Get("min_count");
    std::optional<Field> max = section.Get("max_count");
    bool counts_ok = true;
    if (min) counts_ok = d_.Integer(*min, 0, kNoMaximum, process.min_count) && counts_ok;
    if (max) counts_ok = d_.Integer(*max, 0, kNoMaximum, process.max_count) && counts_ok;
    if (counts_ok && process.min_count > process.max_count) {
      d_.Report(min ? *min : *max, "min_count " + std::to_string(process.min_count) +
                                       " is above max_count " + std::to_string(process.max_count));
      counts_ok = false;
    }
    if (!ok || !counts_ok) return std::nullopt;
    return process;
  }

  std::optional<PortCheck> ReadPort(const Field& field) {
    PortCheck port;
    if (field.node.IsScalar()) {
      if (!d_.Port(field, port.port)) return std::nullopt;
    } else if (field.node.IsMap()) {
      Section section(d_, field, {"port", "name", "timeout"});
      bool ok = true;
      if (auto number = section.Required("port")) {
        ok = d_.Port(*number, port.port) && ok;
      } else {
        ok = false;
      }
      if (auto name = section.Get("name")) ok = d_.String(*name, port.name) && ok;
      if (auto timeout = section.Get("timeout")) {
        ok = d_.Duration(*timeout, milliseconds(1), port.timeout) && ok;
      }
      if (!ok) return std::nullopt;
    } else {
      d_.Report(field, "expected a port number or a mapping, got " + Describe(field.node));
      return std::nullopt;
    }
    if (port.name.empty()) port.name = "tcp/" + std::to_string(port.port);
    return port;
  }

  std::optional<ServiceCheck> ReadService(const Field& field) {
    Section section(d_, field,
                    {"name", "via", "user", "password_file", "password_env", "port", "protocol",
                     "ca_file", "insecure_skip_verify", "timeout", "retries"},
                    [](std::string_view key) { return key == "password"; });
    ServiceCheck service;
    bool ok = RefuseInlinePassword(section);
    if (auto name = section.Required("name")) {
      ok = d_.Text(*name, service.service) && ok;
    } else {
      ok = false;
    }
    if (auto via = section.Get("via")) {
      static constexpr std::pair<std::string_view, ServiceVia> kVia[] = {
          {"winrm", ServiceVia::kWinRm}, {"snmp", ServiceVia::kSnmp}};
      if (!d_.Choice(*via, kVia, service.via)) return std::nullopt;
    }
    if (service.via == ServiceVia::kSnmp) {
      // The agent's table is read with the node's snmp settings; WinRM keys
      // here would be silently unused.
      for (std::string_view key : {"user", "password_file", "password_env", "port", "protocol",
                                   "ca_file", "insecure_skip_verify", "timeout", "retries"}) {
        if (auto unused = section.Get(key)) {
          d_.Report(*unused,
                    "only with via: winrm (via: snmp reads the agent's service table with the "
                    "node's snmp settings)");
          ok = false;
        }
      }
      if (!ok) return std::nullopt;
      return service;
    }
    if (auto user = section.Required("user")) {
      ok = d_.Text(*user, service.user) && ok;
    } else {
      ok = false;
    }
    ok = ReadPasswordSource(section, field, true, service.password_file, service.password_env).ok &&
         ok;
    if (auto protocol = section.Get("protocol")) {
      static constexpr std::pair<std::string_view, bool> kProtocols[] = {{"http", false},
                                                                         {"https", true}};
      ok = d_.Choice(*protocol, kProtocols, service.https) && ok;
    }
    // WinRM's own default ports.
    service.port = service.https ? 5986 : 5985;
    if (auto port = section.Get("port")) ok = d_.Port(*port, service.port) && ok;
    std::optional<Field> ca_file = section.Get("ca_file");
    std::optional<Field> insecure = section.Get("insecure_skip_verify");
    for (const std::optional<Field>& tls_key : {ca_file, insecure}) {
      if (tls_key && !service.https) {
        d_.Report(*tls_key, "only with protocol: https");
        ok = false;
      }
    }
    if (ca_file) ok = d_.AbsolutePath(*ca_file, service.ca_file) && ok;
    if (insecure) {
      bool skip = false;
      ok = d_.Bool(*insecure, skip) && ok;
      service.verify_tls = !skip;
      if (skip && ca_file) {
        d_.Report(*insecure, "give ca_file or insecure_skip_verify, not both");
        ok = false;
      }
    }
    if (auto timeout = section.Get("timeout")) {
      ok = d_.Duration(*timeout, milliseconds(1), service.timeout) && ok;
    }
    if (auto retries = section.Get("retries")) {
      ok = d_.Integer(*retries, 0, 10, service.retries) && ok;
    }
    if (!ok) return std::nullopt;
    return service;
  }

  std::optional<WebCheck> ReadWeb(const Field& field) {
    Section section(d_, field, {"name", "url", "expected_status", "body", "timeout"});
    WebCheck web;
    bool ok = true;
    if (auto url = section.Required("url")) {
      ok = d_.Url(*url, {"http://", "https://"}, "", web.url) && ok;
    } else {
      ok = false;
    }
    if (auto status = section.Get("expected_status")) {
      ok = d_.Integer(*status, 100, 599, web.expected_status) && ok;
    }
    if (auto body = section.Get("body")) ok = d_.Regex(*body, false, true, web.body_regex) && ok;
    if (auto timeout = section.Get("timeout")) {
      ok = d_.Duration(*timeout, milliseconds(1), web.timeout) && ok;
    }
    if (auto name = section.Get("name")) ok = d_.String(*name, web.name) && ok;
    if (!ok) return std::nullopt;
    if (web.name.empty()) web.name = web.url;
    return web;
  }

  // ---- issue 10: hardware, time_sync and backups of a node ----

  void ReadPlatformChecks(const Section& section, Node& node) {
    // Spec section 7: ESXi hosts' hardware is watched; storage and the
    // monitoring servers are 24x365 equipment of the same kind.
    node.hardware = node.kind == NodeKind::kEsxiHost || node.kind == NodeKind::kStorage ||
                    node.kind == NodeKind::kMonitoringServer;
    if (auto hardware = section.Get("hardware")) ReadHardware(*hardware, node);
    if (auto time_sync = section.Get("time_sync")) ReadTimeSync(*time_sync, node.time_sync);
    if (auto backups = section.Get("backups")) {
      Repeats names(d_);
      for (const Field& item : d_.Items(*backups)) {
        if (auto job = ReadBackup(item);
            job && names.Add(job->name, item, "backup job '" + job->name + "'")) {
          node.backups.push_back(std::move(*job));
        }
      }
    }
  }

  // An RE2 pattern, compiled here so that a typo stops the load.
  bool Re2Pattern(const Field& field, std::string& out) {
    std::string text;
    if (!d_.Text(field, text)) return false;
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 re(text, options);
    if (!re.ok()) {
      d_.Report(field, "'" + text + "' is not a valid regular expression (RE2): " + re.error());
      return false;
    }
    out = std::move(text);
    return true;
  }

  // `hardware: true|false`, or a mapping {enabled, ignore: [regex, ...]}.
  void ReadHardware(const Field& field, Node& node) {
    if (!field.node.IsMap()) {  // a scalar, or nothing: reported as not true or false
      d_.Bool(field, node.hardware);
      return;
    }
    Section section(d_, field, {"enabled", "ignore"});
    node.hardware = true;
    if (auto enabled = section.Get("enabled")) d_.Bool(*enabled, node.hardware);
    if (auto ignore = section.Get("ignore")) {
      for (const Field& item : d_.Items(*ignore)) {
        if (std::string pattern; Re2Pattern(item, pattern)) {
          node.hardware_ignore.push_back(std::move(pattern));
        }
      }
    }
  }

  // `time_sync: false`, `true`, or {warning: 60s, critical: 300s}. On a
  // node a mapping turns the check on; in the defaults it only sets levels.
  void ReadTimeSync(const Field& field, TimeSyncSettings& settings, bool node = true) {
    if (!field.node.IsMap()) {
      bool on = true;
      if (d_.Bool(field, on)) settings.enabled = on;
      return;
    }
    Section section(d_, field, {"enabled", "warning", "critical"});
    if (!field.node.IsMap()) return;  // reported by Section
    if (node) settings.enabled = true;
    if (auto enabled = section.Get("enabled")) {
      bool on = true;
      if (d_.Bool(*enabled, on)) settings.enabled = on;
    }
    std::optional<Field> warning = section.Get("warning");
    std::optional<Field> critical = section.Get("critical");
    TimeSyncSettings read = settings;
    bool ok = true;
    if (warning) ok = d_.Interval(*warning, read.warning) && ok;
    if (critical) ok = d_.Interval(*critical, read.critical) && ok;
    if (!ok) return;
    if (read.warning > read.critical) {
      d_.Report(warning ? *warning : *critical, "warning " + FormatDuration(read.warning) +
                                                    " is above critical " +
                                                    FormatDuration(read.critical));
      return;
    }
    settings.warning = read.warning;
    settings.critical = read.critical;
  }

  std::optional<BackupJob> ReadBackup(const Field& field) {
    Section section(d_, field,
                    {"name", "file", "match", "url", "field", "expect", "age_field", "message",
                     "failure", "before", "timeout"});
    if (!field.node.IsMap()) return std::nullopt;  // reported by Section
    BackupJob job;
    job.line = d_.LineOf(field.mark);
    bool ok = true;
    if (auto name = section.Required("name")) {
      ok = d_.Text(*name, job.name) && ok;
    } else {
      ok = false;
    }
    std::optional<Field> file = section.Get("file");
    std::optional<Field> url = section.Get("url");
    std::optional<Field> message = section.Get("message");
    if ((file ? 1 : 0) + (url ? 1 : 0) + (message ? 1 : 0) > 1) {
      d_.Report(message ? *message : *url,
                "give one of file, url and message, not more (one source per job)");
      return std::nullopt;
    }
    if (!file && !url && !message) {
      d_.Report(field,
                "needs file (a result file or glob), url (an HTTP JSON endpoint) or message (a "
                "message rule of the backup product's success message)");
      return std::nullopt;
    }
    // Keys of the other sources would be silently unused.
    const std::pair<std::string_view, const char*> source_keys[] = {
        {"match", "file"},    {"field", "url"},   {"expect", "url"},
        {"age_field", "url"}, {"timeout", "url"}, {"failure", "message"}};
    const std::string_view source = file ? "file" : url ? "url" : "message";
    for (const auto& [key, owner] : source_keys) {
      if (owner == source) continue;
      if (auto unused = section.Get(key)) {
        d_.Report(*unused, std::string("only with ") + owner);
        ok = false;
      }
    }
    std::optional<Field> before = section.Get("before");
    if (before) {
      std::string text;
      if (d_.Scalar(*before, "a time of day HH:MM (Asia/Tokyo)", text)) {
        std::optional<int> minute = ParseClock(text);
        if (!minute || *minute >= 24 * 60) {
          d_.Report(*before, "expected a time of day HH:MM (Asia/Tokyo) such as \"06:00\", got '" +
                                 text + "'");
          ok = false;
        } else {
          job.before_minute = minute;
          job.before_text = text;
        }
      } else {
        ok = false;
      }
    }
    if (file) {
      ok = d_.AbsolutePath(*file, job.file) && ok;
      if (auto match = section.Get("match")) ok = Re2Pattern(*match, job.match) && ok;
      if (!before) {
        d_.Report(field, "needs before (the daily deadline, e.g. \"06:00\") with file");
        ok = false;
      }
    } else if (message) {
      // The rules are checked once the node's own are read (CheckBackupRules).
      if (d_.Text(*message, job.message)) {
        backup_rule_refs_.push_back(
            {inventory_.nodes.size(), job.message, MessageRule::Records::kSuccess, *message});
      } else {
        ok = false;
      }
      if (auto failure = section.Get("failure")) {
        if (d_.Text(*failure, job.failure)) {
          backup_rule_refs_.push_back(
              {inventory_.nodes.size(), job.failure, MessageRule::Records::kFailure, *failure});
        } else {
          ok = false;
        }
      }
      if (!before) {
        d_.Report(field, "needs before (the daily deadline, e.g. \"06:00\") with message");
        ok = false;
      }
    } else {
      ok = d_.Url(*url, {"http://", "https://"}, "", job.url) && ok;
      if (auto path = section.Required("field")) {
        ok = d_.Text(*path, job.field) && ok;
      } else {
        ok = false;
      }
      if (auto expect = section.Required("expect")) {
        ok = d_.Text(*expect, job.expect) && ok;
      } else {
        ok = false;
      }
      std::optional<Field> age = section.Get("age_field");
      if (age) ok = d_.Text(*age, job.age_field) && ok;
      if (age && !before) {
        d_.Report(*age, "needs before (the daily deadline, e.g. \"06:00\") to judge the age");
        ok = false;
      } else if (before && !age) {
        d_.Report(*before,
                  "only with file, message or age_field (nothing else has a time to judge)");
        ok = false;
      }
      if (auto timeout = section.Get("timeout")) {
        ok = d_.Duration(*timeout, milliseconds(1), job.timeout) && ok;
      }
    }
    if (!ok) return std::nullopt;
    return job;
  }

  // --- Messages (syslog and SNMP traps) ---

  // HOST:PORT or [IPv6]:PORT to listen on; port 0 takes a free port (tests).
  bool ListenAddress(const Field& field, std::string& out) {
    std::string text;
    if (!d_.Scalar(field, "HOST:PORT such as 0.0.0.0:514", text)) return false;
    const std::size_t colon = text.rfind(':');
    std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    unsigned port = 0;
    const char* end = text.data() + text.size();
    const char* start = colon == std::string::npos ? end : text.data() + colon + 1;
    auto [stop, ec] = std::from_chars(start, end, port);
    in_addr v4{};
    in6_addr v6{};
    const bool numeric =
        inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
    if (start == end || ec != std::errc() || stop != end || port > 65535 || !numeric) {
      d_.Report(field, "expected an IP address and port such as 0.0.0.0:514, got '" + text + "'");
      return false;
    }
    out = std::move(text);
    return true;
  }

  // An RE2 pattern (linear time, so a rule cannot be made to hang the
  // receiver); compiled here so that a typo stops the load.
  bool MessageRegex(const Field& field, std::string& out) {
    std::string text;
    if (!d_.Text(field, text)) return false;
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(text, options);
    if (!re.ok()) {
      d_.Report(field, "'" + text + "' is not a valid regular expression: " + re.error());
      return false;
    }
    out = std::move(text);
    return true;
  }

  void ReadMessages(const Field& field, MessageSettings& messages) {
    Section section(d_, field,
                    {"syslog", "traps", "max_message", "rate_per_source", "burst_per_source",
                     "auto_clear", "interval", "rules"});
    messages.enabled = true;
    messages.trap_community = inventory_.defaults.snmp.community;
    if (auto syslog = section.Get("syslog")) {
      Section keys(d_, *syslog, {"udp", "tcp"});
      messages.syslog_udp = "0.0.0.0:514";
      messages.syslog_tcp = "0.0.0.0:514";
      if (auto udp = keys.Get("udp")) {
        if (udp->node.IsScalar() && udp->node.Scalar() == "off") {
          messages.syslog_udp.clear();
        } else {
          ListenAddress(*udp, messages.syslog_udp);
        }
      }
      if (auto tcp = keys.Get("tcp")) {
        if (tcp->node.IsScalar() && tcp->node.Scalar() == "off") {
          messages.syslog_tcp.clear();
        } else {
          ListenAddress(*tcp, messages.syslog_tcp);
        }
      }
    }
    if (auto traps = section.Get("traps")) {
      Section keys(d_, *traps, {"udp", "community"});
      messages.traps_udp = "0.0.0.0:162";
      if (auto udp = keys.Get("udp")) ListenAddress(*udp, messages.traps_udp);
      if (auto community = keys.Get("community")) d_.Text(*community, messages.trap_community);
    }
    if (auto max = section.Get("max_message")) {
      int bytes = 0;
      if (d_.Integer(*max, 480, 65535, bytes))
        messages.max_message = static_cast<std::size_t>(bytes);
    }
    if (auto rate = section.Get("rate_per_source")) {
      int value = 0;
      if (d_.Integer(*rate, 1, 10'000'000, value)) messages.rate_per_source = value;
    }
    if (auto burst = section.Get("burst_per_source")) {
      int value = 0;
      if (d_.Integer(*burst, 1, 10'000'000, value)) messages.burst_per_source = value;
    }
    if (auto clear = section.Get("auto_clear")) d_.Interval(*clear, messages.auto_clear);
    if (auto interval = section.Get("interval")) d_.Interval(*interval, messages.interval);
    if (auto rules = section.Get("rules")) {
      Repeats names(d_);
      for (const Field& item : d_.Items(*rules)) {
        auto rule = ReadMessageRule(item, true);
        if (rule && names.Add(rule->name, item, "message rule '" + rule->name + "'")) {
          CheckRuleReceiver(*rule, item);
          messages.rules.push_back(std::move(*rule));
        }
      }
    }
  }

  // A rule of messages.rules (`for_nodes`: with kinds and nodes) or of a
  // node's own `messages:`.
  std::optional<MessageRule> ReadMessageRule(const Field& field, bool for_nodes) {
    std::vector<std::string_view> known = {"name",      "facility",   "severity", "program",
                                           "text",      "trap",       "varbinds", "status",
                                           "recovered", "auto_clear", "records"};
    if (for_nodes) {
      known.push_back("kinds");
      known.push_back("nodes");
    }
    Section section(d_, field, known);
    MessageRule rule;
    rule.line = d_.LineOf(field.mark);
    bool ok = true;
    if (auto name = section.Required("name"); name && d_.Text(*name, rule.name)) {
      const bool plain = std::all_of(rule.name.begin(), rule.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
      });
      if (!plain) {
        d_.Report(*name, "'" + rule.name + "' may hold only letters, digits, '-', '_' and '.'");
        ok = false;
      } else if (rule.name == "silence") {
        d_.Report(*name, "'silence' is the name of the syslog silence monitor");
        ok = false;
      }
    } else {
      ok = false;
    }
    if (auto kinds = section.Get("kinds")) {
      for (const Field& item : d_.Items(*kinds)) {
        NodeKind kind{};
        if (d_.Choice(item, kKinds, kind)) rule.kinds.push_back(kind);
      }
    }
    if (auto nodes = section.Get("nodes")) {
      for (const Field& item : d_.Items(*nodes)) {
        std::string name;
        if (d_.Text(item, name)) {
          rule.nodes.push_back(name);
          message_rule_nodes_.push_back({name, item});
        }
      }
    }
    if (for_nodes && rule.kinds.empty() && rule.nodes.empty() && ok) {
      d_.Report(field, "give kinds or nodes: the nodes this rule applies to");
      ok = false;
    }
    ok = ReadMessageMatch(section, field, rule.match) && ok;
    if (auto status = section.Get("status")) {
      std::string text;
      if (d_.String(*status, text) && text != "warning" && text != "critical") {
        d_.Report(*status, "expected one of warning, critical, got '" + text + "'");
        ok = false;
      } else {
        rule.status = text;
      }
    }
    if (auto recovered = section.Get("recovered")) {
      Section keys(d_, *recovered, {"facility", "severity", "program", "text", "trap", "varbinds"});
      MessageMatch match;
      if (ReadMessageMatch(keys, *recovered, match)) {
        if (match.IsTrap() != rule.match.IsTrap()) {
          d_.Report(*recovered, "the recovered message must be of the rule's kind (" +
                                    std::string(rule.match.IsTrap() ? "a trap" : "syslog") + ")");
          ok = false;
        }
        rule.recovered = std::move(match);
      } else {
        ok = false;
      }
    }
    if (auto clear = section.Get("auto_clear")) {
      seconds value{};
      if (rule.recovered) {
        d_.Report(*clear, "a rule with a recovered message is cleared by it, not by time");
        ok = false;
      } else if (d_.Interval(*clear, value)) {
        rule.auto_clear = value;
      } else {
        ok = false;
      }
    }
    if (auto records = section.Get("records")) {
      static constexpr std::pair<std::string_view, MessageRule::Records> kRecords[] = {
          {"success", MessageRule::Records::kSuccess}, {"failure", MessageRule::Records::kFailure}};
      if (d_.Choice(*records, kRecords, rule.records)) {
        // The backup job decides what the message means: a status or a way
        // to clear would be silently unused.
        for (std::string_view key : {"status", "recovered", "auto_clear"}) {
          if (auto unused = section.Get(key)) {
            d_.Report(*unused, "not with records (the backup job naming the rule judges it)");
            ok = false;
          }
        }
        if (ok) {
          records_fields_.push_back(
              {for_nodes ? kSharedRules : inventory_.nodes.size(), rule.name, *records});
        }
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return rule;
  }

  bool ReadMessageMatch(const Section& section, const Field& at, MessageMatch& match) {
    static constexpr std::pair<std::string_view, int> kFacilities[] = {
        {"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
        {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
        {"authpriv", 10}, {"ftp", 11},    {"ntp", 12},    {"audit", 13},  {"alert", 14},
        {"clock", 15},    {"local0", 16}, {"local1", 17}, {"local2", 18}, {"local3", 19},
        {"local4", 20},   {"local5", 21}, {"local6", 22}, {"local7", 23}};
    static constexpr std::pair<std::string_view, int> kSeverities[] = {
        {"emerg", 0},   {"alert", 1},  {"crit", 2}, {"error", 3}, {"err", 3},
        {"warning", 4}, {"notice", 5}, {"info", 6}, {"debug", 7}};
    bool ok = true;
    if (auto facility = section.Get("facility")) {
      std::vector<Field> items;
      if (facility->node.IsSequence()) {
        items = d_.Items(*facility);
      } else {
        items.push_back(*facility);
      }
      for (const Field& item : items) {
        int code = 0;
        if (d_.Choice(item, kFacilities, code)) {
          match.facilities.push_back(code);
        } else {
          ok = false;
        }
      }
    }
    if (auto severity = section.Get("severity")) {
      ok = d_.Choice(*severity, kSeverities, match.severity) && ok;
    }
    if (auto program = section.Get("program")) ok = d_.Text(*program, match.program) && ok;
    if (auto text = section.Get("text")) ok = MessageRegex(*text, match.text) && ok;
    if (auto trap = section.Get("trap")) {
      std::string text;
      if (d_.Text(*trap, text) && proto::Oid::Parse(text)) {
        match.trap = proto::Oid::Parse(text)->ToString();
      } else {
        if (trap->node.IsScalar()) {
          d_.Report(*trap,
                    "expected a numeric OID such as 1.3.6.1.6.3.1.1.5.3, got '" + text + "'");
        }
        ok = false;
      }
    }
    if (auto varbinds = section.Get("varbinds")) {
      Section oids(
          d_, *varbinds, {}, [](std::string_view) { return true; }, "numeric OIDs");
      for (const auto& [key, value] : oids.extras()) {
        auto oid = proto::Oid::Parse(key);
        std::string pattern;
        if (!oid) {
          d_.Report(value, "'" + key + "' is not a numeric OID such as 1.3.6.1.2.1.2.2.1.1");
          ok = false;
        } else if (MessageRegex(value, pattern)) {
          match.varbinds.emplace_back(oid->ToString(), std::move(pattern));
        } else {
          ok = false;
        }
      }
    }
    const bool syslog_keys = !match.facilities.empty() || match.severity >= 0 ||
                             !match.program.empty() || !match.text.empty();
    if (ok && syslog_keys && match.IsTrap()) {
      d_.Report(at,
                "a rule matches syslog (facility, severity, program, text) or traps "
                "(trap, varbinds), not both");
      ok = false;
    }
    if (ok && match.Empty()) {
      d_.Report(at, "give at least one of facility, severity, program, text, trap, varbinds");
      ok = false;
    }
    return ok;
  }

  // A node's `syslog:` and `messages:`.
  void ReadNodeMessages(const Section& section, Node& node) {
    if (auto syslog = section.Get("syslog")) {
      Section keys(d_, *syslog, {"silence_limit"});
      if (auto limit = keys.Get("silence_limit")) {
        seconds value{};
        if (d_.Interval(*limit, value)) {
          node.syslog_silence_limit = value;
          if (!inventory_.messages.SyslogOn()) {
            d_.Report(*limit, "no syslog receiver: give messages.syslog (before the nodes)");
          }
        }
      }
    }
    if (auto rules = section.Get("messages")) {
      Repeats names(d_);
      for (const Field& item : d_.Items(*rules)) {
        auto rule = ReadMessageRule(item, false);
        if (!rule || !names.Add(rule->name, item, "message rule '" + rule->name + "'")) continue;
        for (const MessageRule& shared : inventory_.messages.rules) {
          if (shared.name == rule->name) {
            d_.Report(item, "message rule '" + rule->name + "' is also in messages.rules (line " +
                                std::to_string(shared.line) + ")");
          }
        }
        CheckRuleReceiver(*rule, item);
        node.message_rules.push_back(std::move(*rule));
      }
    }
  }

  // A rule whose receiver is off would never run: said at load, not
  // discovered when the device's first error goes unnoticed.
  void CheckRuleReceiver(const MessageRule& rule, const Field& at) {
    const MessageSettings& messages = inventory_.messages;
    if (rule.match.IsTrap() && !messages.TrapsOn()) {
      d_.Report(at, "rule '" + rule.name + "' matches traps but messages.traps is not set");
    } else if (!rule.match.IsTrap() && !messages.SyslogOn()) {
      d_.Report(at, "rule '" + rule.name + "' matches syslog but messages.syslog is not set");
    }
  }

  void CheckMessageRules() {
    for (const auto& [name, field] : message_rule_nodes_) {
      if (!inventory_.FindNode(name)) d_.Report(field, "no node named '" + name + "' in nodes");
    }
  }

  std::vector<std::pair<std::string, Field>> message_rule_nodes_;

  // A backup job's `message` or `failure` names a rule that applies to its
  // node and records what the job needs of it; and every `records` rule is
  // named by some job (else its messages would be recorded for no one).
  // Checked once everything is read: messages.rules and the node's own.
  void CheckBackupRules() {
    std::set<std::pair<std::size_t, std::string>> named;  // (scope, rule name)
    for (const BackupRuleRef& ref : backup_rule_refs_) {
      if (ref.node >= inventory_.nodes.size()) continue;
      const Node& node = inventory_.nodes[ref.node];
      const MessageRule* rule = nullptr;
      std::size_t scope = ref.node;
      for (const MessageRule& own : node.message_rules) {
        if (own.name == ref.rule) rule = &own;
      }
      if (rule == nullptr) {
        scope = kSharedRules;
        for (const MessageRule& shared : inventory_.messages.rules) {
          if (shared.name == ref.rule) rule = &shared;
        }
      }
      const std::string wanted =
          ref.records == MessageRule::Records::kSuccess ? "success" : "failure";
      if (rule == nullptr) {
        d_.Report(ref.field, "no message rule '" + ref.rule +
                                 "' in messages.rules or in this node's messages (a rule with "
                                 "records: " +
                                 wanted + ")");
        continue;
      }
      named.insert({scope, rule->name});
      const std::string which =
          "message rule '" + rule->name + "' (line " + std::to_string(rule->line) + ")";
      if (scope == kSharedRules &&
          std::find(rule->nodes.begin(), rule->nodes.end(), node.name) == rule->nodes.end() &&
          std::find(rule->kinds.begin(), rule->kinds.end(), node.kind) == rule->kinds.end()) {
        d_.Report(ref.field, which + " does not apply to node '" + node.name +
                                 "': neither its kinds nor its nodes take it");
      } else if (rule->records == MessageRule::Records::kNothing) {
        d_.Report(ref.field, which + " needs records: " + wanted +
                                 " (without it the rule opens incidents of its own)");
      } else if (rule->records != ref.records) {
        d_.Report(ref.field,
                  which + " records " +
                      (ref.records == MessageRule::Records::kSuccess ? "failure" : "success") +
                      ", not " + wanted);
      }
    }
    for (const RecordsField& records : records_fields_) {
      if (!named.count({records.scope, records.rule})) {
        d_.Report(records.field,
                  "no backup job names rule '" + records.rule + "' (as its message or failure)");
      }
    }
  }

  static constexpr std::size_t kSharedRules = static_cast<std::size_t>(-1);
  struct BackupRuleRef {
    std::size_t node;  // index in inventory_.nodes
    std::string rule;
    MessageRule::Records records;  // what the job needs of the rule
    Field field;
  };
  std::vector<BackupRuleRef> backup_rule_refs_;
  struct RecordsField {
    std::size_t scope;  // the node's index, or kSharedRules for messages.rules
    std::string rule;
    Field field;
  };
  std::vector<RecordsField> records_fields_;

  // Names that refer to other entries, checked once everything is read.
  void CheckReferences() {
    Repeats names(d_);
    std::map<std::string, const Node*> by_name;
    for (std::size_t i = 0; i < inventory_.nodes.size(); ++i) {
      const Node& node = inventory_.nodes[i];
      const NodeFields& fields = node_fields_[i];
      if (fields.name && names.Add(node.name, *fields.name, "node name '" + node.name + "'")) {
        by_name.emplace(node.name, &node);
      }
    }
    for (std::size_t i = 0; i < inventory_.nodes.size(); ++i) {
      const Node& node = inventory_.nodes[i];
      const NodeFields& fields = node_fields_[i];
      if (fields.system && !inventory_.FindSystem(node.system)) {
        d_.Report(*fields.system, "no system named '" + node.system + "' in systems");
      }
      if (!fields.host) continue;
      if (node.kind != NodeKind::kVm) {
        d_.Report(*fields.host, "only a node of kind vm has a host, this one is " +
                                    std::string(NodeKindName(node.kind)));
        continue;
      }
      auto host = by_name.find(node.host);
      if (host == by_name.end()) {
        d_.Report(*fields.host, "no node named '" + node.host + "' in nodes");
      } else if (host->second->kind != NodeKind::kEsxiHost) {
        d_.Report(*fields.host, "node '" + node.host + "' is of kind " +
                                    std::string(NodeKindName(host->second->kind)) +
                                    ", not esxi-host");
      }
    }
    for (std::size_t i = 0; i < suppression_fields_.size(); ++i) {
      const ConfiguredSuppression& suppression = inventory_.alerting.suppressions[i];
      const SuppressionFields& fields = suppression_fields_[i];
      if (fields.node && !inventory_.FindNode(suppression.node)) {
        d_.Report(*fields.node, "no node named '" + suppression.node + "' in nodes");
      }
      if (fields.system && !inventory_.FindSystem(suppression.system)) {
        d_.Report(*fields.system, "no system named '" + suppression.system + "' in systems");
      }
    }
  }

  Decoder& d_;
  Inventory& inventory_;
  std::vector<NodeFields> node_fields_;  // parallel to inventory_.nodes
  // Parallel to inventory_.alerting.suppressions.
  std::vector<SuppressionFields> suppression_fields_;
};

}  // namespace

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

std::optional<Inventory> ParseInventory(std::string_view yaml_text, const std::string& source,
                                        std::vector<ConfigError>& errors) {
  const std::size_t first_new = errors.size();
  Decoder decoder(source, yaml_text, errors);
  Inventory inventory;
  inventory.source = source;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      decoder.Report(documents[1].Mark(), "",
                     "only one YAML document is expected; a second one starts here");
    }
    InventoryDecoder(decoder, inventory).Decode(documents.empty() ? YAML::Node() : documents[0]);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file".
    decoder.Report(e.mark, "", "invalid YAML: nested too deeply");
  } catch (const YAML::ParserException& e) {
    decoder.ReportSyntax(e.mark, e.msg);
  } catch (const YAML::Exception& e) {
    decoder.Report(e.mark, "", "cannot read the YAML: " + e.msg);
  }
  // In file order, so the operator can fix from top to bottom; checks that
  // run after the whole file is read would otherwise come last.
  std::stable_sort(errors.begin() + static_cast<std::ptrdiff_t>(first_new), errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (errors.size() > first_new) return std::nullopt;
  inventory.BuildIndex();
  return inventory;
}

std::optional<Inventory> LoadInventory(const std::string& path, std::vector<ConfigError>& errors) {
  auto fail = [&](const std::string& why) {
    errors.push_back(ConfigError{path, 0, 0, "", "cannot read the inventory: " + why});
    return std::nullopt;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::generic_category().message(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(std::generic_category().message(errno));
  return ParseInventory(text.str(), path, errors);
}

}  // namespace mimamori::collector
