#include "collector/monitors/process_monitor.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>

#include "collector/net/snmp_client.h"
#include "mimamori/proto/oid.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::VarBind;

// hrSWRunEntry columns.
const Oid kHrSWRunEntry{1, 3, 6, 1, 2, 1, 25, 4, 2, 1};
constexpr std::uint32_t kHrSWRunName = 2;
constexpr std::uint32_t kHrSWRunPath = 4;
constexpr std::uint32_t kHrSWRunParameters = 5;

// A compiled ProcessCheck pattern. A node's check looks at every process
// (150 to 300 on a typical VM) for each of its checks every cycle, for
// thousands of nodes, and std::regex_match costs microseconds even on a
// miss. The shapes almost every inventory uses are answered without it, with
// exactly regex_match's result: L below is a literal (no metacharacter, or
// only escaped ones such as "\."), and '.' never matches '\n' or '\r' in
// ECMAScript, so ".*" only spans text without line terminators:
//   ".*"        any text without a line terminator;
//   "L"         the text equals L;
//   "L.*"       starts with L, ".*L" ends with L, ".*L.*" contains L, each
//               with no line terminator anywhere (L has none either).
// Case-insensitive comparison folds ASCII letters only, as std::regex does
// in the "C" locale. Anything else goes to std::regex.
class Pattern {
 public:
  // nullopt and `error` set when the regex does not compile.
  static std::optional<Pattern> Compile(const std::string& text, bool icase, std::string& error) {
    Pattern pattern;
    pattern.icase_ = icase;
    std::string_view body = text;
    const bool any_before = body.starts_with(".*");
    if (any_before) body.remove_prefix(2);
    const bool any_after = body.ends_with(".*") && !body.ends_with("\\.*");
    if (any_after) body.remove_suffix(2);
    if (text == ".*") {
      pattern.kind_ = Kind::kAnyLine;
      return pattern;
    }
    if (auto literal = Literal(body)) {
      pattern.literal_ = icase ? Folded(*literal) : *literal;
      pattern.kind_ = any_before ? (any_after ? Kind::kContains : Kind::kSuffix)
                                 : (any_after ? Kind::kPrefix : Kind::kLiteral);
      return pattern;
    }
    try {
      auto flags = std::regex::ECMAScript | std::regex::optimize;
      if (icase) flags |= std::regex::icase;
      pattern.regex_ = std::regex(text, flags);
    } catch (const std::regex_error& e) {
      error = e.what();
      return std::nullopt;
    }
    pattern.kind_ = Kind::kRegex;
    return pattern;
  }

  bool Matches(std::string_view subject) const {
    if (kind_ == Kind::kRegex) return std::regex_match(subject.begin(), subject.end(), regex_);
    if (subject.find_first_of("\n\r") != std::string_view::npos) {
      return false;  // ".*" stops there, and L has none
    }
    std::string folded;
    if (icase_) {
      folded = Folded(subject);
      subject = folded;
    }
    switch (kind_) {
      case Kind::kAnyLine:
        return true;
      case Kind::kLiteral:
        return subject == literal_;
      case Kind::kPrefix:
        return subject.starts_with(literal_);
      case Kind::kSuffix:
        return subject.ends_with(literal_);
      case Kind::kContains:
        return subject.find(literal_) != std::string_view::npos;
      case Kind::kRegex:
        break;
    }
    return false;
  }

 private:
  enum class Kind { kAnyLine, kLiteral, kPrefix, kSuffix, kContains, kRegex };

  // The text a regex matches when it is a plain literal, else nullopt.
  static std::optional<std::string> Literal(std::string_view regex) {
    static constexpr std::string_view kMeta = "\\^$.|?*+()[]{}";
    std::string out;
    for (std::size_t i = 0; i < regex.size(); ++i) {
      const char c = regex[i];
      if (c == '\\') {
        // An escaped metacharacter (or '/', '-') is itself; "\d", "\b", ... are not literals.
        if (i + 1 == regex.size()) return std::nullopt;
        const char next = regex[++i];
        if (kMeta.find(next) == std::string_view::npos && next != '/' && next != '-') {
          return std::nullopt;
        }
        out += next;
      } else if (kMeta.find(c) != std::string_view::npos) {
        return std::nullopt;
      } else if (c == '\n' || c == '\r') {
        return std::nullopt;
      } else {
        out += c;
      }
    }
    return out;
  }

  static std::string Folded(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }

  Kind kind_ = Kind::kRegex;
  std::string literal_;  // case-folded when icase_
  bool icase_ = false;
  std::regex regex_;
};

// Compiled patterns shared by every monitor that uses the same regex: an
// inventory repeats the same few checks (sshd, crond, ...) on thousands of
// nodes, and one std::regex costs kilobytes. Matching through a const regex
// is thread-safe. Entries live as long as a monitor uses them.
std::shared_ptr<const Pattern> SharedPattern(const std::string& text, bool icase,
                                             std::string& error) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, bool>, std::weak_ptr<const Pattern>> cache;
  std::lock_guard lock(mutex);
  auto& slot = cache[{text, icase}];
  if (auto shared = slot.lock()) return shared;
  std::optional<Pattern> pattern = Pattern::Compile(text, icase, error);
  if (!pattern) {
    cache.erase({text, icase});
    return nullptr;
  }
  auto shared = std::make_shared<const Pattern>(std::move(*pattern));
  slot = shared;
  // Forget patterns no monitor uses any more (after reloads).
  if (cache.size() > 1024) std::erase_if(cache, [](const auto& e) { return e.second.expired(); });
  return shared;
}

struct Watched {
  ProcessCheck check;
  std::shared_ptr<const Pattern> command;
  std::shared_ptr<const Pattern> arguments;
  std::string error;  // why the patterns could not be compiled
};

struct Config {
  std::string node;
  std::string address;
  SnmpTarget target;
  std::chrono::seconds interval{300};
  int failure_threshold = 1;
  std::vector<Watched> watched;

  std::string Who() const { return "snmp process " + node + " (" + address + ")"; }
};

// One row of hrSWRunTable, viewing into the walk's varbinds.
struct Process {
  std::string_view name;
  std::string_view path;
  std::string_view parameters;
  std::string_view Command() const { return path.empty() ? name : path; }
};

std::map<std::uint32_t, Process> ParseProcesses(const std::vector<VarBind>& varbinds) {
  std::map<std::uint32_t, Process> processes;
  const std::size_t depth = kHrSWRunEntry.size();
  for (const VarBind& vb : varbinds) {
    if (vb.oid.size() != depth + 2 || !vb.oid.StartsWith(kHrSWRunEntry)) continue;
    Process& process = processes[vb.oid[depth + 1]];
    switch (vb.oid[depth]) {
      case kHrSWRunName:
        process.name = vb.value.bytes;
        break;
      case kHrSWRunPath:
        process.path = vb.value.bytes;
        break;
      case kHrSWRunParameters:
        process.parameters = vb.value.bytes;
        break;
      default:
        break;
    }
  }
  return processes;
}

CheckReport Judge(const Config& config, const SnmpResult& walk) {
  CheckReport report;
  const auto unknown = [&](const Watched& w, std::string reason) {
    CheckResult result;
    result.monitor = "process:" + w.check.name;
    result.status = Status::kUnknown;
    result.reason = std::move(reason);
    report.results.push_back(std::move(result));
  };
  std::string failure;
  std::map<std::uint32_t, Process> processes;
  if (!walk.ok) {
    failure = config.Who() + ": walk hrSWRunTable: " + (walk.error.empty() ? "failed" : walk.error);
  } else {
    processes = ParseProcesses(walk.varbinds);
    if (processes.empty()) {
      failure = config.Who() + ": the agent lists no process (hrSWRunTable empty)";
    }
  }
  for (const Watched& w : config.watched) {
    if (!w.error.empty()) {
      unknown(w, config.Who() + ": process " + w.check.name + ": " + w.error);
      continue;
    }
    if (!failure.empty()) {
      unknown(w, failure);
      continue;
    }
    int count = 0;
    for (const auto& [index, process] : processes) {
      if (w.command->Matches(process.Command()) && w.arguments->Matches(process.parameters)) {
        ++count;
      }
    }
    CheckResult result;
    result.monitor = "process:" + w.check.name;
    result.value = count;
    const bool inside = count >= w.check.min_count && count <= w.check.max_count;
    result.status = inside ? Status::kOk : Status::kCritical;
    result.reason = w.check.name + ": " + std::to_string(count) +
                    (count == 1 ? " process matches" : " processes match") + ", expected " +
                    std::to_string(w.check.min_count) + " to " + std::to_string(w.check.max_count);
    report.results.push_back(std::move(result));
    report.measurements.push_back(
        {"mimamori_process_matches", {{"process", w.check.name}}, static_cast<double>(count)});
  }
  return report;
}

class ProcessMonitor final : public Monitor {
 public:
  ProcessMonitor(std::shared_ptr<const Config> config, SnmpClient& snmp)
      : config_(std::move(config)), snmp_(snmp) {}

  std::string_view Kind() const override { return "process"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return config_->interval; }
  int FailureThreshold() const override { return config_->failure_threshold; }
  std::size_t CheckCount() const override { return config_->watched.size(); }

  void Start(std::function<void(CheckReport)> done) override {
    std::vector<Oid> roots = {kHrSWRunEntry.Child({kHrSWRunName}),
                              kHrSWRunEntry.Child({kHrSWRunPath}),
                              kHrSWRunEntry.Child({kHrSWRunParameters})};
    // The config, not the monitor, is captured: the monitor may go first.
    snmp_.Walk(config_->target, std::move(roots),
               [config = config_, done = std::move(done)](SnmpResult result) {
                 done(Judge(*config, result));
               });
  }

 private:
  std::shared_ptr<const Config> config_;
  SnmpClient& snmp_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakeProcessMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (node.processes.empty()) return monitors;
  auto config = std::make_shared<Config>();
  config->node = node.name;
  config->address = node.address;
  config->target = SnmpTarget{node.name, node.address, node.snmp};
  config->interval = inventory.defaults.intervals.process;
  config->failure_threshold = inventory.defaults.failures.process;
  for (const ProcessCheck& check : node.processes) {
    Watched w;
    w.check = check;
    std::string error;
    w.command = SharedPattern(check.command, check.case_insensitive, error);
    if (!w.command) {
      w.error = "command regex \"" + check.command + "\" does not compile: " + error;
    } else {
      w.arguments = SharedPattern(check.arguments, check.case_insensitive, error);
      if (!w.arguments) {
        w.error = "arguments regex \"" + check.arguments + "\" does not compile: " + error;
      }
    }
    config->watched.push_back(std::move(w));
  }
  monitors.push_back(std::make_unique<ProcessMonitor>(std::move(config), services.snmp));
  return monitors;
}

}  // namespace mimamori::collector
