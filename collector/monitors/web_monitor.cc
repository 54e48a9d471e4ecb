#include "collector/monitors/web_monitor.h"

#include <cstdio>
#include <exception>
#include <optional>
#include <regex>
#include <string>
#include <utility>

#include "collector/monitors/gather.h"
#include "collector/net/http_client.h"

namespace mimamori::collector {
namespace {

/// One web check with its regex compiled once, at monitor creation.
struct CompiledWebCheck {
  WebCheck check;
  std::string result_name;  ///< "web:<name or redacted url>"
  std::string url_label;    ///< redacted url
  std::optional<std::regex> body;
  std::string regex_error;  ///< why body_regex does not compile; "" when it does
};

/// What a check needs, shared with running checks so that they never touch a
/// destroyed monitor.
struct WebConfig {
  std::string node;
  std::vector<CompiledWebCheck> checks;
};

CompiledWebCheck Compile(const WebCheck& check) {
  CompiledWebCheck compiled;
  compiled.check = check;
  compiled.url_label = RedactUrl(check.url);
  compiled.result_name = "web:" + (check.name.empty() ? compiled.url_label : check.name);
  if (!check.body_regex.empty()) {
    try {
      // __polynomial (libstdc++) matches breadth-first: the default
      // depth-first matcher recurses once per character, and ".*OK" over a
      // 30 KB one-line page overflows the stack and kills the collector.
      // The price: back-references are rejected here.
      compiled.body.emplace(check.body_regex,
                            std::regex::ECMAScript | std::regex_constants::__polynomial);
    } catch (const std::regex_error& e) {
      compiled.regex_error = e.what();
    }
  }
  return compiled;
}

// "5 s" for whole seconds (the spec's wording), "300 ms" otherwise.
std::string TimeoutText(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + " s";
  return std::to_string(timeout.count()) + " ms";
}

std::string SecondsText(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", seconds);
  return text;
}

CheckResult Judge(const CompiledWebCheck& compiled, const HttpResponse& response) {
  const WebCheck& check = compiled.check;
  CheckResult result{compiled.result_name, Status::kCritical, "", response.seconds};
  if (!response.complete) {
    result.reason = "no complete response within " + TimeoutText(check.timeout) + ": " +
                    RedactUrl(response.error);
    return result;
  }
  const std::string http = "HTTP " + std::to_string(response.status);
  if (response.status != check.expected_status) {
    result.reason = http + ", expected " + std::to_string(check.expected_status);
    return result;
  }
  const std::string pattern = "/" + check.body_regex + "/";
  // Set when the client cut a long body: the regex saw only its start.
  const std::string note = response.error.empty() ? "" : " (" + response.error + ")";
  if (!compiled.regex_error.empty()) {
    result.status = Status::kUnknown;
    result.reason = http + ", but invalid body regex " + pattern + ": " + compiled.regex_error;
    return result;
  }
  if (compiled.body) {
    bool matched = false;
    try {
      matched = std::regex_search(response.body, *compiled.body);
    } catch (const std::regex_error& e) {
      // libstdc++ gives up on some patterns over long bodies (error_complexity).
      result.status = Status::kUnknown;
      result.reason = http + ", but body regex " + pattern + " could not be evaluated: " + e.what();
      return result;
    }
    if (!matched) {
      result.reason = "body does not match " + pattern + note;
      return result;
    }
  }
  result.status = Status::kOk;
  result.reason = http + " in " + SecondsText(response.seconds);
  if (compiled.body) result.reason += ", body matches " + pattern + note;
  return result;
}

using WebAnswers = std::vector<Gather<HttpResponse>::Answer>;

CheckReport Report(const WebConfig& config, const WebAnswers& answers) {
  CheckReport report;
  for (std::size_t i = 0; i < config.checks.size(); ++i) {
    const CompiledWebCheck& compiled = config.checks[i];
    const auto& answer = answers[i];
    CheckResult result = Judge(compiled, answer.outcome);
    if (!answer.cannot_check.empty()) {
      result.status = Status::kUnknown;
      result.reason = "cannot check " + compiled.url_label + ": " + RedactUrl(answer.cannot_check);
      result.value.reset();
    }
    const std::vector<std::pair<std::string, std::string>> labels = {{"url", compiled.url_label}};
    report.measurements.push_back(
        Measurement{"mimamori_web_up", labels, result.status == Status::kOk ? 1.0 : 0.0});
    if (answer.cannot_check.empty()) {
      report.measurements.push_back(
          Measurement{"mimamori_web_duration_seconds", labels, answer.outcome.seconds});
    }
    if (answer.outcome.status > 0) {
      report.measurements.push_back(Measurement{"mimamori_web_status_code", labels,
                                                static_cast<double>(answer.outcome.status)});
    }
    report.results.push_back(std::move(result));
  }
  return report;
}

class WebMonitor final : public Monitor {
 public:
  WebMonitor(const Node& node, const Inventory& inventory, HttpClient& http)
      : config_(MakeConfig(node)),
        interval_(inventory.defaults.intervals.web),
        failure_threshold_(inventory.defaults.failures.web),
        http_(http) {}

  std::string_view Kind() const override { return "web"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return failure_threshold_; }
  std::size_t CheckCount() const override { return config_->checks.size(); }

  void Start(std::function<void(CheckReport)> done) override {
    auto run = std::make_shared<Gather<HttpResponse>>(
        config_->checks.size(), [config = config_, done = std::move(done)](WebAnswers answers) {
          done(Report(*config, answers));
        });
    for (std::size_t i = 0; i < config_->checks.size(); ++i) {
      const WebCheck& check = config_->checks[i].check;
      try {
        http_.Get(check.url, check.timeout,
                  [run, i](HttpResponse response) { run->Record(i, std::move(response)); });
      } catch (const std::exception& e) {
        run->RecordError(i, e.what());
      }
    }
  }

 private:
  static std::shared_ptr<const WebConfig> MakeConfig(const Node& node) {
    auto config = std::make_shared<WebConfig>();
    config->node = node.name;
    for (const WebCheck& check : node.web) config->checks.push_back(Compile(check));
    return config;
  }

  const std::shared_ptr<const WebConfig> config_;
  const std::chrono::seconds interval_;
  const int failure_threshold_;
  HttpClient& http_;
};

}  // namespace

std::string RedactUrl(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t authority = scheme_end + 3;
  const std::size_t authority_end = url.find_first_of("/?#", authority);
  const std::size_t at =
      url.rfind('@', authority_end == std::string::npos ? url.size() - 1 : authority_end - 1);
  if (at == std::string::npos || at < authority) return url;
  const std::size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return url;  // a user, but no password
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::vector<std::unique_ptr<Monitor>> MakeWebMonitors(const Node& node, const Inventory& inventory,
                                                      MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (!node.web.empty()) {
    monitors.push_back(std::make_unique<WebMonitor>(node, inventory, services.http));
  }
  return monitors;
}

}  // namespace mimamori::collector
