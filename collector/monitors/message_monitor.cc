#include "collector/monitors/message_monitor.h"

#include "collector/messages/message_board.h"
#include "collector/messages/message_rules.h"

namespace mimamori::collector {
namespace {

class MessageMonitor final : public Monitor {
 public:
  MessageMonitor(const Node& node, const Inventory& inventory, MonitorServices& services,
                 std::vector<const MessageRule*> rules)
      : node_(node.name),
        interval_(inventory.messages.interval),
        auto_clear_(inventory.messages.auto_clear),
        silence_limit_(inventory.messages.SyslogOn() ? node.syslog_silence_limit : std::nullopt),
        rules_(std::move(rules)),
        board_(services.messages),
        clock_(services.clock) {}

  std::string_view Kind() const override { return "message"; }
  const std::string& NodeName() const override { return node_; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return 1; }
  std::size_t CheckCount() const override { return rules_.size() + (silence_limit_ ? 1 : 0); }

  void Start(std::function<void(CheckReport)> done) override {
    CheckReport report;
    const TimePoint now = clock_.Now();
    if (board_ == nullptr) {
      for (const MessageRule* rule : rules_) {
        report.results.push_back(
            {"message:" + rule->name, Status::kUnknown, "no message receiver is running", {}});
      }
      if (silence_limit_) {
        report.results.push_back(
            {"message:silence", Status::kUnknown, "no message receiver is running", {}});
      }
      done(std::move(report));
      return;
    }
    report.results = board_->Report(node_, rules_, auto_clear_, now);
    if (silence_limit_) {
      CheckResult silence = board_->Silence(node_, *silence_limit_, now);
      if (silence.value) {
        report.measurements.push_back({"mimamori_syslog_silence_seconds", {}, *silence.value});
      }
      report.results.push_back(std::move(silence));
    }
    done(std::move(report));
  }

 private:
  std::string node_;
  std::chrono::seconds interval_;
  std::chrono::seconds auto_clear_;
  std::optional<std::chrono::seconds> silence_limit_;
  std::vector<const MessageRule*> rules_;
  MessageBoard* board_;
  const Clock& clock_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakeMessageMonitors(const Node& node,
                                                          const Inventory& inventory,
                                                          MonitorServices& services) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  std::vector<const MessageRule*> rules = RulesForNode(node, inventory);
  // A `records` rule is a backup job's source, judged by the backup
  // monitor: no monitor of its own.
  std::erase_if(rules, [](const MessageRule* rule) {
    return rule->records != MessageRule::Records::kNothing;
  });
  const bool silence = node.syslog_silence_limit && inventory.messages.SyslogOn();
  if (rules.empty() && !silence) return monitors;
  monitors.push_back(std::make_unique<MessageMonitor>(node, inventory, services, std::move(rules)));
  return monitors;
}

}  // namespace mimamori::collector
